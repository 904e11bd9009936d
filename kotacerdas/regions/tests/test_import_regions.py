from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kotacerdas.core.models import AuditEvent
from kotacerdas.regions import lookup
from kotacerdas.regions.models import Region

pytestmark = pytest.mark.django_db


def _rewrite_csv(directory: Path, change: Any) -> None:
    path = directory / "regions.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fieldnames = list(rows[0].keys())
    rows, fieldnames = change(rows, fieldnames)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _rewrite_geojson(directory: Path, name: str, change: Any) -> None:
    path = directory / name
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _set(rows: list[dict[str, str]], target: str, **values: str) -> None:
    for row in rows:
        if row["code"] == target:
            row.update(values)
            return
    raise AssertionError(target)


def test_session_import_loaded_the_whole_tree() -> None:
    counts = {
        level: Region.objects.filter(level=level).count()
        for level in ("kabupaten", "kecamatan", "kelurahan", "desa")
    }
    assert counts == {"kabupaten": 1, "kecamatan": 17, "kelurahan": 17, "desa": 168}
    root = Region.objects.get(code="62.02")
    assert (root.name, root.parent_id, root.parent_code) == (
        "Kabupaten Kotawaringin Timur",
        None,
        "62",
    )
    desa = Region.objects.select_related("parent").get(code="62.02.06.1001")
    assert (desa.name, desa.level, desa.parent.code, desa.postal_code) == (
        "Mentawa Baru Hulu",
        "kelurahan",
        "62.02.06",
        desa.postal_code,
    )
    assert len(desa.postal_code) == 5
    assert Region.objects.exclude(geometry="").count() == 203


def test_kecamatan_boundaries_come_from_the_from_desa_layer() -> None:
    data = Path(__file__).resolve().parents[3] / "data" / "regions"
    derived = json.loads((data / "kotim_kecamatan_from_desa.geojson").read_text())
    feature = next(f for f in derived["features"] if f["properties"]["code"] == "62.02.06")
    region = Region.objects.get(code="62.02.06")
    assert json.loads(region.geometry) == feature["geometry"]
    bounds = shapely.from_geojson(json.dumps(feature["geometry"])).bounds
    assert (region.min_lng, region.min_lat, region.max_lng, region.max_lat) == bounds


def test_session_import_was_audited() -> None:
    event = AuditEvent.objects.filter(action="kotacerdas.regions.tree.imported").latest("id")
    assert event.actor is None
    assert event.object_id == "62.02"
    assert event.after["created"] == 203
    assert event.after["by_level"] == {
        "kabupaten": 1,
        "kecamatan": 17,
        "kelurahan": 17,
        "desa": 168,
    }


def test_second_import_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    before = dict(Region.objects.values_list("code", "updated_at"))
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        call_command("import_regions", "data/regions")
    out = capsys.readouterr().out
    assert "0 changed (0 created, 0 updated), 203 unchanged." in out
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert dict(Region.objects.values_list("code", "updated_at")) == before
    assert AuditEvent.objects.count() == events


def test_changed_row_is_updated_audited_and_seen_by_lookup(
    region_dir: Path, capsys: pytest.CaptureFixture[str], django_capture_on_commit_callbacks: Any
) -> None:
    assert lookup.locate(-2.5427758, 112.9468547).desa.name == "Mentawa Baru Hulu"
    _rewrite_csv(
        region_dir,
        lambda rows, f: (_set(rows, "62.02.06.1001", name="Mentawa Baru Hulu Baru") or rows, f),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_regions", str(region_dir))
    assert "1 changed (0 created, 1 updated), 202 unchanged." in capsys.readouterr().out
    assert Region.objects.get(code="62.02.06.1001").name == "Mentawa Baru Hulu Baru"
    event = AuditEvent.objects.filter(action="kotacerdas.regions.tree.imported").latest("id")
    assert (event.after["updated"], event.after["created"]) == (1, 0)
    assert lookup.locate(-2.5427758, 112.9468547).desa.name == "Mentawa Baru Hulu Baru"


def _drop_column(rows: list[dict[str, str]], fields: list[str]) -> Any:
    return rows, [f for f in fields if f != "postal_code"]


def _bad_code(rows: list[dict[str, str]], fields: list[str]) -> Any:
    _set(rows, "62.02.01.1009", code="62.2.01.1009")
    return rows, fields


def _bad_level(rows: list[dict[str, str]], fields: list[str]) -> Any:
    _set(rows, "62.02.01.2003", level="kelurahan")
    return rows, fields


def _unknown_parent(rows: list[dict[str, str]], fields: list[str]) -> Any:
    rows.append({**rows[-1], "code": "62.02.99.2001", "parent_code": "62.02.99", "name": "X"})
    return rows, fields


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_drop_column, "regions.csv: missing columns: postal_code."),
        (
            _bad_code,
            "regions.csv row 4: code '62.2.01.1009' is not a Kemendagri code (like 62.02.06.1001).",
        ),
        (
            _bad_level,
            "regions.csv row 6: level kelurahan does not fit code 62.02.01.2003 (expected desa).",
        ),
        (_unknown_parent, "regions.csv row 205: unknown parent 62.02.99 of 62.02.99.2001."),
    ],
)
def test_bad_csv_is_refused_with_row_numbers(region_dir: Path, change: Any, message: str) -> None:
    _rewrite_csv(region_dir, change)
    with pytest.raises(CommandError) as exc:
        call_command("import_regions", str(region_dir))
    assert message in str(exc.value)
    assert not Region.objects.filter(code__in=["62.2.01.1009", "62.02.99.2001"]).exists()


