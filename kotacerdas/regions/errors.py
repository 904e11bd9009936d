"""The errors the regions app raises (stable codes, see kotacerdas.core.errors)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.errors import NotFound, ServiceError, ValidationFailed


class RegionNotFound(NotFound):
    code = "regions.not_found"
    default_message = _("There is no region with this code.")


class OutsideRegions(ServiceError):
    """The point lies in no desa/kelurahan (nor within the lookup tolerance of one).

    Raised for about half of the random points in a regency's bounding box, so the message is
    only formatted (translated) when someone reads it."""

    status = 422
    code = "regions.outside"
    default_message = _("This location is outside the area this platform serves.")

    def __init__(self, lat: float | None = None, lng: float | None = None) -> None:
        self.lat, self.lng = lat, lng
        self.fields = {}
        Exception.__init__(self, lat, lng)

    @property
    def message(self) -> str:  # type: ignore[override]
        if self.lat is None or self.lng is None:
            return str(self.default_message)
        return gettext(
            "The point %(lat).5f, %(lng).5f is not in any desa or kelurahan of %(region)s."
        ) % {
            "lat": self.lat,
            "lng": self.lng,
            "region": settings.KOTACERDAS_REGION_NAME,
        }

    def __str__(self) -> str:
        return self.message


class RegionImportInvalid(ValidationFailed):
    """The files to import have problems; nothing was written. `problems` lists them, each
    naming the file and row or feature."""

    code = "regions.import_invalid"
    default_message = _("The region files have problems; nothing was imported.")

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(fields={"__all__": problems})
