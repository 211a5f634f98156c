"""Typed reading of the environment.

Every setting that differs between machines comes from here, and a bad value stops the
process at start-up with a message that names the variable, rather than failing later.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_decimal(name: str, default: str, *, places: int = 2, minimum: str = "0") -> Decimal:
    """A decimal amount such as ``200.00`` (yuan), at most `places` decimals and at least `minimum`."""
    raw = os.environ.get(name)
    text = default if raw is None or raw.strip() == "" else raw.strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name} must be an amount like {default}, not {raw!r}") from exc
    if not value.is_finite() or value != value.quantize(Decimal(1).scaleb(-places)):
        raise ImproperlyConfigured(f"{name} must be an amount with at most {places} decimals, not {raw!r}")
    if value < Decimal(minimum):
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}")
    return value.quantize(Decimal(1).scaleb(-places))


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class KeyRingEntry:
    key_id: str
    key: bytes


def parse_key_ring(name: str, raw: str, *, length: int = 32) -> list[KeyRingEntry]:
    """Parse ``id:base64key,id:base64key``; the first entry is the one used for new data."""
    entries: list[KeyRingEntry] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, sep, b64 = part.partition(":")
        if not sep or not key_id.isalnum():
            raise ImproperlyConfigured(f"{name}: each key must look like 'k1:<base64 of {length} bytes>'")
        try:
            key = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"{name}: key {key_id!r} is not valid base64") from exc
        if len(key) != length:
            raise ImproperlyConfigured(f"{name}: key {key_id!r} must be {length} bytes, not {len(key)}")
        entries.append(KeyRingEntry(key_id, key))
    if not entries:
        raise ImproperlyConfigured(f"{name} holds no key")
    if len({e.key_id for e in entries}) != len(entries):
        raise ImproperlyConfigured(f"{name}: key ids must be unique")
    return entries
