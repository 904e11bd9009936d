"""The fire-detection back office (/kantor/karhutla/): the map page and its JSON, the event
list and page (figures, ground-check assignment, status moves, checks, 119 links, alerts), the
FIRMS upload; who sees what, what bad input gets, and the query budgets.

The data is the real Kalimantan 2022 file (61 hotspots in Kotim, grouped into 50 events; the
latest hotspot day is 20 August 2022)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kotacerdas.accounts.models import Role
from kotacerdas.hotspots import services
from kotacerdas.hotspots.models import (
    AlertKind,
    AlertStatus,
    Channel,
    CheckResult,
    CheckStatus,
    EventIncident,
    EventStatus,
    FireAlert,
    FireEvent,
    GroundCheck,
    Hotspot,
    ImportOutcome,
    ImportRun,
)
from kotacerdas.hotspots.selectors import day_bounds

from .conftest import (
    ARCHIVE_HEADER,
    BAPEANG,
    KALIMANTAN,
    UJUNG_PANDARAN,
    verified,
)

pytestmark = pytest.mark.django_db

BASE = "/kantor/karhutla"
LATEST_DAY = dt.date(2022, 8, 20)


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def login(staff_client: Callable[[Any], Client]) -> Callable[[Any], Client]:
    return lambda user: english(staff_client(user))


@pytest.fixture
def bpbd(login: Callable[[Any], Client], bpbd_officer: Any) -> Client:
    return login(bpbd_officer)


def html_of(response: Any) -> str:
    return str(response.content.decode())


def event_refs(html: str) -> list[str]:
    """The refs of the event rows of the page's event tables, in order."""
    return re.findall(r'<tr id="event-([A-Z0-9-]+)"', html)


def refs_between(start: dt.date, end: dt.date, **filters: Any) -> set[str]:
    lo, hi = day_bounds(start, end)
    return set(
        FireEvent.objects.filter(
            merged_into__isnull=True, last_detected_at__gte=lo, first_detected_at__lt=hi, **filters
        ).values_list("ref", flat=True)
    )


def up_event() -> FireEvent:
    """The latest event in Desa Ujung Pandaran (2 hotspots on 20 August 2022)."""
    return FireEvent.objects.filter(desa_code=UJUNG_PANDARAN).order_by("-last_detected_at").first()


def other_event() -> FireEvent:
    return FireEvent.objects.exclude(desa_code__startswith="62.02.11.").order_by("pk").first()


# --- The map page --------------------------------------------------------------------------------
def test_map_defaults_to_the_last_week_with_hotspots(kalimantan_2022: Any, bpbd: Client) -> None:
    response = bpbd.get(f"{BASE}/")
    assert response.status_code == 200
    html = html_of(response)
    # 14-20 August 2022: the week ending at the latest hotspot day.
    assert 'data-start="2022-08-14" data-end="2022-08-20"' in html
    assert 'data-first="2022-01-' in html
    assert 'data-last="2022-08-20"' in html
    expected = refs_between(dt.date(2022, 8, 14), LATEST_DAY)
    assert expected
    assert set(event_refs(html)) == expected
    # The per-desa table: Ujung Pandaran's 2 nominal hotspots of 20 August.
    row = re.search(rf'<tr data-desa="{UJUNG_PANDARAN}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Ujung Pandaran" in row.group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', row.group(1)) == ["0", "2", "0"]
    # The map's mount point follows the contract.
    assert f'data-url="{BASE}/peta.json"' in html
    assert f'data-event-url="{BASE}/kejadian/REF/"' in html
    assert "/api/v1/regions/geojson?level=kecamatan&amp;parent=62.02" in html
    # Import (regency-wide manager) and the public exports for the period.
    assert f'href="{BASE}/impor/"' in html
    assert "/data/titik-panas.csv?start=2022-08-14&amp;end=2022-08-20" in html
    assert "/data/kejadian-kebakaran.geojson?start=2022-08-14&amp;end=2022-08-20" in html


