"""Family's live events (published through `live`, rendered from family's templates):

- `family.access_revoked` → `#access-notice`: a grant ended; the proxy's open sockets stop watching her at
  once, and his page says so (and drops her code and the acting-for banner).
- `family.help_asked` → `#family-notice`: 请家人帮我, on every open page of the family who act for her.

Registered at start-up by FamilyConfig.ready."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from insurance.models import InsuredPerson
from live import Event, publish, publish_all, register_fragment, to_user

ACCESS_REVOKED = "family.access_revoked"
HELP_ASKED = "family.help_asked"


def push_access_revoked(proxy_user_id: int, person_id: int) -> None:
    """On commit: take her away from his open sockets at once and tell his page. If this is lost, the
    consumer's per-message check of the grant still stops the flow."""
    publish(ACCESS_REVOKED, to_user(proxy_user_id), person_id, stop_watching=person_id)


def push_help_asked(proxy_user_ids: list[int], person_id: int) -> None:
    """On commit: 请家人帮我 on every open page of these users."""
    publish_all(Event(HELP_ASKED, to_user(user_id), person_id) for user_id in proxy_user_ids)


def render_access_revoked(person_id: Any, language: str) -> str:
    person = InsuredPerson.objects.filter(pk=person_id).first()
    return render_to_string("family/_access_revoked.html", {"person_id": person_id,
                                                            "name": person.masked_name if person else ""})


def render_help_asked(person_id: Any, language: str) -> str | None:
    person = InsuredPerson.objects.filter(pk=person_id).first()
    return render_to_string("family/_help_notice.html", {"person": person}) if person is not None else None


def register_family_live() -> None:
    register_fragment(ACCESS_REVOKED, "access-notice", render_access_revoked)
    register_fragment(HELP_ASKED, "family-notice", render_help_asked)
