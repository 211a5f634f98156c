"""The audit rows of community dialect voice packs, without elder_mode importing audit (docs/architecture.md:
elder_mode imports no domain app). `audit` registers at start-up (AuditConfig.ready) a recorder that writes
one row through `audit.actions.record_event`; elder_mode's actions call `clip_event` inside their transaction.
Leaf module: it imports no app.

Kinds (their values, as in audit/kinds.py): "voice.clip_recorded", "voice.clip_approved", "voice.clip_rejected".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CLIP_RECORDED = "voice.clip_recorded"
CLIP_APPROVED = "voice.clip_approved"
CLIP_REJECTED = "voice.clip_rejected"

ClipEventRecorder = Callable[..., Any]  # (kind_value, *, actor, clip) -> the audit row
_recorders: list[ClipEventRecorder] = []


def register_clip_event_recorder(fn: ClipEventRecorder) -> None:
    """Called once by `audit` at start-up."""
    if fn not in _recorders:
        _recorders.append(fn)


def clip_event(kind_value: str, *, actor: Any, clip: Any) -> None:
    """Record that `actor` recorded, approved or rejected `clip` (a VoiceClip)."""
    for fn in _recorders:
        fn(kind_value, actor=actor, clip=clip)
