"""手工报销 pages: her claims, a new claim (from her failed settlement in one tap, or from nothing) in two
screens (the bill and its invoice total; the photos and where the money goes), a claim's page with its live
status, the clock, the money and why, and 改好后重新提交 for a returned one. Herself, or a proxy acting for
her (`act` to claim, `view_records` or `act` to look); a helper's are in assist."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.acting_for import not_allowed, requires_scope
from services.actions import ServiceError, check_claim, resubmit_claim, submit_claim
from services.claim_forms import ClaimBillForm, ClaimPhotosForm
from services.claims import (
    ClaimBill,
    bank_on_file,
    bill_from_settlement,
    claim_of,
    claims_of,
    her_settlement,
    live_claim_of,
    may_use_account,
)
from services.models import Claim, ClaimStatus
from services.push import days_left
from services.views import _acting, _may_see_filings, _note_proxy_view, _put_error


def _screen(request: HttpRequest, person, template: str, context: dict) -> HttpResponse:
    return render(request, template, {**context, "bank": bank_on_file(person), "may_use_account": may_use_account(person)})


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def claim_new(request: HttpRequest) -> HttpResponse:
    """Screen 1: the bill (read-only from her settlement) and the invoice total. Screen 2 (screen 1 posted
    again as hidden fields, checked again): the two photos and where the money goes. Then her claim."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")

    def submit(**values) -> Claim:
        return submit_claim(person=person, **values, **_acting(request))

    def done(claim: Claim) -> HttpResponse:
        return redirect(f"{reverse('services:claim', args=[claim.public_id])}?new=1")

    def claimed(claim: Claim) -> HttpResponse:
        return redirect("services:claim", public_id=claim.public_id)

    return claim_flow(request, person, submit=submit, done=done, claimed=claimed,
                      context={"post_url": reverse("services:claim_new")})


def claim_flow(request: HttpRequest, person, *, submit: Callable[..., Claim], done: Callable[[Claim], HttpResponse],
               claimed: Callable[[Claim], HttpResponse], context: dict) -> HttpResponse:
    """The two screens, for her phone and for the kiosk (assist/views.py): `submit(bill=…, invoice_total=…,
    destination=…, invoice_photo=…, slip_photo=…)` makes the claim and raises ServiceError; `done` is where the
    new claim leads, `claimed` where a settlement already claimed leads."""
    settlement_id = request.POST.get("settlement") or request.GET.get("settlement") or ""
    settlement_bill: ClaimBill | None = None
    if settlement_id:
        settlement = her_settlement(person, settlement_id)
        if settlement is None:  # someone else's looks exactly like a missing one
            raise Http404
        live = live_claim_of(settlement)
        if live is not None:
            return claimed(live)
        settlement_bill = bill_from_settlement(settlement)
        try:
            check_claim(person=person, bill=settlement_bill, invoice_total=settlement_bill.total)
        except ServiceError as exc:
            return _screen(request, person, "services/claim_new.html", {
                **context, "bill": settlement_bill, "blocked": exc.message, "form": None,
                "settlement_id": settlement_id})
    from_settlement = settlement_bill is not None
    context = {**context, "bill": settlement_bill, "settlement_id": settlement_id if from_settlement else ""}

    def first(form: ClaimBillForm) -> HttpResponse:
        return _screen(request, person, "services/claim_new.html", {**context, "form": form})

    if request.method == "GET":
        return first(ClaimBillForm(from_settlement=from_settlement))
    step = request.POST.get("step")
    if step == "back":
        return first(ClaimBillForm(initial=request.POST.dict(), from_settlement=from_settlement))
    second = step == "2"
    form = ClaimBillForm(request.POST, from_settlement=from_settlement, hidden=second)
    if not form.is_valid():
        return first(ClaimBillForm(request.POST, from_settlement=from_settlement) if second else form)
    bill = form.bill(settlement_bill)
    invoice_total = form.cleaned_data["invoice_total"]

    def first_with(exc: ServiceError) -> HttpResponse:
        visible = ClaimBillForm(request.POST, from_settlement=from_settlement)
        visible.is_valid()
        _put_error([visible], exc)
        return first(visible)

    try:
        check_claim(person=person, bill=bill, invoice_total=invoice_total)
    except ServiceError as exc:
        return first_with(exc)
    hidden = ClaimBillForm(request.POST, from_settlement=from_settlement, hidden=True)
    hidden.is_valid()
    second_context = {**context, "form": hidden, "bill": bill}
    if not second:
        return _screen(request, person, "services/claim_where.html", {**second_context,
                                                                      "photos": ClaimPhotosForm(person=person)})
    photos = ClaimPhotosForm(request.POST, request.FILES, person=person)
    if not photos.is_valid():
        return _screen(request, person, "services/claim_where.html", {**second_context, "photos": photos})
    try:
        claim = submit(bill=bill, invoice_total=invoice_total, destination=photos.cleaned_data["destination"],
                       invoice_photo=photos.photos["invoice_photo"], slip_photo=photos.photos["slip_photo"])
    except ServiceError as exc:
        if exc.field in photos.fields or not exc.field:
            _put_error([photos], exc)
            return _screen(request, person, "services/claim_where.html", {**second_context, "photos": photos})
        return first_with(exc)
    return done(claim)


