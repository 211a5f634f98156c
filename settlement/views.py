"""消费记录 and the printable e-receipt: the signed-in person's own settlements only."""

from __future__ import annotations

from typing import NoReturn

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from audit.actions import record_proxy_use
from audit.kinds import Kind
from core.acting_for import requires_scope
from core.client_address import client_ip
from settlement import actions
from settlement.models import Reporter, Settlement, SettlementDispute
from settlement.notices import LinkExpired, LinkInvalid, read_not_me_token
from settlement.texts import headline


def _note_proxy_view(request: HttpRequest, person) -> None:
    grant = request.acting_grant
    if grant is not None:
        record_proxy_use(Kind.RECORDS_VIEWED, actor=request.user, subject=person, grant_id=grant.pk,
                         ip=client_ip(request))


def _missing(request: HttpRequest) -> NoReturn:
    raise Http404


@never_cache
@login_required
@requires_scope("view_records")
def records(request: HttpRequest) -> HttpResponse:
    """Herself, or the principal she acts for when the grant includes view_records."""
    person = request.subject_person
    if person is None:
        return redirect("vouchers:activate")
    _note_proxy_view(request, person)
    qs = Settlement.objects.filter(person=person).select_related("institution")
    page = Paginator(qs, 10).get_page(request.GET.get("page"))
    rows = [{"s": s, "headline": headline(s),
             "insurance_pay": None if s.fund_pay is None else s.fund_pay + s.account_pay} for s in page]
    return render(request, "settlement/records.html", {"page": page, "rows": rows})


@never_cache
@login_required
@requires_scope("view_records", denied=_missing)  # someone else's receipt looks exactly like a missing one
def receipt(request: HttpRequest, settlement_id: str) -> HttpResponse:
    person = request.subject_person
    settlement = None
    if person is not None:
        try:
            settlement = (Settlement.objects.select_related("institution", "person")
                          .prefetch_related("items").filter(public_id=settlement_id, person=person).first())
        except (ValueError, TypeError):
            settlement = None
    if settlement is None:  # someone else's receipt looks exactly like a missing one
        raise Http404
    _note_proxy_view(request, person)
    return render(request, "settlement/receipt.html", {"s": settlement, "headline": headline(settlement)})


# --- "不是我本人": the link in the offline-settlement SMS ----------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def not_me(request: HttpRequest, token: str) -> HttpResponse:
    """Shows only the institution, the time and the amount, and one big button. Opening the link does
    nothing by itself (phones open links to preview them); the button does, once."""
    try:
        link = read_not_me_token(token)
    except LinkExpired:
        return render(request, "settlement/not_me_invalid.html", {"expired": True}, status=410)
    except LinkInvalid:
        return render(request, "settlement/not_me_invalid.html", {"expired": False}, status=404)
    settlement = link.settlement
    dispute = SettlementDispute.objects.filter(settlement=settlement).first()
    if request.method == "POST":
        dispute, _opened = actions.report_not_me(settlement, reporter=link.reporter, user=link.user,
                                                 ip=client_ip(request))
    context = {"s": settlement, "when": settlement.captured_at or settlement.created_at, "dispute": dispute,
               "for_family": link.reporter == Reporter.PROXY}
    return render(request, "settlement/not_me.html", context)
