""""要去外地看病？": for a city and a day, is she covered at the filed rate, and what would a visit cost her with
and without a filing. Reads only; the engine does the arithmetic (insurance/engine.py, docs/design.md §5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.db.models import F

from insurance.engine import BillItem, compute_split, year_to_date
from insurance.filings import OPEN_STATUSES, Filing
from insurance.models import InstitutionLevel, InsuredPerson
from insurance.policy import ItemCategory, Locality, PolicyRule, VisitType
from insurance.regions import City

# The example visit: one 1000-yuan outpatient bill of listed (甲类) items at a tertiary hospital.
EXAMPLE_TOTAL = Decimal("1000.00")


class Answer(StrEnum):
    LOCAL = "local"  # her own city: no filing needed
    NOT_CONNECTED = "not_connected"  # no direct settlement there: pay, keep the invoices, claim at home
    COVERED = "covered"  # a filing in force that day
    PENDING = "pending"  # a filing for that city and day is being reviewed or was returned
    NOT_COVERED = "not_covered"


@dataclass(frozen=True)
class Example:
    """Whole yuan, as said to her ("约"); fund + hers == the example total."""

    fund: int
    hers: int


@dataclass(frozen=True)
class TravelCheck:
    answer: Answer
    city: City
    day: dt.date
    filing: Filing | None = None
    filed: Example | None = None
    unfiled: Example | None = None


def _whole_yuan(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def example_for(person: InsuredPerson, locality: str, day: dt.date) -> Example | None:
    """The engine's split of the example bill under her scheme's and region's rule for `locality`, against her
    year so far (the year of `day`). None when the bureau has no such rule."""
    rule = PolicyRule.objects.filter(scheme=person.scheme, region_code=person.region_code,
                                     level=InstitutionLevel.TERTIARY, visit_type=VisitType.OUTPATIENT,
                                     locality=locality).first()
    if rule is None:
        return None
    item = BillItem(code="EXAMPLE", name="", category=ItemCategory.A, quantity=Decimal("1"),
                    unit_price=EXAMPLE_TOTAL)
    split = compute_split([item], rule, year_to_date(person, day.year), scheme=person.scheme,
                          account_balance=person.account_balance, locality=locality)
    fund = _whole_yuan(split.fund_pay)
    return Example(fund=fund, hers=_whole_yuan(EXAMPLE_TOTAL) - fund)


def check_travel(person: InsuredPerson, city: City, day: dt.date) -> TravelCheck:
    if city.code == person.region_code:
        return TravelCheck(Answer.LOCAL, city, day)
    if not city.connected:
        return TravelCheck(Answer.NOT_CONNECTED, city, day)
    filed, unfiled = example_for(person, Locality.OUT_FILED, day), example_for(person, Locality.OUT_UNFILED, day)
    filings = Filing.objects.filter(person=person, region_code=city.code)
    # The one that lasts longest (an open end first) is the one to name: "until when".
    in_force = filings.in_force_on(day).order_by(F("valid_until").desc(nulls_first=True)).first()
    if in_force is not None:
        return TravelCheck(Answer.COVERED, city, day, in_force, filed, unfiled)
    waiting = filings.filter(status__in=OPEN_STATUSES).overlapping(day, day).first()
    if waiting is not None:
        return TravelCheck(Answer.PENDING, city, day, waiting, filed, unfiled)
    return TravelCheck(Answer.NOT_COVERED, city, day, None, filed, unfiled)
