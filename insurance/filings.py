"""Filings (异地就医备案) and chronic-disease entitlements (门诊慢特病): the data and the rules.

The flows that create and decide them are in `services` (docs/design.md §2); the engine reads them
(insurance/engine.py). Which filing types take effect at once, how long a review may take and which
materials each destination asks for are rows staff edit in the admin, not code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insurance.models import InsuredPerson, Scheme
from insurance.regions import city, province_name, region_name


class Via(models.TextChoices):
    """Who did it for her: she herself, a family proxy with `act`, or a helper in a consented session."""

    SELF = "self", _("本人")
    PROXY = "proxy", _("家人代办")
    HELPER = "helper", _("帮办员代办")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("审核中")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("退回补充")
    REFUSED = "refused", _("未通过")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已到期")  # a grant past its end date, set aside when she applies again


OPEN_STATUSES = (ReviewStatus.PENDING, ReviewStatus.RETURNED)
# A filing or entitlement in one of these holds its place: a second one may not overlap it.
HOLDING_STATUSES = (ReviewStatus.PENDING, ReviewStatus.RETURNED, ReviewStatus.APPROVED)


class FilingType(models.TextChoices):
    LONG_TERM_RESIDENCE = "residence", _("异地长期居住")
    RESIDENT_WORK = "work", _("常驻异地工作")
    REFERRAL = "referral", _("异地转诊")
    TEMPORARY = "temporary", _("临时外出就医")


class FilingRule(models.Model):
    """How one filing type is handled: at once ("一次备案、全国通用") or after a review within a promised
    number of working days, and how long it may last."""

    filing_type = models.CharField(_("备案类型"), max_length=16, choices=FilingType.choices, unique=True)
    plain_name = models.CharField(_("通俗说明"), max_length=80,
                                  help_text=_("一句话说明谁该选这一类，例如“退休后住在子女那里”"))
    takes_effect_at_once = models.BooleanField(_("提交即生效"), default=False)
    review_working_days = models.PositiveSmallIntegerField(_("审核时限（工作日）"), default=3)
    needs_end_date = models.BooleanField(_("需要填写结束日期"), default=True)
    max_days = models.PositiveSmallIntegerField(_("最长有效天数"), null=True, blank=True,
                                                help_text=_("不填表示长期有效，直到本人取消"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("备案类型规则")
        verbose_name_plural = _("备案类型规则")

    def __str__(self) -> str:
        return self.get_filing_type_display()


class FilingRequirement(models.Model):
    """One material a filing needs. An empty region means every destination; a destination that asks for
    one more form than another has one more row."""

    filing_type = models.CharField(_("备案类型"), max_length=16, choices=FilingType.choices)
    region_code = models.CharField(_("就医地（城市代码）"), max_length=6, blank=True,
                                   help_text=_("不填表示所有地方都要"))
    name = models.CharField(_("材料名称"), max_length=60)
    help_text = models.CharField(_("怎么准备"), max_length=200, blank=True)
    required = models.BooleanField(_("必须提供"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("备案所需材料")
        verbose_name_plural = _("备案所需材料")

    def __str__(self) -> str:
        where = region_name(self.region_code) if self.region_code else _("所有地方")
        return f"{self.get_filing_type_display()} · {where} · {self.name}"


class FilingQuerySet(models.QuerySet):
    def in_force_on(self, day: dt.date) -> FilingQuerySet:
        return self.filter(status=ReviewStatus.APPROVED, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day))

    def holding(self) -> FilingQuerySet:
        return self.filter(status__in=HOLDING_STATUSES)

    def overlapping(self, start: dt.date, end: dt.date | None) -> FilingQuerySet:
        """Those whose dates meet [start, end] (an open end runs for ever)."""
        query = Q(valid_until__isnull=True) | Q(valid_until__gte=start)
        if end is not None:
            query &= Q(valid_from__lte=end)
        return self.filter(query)


class Filing(models.Model):
    """异地就医备案: lets a person settle in another city at the filed rate from `valid_from`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(InsuredPerson, on_delete=models.CASCADE, related_name="filings",
                               verbose_name=_("参保人"))
    filing_type = models.CharField(_("备案类型"), max_length=16, choices=FilingType.choices,
                                   default=FilingType.TEMPORARY)
    region_code = models.CharField(_("就医地（城市代码）"), max_length=6)
    hospital = models.CharField(_("转入医院"), max_length=100, blank=True)
    valid_from = models.DateField(_("开始日期"))
    valid_until = models.DateField(_("结束日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ReviewStatus.choices,
                              default=ReviewStatus.APPROVED, db_index=True)
    reason = models.CharField(_("退回或不通过的原因"), max_length=200, blank=True)
    via = models.CharField(_("谁办的"), max_length=8, choices=Via.choices, default=Via.SELF)
    submitted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    due_by = models.DateTimeField(_("承诺办结时间"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("审核人"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FilingQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("异地就医备案")
        verbose_name_plural = _("异地就医备案")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                                   name="filing_dates_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_filing_type_display()} → {self.region_name} ({self.get_status_display()})"

    @property
    def region_name(self) -> str:
        return region_name(self.region_code)

    @property
    def province_name(self) -> str:
        found = city(self.region_code)
        return province_name(found.province) if found else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ChronicCondition(models.Model):
    """A condition of 门诊慢特病 and the outpatient terms it is paid at once granted."""

    code = models.CharField(_("病种编码"), max_length=20, unique=True)
    name = models.CharField(_("病种名称"), max_length=40)
    plain_name = models.CharField(_("通俗说明"), max_length=100, blank=True)
    certificate = models.CharField(_("需要的证明"), max_length=200,
                                   default=_("二级以上医院的诊断证明（盖章）"))
    deductible = models.DecimalField(_("起付线（元/年）"), max_digits=10, decimal_places=2, default=Decimal("0"))
    ratio_employee = models.DecimalField(_("职工报销比例"), max_digits=4, decimal_places=3)
    ratio_resident = models.DecimalField(_("居民报销比例"), max_digits=4, decimal_places=3)
    annual_cap = models.DecimalField(_("年度限额（元）"), max_digits=12, decimal_places=2)
    valid_years = models.PositiveSmallIntegerField(_("认定有效年数"), default=2)
    review_working_days = models.PositiveSmallIntegerField(_("审核时限（工作日）"), default=5)
    is_active = models.BooleanField(_("可以申请"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("门诊慢特病病种")
        verbose_name_plural = _("门诊慢特病病种")
        constraints = [
            models.CheckConstraint(condition=Q(ratio_employee__gte=0, ratio_employee__lte=1,
                                               ratio_resident__gte=0, ratio_resident__lte=1),
                                   name="chronic_ratios_between_0_and_1"),
        ]

    def __str__(self) -> str:
        return self.name

    def ratio_for(self, scheme: str) -> Decimal:
        return self.ratio_employee if scheme == Scheme.EMPLOYEE else self.ratio_resident


class EntitlementQuerySet(models.QuerySet):
    def in_force_on(self, day: dt.date) -> EntitlementQuerySet:
        return self.filter(status=ReviewStatus.APPROVED, valid_from__lte=day, valid_until__gte=day)


class Entitlement(models.Model):
    """门诊慢特病待遇认定: once approved, outpatient and pharmacy bills for the condition are paid at its
    terms until `valid_until`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(InsuredPerson, on_delete=models.CASCADE, related_name="entitlements",
                               verbose_name=_("参保人"))
    condition = models.ForeignKey(ChronicCondition, on_delete=models.PROTECT, related_name="entitlements",
                                  verbose_name=_("病种"))
    hospital = models.CharField(_("开证明的医院"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ReviewStatus.choices,
                              default=ReviewStatus.PENDING, db_index=True)
    reason = models.CharField(_("退回或不通过的原因"), max_length=200, blank=True)
    valid_from = models.DateField(_("开始日期"), null=True, blank=True)
    valid_until = models.DateField(_("结束日期"), null=True, blank=True)
    via = models.CharField(_("谁办的"), max_length=8, choices=Via.choices, default=Via.SELF)
    submitted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    due_by = models.DateTimeField(_("承诺办结时间"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("审核人"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("门诊慢特病认定")
        verbose_name_plural = _("门诊慢特病认定")
        constraints = [
            # One application or grant per condition at a time (a second press of "submit" finds the first).
            models.UniqueConstraint(fields=["person", "condition"],
                                    condition=Q(status__in=["pending", "returned", "approved"]),
                                    name="one_live_entitlement_per_condition"),
        ]

    def __str__(self) -> str:
        return f"{self.condition} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EntitlementUsage(models.Model):
    """What an entitlement has used of a year's deductible and limit. Changed once per settlement."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="usage")
    year = models.PositiveSmallIntegerField()
    deductible_used = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    fund_paid = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entitlement", "year"], name="one_usage_per_year")]


class Holiday(models.Model):
    """A public holiday (or a weekend made a working day) for counting promised working days."""

    day = models.DateField(_("日期"), unique=True)
    name = models.CharField(_("名称"), max_length=40)
    is_working_day = models.BooleanField(_("调休上班"), default=False,
                                         help_text=_("勾选表示这天是周末但要上班"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")

    def __str__(self) -> str:
        return f"{self.day} {self.name}"
