"""Speech engines behind one interface, and the chain that tries them in the configured order.

- ``EspeakEngine``: espeak-ng, offline, always there (Debian package). Mandarin with the ``cmn-latn-pinyin``
  voice (espeak-ng 1.51's ``cmn`` reads Chinese characters as English letters' names), Cantonese with ``yue``.
- ``GttsEngine``: Google Translate's voice through the gTTS library, online, the best voice; Mandarin
  (``zh-CN``) and Cantonese (``yue``, supported by gTTS 2.5.4).

``VOICE_ENGINES`` (e.g. ``gtts,espeak``) sets the order. An engine that fails is skipped for
``VOICE_ENGINE_RETRY_SECONDS`` so a page does not wait for an unreachable Google on every request.
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import requests
from django.conf import settings

from elder_mode.voice import audio
from elder_mode.voice.text import spoken_form

log = logging.getLogger(__name__)

LANGS = ("cmn", "yue")  # Mandarin, Cantonese
RATES = ("normal", "slow")
# Where Google's batchexecute answer carries the base64 MP3 (the same pattern gTTS 2.5.4 reads).
_GTTS_AUDIO = re.compile(r'jQ1olc","\[\\"(.*)\\"]')


class SpeechError(Exception):
    """An engine could not produce audio (not installed, no network, bad answer)."""


class VoiceUnavailable(Exception):
    """No engine could speak the text."""


@runtime_checkable
class SpeechEngine(Protocol):
    name: str

    def voice_for(self, lang: str) -> str | None:
        """The engine's voice for a language code ("cmn", "yue"), or None when it has none."""

    def synthesize(self, text: str, voice: str, rate: str) -> bytes:
        """Audio in the compact format (see ``audio``); raises SpeechError."""

    def available(self) -> bool:
        """Whether the engine can run here at all (installed; not whether the network is up)."""


