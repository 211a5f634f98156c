"""The institution API, first part: public keys and code verification."""

from __future__ import annotations

import json
import time
from typing import Literal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import APIKeyHeader

from core.client_address import client_ip
from settlement.errors import ApiError
from settlement.signing import Repeats, authenticate_institution
from vouchers.actions import verify_code_for
from vouchers.codes import CodeTokenError, published_keys


class InstitutionSignature(APIKeyHeader):
    """Documents the three signing headers in OpenAPI; the check itself covers all three.

    `repeats` says what the route does with a POST whose signature was already seen (signing.Repeats)."""

    param_name = "X-Institution"
    openapi_description = (
        "每个请求带 X-Institution（机构密钥编号）、X-Timestamp（Unix 秒，±300秒内）和 "
        "X-Signature = hex HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nhex SHA-256(body))。"
        "PATH 是发送时百分号编码的路径（即 Django 的 request.get_full_path()），有查询串时加上 \"?\" 和原样的查询串。"
        "同一个签名的 POST 只接受一次（409 replayed_request）。"
    )

    def __init__(self, repeats: Repeats = Repeats.REFUSED) -> None:
        super().__init__()
        self.repeats = repeats

    def authenticate(self, request: HttpRequest, key: str | None):
        return authenticate_institution(request, repeats=self.repeats)


signed = InstitutionSignature()
# A settlement sent again with the same signature and its first Idempotency-Key is answered from the record.
signed_idempotent = InstitutionSignature(Repeats.SAME_IDEMPOTENCY_KEY)
# The offline batch is idempotent per client_id: an identical copy gets the same per-item results.
signed_repeatable = InstitutionSignature(Repeats.ALLOWED)
router = Router()


class Error(Schema):
    error: str
    message: str


class PublicKey(Schema):
    kid: str
    alg: Literal["Ed25519"]
    public_key: str
    status: str


class KeySet(Schema):
    keys: list[PublicKey]
    token_format: str


class VerifyIn(Schema):
    code: str = Field(..., json_schema_extra={"minLength": 1})


class VerifyOut(Schema):
    valid: bool
    masked_name: str
    scheme: str
    scheme_label: str
    region: str
    region_name: str
    expires_in: int


_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 415: Error, 422: Error,
           429: Error, 503: Error}


@router.get("/keys", response={200: KeySet}, summary="Public keys for checking codes offline", auth=None)
def keys(request: HttpRequest):
    return {
        "keys": published_keys(),
        "token_format": "base64url(version:1 | kid:4 | voucher:16 | issued_at:8 BE | nonce:12 | Ed25519 sig:64)",
    }


@router.post("/vouchers/verify", response={200: VerifyOut, **_ERRORS}, auth=signed,
             summary="Check a scanned code")
def verify(request: HttpRequest, payload: VerifyIn):
    institution = request.auth
    try:
        claims, voucher = verify_code_for(payload.code, institution=institution, ip=client_ip(request))
    except CodeTokenError as exc:
        status = 409 if exc.code in ("code_used",) else 422
        raise ApiError(status, exc.code, exc.message) from None
    person = voucher.person
    return {
        "valid": True,
        "masked_name": person.masked_name,
        "scheme": person.scheme,
        "scheme_label": person.get_scheme_display(),
        "region": person.region_code,
        "region_name": person.region_name,
        "expires_in": max(0, settings.CODE_TTL_SECONDS - (int(time.time()) - claims.issued_at)),
    }


# --- settlements ---------------------------------------------------------------------------------

import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import re  # noqa: E402
from typing import Any  # noqa: E402
from uuid import UUID  # noqa: E402

from django.db import IntegrityError, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from ninja.responses import Status  # noqa: E402
from pydantic import ConfigDict  # noqa: E402
from pydantic.json_schema import SkipJsonSchema  # noqa: E402

from settlement.actions import SettlementError, submit_settlement  # noqa: E402
from settlement.batch import BatchIn, BatchOut, check_size, upload_batch  # noqa: E402
from settlement.models import IdempotencyRecord, Settlement  # noqa: E402
from settlement.schemas import BillIn, bill_items  # noqa: E402
from settlement.texts import headline, spoken  # noqa: E402

ONLINE_CAPTURED_AT = ("在线结算不接受 captured_at：医保码按服务器时间核验，60秒内有效。"
                      "离线采集的结算请用离线收费终端的密钥上传到 /api/v1/settlements/batch。")


