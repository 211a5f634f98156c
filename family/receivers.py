"""Every proxy use is an audit event; when one is written, remember the use and tell the principal."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from audit.models import AuditEvent, Via


@receiver(post_save, sender=AuditEvent, dispatch_uid="family-note-proxy-use")
def note_proxy_use_on_audit(sender, instance: AuditEvent, created: bool, **kwargs) -> None:
    grant_id = (instance.detail or {}).get("grant_id")
    if not created or instance.via != Via.PROXY or not grant_id:
        return
    from family.actions import note_proxy_use

    transaction.on_commit(lambda: note_proxy_use(grant_id, instance.action))
