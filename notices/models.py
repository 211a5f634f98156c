"""Off-page notices (SMS / voice call) with preferences and digests (docs/design.md §2, docs/decisions.md
"Notices"). One `Notice` per (audit event, phone): a retried task or a second signal finds the row there."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.fields import EncryptedTextField


class NoticeChannel(models.TextChoices):
    # The same values as accounts.models.Channel: the gateway reads them.
    SMS = "sms", _("短信")
    VOICE = "voice", _("语音电话")


class NoticePreference(models.Model):
    """What a person wants to hear, how, and when not. No row: everything, by SMS, at any hour."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    settlement = models.BooleanField(_("结算结果"), default=True)
    services = models.BooleanField(_("办事进度"), default=True)
    actions = models.BooleanField(_("家人和帮办员的操作"), default=True)
    channel = models.CharField(_("怎么告诉您"), max_length=8, choices=NoticeChannel.choices, default=NoticeChannel.SMS)
    quiet_from = models.TimeField(_("几点以后别打扰"), null=True, blank=True)
    quiet_until = models.TimeField(_("几点以后可以"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def wants(self, category: str) -> bool:
        return bool(getattr(self, category, True))

    def quiet_end(self, local_now: dt.datetime) -> dt.datetime | None:
        """When the quiet hours around `local_now` (aware, local time) end; None when it is not quiet now."""
        if self.quiet_from is None or self.quiet_until is None or self.quiet_from == self.quiet_until:
            return None
        now_t = local_now.time()
        if self.quiet_from < self.quiet_until:  # e.g. 13:00-14:00
            quiet = self.quiet_from <= now_t < self.quiet_until
        else:  # across midnight, e.g. 22:00-07:00
            quiet = now_t >= self.quiet_from or now_t < self.quiet_until
        if not quiet:
            return None
        end = local_now.replace(hour=self.quiet_until.hour, minute=self.quiet_until.minute, second=0, microsecond=0)
        return end if end > local_now else end + dt.timedelta(days=1)


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("正在发送")
    HELD = "held", _("免打扰时间，稍后发送")
    SENT = "sent", _("已发出")
    FAILED = "failed", _("没有发出去")
    LIMITED = "limited", _("提醒太多，这条没有发")


class Notice(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey("audit.AuditEvent", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="+")
    # The account the notice belongs to on "提醒设置": her own (None if she has none) or the proxy's.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notices")
    for_family = models.BooleanField(default=False)
    phone = EncryptedTextField()
    phone_index = models.CharField(max_length=64)
    kind = models.CharField(max_length=40)
    category = models.CharField(max_length=16)
    failure = models.BooleanField(default=False)
    channel = models.CharField(max_length=8, choices=NoticeChannel.choices, default=NoticeChannel.SMS)
    body = EncryptedTextField()
    status = models.CharField(max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED)
    hold_until = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey("accounts.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    failed_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "phone_index"], name="one_notice_per_event_and_phone")]
        indexes = [models.Index(fields=["status", "hold_until"])]

    def save(self, *args, **kwargs) -> None:
        self.phone_index = crypto.blind_index("phone", self.phone)
        super().save(*args, **kwargs)


class Digest(models.Model):
    """The weekly digest to a proxy about the people whose settlements he may see: one per (proxy, week)."""

    proxy = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # the Monday the week began
    visits = models.PositiveIntegerField(default=0)
    unusual = models.JSONField(default=list, blank=True)
    message = models.ForeignKey("accounts.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proxy", "week"], name="one_digest_per_proxy_and_week")]
