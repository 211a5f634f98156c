"""Staff tools for payments: orders (flagged ones first: amounts that differ, booked but not reported paid, a
period paid twice), every provider notice, payouts. Nothing is edited by hand; a paid order is refunded with
the "refund" action (payments.actions.refund_order: the provider first, then the booking undone)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.client_address import client_ip
from payments.actions import PaymentError, refund_order
from payments.models import PaymentCallback, PaymentOrder, Payout


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnly):
    list_display = ["out_trade_no", "person", "period", "amount", "status", "booked", "flagged", "flag_reason",
                    "for_family", "created_at"]
    list_filter = ["flagged", "status", "booked", "for_family", "period"]
    search_fields = ["out_trade_no", "provider_ref"]
    ordering = ["-flagged", "-created_at"]
    actions = ["refund"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and request.user.has_perm("payments.change_paymentorder")  # the list and its action

    @admin.action(description=_("退款（原路退回，撤销这一年的缴费记录）"))
    def refund(self, request, queryset) -> None:
        for order in queryset:
            try:
                refund_order(order, staff=request.user, reason=_("工作人员在管理后台退款"), ip=client_ip(request))
            except PaymentError as exc:
                self.message_user(request, f"{order.out_trade_no}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{order.out_trade_no}: {_('已退款')}", messages.SUCCESS)


@admin.register(PaymentCallback)
class PaymentCallbackAdmin(ReadOnly):
    list_display = ["provider", "event_id", "order", "kind", "amount", "outcome", "detail", "received_at"]
    list_filter = ["outcome", "kind", "provider"]
    search_fields = ["event_id", "order__out_trade_no"]


@admin.register(Payout)
class PayoutAdmin(ReadOnly):
    list_display = ["key", "person", "amount", "destination", "status", "attempts", "last_error", "requested_at",
                    "paid_at"]
    list_filter = ["status", "destination"]
    search_fields = ["key", "provider_ref"]
    exclude = ["bank_account"]
