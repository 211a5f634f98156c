"""Append-only audit events: who did what on whose account, through which channel, when."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class Via(models.TextChoices):
    SELF = "self", _("本人")
    PROXY = "proxy", _("家人代办")
    HELPER = "helper", _("帮办员")
    INSTITUTION = "institution", _("医院或药店")
    STAFF = "staff", _("医保工作人员")
    SYSTEM = "system", _("系统")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be changed")


class AuditEvent(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The actor's masked name and role as they were then, so the record reads right forever.
    actor_label = models.CharField(max_length=80, blank=True)
    subject = models.ForeignKey(
        "insurance.InsuredPerson", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    via = models.CharField(max_length=16, choices=Via.choices)
    action = models.CharField(max_length=40, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "-created_at"])]
        verbose_name = _("账户记录")
        verbose_name_plural = _("账户记录")

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
