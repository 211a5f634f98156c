"""Policy tables (admin-editable data) and the year-to-date accumulators they are applied against."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from insurance.models import InstitutionLevel, InsuredPerson, Scheme


class VisitType(models.TextChoices):
    OUTPATIENT = "outpatient", _("门诊")
    INPATIENT = "inpatient", _("住院")
    PHARMACY = "pharmacy", _("药店购药")


class Locality(models.TextChoices):
    IN_REGION = "in_region", _("本地就医")
    OUT_FILED = "out_filed", _("异地就医（已备案）")
    OUT_UNFILED = "out_unfiled", _("异地就医（未备案）")


class ItemCategory(models.TextChoices):
    A = "A", _("甲类")
    B = "B", _("乙类")
    C = "C", _("丙类")


class PolicyRule(models.Model):
    """One row of the reimbursement table: who, where, what kind of visit, and the numbers."""

    scheme = models.CharField(_("险种"), max_length=16, choices=Scheme.choices)
    region_code = models.CharField(_("参保地"), max_length=6)
    level = models.CharField(_("机构等级"), max_length=16, choices=InstitutionLevel.choices)
    visit_type = models.CharField(_("就诊类型"), max_length=16, choices=VisitType.choices)
    locality = models.CharField(_("就医地"), max_length=16, choices=Locality.choices)
    deductible = models.DecimalField(_("起付线（元/年）"), max_digits=10, decimal_places=2)
    ratio = models.DecimalField(_("报销比例"), max_digits=4, decimal_places=3,
                                help_text=_("0到1之间，例如0.85表示报销85%"))
    annual_cap = models.DecimalField(_("封顶线（元/年）"), max_digits=12, decimal_places=2)
    b_self_share = models.DecimalField(_("乙类先自付比例"), max_digits=4, decimal_places=3, default=Decimal("0.100"))

    class Meta:
        verbose_name = _("报销规则")
        verbose_name_plural = _("报销规则")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "region_code", "level", "visit_type", "locality"],
                                    name="one_rule_per_case"),
            models.CheckConstraint(condition=models.Q(ratio__gte=0, ratio__lte=1), name="ratio_between_0_and_1"),
            models.CheckConstraint(condition=models.Q(b_self_share__gte=0, b_self_share__lte=1),
                                   name="b_share_between_0_and_1"),
            models.CheckConstraint(condition=models.Q(deductible__gte=0, annual_cap__gte=0), name="amounts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.region_code} {self.get_level_display()} " \
               f"{self.get_visit_type_display()} {self.get_locality_display()}"


class Accumulator(models.Model):
    """What a person has used of this year's deductible and fund cap. Changed once per settlement."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.CASCADE, related_name="accumulators")
    year = models.PositiveSmallIntegerField()
    deductible_used = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    fund_paid = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="one_accumulator_per_year")]
