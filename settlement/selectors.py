"""Reads of settlements for the apps that show them."""

from __future__ import annotations

from insurance.models import Institution
from settlement.models import FINAL_STATUSES, Settlement
from vouchers.codes import CodeTokenError, verify_code_token


def settlement_paid_with(code: str, *, institution: Institution, operator) -> Settlement | None:
    """The settlement this institution's operator already made with this code, if the code is still fresh.

    A double click on 提交结算 sends the same code twice; the second is refused as used, and the counter shows
    the first one's result instead of an error. Only the same operator's, and only while the code is within its
    lifetime (a stale code is refused as expired before this is asked)."""
    try:
        claims = verify_code_token(code)
    except CodeTokenError:
        return None
    return (Settlement.objects.select_related("person", "institution")
            .filter(code_nonce=claims.nonce, institution=institution, operator=operator).first())


def finished_settlement_owner(public_id) -> int | None:
    """For the survey after a settlement (core/feedback_events.py): whose it is, once it has finished."""
    return (Settlement.objects.filter(public_id=public_id, status__in=FINAL_STATUSES)
            .values_list("person_id", flat=True).first())
