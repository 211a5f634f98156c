"""The signed rotating code (docs/design.md §3.2).

Layout, before base64url: version (1 byte) | key id (4) | voucher public id (16) | issued at,
unix seconds (8) | nonce (12) | Ed25519 signature over everything before it (64) = 105 bytes.
A counter holding the public keys from /api/v1/keys can check a code with no network.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
import struct
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.utils.translation import gettext as _

from core.practice import is_practice_code, practice_code_refused

VERSION = 1
_HEADER = struct.Struct(">B4s16sQ12s")
SIGNED_LEN = _HEADER.size
TOKEN_LEN = SIGNED_LEN + 64
CLOCK_SKEW_SECONDS = 5
# Exactly the base64url alphabet, no padding: a token has one spelling, so no character can be changed.
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]+")


class CodeTokenError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SigningKey:
    key_id: bytes
    private: Ed25519PrivateKey
    public_raw: bytes


@dataclass(frozen=True)
class CodeClaims:
    voucher_public_id: uuid.UUID
    issued_at: int
    nonce: str
    key_id: str

    @property
    def issued_at_datetime(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.issued_at, tz=dt.UTC)


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=8)
def _keys(ring: tuple[tuple[str, bytes], ...]) -> tuple[SigningKey, ...]:
    keys = []
    for _label, seed in ring:
        private = Ed25519PrivateKey.from_private_bytes(seed)
        public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        keys.append(SigningKey(hashlib.sha256(public_raw).digest()[:4], private, public_raw))
    return tuple(keys)


def signing_keys() -> tuple[SigningKey, ...]:
    return _keys(tuple((e.key_id, e.key) for e in settings.CODE_SIGNING_KEYS))


def published_keys() -> list[dict]:
    """What /api/v1/keys serves: the first key signs new codes, the others still verify."""
    return [
        {
            "kid": key.key_id.hex(),
            "alg": "Ed25519",
            "public_key": _b64e(key.public_raw),
            "status": "active" if i == 0 else "retiring",
        }
        for i, key in enumerate(signing_keys())
    ]


def issue_code_token(voucher_public_id: uuid.UUID, *, now: int | None = None) -> str:
    key = signing_keys()[0]
    issued = int(time.time()) if now is None else now
    signed = _HEADER.pack(VERSION, key.key_id, voucher_public_id.bytes, issued, os.urandom(12))
    return _b64e(signed + key.private.sign(signed))


def verify_code_token(
    token: str, *, public_keys: dict[bytes, bytes] | None = None, now: int | None = None
) -> CodeClaims:
    """Check form, signature and age. Whether the voucher is active or the token used is the caller's."""
    text = (token or "").strip()
    if is_practice_code(text):  # learn's practice code (core/practice.py): refused here, her practice page is told
        practice_code_refused(text)
        raise CodeTokenError("code_practice", _("这是练习用的医保码，不能结算。请让她打开真的医保码。"))
    if not text:
        raise CodeTokenError("code_missing", _("没有收到医保码，请重新扫码。"))
    if len(text) > 400 or not _TOKEN_TEXT.fullmatch(text):
        raise CodeTokenError("code_malformed", _("这不是医保码，请扫医保通里的二维码。"))
    try:
        raw = _b64d(text)
    except (binascii.Error, ValueError):
        raise CodeTokenError("code_malformed", _("这不是医保码，请扫医保通里的二维码。")) from None
    if len(raw) != TOKEN_LEN:
        raise CodeTokenError("code_malformed", _("医保码不完整，请重新扫码。"))
    signed, signature = raw[:SIGNED_LEN], raw[SIGNED_LEN:]
    version, key_id, voucher_bytes, issued, nonce = _HEADER.unpack(signed)
    if version != VERSION:
        raise CodeTokenError("code_malformed", _("医保码版本不对，请让对方刷新医保码。"))
    keys = public_keys if public_keys is not None else {k.key_id: k.public_raw for k in signing_keys()}
    public_raw = keys.get(key_id)
    if public_raw is None:
        raise CodeTokenError("code_forged", _("医保码无法核验，可能是伪造的。请让对方刷新医保码。"))
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, signed)
    except InvalidSignature:
        raise CodeTokenError("code_forged", _("医保码无法核验，可能是伪造的。请让对方刷新医保码。")) from None
    current = int(time.time()) if now is None else now
    if issued > current + CLOCK_SKEW_SECONDS:
        raise CodeTokenError("code_forged", _("医保码时间不对。请检查收费电脑的时间，或让对方刷新医保码。"))
    if current - issued > settings.CODE_TTL_SECONDS:
        raise CodeTokenError("code_expired", _("医保码已过期（60秒内有效），请让对方刷新后再扫。"))
    return CodeClaims(uuid.UUID(bytes=voucher_bytes), issued, nonce.hex(), key_id.hex())
