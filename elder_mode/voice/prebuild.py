"""Pre-generating the fixed guides (the Celery task and `manage.py build_voice_guides` both call this)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from elder_mode.voice.cache import get_or_synthesize
from elder_mode.voice.engines import VoiceUnavailable, get_chain
from elder_mode.voice.guides import all_guides


@dataclass(frozen=True)
class GuideResult:
    key: str
    lang: str
    rate: str
    engine: str | None  # None: no engine could speak it
    bytes: int
    cached: bool
    error: str = ""

    def describe(self) -> str:
        if self.engine is None:
            return f"{self.key} {self.lang} {self.rate}: no audio ({self.error})"
        return f"{self.key} {self.lang} {self.rate}: {self.engine}, {self.bytes} bytes, {'cached' if self.cached else 'new'}"


def _one(key: str, lang: str, rate: str, text: str) -> GuideResult:
    try:
        result = get_or_synthesize(text, lang, rate)
    except VoiceUnavailable as exc:
        return GuideResult(key, lang, rate, None, 0, False, str(exc))
    return GuideResult(key, lang, rate, result.engine, result.bytes, result.cached)


def build_guides(*, workers: int = 4, on_result: Callable[[GuideResult], None] | None = None) -> list[GuideResult]:
    """Make every guide's audio that is not on disk yet (idempotent: a second run only finds them cached).
    espeak-ng and SoX are separate processes, so a few threads make the first run several times faster."""
    get_chain()  # build it once, before the threads share it
    jobs = list(all_guides())
    results: list[GuideResult] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for result in pool.map(lambda job: _one(*job), jobs):
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
