"""The "不是我本人" link sent with each offline-settlement SMS: signed, expiring, and naming whom it was sent
to (her, or one proxy), so a report says who made it without anyone signing in.

The token is `<settlement public id hex>.<p | u<user pk>>` signed with a timestamp (django.core.signing,
its own salt); it is good for OFFLINE_DISPUTE_LINK_DAYS.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse

from settlement.models import Reporter, Settlement

_SALT = "settlement.not-me"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def not_me_token(settlement: Settlement, user=None) -> str:
    """`user` is the proxy the SMS goes to; None for her own phone."""
    recipient = f"u{user.pk}" if user is not None else "p"
    return _signer().sign(f"{settlement.public_id.hex}.{recipient}")


def not_me_url(settlement: Settlement, user=None) -> str:
    path = reverse("settlement:not_me", kwargs={"token": not_me_token(settlement, user)})
    return f"{settings.PORTAL_PUBLIC_URL}{path}"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


@dataclass(frozen=True)
class NotMeLink:
    settlement: Settlement
    reporter: str
    user: object | None


def read_not_me_token(token: str) -> NotMeLink:
    """The settlement and recipient the link was made for. LinkExpired or LinkInvalid otherwise."""
    if not token or len(token) > 300:
        raise LinkInvalid
    try:
        value = _signer().unsign(token, max_age=dt.timedelta(days=settings.OFFLINE_DISPUTE_LINK_DAYS))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    public_hex, _, recipient = value.partition(".")
    try:
        public_id = uuid.UUID(hex=public_hex)
    except ValueError:
        raise LinkInvalid from None
    settlement = (Settlement.objects.select_related("institution", "person").filter(public_id=public_id, offline=True)
                  .first())
    if settlement is None:
        raise LinkInvalid
    if recipient == "p":
        # Her own phone: the report is hers, from her account when she has one.
        return NotMeLink(settlement, Reporter.PRINCIPAL, getattr(settlement.person, "user", None))
    if recipient.startswith("u") and recipient[1:].isdigit():

        user = get_user_model().objects.filter(pk=int(recipient[1:])).first()
        return NotMeLink(settlement, Reporter.PROXY, user)
    raise LinkInvalid
