"""The activation funnel: which of the four activation screens a visitor reached (docs/architecture.md,
"Activation"). `vouchers` notes each screen; `insights` registers the sink at start-up and counts the drop-off
between screens. Feature apps never import each other (docs/design.md §2), so they meet here.

Leaf module: it imports no app. Without a sink (insights not installed) a note does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

STEPS = ("identity", "confirm", "agree", "done")

FunnelSink = Callable[[str, str, str], None]  # (step, visitor id, region code or "")
_sinks: list[FunnelSink] = []


def register_funnel_sink(sink: FunnelSink) -> None:
    """Called at start-up; registering the same sink again changes nothing (autoreload)."""
    if sink not in _sinks:
        _sinks.append(sink)


def note_step(step: str, visitor: str, region: str = "") -> None:
    """A visitor reached an activation screen. Counting must never break activation: a sink's error is
    logged and swallowed."""
    if step not in STEPS or not visitor:
        return
    for sink in _sinks:
        try:
            sink(step, visitor, region)
        except Exception:  # a measurement never stops her activating
            logger.exception("funnel sink failed for step %s", step)
