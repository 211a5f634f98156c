"""Community dialect voice packs (docs/architecture.md, elder mode and voice): a pack per dialect or minority
language, the volunteers who may record for it, and one clip per recording of a guide sentence.

A clip is recorded for the exact Mandarin words of a guide at that time: `text_hash` keeps their SHA-256. It is
*current* when approved and its hash equals the guide's current text hash; changing a guide's text makes its clips
stale, which is computed on read (`VoiceClip.is_current`) and written down by `manage.py mark_stale_voice_clips`.
elder_mode imports no domain app: users are `settings.AUTH_USER_MODEL` foreign keys, used duck-typed.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage
from elder_mode.voice.guides import GUIDES


def text_hash(text: str) -> str:
    """The fingerprint of a guide's Mandarin words: a clip is for these words and no others."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


class DialectPack(models.Model):
    code = models.SlugField(_("代码"), max_length=16, unique=True)  # e.g. "wuu-hz", "nan", "hmn", "pcc"
    name = models.CharField(_("名称"), max_length=40)  # e.g. 吴语（杭州话）
    region = models.CharField(_("通行地区"), max_length=60, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("方言语音包")
        verbose_name_plural = _("方言语音包")

    def __str__(self) -> str:
        return self.name


class PackRecorder(models.Model):
    """A registered volunteer: may record (and review others' clips) for `packs`. Staff may record any pack."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pack_recorder")
    packs = models.ManyToManyField(DialectPack, related_name="recorders", blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("录音志愿者")
        verbose_name_plural = _("录音志愿者")

    def __str__(self) -> str:
        return str(getattr(self.user, "masked_name", self.user_id))


class ClipStatus(models.TextChoices):
    RECORDED = "recorded", _("等审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("没通过")
    STALE = "stale", _("需要重录")


def _clip_path(instance: VoiceClip, filename: str) -> str:
    return f"voice-packs/{instance.pack.code}/{instance.public_id}.mp3"


class VoiceClip(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    pack = models.ForeignKey(DialectPack, on_delete=models.CASCADE, related_name="clips")
    guide_key = models.CharField(max_length=60, db_index=True)
    text = models.TextField()  # the Mandarin words shown when it was recorded
    text_hash = models.CharField(max_length=64)
    recorder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=ClipStatus.choices, default=ClipStatus.RECORDED)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("没通过的原因"), max_length=200, blank=True)
    audio = models.FileField(storage=private_storage, upload_to=_clip_path, max_length=200)
    duration = models.FloatField(default=0)  # seconds
    bytes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pack", "guide_key", "status"])]
        verbose_name = _("方言录音")
        verbose_name_plural = _("方言录音")

    def __str__(self) -> str:
        return f"{self.pack.code}:{self.guide_key} ({self.status})"

    def matches_guide(self) -> bool:
        """Recorded for the guide's current Mandarin words (a guide that no longer exists matches nothing)."""
        texts = GUIDES.get(self.guide_key)
        return bool(texts) and text_hash(texts["cmn"]) == self.text_hash

    @property
    def is_stale(self) -> bool:
        return self.status == ClipStatus.STALE or (self.status != ClipStatus.REJECTED and not self.matches_guide())

    @property
    def is_current(self) -> bool:
        return self.status == ClipStatus.APPROVED and self.matches_guide()

    @property
    def shown_status(self) -> str:
        return str(ClipStatus.STALE.label) if self.is_stale else self.get_status_display()
