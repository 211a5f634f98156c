"""The reimbursement engine: hand-computed cases, and properties that hold for every bill."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insurance.engine import BillItem, YearToDate, compute_split
from insurance.policy import PolicyRule

D = Decimal


def rule(deductible="300", ratio="0.80", cap="10000", b_share="0.10") -> PolicyRule:
    return PolicyRule(deductible=D(deductible), ratio=D(ratio), annual_cap=D(cap), b_self_share=D(b_share))


def item(category: str, amount: str, quantity: str = "1") -> BillItem:
    return BillItem("X", "药", category, D(quantity), D(amount))


@pytest.mark.parametrize(
    ("items", "ytd", "scheme", "balance", "expected"),
    [
        # 100 yuan of A items, deductible already met, 85%: fund 85, self 15 (no personal account).
        ([item("A", "100")], YearToDate(D("300"), D("0")), "resident", "0", ("85.00", "0.00", "15.00")),
        # First visit of the year: 300 deductible, then 80% of 200 = 160.
        ([item("A", "500")], YearToDate(), "resident", "0", ("160.00", "0.00", "340.00")),
        # B item: 10% self-share first (20), then 80% of 180 = 144.
        ([item("B", "200")], YearToDate(D("300"), D("0")), "resident", "0", ("144.00", "0.00", "56.00")),
        # C item: all self-pay.
        ([item("C", "99.99")], YearToDate(D("300"), D("0")), "resident", "0", ("0.00", "0.00", "99.99")),
        # Employee: the account pays the eligible rest (and the B share), never the C item.
        ([item("A", "100"), item("B", "100"), item("C", "30")], YearToDate(D("300"), D("0")), "employee", "1000",
         ("152.00", "48.00", "30.00")),
        # Employee with little balance left: the account pays what it has.
        ([item("A", "100")], YearToDate(D("300"), D("0")), "employee", "5.50", ("80.00", "5.50", "14.50")),
        # Cap nearly reached: the fund pays only what is left of it.
        ([item("A", "1000")], YearToDate(D("300"), D("9950")), "resident", "0", ("50.00", "0.00", "950.00")),
        # Rounding to the fen, half up: 3 x 0.335 = 1.005 -> 1.01; 80% = 0.808 -> 0.81.
        ([item("A", "0.34", "3")], YearToDate(D("300"), D("0")), "resident", "0", ("0.82", "0.00", "0.20")),
    ],
)
def test_hand_computed_splits(items, ytd, scheme, balance, expected):
    ratio = "0.85" if expected == ("85.00", "0.00", "15.00") else "0.80"
    split = compute_split(items, rule(ratio=ratio), ytd, scheme=scheme, account_balance=D(balance))
    assert (str(split.fund_pay), str(split.account_pay), str(split.self_pay)) == expected
    assert split.fund_pay + split.account_pay + split.self_pay == split.total


money = st.decimals(min_value=D("0.01"), max_value=D("20000"), places=2)
quantity = st.decimals(min_value=D("0.001"), max_value=D("50"), places=3)
items_st = st.lists(st.builds(lambda c, q, p: BillItem("X", "药", c, q, p), st.sampled_from("ABC"), quantity, money),
                    min_size=1, max_size=12)
ratio_st = st.decimals(min_value=D("0"), max_value=D("1"), places=3)


@settings(max_examples=300, deadline=None)
@given(items=items_st, deductible=money, ratio=ratio_st, cap=money, used=money, paid=money, balance=money,
       scheme=st.sampled_from(["employee", "resident"]), b_share=ratio_st)
def test_every_split_adds_up_to_the_fen_and_nothing_is_negative(items, deductible, ratio, cap, used, paid, balance,
                                                                scheme, b_share):
    r = rule(str(deductible), str(ratio), str(cap), str(b_share))
    split = compute_split(items, r, YearToDate(used, paid), scheme=scheme, account_balance=balance)
    assert split.fund_pay + split.account_pay + split.self_pay == split.total
    assert min(split.fund_pay, split.account_pay, split.self_pay) >= 0
    assert split.fund_pay <= max(D("0"), cap - paid)
    assert split.account_pay <= balance
    assert split.self_pay >= split.category_c
    assert split.fund_pay.as_tuple().exponent == -2
    if scheme == "resident":
        assert split.account_pay == 0
