from __future__ import annotations

from typing import Any

import pytest

from kotacerdas.regions import selectors
from kotacerdas.regions.errors import RegionNotFound
from kotacerdas.regions.models import Region

pytestmark = pytest.mark.django_db


def test_within_q_is_a_hierarchical_prefix_match() -> None:
    codes = set(
        Region.objects.filter(selectors.within_q("code", "62.02.06")).values_list("code", flat=True)
    )
    assert "62.02.06" in codes
    assert all(c == "62.02.06" or c.startswith("62.02.06.") for c in codes)
    assert len(codes) == 1 + Region.objects.filter(parent_code="62.02.06").count()
    # 62.02.1 must not match 62.02.10 .. 62.02.17 (a plain startswith would).
    assert not Region.objects.filter(selectors.within_q("code", "62.02.1")).exists()


def test_region_get(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        region = selectors.region_get(code="62.02.06")
    assert region.name == "Mentawa Baru Ketapang"
    assert "geometry" in region.get_deferred_fields()
    assert selectors.region_get(code="62.02.06", with_geometry=True).geometry.startswith('{"type":')
    for code in ("62.02.99", "x", ""):
        with pytest.raises(RegionNotFound):
            selectors.region_get(code=code)


def test_region_children_and_villages() -> None:
    assert [r["code"] for r in selectors.region_children()] == ["62.02"]
    assert len(selectors.region_children(parent_code="62.02")) == 17
    villages = list(selectors.region_villages(within="62.02.12"))
    assert villages[0] == {
        "code": "62.02.12.1001",
        "name": "Mentaya Seberang",
        "level": "kelurahan",
        "parent_code": "62.02.12",
    }
    assert len(selectors.region_villages()) == 185
    assert selectors.region_villages(kecamatan_code="62.02.12").count() == len(villages)


def test_region_choices_for_signup(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        groups = selectors.region_choices_for_signup()
    assert len(groups) == 17
    assert sum(len(options) for _name, options in groups) == 185
    names = [name for name, _options in groups]
    assert names == sorted(names)
    baamang = dict(groups)["Baamang"]
    assert ("62.02.05.1001", Region.objects.get(code="62.02.05.1001").name) in baamang


def test_region_map_summary(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        summary = selectors.region_map_summary(root_code="62.02")
    assert len(summary) == 17
    assert sum(k["desa_count"] for k in summary) == 168
    assert sum(k["kelurahan_count"] for k in summary) == 17
    seranau = next(k for k in summary if k["code"] == "62.02.12")
    assert seranau["villages"][0] == {
        "code": "62.02.12.1001",
        "name": "Mentaya Seberang",
        "level": "kelurahan",
    }
