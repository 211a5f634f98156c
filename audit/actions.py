"""Writing audit events. Called inside the transaction of the action it records."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from audit.models import AuditEvent, Via


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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
