"""Her display choice survives signing in: the 长辈版 she picked on this phone before
signing in is kept on her account, instead of the account's older value switching it back."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from elder_mode.actions import set_elder_mode
from elder_mode.preferences import COOKIE_NAME


@receiver(user_logged_in, dispatch_uid="elder_mode.keep_choice_at_sign_in")
def keep_choice_at_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # A kiosk's mode belongs to the kiosk and a worker's pages are tools: neither changes an account.
    if request is None or getattr(request, "kiosk", None) is not None or getattr(user, "is_worker", False):
        return
    chosen = request.COOKIES.get(COOKIE_NAME)
    if chosen in ("1", "0") and hasattr(user, "elder_mode"):
        set_elder_mode(user, chosen == "1")
