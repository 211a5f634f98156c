"""待遇查询 and 看病前算一算: what she has used of this year's benefits, and what a visit would cost her.

Both only read: the estimate is the engine's quote (insurance/engine.py), nothing is booked. Both are hers,
or hers for a proxy whose grant includes view_records (docs/design.md §7); a proxy's look is remembered.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from audit.actions import record_proxy_use
from audit.kinds import Kind
from core.acting_for import requires_scope
from core.client_address import client_ip
from insurance.engine import BillItem, NoPolicy, Split, quote
from insurance.filings import ChronicCondition, Entitlement
from insurance.models import Institution, InstitutionLevel, InsuredPerson
from insurance.policy import ItemCategory, VisitType
from insurance.regions import CITIES
from insurance.selectors import benefits_of, institutions_near

AWAY = "away"
MAX_AMOUNT = Decimal("1000000")
AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]+)?")


def _note_proxy_view(request: HttpRequest, person: InsuredPerson) -> None:
    grant = request.acting_grant
    if grant is not None:
        record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person, grant_id=grant.pk,
                         ip=client_ip(request))


@never_cache
@require_safe
@login_required
@requires_scope("view_records")
def benefits(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    _note_proxy_view(request, person)
    return render(request, "services/benefits.html", {
        "person": person, "b": benefits_of(person, timezone.localdate())})


class AmountField(forms.CharField):
    """Yuan as she types them ("1,200" and "１２００" too): 0 to 1,000,000, at most to the fen."""

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return Decimal("0")
        text = text.translate(str.maketrans("０１２３４５６７８９．，", "0123456789.,")).replace(",", "").strip()
        text = text.removesuffix("元").strip()
        if text.startswith("-") and AMOUNT.fullmatch(text[1:]):
            raise forms.ValidationError(_("金额不能是负数。"))
        if not AMOUNT.fullmatch(text):  # plain digits only: no "1e5", "NaN" or "Infinity"
            raise forms.ValidationError(_("请填数字，例如 300 或 45.50。"))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("请填数字，例如 300 或 45.50。")) from None
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(_("金额太大了，最多填1000000元。"))
        if amount != amount.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("金额最多精确到分（2位小数）。"))
        return amount


class EstimateForm(forms.Form):
    where = forms.ChoiceField(label=gettext_lazy("去哪里看"), error_messages={
        "required": gettext_lazy("请选去哪里看病。"), "invalid_choice": gettext_lazy("请从列表里选去哪里看病。")})
    city = forms.ChoiceField(label=gettext_lazy("外地医院在哪个城市"), required=False,
                             help_text=gettext_lazy("选了“外地医院”才要填。"),
                             error_messages={"invalid_choice": gettext_lazy("请从列表里选城市。")})
    level = forms.ChoiceField(label=gettext_lazy("外地医院是哪一级"), required=False,
                              choices=InstitutionLevel.choices, initial=InstitutionLevel.TERTIARY,
                              error_messages={"invalid_choice": gettext_lazy("请从列表里选医院等级。")})
    visit_type = forms.ChoiceField(label=gettext_lazy("看门诊、住院还是买药"), choices=VisitType.choices,
                                   initial=VisitType.OUTPATIENT, widget=forms.RadioSelect, error_messages={
                                       "required": gettext_lazy("请选看门诊、住院还是买药。"),
                                       "invalid_choice": gettext_lazy("请选看门诊、住院还是买药。")})
    total = AmountField(label=gettext_lazy("大概要花多少钱（元）"), required=False, max_length=20,
                        help_text=gettext_lazy("不知道怎么分类，只填这一项就行。"))
    a_amount = AmountField(label=gettext_lazy("甲类（全部能报）多少元"), required=False, max_length=20)
    b_amount = AmountField(label=gettext_lazy("乙类（先自付一成）多少元"), required=False, max_length=20)
    c_amount = AmountField(label=gettext_lazy("丙类（医保不报）多少元"), required=False, max_length=20)
    condition = forms.ChoiceField(label=gettext_lazy("是不是看门诊慢特病"), required=False,
                                  error_messages={"invalid_choice": gettext_lazy("请从列表里选病种。")})

    def __init__(self, *args, person: InsuredPerson, institutions: list[Institution],
                 conditions: list[ChronicCondition], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.institutions = {str(i.public_id): i for i in institutions}
        self.fields["where"].choices = [("", _("请选择"))] + [(k, i.name) for k, i in self.institutions.items()] + [
            (AWAY, _("外地医院"))]
        self.fields["city"].choices = [("", _("请选择"))] + [
            (c.code, c.name) for c in CITIES if c.code != person.region_code]
        self.fields["condition"].choices = [("", _("不是"))] + [(c.code, c.name) for c in conditions]
        self.conditions = {c.code: c for c in conditions}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("where") == AWAY and not data.get("city"):
            self.add_error("city", _("选了外地医院，请选城市。"))
        parts = [data.get(k) or Decimal("0") for k in ("a_amount", "b_amount", "c_amount")]
        if not (data.get("total") or any(parts)):
            raise forms.ValidationError(_("请填大概要花多少钱，或者甲类、乙类、丙类各多少钱。"))
        if data.get("total") and any(parts):
            raise forms.ValidationError(_("只填总数，或者只填甲乙丙三类，不要两样都填。"))
        if sum(parts) > MAX_AMOUNT:
            raise forms.ValidationError(_("金额太大了，加起来最多1000000元。"))
        return data

    def institution(self) -> Institution:
        data = self.cleaned_data
        if data["where"] == AWAY:
            # Not saved: the engine only needs a level and a region to find the rule and the filing.
            return Institution(name=_("外地医院"), level=data.get("level") or InstitutionLevel.TERTIARY,
                               region_code=data["city"])
        return self.institutions[data["where"]]

    def items(self) -> list[BillItem]:
        data = self.cleaned_data
        one = Decimal("1")
        if data.get("total"):  # one total: counted as all covered, the most she could be paid
            return [BillItem("EST", _("看病费用"), ItemCategory.A, one, data["total"])]
        return [BillItem("EST-" + c, c, c, one, data[key])
                for c, key in (("A", "a_amount"), ("B", "b_amount"), ("C", "c_amount")) if data.get(key)]


@never_cache
@require_safe
@login_required
@requires_scope("view_records")
def estimate(request: HttpRequest) -> HttpResponse:
    """A GET form (works without JavaScript): pick where, what kind of visit and how much, get the engine's
    quote with the same plain explanation as a receipt."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    today = timezone.localdate()
    conditions = [e.condition for e in Entitlement.objects.filter(person=person).in_force_on(today)
                  .select_related("condition")]
    asked = "where" in request.GET
    form = EstimateForm(request.GET if asked else None, person=person, institutions=institutions_near(person),
                        conditions=conditions)
    split: Split | None = None
    total_only = False
    if asked and form.is_valid():
        condition = form.conditions.get(form.cleaned_data.get("condition") or "")
        try:
            split = quote(person, form.institution(), form.cleaned_data["visit_type"], form.items(), today,
                          condition)
        except NoPolicy:
            form.add_error(None, _("这种看病在那里不能用医保直接结算，算不出来。请换一家医院或药店，或者打12393问一问。"))
        total_only = bool(form.cleaned_data.get("total"))
    if asked:
        _note_proxy_view(request, person)
    return render(request, "services/estimate.html", {
        "person": person, "form": form, "split": split, "breakdown": split.as_dict() if split else None,
        "total_only": total_only})
