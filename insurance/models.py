"""The insurance core as seen by the portal: insured people, institutions, contributions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.fields import EncryptedTextField
from core.masking import mask_id_number, mask_name, mask_phone
from insurance.identity import parse_id_number
from insurance.regions import region_name


class Scheme(models.TextChoices):
    EMPLOYEE = "employee", _("职工医保")
    RESIDENT = "resident", _("居民医保")


class EnrollmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("正常参保")
    PAUSED = "paused", _("暂停参保")
    ENDED = "ended", _("终止参保")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class InsuredPersonQuerySet(models.QuerySet):
    def with_id_number(self, id_number: str) -> InsuredPersonQuerySet:
        return self.filter(id_index=crypto.blind_index("id", id_number))

    def with_phone(self, phone_e164: str) -> InsuredPersonQuerySet:
        return self.filter(phone_index=crypto.blind_index("phone", phone_e164))


class InsuredPerson(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("姓名"), max_length=40)
    id_number = EncryptedTextField(_("身份证号"))
    id_index = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("登记手机号"))
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    scheme = models.CharField(_("险种"), max_length=16, choices=Scheme.choices)
    region_code = models.CharField(_("参保地"), max_length=6)
    status = models.CharField(
        _("参保状态"), max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ENROLLED
    )
    enrolled_since = models.DateField(_("参保日期"))
    account_balance = models.DecimalField(_("个人账户余额"), max_digits=12, decimal_places=2, default=Decimal("0"))
    household_id = models.CharField(_("户号"), max_length=32, blank=True, db_index=True)
    # The bank account the bureau has on file for paying her back (手工报销); shown masked only.
    bank_name = models.CharField(_("开户银行"), max_length=40, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)

    objects = InsuredPersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("参保人")
        verbose_name_plural = _("参保人")

    def __str__(self) -> str:
        return f"{self.masked_name} ({self.masked_id_number})"

    def save(self, *args, **kwargs) -> None:
        # Gender and birth date are read from the ID number, so they can never disagree with it.
        parsed = parse_id_number(self.id_number)
        self.id_number, self.birth_date, self.gender = parsed.value, parsed.birth_date, parsed.gender
        # The lookup indexes always follow the clear values they stand for.
        self.id_index = crypto.blind_index("id", self.id_number)
        self.phone_index = crypto.blind_index("phone", self.phone)
        super().save(*args, **kwargs)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def region_name(self) -> str:
        return region_name(self.region_code)

    @property
    def masked_bank_account(self) -> str:
        digits = "".join(ch for ch in (self.bank_account or "") if ch.isdigit())
        return f"**** {digits[-4:]}" if len(digits) >= 4 else ""

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


class InstitutionLevel(models.TextChoices):
    TERTIARY = "tertiary", _("三级医院")
    SECONDARY = "secondary", _("二级医院")
    PRIMARY = "primary", _("基层医疗机构")
    PHARMACY = "pharmacy", _("定点药店")


class Institution(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("机构编码"), max_length=32, unique=True)
    name = models.CharField(_("机构名称"), max_length=100)
    level = models.CharField(_("机构等级"), max_length=16, choices=InstitutionLevel.choices)
    region_code = models.CharField(_("所在地"), max_length=6)
    api_key_id = models.CharField(_("接口密钥编号"), max_length=40, unique=True)
    api_secret = EncryptedTextField(_("接口密钥"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("定点机构")
        verbose_name_plural = _("定点机构")

    def __str__(self) -> str:
        return self.name

    @property
    def region_name(self) -> str:
        return region_name(self.region_code)


class OfflineTerminal(models.Model):
    """A counter allowed to settle without network and upload later (docs/architecture.md, "Offline
    counters"). It has its own credential: the key id and secret sign `/api/v1/settlements/batch`, and a
    browser enrolled with them carries a cookie token of which only the hash is kept. Revoking it
    (is_active off) stops both at once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="offline_terminals",
                                    verbose_name=_("定点机构"))
    name = models.CharField(_("名称"), max_length=60)
    location = models.CharField(_("地点"), max_length=120)
    key_id = models.CharField(_("终端密钥编号"), max_length=40, unique=True, editable=False)
    secret = EncryptedTextField(_("终端密钥"))
    browser_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("离线收费终端")
        verbose_name_plural = _("离线收费终端")

    def __str__(self) -> str:
        return f"{self.name}（{self.location}）"


class Contribution(models.Model):
    """One payment into a person's insurance (缴费记录)."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.CASCADE, related_name="contributions")
    period = models.CharField(_("缴费期"), max_length=7)  # "2026" for residents, "2026-03" for employees
    amount = models.DecimalField(_("缴费金额"), max_digits=10, decimal_places=2)
    account_credit = models.DecimalField(_("划入个人账户"), max_digits=10, decimal_places=2, default=Decimal("0"))
    paid_on = models.DateField(_("缴费日期"))
    payer = models.CharField(_("缴费方"), max_length=40)

    class Meta:
        verbose_name = _("缴费记录")
        verbose_name_plural = _("缴费记录")
        ordering = ["-paid_on"]
        constraints = [models.UniqueConstraint(fields=["person", "period"], name="one_contribution_per_period")]

    def __str__(self) -> str:
        return f"{self.period} {self.amount}"


class ContributionRate(models.Model):
    """What a resident (城乡居民) pays for a year in a region, and by when: admin data, one row per region-year."""

    region_code = models.CharField(_("参保地"), max_length=6)
    year = models.PositiveSmallIntegerField(_("缴费年度"))
    scheme = models.CharField(_("险种"), max_length=16, choices=Scheme.choices, default=Scheme.RESIDENT)
    amount = models.DecimalField(_("个人缴费（元/年）"), max_digits=10, decimal_places=2)
    opens_on = models.DateField(_("开始缴费日期"))
    closes_on = models.DateField(_("缴费截止日期"))

    class Meta:
        ordering = ["region_code", "-year"]
        verbose_name = _("居民医保缴费标准")
        verbose_name_plural = _("居民医保缴费标准")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "year", "scheme"], name="one_rate_per_region_year"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{region_name(self.region_code)} {self.year} {self.amount}"


# Policy tables live in their own module; imported here so Django finds the models.
from insurance.filings import (  # noqa: E402, F401
    ChronicCondition,
    Entitlement,
    EntitlementUsage,
    Filing,
    FilingRequirement,
    FilingRule,
    Holiday,
)
from insurance.policy import Accumulator, ItemCategory, Locality, PolicyRule, VisitType  # noqa: E402, F401
