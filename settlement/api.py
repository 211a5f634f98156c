"""The institution API, first part: public keys and code verification."""

from __future__ import annotations

import time
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import APIKeyHeader

from audit.actions import record_event
from audit.models import Via
from settlement.errors import ApiError
from settlement.signing import authenticate_institution
from vouchers.actions import check_code
from vouchers.codes import CodeTokenError, published_keys


class InstitutionSignature(APIKeyHeader):
    """Documents the three signing headers in OpenAPI; the check itself covers all three."""

    param_name = "X-Institution"
    openapi_description = (
        "每个请求带 X-Institution（机构密钥编号）、X-Timestamp（Unix 秒，±300秒内）和 "
        "X-Signature = hex HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nhex SHA-256(body))。"
    )

    def authenticate(self, request: HttpRequest, key: str | None):
        return authenticate_institution(request)


signed = InstitutionSignature()
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
    code: str


class VerifyOut(Schema):
    valid: bool
    masked_name: str
    scheme: str
    scheme_label: str
    region: str
    region_name: str
    expires_in: int


_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error, 429: Error}


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
        claims, voucher = check_code(payload.code)
    except CodeTokenError as exc:
        status = 409 if exc.code in ("code_used",) else 422
        raise ApiError(status, exc.code, exc.message) from None
    person = voucher.person
    record_event(action="voucher.code_verified", via=Via.INSTITUTION, actor_label=institution.name,
                 subject=person, ip=request.META.get("REMOTE_ADDR"))
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
from decimal import Decimal  # noqa: E402
from uuid import UUID  # noqa: E402

from django.db import IntegrityError, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from ninja import Field  # noqa: E402
from ninja.responses import Status  # noqa: E402

from settlement.actions import ItemIn, SettlementError, submit_settlement  # noqa: E402
from settlement.models import IdempotencyRecord, Settlement  # noqa: E402
from settlement.texts import headline, spoken  # noqa: E402

MAX_BATCH = 100


class Item(Schema):
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    category: str = Field(..., max_length=1, description="A 甲类 | B 乙类 | C 丙类")
    quantity: Decimal
    unit_price: Decimal


class SettlementIn(Schema):
    code: str = Field(..., max_length=400)
    visit_type: Literal["outpatient", "inpatient", "pharmacy"]
    items: list[Item] = Field(..., max_length=200)
    captured_at: dt.datetime | None = None


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


class BatchItemIn(SettlementIn):
    client_id: str = Field(..., min_length=1, max_length=64)
    captured_at: dt.datetime


class BatchIn(Schema):
    settlements: list[BatchItemIn]


class BatchResult(Schema):
    client_id: str
    ok: bool
    id: UUID | None = None
    status: str | None = None
    error: str | None = None
    message: str | None = None


class BatchOut(Schema):
    accepted: int
    rejected: int
    results: list[BatchResult]


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


def _items(payload: SettlementIn) -> list[ItemIn]:
    return [ItemIn(i.code, i.name, i.category, i.quantity, i.unit_price) for i in payload.items]


def _idempotent(request: HttpRequest, produce) -> tuple[int, dict]:
    """Same Idempotency-Key and same body: the same answer again. Same key, other body: 409."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return produce()
    if len(key) > 100:
        raise ApiError(400, "bad_idempotency_key", "Idempotency-Key 太长，最多100个字符。")
    institution = request.auth
    body_hash = hashlib.sha256(request.body).hexdigest()
    previous = IdempotencyRecord.objects.filter(institution=institution, key=key).first()
    if previous is not None:
        if previous.body_hash != body_hash or previous.path != request.path:
            raise ApiError(409, "idempotency_key_reused", "这个 Idempotency-Key 已经用于另一个请求，请换一个新的。")
        return previous.status_code, previous.response
    try:
        status, body = produce()
    except ApiError as exc:
        status, body = exc.status, exc.as_dict()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(institution=institution, key=key, path=request.path,
                                             body_hash=body_hash, status_code=status, response=_jsonable(body))
    except IntegrityError:
        previous = IdempotencyRecord.objects.get(institution=institution, key=key)
        return previous.status_code, previous.response
    return status, body


def _jsonable(body: dict) -> dict:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


@router.post("/settlements", response={202: SettlementAccepted, **_ERRORS}, auth=signed, url_name="settlements",
             summary="Submit a bill for settlement")
def create_settlement(request: HttpRequest, payload: SettlementIn):
    def produce():
        try:
            s = submit_settlement(institution=request.auth, code=payload.code, visit_type=payload.visit_type,
                                  items=_items(payload), captured_at=payload.captured_at)
        except SettlementError as exc:
            raise ApiError(exc.status, exc.error, exc.message) from None
        return 202, {"id": s.public_id, "status": s.status, "status_url": _status_url(s)}

    status, body = _idempotent(request, produce)
    if status >= 400:
        raise ApiError(status, body["error"], body["message"])
    return Status(status, body)


@router.post("/settlements/batch", response={200: BatchOut, **_ERRORS}, auth=signed, url_name="settlement_batch",
             summary="Upload settlements captured offline (idempotent per client_id)")
def settlement_batch(request: HttpRequest, payload: BatchIn):
    if not payload.settlements:
        raise ApiError(422, "empty_batch", "批量上传里没有结算。")
    if len(payload.settlements) > MAX_BATCH:
        raise ApiError(413, "batch_too_large", f"一次最多上传{MAX_BATCH}笔，请分几次上传。")

    def produce():
        results = [upload_one(request.auth, item) for item in payload.settlements]
        accepted = sum(1 for r in results if r["ok"])
        return 200, {"accepted": accepted, "rejected": len(results) - accepted, "results": results}

    return Status(*_idempotent(request, produce))


def upload_one(institution, item, operator=None) -> dict:
    try:
        s = submit_settlement(institution=institution, code=item.code, visit_type=item.visit_type,
                              items=_items(item), captured_at=item.captured_at, client_id=item.client_id,
                              operator=operator)
    except SettlementError as exc:
        return {"client_id": item.client_id, "ok": False, "error": exc.error, "message": exc.message}
    return {"client_id": item.client_id, "ok": True, "id": s.public_id, "status": s.status}


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
