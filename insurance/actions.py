"""Booking a settlement in the insurance core: accumulators and the personal account, exactly once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from insurance.engine import BillItem, Split, YearToDate, plan_for, split_for
from insurance.filings import ChronicCondition, EntitlementUsage
from insurance.models import InsuredPerson
from insurance.policy import Accumulator


def book_split(person_id: int, institution, visit_type: str, items: list[BillItem], on: dt.date,
               condition: ChronicCondition | None = None, *, use_account: bool = True) -> Split:
    """Recompute the split under row locks and book it. The caller guarantees it runs once per settlement
    (it is called inside the caller's transaction, after the caller's compare-and-set).

    A bill paid at a chronic condition's terms is booked on that entitlement's usage for the year, not on
    her ordinary Accumulator (docs/design.md §5: year-to-date figures change once per settlement)."""
    assert transaction.get_connection().in_atomic_block, "book_split must run inside the settlement's transaction"
    person = InsuredPerson.objects.select_for_update().get(pk=person_id)
    plan = plan_for(person, institution, visit_type, on, condition)
    if plan.entitlement is not None:
        ledger, _created = EntitlementUsage.objects.select_for_update().get_or_create(
            entitlement=plan.entitlement, year=on.year)
    else:
        ledger, _created = Accumulator.objects.select_for_update().get_or_create(person=person, year=on.year)
    split = split_for(items, plan, YearToDate(ledger.deductible_used, ledger.fund_paid), person=person,
                      institution=institution, visit_type=visit_type,
                      account_balance=person.account_balance if use_account else Decimal("0.00"))
    type(ledger).objects.filter(pk=ledger.pk).update(
        deductible_used=F("deductible_used") + split.deductible_part, fund_paid=F("fund_paid") + split.fund_pay,
    )
    if split.account_pay:
        InsuredPerson.objects.filter(pk=person.pk).update(account_balance=F("account_balance") - split.account_pay)
    return split


def book_claim_split(person_id: int, institution, visit_type: str, items: list[BillItem], on: dt.date,
                     condition: ChronicCondition | None = None) -> Split:
    """An approved 手工报销: the split with the rules of the visit day (filings and entitlements in force on
    `on`), booked on her year's accumulators. She has already paid the whole bill herself, so her personal
    account pays nothing now: the fund's share is what is paid back to her. `institution` may be an unsaved
    Institution (a hospital typed by name): only its level and region_code are read. The caller guarantees it
    runs once per claim (the claim's `booked` flag, set in the same transaction)."""
    return book_split(person_id, institution, visit_type, items, on, condition, use_account=False)
