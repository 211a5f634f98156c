"""Who may record and review, what each pack covers, and which clip (if any) answers a guide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from elder_mode.models import ClipStatus, DialectPack, PackRecorder, VoiceClip, text_hash
from elder_mode.voice.guides import GUIDES


def is_pack_staff(user: Any) -> bool:
    """Bureau staff signed in with password and TOTP (duck-typed: elder_mode imports no accounts)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "role", "") != "staff" and not getattr(user, "is_superuser", False):
        return False
    verified = getattr(user, "is_verified", None)
    return bool(verified()) if callable(verified) else False


def recorder_of(user: Any) -> PackRecorder | None:
    if not getattr(user, "is_authenticated", False):
        return None
    found = PackRecorder.objects.filter(user=user, active=True).first()
    if found is None:
        return None
    # A worker's account (a community helper) is only trusted after the authenticator's code, as on every
    # worker page; a citizen volunteer signs in with her SMS code.
    if getattr(user, "is_worker", False):
        verified = getattr(user, "is_verified", None)
        if not (callable(verified) and verified()):
            return None
    return found


def may_use_packs(user: Any) -> bool:
    return is_pack_staff(user) or recorder_of(user) is not None


def packs_for(user: Any) -> QuerySet[DialectPack]:
    """The packs this person may record and review for."""
    if is_pack_staff(user):
        return DialectPack.objects.filter(active=True)
    recorder = recorder_of(user)
    if recorder is None:
        return DialectPack.objects.none()
    return recorder.packs.filter(active=True)


def may_record(user: Any, pack: DialectPack) -> bool:
    return pack.active and packs_for(user).filter(pk=pack.pk).exists()


def guide_keys() -> list[str]:
    return list(GUIDES)


def current_hash(key: str) -> str | None:
    texts = GUIDES.get(key)
    return text_hash(texts["cmn"]) if texts else None


def current_clip(pack_code: str, key: str) -> VoiceClip | None:
    """The approved clip recorded for the guide's current words, the most recently approved first."""
    wanted = current_hash(key)
    if not wanted or not pack_code:
        return None
    return (VoiceClip.objects.filter(pack__code=pack_code, pack__active=True, guide_key=key,
                                     status=ClipStatus.APPROVED, text_hash=wanted)
            .order_by("-reviewed_at", "-id").first())


# --- coverage -------------------------------------------------------------------------------------------------

APPROVED, WAITING, STALE, MISSING = "approved", "waiting", "stale", "missing"


@dataclass(frozen=True)
class SentenceState:
    key: str
    text: str
    state: str  # APPROVED, WAITING, STALE or MISSING

    @property
    def needs_recording(self) -> bool:
        return self.state in (STALE, MISSING)


@dataclass(frozen=True)
class Coverage:
    pack: DialectPack
    rows: list[SentenceState]

    def count(self, state: str) -> int:
        return sum(1 for row in self.rows if row.state == state)

    @property
    def approved(self) -> int:
        return self.count(APPROVED)

    @property
    def waiting(self) -> int:
        return self.count(WAITING)

    @property
    def stale(self) -> int:
        return self.count(STALE)

    @property
    def missing(self) -> int:
        return self.count(MISSING)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def percent(self) -> int:
        return round(100 * self.approved / self.total) if self.total else 0


def coverage(pack: DialectPack) -> Coverage:
    """Each guide sentence's state in this pack. Staleness is computed here from the text hashes, so a guide
    whose words changed shows "需要重录" even before `mark_stale_voice_clips` has run."""
    by_key: dict[str, set[str]] = {}
    for key, status, clip_hash in VoiceClip.objects.filter(pack=pack).values_list("guide_key", "status", "text_hash"):
        matches = clip_hash == current_hash(key)
        states = by_key.setdefault(key, set())
        if status == ClipStatus.APPROVED and matches:
            states.add(APPROVED)
        elif status == ClipStatus.RECORDED and matches:
            states.add(WAITING)
        elif status == ClipStatus.STALE or (status != ClipStatus.REJECTED and not matches):
            states.add(STALE)
    rows = []
    for key, texts in GUIDES.items():
        states = by_key.get(key, set())
        state = next((s for s in (APPROVED, WAITING, STALE) if s in states), MISSING)
        rows.append(SentenceState(key=key, text=texts["cmn"], state=state))
    return Coverage(pack=pack, rows=rows)


def review_queue(user: Any) -> QuerySet[VoiceClip]:
    """Clips waiting for a reviewer, in the packs this person may review (her own are shown, not approvable)."""
    return (VoiceClip.objects.filter(pack__in=packs_for(user), status=ClipStatus.RECORDED)
            .select_related("pack", "recorder").order_by("created_at", "id"))


def clips_for_sentence(pack: DialectPack, key: str) -> QuerySet[VoiceClip]:
    return VoiceClip.objects.filter(pack=pack, guide_key=key).select_related("recorder", "reviewer")[:10]


def packs_with_clips() -> list[tuple[DialectPack, int]]:
    """Active packs, each with how many guide sentences it has a current clip for (what a citizen may choose)."""
    result = []
    for pack in DialectPack.objects.filter(active=True):
        keys = {key for key, clip_hash in VoiceClip.objects.filter(pack=pack, status=ClipStatus.APPROVED)
                .values_list("guide_key", "text_hash") if clip_hash == current_hash(key)}
        result.append((pack, len(keys)))
    return result
