"""Assist's live events (published through `live`, rendered from assist's templates):

- `assist.family_question` → `#family-notice`: the helper asks her son to approve the session, on his open pages.
- `assist.session_ended` → `#access-notice`: the session is over; the kiosk's sockets stop watching her at once.
- `assist.visit` → `#visit-status` (each fragment names its own `#visit-<public_id>`, hx-swap-oob): a home visit's
  status on her pages and on those of the proxies told of her requests (core.acting_for.people_to_tell).

Registered at start-up by AssistConfig.ready."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from assist.models import AssistSession, HomeVisit
from core.acting_for import people_to_tell
from live import Event, publish, publish_all, register_fragment, to_person, to_user

FAMILY_QUESTION = "assist.family_question"
SESSION_ENDED = "assist.session_ended"
VISIT = "assist.visit"


def push_family_question(proxy_user_id: int, session_id: int) -> None:
    """On commit: the question on every open page of the family member asked."""
    publish(FAMILY_QUESTION, to_user(proxy_user_id), session_id)


def push_session_ended(helper_user_id: int, person_id: int) -> None:
    """On commit: the helper's open sockets stop watching her at once. If this is lost, the consumer's
    per-message check (is the session still open?) still stops the flow."""
    publish(SESSION_ENDED, to_user(helper_user_id), person_id, stop_watching=person_id)


def render_family_question(session_id: Any, language: str) -> str | None:
    session = AssistSession.objects.select_related("helper", "citizen").filter(pk=session_id).first()
    return render_to_string("assist/_family_question.html", {"session": session}) if session is not None else None


def render_session_ended(person_id: Any, language: str) -> str:
    return render_to_string("assist/_session_ended.html", {})


def push_visit(visit_id: int) -> None:
    """On commit: the visit's status on her open pages and on those of the family told of her requests. The id,
    not the object: drawn from what the database holds once the change has committed."""
    visit = HomeVisit.objects.select_related("person").filter(pk=visit_id).first()
    if visit is None:
        return
    events = [Event(VISIT, to_person(visit.person_id), visit.pk)]
    events += [Event(VISIT, to_user(user.pk), visit.pk) for user in people_to_tell(visit.person)]
    publish_all(events)


def render_visit(visit_id: Any, language: str) -> str | None:
    visit = HomeVisit.objects.select_related("helper").filter(pk=visit_id).first()
    if visit is None:
        return None
    return render_to_string("assist/_visit_status.html", {"v": visit, "live": True})


def register_assist_live() -> None:
    register_fragment(FAMILY_QUESTION, "family-notice", render_family_question)
    register_fragment(SESSION_ENDED, "access-notice", render_session_ended)
    register_fragment(VISIT, "visit-status", render_visit)