def _feature_code(doc: dict[str, Any]) -> None:
    doc["features"][2]["properties"]["code"] = "62.02.99.2001"


def _garbage_geometry(doc: dict[str, Any]) -> None:
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [["a", "b"]]}


def _bowtie(doc: dict[str, Any]) -> None:
    doc["features"][0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[112.0, -2.0], [112.1, -2.1], [112.1, -2.0], [112.0, -2.1], [112.0, -2.0]]
        ],
    }


def _swapped(doc: dict[str, Any]) -> None:
    doc["features"][0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[-2.0, 112.0], [-2.1, 112.0], [-2.1, 112.1], [-2.0, 112.0]]],
    }


def _point(doc: dict[str, Any]) -> None:
    doc["features"][0]["geometry"] = {"type": "Point", "coordinates": [112.0, -2.0]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _feature_code,
            "kotim_desa_kelurahan.geojson feature 3: code '62.02.99.2001' is not in regions.csv.",
        ),
        (
            _garbage_geometry,
            "kotim_desa_kelurahan.geojson feature 1 (62.02.01.1009): geometry cannot be read",
        ),
        (
            _bowtie,
            "kotim_desa_kelurahan.geojson feature 1 (62.02.01.1009): geometry is not valid (Self-intersection",
        ),
        (_swapped, "coordinates are out of range (GeoJSON wants [lng, lat] order)."),
        (
            _point,
            "kotim_desa_kelurahan.geojson feature 1 (62.02.01.1009): geometry is not a Polygon or MultiPolygon.",
        ),
    ],
)
def test_bad_geojson_is_refused_and_nothing_is_half_written(
    region_dir: Path, change: Any, message: str
) -> None:
    # A valid CSV change in the same run must not be written either.
    _rewrite_csv(
        region_dir, lambda rows, f: (_set(rows, "62.02.01.1010", name="Renamed") or rows, f)
    )
    _rewrite_geojson(region_dir, "kotim_desa_kelurahan.geojson", change)
    with pytest.raises(CommandError) as exc:
        call_command("import_regions", str(region_dir))
    assert message in str(exc.value)
    assert Region.objects.get(code="62.02.01.1010").name == "Kota Besi Hilir"


def test_unreadable_json_and_missing_dir(region_dir: Path) -> None:
    (region_dir / "broken.geojson").write_text("{not json")
    with pytest.raises(CommandError, match=r"broken.geojson: not valid JSON"):
        call_command("import_regions", str(region_dir))
    with pytest.raises(CommandError, match=r"not a directory"):
        call_command("import_regions", str(region_dir / "nope"))


def test_two_layers_of_the_same_kind_for_one_code_are_refused(region_dir: Path) -> None:
    (region_dir / "copy.geojson").write_text((region_dir / "kotim_kabupaten.geojson").read_text())
    with pytest.raises(CommandError) as exc:
        call_command("import_regions", str(region_dir))
    assert "62.02 already has a boundary from copy.geojson." in str(exc.value)


def test_another_kabupaten_imports_alongside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing assumes Kotim: a made-up kota with one kecamatan and one kelurahan."""
    d = tmp_path / "kota"
    d.mkdir()
    (d / "regions.csv").write_text(
        "code,name,level,parent_code,lat,lng,postal_code\n"
        "63.71,Kota Contoh,kota,63,-3.3,114.6,\n"
        "63.71.01,Kecamatan Contoh,kecamatan,63.71,-3.3,114.6,\n"
        "63.71.01.1001,Kelurahan Contoh,kelurahan,63.71.01,-3.3,114.6,70111\n"
    )
    square = {
        "type": "Polygon",
        "coordinates": [
            [[114.5, -3.4], [114.7, -3.4], [114.7, -3.2], [114.5, -3.2], [114.5, -3.4]]
        ],
    }
    (d / "kel.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "63.71.01.1001", "level": "kelurahan"},
                        "geometry": square,
                    }
                ],
            }
        )
    )
    call_command("import_regions", str(d))
    assert "3 changed (3 created, 0 updated)" in capsys.readouterr().out
    kel = Region.objects.get(code="63.71.01.1001")
    assert (kel.parent.code, kel.min_lng, kel.max_lat) == ("63.71.01", 114.5, -3.2)
    assert Region.objects.get(code="63.71").parent_id is None
    lookup.invalidate()
    found = lookup.locate(-3.3, 114.6)
    assert (found.kabupaten.name, found.kecamatan.name, found.desa.code) == (
        "Kota Contoh",
        "Kecamatan Contoh",
        "63.71.01.1001",
    )
