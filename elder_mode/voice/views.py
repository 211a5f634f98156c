"""`/elder/voice/<lang>/<rate>/<key>.audio` (a fixed guide) and `/elder/voice/say?text=…` (a result such as
医保支付85元，您自付15元). Bad input answers 4xx with a plain sentence, a missing engine 503; never a 500."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from core import rate_limit
from core.client_address import client_ip
from core.crypto import blind_index
from elder_mode.packs.selectors import current_clip
from elder_mode.preferences import PACK_CODE
from elder_mode.voice.cache import CachedAudio, get_or_synthesize
from elder_mode.voice.engines import LANGS, RATES, VoiceUnavailable
from elder_mode.voice.guides import GUIDES, guide_text
from elder_mode.voice.text import UnspeakableText, clean_spoken_text

log = logging.getLogger(__name__)

GUIDE_MAX_AGE = 24 * 3600
PACK_GUIDE_MAX_AGE = 600
SAY_MAX_AGE = 3600
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _plain(message: str, status: int) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _check_lang_rate(lang: str, rate: str) -> HttpResponse | None:
    if lang not in LANGS:
        return _plain("没有这种语言的语音。请选普通话（cmn）或粤语（yue）。", 400)
    if rate not in RATES:
        return _plain("语速只能选正常（normal）或慢一点（slow）。", 400)
    return None


def _audio_response(request: HttpRequest, item: CachedAudio, cache_control: str) -> HttpResponse:
    """The file, with byte ranges (Safari will not play audio from a server without them)."""
    size = item.bytes
    match = _RANGE.match(request.headers.get("Range", "").strip())
    start, end = 0, size - 1
    partial = False
    if match and (match.group(1) or match.group(2)):
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:  # "bytes=-500": the last 500 bytes
            start = max(size - int(match.group(2)), 0)
        if start > end or start >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        partial = True
    if partial:
        with Path(item.path).open("rb") as audio_file:
            audio_file.seek(start)
            body = audio_file.read(end - start + 1)
        response: HttpResponse = HttpResponse(body, status=206, content_type=item.content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(Path(item.path).open("rb"), content_type=item.content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache_control
    response["X-Voice-Engine"] = item.engine
    return response


def _speak(request: HttpRequest, text: str, lang: str, rate: str, cache_control: str) -> HttpResponse:
    try:
        item = get_or_synthesize(text, lang, rate)
        return _audio_response(request, item, cache_control)
    except VoiceUnavailable as exc:
        log.warning("no voice: %s", exc)
        response = _plain("语音暂时不能用，请看屏幕上的文字。", 503)
        response["Retry-After"] = "60"
        return response
    except OSError as exc:  # the cache directory is full, not writable, or was just emptied
        log.error("voice cache: %s", exc)
        return _plain("语音暂时不能用，请看屏幕上的文字。", 503)


@require_safe
def guide_audio(request: HttpRequest, lang: str, rate: str, key: str) -> HttpResponse:
    """A fixed guide; the same words are on the page (`{% voice_guide key %}`)."""
    bad = _check_lang_rate(lang, rate)
    if bad is not None:
        return bad
    if key not in GUIDES:
        return _plain("没有这段语音说明。", 404)
    pack = request.GET.get("pack", "")
    if pack:  # she chose a community dialect pack: its approved clip of these words, else the synthesized guide
        clip = current_clip(pack, key) if PACK_CODE.match(pack) else None
        if clip is not None and clip.audio:
            try:
                item = CachedAudio(path=Path(clip.audio.path), content_type="audio/mpeg", engine="clip",
                                   bytes=clip.audio.size, cached=True)
                response = _audio_response(request, item, f"public, max-age={PACK_GUIDE_MAX_AGE}")
            except OSError as exc:  # the clip's file is missing: the synthesized voice still speaks
                log.error("voice clip %s: %s", clip.public_id, exc)
            else:
                response["X-Voice-Source"] = "clip"
                return response
        # Kept briefly: a clip approved later replaces the synthesized answer at this same URL.
        response = _speak(request, guide_text(key, lang), lang, rate, f"public, max-age={PACK_GUIDE_MAX_AGE}")
    else:
        response = _speak(request, guide_text(key, lang), lang, rate, f"public, max-age={GUIDE_MAX_AGE}")
    response["X-Voice-Source"] = "synth"
    return response


def _over_limit(request: HttpRequest) -> bool:
    """At most VOICE_SAY_PER_MINUTE requests a minute from one address."""
    ip = client_ip(request) or "unknown"
    try:
        rate_limit.take(rate_limit.Bucket(f"voice-say:{blind_index('address', ip)}", settings.VOICE_SAY_PER_MINUTE, 60))
    except rate_limit.Limited:
        return True
    except rate_limit.LimiterUnavailable:  # the cache (Redis) is away: a spoken sentence is not worth an error page
        return False
    return False


@require_safe
def say(request: HttpRequest) -> HttpResponse:
    """A short dynamic sentence, e.g. ?text=医保支付85元，您自付15元&lang=cmn&rate=slow."""
    lang = request.GET.get("lang", "cmn")
    rate = request.GET.get("rate", "normal")
    bad = _check_lang_rate(lang, rate)
    if bad is not None:
        return bad
    try:
        text = clean_spoken_text(request.GET.get("text"))
    except UnspeakableText as exc:
        return _plain(str(exc), 400)
    if _over_limit(request):
        response = _plain("请求太频繁了，请稍等一分钟再听。", 429)
        response["Retry-After"] = "60"
        return response
    # The sentence may be about her money: only her browser keeps it.
    return _speak(request, text, lang, rate, f"private, max-age={SAY_MAX_AGE}")
