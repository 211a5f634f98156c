"""Checking a complaint's recording before it is kept: small enough, short enough, and really sound.

The phone's browser records with MediaRecorder (static/js/recorder.js): Chromium and Firefox give WebM or Ogg
with Opus, Safari gives MP4/AAC; an uploaded file may also be WAV. The first bytes must be one of those
containers, and the file must decode as audio: ffprobe reads its audio stream and length, and where the
container does not state a length (MediaRecorder's WebM never does) ffmpeg decodes it and reports how far it got.
Nothing about the file is trusted from the browser (its name or content type).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_BYTES = 2 * 1024 * 1024
MAX_SECONDS = 120
_TOOL_TIMEOUT = 20  # seconds: decoding two minutes of Opus takes well under one


class NotAudio(Exception):
    """`message` in plain Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Recording:
    content: bytes
    extension: str
    seconds: int


def container(head: bytes) -> str | None:
    """The file extension for the container its first bytes name, or None."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"  # EBML: WebM (Matroska)
    if head.startswith(b"OggS"):
        return "ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    return None


def _run(args: list[str]) -> subprocess.CompletedProcess:
    # A fixed argument list (no shell), the tool found by shutil.which, the file a temporary path of ours.
    return subprocess.run(args, capture_output=True, timeout=_TOOL_TIMEOUT, check=False)  # noqa: S603


def _seconds(path: str) -> float | None:
    """The length of the audio in `path`, or None if it has no decodable audio stream."""
    ffprobe, ffmpeg = shutil.which("ffprobe"), shutil.which("ffmpeg")
    if ffprobe is None or ffmpeg is None:
        raise NotAudio(_("录音暂时无法检查，请改用文字写下来。"))  # never keep a file we could not check
    probe = _run([ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_type:format=duration",
                  "-of", "default=noprint_wrappers=1", path])
    out = probe.stdout.decode(errors="replace")
    if probe.returncode != 0 or "codec_type=audio" not in out:
        return None
    stated = re.search(r"duration=([0-9.]+)", out)
    if stated:
        return float(stated.group(1))
    decoded = _run([ffmpeg, "-v", "info", "-nostats", "-i", path, "-map", "0:a:0", "-f", "null", "-"])
    if decoded.returncode != 0:
        return None
    times = re.findall(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)", decoded.stderr.decode(errors="replace"))
    if not times:
        return None
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def check_recording(content: bytes) -> Recording:
    """The recording if it may be kept; else NotAudio with what is wrong."""
    if len(content) > MAX_BYTES:
        raise NotAudio(_("录音太大了（最多2MB），请录短一点，或者用文字写下来。"))
    if not content:
        raise NotAudio(_("录音是空的，请再录一次。"))
    extension = container(content[:16])
    if extension is None:
        raise NotAudio(_("这不是录音文件，请按“开始录音”重新录，或者用文字写下来。"))
    with tempfile.NamedTemporaryFile(suffix=f".{extension}") as tmp:
        tmp.write(content)
        tmp.flush()
        try:
            seconds = _seconds(tmp.name)
        except subprocess.TimeoutExpired:
            seconds = None
    if seconds is None:
        raise NotAudio(_("这段录音打不开，请重新录一次，或者用文字写下来。"))
    if seconds > MAX_SECONDS + 0.5:
        raise NotAudio(_("录音太长了，最多2分钟。请说得简短些，或者用文字补充。"))
    return Recording(content=content, extension=extension, seconds=max(1, round(seconds)))
