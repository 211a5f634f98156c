"""Request guards that must run before any view reads the body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class ApiBodyLimitMiddleware:
    """Answer an oversized API body with a clear JSON 413 before Django reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0:
                return JsonResponse(
                    {"error": "bad_request", "message": "请求的长度标记不对。"}, status=400
                )
            if length > settings.API_MAX_BODY_BYTES:
                return JsonResponse(
                    {
                        "error": "payload_too_large",
                        "message": f"请求内容太大，不能超过 {settings.API_MAX_BODY_BYTES // 1024} KB。",
                    },
                    status=413,
                )
        return self.get_response(request)
