"""Hearing every state change once: the audit row of each (docs/decisions.md "Notices"), and the gateway's
verdict on each message."""

from __future__ import annotations

from accounts.models import OutboundMessage
from audit.models import AuditEvent
from core.notice_texts import notice_writer
from notices import actions


def on_audit_event(sender, instance: AuditEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or notice_writer(instance.action) is None:
        return
    actions.notify_safely(instance)


def on_message_saved(sender, instance: OutboundMessage, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:
        return
    actions.message_changed(instance)