def test_map_lists_the_kotim_events_of_2022(kalimantan_2022: Any, bpbd: Client) -> None:
    html = html_of(bpbd.get(f"{BASE}/", {"start": "2022-01-01", "end": "2022-12-31"}))
    refs = event_refs(html)
    assert len(refs) == 50 == FireEvent.objects.count()
    assert "Ujung Pandaran" in html
    assert "Telaga Antang" in html
    totals = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S)
    assert totals is not None
    assert re.findall(r'<td class="num">(\d+)</td>', totals.group(1))[-1] == "61"


def test_map_filters_by_state_and_kecamatan(
    kalimantan_2022: Any, bpbd: Client, bpbd_officer: Any
) -> None:
    event = up_event()
    services.event_set_status(actor=bpbd_officer, ref=event.ref, status="ditangani")
    year = {"start": "2022-01-01", "end": "2022-12-31"}
    html = html_of(bpbd.get(f"{BASE}/", {**year, "status": "ditangani"}))
    assert event_refs(html) == [event.ref]
    html = html_of(bpbd.get(f"{BASE}/", {**year, "kecamatan": "62.02.11"}))
    assert set(event_refs(html)) == set(
        FireEvent.objects.filter(kecamatan_code="62.02.11").values_list("ref", flat=True)
    )
    assert "Telaga Antang" not in html.split('id="h-events"')[1]


def test_map_refuses_bad_periods_with_a_message(kalimantan_2022: Any, bpbd: Client) -> None:
    for query in (
        {"start": "2022-13-01", "end": "2022-12-31"},
        {"start": "2022-08-01", "end": "2022-07-01"},
        {"start": "2020-01-01", "end": "2022-12-31"},
        {"start": "2022-08-01"},
        {"status": "terbakar"},
    ):
        response = bpbd.get(f"{BASE}/", query)
        assert response.status_code == 422, query
        html = html_of(response)
        assert "Some filters are not valid" in html
        assert 'class="errorlist' in html
        assert event_refs(html) == []


def test_desa_operator_sees_only_their_desa(
    kalimantan_2022: Any, login: Callable[[Any], Client], desa_operator: Any
) -> None:
    client = login(desa_operator)
    html = html_of(client.get(f"{BASE}/", {"start": "2022-01-01", "end": "2022-12-31"}))
    mine = set(FireEvent.objects.filter(desa_code=UJUNG_PANDARAN).values_list("ref", flat=True))
    assert len(mine) == 3
    assert set(event_refs(html)) == mine
    assert re.findall(r'<tr data-desa="([\d.]+)">', html) == [UJUNG_PANDARAN]
    assert "Tables: your area only." in html
    assert f'href="{BASE}/impor/"' not in html  # no import for them
    # Their kecamatan only in the filter.
    assert '<option value="62.02.11">' in html
    assert '<option value="62.02.17">' not in html
    html = html_of(client.get(f"{BASE}/kejadian/"))
    assert set(event_refs(html)) == mine
    assert client.get(f"{BASE}/kejadian/{other_event().ref}/").status_code == 404
    assert client.get(f"{BASE}/kejadian/{up_event().ref}/").status_code == 200


def test_kecamatan_operator_sees_their_kecamatan(
    kalimantan_2022: Any, login: Callable[[Any], Client], kecamatan_operator: Any
) -> None:
    html = html_of(login(kecamatan_operator).get(f"{BASE}/kejadian/"))
    assert set(event_refs(html)) == set(
        FireEvent.objects.filter(kecamatan_code="62.02.11").values_list("ref", flat=True)
    )


def test_other_agencies_and_citizens_reach_nothing(
    kalimantan_2022: Any,
    login: Callable[[Any], Client],
    pupr_officer: Any,
    citizen_client: Client,
) -> None:
    client = login(pupr_officer)
    ref = up_event().ref
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/kejadian/").status_code == 403
    assert client.get(f"{BASE}/peta.json?start=2022-08-01&end=2022-08-31").status_code == 403
    assert client.get(f"{BASE}/kejadian/{ref}/").status_code == 404
    assert client.get(f"{BASE}/impor/").status_code == 403
    response = client.post(f"{BASE}/kejadian/{ref}/cek/", {"to": "desa", "desa_code": BAPEANG})
    assert response.status_code == 404
    assert not GroundCheck.objects.exists()
    # A citizen is sent to the staff sign-in.
    response = citizen_client.get(f"{BASE}/")
    assert response.status_code == 302
    assert "/akun/" in response["Location"]


