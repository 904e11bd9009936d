"""The public fire pages: the hotspot map page, its JSON (the map contract, ETag/304, bad
periods), and the open-data exports (CSV safe against formula injection, GeoJSON with
[lng, lat]); nothing about the response (ground-check notes, people) ever reaches them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse
from PIL import Image

from kotacerdas.core.sla import WIB
from kotacerdas.hotspots import selectors, services
from kotacerdas.hotspots.indicators import MONTHS_ID
from kotacerdas.hotspots.models import FireEvent, Hotspot, ImportRun
from kotacerdas.hotspots.schemas import today

from .conftest import SAMPIT, UJUNG_PANDARAN, import_bytes, nrt_file, nrt_row

pytestmark = pytest.mark.django_db

MAP = reverse("hotspots:public_map")
MAP_DATA = reverse("hotspots:public_map_data")
EXPORTS = {
    "hotspots_csv": reverse("hotspots:export_hotspots_csv"),
    "hotspots_geojson": reverse("hotspots:export_hotspots_geojson"),
    "events_csv": reverse("hotspots:export_events_csv"),
    "events_geojson": reverse("hotspots:export_events_geojson"),
}
YEAR_2022 = {"start": "2022-01-01", "end": "2022-12-31"}


def Client() -> DjangoClient:
    """A visitor whose language is English (the pages' default is Indonesian)."""
    client = DjangoClient()
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def jpeg() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 90, 30)).save(buf, "JPEG")
    return SimpleUploadedFile("cek.jpg", buf.getvalue(), content_type="image/jpeg")


def in_2022() -> tuple[dt.datetime, dt.datetime]:
    return selectors.day_bounds(dt.date(2022, 1, 1), dt.date(2022, 12, 31))


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


# --- The page -------------------------------------------------------------------------------------
def test_the_map_page_for_anyone(
    kalimantan_2022: ImportRun, django_assert_max_num_queries: Callable[..., Any]
):
    first, last = selectors.hotspot_range()
    assert first is not None
    assert last is not None
    assert first.year == last.year == 2022
    # Cold: the range, then each indicator computed once and stored in the (database) cache.
    with django_assert_max_num_queries(34):
        assert Client().get(MAP).status_code == 200
    # Warm: the range and the four cached indicators.
    with django_assert_max_num_queries(5):
        response = Client().get(MAP)
    assert response.status_code == 200
    html = response.content.decode()
    # The map's mount point, per the contract (no event pages for the public).
    assert 'id="fires-map"' in html
    assert f'data-url="{MAP_DATA}"' in html
    assert f'data-first="{first.isoformat()}"' in html
    assert f'data-last="{last.isoformat()}"' in html
    assert f'data-end="{last.isoformat()}"' in html
    assert f'data-start="{first.isoformat()}"' in html
    assert 'data-event-url=""' in html
    assert "data-strings=" in html
    assert "High confidence" in html  # the map's labels, for fires-map.js
    assert "/api/v1/regions/geojson?level=desa" in html
    assert re.search(r"dist/fires-map(\.[0-9a-f]+)?\.js", html)
    # The four fire indicators, with their rows.
    for title in (
        "Hotspots this month vs last year",
        "Fire events by kecamatan",
        "Fire events ground-checked within 24 hours",
        "Median time from detection to ground check",
    ):
        assert title in html
    # Export links: the last 12 months and the year with data.
    assert f"{EXPORTS['hotspots_csv']}?start=2022-01-01&amp;end=2022-12-31" in html
    assert f"{EXPORTS['events_geojson']}?start=2022-01-01&amp;end=2022-12-31" in html
    end = today()
    start = end - dt.timedelta(days=364)
    assert f"{EXPORTS['events_csv']}?start={start.isoformat()}&amp;end={end.isoformat()}" in html


def test_the_map_page_before_any_data(db: None):
    response = Client().get(MAP)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No hotspots have been recorded yet." in html
    day = today().isoformat()
    assert f'data-first="{day}"' in html
    assert f'data-last="{day}"' in html


def test_the_indicators_show_their_rows(db: None, settings: Any):
    now = dt.datetime.now(tz=WIB).replace(hour=10, minute=0)
    import_bytes(nrt_file([nrt_row(*SAMPIT, now, confidence="h")]))
    html = Client().get(MAP).content.decode()
    # "Hotspots this month vs last year": this month's row counts the new hotspot.
    assert f"{MONTHS_ID[now.month]} {now.year}" in html
    assert f"{MONTHS_ID[now.month]} {now.year - 1}" in html
    event = FireEvent.objects.get()
    assert event.kecamatan_name in html  # "Fire events by kecamatan" row


