from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from elder_mode.preferences import COOKIE_AGE, OFFER_SEEN_COOKIE, elder_mode_for


class ElderModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.elder_mode, request.elder_mode_chosen = elder_mode_for(request)
        response = self.get_response(request)
        if not request.elder_mode_chosen and response.status_code == 200 \
                and response.get("Content-Type", "").startswith("text/html") and not request.headers.get("HX-Request"):
            # This page made the offer; the next ones do not repeat it (the 长辈版 switch stays in the header).
            response.set_cookie(OFFER_SEEN_COOKIE, "1", max_age=COOKIE_AGE, samesite="Lax", httponly=True)
        return response
