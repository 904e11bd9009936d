"""The photo pipeline on real images made with Pillow: formats, metadata stripping, orientation,
sizes, and every kind of file that is not a usable photo."""

from __future__ import annotations

import io
import struct
import time
import zlib
from typing import Any

import pytest
from PIL import Image

from kotacerdas.core.errors import ValidationFailed
from kotacerdas.reports import photos

from .conftest import jpeg_bytes, upload

NOT_IMAGE = "This file is not a photo. Attach a JPEG, PNG or WebP image."


@pytest.fixture(autouse=True)
def _english() -> Any:
    from django.utils import translation

    with translation.override("en"):
        yield


def encoded(fmt: str, size: tuple[int, int] = (800, 600), mode: str = "RGB", **save: Any) -> bytes:
    img = Image.new(mode, size, (30, 140, 60) if mode == "RGB" else (30, 140, 60, 128))
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def assert_clean_jpeg(data: bytes) -> Image.Image:
    """A JPEG without any metadata block."""
    img = opened(data)
    assert img.format == "JPEG"
    assert dict(img.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(img.info)
    assert b"Exif\x00\x00" not in data
    assert b"DemoCam" not in data
    return img


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height but carries a few bytes of data: what a
    decompression bomb looks like before it is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def error_of(data: bytes, name: str = "foto.jpg") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        photos.process(upload(data, name))
    return caught.value


# --- Good photos ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "mode", "save"),
    [
        ("JPEG", "RGB", {}),
        ("PNG", "RGB", {}),
        ("PNG", "RGBA", {}),  # transparency is flattened
        ("WEBP", "RGB", {"quality": 80}),
        ("GIF", "RGB", {}),
    ],
)
def test_formats_come_out_as_clean_jpeg(fmt: str, mode: str, save: dict[str, Any]):
    result = photos.process(upload(encoded(fmt, (800, 600), mode, **save), f"f.{fmt.lower()}"))

    img = assert_clean_jpeg(result.image)
    assert (img.size, img.mode) == ((800, 600), "RGB")
    assert (result.width, result.height) == (800, 600)
    thumb = assert_clean_jpeg(result.thumbnail)
    assert thumb.size == (320, 240)


def test_gps_exif_is_removed_entirely():
    source = jpeg_bytes(exif_gps=True)
    exif = opened(source).getexif()
    assert exif[0x010F] == "DemoCam"
    assert 0x8825 in exif

    result = photos.process(upload(source))

    assert_clean_jpeg(result.image)
    assert_clean_jpeg(result.thumbnail)


@pytest.mark.parametrize(
    ("orientation", "size", "top_left", "bottom_right"),
    [
        (1, (400, 200), "red", "blue"),
        (3, (400, 200), "blue", "red"),  # upside down
        (6, (200, 400), "red", "blue"),  # camera turned: rotate 90° clockwise
        (8, (200, 400), "blue", "red"),  # rotate 90° counter-clockwise
    ],
)
def test_orientation_is_honoured(
    orientation: int, size: tuple[int, int], top_left: str, bottom_right: str
):
    # Stored 400x200: left half red, right half blue.
    img = Image.new("RGB", (400, 200), (255, 0, 0))
    img.paste((0, 0, 255), (200, 0, 400, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=95)

    result = photos.process(upload(buf.getvalue()))

    out = assert_clean_jpeg(result.image).convert("RGB")
    assert out.size == size
    assert (result.width, result.height) == size

    def colour(xy: tuple[int, int]) -> str:
        r, _g, b = out.getpixel(xy)  # type: ignore[misc]
        return "red" if r > 200 and b < 60 else "blue" if b > 200 and r < 60 else "?"

    assert colour((5, 5)) == top_left
    assert colour((size[0] - 5, size[1] - 5)) == bottom_right


@pytest.mark.parametrize(
    ("fmt", "size", "expected", "thumb"),
    [
        ("JPEG", (4000, 3000), (1600, 1200), (320, 240)),
        ("JPEG", (1000, 5000), (320, 1600), (64, 320)),
        ("PNG", (3000, 1000), (1600, 533), (320, 107)),
        ("JPEG", (1600, 1600), (1600, 1600), (320, 320)),
        ("PNG", (100, 80), (100, 80), (100, 80)),  # small pictures are not enlarged
    ],
)
def test_resized_to_1600_with_a_320_thumbnail(
    fmt: str, size: tuple[int, int], expected: tuple[int, int], thumb: tuple[int, int]
):
    result = photos.process(upload(encoded(fmt, size)))
    assert opened(result.image).size == expected
    assert (result.width, result.height) == expected
    assert opened(result.thumbnail).size == thumb


def test_a_file_object_without_a_size_attribute():
    result = photos.process(io.BytesIO(encoded("PNG", (10, 10))))
    assert opened(result.image).size == (10, 10)


# --- Bad files -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"ini bukan foto, hanya teks\n" * 50, id="text"),
        pytest.param(b"", id="empty"),
        pytest.param(jpeg_bytes()[:2000], id="truncated-jpeg"),
        pytest.param(jpeg_bytes()[:-400] + b"\0" * 400, id="jpeg-with-garbage-end"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", id="pdf"),
        pytest.param(b"GIF89a" + b"\0" * 20, id="gif-header-only"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * 40, id="png-signature-only"),
        pytest.param(encoded("BMP", (50, 50)), id="bmp-not-allowed"),
        pytest.param(encoded("TIFF", (50, 50)), id="tiff-not-allowed"),
    ],
)
def test_not_an_image(data: bytes):
    error = error_of(data)
    assert (error.code, error.status, error.message) == ("reports.photo.not_image", 422, NOT_IMAGE)
    assert error.fields == {"photos": [NOT_IMAGE]}


@pytest.mark.parametrize(("width", "height"), [(20000, 20000), (8000, 8000), (1, 60_000_000)])
def test_decompression_bomb_is_refused_quickly(width: int, height: int):
    started = time.monotonic()
    error = error_of(png_header_only(width, height), "bom.png")
    assert time.monotonic() - started < 0.5
    assert error.code == "reports.photo.not_image"


def test_too_large(settings: Any):
    settings.REPORTS_PHOTO_MAX_BYTES = 1024 * 1024
    data = encoded("PNG", (10, 10)) + b"\0" * (1024 * 1024)
    error = error_of(data, "besar.png")
    assert (error.code, error.message) == (
        "reports.photo.too_large",
        "A photo may be at most 1 MB.",
    )
    assert error.fields == {"photos": ["A photo may be at most 1 MB."]}
    # Exactly at the limit is fine.
    settings.REPORTS_PHOTO_MAX_BYTES = len(jpeg_bytes(64, 64))
    assert photos.process(upload(jpeg_bytes(64, 64))).width == 64


def test_too_many():
    files = [upload(jpeg_bytes(32, 32)) for _ in range(4)]
    with pytest.raises(ValidationFailed) as caught:
        photos.process_all(files)
    assert (caught.value.code, caught.value.fields) == (
        "reports.photo.too_many",
        {"photos": ["Attach at most 3 photos."]},
    )
    assert len(photos.process_all(files[:3])) == 3
    assert photos.process_all([]) == []


def test_one_bad_file_fails_the_batch_with_its_field_name():
    with pytest.raises(ValidationFailed) as caught:
        photos.process_all([upload(jpeg_bytes(32, 32)), upload(b"teks")], field="media")
    assert caught.value.fields == {"media": [NOT_IMAGE]}
