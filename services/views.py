from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import Role
from audit.actions import record_event, record_proxy_use
from audit.kinds import Kind
from audit.models import Via as AuditVia
from core.acting_for import not_allowed, requires_scope
from core.client_address import client_ip
from insurance.filings import HOLDING_STATUSES, Filing, Via
from insurance.regions import region_name
from services.actions import ServiceError, cancel_filing, change_filing, check_filing, submit_filing
from services.forms import FilingForm, MaterialsForm
from services.push import days_left
from services.selectors import (
    attachment_by_public_id,
    filing_of,
    filings_of,
    helper_session_for,
    materials_on_file,
    requirements_for,
    type_cards,
)

# --- 异地就医备案 (filing views: herself, or a proxy acting for her; the helper's are in assist/views.py) ---


def _acting(request: HttpRequest) -> dict:
    """Who is doing it, for the actions: herself, or a proxy with the grant he uses."""
    grant = getattr(request, "acting_grant", None)
    if grant is not None:
        return {"actor": request.user, "via": Via.PROXY, "grant_id": grant.pk, "ip": client_ip(request)}
    return {"actor": request.user, "via": Via.SELF, "ip": client_ip(request)}


def _may_see_filings(request: HttpRequest) -> bool:
    may = getattr(request, "may", None)
    return bool(may is not None and (may("view_records") or may("act")))


def _note_proxy_view(request: HttpRequest, person, **detail) -> None:
    grant = getattr(request, "acting_grant", None)
    if grant is not None:
        record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person, grant_id=grant.pk,
                         ip=client_ip(request), detail=detail or None)


def _put_error(forms_in_order: list[forms.Form], exc: ServiceError) -> None:
    """Under the field it names, in the first form that has it; else at the top of the last one."""
    for form in forms_in_order:
        if exc.field and exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return
    forms_in_order[-1].add_error(None, exc.message)


def _first_screen(request: HttpRequest, form: FilingForm, status: int = 200) -> HttpResponse:
    return render(request, "services/filing_start.html", {"form": form, "cards": type_cards()}, status=status)


def _second_screen(request: HttpRequest, form: FilingForm, materials: MaterialsForm, rule) -> HttpResponse:
    return render(request, "services/filing_materials.html", {
        "form": form, "materials": materials, "rule": rule, "values": form.cleaned_data,
        "region_name": region_name(form.cleaned_data["region_code"])})


