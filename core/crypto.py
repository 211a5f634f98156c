"""Field encryption (AES-256-GCM with a rotatable key ring) and keyed lookup indexes.

A leaf module: it imports no app, so every app may use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_AAD = b"yibaotong-field-v1"
_SEP = "$"


class DecryptionError(Exception):
    pass


def _ring():
    ring = settings.FIELD_ENCRYPTION_KEYS
    if not ring:
        raise RuntimeError("FIELD_ENCRYPTION_KEYS is empty")
    return ring


def encrypt(plaintext: str) -> str:
    entry = _ring()[0]
    nonce = os.urandom(12)
    ciphertext = AESGCM(entry.key).encrypt(nonce, plaintext.encode(), _AAD)
    return _SEP.join(
        [entry.key_id, base64.urlsafe_b64encode(nonce).decode(), base64.urlsafe_b64encode(ciphertext).decode()]
    )


def decrypt(token: str) -> str:
    try:
        key_id, nonce_b64, ct_b64 = token.split(_SEP)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    for entry in _ring():
        if entry.key_id == key_id:
            try:
                plain = AESGCM(entry.key).decrypt(
                    base64.urlsafe_b64decode(nonce_b64), base64.urlsafe_b64decode(ct_b64), _AAD
                )
            except (InvalidTag, ValueError) as exc:
                raise DecryptionError("value does not decrypt") from exc
            return plain.decode()
    raise DecryptionError(f"no key {key_id!r} in FIELD_ENCRYPTION_KEYS")


def key_id_of(token: str) -> str:
    return token.split(_SEP, 1)[0]


def blind_index(purpose: str, value: str) -> str:
    """A keyed hash for equality lookups: same value, same index; without the key, nothing."""
    key = settings.FIELD_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
