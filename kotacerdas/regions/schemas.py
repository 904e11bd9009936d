from __future__ import annotations

from typing import Any

from ninja import Schema


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str
    lat: float | None
    lng: float | None
    postal_code: str
    bbox: list[float] | None = None  # [min_lng, min_lat, max_lng, max_lat]

    @staticmethod
    def resolve_bbox(obj: Any) -> list[float] | None:
        values = [_get(obj, k) for k in ("min_lng", "min_lat", "max_lng", "max_lat")]
        return None if any(v is None for v in values) else values


class RegionDetailOut(RegionOut):
    geometry: dict[str, Any] | None = None  # GeoJSON, with ?geometry=true


class RegionRefOut(Schema):
    code: str
    name: str


class LookupOut(Schema):
    kabupaten: RegionRefOut
    kecamatan: RegionRefOut
    desa: RegionRefOut
    approximate: bool
    distance_m: float
