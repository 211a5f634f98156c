"""Publishing events to open pages. An app calls `publish(kind, audience, ref)` inside its action's
transaction; on commit the event is rendered once in the site's language (by the renderer its app registered)
and sent to the audience's group with the reference it was rendered from; a page open in another language
renders its own from that reference when the message reaches it (live/consumers.py), so nobody pays for
languages no open page speaks. Only ids and the rendered HTML travel through the channel layer.

Every send is bounded by PUSH_TIMEOUT and its failure is logged, never raised: a Redis that is down or stalls
must not fail (or hold up) the state change that was already committed; a page re-fetches the current state
when it reconnects, and each consumer re-checks the session and the grant before every message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from live.fragments import fragment_kind, render_all, render_in
from live.groups import institution_group, person_group, session_group, user_group, watchers_group
from live.loop import run_on_push_loop, uses_push_loop

log = logging.getLogger(__name__)
PUSH_TIMEOUT = 2.0  # seconds for one publication to reach all its groups

# Who hears an event; each kind of audience is checked in its own way by the consumer.
PERSON, WATCHERS, USER, COUNTERS = "person", "watchers", "user", "counters"


@dataclass(frozen=True)
class Audience:
    role: str
    group: str
    person_id: int | None = None  # watchers: whose watchers (re-checked per message)
    operator_id: int | None = None  # counters: only this operator's counter (None: every counter there)


def to_person(person_id: int) -> Audience:
    """Her own open pages."""
    return Audience(PERSON, person_group(person_id))


def to_watchers(person_id: int) -> Audience:
    """The open pages of everyone allowed to watch her (each socket checks again before it shows it)."""
    return Audience(WATCHERS, watchers_group(person_id), person_id=person_id)


def to_user(user_id: int) -> Audience:
    """Every open page (status socket) of one user."""
    return Audience(USER, user_group(user_id))


def to_counters(institution_id: int, operator_id: int | None = None) -> Audience:
    """The counters of an institution: with an operator, only that operator's (not the next window's)."""
    return Audience(COUNTERS, institution_group(institution_id), operator_id=operator_id)


@dataclass(frozen=True)
class Event:
    kind: str
    audience: Audience
    ref: Any
    stop_watching: int | None = None  # this person is taken off the audience's sockets first, at once


def publish(kind: str, audience: Audience, ref: Any, *, stop_watching: int | None = None) -> None:
    """Send one event on commit (at once outside a transaction)."""
    publish_all([Event(kind, audience, ref, stop_watching)])


def publish_all(events: Iterable[Event]) -> None:
    """Send several events on commit, together: all of them within one PUSH_TIMEOUT."""
    events = list(events)
    if events:
        transaction.on_commit(lambda: send_now(events))


def send_now(events: list[Event]) -> None:
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        rendered: dict[tuple[str, Any], dict[str, str]] = {}  # the same event to several audiences: rendered once
        messages = [message for message in (_message(event, rendered) for event in events) if message is not None]
        if messages:
            _run(layer, lambda: _send_all(layer, messages))
    except Exception:  # never fail the caller: the state is committed, pages catch up on reconnect
        log.warning("publishing %s failed", ", ".join(e.kind for e in events), exc_info=True)


def _run(layer, make) -> None:
    if uses_push_loop(layer):
        run_on_push_loop(make, timeout=PUSH_TIMEOUT + 1)
    else:
        async def call() -> None:
            await make()

        async_to_sync(call)()


def _label(event: Event) -> str:
    return f"{event.kind} {getattr(event.ref, 'pk', event.ref)}"


def _message(event: Event, rendered: dict[tuple[str, Any], dict[str, str]]) -> tuple[str, str, dict] | None:
    try:
        fragment = fragment_kind(event.kind)
        key = (event.kind, event.ref if isinstance(event.ref, Hashable) else id(event.ref))
        reference = _reference(event.ref)
        if key not in rendered:
            rendered[key] = (render_in(event.kind, event.ref, settings.LANGUAGE_CODE) if reference is not None
                             else render_all(event.kind, event.ref))
        html = rendered[key]
    except Exception:
        log.exception("could not render the push of %s to %s", _label(event), event.audience.group)
        html, fragment = {}, None
    if not html and event.stop_watching is None:
        return None
    return (event.audience.group, _label(event), {
        "type": "live.fragment", "kind": event.kind, "target": fragment.target_id if fragment else "",
        "role": event.audience.role, "person_id": event.audience.person_id,
        "operator_id": event.audience.operator_id, "stop_watching": event.stop_watching, "html": html,
        "ref": reference,
    })


def _reference(ref: Any) -> int | str | None:
    """What a page in another language renders the event from: the id the renderer loads (a model's primary
    key), or None for a reference that cannot travel, which is then rendered in every language here."""
    ref = getattr(ref, "pk", ref)
    return ref if isinstance(ref, int | str) and not isinstance(ref, bool) else None


async def _send_all(layer, messages: list[tuple[str, str, dict]]) -> None:
    async def send(group: str, label: str, message: dict) -> None:
        try:
            await asyncio.wait_for(layer.group_send(group, message), timeout=PUSH_TIMEOUT)
        except Exception:  # Redis away or silent: log and carry on; the state is in the database
            log.warning("push of %s to %s failed", label, group, exc_info=True)

    await asyncio.gather(*(send(group, label, message) for group, label, message in messages))


def close_session_sockets(session_key: str | None) -> None:
    """The session ended (sign-out, flush, a kiosk wiped): its open sockets close and hear nothing more.
    Bounded like every push; if the message is lost, the consumer's per-message session check still stops it."""
    if not session_key:
        return
    try:
        layer = get_channel_layer()
        if layer is None:
            return

        async def send() -> None:
            await asyncio.wait_for(layer.group_send(session_group(session_key), {"type": "session.ended"}),
                                   timeout=PUSH_TIMEOUT)

        _run(layer, send)
    except Exception:
        log.warning("closing the sockets of an ended session failed", exc_info=True)