class SettlementIn(BillIn):
    """An online settlement: the code is checked against the server's clock when it arrives."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": ["captured_at"]}})
    # Only to recognise and refuse it with a plain message (docs/threat-model.md); not in the published schema.
    captured_at: SkipJsonSchema[Any] = None


class SettlementAccepted(Schema):
    id: UUID
    status: str
    status_url: str


class SettlementOut(Schema):
    id: UUID
    status: str
    status_label: str
    total: str
    fund_pay: str | None
    account_pay: str | None
    self_pay: str | None
    reason: str
    next_step: str
    spoken: str
    offline: bool
    client_id: str


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def settlement_out(s: Settlement) -> dict:
    return {
        "id": s.public_id, "status": s.status, "status_label": headline(s), "total": _money(s.total),
        "fund_pay": _money(s.fund_pay), "account_pay": _money(s.account_pay), "self_pay": _money(s.self_pay),
        "reason": s.reason, "next_step": s.next_step, "spoken": spoken(s), "offline": s.offline,
        "client_id": s.client_id,
    }


def _status_url(s: Settlement) -> str:
    return reverse("api-v1:settlement_status", kwargs={"settlement_id": s.public_id})


# Idempotency-Key (docs/threat-model.md): the key is reserved per institution BEFORE the work, by inserting its
# record in a transaction of its own (the unique constraint decides who runs); the record holds
# status_code IN_PROGRESS and no answer until the work is done. Documented in docs/architecture.md,
# "Institution API contract".
IN_PROGRESS = 0
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,100}")  # visible ASCII, no spaces: what a UUID or a counter's id looks like
IDEMPOTENCY_WAIT_SECONDS = 3.0  # how long a duplicate waits for the original's answer before 409 request_in_progress
IDEMPOTENCY_POLL_SECONDS = 0.05
IDEMPOTENCY_RETRY_AFTER = 1  # Retry-After (seconds) on 409 request_in_progress
# A reservation this old was left by a process that died mid-request: a retry may take it over. Whatever the
# dead process committed is still guarded by the code's single use (UsedCodeToken) and per-client_id uniqueness.
IDEMPOTENCY_ABANDONED_AFTER = dt.timedelta(seconds=60)
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "可选。同一个机构的同一个键只处理一次：同样的内容再发得到第一次的答复；第一次还在处理时，"
                   "稍等后答复，或 409 request_in_progress 加 Retry-After；不同的内容总是 409 idempotency_key_reused。",
    "schema": {"type": "string", "pattern": "^[!-~]{1,100}$", "minLength": 1, "maxLength": 100},
}


def _idempotency_key(request: HttpRequest) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(400, "bad_idempotency_key",
                       "Idempotency-Key 要由1到100个英文字母、数字或符号组成，不能有空格或汉字。")
    return key


def _idempotent(request: HttpRequest, produce) -> tuple[int, dict]:
    """Same Idempotency-Key and same body: the same answer again, also while the first is still running
    (we wait for it, or say 409 request_in_progress with Retry-After). Same key, other body: 409 always.
    If the first fails unexpectedly its reservation is released, so a retry can run."""
    key = _idempotency_key(request)
    if key is None:
        return produce()
    institution = request.auth
    body_hash = hashlib.sha256(request.body).hexdigest()
    path = request.path
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_SECONDS
    while True:
        record = _reserve(institution, key, path, body_hash)
        if record is not None:
            break
        previous = IdempotencyRecord.objects.filter(institution=institution, key=key).first()
        if previous is not None:
            if previous.body_hash != body_hash or previous.path != path:
                raise ApiError(409, "idempotency_key_reused", "这个 Idempotency-Key 已经用于另一个请求，请换一个新的。")
            if previous.status_code != IN_PROGRESS:
                return previous.status_code, previous.response
            if _take_over_abandoned(previous):
                record = previous
                break
        # else: the original failed and let go of the key just now; try to reserve it again.
        if time.monotonic() >= deadline:
            raise ApiError(409, "request_in_progress",
                           "同一个请求还在处理中。请稍等一下，再用同一个 Idempotency-Key 重发，就能拿到结果。",
                           retry_after=IDEMPOTENCY_RETRY_AFTER)
        time.sleep(IDEMPOTENCY_POLL_SECONDS)
    try:
        status, body = produce()
    except ApiError as exc:
        if exc.status >= 500 or exc.status == 429:  # passing conditions: let a retry run
            _release(record)
            raise
        status, body = exc.status, exc.as_dict()
    except BaseException:
        _release(record)
        raise
    body = _jsonable(body)
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status, response=body)
    return status, body


def _reserve(institution, key: str, path: str, body_hash: str) -> IdempotencyRecord | None:
    """The key's record, marked in progress and committed at once; None when another request holds it."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(institution=institution, key=key, path=path, body_hash=body_hash,
                                                    status_code=IN_PROGRESS, response={})
    except IntegrityError:
        return None


