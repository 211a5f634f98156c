"""`{% voice_guide "identity" %}`: the big "听语音说明" button and the same words on screen."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from elder_mode.voice.guides import guide_text

register = template.Library()


def _guide_text(key: str) -> str:
    try:
        return guide_text(key)
    except KeyError:
        return ""


@register.inclusion_tag("elder_mode/_voice_guide.html", takes_context=True)
def voice_guide(context, key: str) -> dict:
    lang = context.get("voice_lang", "cmn")
    rate = context.get("voice_rate", "normal")
    try:
        url = reverse("elder_mode:voice_guide", kwargs={"lang": lang, "rate": rate, "key": key})
        if context.get("voice_pack"):  # her dialect pack is in the URL, so no cache mixes a clip and a synth
            url += f"?pack={context['voice_pack']}"
    except NoReverseMatch:
        url = ""
    return {"key": key, "url": url, "text": _guide_text(key)}
