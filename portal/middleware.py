"""Request guards that must run before any view reads the body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

_API_ERRORS = {
    400: ("bad_request", "请求格式不对，请发送 JSON。"),
    404: ("not_found", "找不到这个接口地址，请检查网址。"),
    405: ("method_not_allowed", "这个地址不支持这种请求方法。"),
    413: ("payload_too_large", "请求内容太大。"),
    500: ("server_error", "系统出了点问题，请稍后再试。如果一直这样，请联系医保局。"),
}


def _as_json_error(response: HttpResponse) -> HttpResponse:
    """An API client always gets {error, message}: even from Django's own 404, 405 or 500 pages."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
        return response
    error, message = _API_ERRORS.get(response.status_code, ("http_error", "请求不能处理。"))
    converted = JsonResponse({"error": error, "message": message}, status=response.status_code)
    for header in ("Allow", "Retry-After"):
        if header in response:
            converted[header] = response[header]
    return converted


class ApiBodyLimitMiddleware:
    """Answer an oversized API body with a clear JSON 413 before Django reads it.

    Also makes every other API error JSON ({error, message}, DESIGN §4), whoever produced it.
    """

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
            return _as_json_error(self.get_response(request))
        return self.get_response(request)
