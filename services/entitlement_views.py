"""门诊慢特病 for the citizen: her entitlements with their end dates, applying with a certificate photo, the
live status of one application, and a new photo after a return.

Who may: herself; a proxy reads with `view_records` or `act` and applies, re-sends or cancels only with
`act` (docs/design.md §7). A helper does the same at a kiosk through assist's own page (assist/views.py),
which calls the same actions. Objects are looked up by public id AND by the person the page is about, so
someone else's application is a plain 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit.actions import record_proxy_use
from audit.kinds import Kind
from core.acting_for import not_allowed, requires_scope
from core.client_address import client_ip
from insurance.filings import ChronicCondition, Entitlement, Via
from services import actions
from services.chronic import status_context, terms_sentence
from services.entitlement_forms import ApplyEntitlementForm, ResubmitEntitlementForm


def _may_read(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Herself, or a proxy whose grant has `view_records` or `act` (he who may apply may see what he filed)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        may = getattr(request, "may", None)
        if may is None or not (may("view_records") or may("act")):
            return not_allowed(request)
        return view(request, *args, **kwargs)

    return wrapped


def _who(request: HttpRequest) -> dict[str, Any]:
    """How this request acts for her, as the actions take it."""
    grant = request.acting_grant
    if grant is not None:
        return {"actor": request.user, "via": Via.PROXY, "grant_id": grant.pk, "ip": client_ip(request)}
    return {"actor": request.user, "via": Via.SELF, "ip": client_ip(request)}


def _note_proxy_view(request: HttpRequest, person) -> None:
    grant = request.acting_grant
    if grant is not None:
        record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person, grant_id=grant.pk,
                         ip=client_ip(request))


def _entitlement_of(request: HttpRequest, public_id) -> Entitlement:
    person = request.subject_person
    entitlement = None
    if person is not None:
        entitlement = (Entitlement.objects.select_related("condition", "person")
                       .filter(public_id=public_id, person=person).first())
    if entitlement is None:  # someone else's looks exactly like one that does not exist
        raise Http404
    return entitlement


def entitlement_rows(person) -> list[dict[str, Any]]:
    """Her entitlements, each with what it means for her and, when granted, its end date in words."""
    return [status_context(entitlement)
            for entitlement in person.entitlements.select_related("condition", "person").order_by("-submitted_at", "-id")]


def condition_cards(person) -> list[dict[str, Any]]:
    return [{"c": condition, "terms": terms_sentence(condition, person.scheme)}
            for condition in ChronicCondition.objects.filter(is_active=True)]


@never_cache
@login_required
@_may_read
def chronic(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    _note_proxy_view(request, person)
    return render(request, "services/chronic.html", {
        "person": person, "rows": entitlement_rows(person), "may_act": request.may("act")})


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    form = ApplyEntitlementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            entitlement = actions.apply_entitlement(
                person=person, condition=form.cleaned_data["condition"], hospital=form.cleaned_data["hospital"],
                photo=form.cleaned_data["photo"], **_who(request))
        except actions.ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("申请已经交上去了。审核好了会发短信告诉您。"))
            return redirect("services:chronic_entitlement", public_id=entitlement.public_id)
    return render(request, "services/chronic_apply.html", {
        "person": person, "form": form, "cards": condition_cards(person),
        "chosen": form["condition"].value() or ""})


@never_cache
@login_required
@_may_read
@require_http_methods(["GET", "POST"])
def entitlement(request: HttpRequest, public_id) -> HttpResponse:
    found = _entitlement_of(request, public_id)
    form = ResubmitEntitlementForm()
    if request.method == "POST":
        if not request.may("act"):
            return not_allowed(request)
        form = ResubmitEntitlementForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                actions.resubmit_entitlement(found, photo=form.cleaned_data["photo"], **_who(request))
            except actions.ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("新的证明已经交上去了，请等审核。"))
                return redirect("services:chronic_entitlement", public_id=found.public_id)
    else:
        _note_proxy_view(request, found.person)
    return render(request, "services/chronic_entitlement.html", {
        **status_context(found), "form": form, "may_act": request.may("act")})


@never_cache
@login_required
@requires_scope("act")
@require_POST
def cancel(request: HttpRequest, public_id) -> HttpResponse:
    found = _entitlement_of(request, public_id)
    try:
        actions.cancel_entitlement(found, **_who(request))
    except actions.ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("services:chronic_entitlement", public_id=found.public_id)
    messages.success(request, _("申请已经取消了。"))
    return redirect("services:chronic")
