"""The FIRMS area API fetch against a local double of the API (tests/doubles.py): not
configured → says so and does nothing; configured → asks for Kotim's box and imports; a
second fetch adds nothing; error answers → no run and a message that says why."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from kotacerdas.hotspots import services, tasks
from kotacerdas.hotspots.models import (
    FireAlert,
    FireEvent,
    Hotspot,
    ImportOutcome,
    ImportRun,
    ImportSource,
)
from kotacerdas.hotspots.tests.conftest import (
    NRT_HEADER,
    SAMPIT,
    UJUNG_PANDARAN,
    nrt_file,
    nrt_row,
)
from kotacerdas.regions.selectors import village_extents

pytestmark = pytest.mark.django_db

UP = (-3.1600, 112.9553)
JAKARTA = (-6.2000, 106.8166)


def snpp_and_noaa(now: dt.datetime) -> dict[str, bytes]:
    t = now - dt.timedelta(hours=1)
    return {
        "VIIRS_SNPP_NRT": nrt_file([nrt_row(*UP, t), nrt_row(*JAKARTA, t)]),
        "VIIRS_NOAA20_NRT": nrt_file(
            [
                nrt_row(UP[0] + 0.001, UP[1], t, satellite="N20"),
                nrt_row(*SAMPIT, t, satellite="N20"),
            ]
        ),
    }


def test_without_a_map_key_nothing_is_fetched(firms_double: Any, settings: Any) -> None:
    settings.FIRMS_MAP_KEY = ""
    result = services.firms_fetch()
    assert result.configured is False
    assert result.runs == []
    assert "FIRMS_MAP_KEY" in result.message
    assert "not set" in result.message
    assert firms_double.requests == []
    assert ImportRun.objects.count() == 0
    # The scheduled task and the command say the same.
    assert "FIRMS_MAP_KEY" in tasks.firms_fetch.call()
    err = io.StringIO()
    call_command("fetch_firms", stderr=err, stdout=io.StringIO())
    assert "FIRMS_MAP_KEY is not set" in err.getvalue()


def test_a_fetch_imports_the_regency_box(
    firms_double: Any, settings: Any, desa_operator: Any
) -> None:
    now = timezone.now()
    firms_double.by_source = snpp_and_noaa(now)
    result = services.firms_fetch(now=now)
    assert result.configured
    assert result.message == "2 fetch(es) imported"
    assert [r.source for r in result.runs] == [ImportSource.FIRMS_API] * 2
    assert [r.outcome for r in result.runs] == [ImportOutcome.DONE] * 2
    assert [(r.rows_total, r.rows_new, r.rows_outside) for r in result.runs] == [
        (2, 1, 1),
        (2, 2, 0),
    ]
    assert result.runs[0].filename.startswith("VIIRS_SNPP_NRT ")
    assert Hotspot.objects.count() == 3
    assert set(Hotspot.objects.values_list("satellite", flat=True)) == {"N", "N20"}
    # What was asked: each configured source, the configured days, with the key.
    assert [r.source for r in firms_double.requests] == list(settings.FIRMS_SOURCES)
    for request in firms_double.requests:
        assert request.map_key == settings.FIRMS_MAP_KEY
        assert request.days == settings.FIRMS_DAYS
        west, south, east, north = request.box
        # The box covers every desa of the regency...
        for e in village_extents():
            assert west <= e["min_lng"], e["name"]
            assert e["max_lng"] <= east, e["name"]
            assert south <= e["min_lat"], e["name"]
            assert e["max_lat"] <= north, e["name"]
        for lat, lng in (UP, SAMPIT):
            assert west < lng < east
            assert south < lat < north
        # ...and not much more (Kotim is about 2.6 x 1.5 degrees).
        assert east - west < 3.0
        assert north - south < 3.0
        assert not (west < JAKARTA[1] < east)
    # A fresh fire fetched from FIRMS alerts like an upload.
    event = FireEvent.objects.get(desa_code=UJUNG_PANDARAN)
    assert event.hotspot_count == 2
    assert FireAlert.objects.filter(event=event, recipient=desa_operator).exists()


def test_a_second_fetch_adds_nothing(firms_double: Any) -> None:
    now = timezone.now()
    firms_double.by_source = snpp_and_noaa(now)
    services.firms_fetch(now=now)
    counts = (Hotspot.objects.count(), FireEvent.objects.count(), FireAlert.objects.count())
    again = services.firms_fetch(now=now + dt.timedelta(minutes=30))
    assert [r.rows_new for r in again.runs] == [0, 0]
    assert [r.events_new for r in again.runs] == [0, 0]
    assert (Hotspot.objects.count(), FireEvent.objects.count(), FireAlert.objects.count()) == counts
    assert len(firms_double.requests) == 4


def test_a_wrong_key_is_reported_and_nothing_imported(firms_double: Any, settings: Any) -> None:
    settings.FIRMS_MAP_KEY = "not-the-key"
    firms_double.csv = nrt_file([nrt_row(*UP, timezone.now())])
    result = services.firms_fetch()
    assert result.configured
    assert result.runs == []
    assert "Invalid MAP_KEY." in result.message
    assert "VIIRS_SNPP_NRT" in result.message
    assert ImportRun.objects.count() == 0
    assert Hotspot.objects.count() == 0
    assert len(firms_double.requests) == 2


def test_an_error_text_with_status_200_is_reported(firms_double: Any) -> None:
    firms_double.error_text = "Exceeding allowed transaction limit."
    result = services.firms_fetch()
    assert result.runs == []
    assert "Exceeding allowed transaction limit." in result.message
    assert ImportRun.objects.count() == 0


def test_an_unreachable_api_is_reported(firms_double: Any, settings: Any) -> None:
    from tests.conftest import free_port

    settings.FIRMS_API_URL = f"http://127.0.0.1:{free_port()}"
    result = services.firms_fetch()
    assert result.configured
    assert result.runs == []
    assert result.message.startswith("VIIRS_SNPP_NRT: ")
    assert ImportRun.objects.count() == 0


def test_a_non_http_url_is_refused(settings: Any) -> None:
    settings.FIRMS_MAP_KEY = "abc"
    settings.FIRMS_API_URL = "file:///etc"
    result = services.firms_fetch()
    assert result.runs == []
    assert "http(s)" in result.message


def test_no_hotspots_in_the_box_is_no_run(firms_double: Any) -> None:
    firms_double.csv = (NRT_HEADER + "\n").encode()
    result = services.firms_fetch()
    assert result.runs == []
    assert result.message == "0 fetch(es) imported"
    assert ImportRun.objects.count() == 0


def test_a_bad_csv_from_the_api_is_a_refused_run_with_its_reason(firms_double: Any) -> None:
    t = timezone.now()
    firms_double.csv = nrt_file([nrt_row(*UP, t), nrt_row(95.0, UP[1], t)])
    result = services.firms_fetch()
    assert [r.outcome for r in result.runs] == [ImportOutcome.REFUSED] * 2
    assert result.runs[0].errors[0]["column"] == "latitude"
    assert "fires.import.rows_invalid" in result.message
    assert Hotspot.objects.count() == 0


def test_the_command_reports_each_run(firms_double: Any) -> None:
    firms_double.by_source = snpp_and_noaa(timezone.now())
    out = io.StringIO()
    call_command("fetch_firms", stdout=out)
    text = out.getvalue()
    assert "VIIRS_SNPP_NRT" in text
    assert "2 fetch(es) imported" in text
    assert Hotspot.objects.count() == 3
