from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kotacerdas.core.registry import portal_services
from kotacerdas.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _config(response: Any) -> dict[str, Any]:
    html = response.content.decode()
    start = html.index('<script id="region-map-config" type="application/json">') + len(
        '<script id="region-map-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_map_page(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        response = client.get(reverse("regions:map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kabupaten Kotawaringin Timur has 17 kecamatan, 168 desa and 17 kelurahan." in html
    assert html.count('<tr id="kec-62.02.') == 17
    assert "<summary>Mentawa Baru Ketapang</summary>" in html
    assert 'Mentawa Baru Hulu <span class="code">62.02.06.1001</span>' in html
    assert "/static/dist/regions-map.js" in html
    config = _config(response)
    assert config["kecamatanUrl"] == "/api/v1/regions/geojson?level=kecamatan&parent=62.02"
    assert config["desaUrl"] == "/api/v1/regions/geojson?level=desa&parent=62.02"
    assert config["lookupUrl"] == "/api/v1/regions/lookup"
    assert config["tileUrl"] == ""  # no base tiles, no network, unless configured


def test_map_page_query_count_does_not_grow(client: Client, django_assert_num_queries: Any) -> None:
    parent = Region.objects.get(code="62.02.05")
    Region.objects.bulk_create(
        Region(
            code=f"62.02.05.29{i:02d}",
            name=f"Desa Uji {i}",
            level="desa",
            parent=parent,
            parent_code="62.02.05",
        )
        for i in range(20)
    )
    with django_assert_num_queries(1):
        response = client.get(reverse("regions:map"))
    assert "188 desa and 17 kelurahan" in response.content.decode()


def test_map_page_uses_configured_tiles(client: Client, settings: Any) -> None:
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    assert (
        _config(client.get(reverse("regions:map")))["tileUrl"]
        == "https://tiles.example/{z}/{x}/{y}.png"
    )


def test_portal_service_is_registered() -> None:
    entry = next(s for s in portal_services() if s.key == "regions.map")
    assert (entry.dimension, entry.url_name, str(entry.title)) == (
        "governance",
        "regions:map",
        "Region map",
    )
