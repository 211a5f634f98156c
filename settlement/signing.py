"""Request signing for the institution API (DESIGN §4).

X-Signature = hex HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n hex SHA-256 of the body).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from insurance.models import Institution
from insurance.selectors import institution_by_key_id
from settlement.errors import ApiError


def signature_for(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = "\n".join([method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_headers(key_id: str, secret: str, method: str, path: str, body: bytes, *, now: int | None = None) -> dict:
    timestamp = str(int(time.time()) if now is None else now)
    return {
        "X-Institution": key_id,
        "X-Timestamp": timestamp,
        "X-Signature": signature_for(secret, method, path, timestamp, body),
    }


def authenticate_institution(request: HttpRequest) -> Institution:
    key_id = request.headers.get("X-Institution", "")
    timestamp = request.headers.get("X-Timestamp", "")
    signature = request.headers.get("X-Signature", "")
    if not key_id or not timestamp or not signature:
        raise ApiError(401, "unsigned_request",
                       "请求没有签名。请带上 X-Institution、X-Timestamp 和 X-Signature 三个请求头。")
    # isdigit() alone lets "²" or "١٢٣" through, and int() then fails on the first: ASCII digits only.
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise ApiError(401, "bad_timestamp", "X-Timestamp 应该是以秒计的 Unix 时间。")
    if abs(int(time.time()) - int(timestamp)) > settings.API_CLOCK_SKEW_SECONDS:
        raise ApiError(401, "stale_request", "请求时间和服务器相差超过5分钟。请校准收费电脑的时间后重试。")
    # A key id is printable ASCII; anything else (a NUL breaks PostgreSQL) is simply unknown.
    plausible = key_id.isascii() and key_id.isprintable()
    institution = institution_by_key_id(key_id[:40]) if plausible else None
    # Compute a signature even for an unknown key id, so timing does not tell which ids exist.
    secret = institution.api_secret if institution else "unknown-institution"
    expected = signature_for(secret, request.method or "GET", request.path, timestamp, request.body)
    # compare_digest refuses non-ASCII str (a header may hold any Latin-1 byte): compare bytes instead.
    given = signature.lower().encode("utf-8", "surrogateescape")
    if institution is None or not hmac.compare_digest(expected.encode(), given):
        raise ApiError(401, "bad_signature", "请求签名不对。请检查机构密钥和签名方法。")
    if not institution.is_active:
        raise ApiError(403, "institution_disabled", "这个机构的接口权限已停用，请联系医保局。")
    _enforce_rate_limit(institution)
    return institution


def _enforce_rate_limit(institution: Institution) -> None:
    window = int(time.time() // 60)
    key = f"api-rate:{institution.pk}:{window}"
    if cache.add(key, 1, timeout=70):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=70)
            count = 1
    if count > settings.API_RATE_LIMIT_PER_MINUTE:
        raise ApiError(429, "rate_limited", "请求太频繁了，请稍等一分钟再试。")
