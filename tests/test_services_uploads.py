"""Document photos from a phone camera: what is not a photo is refused with a plain message, and what is kept is
a fresh JPEG of the pixels only (no EXIF, no GPS, nothing appended), upright (docs/threat-model.md, "Uploads")."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from insurance.filings import Filing, FilingRequirement
from services.models import Attachment
from services.uploads import MAX_UPLOAD_BYTES, PhotoRejected, clean_photo

APPENDED = b"PK\x03\x04" + b"\x00" * 26 + b"<html><script>alert(1)</script></html>"


def jpeg(width: int = 600, height: int = 400, exif: Image.Exif | None = None) -> bytes:
    image = Image.new("RGB", (width, height), (240, 240, 240))
    image.paste((20, 20, 20), (0, 0, width // 4, height // 4))  # a dark corner, to see which way is up
    out = io.BytesIO()
    image.save(out, format="JPEG", **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def as_upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def refused(data: bytes, name: str = "photo.jpg") -> str:
    with pytest.raises(PhotoRejected) as caught:
        clean_photo(as_upload(data, name))
    return caught.value.message


def test_a_text_file_is_not_a_photo():
    assert "这不是照片文件" in refused(b"hello, this is not a picture at all" * 20)


def test_a_pdf_renamed_jpg_is_not_a_photo():
    assert "这不是照片文件" in refused(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" * 50, "scan.jpg")


def test_a_polyglot_keeps_only_the_picture():
    cleaned = clean_photo(as_upload(jpeg() + APPENDED))
    assert b"<script" not in cleaned.content and b"PK\x03\x04" not in cleaned.content
    assert cleaned.content.startswith(b"\xff\xd8") and cleaned.content.endswith(b"\xff\xd9")


def test_the_gps_position_and_every_exif_tag_are_stripped():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (30.0, 15.0, 0.0)  # GPSLatitudeRef, GPSLatitude
    original = jpeg(exif=exif)
    assert Image.open(io.BytesIO(original)).getexif()
    cleaned = clean_photo(as_upload(original))
    kept = Image.open(io.BytesIO(cleaned.content))
    assert not kept.getexif() and b"PhoneMaker" not in cleaned.content and "exif" not in kept.info


def test_more_than_8_megabytes_is_refused_with_what_to_do():
    assert "照片太大了" in refused(b"\xff\xd8" + b"\x00" * MAX_UPLOAD_BYTES)


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def test_an_image_bomb_is_refused_before_it_is_decoded():
    assert "像素太多" in refused(_png_declaring(100_000, 100_000), "bomb.png")


def test_a_tiny_image_cannot_show_a_readable_document():
    assert "照片太小" in refused(jpeg(60, 40))


def test_a_truncated_jpeg_is_refused_as_broken():
    data = jpeg(1200, 900)
    assert "坏了" in refused(data[: len(data) // 3])


def test_a_photo_taken_sideways_is_stored_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show it rotated 90° clockwise
    cleaned = clean_photo(as_upload(jpeg(600, 400, exif=exif)))
    assert (cleaned.width, cleaned.height) == (400, 600)
    upright = Image.open(io.BytesIO(cleaned.content)).convert("L")
    assert upright.getpixel((350, 20)) < 80  # the dark corner is now at the top right


def test_a_polyglot_uploaded_on_the_filing_page_is_kept_without_what_it_carried(mother_client, mother):
    work = FilingRequirement.objects.get(filing_type="work", region_code="")
    response = mother_client.post("/services/filing/", {
        "step": "2", "filing_type": "work", "region_code": "310000", "valid_from": str(timezone.localdate()),
        f"photo_{work.pk}": as_upload(jpeg() + APPENDED, "proof.jpg")})
    assert response.status_code == 302
    attachment = Attachment.objects.get(filing=Filing.objects.get())
    with attachment.image.open("rb") as handle:
        stored = handle.read()
    assert b"<script" not in stored and attachment.image.name.endswith(".jpg") and "proof" not in attachment.image.name
    assert attachment.sha256 and attachment.size == len(stored)


def test_a_huge_file_on_the_filing_page_gets_a_message_under_its_field(mother_client, mother):
    work = FilingRequirement.objects.get(filing_type="work", region_code="")
    response = mother_client.post("/services/filing/", {
        "step": "2", "filing_type": "work", "region_code": "310000",
        "valid_from": str(timezone.localdate() + dt.timedelta(days=1)),
        f"photo_{work.pk}": as_upload(b"\xff\xd8" + b"\x00" * (MAX_UPLOAD_BYTES + 10))})
    assert response.status_code == 200 and "照片太大了" in response.content.decode()
    assert not Filing.objects.exists()
