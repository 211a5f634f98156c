"""The staff queue for offline settlements: "不是我本人" reports to call back and close, and settlements
flagged for a look (the same voucher captured offline at two institutions within minutes)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.staff import staff_required
from settlement import actions
from settlement.models import DisputeStatus, Settlement, SettlementDispute

FLAGGED_DAYS = 30


def _queue_page(request: HttpRequest, *, unwritten: SettlementDispute | None = None) -> HttpResponse:
    """The queue; `unwritten` is a report someone tried to close without writing what was done."""
    disputes = (SettlementDispute.objects.filter(status=DisputeStatus.OPEN)
                .select_related("settlement__institution", "settlement__person", "settlement__offline_terminal",
                                "reported_by"))
    since = timezone.now() - dt.timedelta(days=FLAGGED_DAYS)
    flagged = (Settlement.objects.filter(flagged=True, created_at__gte=since)
               .select_related("institution", "person", "offline_terminal").order_by("person_id", "captured_at"))
    return render(request, "settlement/staff_offline.html", {
        "disputes": disputes, "flagged": flagged, "flagged_days": FLAGGED_DAYS,
        "unwritten": unwritten.public_id if unwritten else None})


@never_cache
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(request)


@never_cache
@staff_required
@require_POST
def close(request: HttpRequest, dispute_id) -> HttpResponse:
    dispute = SettlementDispute.objects.filter(public_id=dispute_id).first()
    if dispute is None:
        raise Http404
    if not request.POST.get("note", "").strip():  # the form has no `required`: the browser's pop-up is English
        return _queue_page(request, unwritten=dispute)
    actions.close_dispute(dispute, staff=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("报告已关闭，处理结果已记下。"))
    return redirect("staff_offline:queue")


@never_cache
@staff_required
@require_POST
def clear_flag(request: HttpRequest, settlement_id) -> HttpResponse:
    settlement = Settlement.objects.filter(public_id=settlement_id, offline=True).first()
    if settlement is None:
        raise Http404
    actions.clear_offline_flag(settlement, staff=request.user)
    messages.success(request, _("已核实，这笔离线结算不再列在这里。"))
    return redirect("staff_offline:queue")