class EspeakEngine:
    name = "espeak"
    VOICES = {"cmn": "cmn-latn-pinyin", "yue": "yue"}
    WORDS_PER_MINUTE = {"normal": 150, "slow": 110}

    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout

    def voice_for(self, lang: str) -> str | None:
        return self.VOICES.get(lang)

    def available(self) -> bool:
        return shutil.which("espeak-ng") is not None and audio.encoder_available()

    def render_wav(self, text: str, voice: str, rate: str) -> bytes:
        """espeak-ng's WAV (22,050 Hz mono 16-bit) with a correct header."""
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise SpeechError("espeak-ng is not installed (Debian: espeak-ng)")
        # The text goes in on stdin (never as an argument, so it cannot be read as an option), as UTF-8 (-b 1).
        command = [binary, "-b", "1", "-v", voice, "-s", str(self.WORDS_PER_MINUTE.get(rate, 150)), "--stdout"]
        try:
            result = subprocess.run(command, input=spoken_form(text).encode(), capture_output=True,  # noqa: S603
                                    timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            raise SpeechError(f"espeak-ng took longer than {self.timeout} s") from exc
        except OSError as exc:
            raise SpeechError(f"espeak-ng could not start: {exc}") from exc
        if result.returncode != 0 or audio.sniff(result.stdout) != "wav":
            raise SpeechError(f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()[:300]}")
        try:
            return audio.fix_wav_header(result.stdout)
        except audio.AudioError as exc:
            raise SpeechError(str(exc)) from exc

    def synthesize(self, text: str, voice: str, rate: str) -> bytes:
        wav = self.render_wav(text, voice, rate)
        try:
            return audio.compress(wav, "wav")
        except audio.AudioError as exc:
            raise SpeechError(str(exc)) from exc


class GttsEngine:
    name = "gtts"
    VOICES = {"cmn": "zh-CN", "yue": "yue"}

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def voice_for(self, lang: str) -> str | None:
        return self.VOICES.get(lang)

    def available(self) -> bool:
        try:
            import gtts  # noqa: F401  (optional engine: the portal runs without gTTS)
        except ImportError:
            return False
        return audio.encoder_available() and audio.can_read("mp3")

    def fetch_mp3(self, text: str, voice: str, rate: str) -> bytes:
        """Google's MP3 (24 kHz, 32 kbit/s) as the gTTS library fetches it."""
        try:
            from gtts import gTTS, gTTSError  # optional engine: the portal runs without gTTS
        except ImportError as exc:
            raise SpeechError("gTTS is not installed") from exc

        try:
            # lang_check=False: our voices are gTTS 2.5.4 codes already, and its check wrongly calls "zh-CN" deprecated.
            tts = gTTS(spoken_form(text), lang=voice, slow=rate == "slow", lang_check=False, timeout=self.timeout)
            data = b"".join(self._verified_stream(tts))
        except (gTTSError, requests.RequestException, AssertionError, ValueError) as exc:
            raise SpeechError(f"gTTS failed: {exc}") from exc
        if audio.sniff(data) != "mp3":
            raise SpeechError("gTTS answered without MP3 audio")
        return data

    def _verified_stream(self, tts) -> Iterator[bytes]:
        """gTTS's own ``stream()`` sends with ``verify=False`` (docs/decisions.md, "gTTS"): we send the
        requests it prepares through a session that verifies TLS, and read the audio the same way."""

        with requests.Session() as session:
            session.verify = True
            for prepared in tts._prepare_requests():
                response = session.send(prepared, timeout=self.timeout, verify=True)
                response.raise_for_status()
                found = False
                for line in response.iter_lines(chunk_size=1024):
                    decoded = line.decode("utf-8", "replace")
                    if "jQ1olc" not in decoded:
                        continue
                    match = _GTTS_AUDIO.search(decoded)
                    if match is None:
                        raise SpeechError("gTTS answered without audio")
                    found = True
                    yield base64.b64decode(match.group(1).encode("ascii"))
                if not found:
                    raise SpeechError("gTTS answered without audio")

    def synthesize(self, text: str, voice: str, rate: str) -> bytes:
        mp3 = self.fetch_mp3(text, voice, rate)
        try:
            return audio.compress(mp3, "mp3")
        except audio.AudioError as exc:
            raise SpeechError(str(exc)) from exc


ENGINES: dict[str, type[EspeakEngine] | type[GttsEngine]] = {"espeak": EspeakEngine, "gtts": GttsEngine}


@dataclass(frozen=True)
class Speech:
    audio: bytes
    engine: str
    voice: str


class SpeechChain:
    """The engines in order of preference; the first that works speaks."""

    def __init__(self, engines: Sequence[SpeechEngine], *, retry_after: float = 60.0) -> None:
        self.engines = list(engines)
        self.retry_after = retry_after
        self._failed_at: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return [engine.name for engine in self.engines]

    def voices(self, lang: str) -> list[tuple[SpeechEngine, str]]:
        """Every configured engine that has a voice for `lang`, in order (available or not)."""
        pairs = []
        for engine in self.engines:
            voice = engine.voice_for(lang)
            if voice is not None:
                pairs.append((engine, voice))
        return pairs

    def usable(self, engine: SpeechEngine) -> bool:
        with self._lock:
            failed_at = self._failed_at.get(engine.name)
        if failed_at is not None and time.monotonic() - failed_at < self.retry_after:
            return False
        return engine.available()

    def failed(self, engine: SpeechEngine, error: Exception) -> None:
        log.warning("voice engine %s failed, trying the next one: %s", engine.name, error)
        with self._lock:
            self._failed_at[engine.name] = time.monotonic()

    def succeeded(self, engine: SpeechEngine) -> None:
        with self._lock:
            self._failed_at.pop(engine.name, None)

    def speak(self, text: str, lang: str, rate: str) -> Speech:
        """Audio from the first engine that works; raises VoiceUnavailable when none does."""
        for engine, voice in self.voices(lang):
            if not self.usable(engine):
                continue
            try:
                data = engine.synthesize(text, voice, rate)
            except SpeechError as exc:
                self.failed(engine, exc)
                continue
            self.succeeded(engine)
            return Speech(data, engine.name, voice)
        raise VoiceUnavailable(f"no voice engine could speak {lang} (tried: {', '.join(self.names) or 'none'})")


_chain: tuple[tuple, SpeechChain] | None = None
_chain_lock = threading.Lock()


def build_engine(name: str) -> SpeechEngine:
    try:
        cls = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown voice engine {name!r} (known: {', '.join(ENGINES)})") from None
    return cls(timeout=float(settings.VOICE_ENGINE_TIMEOUT))


def get_chain() -> SpeechChain:
    """The process's chain for the current settings (rebuilt when the settings change, e.g. in tests)."""
    global _chain
    config = (tuple(settings.VOICE_ENGINES), settings.VOICE_ENGINE_TIMEOUT, settings.VOICE_ENGINE_RETRY_SECONDS)
    with _chain_lock:
        if _chain is None or _chain[0] != config:
            chain = SpeechChain([build_engine(name) for name in config[0]], retry_after=float(config[2]))
            _chain = (config, chain)
        return _chain[1]


def reset_chain() -> None:
    """Forget the chain (and which engines failed lately)."""
    global _chain
    with _chain_lock:
        _chain = None
