"""Whose event is it: the survey after a settlement or a finished service names what was rated with an event key,
"<prefix>:<public id>" ("settlement:…", "filing:…", "claim:…", "entitlement:…"). The app that owns each kind of
event registers, at start-up, a function from the public id to the insured person's id (None if there is no such
event, or it is not finished yet), so `feedback` checks that the event is hers without importing those apps
(docs/design.md §2).

Leaf module: it imports no app.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

EventOwner = Callable[[uuid.UUID], "int | None"]  # public id -> insured person id, or None
_owners: dict[str, EventOwner] = {}


def register_event_owner(prefix: str, owner: EventOwner) -> None:
    """Called at start-up. Registering a prefix again replaces it (autoreload)."""
    _owners[prefix] = owner


def parse_event_key(key: str) -> tuple[str, uuid.UUID] | None:
    """("settlement", UUID) for "settlement:<uuid>", or None for anything malformed or of an unknown kind."""
    prefix, _sep, ref = (key or "").partition(":")
    if prefix not in _owners:
        return None
    try:
        return prefix, uuid.UUID(ref)
    except ValueError:
        return None


def event_owner(key: str) -> int | None:
    """The id of the person the event belongs to, or None (no such event, unknown kind, not finished)."""
    parsed = parse_event_key(key)
    if parsed is None:
        return None
    prefix, ref = parsed
    return _owners[prefix](ref)
