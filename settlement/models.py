"""Settlements: received → presettled → settled | failed | manual, with an event history."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from insurance.policy import ItemCategory, VisitType


class Status(models.TextChoices):
    RECEIVED = "received", _("正在结算")
    PRESETTLED = "presettled", _("预结算完成")
    SETTLED = "settled", _("结算完成")
    FAILED = "failed", _("结算失败")
    MANUAL = "manual", _("转人工办理")


FINAL_STATUSES = {Status.SETTLED, Status.FAILED, Status.MANUAL}


class Settlement(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.ForeignKey("insurance.Institution", on_delete=models.PROTECT, related_name="settlements")
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="settlements")
    voucher = models.ForeignKey("vouchers.Voucher", on_delete=models.PROTECT, related_name="settlements")
    code_nonce = models.CharField(max_length=32, unique=True)  # one settlement per code, enforced by the DB
    visit_type = models.CharField(max_length=16, choices=VisitType.choices)
    # The 门诊慢特病 condition the institution says the bill is for (optional); the engine uses its terms only
    # when she holds an entitlement for it on the day (insurance/engine.py).
    condition = models.ForeignKey("insurance.ChronicCondition", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    fund_pay = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    account_pay = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    self_pay = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    breakdown = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    next_step = models.CharField(max_length=200, blank=True)
    booked = models.BooleanField(default=False)  # accumulators and balance changed: exactly once
    client_id = models.CharField(max_length=64, blank=True)  # the counter's own id for offline uploads
    captured_at = models.DateTimeField(null=True, blank=True)
    offline = models.BooleanField(default=False)
    operator = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    # The registered offline counter that uploaded it (offline settlements only).
    offline_terminal = models.ForeignKey("insurance.OfflineTerminal", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="settlements")
    # Set for staff to look at, e.g. the same voucher captured offline at two institutions within minutes.
    flagged = models.BooleanField(default=False, db_index=True)
    flag_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "client_id"], condition=~models.Q(client_id=""),
                                    name="one_settlement_per_client_id"),
            models.CheckConstraint(
                condition=models.Q(fund_pay__isnull=True)
                | models.Q(total=models.F("fund_pay") + models.F("account_pay") + models.F("self_pay")),
                name="split_sums_to_total",
            ),
        ]
        verbose_name = _("结算")
        verbose_name_plural = _("结算")

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class SettlementItem(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=1, choices=ItemCategory.choices)
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))


class SettlementEvent(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=Status.choices)
    at = models.DateTimeField(auto_now_add=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class IdempotencyRecord(models.Model):
    """The answer we gave to a POST with an Idempotency-Key, to give again for the same body."""

    institution = models.ForeignKey("insurance.Institution", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    path = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["institution", "key"], name="one_answer_per_key")]


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CLOSED = "closed", _("已处理")


class Reporter(models.TextChoices):
    PRINCIPAL = "principal", _("本人（登记手机号收到的短信）")
    PROXY = "proxy", _("家人（亲情账户收到的短信）")


class SettlementDispute(models.Model):
    """"不是我本人": someone told of an offline settlement says it was not her. One per settlement: a
    second report finds the first. Staff call her back and close it with a note."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    settlement = models.OneToOneField(Settlement, on_delete=models.PROTECT, related_name="dispute",
                                      verbose_name=_("结算"))
    reported_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("报告人"))  # empty: her phone, no account
    reporter = models.CharField(_("谁报告的"), max_length=16, choices=Reporter.choices)
    status = models.CharField(_("状态"), max_length=8, choices=DisputeStatus.choices, default=DisputeStatus.OPEN,
                              db_index=True)
    staff_note = models.TextField(_("处理记录"), blank=True, max_length=2000)
    opened_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    closed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("处理人"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("结算异议（不是我本人）")
        verbose_name_plural = _("结算异议（不是我本人）")

    def __str__(self) -> str:
        return f"{self.settlement.public_id} {self.status}"
