"""The institution API, first part: public keys and code verification."""

from __future__ import annotations

import time
from typing import Literal

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
        "expires_in": max(0, 60 - (int(time.time()) - claims.issued_at)),
    }
