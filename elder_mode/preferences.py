"""Where the elder-mode choice lives: on the account when signed in, and in a cookie always."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "elder_mode"
COOKIE_AGE = 365 * 24 * 3600
OFFER_SEEN_COOKIE = "elder_offer_seen"  # the "字太小？" offer is made once


def elder_mode_for(request: HttpRequest) -> tuple[bool, bool]:
    """(enabled, chosen): chosen is False on a first visit, when we offer the choice. Workers are never
    offered it (their pages are tools, not a citizen's first visit), and it is offered once."""
    user = getattr(request, "user", None)
    if getattr(request, "kiosk", None) is None and user is not None and user.is_authenticated \
            and getattr(user, "elder_mode", None) is not None:
        return bool(user.elder_mode), True
    cookie = request.COOKIES.get(COOKIE_NAME)
    if cookie in ("1", "0"):
        return cookie == "1", True
    if getattr(request, "kiosk", None) is not None:
        return True, True  # kiosks start in elder mode
    if getattr(user, "is_worker", False) or request.COOKIES.get(OFFER_SEEN_COOKIE) == "1":
        return False, True
    return False, False


def remember_elder_mode(response: HttpResponse, enabled: bool) -> None:
    response.set_cookie(COOKIE_NAME, "1" if enabled else "0", max_age=COOKIE_AGE, samesite="Lax", httponly=True)


VOICE_COOKIE = "voice"  # "on" plays each step's guide and each result by itself
VOICE_LANG_COOKIE = "voice_lang"  # "cmn" Mandarin, "yue" Cantonese
VOICE_RATE_COOKIE = "voice_rate"  # "normal" or "slow"
VOICE_PACK_COOKIE = "voice_pack"  # a community dialect pack's code ("wuu-hz"), or absent: synthesized voice
PACK_CODE = re.compile(r"^[a-z0-9-]{2,16}$")
VOICE_LANGS = ("cmn", "yue")
VOICE_RATES = ("normal", "slow")


def voice_preferences(request: HttpRequest) -> dict[str, str | bool]:
    lang = request.COOKIES.get(VOICE_LANG_COOKIE)
    rate = request.COOKIES.get(VOICE_RATE_COOKIE)
    voice = request.COOKIES.get(VOICE_COOKIE)
    if voice not in ("on", "off"):
        # Nobody chose: kiosks speak (the person in front of one often reads with difficulty, and the kiosk is
        # wiped back to this after each visit), everywhere else stays quiet until she turns voice on.
        voice = "on" if getattr(request, "kiosk", None) is not None else "off"
    return {
        "voice_on": voice == "on",
        "voice_lang": lang if lang in VOICE_LANGS else "cmn",
        "voice_rate": rate if rate in VOICE_RATES else "normal",
        # Only its shape is checked here (this runs on every page); a pack that does not exist, or has no clip
        # for a guide, falls back to the synthesized voice (elder_mode/voice/views.py).
        "voice_pack": pack if (pack := request.COOKIES.get(VOICE_PACK_COOKIE, "")) and PACK_CODE.match(pack) else "",
    }


def remember_voice(response: HttpResponse, *, on: bool, lang: str, rate: str, pack: str | None = None) -> None:
    for name, value in ((VOICE_COOKIE, "on" if on else "off"), (VOICE_LANG_COOKIE, lang), (VOICE_RATE_COOKIE, rate)):
        response.set_cookie(name, value, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
    if pack:
        response.set_cookie(VOICE_PACK_COOKIE, pack, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
    elif pack is not None:
        response.delete_cookie(VOICE_PACK_COOKIE, samesite="Lax")
