"""Document photos from a phone camera, made safe before anything keeps them.

What a person uploads is never stored as it came: the bytes are checked to really be a JPEG, PNG, WebP or
HEIF-free photo that Pillow can read (the file name and the browser's content type are ignored), refused if
too big in bytes or in pixels (a decompression bomb is refused before it is decoded), then decoded,
turned upright by its EXIF orientation, shrunk to a readable size and re-encoded as a fresh JPEG. Only the
pixels survive: EXIF (with its GPS position and phone model), comments, ICC tricks and whatever a polyglot
file carried after the image are gone (docs/threat-model.md, "Anyone who uploads a document photo").
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # a 12-megapixel phone photo is 3-6 MB
MAX_PIXELS = 40_000_000  # more than any phone camera; a bomb declares far more
MIN_SIDE = 200  # smaller than this cannot show a readable document
KEEP_LONG_SIDE = 2000  # enough to read a stamped certificate; about 300-600 KB as JPEG
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: some phones' JPEG with a second frame


class PhotoRejected(ValueError):
    """The upload is not a photo we can keep; `message` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes  # a new JPEG: no metadata, no trailing bytes
    width: int
    height: int
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def clean_photo(upload: UploadedFile) -> CleanPhoto:
    if upload is None or not upload.size:
        raise PhotoRejected(_("没有收到照片，请重新拍一张。"))
    if upload.size > MAX_UPLOAD_BYTES:
        raise PhotoRejected(_("照片太大了（超过8MB）。请在手机上选“压缩”或重新拍一张再上传。"))
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected(_("照片太大了（超过8MB）。请在手机上选“压缩”或重新拍一张再上传。"))
    return clean_photo_bytes(data)


def clean_photo_bytes(data: bytes) -> CleanPhoto:
    not_a_photo = _("这不是照片文件。请用手机拍照上传，或选择手机相册里的照片（JPG、PNG格式）。")
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on images past its own bomb limit; ours is lower and checked first.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise PhotoRejected(not_a_photo)
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise PhotoRejected(_("这张照片的像素太多，无法处理。请用手机相机正常拍一张。"))
            if min(width, height) < MIN_SIDE:
                raise PhotoRejected(_("照片太小，看不清字。请离近一点，重新拍一张。"))
            probe.verify()  # a truncated or corrupt file stops here, before decoding
            image = Image.open(io.BytesIO(data))
            image.load()
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(_("这张照片的像素太多，无法处理。请用手机相机正常拍一张。")) from None
    except UnidentifiedImageError:
        raise PhotoRejected(not_a_photo) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise PhotoRejected(_("照片文件坏了，打不开。请重新拍一张。")) from None
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGB")  # drops alpha, palettes and any embedded colour profile
    image.thumbnail((KEEP_LONG_SIDE, KEEP_LONG_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True)  # no exif=, no icc_profile=: nothing carried over
    content = out.getvalue()
    return CleanPhoto(content=content, width=image.width, height=image.height,
                      sha256=hashlib.sha256(content).hexdigest())
