from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from django.test import Client

from kotacerdas.regions.models import Region

pytestmark = pytest.mark.django_db

BASE = "/api/v1/regions"


def _add_villages(kecamatan_code: str, n: int) -> None:
    parent = Region.objects.get(code=kecamatan_code)
    Region.objects.bulk_create(
        Region(
            code=f"{kecamatan_code}.2{900 + i:03d}",
            name=f"Desa Uji {i}",
            level="desa",
            parent=parent,
            parent_code=kecamatan_code,
        )
        for i in range(n)
    )


def test_root_without_parent(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        response = client.get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    root = body["items"][0]
    assert {k: root[k] for k in ("code", "name", "level", "parent_code", "postal_code")} == {
        "code": "62.02",
        "name": "Kabupaten Kotawaringin Timur",
        "level": "kabupaten",
        "parent_code": "62",
        "postal_code": "",
    }
    assert root["bbox"] == [112.067, -3.299591, 113.269656, -1.193206]


def test_children_of_the_kabupaten(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        response = client.get(BASE, {"parent": "62.02"})
    body = response.json()
    assert body["count"] == 17
    assert [i["code"] for i in body["items"][:3]] == ["62.02.01", "62.02.02", "62.02.03"]
    assert body["items"][0]["name"] == "Kota Besi"
    assert set(body["items"][0]) == {
        "code",
        "name",
        "level",
        "parent_code",
        "lat",
        "lng",
        "postal_code",
        "bbox",
    }


def test_children_query_count_does_not_grow(client: Client, django_assert_num_queries: Any) -> None:
    before = client.get(BASE, {"parent": "62.02.06", "limit": 200}).json()["count"]
    _add_villages("62.02.06", 20)
    with django_assert_num_queries(1):
        response = client.get(BASE, {"parent": "62.02.06", "limit": 200})
    assert response.json()["count"] == before + 20


def test_pagination(client: Client) -> None:
    body = client.get(BASE, {"parent": "62.02", "limit": 5, "offset": 15}).json()
    assert body["count"] == 17
    assert [i["code"] for i in body["items"]] == ["62.02.16", "62.02.17"]
    bad = client.get(BASE, {"parent": "62.02", "limit": 0})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"limit": ["Must be between 1 and 200."]}


def test_unknown_parent_is_404_and_a_leaf_has_no_children(
    client: Client, django_assert_num_queries: Any
) -> None:
    for parent in ("62.02.99", "abc", "62.02.06.9999"):
        response = client.get(BASE, {"parent": parent})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "regions.not_found"
    with django_assert_num_queries(2):
        leaf = client.get(BASE, {"parent": "62.02.06.1001"})
    assert leaf.json() == {"items": [], "count": 0}


def test_detail(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        response = client.get(f"{BASE}/62.02.06.1001")
    body = response.json()
    region = Region.objects.get(code="62.02.06.1001")
    assert body == {
        "code": "62.02.06.1001",
        "name": "Mentawa Baru Hulu",
        "level": "kelurahan",
        "parent_code": "62.02.06",
        "lat": region.lat,
        "lng": region.lng,
        "postal_code": region.postal_code,
        "bbox": [region.min_lng, region.min_lat, region.max_lng, region.max_lat],
        "geometry": None,
    }
    with_geometry = client.get(f"{BASE}/62.02.06.1001", {"geometry": "true"}).json()
    assert with_geometry["geometry"] == json.loads(region.geometry)


@pytest.mark.parametrize("code", ["62.02.99", "nope", "62.02.06.1001.1"])
def test_detail_unknown_code_is_404(client: Client, code: str) -> None:
    response = client.get(f"{BASE}/{code}")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "regions.not_found", "message": "There is no region with this code."}
    }


def test_lookup(client: Client, django_assert_num_queries: Any) -> None:
    client.get(f"{BASE}/lookup", {"lat": -2.5427758, "lng": 112.9468547})  # builds the index
    with django_assert_num_queries(0):
        response = client.get(f"{BASE}/lookup", {"lat": -2.5427758, "lng": 112.9468547})
    assert response.status_code == 200
    assert response.json() == {
        "kabupaten": {"code": "62.02", "name": "Kabupaten Kotawaringin Timur"},
        "kecamatan": {"code": "62.02.06", "name": "Mentawa Baru Ketapang"},
        "desa": {"code": "62.02.06.1001", "name": "Mentawa Baru Hulu"},
        "approximate": False,
        "distance_m": 0.0,
    }


