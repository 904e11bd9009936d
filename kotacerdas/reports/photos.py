"""Photos of reports: at most `REPORTS_PHOTO_MAX_COUNT`, each checked and re-encoded by
`core.photos` (decoded, size-limited, stripped of metadata, resized, with a thumbnail)."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from kotacerdas.core import photos as core_photos
from kotacerdas.core.errors import ValidationFailed
from kotacerdas.core.photos import ProcessedPhoto

__all__ = ["ProcessedPhoto", "check_count", "max_bytes", "max_photos", "process", "process_all"]


def max_bytes() -> int:
    return int(getattr(settings, "REPORTS_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def max_photos() -> int:
    return int(getattr(settings, "REPORTS_PHOTO_MAX_COUNT", 3))


def check_count(files: list[Any], *, field: str = "photos") -> None:
    if len(files) > max_photos():
        message = _("Attach at most %(n)d photos.") % {"n": max_photos()}
        raise ValidationFailed(message, code="reports.photo.too_many", fields={field: [message]})


def process(upload: IO[bytes] | Any, *, field: str = "photos") -> ProcessedPhoto:
    return core_photos.process(
        upload, max_bytes=max_bytes(), field=field, code_prefix="reports.photo"
    )


def process_all(files: list[Any], *, field: str = "photos") -> list[ProcessedPhoto]:
    """Check the count, then process every file (all before anything is written)."""
    check_count(files, field=field)
    return [process(f, field=field) for f in files]
