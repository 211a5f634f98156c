"""Request guards that must run before any view reads the body."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware

# Methods whose body the API reads; each must be JSON (docs/threat-model.md).
_BODY_METHODS = ("POST", "PUT", "PATCH")
_READ_CHUNK = 64 * 1024

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
    """Answer an oversized API body with a clear JSON 413 before any view reads it, and a body that is
    not JSON with 415.

    The limit holds whether the client sends Content-Length or a chunked body without one
    (docs/threat-model.md): see `_chunked_body_over`. Django's ASGI handler spools the whole body before any
    middleware runs, so in production the TLS proxy's own body limit is what keeps a huge upload
    from reaching the ASGI server at all (docs/architecture.md, "Institution API contract").

    Also makes every other API error JSON ({error, message}, docs/design.md §4), whoever produced it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refused = self._refuse(request)
            if refused is not None:
                return refused
            return _as_json_error(self.get_response(request))
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.API_MAX_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        try:
            length = int(declared) if declared else None
        except ValueError:
            length = -1
        if length is not None and length < 0:
            return JsonResponse({"error": "bad_request", "message": "请求的长度标记不对。"}, status=400)
        if length is not None and length > limit:
            return _too_large()
        if request.method in _BODY_METHODS and request.content_type.lower() != "application/json":
            return JsonResponse(
                {"error": "unsupported_media_type",
                 "message": "请用 JSON 格式发送，并带上请求头 Content-Type: application/json。"},
                status=415,
            )
        if length is None and _chunked_body_over(request, limit):
            return _too_large()
        return None


def _too_large() -> JsonResponse:
    return JsonResponse(
        {
            "error": "payload_too_large",
            "message": f"请求内容太大，不能超过 {settings.API_MAX_BODY_BYTES // 1024} KB。",
        },
        status=413,
    )


def _chunked_body_over(request: HttpRequest, limit: int) -> bool:
    """Is a body sent without Content-Length (chunked) longer than `limit`? Reads at most limit + 1 bytes.

    Under ASGI, Django has already spooled the body to a seekable file: its size is measured, nothing
    is read. Under WSGI, Django reads only Content-Length bytes, so none here; a server that de-chunks
    the body says so with `wsgi.input_terminated` (a PEP 3333 extension: gunicorn and others), and then
    the input is read here, to its end or one byte past the limit, and handed to Django as the body.
    """
    stream = request._stream  # Django's own body check looks at the same stream (HttpRequest.body)
    if stream.seekable():
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        return size > limit
    if not (isinstance(request, WSGIRequest) and request.environ.get("wsgi.input_terminated")):
        return False
    read = request.environ["wsgi.input"].read
    parts: list[bytes] = []
    remaining = limit + 1
    while remaining > 0:
        part = read(min(_READ_CHUNK, remaining))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    body = b"".join(parts)
    if len(body) > limit:
        return True
    # The input is spent: give Django what was read, so request.body and request.read() still work.
    request._body = body
    request._stream = io.BytesIO(body)
    return False


class SlidingSessionMiddleware:
    """A signed-in session stays open while she uses it (SESSION_COOKIE_AGE of quiet closes it), but the
    session row is written at most once every SESSION_REFRESH_SECONDS instead of on every page: a write per
    GET was a third of the code page's time under load (docs/scale.md). Placed after SessionMiddleware, so
    its response phase runs first and SessionMiddleware saves what it marks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or session.modified:
            return response
        now = int(time.time())
        try:
            refreshed = int(session.get(REFRESHED_KEY, 0))
        except (TypeError, ValueError):
            refreshed = 0
        if now - refreshed >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED_KEY] = now  # marks it modified: SessionMiddleware saves it with a new expiry
        return response


class TextGZipMiddleware(GZipMiddleware):
    """Compress pages, fragments and JSON; leave audio, images and files alone (already compressed, and a
    voice clip must keep its byte ranges). Static files are compressed ahead of time by WhiteNoise.
    Pages that carry secrets are not open to BREACH-style guessing: the CSRF token is masked afresh on every
    response and a code token is new on every page (docs/decisions.md)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        # The institution API answers counters on the hospital's network with a few hundred bytes of JSON:
        # left as it is, so every counter's client can read it without decoding.
        if request.path.startswith("/api/"):
            return response
        if not (content_type.startswith("text/") or content_type in _COMPRESSIBLE):
            return response
        return super().process_response(request, response)


_COMPRESSIBLE = {"application/json", "application/javascript", "image/svg+xml"}
REFRESHED_KEY = "_refreshed_at"
