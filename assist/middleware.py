"""Recognise a registered kiosk by its cookie. Kiosk pages start in elder mode."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from assist.actions import kiosk_token_hash
from assist.models import Kiosk

KIOSK_COOKIE = "kiosk"


class KioskMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.kiosk = None
        token = request.COOKIES.get(KIOSK_COOKIE)
        if token:

            request.kiosk = Kiosk.objects.filter(token_hash=kiosk_token_hash(token), is_active=True).first()
        return self.get_response(request)
