"""Photos (reports, ground checks, ...): checked by decoding (never by name or declared type), size-limited,
re-encoded as JPEG without any metadata (EXIF, GPS, XMP, ICC comments), resized, and given a
thumbnail for lists.

Speed: a JPEG is decoded with Pillow's `draft()` mode, which lets libjpeg scale by 1/2, 1/4 or
1/8 while decoding, so a 12-megapixel phone photo is never fully decoded to be shrunk to
1600 px. That keeps three 3 MB photos well under a second (benchmarks/bench_reports.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from kotacerdas.core.errors import ValidationFailed

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO"})
MAX_SIDE = 1600
THUMB_SIDE = 320
MAX_PIXELS = 50_000_000  # a 50-megapixel picture; beyond that it is a decompression bomb


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _invalid(code: str, message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [message]})


def _size_of(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is not None:
        return int(size)
    pos = upload.tell()
    upload.seek(0, io.SEEK_END)
    end = upload.tell()
    upload.seek(pos)
    return int(end)


def process(
    upload: IO[bytes] | Any, *, max_bytes: int, field: str = "photos", code_prefix: str = "photo"
) -> ProcessedPhoto:
    """Decode, check and re-encode one uploaded image. Raises ValidationFailed
    (`<code_prefix>.too_large` / `<code_prefix>.not_image`) with a message for `field`."""
    limit = max_bytes
    if _size_of(upload) > limit:
        raise _invalid(
            f"{code_prefix}.too_large",
            _("A photo may be at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
            field,
        )
    not_image = _invalid(
        f"{code_prefix}.not_image",
        _("This file is not a photo. Attach a JPEG, PNG or WebP image."),
        field,
    )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise not_image
            if probe.width * probe.height > MAX_PIXELS:
                raise not_image
            probe.verify()  # structure check; the image must be reopened afterwards
        upload.seek(0)
        with Image.open(upload) as img:
            if img.format in ("JPEG", "MPO"):
                # Ask for the long side only: draft() keeps both sides at least as large as
                # asked, so (1600, 1600) would refuse to halve a 4000x3000 photo.
                img.draft("RGB", (MAX_SIDE, 1) if img.width >= img.height else (1, MAX_SIDE))
            img.load()
            picture = img if img.mode == "RGB" else img.convert("RGB")
            # Honour the camera's orientation before the EXIF that carries it is dropped.
            ImageOps.exif_transpose(picture, in_place=True)
            return _encode(picture)  # inside the block: closing `img` frees its pixels
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_image from None


def _encode(picture: Image.Image) -> ProcessedPhoto:
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    main = io.BytesIO()
    # No exif=/icc_profile= arguments: the output carries no metadata at all. Progressive, so
    # a slow phone shows the whole picture early; no optimize pass (it costs 5x the encode for
    # about a tenth of the size).
    picture.save(main, "JPEG", quality=82, progressive=True)
    thumb_img = picture.copy()
    thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BILINEAR)
    thumb = io.BytesIO()
    thumb_img.save(thumb, "JPEG", quality=75)
    return ProcessedPhoto(main.getvalue(), thumb.getvalue(), picture.width, picture.height)
