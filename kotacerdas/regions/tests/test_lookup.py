from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from kotacerdas.core.errors import ValidationFailed
from kotacerdas.core.geo import METRES_PER_DEGREE, haversine_m
from kotacerdas.regions import lookup
from kotacerdas.regions.errors import OutsideRegions
from kotacerdas.regions.lookup import LookupResult, RegionIndex, RegionRef
from kotacerdas.regions.models import Region

pytestmark = pytest.mark.django_db

HOSPITAL = (-2.5427758, 112.9468547)  # RSUD dr. Murjani, Sampit
# In the lower Mentaya around Pulau Hanaut, which the desa polygons leave out.
RIVER_GAP = (-2.93259, 113.15424)
PALANGKA_RAYA = (-2.2096, 113.9213)


def test_point_in_a_kelurahan() -> None:
    assert lookup.locate(*HOSPITAL) == LookupResult(
        kabupaten=RegionRef("62.02", "Kabupaten Kotawaringin Timur"),
        kecamatan=RegionRef("62.02.06", "Mentawa Baru Ketapang"),
        desa=RegionRef("62.02.06.1001", "Mentawa Baru Hulu"),
        approximate=False,
        distance_m=0.0,
    )


def test_every_village_is_found_at_a_point_inside_it() -> None:
    rows = list(
        Region.objects.filter(level__in=["desa", "kelurahan"]).values_list("code", "geometry")
    )
    assert len(rows) == 185
    wrong = []
    for code, geometry in rows:
        p = shapely.from_geojson(geometry).representative_point()
        found = lookup.locate(p.y, p.x)
        if found.desa.code != code or found.approximate:
            wrong.append((code, found.desa.code))
    # Neighbouring polygons overlap by 0.002% of their area; none of these points is there.
    assert wrong == []


def test_river_gap_point_goes_to_the_nearest_desa_approximately() -> None:
    found = lookup.locate(*RIVER_GAP)
    assert (found.desa.code, found.desa.name, found.kecamatan.name) == (
        "62.02.09.2014",
        "Bantian",
        "Pulau Hanaut",
    )
    assert found.approximate is True
    assert found.distance_m == 164.2


def test_river_gap_beyond_the_tolerance_is_outside(settings: object) -> None:
    settings.REGION_LOOKUP_TOLERANCE_M = 100.0  # type: ignore[attr-defined]
    lookup.invalidate()
    lookup._index = None  # the tolerance is part of the index
    with pytest.raises(OutsideRegions):
        lookup.locate(*RIVER_GAP)
    lookup._index = None


@pytest.mark.parametrize("point", [PALANGKA_RAYA, (-3.6, 113.0), (0.0, 0.0), (-90.0, 180.0)])
def test_outside_is_a_422_service_error(point: tuple[float, float]) -> None:
    with pytest.raises(OutsideRegions) as exc:
        lookup.locate(*point)
    assert (exc.value.code, exc.value.status) == ("regions.outside", 422)
    assert "is not in any desa or kelurahan of Kabupaten Kotawaringin Timur" in exc.value.message


@pytest.mark.parametrize(
    ("lat", "lng", "fields"),
    [
        (91, 112.9, ["lat"]),
        (-2.5, 181, ["lng"]),
        (float("nan"), 112.9, ["lat"]),
        ("x", float("inf"), ["lat", "lng"]),
    ],
)
def test_impossible_coordinates_are_validation_errors(
    lat: object, lng: object, fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        lookup.locate(lat, lng)  # type: ignore[arg-type]
    assert sorted(exc.value.fields) == fields


def test_bulk_agrees_with_single_lookups() -> None:
    index = lookup.get_index()
    x0, y0, x1, y1 = shapely.total_bounds(index.geoms)
    rng = np.random.default_rng(7)
    lats = np.concatenate(
        [rng.uniform(y0, y1, 3000), [RIVER_GAP[0], HOSPITAL[0], PALANGKA_RAYA[0]]]
    )
    lngs = np.concatenate(
        [rng.uniform(x0, x1, 3000), [RIVER_GAP[1], HOSPITAL[1], PALANGKA_RAYA[1]]]
    )
    many = lookup.locate_many(lats, lngs)
    single: list[LookupResult | None] = []
    for la, ln in zip(lats.tolist(), lngs.tolist(), strict=True):
        try:
            single.append(lookup.locate(la, ln))
        except OutsideRegions:
            single.append(None)
    assert many == single
    assert many[-3:] == [lookup.locate(*RIVER_GAP), lookup.locate(*HOSPITAL), None]
    assert 1000 < sum(r is not None for r in many) < 3000


def test_bulk_refuses_impossible_coordinates() -> None:
    with pytest.raises(ValidationFailed) as exc:
        lookup.locate_many([-2.5, 95.0], [112.9, 112.9])
    assert exc.value.fields == {"points": ["Not valid coordinates at positions [1]."]}


@pytest.mark.parametrize("lat0", [0.0, 60.0])
def test_nearest_distance_is_in_true_metres(lat0: float) -> None:
    """A 1 km square; points east of it at 100/200/300 m (metres along the parallel, so at 60°
    the degrees are twice as many): haversine-correct, not raw degrees."""
    side = 1000 / METRES_PER_DEGREE
    square = shapely.box(10.0, lat0, 10.0 + side / np.cos(np.radians(lat0)), lat0 + side)
    index = RegionIndex(
        villages=[("99.01.01.2001", shapely.to_geojson(square))],
        names={"99.01": "Kab", "99.01.01": "Kec", "99.01.01.2001": "Desa"},
        tolerance_m=250,
    )
    mid_lat = lat0 + side / 2
    east = square.bounds[2]
    for metres in (100, 200):
        lng = east + metres / (METRES_PER_DEGREE * np.cos(np.radians(mid_lat)))
        found = index.locate(mid_lat, lng)
        assert found.approximate is True
        assert found.distance_m == pytest.approx(haversine_m(mid_lat, east, mid_lat, lng), abs=0.1)
        assert found.distance_m == pytest.approx(metres, abs=0.5)
    with pytest.raises(OutsideRegions):
        index.locate(mid_lat, east + 300 / (METRES_PER_DEGREE * np.cos(np.radians(mid_lat))))
    assert index.locate(mid_lat, 10.0 + side / 4).approximate is False


def test_index_is_rebuilt_when_the_tree_changes() -> None:
    first = lookup.get_index()
    assert lookup.get_index() is first
    Region.objects.filter(code="62.02.06.1001").update(name="Nama Baru")  # bumps nothing
    lookup.invalidate()
    assert lookup.get_index() is first  # same version: no rebuild
    region = Region.objects.get(code="62.02.06.1001")
    region.name = "Nama Baru"
    region.save()  # auto_now bumps updated_at: a new version
    lookup.invalidate()
    rebuilt = lookup.get_index()
    assert rebuilt is not first
    assert lookup.locate(*HOSPITAL).desa.name == "Nama Baru"


def test_lookup_geometry_matches_the_stored_boundaries() -> None:
    index = lookup.get_index()
    stored = Region.objects.get(code="62.02.06.1001").geometry
    position = index.codes.index("62.02.06.1001")
    assert shapely.equals(index.geoms[position], shapely.from_geojson(stored))
    assert json.loads(stored)["type"] in ("Polygon", "MultiPolygon")
