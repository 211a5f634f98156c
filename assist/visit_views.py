"""Home visits (上门服务): her pages (herself, or her son acting for her: `act` to ask or cancel, `act` or
`view_records` to look), and the helper's queue and steps (signed-in helpers with TOTP, in their area)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from assist import visit_actions
from assist.models import VISIT_TASKS, HelperArea, HomeVisit, Task, VisitDays, VisitStatus, VisitWindow
from assist.selectors import visit_queue_for
from assist.views import helper_required
from core.acting_for import not_allowed, requires_scope
from core.client_address import client_ip
from insurance.regions import CITIES

PER_PAGE = 10


class VisitRequestForm(forms.Form):
    service = forms.ChoiceField(label=_lazy("请帮办员上门办什么事"), widget=forms.RadioSelect,
                                choices=[(t.value, t.label) for t in VISIT_TASKS],
                                error_messages={"required": _lazy("请选要办的事。")})
    district = forms.ChoiceField(label=_lazy("住在哪个城市"), choices=[(c.code, c.name) for c in CITIES],
                                 error_messages={"required": _lazy("请选您住在哪个城市。"),
                                                 "invalid_choice": _lazy("请选您住在哪个城市。")})
    address = forms.CharField(label=_lazy("上门地址"), max_length=200, help_text=_lazy("哪个小区、几栋几单元几号"),
                              error_messages={"required": _lazy("请写清楚上门地址：哪个小区、几栋几单元几号。")})
    phone = forms.CharField(label=_lazy("帮办员打哪个电话找您"), max_length=30, required=False,
                            help_text=_lazy("手机或座机都可以，座机要带区号"),
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    preferred_days = forms.ChoiceField(label=_lazy("哪几天方便"), choices=VisitDays.choices, initial=VisitDays.ANY,
                                       widget=forms.RadioSelect)
    preferred_time = forms.ChoiceField(label=_lazy("什么时候方便"), choices=VisitWindow.choices,
                                       initial=VisitWindow.ANY, widget=forms.RadioSelect)
    note = forms.CharField(label=_lazy("还想告诉帮办员的（可以不写）"), max_length=200, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_lazy("为什么取消"), max_length=200,
                             error_messages={"required": _lazy("请写一下为什么取消，帮办员会看到。")})


class ScheduleForm(forms.Form):
    day = forms.DateField(label=_lazy("哪天上门"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                          error_messages={"required": _lazy("请选上门的日子。"),
                                          "invalid": _lazy("日子写得不对，请按 年-月-日 写，比如2026-12-03。")})
    window = forms.ChoiceField(label=_lazy("上午还是下午"), widget=forms.RadioSelect,
                               choices=[(VisitWindow.MORNING, VisitWindow.MORNING.label),
                                        (VisitWindow.AFTERNOON, VisitWindow.AFTERNOON.label)],
                               error_messages={"required": _lazy("请选上午还是下午。")})


# --- her side ------------------------------------------------------------------------------------------


def _grant_id(request: HttpRequest) -> int | None:
    grant = getattr(request, "acting_grant", None)
    return grant.pk if grant is not None else None


def _may_see(request: HttpRequest) -> bool:
    may = getattr(request, "may", None)
    return bool(may is not None and (may("act") or may("view_records")))


def _her_visit(request: HttpRequest, visit_id) -> HomeVisit | None:
    person = getattr(request, "subject_person", None)
    if person is None:
        return None
    try:
        return HomeVisit.objects.select_related("helper").filter(public_id=visit_id, person=person).first()
    except (ValueError, TypeError):
        return None


@never_cache
@login_required
def my_visits(request: HttpRequest) -> HttpResponse:
    if not _may_see(request):
        return not_allowed(request)
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    page = Paginator(HomeVisit.objects.filter(person=person).select_related("helper"), PER_PAGE).get_page(
        request.GET.get("page"))
    may = getattr(request, "may", None)
    return render(request, "assist/visit_list.html", {"page": page, "may_act": bool(may and may("act"))})


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    initial = {"district": person.region_code}
    form = VisitRequestForm(request.POST or None, initial=initial)
    nearest = []
    if request.method == "POST" and form.is_valid():
        try:
            visit = visit_actions.request_visit(actor=request.user, person=person, grant_id=_grant_id(request),
                                                ip=client_ip(request), **form.cleaned_data)
        except visit_actions.VisitError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            nearest = exc.nearest
        else:
            messages.success(request, _("上门服务申请好了。帮办员接单后会打电话约时间，这一页会自动更新。"))
            return redirect("assist:visit", visit_id=visit.public_id)
    return render(request, "assist/visit_new.html", {"form": form, "nearest": nearest})


@never_cache
@login_required
def visit_detail(request: HttpRequest, visit_id) -> HttpResponse:
    if not _may_see(request):
        return not_allowed(request)
    visit = _her_visit(request, visit_id)
    if visit is None:
        raise Http404
    may = getattr(request, "may", None)
    return render(request, "assist/visit_detail.html", {"v": visit, "may_act": bool(may and may("act")),
                                                        "cancel_form": CancelForm()})


@never_cache
@login_required
@requires_scope("act")
@require_POST
def visit_cancel(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _her_visit(request, visit_id)
    if visit is None:
        raise Http404
    form, error = CancelForm(request.POST), ""
    if form.is_valid():
        try:
            visit_actions.cancel_visit(visit.pk, actor=request.user, reason=form.cleaned_data["reason"],
                                       grant_id=_grant_id(request), ip=client_ip(request))
        except visit_actions.VisitError as exc:
            if exc.field == "reason":
                form.add_error("reason", exc.message)
            else:
                error = exc.message
        else:
            messages.success(request, _("上门服务已经取消了。"))
            return redirect("assist:visit", visit_id=visit.public_id)
    visit.refresh_from_db()
    return render(request, "assist/visit_detail.html", {"v": visit, "may_act": True, "cancel_form": form,
                                                        "error": error}, status=400)


# --- the helper's side ---------------------------------------------------------------------------------


@helper_required
def visit_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(visit_queue_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    has_area = HelperArea.objects.filter(helper=request.user).exists()
    return render(request, "assist/visit_queue.html", {"page": page, "has_area": has_area})


def _helper_visit(request: HttpRequest, visit_id, *, accepting: bool = False) -> HomeVisit:
    """A visit this helper may see: his own, or a new request in his area (`accepting`: any in his area, so
    the one who pressed "接单" a moment too late is told it is taken). Anything else is not there."""
    try:
        visit = HomeVisit.objects.select_related("person", "helper", "session").filter(public_id=visit_id).first()
    except (ValueError, TypeError):
        visit = None
    if visit is None:
        raise Http404
    if visit.helper_id == request.user.pk:
        return visit
    if (visit.status == VisitStatus.REQUESTED or accepting) and visit_actions.covers(request.user, visit.district):
        return visit
    raise Http404


def _work_page(request: HttpRequest, visit: HomeVisit, *, schedule_form: ScheduleForm | None = None,
               error: str = "", status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    form = schedule_form or ScheduleForm(initial={"day": visit.scheduled_on or today + dt.timedelta(days=1),
                                                  "window": visit.scheduled_window or VisitWindow.MORNING})
    return render(request, "assist/visit_work.html", {"v": visit, "schedule_form": form, "error": error,
                                                      "task": Task(visit.service)}, status=status)


@helper_required
def visit_work(request: HttpRequest, visit_id) -> HttpResponse:
    return _work_page(request, _helper_visit(request, visit_id))


@helper_required
@require_POST
def visit_accept(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _helper_visit(request, visit_id, accepting=True)
    try:
        visit_actions.accept_visit(visit.pk, helper=request.user, ip=client_ip(request))
    except visit_actions.VisitError as exc:
        messages.info(request, exc.message)
        return redirect("assist:visits")
    messages.success(request, _("接单了。请打电话和她约好时间，再把时间填在下面。"))
    return redirect("assist:visit_work", visit_id=visit.public_id)


@helper_required
@require_POST
def visit_schedule(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _helper_visit(request, visit_id)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            visit_actions.schedule_visit(visit.pk, helper=request.user, ip=client_ip(request), **form.cleaned_data)
        except visit_actions.VisitError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("时间约好了，已经告诉她和她的家人。"))
            return redirect("assist:visit_work", visit_id=visit.public_id)
    return _work_page(request, visit, schedule_form=form, status=400)


@helper_required
@require_POST
def visit_start(request: HttpRequest, visit_id) -> HttpResponse:
    """On the helper's registered tablet at her door: the visit becomes a helper session, which asks for her
    consent first (assist/views.py consent)."""
    visit = _helper_visit(request, visit_id)
    if request.kiosk is None:
        return _work_page(request, visit, status=400, error=_(
            "这台机器还没有登记为帮办终端。请用登记过的帮办平板开始上门办理。"))
    try:
        session = visit_actions.start_visit(visit.pk, helper=request.user, kiosk=request.kiosk, ip=client_ip(request))
    except visit_actions.VisitError as exc:
        return _work_page(request, visit, status=400, error=exc.message)
    return redirect("assist:consent", session_id=session.public_id)


@helper_required
@require_POST
def visit_done(request: HttpRequest, visit_id) -> HttpResponse:
    visit = _helper_visit(request, visit_id)
    try:
        visit_actions.mark_visit_done(visit.pk, helper=request.user, ip=client_ip(request))
    except visit_actions.VisitError as exc:
        return _work_page(request, visit, status=400, error=exc.message)
    messages.success(request, _("这个上门服务办完了。"))
    return redirect("assist:visits")
