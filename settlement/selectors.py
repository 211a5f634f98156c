"""Reads of settlements for the apps that show them."""

from __future__ import annotations

from insurance.models import Institution
from settlement.models import Settlement
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
