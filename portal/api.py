"""The versioned institution API: one NinjaAPI, errors always {error, message} in JSON."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from redis.exceptions import RedisError

from settlement.api import router as settlement_router
from settlement.errors import ApiError

log = logging.getLogger(__name__)

DESCRIPTION = "\n\n".join([
    "定点医院和药店使用的接口：核验医保码、提交结算。所有错误都返回 JSON {error, message}，message 是一句中文。",
    "签名：每个请求带 X-Institution、X-Timestamp（Unix 秒，与服务器相差不超过300秒）和 X-Signature = hex "
    "HMAC-SHA256(secret, METHOD + \"\\n\" + PATH + \"\\n\" + TIMESTAMP + \"\\n\" + hex SHA-256(body))。"
    "PATH 是按发送时的样子百分号编码的路径，与 Django 的 request.get_full_path() 相同（UTF-8、大写十六进制，"
    "A-Z a-z 0-9 / : @ & + $ , - _ . ! ~ * ' ( ) 不编码）；有查询串时再加 \"?\" 和原样的查询串。"
    "没有查询串的请求，签名和以前一样。",
    "重放：同一个签名的 POST 只接受一次，再收到答 409 replayed_request，重发请重新签名。例外："
    "提交结算时带着第一次的 Idempotency-Key 原样重发，从幂等记录里得到第一次的答复；离线批量上传按 client_id "
    "幂等，原样重发得到同样的逐笔结果。GET 可以重复。",
    "Idempotency-Key（提交结算和批量上传，可选，1到100个可见 ASCII 字符）：每个机构的每个键只处理一次。"
    "同一个键、同样的内容：得到第一次的答复；第一次还在处理时，服务器先等几秒，仍未完成就答 409 "
    "request_in_progress 并带 Retry-After，按它重发即可拿到第一次的答复。同一个键、不同的内容：总是 409 "
    "idempotency_key_reused。第一次意外失败时，键会放开，重发会重新处理。",
    f"请求体：POST 必须是 Content-Type: application/json（否则 415 unsupported_media_type），"
    f"最大 {settings.API_MAX_BODY_BYTES // 1024} KB，有没有 Content-Length 都一样（超出答 413 payload_too_large）。"
    "任何字符串里都不能有 \\u0000 或单独的代理字符（答 400 invalid_character，并指出是哪个字段）。"
    "服务暂时不可用时答 503 service_unavailable 并带 Retry-After。",
])


class StrictJsonParser(Parser):
    """JSON whose every string (keys too) can be stored: no NUL, which PostgreSQL text refuses, and no
    lone surrogate, which UTF-8 cannot encode (docs/threat-model.md). The field is named in the answer."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        where = _unstorable_text(data, "")
        if where is not None:
            shown = (where or "请求内容").encode("utf-8", "backslashreplace").decode().replace("\x00", "\\u0000")[:80]
            raise ApiError(400, "invalid_character",
                           f"“{shown}”里有不能保存的字符（\\u0000 或单独的代理字符），请去掉后再发。")
        return data


def _unstorable_text(value: Any, where: str) -> str | None:
    """The path of the first string holding a NUL or a lone surrogate, e.g. "items[0].name"."""
    stack = [(value, where)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if not _storable(value):
                return where
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                name = f"{where}.{key}" if where else str(key)
                if not _storable(key):
                    return name
                stack.append((item, name))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{n}]") for n, item in reversed(list(enumerate(value))))
    return None


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


api = NinjaAPI(
    title="医保通 institution API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url=None,
    parser=StrictJsonParser(),
)
api.add_router("/", settlement_router)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RedisError)
def _redis_error(request: HttpRequest, exc: RedisError):
    """Redis (the cache) is away: a plain 503 the counter can retry, never a 500 (docs/threat-model.md)."""
    log.warning("institution API: Redis cannot be reached", exc_info=True)
    return _api_error(request, ApiError(503, "service_unavailable", "系统暂时忙不过来，请稍等片刻再试。",
                                        retry_after=30))


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError):
    fields = []
    for err in exc.errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "payload"))
        if loc:
            fields.append(loc)
    detail = ("，请检查：" + "、".join(fields)) if fields else ""
    return api.create_response(
        request, {"error": "invalid_request", "message": "请求内容不完整或格式不对" + detail + "。"}, status=422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"error": "unsigned_request", "message": "请求没有签名。"}, status=401)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"error": "not_found", "message": "找不到要查的内容。"}, status=404)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    if isinstance(exc.__cause__, ApiError):  # ninja wraps whatever the parser raises in a 400
        return _api_error(request, exc.__cause__)
    messages = {400: "请求格式不对，请发送 JSON。", 405: "这个地址不支持这种请求方法。"}
    return api.create_response(
        request,
        {"error": "bad_request" if exc.status_code == 400 else "http_error",
         "message": messages.get(exc.status_code, "请求不能处理。")},
        status=exc.status_code,
    )
