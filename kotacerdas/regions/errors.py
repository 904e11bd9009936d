"""The errors the regions app raises (stable codes, see kotacerdas.core.errors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kotacerdas.core.errors import NotFound, ServiceError, ValidationFailed


class RegionNotFound(NotFound):
    code = "regions.not_found"
    default_message = _("There is no region with this code.")


class OutsideRegions(ServiceError):
    """The point lies in no desa/kelurahan (nor within the lookup tolerance of one)."""

    status = 422
    code = "regions.outside"
    default_message = _("This location is outside the area this platform serves.")


class RegionImportInvalid(ValidationFailed):
    """The files to import have problems; nothing was written. `problems` lists them, each
    naming the file and row or feature."""

    code = "regions.import_invalid"
    default_message = _("The region files have problems; nothing was imported.")

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(fields={"__all__": problems})
