"""Writing audit events. Called inside the transaction of the action it records."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.kinds import Kind, as_kind
from audit.models import AuditEvent, Via
from core.acting_for import proxy_used


def record_event(
    *,
    action: Kind,
    via: str = Via.SELF,
    actor=None,
    actor_label: str = "",
    subject=None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """One audit row. `action` must be a `Kind` (or its string): anything else raises `UnknownKind`."""
    kind = as_kind(action)
    if actor is not None and not actor_label:
        actor_label = getattr(actor, "audit_label", "")
    return AuditEvent.objects.create(
        action=kind.value,
        via=via,
        actor=actor,
        actor_label=actor_label[:80],
        subject=subject,
        detail=detail or {},
        ip_address=ip,
    )


def record_proxy_use(action: Kind, *, actor, subject, grant_id: int, ip: str | None = None,
                     detail: dict[str, Any] | None = None) -> AuditEvent:
    """A proxy used a grant to see something of hers (her code, her records): the row she reads in her
    account record ("家人代办"), and, once it commits, what `family` registered for a proxy's use (it
    remembers the use and tells her; core/acting_for.py)."""
    with transaction.atomic():
        event = record_event(action=action, via=Via.PROXY, actor=actor, subject=subject, ip=ip,
                             detail={**(detail or {}), "grant_id": grant_id})
        proxy_used(grant_id, event.action)
    return event
