"""/api/v1/facilities: schools and health facilities (public reference data)."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from kotacerdas.core.api_support import ErrorOut, Pagination
from kotacerdas.regions.errors import RegionNotFound
from kotacerdas.regions.selectors import region_exists

from . import selectors
from .schemas import FacilityDetailOut, FacilityOut

router = Router()

LIST_FIELDS = (
    "id", "kind", "code", "name", "subtype", "ownership", "address", "kecamatan_code",
    "region_code", "lat", "lng", "phone",
)  # fmt: skip


@router.get(
    "",
    response={200: list[FacilityOut], 404: ErrorOut, 422: ErrorOut},
    auth=None,
    url_name="facility_list",
    summary="Facilities, filtered by kind, type and region",
)
@paginate(Pagination)
def facility_list(
    request: HttpRequest,
    kind: Literal["school", "health"] | None = None,
    subtype: str | None = Query(None, max_length=30),
    region: str | None = Query(None, max_length=20),
) -> Any:
    if region and not region_exists(code=region):
        raise RegionNotFound()
    return selectors.facility_list(kind=kind, subtype=subtype, region_code=region).values(
        *LIST_FIELDS
    )


@router.get(
    "/{int:facility_id}",
    response={200: FacilityDetailOut, 404: ErrorOut},
    auth=None,
    url_name="facility_detail",
    summary="One facility",
)
def facility_detail(request: HttpRequest, facility_id: int) -> Any:
    return selectors.facility_get(facility_id=facility_id)
