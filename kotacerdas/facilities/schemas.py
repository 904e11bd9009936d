from __future__ import annotations

from typing import Any

from ninja import Schema


class FacilityOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    subtype: str
    ownership: str
    address: str
    kecamatan_code: str
    region_code: str
    lat: float | None
    lng: float | None
    phone: str


class FacilityDetailOut(FacilityOut):
    attributes: dict[str, Any]
    source: str
