"""Booking a settlement in the insurance core: accumulators and the personal account, exactly once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from insurance.engine import BillItem, Split, YearToDate, compute_split, locality_for, rule_for
from insurance.models import InsuredPerson
from insurance.policy import Accumulator


def book_split(person_id: int, institution, visit_type: str, items: list[BillItem], on: dt.date) -> Split:
    """Recompute the split under row locks and book it. The caller guarantees it runs once per settlement
    (it is called inside the caller's transaction, after the caller's compare-and-set)."""
    assert transaction.get_connection().in_atomic_block, "book_split must run inside the settlement's transaction"
    person = InsuredPerson.objects.select_for_update().get(pk=person_id)
    acc, _created = Accumulator.objects.select_for_update().get_or_create(person=person, year=on.year)
    locality = locality_for(person, institution, on)
    rule = rule_for(person, institution, visit_type, locality)
    split = compute_split(items, rule, YearToDate(acc.deductible_used, acc.fund_paid), scheme=person.scheme,
                          account_balance=person.account_balance, locality=locality)
    Accumulator.objects.filter(pk=acc.pk).update(
        deductible_used=F("deductible_used") + split.deductible_part, fund_paid=F("fund_paid") + split.fund_pay,
    )
    if split.account_pay:
        InsuredPerson.objects.filter(pk=person.pk).update(account_balance=F("account_balance") - split.account_pay)
    return split
