from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kotacerdas.core.geo import haversine_m
from kotacerdas.facilities import selectors
from kotacerdas.facilities.models import Facility

pytestmark = pytest.mark.django_db

BASE = "/api/v1/facilities"
RSUD = (-2.5427758, 112.9468547)


def test_list_with_filters(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):  # count, page
        response = client.get(BASE, {"kind": "health", "subtype": "puskesmas", "limit": 5})
    body = response.json()
    assert body["count"] == 19
    assert [i["name"] for i in body["items"]] == sorted(i["name"] for i in body["items"])
    assert set(body["items"][0]) == {
        "id",
        "kind",
        "code",
        "name",
        "subtype",
        "ownership",
        "address",
        "kecamatan_code",
        "region_code",
        "lat",
        "lng",
        "phone",
    }
    schools_in_sampit = client.get(
        BASE, {"kind": "school", "region": "62.02.06", "limit": 200}
    ).json()
    assert (
        schools_in_sampit["count"]
        == Facility.objects.filter(kind="school", region_code__startswith="62.02.06").count()
    )
    assert all(i["region_code"].startswith("62.02.06") for i in schools_in_sampit["items"])


def test_list_query_count_does_not_grow(client: Client, django_assert_num_queries: Any) -> None:
    Facility.objects.bulk_create(
        Facility(
            kind="health",
            code=f"TEST{i}",
            name=f"Pustu {i}",
            subtype="pustu",
            kecamatan_code="62.02.06",
            region_code="62.02.06",
        )
        for i in range(20)
    )
    with django_assert_num_queries(2):
        body = client.get(BASE, {"kind": "health", "limit": 200}).json()
    assert body["count"] == 40


def test_list_bad_input(client: Client) -> None:
    unknown = client.get(BASE, {"region": "62.02.99"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "regions.not_found")
    bad_kind = client.get(BASE, {"kind": "mall"})
    assert bad_kind.status_code == 422
    assert bad_kind.json()["error"]["fields"] == {"kind": ["Choose one of the allowed values."]}


def test_detail(client: Client, django_assert_num_queries: Any) -> None:
    rsud = Facility.objects.get(code="rsud-dr-murjani-sampit")
    with django_assert_num_queries(1):
        body = client.get(f"{BASE}/{rsud.pk}").json()
    assert (
        body["name"],
        body["subtype"],
        body["region_code"],
        body["attributes"]["code_derived_from_name"],
    ) == ("RSUD dr. Murjani Sampit", "rumah_sakit", "62.02.06.1001", True)
    assert body["source"].startswith("National COVID-19 referral hospital list")
    missing = client.get(f"{BASE}/999999")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "facilities.not_found")
    assert client.get(f"{BASE}/abc").status_code == 404


def test_nearest_is_by_haversine(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        nearest = selectors.facility_nearest(lat=RSUD[0], lng=RSUD[1], kind="health", limit=3)
    assert nearest[0].facility.code == "rsud-dr-murjani-sampit"
    assert nearest[0].distance_m == 0.0
    for item in nearest[1:]:
        f = item.facility
        assert item.distance_m == round(haversine_m(RSUD[0], RSUD[1], f.lat, f.lng), 1)
    assert [n.distance_m for n in nearest] == sorted(n.distance_m for n in nearest)
    only_close = selectors.facility_nearest(
        lat=RSUD[0], lng=RSUD[1], kind="health", limit=5, max_distance_m=1
    )
    assert [n.facility.code for n in only_close] == ["rsud-dr-murjani-sampit"]
    smp = selectors.facility_nearest(
        lat=RSUD[0], lng=RSUD[1], kind="school", subtype="SMP", limit=2
    )
    assert [n.facility.subtype for n in smp] == ["SMP", "SMP"]


def test_haversine_reference_values() -> None:
    # One degree of latitude, and Sampit to Palangka Raya (about 114 km).
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195.1, abs=0.1)
    assert haversine_m(-2.5428, 112.9469, -2.2096, 113.9213) / 1000 == pytest.approx(114.4, abs=0.1)
