"""/api/v1/regions: the region tree, point lookup and boundary layers. Public reference data."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.pagination import paginate

from kotacerdas.core.api_support import ErrorOut, Pagination

from . import lookup, selectors
from .errors import RegionNotFound
from .schemas import LookupOut, RegionDetailOut, RegionOut

router = Router()

GEOJSON_CACHE_CONTROL = "public, max-age=3600"


@router.get(
    "",
    response={200: list[RegionOut], 404: ErrorOut, 422: ErrorOut},
    auth=None,
    url_name="region_list",
    summary="Children of a region (the root without ?parent)",
)
@paginate(Pagination)
def region_list(request: HttpRequest, parent: str | None = None) -> Any:
    # One query: the children are few (a kecamatan has tens of villages), so they are read
    # whole and paginated in memory; only an empty answer checks that the parent exists.
    rows = list(selectors.region_children(parent_code=parent))
    if not rows and parent is not None and not selectors.region_exists(code=parent):
        raise RegionNotFound()
    return rows


@router.get(
    "/lookup",
    response={200: LookupOut, 422: ErrorOut},
    auth=None,
    url_name="region_lookup",
    summary="The kabupaten, kecamatan and desa/kelurahan at a point",
)
def region_lookup(
    request: HttpRequest,
    lat: float = Query(..., ge=-90, le=90, allow_inf_nan=False),
    lng: float = Query(..., ge=-180, le=180, allow_inf_nan=False),
) -> Any:
    return lookup.locate(lat, lng).as_dict()


@router.get(
    "/geojson",
    response={200: dict[str, Any], 304: None, 404: ErrorOut, 422: ErrorOut},
    auth=None,
    url_name="region_geojson",
    summary="Boundaries of one level as a GeoJSON FeatureCollection",
)
def region_geojson(
    request: HttpRequest, level: Literal["kecamatan", "desa"], parent: str | None = None
) -> HttpResponse:
    etag = selectors.region_geojson_etag(level=level, parent_code=parent)
    headers = {"ETag": etag, "Cache-Control": GEOJSON_CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if etag in _if_none_match(request):
        return HttpResponse(status=304, headers=headers)
    doc = selectors.region_geojson(level=level, parent_code=parent, etag=etag)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = doc.gzipped
    else:
        body = doc.body
    return HttpResponse(body, content_type="application/geo+json", headers=headers)


def _if_none_match(request: HttpRequest) -> set[str]:
    raw = request.headers.get("If-None-Match", "")
    return {t.strip().removeprefix("W/") for t in raw.split(",") if t.strip()}


@router.get(
    "/{code}",
    response={200: RegionDetailOut, 404: ErrorOut},
    auth=None,
    url_name="region_detail",
    summary="One region (with ?geometry=true its boundary as GeoJSON)",
)
def region_detail(request: HttpRequest, code: str, geometry: bool = False) -> Any:
    region = selectors.region_get(code=code, with_geometry=geometry)
    out: dict[str, Any] = {name: getattr(region, name) for name in selectors.LIST_FIELDS}
    out["geometry"] = json.loads(region.geometry) if geometry and region.geometry else None
    return out
