from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from elder_mode.preferences import elder_mode_for


class ElderModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.elder_mode, request.elder_mode_chosen = elder_mode_for(request)
        return self.get_response(request)