def _day_or_today(text: str) -> dt.date:
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return today
    return day if day >= today else today


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def filing_start(request: HttpRequest) -> HttpResponse:
    """Screen 1: type, city, dates, with every type's materials shown first. Screen 2 (the same form posted
    again, its values hidden and checked again): one photo per material and the promise. Then her filing."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    if request.method == "GET":
        # From "要去外地看病？": the city and the day she asked about carry over (a bad date is just ignored).
        initial = {"filing_type": request.GET.get("type", ""), "region_code": request.GET.get("city", ""),
                   "valid_from": _day_or_today(request.GET.get("from", ""))}
        return _first_screen(request, FilingForm(initial=initial))
    if request.POST.get("step") == "back":  # 返回上一步 from screen 2: her values back on screen 1
        return _first_screen(request, FilingForm(initial=request.POST.dict()))
    second = request.POST.get("step") == "2"
    form = FilingForm(request.POST, hidden=second)
    if not form.is_valid():
        return _first_screen(request, FilingForm(request.POST) if second else form)
    values = form.values()
    try:
        rule = check_filing(person=person, **values)
    except ServiceError as exc:
        visible = FilingForm(request.POST)
        visible.is_valid()
        _put_error([visible], exc)
        return _first_screen(request, visible)
    requirements = requirements_for(values["filing_type"], values["region_code"])
    hidden = FilingForm(request.POST, hidden=True)
    hidden.is_valid()
    if not second:
        return _second_screen(request, hidden, MaterialsForm(requirements=requirements), rule)
    materials = MaterialsForm(request.POST, request.FILES, requirements=requirements)
    if not materials.is_valid():
        return _second_screen(request, hidden, materials, rule)
    try:
        filing = submit_filing(person=person, photos=materials.photos, promised=materials.cleaned_data["promised"],
                               **values, **_acting(request))
    except ServiceError as exc:
        if exc.field in FilingForm.base_fields:
            visible = FilingForm(request.POST)
            visible.is_valid()
            _put_error([visible], exc)
            return _first_screen(request, visible)
        _put_error([materials], exc)
        return _second_screen(request, hidden, materials, rule)
    return redirect(f"{reverse('services:filing', args=[filing.public_id])}?new=1")


@never_cache
@login_required
def filings(request: HttpRequest) -> HttpResponse:
    """我的备案: hers, or hers as her proxy sees them (view_records or act)."""
    if not _may_see_filings(request):
        return not_allowed(request)
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    _note_proxy_view(request, person)
    page = Paginator(filings_of(person), 10).get_page(request.GET.get("page"))
    return render(request, "services/filing_list.html", {
        "page": page, "rows": [{"f": f, "days_left": days_left(f)} for f in page],
        "may_act": request.may("act")})


def _her_filing(request: HttpRequest, public_id) -> Filing:
    filing = filing_of(request.subject_person, public_id)
    if filing is None:  # someone else's looks exactly like a missing one
        raise Http404
    return filing


@never_cache
@login_required
def filing(request: HttpRequest, public_id) -> HttpResponse:
    if not _may_see_filings(request):
        return not_allowed(request)
    filing = _her_filing(request, public_id)
    _note_proxy_view(request, filing.person, filing=str(filing.public_id))
    return render(request, "services/filing_detail.html", {
        "f": filing, "days_left": days_left(filing), "attachments": filing.attachments.all(),
        "may_act": request.may("act"), "new": request.GET.get("new") == "1",
        "holding": filing.status in HOLDING_STATUSES})


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def filing_change(request: HttpRequest, public_id) -> HttpResponse:
    """改好后重新提交 (returned), or new dates or city (pending, approved): one page, fields and photos."""
    filing = _her_filing(request, public_id)
    if filing.status not in HOLDING_STATUSES:
        return redirect("services:filing", public_id=filing.public_id)
    on_file = materials_on_file(filing)
    if request.method == "GET":
        form = FilingForm(initial={"filing_type": filing.filing_type, "region_code": filing.region_code,
                                   "valid_from": filing.valid_from, "valid_until": filing.valid_until,
                                   "hospital": filing.hospital})
        materials = MaterialsForm(requirements=requirements_for(filing.filing_type, filing.region_code),
                                  on_file=on_file)
    else:
        form = FilingForm(request.POST)
        chosen = (request.POST.get("filing_type", ""), request.POST.get("region_code", ""))
        materials = MaterialsForm(request.POST, request.FILES, requirements=requirements_for(*chosen), on_file=on_file)
        if form.is_valid() and materials.is_valid():
            try:
                change_filing(filing, photos=materials.photos, promised=materials.cleaned_data["promised"],
                              **form.values(), **_acting(request))
            except ServiceError as exc:
                _put_error([form, materials], exc)
            else:
                return redirect("services:filing", public_id=filing.public_id)
    return render(request, "services/filing_change.html", {"f": filing, "form": form, "materials": materials})


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def filing_cancel(request: HttpRequest, public_id) -> HttpResponse:
    """GET asks "确定取消吗？" on a page (not a pop-up: docs/design.md §6); the POST from it cancels."""
    filing = _her_filing(request, public_id)
    error = ""
    if request.method == "POST":
        try:
            cancel_filing(filing, **_acting(request))
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect("services:filing", public_id=filing.public_id)
    return render(request, "services/filing_cancel.html", {"f": filing, "error": error})


@login_required
def attachment(request: HttpRequest, public_id) -> HttpResponse:
    """A document photo, streamed only to her, her proxy (act or view_records) acting for her, a helper in a
    session with the task for her, or verified staff; anyone else gets the same 404 as a missing one. Every
    viewer but herself leaves an audit row she can read."""
    found = attachment_by_public_id(public_id)
    if found is None:
        raise Http404
    user, ip = request.user, client_ip(request)
    detail = {"attachment": str(found.public_id), "label": found.label}
    grant = getattr(request, "acting_grant", None)
    if grant is not None:
        if grant.principal_id != found.person_id or not _may_see_filings(request):
            raise Http404
        record_proxy_use(Kind.ATTACHMENT_VIEWED, actor=user, subject=found.person, grant_id=grant.pk, ip=ip,
                         detail=detail)
    elif user.person_id is not None and user.person_id == found.person_id:
        pass  # her own photo
    elif user.role == Role.STAFF and user.is_verified():
        record_event(action=Kind.ATTACHMENT_VIEWED, via=AuditVia.STAFF, actor=user, subject=found.person, ip=ip,
                     detail=detail)
    else:
        session_id = helper_session_for(user, found)
        if session_id is None:
            raise Http404
        record_event(action=Kind.ATTACHMENT_VIEWED, via=AuditVia.HELPER, actor=user, subject=found.person, ip=ip,
                     detail={**detail, "assist_session_id": session_id})
    try:
        handle = found.image.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
