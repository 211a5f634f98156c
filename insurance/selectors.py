"""Read-only queries on the insurance core."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from insurance.models import Institution, InsuredPerson, OfflineTerminal


def person_by_id_number(id_number: str) -> InsuredPerson | None:
    return InsuredPerson.objects.with_id_number(id_number).first()


def institution_by_key_id(key_id: str) -> Institution | None:
    return Institution.objects.filter(api_key_id=key_id).first()


def recent_contributions(person: InsuredPerson, limit: int = 12):
    return person.contributions.all()[:limit]


# --- credentials for the institution API and offline counters ----------------------------------------------


@dataclass(frozen=True)
class Credential:
    """Who signed a request: the institution, and the offline terminal when its own key was used."""

    institution: Institution
    terminal: OfflineTerminal | None
    secret: str


def credential_by_key_id(key_id: str) -> Credential | None:
    """An institution's own key, or one of its active offline terminals' keys (an institution key wins if both
    ever had the same id, so a terminal can never stand in for an institution)."""
    institution = Institution.objects.filter(api_key_id=key_id).first()
    if institution is not None:
        return Credential(institution, None, institution.api_secret)
    # A revoked terminal's key is unknown from the moment it is revoked.
    terminal = OfflineTerminal.objects.select_related("institution").filter(key_id=key_id, is_active=True).first()
    if terminal is not None:
        return Credential(terminal.institution, terminal, terminal.secret)
    return None


def terminal_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def terminal_for_browser(token: str, institution_id: int | None) -> OfflineTerminal | None:
    """The active offline terminal of this institution that this browser's cookie token stands for."""
    if not token or len(token) > 200 or institution_id is None:
        return None
    return OfflineTerminal.objects.filter(browser_token_hash=terminal_token_hash(token), institution_id=institution_id,
                                          is_active=True).first()