# --- Map data ------------------------------------------------------------------------------------
def test_map_data_follows_the_contract(kalimantan_2022: Any, bpbd: Client) -> None:
    response = bpbd.get(f"{BASE}/peta.json", {"start": "2022-08-14", "end": "2022-08-20"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert set(data) == {"start", "end", "t0", "hotspots", "events"}
    assert data["start"] == "2022-08-14"
    assert data["end"] == "2022-08-20"
    assert data["t0"] == "2022-08-14T00:00:00+07:00"
    lo, hi = day_bounds(dt.date(2022, 8, 14), LATEST_DAY)
    in_week = Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi).count()
    assert in_week > 0
    assert len(data["hotspots"]) == in_week
    for lat, lng, minutes, conf, frp, index in data["hotspots"]:
        assert -3.6 < lat < -1.0
        assert 112.0 < lng < 113.5
        assert 0 <= minutes < 7 * 1440
        assert conf in (0, 1, 2)
        assert frp > 0
        assert -1 <= index < len(data["events"])
    assert {e["ref"] for e in data["events"]} == refs_between(dt.date(2022, 8, 14), LATEST_DAY)
    up = next(e for e in data["events"] if e["desa_code"] == UJUNG_PANDARAN)
    assert set(up) == {
        "ref", "status", "check_result", "hotspot_count", "frp_total", "first", "last",
        "lat", "lng", "desa", "desa_code", "kecamatan", "confidence",
    }  # fmt: skip
    assert up["desa"] == "Ujung Pandaran"
    assert up["kecamatan"] == "Teluk Sampit"
    assert up["hotspot_count"] == 2
    assert up["status"] == "baru"
    assert up["confidence"] == "sedang"


def test_map_data_etag_and_304(kalimantan_2022: Any, bpbd: Client, bpbd_officer: Any) -> None:
    url = f"{BASE}/peta.json?start=2022-08-14&end=2022-08-20"
    first = bpbd.get(url)
    etag = first["ETag"]
    assert etag.startswith('"')
    assert "2022-08-14" in etag
    assert "2022-08-20" in etag
    again = bpbd.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert bpbd.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    # Another period, or a change to the data, is another version.
    other = bpbd.get(f"{BASE}/peta.json?start=2022-08-13&end=2022-08-20")
    assert other["ETag"] != etag
    services.event_set_status(actor=bpbd_officer, ref=up_event().ref, status="ditangani")
    changed = bpbd.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert {e["status"] for e in changed.json()["events"]} == {"baru", "ditangani"}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?start=2022-08-01",
        "?start=kemarin&end=2022-08-20",
        "?start=2022-08-20&end=2022-08-01",
        "?start=2021-01-01&end=2022-12-31",
    ],
)
def test_map_data_refuses_bad_dates(kalimantan_2022: Any, bpbd: Client, query: str) -> None:
    response = bpbd.get(f"{BASE}/peta.json{query}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "fires.range.invalid"
    assert error["message"]
    assert error["fields"]


# --- Events --------------------------------------------------------------------------------------
def test_event_list_filters_and_paginates(kalimantan_2022: Any, bpbd: Client) -> None:
    html = html_of(bpbd.get(f"{BASE}/kejadian/"))
    assert "50 fire events" in html
    assert len(event_refs(html)) == 50
    html = html_of(bpbd.get(f"{BASE}/kejadian/", {"start": "2022-08-01", "end": "2022-08-31"}))
    assert set(event_refs(html)) == refs_between(dt.date(2022, 8, 1), dt.date(2022, 8, 31))
    html = html_of(bpbd.get(f"{BASE}/kejadian/", {"kecamatan": "62.02.17"}))
    assert set(event_refs(html)) == set(
        FireEvent.objects.filter(kecamatan_code="62.02.17").values_list("ref", flat=True)
    )
    response = bpbd.get(f"{BASE}/kejadian/", {"start": "2022-08-01", "end": "nanti"})
    assert response.status_code == 422
    assert "Enter a valid date" in html_of(response)
    # Newest last detection first.
    html = html_of(bpbd.get(f"{BASE}/kejadian/"))
    assert event_refs(html)[0] == up_event().ref


def test_event_page_shows_figures_and_forms_for_managers(
    kalimantan_2022: Any, bpbd: Client
) -> None:
    event = up_event()
    html = html_of(bpbd.get(f"{BASE}/kejadian/{event.ref}/"))
    assert event.ref in html
    assert '<dd data-desa="62.02.11.2004">Ujung Pandaran</dd>' in html
    assert "Teluk Sampit" in html
    assert "<dd data-hotspot-count>2</dd>" in html
    assert f"<dd data-frp-total>{event.frp_total:.1f} MW</dd>" in html
    assert "20 Aug 2022 13:06 WIB" in html  # 06:06 UTC
    assert 'data-state="baru"' in html
    assert "Max. confidence: Nominal" in html
    # Its hotspots: a table and the small map's JSON.
    assert html.count('<td class="nowrap"><time datetime="2022-08-20T13:06:00+07:00">') == 2
    data = json.loads(
        re.search(
            r'id="fires-event-data" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    assert data["event"]["ref"] == event.ref
    assert len(data["hotspots"]) == 2
    # The forms: assign (the event's desa chosen) and "being handled" (not "extinguished").
    assert 'id="assign-form"' in html
    assert 'id="status-form"' in html
    assert f'<option value="{UJUNG_PANDARAN}" selected>Ujung Pandaran</option>' in html
    assert 'name="status" value="ditangani"' in html
    assert 'name="status" value="padam"' not in html
    assert f'<input type="hidden" name="version" value="{event.version}">' in html


@pytest.mark.parametrize("who", ["desa_operator", "desk", "kecamatan_operator"])
def test_event_page_without_forms_for_viewers(
    kalimantan_2022: Any, login: Callable[[Any], Client], who: str, request: Any
) -> None:
    client = login(request.getfixturevalue(who))
    html = html_of(client.get(f"{BASE}/kejadian/{up_event().ref}/"))
    assert "<dd data-hotspot-count>2</dd>" in html
    assert 'id="assign-form"' not in html
    assert 'id="status-form"' not in html
    response = client.post(
        f"{BASE}/kejadian/{up_event().ref}/status/", {"status": "ditangani", "version": 1}
    )
    assert response.status_code == 403
    assert up_event().status == EventStatus.NEW


def test_assign_a_desa_through_the_page(kalimantan_2022: Any, bpbd: Client) -> None:
    event = up_event()
    url = f"{BASE}/kejadian/{event.ref}/cek/"
    response = bpbd.post(
        url, {"to": "desa", "desa_code": UJUNG_PANDARAN, "instructions": "Cek di kebun warga"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/kejadian/{event.ref}/"
    check = GroundCheck.objects.get(event=event)
    assert check.status == CheckStatus.ASSIGNED
    assert check.assignee_region_code == UJUNG_PANDARAN
    assert check.instructions == "Cek di kebun warga"
    html = html_of(bpbd.get(response["Location"]))
    assert f"Ground check of {event.ref} assigned to Ujung Pandaran." in html
    assert f'<tr id="check-{check.pk}" data-check-status="ditugaskan">' in html
    assert "Cek di kebun warga" in html
    assert 'id="assign-form"' not in html
    assert "data-assign-closed" in html
    # A second assignment (another officer's stale page) is a conflict with its message.
    response = bpbd.post(url, {"to": "desa", "desa_code": BAPEANG})
    assert response.status_code == 409
    html = html_of(response)
    assert 'data-error-code="fires.check.already_assigned"' in html
    assert "A ground check is already assigned; cancel it first." in html
    assert GroundCheck.objects.filter(event=event).count() == 1


def test_assign_an_officer(kalimantan_2022: Any, bpbd: Client, bpbd_head: Any) -> None:
    event = up_event()
    html = html_of(bpbd.get(f"{BASE}/kejadian/{event.ref}/"))
    assert f'<option value="{bpbd_head.pk}">' in html  # the fire agencies' officers
    response = bpbd.post(
        f"{BASE}/kejadian/{event.ref}/cek/", {"to": "petugas", "user_id": str(bpbd_head.pk)}
    )
    assert response.status_code == 302
    assert GroundCheck.objects.get(event=event).assignee_user == bpbd_head


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"to": "desa", "desa_code": ""}, "Choose the desa that checks."),
        ({"to": "petugas", "user_id": ""}, "Choose the officer who checks."),
        ({"to": "desa", "desa_code": "62.02.11"}, "Select a valid choice."),
        ({"to": "desa", "desa_code": "31.71.01.1001"}, "Select a valid choice."),
        ({"to": "petugas", "user_id": "999999"}, "Select a valid choice."),
        ({"to": "siapa"}, "Select a valid choice."),
        (
            {"to": "desa", "desa_code": UJUNG_PANDARAN, "instructions": "x" * 1001},
            "At most 1000 characters.",
        ),
    ],
)
def test_assign_bad_input_shows_errors(
    kalimantan_2022: Any, bpbd: Client, payload: dict[str, str], message: str
) -> None:
    event = up_event()
    response = bpbd.post(f"{BASE}/kejadian/{event.ref}/cek/", payload)
    assert response.status_code == 422
    html = html_of(response)
    assert message in html
    assert 'class="errorlist' in html
    assert 'id="assign-form"' in html
    assert not GroundCheck.objects.exists()


def test_assign_an_officer_who_cannot_check(
    kalimantan_2022: Any, bpbd: Client, pupr_officer: Any, monkeypatch: Any
) -> None:
    """The form offers the checkers; if the list and the service disagree, the service's field
    error shows on the form."""
    from kotacerdas.hotspots import selectors

    monkeypatch.setattr(selectors, "checkers", lambda desa_code="": [pupr_officer])
    event = up_event()
    response = bpbd.post(
        f"{BASE}/kejadian/{event.ref}/cek/", {"to": "petugas", "user_id": str(pupr_officer.pk)}
    )
    assert response.status_code == 422
    assert "Choose an officer who can do ground checks." in html_of(response)


def test_status_moves_through_the_page(kalimantan_2022: Any, bpbd: Client) -> None:
    event = up_event()
    url = f"{BASE}/kejadian/{event.ref}/status/"
    response = bpbd.post(url, {"status": "ditangani", "version": event.version, "note": "Tim BPBD"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.HANDLING
    assert event.handled_at is not None
    html = html_of(bpbd.get(f"{BASE}/kejadian/{event.ref}/"))
    assert f"Fire event {event.ref} is now “Being handled”." in html
    assert 'data-state="ditangani"' in html
    assert 'name="status" value="padam"' in html
    assert 'name="status" value="ditangani"' not in html
    assert 'id="assign-form"' not in html  # only a new event is assigned
    # A stale page: conflict, nothing changes.
    response = bpbd.post(url, {"status": "padam", "version": event.version - 1})
    assert response.status_code == 409
    assert 'data-error-code="fires.event.changed"' in html_of(response)
    event.refresh_from_db()
    assert event.status == EventStatus.HANDLING
    response = bpbd.post(url, {"status": "padam", "version": event.version})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.OUT
    assert event.out_at is not None


def test_status_bad_moves_show_errors(kalimantan_2022: Any, bpbd: Client) -> None:
    event = up_event()
    url = f"{BASE}/kejadian/{event.ref}/status/"
    response = bpbd.post(url, {"status": "padam", "version": event.version})
    assert response.status_code == 409
    html = html_of(response)
    assert "An event that is “New” cannot become “Extinguished”." in html
    assert 'data-error-code="fires.event.transition"' in html
    response = bpbd.post(url, {"status": "dicek_lapangan", "version": event.version})
    assert response.status_code == 409
    response = bpbd.post(url, {"status": "terbakar", "version": event.version})
    assert response.status_code == 422
    assert "Choose one of the status buttons." in html_of(response)
    response = bpbd.post(url, {"status": "ditangani", "version": "satu"})
    assert response.status_code == 422
    assert bpbd.post(f"{BASE}/kejadian/KH-0000-XXXXXX/status/", {}).status_code == 404
    event.refresh_from_db()
    assert event.status == EventStatus.NEW
    assert event.version == 1


def test_no_fire_event_offers_no_moves(kalimantan_2022: Any, bpbd: Client) -> None:
    event = up_event()
    FireEvent.objects.filter(pk=event.pk).update(
        status=EventStatus.CHECKED, check_result=CheckResult.NO_FIRE
    )
    html = html_of(bpbd.get(f"{BASE}/kejadian/{event.ref}/"))
    assert 'data-state="dicek_bukan_api"' in html
    assert "Ground-checked: no fire" in html
    assert 'id="status-form"' not in html
    assert "The ground check found no fire" in html


def test_event_page_shows_checks_incidents_and_alerts(
    kalimantan_2022: Any,
    login: Callable[[Any], Client],
    bpbd: Client,
    desk: Any,
    desa_operator: Any,
    bpbd_officer: Any,
) -> None:
    event = up_event()
    now = timezone.now()
    check = GroundCheck.objects.create(
        event=event,
        status=CheckStatus.DONE,
        assignee_region_code=UJUNG_PANDARAN,
        assignee_region_name="Ujung Pandaran",
        assigned_by=bpbd_officer,
        assigned_at=now,
        result=CheckResult.FIRE,
        note="Api di lahan gambut",
        thumbnail="fires/2022/08/x-t.jpg",
        photo="fires/2022/08/x.jpg",
        checked_by=desa_operator,
        checked_at=now,
    )
    EventIncident.objects.create(
        event=event, incident_ref="2208-ABCDEF", distance_m=850.0, linked_at=now
    )
    FireAlert.objects.create(
        kind=AlertKind.NEW_EVENT,
        key=f"event:{event.ref}",
        event=event,
        recipient=desa_operator,
        channel=Channel.EMAIL,
        address="op.up@example.test",
        title="t",
        status=AlertStatus.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: gone",
        created_at=now,
    )
    html = html_of(bpbd.get(f"{BASE}/kejadian/{event.ref}/"))
    assert f'<tr id="check-{check.pk}" data-check-status="selesai">' in html
    assert 'data-result="api"' in html
    assert "Api di lahan gambut" in html
    assert f'href="{BASE}/cek/{check.pk}/foto/"' in html
    assert f'src="{BASE}/cek/{check.pk}/foto-kecil/"' in html
    assert "2208-ABCDEF" in html
    assert "850 m from the nearest hotspot" in html
    assert "/kantor/119/insiden/2208-ABCDEF/" not in html  # BPBD is not the desk
    assert 'data-alert-status="gagal"' in html
    assert "SMTPServerDisconnected: gone" in html
    assert "op.up@example.test" in html
    # The desk links the incident to its page.
    html = html_of(login(desk).get(f"{BASE}/kejadian/{event.ref}/"))
    assert 'href="/kantor/119/insiden/2208-ABCDEF/"' in html


def test_unknown_event_is_404(kalimantan_2022: Any, bpbd: Client) -> None:
    response = bpbd.get(f"{BASE}/kejadian/KH-0000-XXXXXX/")
    assert response.status_code == 404
    response = bpbd.post(f"{BASE}/kejadian/KH-0000-XXXXXX/cek/", {"to": "desa"})
    assert response.status_code == 404


# --- Imports -------------------------------------------------------------------------------------
def upload(client: Client, data: bytes, name: str = "firms.csv") -> Any:
    return client.post(f"{BASE}/impor/", {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_upload_the_kalimantan_file(bpbd: Client) -> None:
    html = html_of(bpbd.get(f"{BASE}/impor/"))
    assert 'enctype="multipart/form-data"' in html
    assert "at most 25 MB" in html
    assert "Nothing imported yet." in html
    response = upload(bpbd, KALIMANTAN.read_bytes(), KALIMANTAN.name)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/impor/{run.pk}/"
    assert run.outcome == ImportOutcome.DONE
    assert run.rows_new == 61
    assert run.events_new == 50
    html = html_of(bpbd.get(response["Location"]))
    assert "61 new hotspot(s) in the regency, 0 already known, 12894 outside." in html
    assert "<dd data-rows-total>12955</dd>" in html
    assert "<dd data-events-new>50</dd>" in html
    # The same file again adds nothing.
    response = upload(bpbd, KALIMANTAN.read_bytes(), KALIMANTAN.name)
    assert response.status_code == 302
    assert Hotspot.objects.count() == 61
    assert ImportRun.objects.count() == 2
    html = html_of(bpbd.get(f"{BASE}/impor/"))
    assert html.count(KALIMANTAN.name) == 2
    assert html.count('data-outcome="selesai"') == 2


def test_upload_with_bad_rows_shows_the_report(bpbd: Client) -> None:
    good = "-3.16,112.95,330.1,0.4,0.5,2022-08-20,0606,N,VIIRS,n,1,290.2,5.0,D,0"
    bad_lat = "-93.16,112.95,330.1,0.4,0.5,2022-08-20,0606,N,VIIRS,n,1,290.2,5.0,D,0"
    bad_date = "-3.17,112.95,330.1,0.4,0.5,2022-02-30,0606,N,VIIRS,n,1,290.2,5.0,D,0"
    data = "\n".join([ARCHIVE_HEADER, good, bad_lat, good.replace("0606", "0712"), bad_date])
    response = upload(bpbd, (data + "\n").encode(), "rusak.csv")
    assert response.status_code == 422
    html = html_of(response)
    assert "The file was refused; nothing was imported." in html
    assert 'data-error-code="fires.import.rows_invalid"' in html
    rows = re.findall(r'<tr data-row="(\d+)"><td class="num">\d+</td><td><code>(\w+)</code>', html)
    assert rows == [("3", "latitude"), ("5", "acq_date")]
    assert "2 bad rows" in html
    assert not Hotspot.objects.exists()
    assert not FireEvent.objects.exists()
    run = ImportRun.objects.get()
    assert run.outcome == ImportOutcome.REFUSED
    assert run.error_count == 2
    # The run stays readable, and says the same.
    html = html_of(bpbd.get(f"{BASE}/impor/{run.pk}/"))
    assert 'data-row="3"' in html
    assert 'data-row="5"' in html


def test_upload_report_says_how_many_rows_are_not_listed(bpbd: Client) -> None:
    bad = "-93.16,112.95,330.1,0.4,0.5,2022-08-20,0606,N,VIIRS,n,1,290.2,5.0,D,0"
    data = "\n".join([ARCHIVE_HEADER, *[bad] * 250]) + "\n"
    html = html_of(upload(bpbd, data.encode()))
    assert "250 bad rows" in html
    assert len(re.findall(r'<tr data-row="', html)) == 200
    assert "…and 50 more bad rows not listed." in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"a,b,c\n1,2,3\n", "This is not a FIRMS hotspot file"),
    ],
)
def test_upload_bad_files(bpbd: Client, data: bytes, message: str) -> None:
    response = upload(bpbd, data)
    assert response.status_code == 422
    assert message in html_of(response)
    assert not Hotspot.objects.exists()


def test_upload_too_large_is_refused_by_the_form(bpbd: Client, settings: Any) -> None:
    settings.FIRES_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    data = (ARCHIVE_HEADER + "\n").encode() + b"x" * (3 * 1024 * 1024)
    response = upload(bpbd, data)
    assert response.status_code == 422
    assert "The file is 3 MB; at most 2 MB can be imported at once." in html_of(response)
    assert not ImportRun.objects.exists()


def test_imports_only_for_regency_wide_managers(
    kalimantan_2022: Any,
    login: Callable[[Any], Client],
    desa_operator: Any,
    desk: Any,
    make_staff: Callable[..., Any],
) -> None:
    run = ImportRun.objects.get()
    for user in (desa_operator, desk):
        client = login(user)
        assert client.get(f"{BASE}/impor/").status_code == 403
        assert client.get(f"{BASE}/impor/{run.pk}/").status_code == 403
        assert upload(client, KALIMANTAN.read_bytes()).status_code == 403
    assert ImportRun.objects.count() == 1
    admin = login(verified(make_staff(Role.ADMIN)))
    assert admin.get(f"{BASE}/impor/").status_code == 200
    assert admin.get(f"{BASE}/impor/{run.pk}/").status_code == 200
    assert admin.get(f"{BASE}/impor/{run.pk + 100}/").status_code == 404


# --- Query budgets -------------------------------------------------------------------------------
def test_map_query_count(
    kalimantan_2022: Any, bpbd: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(11):
        small = html_of(bpbd.get(f"{BASE}/"))
    with django_assert_num_queries(11):
        year = html_of(bpbd.get(f"{BASE}/", {"start": "2022-01-01", "end": "2022-12-31"}))
    assert len(event_refs(small)) < len(event_refs(year)) == 50


def test_events_list_query_count(
    kalimantan_2022: Any, bpbd: Client, bpbd_officer: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(10):
        few = html_of(bpbd.get(f"{BASE}/kejadian/", {"kecamatan": "62.02.11"}))
    for event in FireEvent.objects.all()[:20]:
        services.check_assign(actor=bpbd_officer, ref=event.ref, desa_code=event.desa_code)
    with django_assert_num_queries(10):
        many = html_of(bpbd.get(f"{BASE}/kejadian/"))
    assert len(event_refs(few)) < len(event_refs(many)) == 50
    assert many.count("data-open-check") == 20


def test_event_detail_query_count(
    kalimantan_2022: Any,
    bpbd: Client,
    bpbd_officer: Any,
    desa_operator: Any,
    django_assert_num_queries: Any,
) -> None:
    event = up_event()
    url = f"{BASE}/kejadian/{event.ref}/"
    with django_assert_num_queries(16):
        bpbd.get(url)
    # Done checks, alerts and incidents add rows, not queries.
    now = timezone.now()
    for i in range(5):
        GroundCheck.objects.create(
            event=event,
            status=CheckStatus.CANCELLED,
            assignee_user=bpbd_officer,
            assigned_by=bpbd_officer,
            assigned_at=now,
            checked_by=desa_operator,
        )
        EventIncident.objects.create(
            event=event, incident_ref=f"2208-AAAA{i + 2}A", distance_m=100.0 * i, linked_at=now
        )
        FireAlert.objects.create(
            kind=AlertKind.NEW_EVENT,
            key=f"event:{event.ref}",
            event=event,
            recipient=desa_operator if i % 2 else bpbd_officer,
            channel=[Channel.IN_APP, Channel.EMAIL, Channel.SMS][i % 3],
            title="t",
            created_at=now,
        )
    with django_assert_num_queries(16):
        html = html_of(bpbd.get(url))
    assert html.count('data-check-status="dibatalkan"') == 5
    assert html.count("data-incident=") == 5
    assert html.count("data-alert-status=") == 5


def test_map_data_query_count(
    kalimantan_2022: Any, bpbd: Client, django_assert_num_queries: Any
) -> None:
    url = f"{BASE}/peta.json?start=2022-01-01&end=2022-12-31"
    with django_assert_num_queries(9):
        response = bpbd.get(url)
    assert len(response.json()["hotspots"]) == 61
    with django_assert_num_queries(7):
        assert bpbd.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 304
