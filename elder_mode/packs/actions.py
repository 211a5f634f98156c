"""The state changes of dialect voice packs, one function each: one transaction, one audit row through
core.voice_pack_events (the `audit` app fills it in; elder_mode imports no audit). They take the acting user,
never a request. Refusals are `PackError` with a plain Chinese sentence."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import voice_pack_events
from elder_mode.models import ClipStatus, DialectPack, PackRecorder, VoiceClip, text_hash
from elder_mode.packs import selectors
from elder_mode.packs.convert import to_mp3
from elder_mode.packs.validation import BadClip, check_clip
from elder_mode.voice.guides import GUIDES

MAX_REASON = 200


class PackError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def record_clip(*, actor: Any, pack: DialectPack, guide_key: str, content: bytes) -> VoiceClip:
    """Keep a volunteer's recording of one guide sentence, converted to the small MP3, waiting for review."""
    if not selectors.may_record(actor, pack):
        raise PackError(_("您没有登记为这个方言的录音志愿者，不能为它录音。"))
    texts = GUIDES.get(guide_key)
    if texts is None:
        raise PackError(_("没有这句话，请回到列表重新选。"))
    try:
        checked = check_clip(content)
        mp3 = to_mp3(checked)
    except BadClip as exc:
        raise PackError(exc.message) from exc
    with transaction.atomic():
        clip = VoiceClip(pack=pack, guide_key=guide_key, text=texts["cmn"], text_hash=text_hash(texts["cmn"]),
                         recorder=actor, duration=checked.seconds, bytes=len(mp3))
        clip.audio.save(f"{clip.public_id}.mp3", ContentFile(mp3), save=False)
        try:
            clip.save()
            voice_pack_events.clip_event(voice_pack_events.CLIP_RECORDED, actor=actor, clip=clip)
        except BaseException:
            clip.audio.delete(save=False)  # no file without its row
            raise
    return clip


def _locked_for_review(actor: Any, clip_id: int) -> VoiceClip:
    clip = VoiceClip.objects.select_for_update().select_related("pack").filter(pk=clip_id).first()
    if clip is None:
        raise PackError(_("找不到这段录音。"))
    if not selectors.may_record(actor, clip.pack):
        raise PackError(_("您不能审核这个方言的录音。"))
    if clip.recorder_id == actor.pk:
        raise PackError(_("不能审核自己录的音。请另一位志愿者或工作人员来听。"))
    if clip.status != ClipStatus.RECORDED:
        raise PackError(_("这段录音已经审核过了。"))
    return clip


def approve_clip(*, actor: Any, clip_id: int) -> VoiceClip:
    """Another person listened and approves: from now on it is played to people who chose this dialect."""
    with transaction.atomic():
        clip = _locked_for_review(actor, clip_id)
        stale = not clip.matches_guide()
        if stale:  # recorded for words the guide no longer says: written down, then refused below
            clip.status = ClipStatus.STALE
            clip.save(update_fields=["status"])
        else:
            clip.status = ClipStatus.APPROVED
            clip.reviewer = actor
            clip.reviewed_at = timezone.now()
            clip.save(update_fields=["status", "reviewer", "reviewed_at"])
            voice_pack_events.clip_event(voice_pack_events.CLIP_APPROVED, actor=actor, clip=clip)
    if stale:
        raise PackError(_("这句话的文字已经改了，这段录音需要重录。"))
    return clip


def reject_clip(*, actor: Any, clip_id: int, reason: str) -> VoiceClip:
    reason = " ".join((reason or "").split())
    if not reason:
        raise PackError(_("请写上没通过的原因，录音的人才知道怎么改。"))
    if len(reason) > MAX_REASON:
        raise PackError(_("原因太长了，最多200个字。"))
    with transaction.atomic():
        clip = _locked_for_review(actor, clip_id)
        clip.status = ClipStatus.REJECTED
        clip.reviewer = actor
        clip.reviewed_at = timezone.now()
        clip.reason = reason
        clip.save(update_fields=["status", "reviewer", "reviewed_at", "reason"])
        voice_pack_events.clip_event(voice_pack_events.CLIP_REJECTED, actor=actor, clip=clip)
    return clip


def register_recorder(*, actor: Any, user: Any, packs: list[DialectPack]) -> PackRecorder:
    """Staff register a volunteer for some packs (an empty list stops her recording). A staff tool, not an
    account event: no audit row (there is no kind for it)."""
    if not selectors.is_pack_staff(actor):
        raise PackError(_("只有医保局工作人员才能登记录音志愿者。"))
    with transaction.atomic():
        recorder, _created = PackRecorder.objects.get_or_create(user=user, defaults={"registered_by": actor})
        recorder.active = bool(packs)
        recorder.registered_by = actor
        recorder.save(update_fields=["active", "registered_by"])
        recorder.packs.set(packs)
    return recorder


def mark_stale_clips() -> int:
    """Write down what is computed on read: clips recorded for words a guide no longer says are stale
    (needing a new recording). A maintenance step (`manage.py mark_stale_voice_clips`), no audit row."""
    stale_ids = [clip.pk for clip in VoiceClip.objects.filter(status__in=[ClipStatus.RECORDED, ClipStatus.APPROVED])
                 .only("pk", "guide_key", "text_hash") if not clip.matches_guide()]
    if not stale_ids:
        return 0
    with transaction.atomic():
        return VoiceClip.objects.filter(pk__in=stale_ids).update(status=ClipStatus.STALE)
