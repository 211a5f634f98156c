from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.safe_next import safe_next
from elder_mode.actions import set_elder_mode
from elder_mode.glossary import TERMS
from elder_mode.packs.selectors import packs_with_clips
from elder_mode.preferences import VOICE_LANGS, VOICE_RATES, remember_elder_mode, remember_voice, voice_preferences
from elder_mode.voice.guides import GUIDES


@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    """One tap: turn elder mode on or off, then go back to the same page."""
    enabled = request.POST.get("elder_mode") == "1"
    set_elder_mode(request.user, enabled)
    response = redirect(safe_next(request, request.POST.get("next")))
    remember_elder_mode(response, enabled)
    return response


@require_http_methods(["GET", "POST"])
def voice_settings(request: HttpRequest) -> HttpResponse:
    """听语音: on or off, Mandarin or Cantonese, slow or normal. Remembered in cookies (kiosks too)."""


    if request.method == "POST":
        lang = request.POST.get("voice_lang")
        rate = request.POST.get("voice_rate")
        on = request.POST.get("voice_on") == "on"
        pack = request.POST.get("voice_pack", "")
        response = redirect(_safe_next(request))
        remember_voice(response, on=on, lang=lang if lang in VOICE_LANGS else "cmn",
                       rate=rate if rate in VOICE_RATES else "normal",
                       pack=pack if pack in {p.code for p, n in packs_with_clips() if n} else "")
        return response
    return render(request, "elder_mode/voice_settings.html", {"prefs": voice_preferences(request),
                                                              "next": _safe_next(request),
                                                              "dialect_packs": [(p, n) for p, n in packs_with_clips()
                                                                                if n],
                                                              "guide_count": len(GUIDES)})


def glossary(request: HttpRequest) -> HttpResponse:


    return render(request, "elder_mode/glossary.html", {"terms": TERMS})


@require_http_methods(["GET", "POST"])
def keepalive(request: HttpRequest) -> HttpResponse:
    """One tap on "继续使用" keeps the session going: the session is saved now, whenever it was last saved."""
    if request.user.is_authenticated:
        request.session.modified = True

    return JsonResponse({"ok": True, "seconds": request.session.get_expiry_age() if request.user.is_authenticated
                         else None})


def _safe_next(request: HttpRequest) -> str:
    return safe_next(request)