def test_lookup_river_gap_is_approximate(client: Client) -> None:
    body = client.get(f"{BASE}/lookup", {"lat": -2.93259, "lng": 113.15424}).json()
    assert (body["desa"]["code"], body["approximate"], body["distance_m"]) == (
        "62.02.09.2014",
        True,
        164.2,
    )


def test_lookup_outside_is_422(client: Client) -> None:
    response = client.get(f"{BASE}/lookup", {"lat": -2.2096, "lng": 113.9213})
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "regions.outside",
            "message": "The point -2.20960, 113.92130 is not in any desa or kelurahan of "
            "Kabupaten Kotawaringin Timur.",
        }
    }


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"lat": "abc", "lng": "112.9"}, {"lat": ["Enter a number."]}),
        ({"lat": "91", "lng": "112.9"}, {"lat": ["Must be at most 90.0."]}),
        ({"lat": "-2.5", "lng": "-181"}, {"lng": ["Must be at least -180.0."]}),
        ({"lat": "-2.5"}, {"lng": ["This field is required."]}),
        ({"lat": "nan", "lng": "112.9"}, {"lat": ["This value is not valid."]}),
    ],
)
def test_lookup_bad_input_is_422_with_fields(
    client: Client, params: dict[str, str], fields: dict[str, list[str]]
) -> None:
    response = client.get(f"{BASE}/lookup", params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("validation", fields)


def test_geojson_kecamatan_layer(client: Client, django_assert_num_queries: Any) -> None:
    response = client.get(f"{BASE}/geojson", {"level": "kecamatan", "parent": "62.02"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Cache-Control"] == "public, max-age=3600"
    doc = json.loads(response.content)
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == 17
    first = doc["features"][0]
    assert first["properties"] == {
        "code": "62.02.01",
        "name": "Kota Besi",
        "level": "kecamatan",
        "parent_code": "62.02",
    }
    assert first["geometry"] == json.loads(Region.objects.get(code="62.02.01").geometry)
    # Cached per process by ETag: one query (the version) for the next request.
    with django_assert_num_queries(1):
        again = client.get(f"{BASE}/geojson", {"level": "kecamatan", "parent": "62.02"})
    assert again.content == response.content


def test_geojson_desa_layer_and_etag_304(client: Client, django_assert_num_queries: Any) -> None:
    response = client.get(f"{BASE}/geojson", {"level": "desa", "parent": "62.02.06"})
    features = json.loads(response.content)["features"]
    assert [f["properties"]["code"] for f in features] == list(
        Region.objects.filter(parent_code="62.02.06").values_list("code", flat=True)
    )
    etag = response["ETag"]
    with django_assert_num_queries(1):
        not_modified = client.get(
            f"{BASE}/geojson", {"level": "desa", "parent": "62.02.06"}, HTTP_IF_NONE_MATCH=etag
        )
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    # The whole layer, gzipped for clients that accept it.
    full = client.get(f"{BASE}/geojson", {"level": "desa"}, HTTP_ACCEPT_ENCODING="gzip, br")
    assert full["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(full.content))["features"]) == 185
    assert full["ETag"] != etag


def test_geojson_etag_changes_with_the_tree(client: Client) -> None:
    etag = client.get(f"{BASE}/geojson", {"level": "kecamatan"})["ETag"]
    region = Region.objects.get(code="62.02.01")
    region.name = "Kota Besi Baru"
    region.save()
    response = client.get(f"{BASE}/geojson", {"level": "kecamatan"}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert json.loads(response.content)["features"][0]["properties"]["name"] == "Kota Besi Baru"


def test_geojson_query_count_does_not_grow(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(3):  # version, parent exists, rows
        client.get(f"{BASE}/geojson", {"level": "desa", "parent": "62.02.05"})
    _add_villages("62.02.05", 20)  # no geometry: not in the layer, but a new version
    Region.objects.filter(code__startswith="62.02.05.29").update(
        geometry=Region.objects.get(code="62.02.05.1001").geometry
    )
    with django_assert_num_queries(3):
        response = client.get(f"{BASE}/geojson", {"level": "desa", "parent": "62.02.05"})
    assert (
        sum(
            f["properties"]["code"].startswith("62.02.05.29")
            for f in json.loads(response.content)["features"]
        )
        == 20
    )


def test_geojson_bad_input(client: Client) -> None:
    unknown = client.get(f"{BASE}/geojson", {"level": "desa", "parent": "62.02.99"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "regions.not_found")
    bad = client.get(f"{BASE}/geojson", {"level": "provinsi"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"level": ["Choose one of the allowed values."]}
    missing = client.get(f"{BASE}/geojson")
    assert missing.json()["error"]["fields"] == {"level": ["This field is required."]}
