"""`{% why_paid breakdown %}`: "why I paid this" under a settlement or an estimate, with a button that reads
it aloud (the say endpoint of elder mode, as the live results are spoken: docs/design.md §6)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, reverse

from insurance.explain import explain

register = template.Library()

# What the say endpoint can read: Chinese, digits and punctuation, no letters (an English page keeps the text).
_LETTERS = re.compile(r"[A-Za-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _say_url(text: str, lang: str, rate: str) -> str:
    if not text or _LETTERS.search(text) or not _HAN.search(text):
        return ""
    try:
        base = reverse("elder_mode:voice_say")
    except NoReverseMatch:
        return ""
    return f"{base}?{urlencode({'lang': lang, 'rate': rate, 'text': text})}"


@register.inclusion_tag("insurance/_why_paid.html", takes_context=True)
def why_paid(context, breakdown, heading: str = "h2", for_operator: bool = False) -> dict:
    why = explain(breakdown)
    return {
        "why": why,
        "heading": heading if heading in ("h2", "h3") else "h2",
        "for_operator": for_operator,
        "say_url": "" if for_operator else _say_url(why.spoken, context.get("voice_lang", "cmn"),
                                                     context.get("voice_rate", "normal")),
    }
