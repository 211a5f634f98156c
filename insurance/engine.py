"""The reimbursement engine (docs/design.md §5): a pure function from a bill and a person's year so far to a split.

fund_pay + account_pay + self_pay == total, always, to the fen. Nothing here writes; `book_split`
in insurance/actions.py books the result once.

Which numbers a bill is paid at (`Terms`) is chosen by `plan_for`: the policy rule for her scheme, the
institution's level, the visit type and where she is (in her region, out of it with a filing in force, or
without one), or, for an outpatient or pharmacy bill for a chronic condition she holds an entitlement for
on the visit day, the condition's own terms (门诊慢特病) with that entitlement's own year-to-date usage.
The split keeps the numbers it used, so "why I paid this" (insurance/explain.py) can be written from a
stored breakdown alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_noop as _

from insurance.filings import ChronicCondition, Entitlement, EntitlementUsage, Filing
from insurance.models import Institution, InsuredPerson, Scheme
from insurance.policy import Accumulator, ItemCategory, Locality, PolicyRule, VisitType

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def yuan(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


class NoPolicy(Exception):
    """No reimbursement rule covers this case: the bill cannot be settled automatically."""


@dataclass(frozen=True)
class BillItem:
    code: str
    name: str
    category: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return yuan(self.quantity * self.unit_price)


@dataclass(frozen=True)
class YearToDate:
    deductible_used: Decimal = ZERO
    fund_paid: Decimal = ZERO


class TermsKind:
    POLICY = "policy"
    CHRONIC = "chronic"


@dataclass(frozen=True)
class Terms:
    """The numbers a bill is paid at: a policy rule's, or a chronic condition's (with the rule's B share)."""

    deductible: Decimal
    ratio: Decimal
    annual_cap: Decimal
    b_self_share: Decimal
    kind: str = TermsKind.POLICY
    condition: str = ""  # the condition's name when kind is chronic

    @classmethod
    def of_rule(cls, rule: PolicyRule | Terms) -> Terms:
        if isinstance(rule, Terms):
            return rule
        return cls(deductible=rule.deductible, ratio=rule.ratio, annual_cap=rule.annual_cap,
                   b_self_share=rule.b_self_share)

    @classmethod
    def of_condition(cls, condition: ChronicCondition, scheme: str, rule: PolicyRule) -> Terms:
        # Conditions carry no B share of their own: 乙类 items keep the ordinary self-share first.
        return cls(deductible=condition.deductible, ratio=condition.ratio_for(scheme), annual_cap=condition.annual_cap,
                   b_self_share=rule.b_self_share, kind=TermsKind.CHRONIC, condition=condition.name)


# Notes are stored as the Chinese msgid and translated where they are shown (like a settlement's reason).
NOTE_NO_ENTITLEMENT = _("没有门诊慢特病认定，按普通门诊报销。")
NOTE_CHRONIC_NOT_INPATIENT = _("住院不按门诊慢特病报销，按住院的规定报销。")
NOTE_CHRONIC_NEEDS_FILING = _("在外地看病没有备案，不能按门诊慢特病报销，按普通规定报销。")


@dataclass(frozen=True)
class Split:
    total: Decimal
    fund_pay: Decimal
    account_pay: Decimal
    self_pay: Decimal
    eligible: Decimal
    deductible_part: Decimal
    capped_part: Decimal
    category_c: Decimal
    b_self_part: Decimal
    ratio: Decimal
    locality: str
    notes: list[str] = field(default_factory=list)
    # The terms used and the year so far they were applied against, kept for the explanation.
    terms: str = TermsKind.POLICY
    condition: str = ""
    deductible: Decimal = ZERO
    annual_cap: Decimal = ZERO
    b_self_share: Decimal = ZERO
    ytd_deductible_used: Decimal = ZERO
    ytd_fund_paid: Decimal = ZERO
    region_code: str = ""  # where she was treated
    visit_type: str = ""

    AMOUNTS = ("total", "fund_pay", "account_pay", "self_pay", "eligible", "deductible_part", "capped_part",
               "category_c", "b_self_part", "ratio", "deductible", "annual_cap", "b_self_share",
               "ytd_deductible_used", "ytd_fund_paid")

    def as_dict(self) -> dict[str, str | list[str]]:
        """The stored breakdown: amounts as decimal strings, with the terms and notes (msgids)."""
        return {k: str(getattr(self, k)) for k in self.AMOUNTS} | {
            "locality": self.locality, "terms": self.terms, "condition": self.condition,
            "region_code": self.region_code, "visit_type": self.visit_type, "notes": list(self.notes)}


def compute_split(
    items: list[BillItem], rule: PolicyRule | Terms, ytd: YearToDate, *, scheme: str, account_balance: Decimal,
    locality: str = Locality.IN_REGION,
) -> Split:
    rule = Terms.of_rule(rule)
    total = sum((item.amount for item in items), ZERO)
    category_c = sum((i.amount for i in items if i.category == ItemCategory.C), ZERO)
    b_amount = sum((i.amount for i in items if i.category == ItemCategory.B), ZERO)
    a_amount = sum((i.amount for i in items if i.category == ItemCategory.A), ZERO)
    b_self_part = yuan(b_amount * rule.b_self_share)
    eligible = a_amount + b_amount - b_self_part

    deductible_left = yuan(max(ZERO, rule.deductible - ytd.deductible_used))
    deductible_part = min(eligible, deductible_left)
    above = eligible - deductible_part
    cap_left = yuan(max(ZERO, rule.annual_cap - ytd.fund_paid))
    uncapped_fund = yuan(above * rule.ratio)
    fund_pay = min(uncapped_fund, cap_left)
    capped_part = uncapped_fund - fund_pay

    # Employees' personal account pays what is left of the eligible bill (and the B self-share) while
    # the balance lasts; category C is always out of pocket.
    account_pay = ZERO
    if scheme == Scheme.EMPLOYEE:
        payable_by_account = total - fund_pay - category_c
        account_pay = yuan(max(ZERO, min(account_balance, payable_by_account)))
    self_pay = total - fund_pay - account_pay
    return Split(total=total, fund_pay=fund_pay, account_pay=account_pay, self_pay=self_pay, eligible=eligible,
                 deductible_part=deductible_part, capped_part=capped_part, category_c=category_c,
                 b_self_part=b_self_part, ratio=rule.ratio, locality=locality, terms=rule.kind,
                 condition=rule.condition, deductible=rule.deductible, annual_cap=rule.annual_cap,
                 b_self_share=rule.b_self_share, ytd_deductible_used=ytd.deductible_used,
                 ytd_fund_paid=ytd.fund_paid)


def locality_for(person: InsuredPerson, institution: Institution, on: dt.date) -> str:
    if person.region_code == institution.region_code:
        return Locality.IN_REGION
    filed = Filing.objects.filter(person=person, region_code=institution.region_code).in_force_on(on).exists()
    return Locality.OUT_FILED if filed else Locality.OUT_UNFILED


def rule_for(person: InsuredPerson, institution: Institution, visit_type: str, locality: str) -> PolicyRule:
    rule = PolicyRule.objects.filter(
        scheme=person.scheme, region_code=person.region_code, level=institution.level,
        visit_type=visit_type, locality=locality,
    ).first()
    if rule is None:
        raise NoPolicy(f"no rule for {person.scheme}/{person.region_code}/{institution.level}/{visit_type}/{locality}")
    return rule


def year_to_date(person: InsuredPerson, year: int) -> YearToDate:
    acc = Accumulator.objects.filter(person=person, year=year).first()
    if acc is None:
        return YearToDate()
    return YearToDate(deductible_used=acc.deductible_used, fund_paid=acc.fund_paid)


def entitlement_year_to_date(entitlement: Entitlement, year: int) -> YearToDate:
    usage = EntitlementUsage.objects.filter(entitlement=entitlement, year=year).first()
    if usage is None:
        return YearToDate()
    return YearToDate(deductible_used=usage.deductible_used, fund_paid=usage.fund_paid)


@dataclass(frozen=True)
class Plan:
    """Which terms a bill gets, and whose year-to-date they run against: the entitlement's when it is set,
    otherwise her ordinary Accumulator."""

    locality: str
    terms: Terms
    entitlement: Entitlement | None = None
    notes: tuple[str, ...] = ()


def plan_for(person: InsuredPerson, institution: Institution, visit_type: str, on: dt.date,
             condition: ChronicCondition | None = None) -> Plan:
    """The terms for this bill. A chronic condition's terms apply only to outpatient and pharmacy bills, with
    an entitlement in force on the visit day, and out of her region only with a filing in force; otherwise the
    ordinary rule applies and a note says why."""
    locality = locality_for(person, institution, on)
    rule = rule_for(person, institution, visit_type, locality)
    terms = Terms.of_rule(rule)
    if condition is None:
        return Plan(locality, terms)
    if visit_type == VisitType.INPATIENT:
        return Plan(locality, terms, notes=(NOTE_CHRONIC_NOT_INPATIENT,))
    entitlement = (Entitlement.objects.filter(person=person, condition=condition).in_force_on(on)
                   .select_related("condition").first())
    if entitlement is None:
        return Plan(locality, terms, notes=(NOTE_NO_ENTITLEMENT,))
    if locality == Locality.OUT_UNFILED:
        return Plan(locality, terms, notes=(NOTE_CHRONIC_NEEDS_FILING,))
    return Plan(locality, Terms.of_condition(condition, person.scheme, rule), entitlement=entitlement)


def split_for(items: list[BillItem], plan: Plan, ytd: YearToDate, *, person: InsuredPerson,
              institution: Institution, visit_type: str, account_balance: Decimal) -> Split:
    split = compute_split(items, plan.terms, ytd, scheme=person.scheme, account_balance=account_balance,
                          locality=plan.locality)
    return replace(split, notes=list(plan.notes), region_code=institution.region_code, visit_type=visit_type)


def quote(person: InsuredPerson, institution: Institution, visit_type: str, items: list[BillItem],
          on: dt.date, condition: ChronicCondition | None = None) -> Split:
    """The split this bill would get now, without booking anything (pre-settlement, 看病前算一算)."""
    plan = plan_for(person, institution, visit_type, on, condition)
    if plan.entitlement is not None:
        ytd = entitlement_year_to_date(plan.entitlement, on.year)
    else:
        ytd = year_to_date(person, on.year)
    return split_for(items, plan, ytd, person=person, institution=institution, visit_type=visit_type,
                     account_balance=person.account_balance)
