"""Assist's live events (published through `live`, rendered from assist's templates):

- `assist.family_question` → `#family-notice`: the helper asks her son to approve the session, on his open pages.
- `assist.session_ended` → `#access-notice`: the session is over; the kiosk's sockets stop watching her at once.

Registered at start-up by AssistConfig.ready."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from assist.models import AssistSession
from live import publish, register_fragment, to_user

FAMILY_QUESTION = "assist.family_question"
SESSION_ENDED = "assist.session_ended"


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


def register_assist_live() -> None:
    register_fragment(FAMILY_QUESTION, "family-notice", render_family_question)
    register_fragment(SESSION_ENDED, "access-notice", render_session_ended)
