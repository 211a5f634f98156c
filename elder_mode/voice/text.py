"""What may be spoken, and how numbers are read aloud."""

from __future__ import annotations

import re
import unicodedata

MAX_SAY_CHARS = 200

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_DIGITS = "0-9\uff10-\uff19"
# Chinese and full-width punctuation, a few ASCII signs used with numbers, and spaces. No letters.
_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65" + r".,:;!?%+\-()/·…—“”‘’ "
_ALLOWED = re.compile(f"[{_HAN}{_DIGITS}{_PUNCT}]+")
_SPEAKABLE = re.compile(f"[{_HAN}{_DIGITS}]")

_DIGIT_NAMES = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
_FULL_WIDTH_NUMBERS = str.maketrans("０１２３４５６７８９．％", "0123456789.%")


class UnspeakableText(ValueError):
    """The text cannot be spoken; the message is a plain sentence for the person."""


def clean_spoken_text(raw: str | None) -> str:
    """The text of a dynamic result (e.g. 医保支付85元，您自付15元), checked: Chinese, digits and punctuation only,
    at most 200 characters. Raises UnspeakableText with a plain message otherwise."""
    text = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not text:
        raise UnspeakableText("请给出要读的文字。")
    if len(text) > MAX_SAY_CHARS:
        raise UnspeakableText(f"文字太长了，最多{MAX_SAY_CHARS}个字。")
    if not _ALLOWED.fullmatch(text):
        raise UnspeakableText("只能读中文、数字和标点。")
    if not _SPEAKABLE.search(text):
        raise UnspeakableText("没有可以读的文字。")
    return text


def spoken_form(text: str) -> str:
    """How the engines should read numbers: 15.5 → 15点5, 90% → 百分之90, and long digit runs that are not
    amounts (the hotline 12393, phone numbers) digit by digit (一二三九三) instead of as one big number."""
    text = text.translate(_FULL_WIDTH_NUMBERS)
    text = re.sub(r"(\d+(?:\.\d+)?)%", r"百分之\1", text)
    text = re.sub(r"(?<=\d)\.(?=\d)", "点", text)

    def by_digit(match: re.Match[str]) -> str:
        return "".join(_DIGIT_NAMES[d] for d in match.group(0))

    return re.sub(r"(?<![\d点])\d{5,}(?![\d点元])", by_digit, text)
