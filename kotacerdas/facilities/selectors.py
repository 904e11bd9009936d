"""Reads of the facility lists: public reference data, so no actor. Admission and the
emergency desk read facilities only through these."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from kotacerdas.core.errors import NotFound
from kotacerdas.core.geo import haversine_m_array
from kotacerdas.regions.selectors import within_q

from .models import Facility


class FacilityNotFound(NotFound):
    code = "facilities.not_found"


def facility_list(
    *, kind: str | None = None, subtype: str | None = None, region_code: str | None = None
) -> QuerySet[Facility]:
    """Active facilities by kind and name; `region_code` keeps those located inside that region
    (a kecamatan or desa code; prefix match on the facility's region)."""
    qs = Facility.objects.filter(is_active=True).order_by("kind", "name", "id")
    if kind:
        qs = qs.filter(kind=kind)
    if subtype:
        qs = qs.filter(subtype=subtype)
    if region_code:
        qs = qs.filter(within_q("region_code", region_code))
    return qs


def facility_get(*, facility_id: int) -> Facility:
    try:
        return Facility.objects.get(pk=facility_id, is_active=True)
    except Facility.DoesNotExist:
        raise FacilityNotFound() from None


@dataclass(frozen=True)
class NearbyFacility:
    facility: Facility
    distance_m: float


def facility_nearest(
    *,
    lat: float,
    lng: float,
    kind: str | None = None,
    subtype: str | None = None,
    limit: int = 5,
    max_distance_m: float | None = None,
) -> list[NearbyFacility]:
    """The `limit` nearest active facilities with a location, by great-circle distance
    (haversine), nearest first. Straight-line only: travel time is the routing interface's
    job. One query; the distances are computed in numpy (a regency has hundreds of rows)."""
    qs = facility_list(kind=kind, subtype=subtype).filter(lat__isnull=False, lng__isnull=False)
    candidates = list(qs)
    if not candidates or limit < 1:
        return []
    distances = haversine_m_array(
        lat, lng, [f.lat for f in candidates], [f.lng for f in candidates]
    )
    order = sorted(range(len(candidates)), key=lambda i: (distances[i], candidates[i].pk))
    out = []
    for i in order[:limit]:
        d = float(distances[i])
        if max_distance_m is not None and d > max_distance_m:
            break
        out.append(NearbyFacility(facility=candidates[i], distance_m=round(d, 1)))
    return out