@never_cache
@login_required
def claims(request: HttpRequest) -> HttpResponse:
    """我的报销: hers, or hers as her proxy sees them (view_records or act)."""
    if not _may_see_filings(request):
        return not_allowed(request)
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    _note_proxy_view(request, person)
    page = Paginator(claims_of(person), 10).get_page(request.GET.get("page"))
    return render(request, "services/claim_list.html", {
        "page": page, "rows": [{"c": c, "days_left": days_left(c)} for c in page], "may_act": request.may("act")})


def _her_claim(request: HttpRequest, public_id) -> Claim:
    claim = claim_of(request.subject_person, public_id)
    if claim is None:  # someone else's looks exactly like a missing one
        raise Http404
    return claim


@never_cache
@login_required
def claim(request: HttpRequest, public_id) -> HttpResponse:
    if not _may_see_filings(request):
        return not_allowed(request)
    found = _her_claim(request, public_id)
    _note_proxy_view(request, found.person, claim=str(found.public_id))
    return render(request, "services/claim_detail.html", {
        "c": found, "days_left": days_left(found), "attachments": found.attachments.all(),
        "may_act": request.may("act"), "new": request.GET.get("new") == "1"})


@never_cache
@login_required
@requires_scope("act")
@require_http_methods(["GET", "POST"])
def claim_resubmit(request: HttpRequest, public_id) -> HttpResponse:
    """改好后重新提交: a returned claim, the invoice total and where the money goes again, new photos if asked."""
    found = _her_claim(request, public_id)
    if found.status != ClaimStatus.RETURNED:
        return redirect("services:claim", public_id=found.public_id)
    person = found.person
    form = ClaimBillForm(request.POST or None, from_settlement=True,
                         initial={"invoice_total": found.invoice_total})
    photos = ClaimPhotosForm(request.POST or None, request.FILES or None, person=person, on_file=True,
                             initial={"destination": found.destination})
    if request.method == "POST" and form.is_valid() and photos.is_valid():
        try:
            resubmit_claim(found, invoice_total=form.cleaned_data["invoice_total"],
                           destination=photos.cleaned_data["destination"],
                           invoice_photo=photos.photos["invoice_photo"], slip_photo=photos.photos["slip_photo"],
                           **_acting(request))
        except ServiceError as exc:
            _put_error([form, photos], exc)
        else:
            return redirect("services:claim", public_id=found.public_id)
    return _screen(request, person, "services/claim_resubmit.html", {"c": found, "form": form, "photos": photos})