# --- The map's data -------------------------------------------------------------------------------
def test_the_2022_events_are_on_the_map(
    kalimantan_2022: ImportRun, django_assert_max_num_queries: Callable[..., Any]
):
    with django_assert_max_num_queries(4):
        response = Client().get(MAP_DATA, YEAR_2022)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert (data["start"], data["end"]) == ("2022-01-01", "2022-12-31")
    assert data["t0"] == "2022-01-01T00:00:00+07:00"
    lo, hi = in_2022()
    hotspots = Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi)
    assert len(data["hotspots"]) == hotspots.count() == 61
    refs = {e["ref"] for e in data["events"]}
    expected = set(
        FireEvent.objects.filter(hotspots__in=hotspots).values_list("ref", flat=True).distinct()
    )
    assert refs == expected
    assert len(refs) > 5
    event = FireEvent.objects.get(ref=data["events"][0]["ref"])
    assert data["events"][0] == {
        "ref": event.ref,
        "status": "baru",
        "check_result": "",
        "hotspot_count": event.hotspot_count,
        "frp_total": event.frp_total,
        "first": event.first_detected_at.isoformat(),
        "last": event.last_detected_at.isoformat(),
        "lat": event.lat,
        "lng": event.lng,
        "desa": event.desa_name,
        "desa_code": event.desa_code,
        "kecamatan": event.kecamatan_name,
        "confidence": event.max_confidence,
    }
    # Each hotspot row: [lat, lng, minutes since t0, confidence 0-2, frp, event index].
    first = hotspots.order_by("acquired_at", "pk").first()
    assert first is not None
    row = data["hotspots"][0]
    assert row[:2] == pytest.approx([first.lat, first.lng], abs=1e-5)
    assert row[4] == pytest.approx(first.frp, abs=0.01)
    assert row[2] == int((first.acquired_at - lo).total_seconds() // 60)
    assert row[3] == {"rendah": 0, "sedang": 1, "tinggi": 2}[first.confidence]
    assert data["events"][row[5]]["ref"] == first.event.ref  # type: ignore[union-attr]


def test_a_period_without_hotspots_is_empty(kalimantan_2022: ImportRun):
    data = Client().get(MAP_DATA, {"start": "2023-01-01", "end": "2023-01-31"}).json()
    assert data["hotspots"] == []
    assert data["events"] == []


def test_the_map_data_answers_304_until_the_data_changes(kalimantan_2022: ImportRun):
    client = Client()
    first = client.get(MAP_DATA, YEAR_2022)
    etag = first["ETag"]
    assert etag.startswith('"')
    assert "2022-01-01" in etag
    assert "max-age=60" in first["Cache-Control"]
    again = client.get(MAP_DATA, YEAR_2022, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    # A proxy that compressed the answer may send the tag back weak.
    weak = client.get(MAP_DATA, YEAR_2022, HTTP_IF_NONE_MATCH=f'"x", W/{etag}')
    assert weak.status_code == 304
    # Another period has another tag.
    other = client.get(MAP_DATA, {"start": "2022-01-01", "end": "2022-06-30"})
    assert other["ETag"] != etag
    assert (
        client.get(
            MAP_DATA, {"start": "2022-01-01", "end": "2022-06-30"}, HTTP_IF_NONE_MATCH=etag
        ).status_code
        == 200
    )
    # New data: the old tag no longer matches.
    when = dt.datetime(2022, 8, 30, 10, 0, tzinfo=WIB)
    import_bytes(nrt_file([nrt_row(*SAMPIT, when, confidence="h")]))
    changed = client.get(MAP_DATA, YEAR_2022, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert len(changed.json()["hotspots"]) == 62


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "start"),
        ({"start": "2022-01-01"}, "end"),
        ({"end": "2022-01-01"}, "start"),
        ({"start": "2022-13-01", "end": "2022-12-31"}, "start"),
        ({"start": "kemarin", "end": "2022-12-31"}, "start"),
        ({"start": "2022-02-01", "end": "2022-01-01"}, "end"),
        ({"start": "2022-01-01", "end": "2023-02-05"}, "end"),  # 401 days
    ],
)
def test_bad_periods_are_422(db: None, params: dict[str, str], field: str):
    response = Client().get(MAP_DATA, params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "fires.range.invalid"
    assert list(error["fields"]) == [field]


def test_400_days_is_the_longest_period(db: None):
    assert Client().get(MAP_DATA, {"start": "2022-01-01", "end": "2023-02-04"}).status_code == 200


# --- Exports --------------------------------------------------------------------------------------
def test_the_hotspot_csv_matches_the_database(
    kalimantan_2022: ImportRun, django_assert_max_num_queries: Callable[..., Any]
):
    with django_assert_max_num_queries(1):
        response = Client().get(EXPORTS["hotspots_csv"], YEAR_2022)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="titik-panas_2022-01-01_2022-12-31.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == selectors.HOTSPOT_EXPORT_FIELDS
    lo, hi = in_2022()
    db_rows = list(
        Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi)
        .select_related("event")
        .order_by("acquired_at", "pk")
    )
    assert len(rows) - 1 == len(db_rows) == 61
    for line, hotspot in zip(rows[1:], db_rows, strict=True):
        record = dict(zip(rows[0], line, strict=True))
        assert float(record["latitude"]) == hotspot.lat
        assert float(record["longitude"]) == hotspot.lng
        assert record["acquired_at_utc"] == hotspot.acquired_at.astimezone(dt.UTC).strftime(
            "%Y-%m-%dT%H:%MZ"
        )
        assert record["confidence"] == hotspot.confidence
        assert float(record["frp"]) == hotspot.frp
        assert record["desa_code"] == hotspot.desa_code
        assert record["desa"] == hotspot.desa_name
        assert record["event"] == (hotspot.event.ref if hotspot.event else "")


