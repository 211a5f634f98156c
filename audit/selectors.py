from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEvent


def events_about(person) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject=person).select_related("actor")
