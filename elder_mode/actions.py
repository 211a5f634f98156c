"""The one state change elder_mode makes: the display choice kept on the account (docs/architecture.md,
"State changes"). A display preference, not an account event, so it writes no audit row. elder_mode
imports no domain app: the user is any object with an `elder_mode` field."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def set_elder_mode(user: Any, enabled: bool) -> None:
    """Keep her choice on her account when she is signed in (the cookie is set by the view)."""
    if user.is_authenticated and user.elder_mode != enabled:
        with transaction.atomic():
            user.elder_mode = enabled
            user.save(update_fields=["elder_mode"])