def test_the_event_csv_matches_the_database(
    kalimantan_2022: ImportRun, django_assert_max_num_queries: Callable[..., Any]
):
    with django_assert_max_num_queries(1):
        response = Client().get(EXPORTS["events_csv"], YEAR_2022)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="kejadian-kebakaran_2022-01-01_2022-12-31.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == selectors.EVENT_EXPORT_FIELDS
    events = list(
        FireEvent.objects.filter(merged_into__isnull=True).order_by("first_detected_at", "pk")
    )
    assert [r[0] for r in rows[1:]] == [e.ref for e in events]
    record = dict(zip(rows[0], rows[1], strict=True))
    event = events[0]
    assert record["status"] == event.status
    assert int(record["hotspot_count"]) == event.hotspot_count
    assert record["kecamatan_code"] == event.kecamatan_code
    assert record["checked_at_utc"] == ""


def test_csv_cells_cannot_become_formulas(kalimantan_2022: ImportRun):
    hotspot = Hotspot.objects.order_by("acquired_at", "pk").first()
    assert hotspot is not None
    Hotspot.objects.filter(pk=hotspot.pk).update(
        desa_name='=HYPERLINK("http://evil.example/","klik")', kecamatan_name="@SUM(A1:A9)"
    )
    event = FireEvent.objects.order_by("first_detected_at", "pk").first()
    assert event is not None
    FireEvent.objects.filter(pk=event.pk).update(desa_name="+62 811", kecamatan_name="-1+1")
    hot = csv_rows(Client().get(EXPORTS["hotspots_csv"], YEAR_2022))
    record = dict(zip(hot[0], hot[1], strict=True))
    assert record["desa"] == '\'=HYPERLINK("http://evil.example/","klik")'
    assert record["kecamatan"] == "'@SUM(A1:A9)"
    # Numbers stay numbers (a negative latitude is not text to neutralise).
    assert float(record["latitude"]) == hotspot.lat < 0
    ev = csv_rows(Client().get(EXPORTS["events_csv"], YEAR_2022))
    record = dict(zip(ev[0], ev[1], strict=True))
    assert (record["desa"], record["kecamatan"]) == ("'+62 811", "'-1+1")
    for line in hot[1:] + ev[1:]:
        for cell in line:
            assert not (cell[:1] in "=+@" and cell), cell


def test_csv_is_utf8(kalimantan_2022: ImportRun):
    Hotspot.objects.filter(
        pk=Hotspot.objects.order_by("acquired_at", "pk").values("pk")[:1]
    ).update(desa_name="Tanjung Jariangau — Désa")
    rows = csv_rows(Client().get(EXPORTS["hotspots_csv"], YEAR_2022))
    assert rows[1][selectors.HOTSPOT_EXPORT_FIELDS.index("desa")] == "Tanjung Jariangau — Désa"


