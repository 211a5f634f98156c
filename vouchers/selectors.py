from __future__ import annotations

from insurance.models import InsuredPerson
from vouchers.models import Voucher, VoucherStatus


def voucher_of(person: InsuredPerson | None) -> Voucher | None:
    """Her voucher as it is now in the database."""
    if person is None:
        return None
    return Voucher.objects.filter(person=person).first()


def voucher_as_loaded(person: InsuredPerson | None) -> Voucher | None:
    """Her voucher as loaded with the signed-in user at the start of this request (accounts/backends.py), for
    pages that only show it: one query fewer on her code page. Anything that changes it reads `voucher_of`."""
    if person is None:
        return None
    try:
        return person.voucher
    except Voucher.DoesNotExist:
        return None


def voucher_status_of(person: InsuredPerson | None) -> str:
    voucher = voucher_of(person)
    return voucher.status if voucher else VoucherStatus.INACTIVE
