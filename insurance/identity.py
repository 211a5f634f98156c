"""Checking the identifiers people type: the resident ID number (GB 11643) and mobile numbers.

Each failure carries a plain-Chinese sentence that says what to fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_PHONE_SHAPE = re.compile(r"\+?[0-9]{1,20}")
# Typed between groups of digits; dropped before checking.
_PHONE_SEPARATORS = str.maketrans("", "", " -().")


class InvalidIdentifier(ValueError):
    """Raised with a message that can be shown to the person as it is."""


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    gender: str  # "M" or "F"
    region_code: str


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _typed_text(raw: Any) -> str:
    """What was typed, in one Unicode form: NFKC turns full-width digits (３３０１) and letters (ｘ) into
    ASCII, and full-width spaces into spaces; all whitespace is then dropped. Anything else that is not an
    ASCII digit stays as it is and is refused by the shape checks below (never by int(), which would
    accept Arabic-Indic digits and choke on a superscript ²)."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    return "".join(unicodedata.normalize("NFKC", text).split())


def parse_id_number(raw: str) -> IdNumber:
    value = _typed_text(raw).upper()
    if not value:
        raise InvalidIdentifier(_("请填写身份证号。"))
    if len(value) != 18:
        raise InvalidIdentifier(_("身份证号应该是18位，您填了%(n)d位。") % {"n": len(value)})
    if not _ID_SHAPE.fullmatch(value):
        raise InvalidIdentifier(_("身份证号只能是数字，最后一位可以是X。"))
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdentifier(_("身份证号里的出生日期不对，请再核对一遍。")) from exc
    if birth.year < 1890 or birth > timezone.localdate():
        raise InvalidIdentifier(_("身份证号里的出生日期不对，请再核对一遍。"))
    if id_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier(_("身份证号有一位不对（最后一位校验不通过），请对照身份证再核对一遍。"))
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value=value, birth_date=birth, gender=gender, region_code=value[:6])


def normalize_mobile(raw: str) -> str:
    """Return a mainland mobile number in E.164 (+8613800138000) or raise InvalidIdentifier."""
    text = _typed_text(raw).translate(_PHONE_SEPARATORS)
    if not text:
        raise InvalidIdentifier(_("请填写手机号。"))
    if not _PHONE_SHAPE.fullmatch(text):
        raise InvalidIdentifier(_("手机号格式不对，请填写11位手机号。"))
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(_("手机号格式不对，请填写11位手机号。")) from exc
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(_("手机号格式不对，请填写11位手机号。"))
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidIdentifier(_("请填写手机号，不要填座机号。"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_name(raw: str) -> str:
    name = (raw or "").strip().replace(" ", "").replace("\u3000", "")
    if not name:
        raise InvalidIdentifier(_("请填写姓名。"))
    if len(name) > 40:
        raise InvalidIdentifier(_("姓名太长了，请按身份证上的姓名填写。"))
    return name


class IdNumberField(forms.CharField):
    """The one ID-number field for every form that takes one (activation, family, helper kiosk): cleans to
    the 18-character value or says in plain words what is wrong. Any Unicode input gets a message, never
    an error page. `optional=True` lets the field stay empty (when another field can be used instead)."""

    def __init__(self, *, optional: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.optional = optional

    def clean(self, value: Any) -> str:
        if self.optional and not _typed_text(value):
            return ""
        try:
            return parse_id_number(value).value
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class PersonNameField(forms.CharField):
    """A person's name as on her ID card, cleaned by `normalize_name`. It has no `maxlength` in the page: a
    browser would cut a long name silently, and she would not know why it does not match; here a name over
    the limit gets a message instead."""

    def __init__(self, *, optional: bool = False, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "name"}))
        super().__init__(**kwargs)
        self.optional = optional

    def clean(self, value: Any) -> str:
        if self.optional and not _typed_text(value):
            return ""
        try:
            return normalize_name(value if isinstance(value, str) else "")
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class MobileField(forms.CharField):
    """A mainland mobile number, cleaned to E.164 by `normalize_mobile`, with its plain message."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        try:
            return normalize_mobile(value)
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