def _take_over_abandoned(record: IdempotencyRecord) -> bool:
    if record.created_at > timezone.now() - IDEMPOTENCY_ABANDONED_AFTER:
        return False
    return IdempotencyRecord.objects.filter(pk=record.pk, status_code=IN_PROGRESS,
                                            created_at=record.created_at).update(created_at=timezone.now()) == 1


def _release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status_code=IN_PROGRESS).delete()


def _jsonable(body: dict) -> dict:


    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


@router.post("/settlements", response={202: SettlementAccepted, **_ERRORS}, auth=signed_idempotent,
             url_name="settlements", openapi_extra={"parameters": [IDEMPOTENCY_KEY_PARAMETER]},
             summary="Submit a bill for settlement",
             description="在线结算：医保码按服务器时间核验（签发后60秒内有效）。不接受 captured_at，"
                         "带了会得到 422 offline_capture_not_allowed_online；离线采集请用 /settlements/batch。")
def create_settlement(request: HttpRequest, payload: SettlementIn):
    if "captured_at" in payload.model_fields_set:
        raise ApiError(422, "offline_capture_not_allowed_online", ONLINE_CAPTURED_AT)

    def produce():
        try:
            s = submit_settlement(institution=request.auth, code=payload.code, visit_type=payload.visit_type,
                                  items=bill_items(payload), condition=payload.condition)
        except SettlementError as exc:
            raise ApiError(exc.status, exc.error, exc.message) from None
        return 202, {"id": s.public_id, "status": s.status, "status_url": _status_url(s)}

    status, body = _idempotent(request, produce)
    if status >= 400:
        raise ApiError(status, body["error"], body["message"])
    return Status(status, body)


OFFLINE_NOT_ALLOWED = ("只有登记为离线收费终端的收费台才能上传离线结算：请用终端自己的密钥编号和密钥签名，"
                       "机构密钥不能上传。需要开通请联系医保局。")


@router.post("/settlements/batch", response={200: BatchOut, **_ERRORS}, auth=signed_repeatable,
             url_name="settlement_batch", openapi_extra={"parameters": [IDEMPOTENCY_KEY_PARAMETER]},
             summary="Upload settlements captured offline (idempotent per client_id)",
             description="只接受离线收费终端自己的密钥签名（机构密钥得到 403 offline_not_allowed）。每笔不超过离线限额"
                         "（超过的结果是 over_floor_limit），采集后72小时内上传，captured_at 不能晚于现在，"
                         "医保码在 captured_at 时必须有效。每笔离线结算都会短信告诉参保人和她授权看结算的家人。")
def settlement_batch(request: HttpRequest, payload: BatchIn):
    """The signed door to the one upload path (settlement/batch.py): only a terminal's own key gets in."""
    terminal = getattr(request, "offline_terminal", None)
    if terminal is None:
        raise ApiError(403, "offline_not_allowed", OFFLINE_NOT_ALLOWED)
    try:
        check_size(payload.settlements)  # before the Idempotency-Key is reserved: a refused batch holds no key
    except SettlementError as exc:
        raise ApiError(exc.status, exc.error, exc.message) from None

    def produce():
        return 200, upload_batch(request.auth, payload.settlements, terminal=terminal)

    return Status(*_idempotent(request, produce))


# Registered last: its path would otherwise swallow /settlements/batch.
@router.get("/settlements/{settlement_id}", response={200: SettlementOut, **_ERRORS}, auth=signed,
            url_name="settlement_status", summary="The current state of a settlement")
def settlement_status(request: HttpRequest, settlement_id: str):
    try:
        public_id = UUID(settlement_id)
    except ValueError:
        raise ApiError(404, "not_found", "找不到这笔结算。") from None
    s = Settlement.objects.filter(public_id=public_id, institution=request.auth).first()
    if s is None:  # another institution's settlement looks exactly like a missing one
        raise ApiError(404, "not_found", "找不到这笔结算。")
    return Status(200, settlement_out(s))
