"""The reimbursement engine (docs/design.md §5): a pure function from a bill and a person's year so far to a split.

fund_pay + account_pay + self_pay == total, always, to the fen. Nothing here writes; `apply_split`
in insurance/actions.py books the result once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from insurance.filings import Filing
from insurance.models import Institution, InsuredPerson, Scheme
from insurance.policy import Accumulator, ItemCategory, Locality, PolicyRule

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

    def as_dict(self) -> dict[str, str]:
        return {k: str(getattr(self, k)) for k in ("total", "fund_pay", "account_pay", "self_pay", "eligible",
                                                    "deductible_part", "capped_part", "category_c", "b_self_part",
                                                    "ratio")} | {"locality": self.locality}


def compute_split(
    items: list[BillItem], rule: PolicyRule, ytd: YearToDate, *, scheme: str, account_balance: Decimal,
    locality: str = Locality.IN_REGION,
) -> Split:
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
                 b_self_part=b_self_part, ratio=rule.ratio, locality=locality)


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


def quote(person: InsuredPerson, institution: Institution, visit_type: str, items: list[BillItem],
          on: dt.date) -> Split:
    """The split this bill would get now, without booking anything (used for pre-settlement)."""
    locality = locality_for(person, institution, on)
    rule = rule_for(person, institution, visit_type, locality)
    return compute_split(items, rule, year_to_date(person, on.year), scheme=person.scheme,
                         account_balance=person.account_balance, locality=locality)
