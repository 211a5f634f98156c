from __future__ import annotations

from insurance.models import InsuredPerson
from vouchers.models import Voucher, VoucherStatus


def voucher_of(person: InsuredPerson | None) -> Voucher | None:
    if person is None:
        return None
    return Voucher.objects.filter(person=person).first()


def voucher_status_of(person: InsuredPerson | None) -> str:
    voucher = voucher_of(person)
    return voucher.status if voucher else VoucherStatus.INACTIVE
