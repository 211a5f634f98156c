"""The compact audio format for weak networks, made with SoX.

Every engine's output (espeak-ng's WAV, Google's 32 kbit/s MP3) is re-encoded as MP3 at 16 kHz mono, 16 kbit/s
constant bit rate: 2,000 bytes per second of speech (20 KB per 10 s, under the 24 KB budget) whatever the length,
and MP3 plays in every browser, Safari on old iPhones included. SoX needs Debian's ``libsox-fmt-mp3`` for MP3;
without it the fallback is Ogg Vorbis at 8 kHz (about 1.4 KB/s, but a fixed ~3 KB of headers per file).
"""

from __future__ import annotations

import functools
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SOX_TIMEOUT_SECONDS = 20
MP3_SAMPLE_RATE = 16000
MP3_KBPS = 16
BUDGET_BYTES_PER_10_SECONDS = 24 * 1024

CONTENT_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav"}


class AudioError(Exception):
    """SoX is missing or could not convert the audio."""


@dataclass(frozen=True)
class OutputFormat:
    extension: str
    sox_args: tuple[str, ...]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


MP3 = OutputFormat("mp3", ("-r", str(MP3_SAMPLE_RATE), "-c", "1", "-C", str(MP3_KBPS)))
OGG_VORBIS = OutputFormat("ogg", ("-r", "8000", "-c", "1", "-C", "-1"))


@functools.cache
def _sox_formats() -> frozenset[str]:
    sox = shutil.which("sox")
    if not sox:
        return frozenset()
    try:
        result = subprocess.run([sox, "-h"], capture_output=True, text=True, timeout=SOX_TIMEOUT_SECONDS)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    for line in result.stdout.splitlines():
        if line.startswith("AUDIO FILE FORMATS:"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def output_format() -> OutputFormat | None:
    """MP3 when SoX can write it, else Ogg Vorbis, else None (no SoX: no voice)."""
    formats = _sox_formats()
    if "mp3" in formats:
        return MP3
    if "vorbis" in formats or "ogg" in formats:
        return OGG_VORBIS
    return None


def can_read(kind: str) -> bool:
    return kind in _sox_formats()


def encoder_available() -> bool:
    return output_format() is not None


def sniff(data: bytes) -> str | None:
    """The container of `data` from its first bytes: "mp3", "ogg", "wav" or None."""
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def fix_wav_header(data: bytes) -> bytes:
    """espeak-ng --stdout cannot seek back, so its RIFF and data sizes say "unknown" (0x7fffffff);
    write the real sizes so any WAV reader (Python's `wave`, browsers) sees the true length."""
    if sniff(data) != "wav":
        raise AudioError("not a WAV file")
    out = bytearray(data)
    struct.pack_into("<I", out, 4, len(out) - 8)
    offset = 12
    while offset + 8 <= len(out):
        chunk_id = bytes(out[offset:offset + 4])
        size = struct.unpack_from("<I", out, offset + 4)[0]
        if chunk_id == b"data":
            struct.pack_into("<I", out, offset + 4, len(out) - offset - 8)
            return bytes(out)
        offset += 8 + size + (size & 1)
    raise AudioError("WAV without a data chunk")


def compress(data: bytes, kind: str) -> bytes:
    """Re-encode `data` (of container `kind`: "wav" or "mp3") in the compact format."""
    fmt = output_format()
    sox = shutil.which("sox")
    if fmt is None or not sox:
        raise AudioError("SoX is not installed (Debian: sox, libsox-fmt-mp3)")
    if kind != "wav" and not can_read(kind):
        raise AudioError(f"SoX cannot read {kind} here (Debian: libsox-fmt-mp3)")
    # SoX writes MP3 to a file, not a pipe: at the end it seeks back to update the header (on a pipe it crashes).
    with tempfile.TemporaryDirectory(prefix="voice-") as tmp:
        source = Path(tmp) / f"in.{kind}"
        target = Path(tmp) / f"out.{fmt.extension}"
        source.write_bytes(data)
        try:
            result = subprocess.run(  # noqa: S603 (fixed program and arguments; the audio is in a file)
                [sox, "-V1", "-t", kind, str(source), *fmt.sox_args, "-t", fmt.extension, str(target)],
                capture_output=True, timeout=SOX_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as exc:
            raise AudioError("SoX took too long") from exc
        except OSError as exc:
            raise AudioError(f"SoX could not start: {exc}") from exc
        if result.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            raise AudioError(f"SoX failed: {result.stderr.decode(errors='replace').strip()[:300]}")
        return target.read_bytes()


def duration_seconds(path: Path) -> float:
    """Length of an audio file in seconds (SoX's soxi; reads MP3, Ogg and WAV)."""
    soxi = shutil.which("soxi")
    if not soxi:
        raise AudioError("soxi (part of SoX) is not installed")
    result = subprocess.run([soxi, "-D", str(path)], capture_output=True, text=True,  # noqa: S603
                            timeout=SOX_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise AudioError(f"soxi failed: {result.stderr.strip()[:300]}")
    return float(result.stdout.strip())
