"""办事: the catalogue of the twelve services, each one's "how to do it" page, and "要去外地看病？"."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache

from audit.actions import record_proxy_use
from audit.kinds import Kind
from core.acting_for import requires_scope
from core.client_address import client_ip
from elder_mode.preferences import voice_preferences
from insurance.models import InsuredPerson
from insurance.regions import CITIES, PROVINCES, cities_of, city
from services import catalogue as cat
from services.travel import Answer, TravelCheck, check_travel

# How far ahead the check looks: a filing is made for a trip that is coming, not one a year away.
LOOK_AHEAD_DAYS = 366


def _person(request: HttpRequest) -> InsuredPerson | None:
    return getattr(request, "subject_person", None)


def _entry(service: cat.Service, person: InsuredPerson | None) -> dict:
    return {"service": service, "href": service.href(person), "guide_href": service.guide_href(),
            "channels": pgettext("list separator", "、").join(channel.label for channel in service.channels)}


def catalogue(request: HttpRequest) -> HttpResponse:
    """Open to everyone: a visitor learns what can be done and where; the flows themselves ask her to sign in."""
    person = _person(request)
    first, more = cat.elder_split()
    return render(request, "services/catalogue.html", {
        "topics": [(topic, [_entry(s, person) for s in services]) for topic, services in cat.by_topic()],
        "elder_first": [_entry(s, person) for s in first],
        "elder_more": [_entry(s, person) for s in more],
    })


def service(request: HttpRequest, slug: str) -> HttpResponse:
    """One service: what to bring, how long, the steps; online → the button to do it, otherwise where and when."""
    found = cat.service(slug)
    if found is None:
        raise Http404
    person = _person(request)
    return render(request, "services/service.html", {
        "entry": _entry(found, person),
        "windows": [] if found.online else cat.windows_for(person),
        "hours": cat.WINDOW_HOURS,
    })


# --- 要去外地看病？ -------------------------------------------------------------------------------------------


class TravelForm(forms.Form):
    province = forms.ChoiceField(label=gettext_lazy("去哪个省"), required=False)
    city = forms.ChoiceField(label=gettext_lazy("去哪个城市"), error_messages={
        "required": gettext_lazy("请选择要去的城市。"),
        "invalid_choice": gettext_lazy("请从列表里选一个城市。"),
    })
    on = forms.DateField(label=gettext_lazy("哪天去看病"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                         input_formats=["%Y-%m-%d"], error_messages={
                             "required": gettext_lazy("请填写看病的日期。"),
                             "invalid": gettext_lazy("日期请按“年-月-日”填写，例如2026-12-01。"),
                         })

    def __init__(self, *args, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["province"].choices = [("", _("请选择省份"))] + [(code, str(name)) for code, name in PROVINCES.items()]
        self.fields["province"].error_messages["invalid_choice"] = _("请从列表里选一个省份。")
        self.fields["city"].choices = self._city_choices(CITIES)

    @staticmethod
    def _city_choices(cities: list) -> list:
        grouped: dict[str, list[tuple[str, str]]] = {}
        for c in cities:
            grouped.setdefault(str(PROVINCES[c.province]), []).append((c.code, str(c.name)))
        return [("", _("请选择城市"))] + list(grouped.items())

    def clean_on(self) -> dt.date:
        day = self.cleaned_data["on"]
        if day < self.today:
            raise forms.ValidationError(_("请选今天或以后的日期。"))
        if day > self.today + dt.timedelta(days=LOOK_AHEAD_DAYS):
            raise forms.ValidationError(_("只能查一年以内的日期。"))
        return day

    def clean(self) -> dict:
        data = super().clean()
        province, code = data.get("province"), data.get("city")
        if code and province and city(code).province != province:
            self.add_error("city", _("这个城市不在您选的省份里，请重新选择。"))
        if province and not data.get("city"):
            # Without JavaScript the province narrows the list on the next press of "查一查".
            self.fields["city"].choices = self._city_choices(cities_of(province))
        return data


def _day(day: dt.date) -> str:
    return date_format(day)  # 2026年12月1日 in Chinese


def _sentence(check: TravelCheck) -> str:
    """What the page says first, and what is read aloud: Chinese, digits and punctuation only."""
    where, day = str(check.city.name), _day(check.day)
    if check.answer == Answer.LOCAL:
        return _("%(city)s是您的参保地，在本地看病不用备案。") % {"city": where}
    if check.answer == Answer.NOT_CONNECTED:
        return _("%(city)s的医院还不能直接用医保结算。请先自己付钱，收好发票和费用清单，回参保地办手工报销。") % {
            "city": where}
    if check.answer == Answer.COVERED:
        until = check.filing.valid_until
        if until is None:
            return _("您已经备案了。%(day)s在%(city)s看病，按备案后的比例报销，备案长期有效。") % {
                "day": day, "city": where}
        return _("您已经备案了。%(day)s在%(city)s看病，按备案后的比例报销，备案到%(until)s为止。") % {
            "day": day, "city": where, "until": _day(until)}
    if check.answer == Answer.PENDING:
        return _("您去%(city)s的备案还没通过，通过以后才按备案后的比例报销。") % {"city": where}
    return _("您还没有备案。%(day)s在%(city)s看病，按没备案的比例报销，自己要多付。") % {"day": day, "city": where}


def _example_sentence(check: TravelCheck) -> str:
    if check.filed is None or check.unfiled is None:
        return ""
    return _("以在三级医院门诊花1000元为例：备案后医保付约%(filed_fund)s元，您付约%(filed_hers)s元；"
             "不备案医保付约%(unfiled_fund)s元，您付约%(unfiled_hers)s元。") % {
        "filed_fund": check.filed.fund, "filed_hers": check.filed.hers,
        "unfiled_fund": check.unfiled.fund, "unfiled_hers": check.unfiled.hers}


@never_cache
@login_required
@requires_scope("view_records")
def travel_check(request: HttpRequest) -> HttpResponse:
    """Two questions (where, when) and the answer for her: herself, or a proxy who may read her records."""
    person = _person(request)
    if person is None:
        return redirect("vouchers:activate")
    today = timezone.localdate()
    asked = any(key in request.GET for key in ("province", "city", "on"))
    form = TravelForm(request.GET if asked else None, today=today, initial={"on": today})
    context: dict = {"form": form, "person": person}
    if asked and form.is_valid():
        check = check_travel(person, city(form.cleaned_data["city"]), form.cleaned_data["on"])
        if request.acting_grant is not None:
            # Her filings were read for him: she sees that in her account record.
            record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person,
                             grant_id=request.acting_grant.pk, ip=client_ip(request))
        answer, example = _sentence(check), _example_sentence(check)
        spoken = f"{answer}{example}"
        prefs = voice_preferences(request)
        listen = reverse("elder_mode:voice_say") + "?" + urlencode(
            {"lang": prefs["voice_lang"], "rate": prefs["voice_rate"], "text": spoken})
        context |= {"check": check, "answer": answer, "example": example, "spoken": spoken, "listen": listen,
                    "may_file": request.may("act"),
                    "reimbursement": cat.service("reimbursement").guide_href()}
    return render(request, "services/travel_check.html", context)
