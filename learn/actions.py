"""Practice mode's state changes (练习). Each is one transaction, and its live push goes out on commit.

Deliberately unlike every other app's actions: nothing here writes an audit row, an SMS, or any row of a real
person, voucher, settlement or account (issue 15: "nothing in practice touches real people, vouchers, money or
audit"). The split is a plain pretend one (PRETEND_FUND_SHARE), never the reimbursement engine, so a practice
can never move an accumulator. tests/test_learn_practice.py counts the real tables before and after.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from learn.models import PracticeBill, PracticeKind, PracticeSession, new_secret
from learn.practice_push import push_practice_result, push_seats

PRETEND_FUND_SHARE = Decimal("0.70")  # "医保付七成，自己付三成": easy to check in her head
MAX_SEATS = 60  # a room of phones
MAX_QUANTITY = 9
FEN = Decimal("0.01")


@dataclass(frozen=True)
class PretendItem:
    key: str
    name: str
    unit_price: Decimal


PRETEND_ITEMS: tuple[PretendItem, ...] = (
    PretendItem("reg", gettext_lazy("挂号费"), Decimal("10.00")),
    PretendItem("cold", gettext_lazy("感冒药"), Decimal("18.00")),
    PretendItem("bp", gettext_lazy("降压药"), Decimal("36.50")),
    PretendItem("blood", gettext_lazy("验血"), Decimal("25.00")),
)


class PracticeError(Exception):
    """What we cannot do, in one plain sentence; `expired` when the practice is over (the page offers 重新开始)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message, self.expired = message, expired


def pretend_split(total: Decimal) -> tuple[Decimal, Decimal]:
    """(医保付, 自己付): a plain pretend share, always summing to the total."""
    fund = (total * PRETEND_FUND_SHARE).quantize(FEN, rounding=ROUND_HALF_UP)
    return fund, total - fund


def start_practice() -> PracticeSession:
    """Her own practice: a practice code for her phone and a counter link she may give to someone."""
    with transaction.atomic():
        return PracticeSession.objects.create(kind=PracticeKind.SOLO, counter_secret=new_secret(),
                                              code_token=new_secret())


def start_class() -> PracticeSession:
    """A practice counter for a room: a 6-digit class code the phones join with."""
    for _attempt in range(20):
        code = f"{secrets.randbelow(1_000_000):06d}"
        try:
            with transaction.atomic():
                # An expired class still holding the code gives it up (the beat task may not have run yet).
                PracticeSession.objects.filter(class_code=code, expires_at__lte=timezone.now()).delete()
                return PracticeSession.objects.create(kind=PracticeKind.CLASS, class_code=code,
                                                      counter_secret=new_secret())
        except IntegrityError:
            continue  # the code is in use in another room: draw again
    raise PracticeError(_("现在开课的人太多，请过一会儿再试。"))


def join_class(class_code: str) -> PracticeSession:
    """One phone joins a class: its own seat, its own practice code, the class's counter and expiry."""
    code = (class_code or "").strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise PracticeError(_("课堂号是6位数字，请再看一眼老师给的号码。"))
    with transaction.atomic():
        room = (PracticeSession.objects.select_for_update()
                .filter(class_code=code, kind=PracticeKind.CLASS).first())
        if room is None:
            raise PracticeError(_("没有找到这个课堂号，请再看一眼老师给的6位数字。"))
        if room.is_expired:
            raise PracticeError(_("这个课堂已经结束了。请老师重新开一个课堂。"), expired=True)
        taken = room.seats.count()
        if taken >= MAX_SEATS:
            raise PracticeError(_("这个课堂已经满了，请和旁边的人一起用一部手机练习。"))
        seat = PracticeSession.objects.create(kind=PracticeKind.SEAT, parent=room, seat_number=taken + 1,
                                              code_token=new_secret(), expires_at=room.expires_at)
        push_seats(room.pk)
        return seat


def settle_pretend_bill(*, counter: PracticeSession, seat: PracticeSession,
                        quantities: dict[str, int]) -> PracticeBill:
    """The practice counter "settles" a pretend bill for one phone; her practice page gets the result live."""
    with transaction.atomic():
        counter = PracticeSession.objects.select_for_update().get(pk=counter.pk)
        if counter.is_expired:
            raise PracticeError(_("这次练习已经结束了（练习只保留2小时）。"), expired=True)
        seat = PracticeSession.objects.select_related("parent").filter(pk=seat.pk).first()
        if seat is None or seat.counter_owner.pk != counter.pk:
            raise PracticeError(_("这部手机不在这个练习收费台里，请重新选。"))
        items, total = [], Decimal("0.00")
        for item in PRETEND_ITEMS:
            quantity = int(quantities.get(item.key) or 0)
            if not 0 <= quantity <= MAX_QUANTITY:
                raise PracticeError(_("数量请填0到9。"))
            if quantity:
                amount = (item.unit_price * quantity).quantize(FEN)
                total += amount
                items.append({"name": str(item.name), "unit_price": str(item.unit_price),
                              "quantity": quantity, "amount": str(amount)})
        if not items:
            raise PracticeError(_("请至少选一样东西，再点结算。"))
        fund, self_pay = pretend_split(total)
        bill = PracticeBill.objects.create(session=seat, items=items, total=total, fund_pay=fund, self_pay=self_pay)
        push_practice_result(bill)
        if counter.kind == PracticeKind.CLASS:
            push_seats(counter.pk)
        return bill


def delete_expired_practices(now: dt.datetime | None = None) -> int:
    """Remove practices whose time is up (their seats and pretend bills go with them). Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        deleted, _by_model = PracticeSession.objects.filter(expires_at__lte=now).delete()
    return deleted
