"""Checking a volunteer's recording before it is kept: a real recording, not too big, long or short, not silent
and not clipped. Each refusal is a plain Chinese sentence (`BadClip.message`); nothing here ever raises anything
else for bad input.

The browser records with MediaRecorder (static/js/recorder.js): WebM/Opus in Chromium and Firefox,
MP4/AAC in Safari; an uploaded WAV, Ogg or MP3 is accepted too. Nothing is trusted from the browser: ffprobe must
find an audio stream, and ffmpeg decodes it to 16-bit mono PCM at its own sample rate (no resampling, so a sample
at full scale stays at full scale), from which the length, the loudness and the clipping are measured.
"""

from __future__ import annotations

import array
import math
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

TOOL_TIMEOUT = 20  # seconds; decoding 20 s of Opus takes a fraction of one
FULL_SCALE = 32767


def max_bytes() -> int:
    return int(getattr(settings, "VOICE_CLIP_MAX_BYTES", 2 * 1024 * 1024))


def max_seconds() -> float:
    return float(getattr(settings, "VOICE_CLIP_MAX_SECONDS", 20))


def min_seconds() -> float:
    return float(getattr(settings, "VOICE_CLIP_MIN_SECONDS", 0.6))


# Below this peak (about -34 dBFS) nobody spoke into the microphone: the room's hiss only.
SILENT_PEAK = 0.02
# More than this share of samples at full scale: the voice was too loud for the microphone and is distorted.
CLIPPED_SHARE = 0.005
CLIPPED_LEVEL = int(FULL_SCALE * 0.99)


class BadClip(Exception):
    """`message` is for the volunteer, in plain Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedClip:
    content: bytes
    extension: str
    seconds: float
    peak: float  # 0..1 of full scale
    rms: float
    clipped_share: float


def container(head: bytes) -> str | None:
    """The container its first bytes name, or None."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    # A fixed argument list (no shell), the tool found by shutil.which, the file a temporary path of ours.
    return subprocess.run(args, capture_output=True, timeout=TOOL_TIMEOUT, check=False, **kwargs)  # noqa: S603


def _tools() -> tuple[str, str]:
    ffprobe, ffmpeg = shutil.which("ffprobe"), shutil.which("ffmpeg")
    if ffprobe is None or ffmpeg is None:
        raise BadClip(_("录音暂时无法检查，请稍后再录。"))  # never keep a clip we could not check
    return ffprobe, ffmpeg


def _sample_rate(ffprobe: str, path: str) -> int | None:
    probe = _run([ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_type,sample_rate",
                  "-of", "default=noprint_wrappers=1", path])
    out = probe.stdout.decode(errors="replace")
    if probe.returncode != 0 or "codec_type=audio" not in out:
        return None
    found = re.search(r"sample_rate=(\d+)", out)
    rate = int(found.group(1)) if found else 0
    return rate if 4000 <= rate <= 192000 else None


def _pcm(ffmpeg: str, path: str, limit_seconds: float) -> bytes | None:
    """Her voice as 16-bit mono samples (little-endian), at most `limit_seconds` of it, or None if undecodable."""
    decoded = _run([ffmpeg, "-v", "error", "-nostdin", "-i", path, "-map", "0:a:0", "-t", f"{limit_seconds:.2f}",
                    "-ac", "1", "-f", "s16le", "-acodec", "pcm_s16le", "-"])
    if decoded.returncode != 0 or not decoded.stdout:
        return None
    return decoded.stdout


def measure(pcm: bytes) -> tuple[float, float, float]:
    """(peak, rms, share of samples at full scale) of 16-bit little-endian samples."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0.0, 0.0, 0.0
    peak = max(max(samples), -min(samples))
    total = 0
    clipped = 0
    for s in samples:
        total += s * s
        if s >= CLIPPED_LEVEL or s <= -CLIPPED_LEVEL:
            clipped += 1
    return min(peak / FULL_SCALE, 1.0), math.sqrt(total / len(samples)) / FULL_SCALE, clipped / len(samples)


def check_clip(content: bytes) -> CheckedClip:
    """The recording if it may be kept; else BadClip saying what to do."""
    if not content:
        raise BadClip(_("录音是空的，请再录一次。"))
    if len(content) > max_bytes():
        raise BadClip(_("录音文件太大了，请只录这一句，再发一次。"))
    extension = container(content[:16])
    if extension is None:
        raise BadClip(_("这不是录音。请按“开始录音”，读完这一句再按“停止”。"))
    ffprobe, ffmpeg = _tools()
    limit = max_seconds()
    with tempfile.NamedTemporaryFile(suffix=f".{extension}") as tmp:
        tmp.write(content)
        tmp.flush()
        try:
            rate = _sample_rate(ffprobe, tmp.name)
            pcm = _pcm(ffmpeg, tmp.name, limit + 1) if rate else None
        except subprocess.TimeoutExpired:
            rate, pcm = None, None
    if not rate or pcm is None:
        raise BadClip(_("这段录音打不开，不是能播放的声音。请重新录一次。"))
    seconds = len(pcm) / 2 / rate
    if seconds > limit + 0.25:
        raise BadClip(_("录音太长了，最多%(n)d秒。请只读这一句。") % {"n": int(limit)})
    if seconds < min_seconds():
        raise BadClip(_("录音太短了。请把这一句完整地读一遍。"))
    peak, rms, clipped_share = measure(pcm)
    if peak < SILENT_PEAK:
        raise BadClip(_("没有录到声音。请靠近话筒，大声一点再录一次。"))
    if clipped_share > CLIPPED_SHARE:
        raise BadClip(_("声音太大，录破了。请离话筒远一点，轻一点再录一次。"))
    return CheckedClip(content=content, extension=extension, seconds=round(seconds, 2), peak=peak, rms=rms,
                       clipped_share=clipped_share)
