"""Document photos attached to a service request (filing materials, a hospital certificate, later claim
invoices). Re-encoded on upload (services/uploads.py), kept in private storage, shown only through a view
that checks who is asking."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from services.storage import private_storage


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Never the name she uploaded: a random name in a folder per person.
    return f"attachments/{instance.person.public_id}/{uuid.uuid4().hex}.jpg"


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.CASCADE, related_name="attachments",
                               verbose_name=_("参保人"))
    filing = models.ForeignKey("insurance.Filing", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="attachments", verbose_name=_("异地就医备案"))
    entitlement = models.ForeignKey("insurance.Entitlement", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="attachments", verbose_name=_("门诊慢特病认定"))
    claim = models.ForeignKey("services.Claim", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="attachments", verbose_name=_("手工报销"))
    label = models.CharField(_("材料名称"), max_length=60)
    image = models.FileField(_("照片"), storage=private_storage, upload_to=_attachment_path, max_length=200)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("材料照片")
        verbose_name_plural = _("材料照片")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(filing__isnull=False, entitlement__isnull=True, claim__isnull=True)
                | models.Q(filing__isnull=True, entitlement__isnull=False, claim__isnull=True)
                | models.Q(filing__isnull=True, entitlement__isnull=True, claim__isnull=False),
                name="attachment_belongs_to_one_request"),
        ]

    def __str__(self) -> str:
        return self.label


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("审核中")
    RETURNED = "returned", _("退回补充")
    REFUSED = "refused", _("未通过")
    APPROVED = "approved", _("已通过，正在打款")
    PAID = "paid", _("钱已到账")
    CANCELLED = "cancelled", _("已取消")


CLAIM_HOLDING = ("pending", "returned", "approved", "paid")


class Claim(models.Model):
    """手工报销: care she paid for herself (a settlement that failed or went to the manual window, or care paid
    out of pocket), claimed back. Staff decide within the promised working days; on approval the engine splits
    the bill with the rules of the visit day and books it once (`booked`), and a payout is asked for."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="claims",
                               verbose_name=_("参保人"))
    settlement = models.ForeignKey("settlement.Settlement", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="claims", verbose_name=_("来自哪笔结算"))
    institution = models.ForeignKey("insurance.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("医院或药店"))
    institution_name = models.CharField(_("医院或药店名称"), max_length=100)
    institution_level = models.CharField(_("机构等级"), max_length=16)
    region_code = models.CharField(_("就医地（城市代码）"), max_length=6)
    visit_date = models.DateField(_("看病日期"))
    visit_type = models.CharField(_("就诊类型"), max_length=16)
    condition_code = models.CharField(_("门诊慢特病病种"), max_length=20, blank=True)
    items = models.JSONField(_("费用明细"), default=list)  # [{code, name, category, quantity, unit_price}]
    total = models.DecimalField(_("合计"), max_digits=12, decimal_places=2)
    invoice_total = models.DecimalField(_("发票金额"), max_digits=12, decimal_places=2)
    destination = models.CharField(_("钱打到哪里"), max_length=8)  # payments.PayoutDestination
    status = models.CharField(_("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING,
                              db_index=True)
    reason = models.CharField(_("退回或不通过的原因"), max_length=200, blank=True)
    via = models.CharField(_("谁办的"), max_length=8, default="self")  # insurance.filings.Via
    submitted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    due_by = models.DateTimeField(_("承诺办结时间"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("审核人"))
    fund_pay = models.DecimalField(_("医保统筹支付"), max_digits=12, decimal_places=2, null=True, blank=True)
    account_pay = models.DecimalField(_("个人账户支付"), max_digits=12, decimal_places=2, null=True, blank=True)
    self_pay = models.DecimalField(_("自己付"), max_digits=12, decimal_places=2, null=True, blank=True)
    breakdown = models.JSONField(default=dict, blank=True)
    booked = models.BooleanField(default=False)  # accumulators changed: exactly once
    payout = models.OneToOneField("payments.Payout", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="claim", verbose_name=_("打款"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("手工报销")
        verbose_name_plural = _("手工报销")
        constraints = [
            # A settlement is claimed once (a refused or cancelled claim may be made again).
            models.UniqueConstraint(fields=["settlement"], condition=models.Q(status__in=CLAIM_HOLDING),
                                    name="one_live_claim_per_settlement"),
            models.CheckConstraint(condition=models.Q(total__gt=0), name="claim_total_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_name} {self.visit_date} {self.total}"