def test_the_geojson_exports(
    kalimantan_2022: ImportRun, django_assert_max_num_queries: Callable[..., Any]
):
    with django_assert_max_num_queries(1):
        response = Client().get(EXPORTS["hotspots_geojson"], YEAR_2022)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert response["Content-Disposition"] == (
        'attachment; filename="titik-panas_2022-01-01_2022-12-31.geojson"'
    )
    doc = json.loads(response.content)
    assert doc["type"] == "FeatureCollection"
    lo, hi = in_2022()
    db_rows = list(
        Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi).order_by(
            "acquired_at", "pk"
        )
    )
    assert len(doc["features"]) == len(db_rows) == 61
    for feature, hotspot in zip(doc["features"], db_rows, strict=True):
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {"type": "Point", "coordinates": [hotspot.lng, hotspot.lat]}
        assert feature["properties"]["desa_code"] == hotspot.desa_code
        assert "latitude" not in feature["properties"]
    # Kotim lies south of the equator, east of 112° E: [lng, lat], not [lat, lng].
    lng, lat = doc["features"][0]["geometry"]["coordinates"]
    assert 111 < lng < 114
    assert -4 < lat < 0

    events = json.loads(Client().get(EXPORTS["events_geojson"], YEAR_2022).content)
    assert events["type"] == "FeatureCollection"
    by_ref = {f["properties"]["ref"]: f for f in events["features"]}
    assert set(by_ref) == set(
        FireEvent.objects.filter(merged_into__isnull=True).values_list("ref", flat=True)
    )
    event = FireEvent.objects.filter(merged_into__isnull=True).first()
    assert event is not None
    assert by_ref[event.ref]["geometry"]["coordinates"] == [event.lng, event.lat]
    assert by_ref[event.ref]["properties"]["hotspot_count"] == event.hotspot_count


def test_an_export_without_dates_covers_the_last_365_days(db: None):
    recent = dt.datetime.now(tz=WIB) - dt.timedelta(days=3)
    old = dt.datetime.now(tz=WIB) - dt.timedelta(days=400)
    import_bytes(
        nrt_file(
            [
                nrt_row(*SAMPIT, recent, confidence="h"),
                nrt_row(*SAMPIT, old, confidence="h"),
            ]
        )
    )
    assert Hotspot.objects.count() == 2
    end = today()
    start = end - dt.timedelta(days=364)
    response = Client().get(EXPORTS["hotspots_csv"])
    assert response.status_code == 200
    assert (
        f"titik-panas_{start.isoformat()}_{end.isoformat()}.csv" in response["Content-Disposition"]
    )
    rows = csv_rows(response)
    assert len(rows) == 2  # the header and the recent hotspot only
    events = json.loads(Client().get(EXPORTS["events_geojson"]).content)
    assert len(events["features"]) == 1


@pytest.mark.parametrize("name", list(EXPORTS))
def test_exports_refuse_bad_periods(db: None, name: str):
    too_long = Client().get(EXPORTS[name], {"start": "2021-01-01", "end": "2022-12-31"})
    assert too_long.status_code == 422
    error = too_long.json()["error"]
    assert error["code"] == "fires.range.invalid"
    assert "400 days" in error["message"]
    half = Client().get(EXPORTS[name], {"start": "2022-01-01"})
    assert (half.status_code, half.json()["error"]["fields"]) == (
        422,
        {"end": ["Give the last day (end)."]},
    )


# --- Nothing about the response -------------------------------------------------------------------
def test_no_ground_check_detail_reaches_the_public(
    kalimantan_2022: ImportRun, bpbd_officer: Any, desa_operator: Any
):
    event = (
        FireEvent.objects.filter(desa_code=UJUNG_PANDARAN, merged_into__isnull=True)
        .order_by("pk")
        .first()
    )
    assert event is not None
    services.check_assign(
        actor=bpbd_officer,
        ref=event.ref,
        desa_code=UJUNG_PANDARAN,
        instructions="INSTRUKSI-RAHASIA lewat jalan belakang",
    )
    check = event.checks.get()
    services.check_submit(
        actor=desa_operator,
        check_id=check.pk,
        result="api",
        note="CATATAN-RAHASIA rumah Pak Budi terbakar",
        photo=jpeg(),
        lat=-3.0,
        lng=112.8,
    )
    event.refresh_from_db()
    assert event.status == "dicek_lapangan"
    secrets = [
        "INSTRUKSI-RAHASIA",
        "CATATAN-RAHASIA",
        "Pak Budi",
        bpbd_officer.full_name,
        desa_operator.full_name,
        desa_operator.email,
        "/foto",
    ]
    client = Client()
    outputs = [
        client.get(MAP).content.decode(),
        client.get(MAP_DATA, YEAR_2022).content.decode(),
        *(client.get(url, YEAR_2022).content.decode() for url in EXPORTS.values()),
    ]
    for output in outputs:
        for secret in secrets:
            assert secret not in output
    # The event's state is public: it was checked and found burning.
    data = json.loads(outputs[1])
    shown = next(e for e in data["events"] if e["ref"] == event.ref)
    assert (shown["status"], shown["check_result"]) == ("dicek_lapangan", "api")
    assert event.ref in outputs[4]  # the events CSV
