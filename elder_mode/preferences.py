"""Where the elder-mode choice lives: on the account when signed in, and in a cookie always."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "elder_mode"
COOKIE_AGE = 365 * 24 * 3600


def elder_mode_for(request: HttpRequest) -> tuple[bool, bool]:
    """(enabled, chosen): chosen is False on a first visit, when we offer the choice."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "elder_mode", None) is not None:
        return bool(user.elder_mode), True
    cookie = request.COOKIES.get(COOKIE_NAME)
    if cookie in ("1", "0"):
        return cookie == "1", True
    return False, False


def remember_elder_mode(response: HttpResponse, enabled: bool) -> None:
    response.set_cookie(COOKIE_NAME, "1" if enabled else "0", max_age=COOKIE_AGE, samesite="Lax", httponly=True)
