"""Request signing for the institution API (docs/design.md §4).

X-Signature = hex HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n hex SHA-256 of the body).

PATH is what `request.get_full_path()` gives: the path percent-encoded (UTF-8, upper-case hex; the
characters A-Z a-z 0-9 / : @ & + $ , - _ . ! ~ * ' ( ) left as they are), then "?" and the query string
as sent when there is one. Both the WSGI and the ASGI handler hand Django the decoded path and the raw
query string, so the same request signs the same under either (docs/architecture.md, "Institution API
contract"). A request without a query string signs exactly as before the query was covered.

A signature is accepted once: a repeated signature on a POST is refused as a replay (409
replayed_request), unless the route says otherwise (`Repeats`): a settlement repeated with the first
one's own Idempotency-Key is answered from its record, and the offline batch is idempotent per client_id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from core import rate_limit
from insurance.models import Institution
from insurance.selectors import credential_by_key_id
from settlement.errors import ApiError

log = logging.getLogger(__name__)

# Seconds a client is told to wait (Retry-After) when the cache behind rate limits and replay checks is away.
CACHE_DOWN_RETRY_AFTER = 30


def signature_for(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    """`path` is the signed path: the path, plus "?" and the raw query string when there is one."""
    message = "\n".join([method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_headers(key_id: str, secret: str, method: str, path: str, body: bytes, *, now: int | None = None) -> dict:
    """The three signing headers for a request to `path` (with its "?query" when it has one)."""
    timestamp = str(int(time.time()) if now is None else now)
    return {
        "X-Institution": key_id,
        "X-Timestamp": timestamp,
        "X-Signature": signature_for(secret, method, path, timestamp, body),
    }


class Repeats(StrEnum):
    """What a route does with a POST whose signature it has already seen (a replay or a network retry)."""

    REFUSED = "refused"  # 409 replayed_request: the caller must sign the retry anew
    SAME_IDEMPOTENCY_KEY = "same_idempotency_key"  # let through only with the first's Idempotency-Key
    ALLOWED = "allowed"  # the route is idempotent by itself (offline batch: per client_id)


def authenticate_institution(request: HttpRequest, *, repeats: Repeats = Repeats.REFUSED) -> Institution:
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
    # Offline terminals (docs/threat-model.md): the key id is an institution's own key or an active offline terminal's
    # key; request.offline_terminal says which terminal signed (None: the institution's own key).
    credential = credential_by_key_id(key_id[:40]) if plausible else None
    institution = credential.institution if credential else None
    request.offline_terminal = credential.terminal if credential else None
    # Compute a signature even for an unknown key id, so timing does not tell which ids exist.
    secret = credential.secret if credential else "unknown-institution"
    expected = signature_for(secret, request.method or "GET", signed_path(request), timestamp, request.body)
    # compare_digest refuses non-ASCII str (a header may hold any Latin-1 byte): compare bytes instead.
    given = signature.lower().encode("utf-8", "surrogateescape")
    if institution is None or not hmac.compare_digest(expected.encode(), given):
        raise ApiError(401, "bad_signature", "请求签名不对。请检查机构密钥和签名方法。")
    if not institution.is_active:
        raise ApiError(403, "institution_disabled", "这个机构的接口权限已停用，请联系医保局。")
    try:
        _enforce_rate_limit(institution)
        _refuse_replay(request, institution, given, repeats)
    except ApiError:
        raise
    except Exception:  # the cache (Redis) is away: say so plainly instead of a 500 (docs/threat-model.md)
        log.warning("institution API: the cache cannot be reached", exc_info=True)
        raise ApiError(503, "service_unavailable", "系统暂时忙不过来，请稍等片刻再试。",
                       retry_after=CACHE_DOWN_RETRY_AFTER) from None
    return institution


def signed_path(request: HttpRequest) -> str:
    """The PATH line of the signature: `request.get_full_path()` (see the module docstring)."""
    return request.get_full_path()


def _enforce_rate_limit(institution: Institution) -> None:
    try:
        rate_limit.take(rate_limit.Bucket(f"api-rate:{institution.pk}", settings.API_RATE_LIMIT_PER_MINUTE, 60))
    except rate_limit.Limited as exc:
        raise ApiError(429, "rate_limited", "请求太频繁了，请稍等一分钟再试。", retry_after=exc.retry_after) from None


def _refuse_replay(request: HttpRequest, institution: Institution, signature: bytes, repeats: Repeats) -> None:
    """A signature is good for one POST (docs/threat-model.md). Remembered for twice the clock skew, so a
    copy sent at the far edge of the window is still recognised. GETs change nothing and may repeat.

    The Idempotency-Key header is not signed, so a copy may only pass with the key the first one
    carried: the idempotency record then gives it the first answer, and a new key cannot make a
    captured request run again.
    """
    if request.method in ("GET", "HEAD", "OPTIONS") or repeats == Repeats.ALLOWED:
        return
    idempotency_key = request.headers.get("Idempotency-Key", "") if repeats == Repeats.SAME_IDEMPOTENCY_KEY else ""
    key = f"api-signature:{institution.pk}:{hashlib.sha256(signature).hexdigest()}"
    if cache.add(key, "key:" + idempotency_key, timeout=2 * settings.API_CLOCK_SKEW_SECONDS):
        return
    if idempotency_key and cache.get(key) == "key:" + idempotency_key:
        return
    raise ApiError(409, "replayed_request",
                   "这个请求已经收到过了，同一个签名不能再用。要重发，请重新签名，"
                   "或者带上和第一次相同的 Idempotency-Key。")
