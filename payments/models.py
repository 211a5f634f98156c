"""Money in and out through providers (docs/design.md §2): contribution orders paid through a payment
provider (缴费, 亲情代缴), every callback the provider sent, and payouts of approved claims through a payout
provider. The providers are interfaces (payments/providers.py); the embedded default is a sandbox that behaves
like a real one."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField


class OrderStatus(models.TextChoices):
    CREATED = "created", _("待支付")
    PAID = "paid", _("已支付")
    FAILED = "failed", _("支付没有成功")
    EXPIRED = "expired", _("已过期")
    REFUNDED = "refunded", _("已退款")


class Purpose(models.TextChoices):
    CONTRIBUTION = "contribution", _("城乡居民医保缴费")


class PaymentOrder(models.Model):
    """One attempt to pay a person's contribution for a period. `out_trade_no` is our order number at the
    provider; the provider's own transaction id arrives with its callback."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    out_trade_no = models.CharField(_("订单号"), max_length=32, unique=True)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="payment_orders",
                               verbose_name=_("参保人"))
    payer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("付款人"))
    for_family = models.BooleanField(_("亲情代缴"), default=False)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices, default=Purpose.CONTRIBUTION)
    period = models.CharField(_("缴费年度"), max_length=7)
    amount = models.DecimalField(_("应付金额"), max_digits=10, decimal_places=2)
    status = models.CharField(_("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.CREATED,
                              db_index=True)
    provider = models.CharField(_("支付渠道"), max_length=20)
    provider_ref = models.CharField(_("渠道交易号"), max_length=64, blank=True, db_index=True)
    paid_amount = models.DecimalField(_("实付金额"), max_digits=10, decimal_places=2, null=True, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    booked = models.BooleanField(_("已记入缴费记录"), default=False)  # the contribution row: exactly once
    contribution = models.ForeignKey("insurance.Contribution", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("缴费记录"))
    refunded_amount = models.DecimalField(_("已退金额"), max_digits=10, decimal_places=2, null=True, blank=True)
    flagged = models.BooleanField(_("对账有差异"), default=False, db_index=True)
    flag_reason = models.CharField(_("差异说明"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("支付截止时间"))
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("缴费订单")
        verbose_name_plural = _("缴费订单")
        constraints = [
            # A double tap on "pay" (or her and her son at once) finds the open order; a paid period is paid.
            models.UniqueConstraint(fields=["person", "purpose", "period"],
                                    condition=Q(status__in=["created", "paid"]), name="one_live_order_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.out_trade_no} {self.status}"


class CallbackOutcome(models.TextChoices):
    BOOKED = "booked", _("已入账")
    DUPLICATE = "duplicate", _("重复通知，已忽略")
    REJECTED = "rejected", _("拒收")
    FLAGGED = "flagged", _("有差异，转人工")
    NOTED = "noted", _("已记录")


class PaymentCallback(models.Model):
    """Every notice a provider sent us, kept once per provider event id: a duplicate finds the first."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=64)
    order = models.ForeignKey(PaymentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="callbacks")
    kind = models.CharField(max_length=20)  # paid | failed | refunded (the provider's word, checked)
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    body_sha256 = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=CallbackOutcome.choices)
    detail = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="one_row_per_provider_event")]


class PayoutDestination(models.TextChoices):
    BANK = "bank", _("我的银行卡")
    ACCOUNT = "account", _("我的医保个人账户")


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", _("正在打款")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("打款没有成功")


class Payout(models.Model):
    """Money the bureau pays her (an approved claim). `key` makes it idempotent: asking twice for the same
    claim finds the first payout, and the provider is given the same key."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=80, unique=True)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="payouts",
                               verbose_name=_("参保人"))
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    destination = models.CharField(_("打到哪里"), max_length=8, choices=PayoutDestination.choices)
    bank_name = models.CharField(_("银行"), max_length=40, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)
    provider = models.CharField(_("打款渠道"), max_length=20)
    provider_ref = models.CharField(_("渠道流水号"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    paid_at = models.DateTimeField(_("到账时间"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("打款")
        verbose_name_plural = _("打款")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"{self.key} {self.amount} {self.status}"


class SandboxTransaction(models.Model):
    """The sandbox provider's own ledger (development and tests only): what its cashier took and what it paid
    out, so that it answers `query` the way a real provider does even when its callback was lost."""

    reference = models.CharField(max_length=80, unique=True)  # our out_trade_no, or a payout's key
    kind = models.CharField(max_length=8)  # payment | payout
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=12)  # paid | refunded | pending | failed
    provider_ref = models.CharField(max_length=64, unique=True)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.status}"
