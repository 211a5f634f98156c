"""Practice codes (练习码) and what happens when one is shown at a real counter.

`learn`'s practice mode shows a QR that looks like her real code but carries PRACTICE_PREFIX, so anything that
reads codes can tell a practice code from a real one without knowing `learn`. The real code check
(vouchers/codes.py) refuses it with a plain sentence and calls `practice_code_refused(text)`; `learn` registers,
at start-up, what that does (tell her practice page "收费员那边不能用"). This module imports no app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

PRACTICE_PREFIX = "YBT-PRACTICE:"

RefusedCallback = Callable[[str], None]
_refused: list[RefusedCallback] = []


def is_practice_code(text: str | None) -> bool:
    """Does this scanned or typed text carry the practice prefix? (Case and spaces a scanner adds are ignored.)"""
    return (text or "").strip().upper().startswith(PRACTICE_PREFIX)


def practice_token(text: str | None) -> str:
    """The part after the prefix ("" when it is not a practice code)."""
    cleaned = (text or "").strip()
    return cleaned[len(PRACTICE_PREFIX):].strip() if is_practice_code(cleaned) else ""


def on_practice_code_refused(callback: RefusedCallback) -> None:
    """Called once per refusal with the scanned text (registered in AppConfig.ready)."""
    if callback not in _refused:
        _refused.append(callback)


def practice_code_refused(text: str) -> None:
    """A real counter refused a practice code. Telling her page is a courtesy: it never fails the refusal."""
    for callback in list(_refused):
        try:
            callback(text)
        except Exception:  # the counter's answer must not depend on the practice page being reachable
            log.warning("telling the practice page about a refused practice code failed", exc_info=True)
