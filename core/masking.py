"""How identifiers look on screen and in logs: enough to recognise, never enough to use."""

from __future__ import annotations

import re


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = value[-11:] if value.startswith("+86") else value
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


_ID_RE = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])(?![0-9])")
_PHONE_RE = re.compile(r"(?<![0-9])(\+?86)?(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")


def mask_identifiers_in_text(text: str) -> str:
    """Mask every 18-character ID number and mainland mobile number found in free text."""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_RE.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(4), text)
