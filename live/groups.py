"""Channel-layer group names. They hold ids only (never names, phones or session keys), so nothing personal
reaches Redis."""

from __future__ import annotations

from django.utils.crypto import salted_hmac


def person_group(person_id: int) -> str:
    """Her own open pages (the insured person signed in as herself)."""
    return f"live.person.{person_id}"


def watchers_group(person_id: int) -> str:
    """Everyone else watching a person (proxies with view_settlements, a helper kiosk serving her)."""
    return f"live.watchers.{person_id}"


def user_group(user_id: int) -> str:
    """Every status socket of one user: notices for him, and taking a watched person away at once."""
    return f"live.user.{user_id}"


def institution_group(institution_id: int) -> str:
    """The counters of one institution."""
    return f"live.institution.{institution_id}"


def session_group(session_key: str) -> str:
    """Every socket opened under one signed-in browser session, so ending the session closes them all.
    Named by a keyed hash of the session key: the key itself (a bearer secret) never reaches Redis."""
    digest = salted_hmac("live.session-group", session_key, algorithm="sha256").hexdigest()[:40]
    return f"live.session.{digest}"
