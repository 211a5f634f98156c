"""Writing audit events. Called inside the transaction of the action it records."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from audit.models import AuditEvent, Via
from core.client_address import client_ip as _client_ip


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address behind the configured proxies (portal/client_address.py)."""
    return _client_ip(request)


def record_event(
    *,
    action: str,
    via: str = Via.SELF,
    actor=None,
    actor_label: str = "",
    subject=None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    if actor is not None and not actor_label:
        actor_label = getattr(actor, "audit_label", "")
    return AuditEvent.objects.create(
        action=action,
        via=via,
        actor=actor,
        actor_label=actor_label[:80],
        subject=subject,
        detail=detail or {},
        ip_address=ip,
    )
