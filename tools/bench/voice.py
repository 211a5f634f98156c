"""Voice figures for `make bench`: first synthesis time per engine, cached serve time, audio bytes per second.

gTTS is measured with its HTTP intercepted (the `responses` library answers in Google's place with an MP3 of the
same sentence), so its figure is the library and the transcoding, not Google's network time; it says so.
`measure()` works on its own (`python -c` or a test); `register_voice_measurement()` adds it to
`python manage.py bench --measure …,voice`.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.test import override_settings

from elder_mode.voice import audio
from elder_mode.voice.cache import get_or_synthesize
from elder_mode.voice.engines import EspeakEngine, GttsEngine, SpeechChain
from elder_mode.voice.guides import guide_text
from tools.bench.extra import VOICE_SYNTHESIS, extra_measurements, register_measurement
from tools.bench.report import Section
from tools.bench.stats import Latency

if TYPE_CHECKING:
    from tools.bench.context import BenchContext
    from tools.bench.report import Section

GOOGLE_TTS_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
GTTS_LABEL = "gtts (HTTP intercepted)"  # Google is not contacted: `responses` answers
SAMPLES = [guide_text("identity"), guide_text("code"), guide_text("help"), "医保支付85元，您自付15元。"]


def google_tts_body(mp3: bytes) -> str:
    """What Google's batchexecute endpoint answers for the gTTS RPC: the MP3 in base64 inside JSON."""
    compact = {"separators": (",", ":")}
    payload = json.dumps([base64.b64encode(mp3).decode("ascii")], **compact)
    return ")]}'\n\n" + json.dumps([["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], **compact) + "\n"


def google_like_mp3(text: str) -> bytes:
    """An MP3 like Google's (24 kHz mono, 32 kbit/s) of `text`, made locally with espeak-ng and SoX."""

    wav = EspeakEngine().render_wav(text, "cmn-latn-pinyin", "normal")
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.wav", Path(tmp) / "out.mp3"
        source.write_bytes(wav)
        sox = shutil.which("sox") or "sox"
        subprocess.run([sox, "-V1", str(source), "-r", "24000", "-c", "1", "-C", "32", str(target)],  # noqa: S603
                       check=True, capture_output=True, timeout=30)
        return target.read_bytes()


def _timed(fn: Any, *args: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - began, result


def measure(base_url: str | None = None, *, samples: list[str] | None = None) -> dict:
    """Seconds and sizes, in a cache directory of its own (so every first synthesis is a real one)."""
    texts = samples or SAMPLES
    figures: dict[str, Any] = {"samples": len(texts), "first_synthesis_s": {}, "cached_serve_s": [],
                               "http_cached_serve_s": [], "audio_bytes": 0, "audio_seconds": 0.0, "skipped": []}
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp, override_settings(VOICE_CACHE_DIR=Path(tmp)):
        espeak = EspeakEngine()
        if espeak.available():
            chain = SpeechChain([espeak])
            times = []
            for text in texts:
                seconds, item = _timed(lambda t: get_or_synthesize(t, "cmn", "normal", chain=chain), text)
                times.append(seconds)
                figures["audio_bytes"] += item.bytes
                figures["audio_seconds"] += audio.duration_seconds(item.path)
                seconds, item = _timed(lambda t: get_or_synthesize(t, "cmn", "normal", chain=chain).path.read_bytes(),
                                       text)
                figures["cached_serve_s"].append(seconds)
            figures["first_synthesis_s"]["espeak"] = times
        else:
            figures["skipped"].append("espeak: espeak-ng or SoX (with MP3) is not installed")
        figures["first_synthesis_s"][GTTS_LABEL] = _measure_gtts(texts, figures["skipped"])
    if base_url:
        url = base_url.rstrip("/") + "/elder/voice/cmn/normal/identity.audio"
        for attempt in range(11):
            seconds, _ = _timed(lambda: urllib.request.urlopen(url, timeout=30).read())  # noqa: S310 (our server)
            if attempt:  # the first request may make the audio in the server's cache
                figures["http_cached_serve_s"].append(seconds)
    if figures["audio_seconds"]:
        figures["bytes_per_second"] = round(figures["audio_bytes"] / figures["audio_seconds"], 1)
        figures["kb_per_10_seconds"] = round(figures["bytes_per_second"] * 10 / 1024, 1)
    return figures


def _measure_gtts(texts: list[str], skipped: list[str]) -> list[float]:
    gtts = GttsEngine()
    try:
        import responses  # a test package, needed only to measure gTTS offline
    except ImportError:
        skipped.append("gtts: the `responses` library (test extras) is not installed to intercept HTTP")
        return []
    if not gtts.available() or not EspeakEngine().available():
        skipped.append("gtts: gTTS or SoX with MP3 is not installed")
        return []
    times = []
    chain = SpeechChain([gtts])
    for text in texts:
        body = google_tts_body(google_like_mp3(text))
        with responses.RequestsMock() as intercepted:
            intercepted.add(responses.POST, GOOGLE_TTS_URL, body=body, status=200)
            seconds, _ = _timed(lambda t: get_or_synthesize(t, "cmn", "normal", chain=chain), text)
        times.append(seconds)
    return times


async def measure_voice_synthesis(ctx: BenchContext) -> Section:

    figures = await ctx.in_thread(measure, ctx.server_urls[0])
    latencies = {f"first synthesis: {engine}": Latency.of_seconds(seconds)
                 for engine, seconds in figures["first_synthesis_s"].items() if seconds}
    latencies["cached serve (disk)"] = Latency.of_seconds(figures["cached_serve_s"])
    latencies["cached serve over HTTP"] = Latency.of_seconds(figures["http_cached_serve_s"])
    budget_met = figures.get("kb_per_10_seconds") is not None and figures["kb_per_10_seconds"] <= 24
    section = Section(
        VOICE_SYNTHESIS, "Voice synthesis (elder mode)", latencies=latencies,
        figures={"audio bytes per s of speech": figures.get("bytes_per_second"),
                 "KB per 10 s": figures.get("kb_per_10_seconds"), "sentences": figures["samples"]},
        goal="≤ 24 KB per 10 s of speech", goal_met=budget_met,
    )
    for reason in figures["skipped"]:
        if reason.startswith("espeak"):  # the offline voice must work wherever the portal runs
            section.problems.append(reason)
        else:
            section.figures["not measured"] = reason
    return section


def register_voice_measurement() -> None:
    """Make `voice` a measurement of `manage.py bench` (idempotent)."""

    if extra_measurements().get(VOICE_SYNTHESIS) is not measure_voice_synthesis:
        register_measurement(VOICE_SYNTHESIS)(measure_voice_synthesis)
