"""Audio cached on disk, one file per SHA-256 of (engine, voice, rate, text).

``VOICE_CACHE_DIR/ab/abcdef….mp3``. Files are written to a temporary name in the same directory and renamed,
so a reader never sees half a file and two processes making the same audio at once both end up with a whole one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from elder_mode.voice import audio
from elder_mode.voice.engines import RATES, SpeechChain, SpeechError, VoiceUnavailable, get_chain

_EXTENSIONS = ("mp3", "ogg", "wav")


@dataclass(frozen=True)
class CachedAudio:
    path: Path
    content_type: str
    engine: str
    bytes: int
    cached: bool  # True: served from disk; False: synthesized by this call


def cache_key(engine: str, voice: str, rate: str, text: str) -> str:
    return hashlib.sha256(json.dumps([engine, voice, rate, text], ensure_ascii=False).encode()).hexdigest()


def cache_dir() -> Path:
    return Path(settings.VOICE_CACHE_DIR)


def _find(key: str) -> Path | None:
    folder = cache_dir() / key[:2]
    for extension in _EXTENSIONS:
        path = folder / f"{key}.{extension}"
        if path.is_file():
            return path
    return None


def _store(key: str, data: bytes) -> Path:
    kind = audio.sniff(data)
    if kind is None:
        raise SpeechError("the engine's output is not audio")
    folder = cache_dir() / key[:2]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{key}.{kind}"
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".part-", suffix=f".{kind}")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _describe(path: Path, engine: str, *, cached: bool) -> CachedAudio:
    extension = path.suffix.lstrip(".")
    return CachedAudio(path=path, content_type=audio.CONTENT_TYPES[extension], engine=engine,
                       bytes=path.stat().st_size, cached=cached)


def get_or_synthesize(text: str, lang: str, rate: str, *, chain: SpeechChain | None = None) -> CachedAudio:
    """The audio of `text` in language `lang` ("cmn"/"yue") at `rate` ("normal"/"slow").

    Engines are taken in the configured order: the first one with the audio on disk serves it; otherwise the
    first one that works makes it (an engine that fails, e.g. gTTS without network, hands over to the next).
    Raises VoiceUnavailable when no engine can speak it."""
    if rate not in RATES:
        raise ValueError(f"rate must be one of {RATES}")
    chain = chain or get_chain()
    for engine, voice in chain.voices(lang):
        key = cache_key(engine.name, voice, rate, text)
        found = _find(key)
        if found is not None:
            return _describe(found, engine.name, cached=True)
        if not chain.usable(engine):
            continue
        try:
            data = engine.synthesize(text, voice, rate)
            path = _store(key, data)
        except SpeechError as exc:
            chain.failed(engine, exc)
            continue
        chain.succeeded(engine)
        return _describe(path, engine.name, cached=False)
    raise VoiceUnavailable(f"no voice engine could speak {lang} (configured: {', '.join(chain.names) or 'none'})")
