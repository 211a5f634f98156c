"""A checked recording, converted to the compact format of the synthesized guides (elder_mode/voice/audio.py):
MP3, 16 kHz mono, 16 kbit/s constant bit rate, about 2,000 bytes a second. ffmpeg reads every container the
browsers record in (WebM/Opus, MP4/AAC), which SoX does not."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _

from elder_mode.packs.validation import TOOL_TIMEOUT, BadClip, CheckedClip
from elder_mode.voice.audio import MP3_KBPS, MP3_SAMPLE_RATE


def to_mp3(clip: CheckedClip) -> bytes:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise BadClip(_("录音暂时无法保存，请稍后再录。"))
    with tempfile.TemporaryDirectory(prefix="voice-pack-") as tmp:
        source = Path(tmp) / f"in.{clip.extension}"
        target = Path(tmp) / "out.mp3"
        source.write_bytes(clip.content)
        try:
            result = subprocess.run(  # noqa: S603 (fixed program and arguments; the audio is in a file of ours)
                [ffmpeg, "-v", "error", "-nostdin", "-y", "-i", str(source), "-map", "0:a:0", "-vn",
                 "-ac", "1", "-ar", str(MP3_SAMPLE_RATE), "-codec:a", "libmp3lame", "-b:a", f"{MP3_KBPS}k",
                 "-f", "mp3", str(target)],
                capture_output=True, timeout=TOOL_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BadClip(_("录音暂时无法保存，请稍后再录。")) from exc
        if result.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            raise BadClip(_("这段录音打不开，不是能播放的声音。请重新录一次。"))
        return target.read_bytes()
