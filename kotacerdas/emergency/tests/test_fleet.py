"""The fleet pages (/kantor/119/armada/) and the performance page (/kantor/119/kinerja/): who
sees and changes which stations and units, bad input on the forms, the desa access times, the
figures with known response times, and the query budgets."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory, StaffFactory
from kotacerdas.emergency import services
from kotacerdas.emergency.models import (
    Assignment,
    DesaAccess,
    Incident,
    IncidentStatus,
    Station,
    Unit,
)

from .conftest import KUALA_KUAYAN, OUTSIDE_KOTIM, SAMPIT, verified

pytestmark = pytest.mark.django_db

FLEET = "/kantor/119/armada/"
PERFORMANCE = "/kantor/119/kinerja/"
ACCESS = "/kantor/119/armada/akses/"
RIVER_DESA = "62.02.10.2001"  # the demo river-access override (Tumbang Kalang)
OTHER_DESA = "62.02.01.2003"  # Palangan, Kecamatan Kota Besi


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def text(response: Any) -> str:
    return html_lib.unescape(response.content.decode())


def station_codes(html: str) -> set[str]:
    return set(re.findall(r'<tr id="station-([a-z0-9-]+)">', html))


def unit_signs(html: str) -> set[str]:
    return set(re.findall(r'<tr id="unit-([A-Z0-9-]+)">', html))


def field_errors(html: str, field: str) -> list[str]:
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def codes_of(agency_code: str) -> set[str]:
    return set(Station.objects.filter(agency__code=agency_code).values_list("code", flat=True))


@pytest.fixture
def dinkes_unit(fleet: dict[str, Unit]) -> Unit:
    return next(
        u
        for u in sorted(fleet.values(), key=lambda u: u.call_sign)
        if u.station.agency.code == "dinkes"
    )


@pytest.fixture
def damkar_station(fleet: dict[str, Unit]) -> Station:
    return Station.objects.filter(agency__code="damkar").order_by("code").first()  # type: ignore[return-value]


@pytest.fixture
def admin(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    return verified(make_staff(Role.ADMIN, agency=agencies["diskominfo"]))


@pytest.fixture
def admin_client(admin: Any, staff_client: Callable[[Any], Client]) -> Client:
    return english(staff_client(admin))


@pytest.fixture
def head_client(
    agencies: dict[str, Agency], make_staff: Callable[..., Any], staff_client: Callable[..., Client]
) -> Client:
    return english(staff_client(make_staff(Role.KEPALA_OPD, agency=agencies["dinkes"])))


# --- Who sees what ---------------------------------------------------------------------------------
WHO = [*ALL_ROLES, "kepala_opd_pupr", "unverified"]
LOGIN = {"warga", "unverified"}


def test_the_matrix_covers_every_role() -> None:
    assert set(ALL_ROLES) <= set(WHO)


@pytest.fixture
def client_of(
    agencies: dict[str, Agency],
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
) -> Callable[[str], Client]:
    def make(who: str) -> Client:
        if who in LOGIN:
            user = (
                CitizenFactory()
                if who == "warga"
                else StaffFactory(role=Role.KEPALA_OPD, agency=agencies["dinkes"])
            )
            client = Client()
            client.force_login(user)
            return english(client)
        if who in ("operator_desa", "kepala_desa"):
            user = make_staff(who, region_code="62.02.06.1007")
        elif who == "operator_kecamatan":
            user = make_staff(who, region_code="62.02.06")
        elif who == "kepala_opd_pupr":
            user = make_staff(Role.KEPALA_OPD, agency=agencies["pupr"])
        else:
            user = make_staff(who, agency=agencies["dinkes"])
        return english(staff_client(user))

    return make


def fleet_expected(who: str) -> int:
    if who in LOGIN:
        return 302
    return 200 if who in ("kepala_opd", "kepala_opd_pupr", "admin") else 403


@pytest.mark.parametrize("who", WHO)
def test_fleet_pages_role_matrix(
    who: str, client_of: Callable[[str], Client], fleet: dict[str, Unit], dinkes_unit: Unit
) -> None:
    client = client_of(who)
    response = client.get(FLEET)
    assert response.status_code == fleet_expected(who)
    station = dinkes_unit.station
    edit_station = client.get(f"/kantor/119/armada/stasiun/{station.pk}/")
    edit_unit = client.get(f"/kantor/119/armada/unit/{dinkes_unit.pk}/")
    new_pages = [client.get("/kantor/119/armada/stasiun/"), client.get("/kantor/119/armada/unit/")]
    access = client.get(ACCESS)
    if who in LOGIN:
        assert response["Location"] == "/akun/masuk/?next=%2Fkantor%2F119%2Farmada%2F"
        assert {r.status_code for r in (edit_station, edit_unit, access, *new_pages)} == {302}
        return
    if response.status_code == 403:
        assert {r.status_code for r in (edit_station, edit_unit, access, *new_pages)} == {403}
        return
    html = response.content.decode()
    shown, signs = station_codes(html), unit_signs(html)
    if who == "admin":
        assert shown == set(Station.objects.values_list("code", flat=True))
        assert signs == set(fleet)
        assert (edit_station.status_code, edit_unit.status_code, access.status_code) == (200,) * 3
        assert f'href="{ACCESS}"' in html
    elif who == "kepala_opd":
        # The head of Dinkes: the puskesmas posts only (RSUD and Damkar are other agencies).
        assert shown == codes_of("dinkes")
        assert shown
        assert signs == {s for s, u in fleet.items() if u.station.agency.code == "dinkes"}
        assert (edit_station.status_code, edit_unit.status_code, access.status_code) == (
            200,
            200,
            403,
        )
        assert f'href="{ACCESS}"' not in html
    else:  # the head of PUPR has no station
        assert shown == set()
        assert signs == set()
        assert "No station you manage yet." in html
        assert (edit_station.status_code, edit_unit.status_code, access.status_code) == (
            404,
            404,
            403,
        )
    assert {r.status_code for r in new_pages} == {200}


def _station_state(station: Station) -> tuple[Any, ...]:
    station.refresh_from_db()
    return (station.name, station.access_minutes, station.agency_id, Station.objects.count())


def _station_payload(station: Station, **over: Any) -> dict[str, Any]:
    data = {
        "name": station.name,
        "agency": station.agency_id,
        "lat": station.lat,
        "lng": station.lng,
        "facility": station.facility_id or "",
        "access_minutes": station.access_minutes,
        "is_active": "on",
        **over,
    }
    return data


@pytest.mark.parametrize("who", WHO)
def test_fleet_posts_role_matrix(
    who: str, client_of: Callable[[str], Client], fleet: dict[str, Unit], dinkes_unit: Unit
) -> None:
    client = client_of(who)
    station = dinkes_unit.station
    before_station = _station_state(station)
    before_access = list(DesaAccess.objects.values_list("desa_code", "minutes"))
    dinkes_unit.refresh_from_db()
    before_unit = (dinkes_unit.status, dinkes_unit.version)
    r1 = client.post(
        f"/kantor/119/armada/stasiun/{station.pk}/",
        _station_payload(station, name="Puskesmas Baru", access_minutes=5),
    )
    r2 = client.post(
        f"/kantor/119/armada/unit/{dinkes_unit.pk}/",
        {"action": "service", "in_service": "0", "reason": "Servis rutin"},
    )
    r3 = client.post(ACCESS, {"desa_code": OTHER_DESA, "minutes": "45", "mode": "sungai"})
    allowed = {"admin": (302, 302, 302), "kepala_opd": (302, 302, 403)}
    refused = {
        "kepala_opd_pupr": (404, 404, 403),
        "warga": (302, 302, 302),
        "unverified": (302, 302, 302),
    }
    expected = allowed.get(who) or refused.get(who) or (403, 403, 403)
    assert (r1.status_code, r2.status_code, r3.status_code) == expected
    dinkes_unit.refresh_from_db()
    access_now = list(DesaAccess.objects.values_list("desa_code", "minutes"))
    if who in allowed:
        station.refresh_from_db()
        assert (station.name, station.access_minutes, station.is_demo) == (
            "Puskesmas Baru",
            5,
            True,
        )
        assert r1["Location"] == FLEET
        assert (dinkes_unit.status, dinkes_unit.out_of_service_reason) == (
            "tidak_aktif",
            "Servis rutin",
        )
        assert (OTHER_DESA, 45) in access_now if who == "admin" else access_now == before_access
    else:
        assert _station_state(station) == before_station
        assert (dinkes_unit.status, dinkes_unit.version) == before_unit
        assert access_now == before_access


# --- Stations: bad input -----------------------------------------------------------------------------
NEW_STATION = {
    "code": "psk-contoh",
    "name": "Pos Ambulans Contoh",
    "lat": str(SAMPIT[0]),
    "lng": str(SAMPIT[1]),
    "access_minutes": "0",
    "is_active": "on",
}


def test_new_station(admin_client: Client, agencies: dict[str, Agency], fleet: Any) -> None:
    response = admin_client.post(
        "/kantor/119/armada/stasiun/", {**NEW_STATION, "agency": agencies["dinkes"].pk}
    )
    assert response.status_code == 302
    station = Station.objects.get(code="psk-contoh")
    assert (station.desa_code, station.kecamatan_code, station.is_demo) == (
        "62.02.06.1007",
        "62.02.06",
        False,
    )
    html = text(admin_client.get(FLEET))
    assert "Station “Pos Ambulans Contoh” saved." in html
    row = re.search(r'<tr id="station-psk-contoh">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Dinkes" in row.group(1)
    assert "Mentawa Baru Ketapang" in row.group(1)
    assert "demo" not in row.group(1)
    # The demo rows say so.
    demo_row = re.search(r'<tr id="station-damkar-620206">(.*?)</tr>', html, re.S)
    assert demo_row is not None
    assert '<span class="tag tag-muted">demo</span>' in demo_row.group(1)


def test_a_station_outside_kotim_is_refused(
    admin_client: Client, agencies: dict[str, Agency], fleet: Any
) -> None:
    count = Station.objects.count()
    response = admin_client.post(
        "/kantor/119/armada/stasiun/",
        {
            **NEW_STATION,
            "agency": agencies["dinkes"].pk,
            "lat": str(OUTSIDE_KOTIM[0]),
            "lng": str(OUTSIDE_KOTIM[1]),
        },
    )
    assert response.status_code == 422
    assert field_errors(text(response), "lat") == [
        "This location is outside Kotawaringin Timur. For emergencies elsewhere, call 112."
    ]
    assert Station.objects.count() == count


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"lat": "utara"}, "lat", "Enter a number."),
        (
            {"access_minutes": "700"},
            "access_minutes",
            "Ensure this value is less than or equal to 600.",
        ),
        (
            {"code": "Bukan Kode!"},
            "code",
            "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.",
        ),
        ({"name": ""}, "name", "This field is required."),
        (
            {"facility": "999999"},
            "facility",
            "Select a valid choice. 999999 is not one of the available choices.",
        ),
        ({"code": "damkar-620206"}, "code", "A station with this code exists already."),
    ],
)
def test_station_form_bad_input(
    admin_client: Client,
    agencies: dict[str, Agency],
    fleet: Any,
    over: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = list(Station.objects.order_by("pk").values())
    response = admin_client.post(
        "/kantor/119/armada/stasiun/", {**NEW_STATION, "agency": agencies["dinkes"].pk, **over}
    )
    assert response.status_code == 422
    assert field_errors(text(response), field) == [message]
    assert list(Station.objects.order_by("pk").values()) == before


def test_a_head_gives_stations_only_to_their_agency(
    head_client: Client, agencies: dict[str, Agency], fleet: Any
) -> None:
    page = head_client.get("/kantor/119/armada/stasiun/").content.decode()
    options = re.findall(
        r'<option value="(\d+)"', page.split('name="agency"')[1].split("</select>")[0]
    )
    assert options == [str(agencies["dinkes"].pk)]
    damkar = agencies["damkar"].pk
    response = head_client.post("/kantor/119/armada/stasiun/", {**NEW_STATION, "agency": damkar})
    assert response.status_code == 422
    assert field_errors(text(response), "agency") == [
        f"Select a valid choice. {damkar} is not one of the available choices."
    ]
    assert not Station.objects.filter(code="psk-contoh").exists()


def test_the_code_of_a_station_does_not_change(admin_client: Client, dinkes_unit: Unit) -> None:
    station = dinkes_unit.station
    response = admin_client.post(
        f"/kantor/119/armada/stasiun/{station.pk}/",
        _station_payload(station, code="kode-baru", name="Nama Baru"),
    )
    assert response.status_code == 302
    station.refresh_from_db()
    assert (station.code, station.name) == (dinkes_unit.station.code, "Nama Baru")
    assert not Station.objects.filter(code="kode-baru").exists()


# --- Units: bad input and crews ----------------------------------------------------------------------
def test_new_unit_then_its_crew(
    admin_client: Client,
    agencies: dict[str, Agency],
    dinkes_unit: Unit,
    make_staff: Callable[..., Any],
) -> None:
    station = dinkes_unit.station
    response = admin_client.post(
        "/kantor/119/armada/unit/",
        {"call_sign": "amb-99", "station": station.pk, "capability": "ambulans", "plate": "KH 1"},
    )
    unit = Unit.objects.get(call_sign="AMB-99")
    assert response.status_code == 302
    assert response["Location"] == f"/kantor/119/armada/unit/{unit.pk}/"
    officer = make_staff(Role.PETUGAS_OPD, agency=agencies["dinkes"], full_name="Rina Perawat")
    make_staff(Role.PETUGAS_OPD, agency=agencies["damkar"], full_name="Joko Pemadam")
    page = text(admin_client.get(response["Location"]))
    assert "Unit AMB-99 saved. Now choose its crew." in page
    assert "Rina Perawat" in page
    assert "Joko Pemadam" not in page
    response = admin_client.post(
        f"/kantor/119/armada/unit/{unit.pk}/",
        {"station": station.pk, "capability": "ambulans", "plate": "KH 1", "crew": [officer.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == FLEET
    assert list(unit.crew.values_list("pk", flat=True)) == [officer.pk]
    row = re.search(r'<tr id="unit-AMB-99">(.*?)</tr>', text(admin_client.get(FLEET)), re.S)
    assert row is not None
    assert '<td class="fleet-crew">Rina Perawat</td>' in row.group(1)


def test_unknown_capability_is_refused(admin_client: Client, dinkes_unit: Unit) -> None:
    count = Unit.objects.count()
    response = admin_client.post(
        "/kantor/119/armada/unit/",
        {"call_sign": "HELI-01", "station": dinkes_unit.station_id, "capability": "helikopter"},
    )
    assert response.status_code == 422
    assert field_errors(text(response), "capability") == ["Choose one of the options."]
    assert Unit.objects.count() == count


def test_a_taken_call_sign_is_refused(admin_client: Client, dinkes_unit: Unit) -> None:
    before = list(Unit.objects.order_by("pk").values())
    response = admin_client.post(
        "/kantor/119/armada/unit/",
        {"call_sign": "amb-01", "station": dinkes_unit.station_id, "capability": "ambulans"},
    )
    assert response.status_code == 422
    assert field_errors(text(response), "call_sign") == [
        "A unit with this call sign exists already."
    ]
    assert list(Unit.objects.order_by("pk").values()) == before


def test_crew_from_another_agency_is_refused(
    admin_client: Client,
    agencies: dict[str, Agency],
    dinkes_unit: Unit,
    damkar_station: Station,
    make_staff: Callable[..., Any],
) -> None:
    nurse = make_staff(Role.PETUGAS_OPD, agency=agencies["dinkes"])
    firefighter = make_staff(Role.PETUGAS_OPD, agency=agencies["damkar"])
    dinkes_unit.crew.add(nurse)
    url = f"/kantor/119/armada/unit/{dinkes_unit.pk}/"
    payload = {
        "station": dinkes_unit.station_id,
        "capability": dinkes_unit.capability,
        "plate": dinkes_unit.plate,
    }
    # An officer of another agency is not among the choices.
    response = admin_client.post(url, {**payload, "crew": [firefighter.pk]})
    assert response.status_code == 422
    assert field_errors(text(response), "crew") == [
        f"Select a valid choice. {firefighter.pk} is not one of the available choices."
    ]
    # Moving the unit to Damkar with its Dinkes crew: the service refuses the crew, and the move
    # is not half-done.
    response = admin_client.post(url, {**payload, "station": damkar_station.pk, "crew": [nurse.pk]})
    assert response.status_code == 422
    assert field_errors(text(response), "crew") == ["Crew must be officers of the unit's agency."]
    dinkes_unit.refresh_from_db()
    assert dinkes_unit.station.agency.code == "dinkes"
    assert list(dinkes_unit.crew.values_list("pk", flat=True)) == [nurse.pk]


def test_a_head_cannot_use_another_agencys_station(
    head_client: Client, damkar_station: Station, fleet: Any
) -> None:
    count = Unit.objects.count()
    response = head_client.post(
        "/kantor/119/armada/unit/",
        {"call_sign": "AMB-98", "station": damkar_station.pk, "capability": "ambulans"},
    )
    assert response.status_code == 422
    assert field_errors(text(response), "station") == [
        f"Select a valid choice. {damkar_station.pk} is not one of the available choices."
    ]
    assert Unit.objects.count() == count


def test_out_of_service_and_back(
    admin_client: Client,
    dinkes_unit: Unit,
    call: Callable[..., Incident],
    dispatcher: Any,
    fleet: dict[str, Unit],
) -> None:
    url = f"/kantor/119/armada/unit/{dinkes_unit.pk}/"
    version = Unit.objects.get(pk=dinkes_unit.pk).version
    response = admin_client.post(url, {"action": "service", "in_service": "0", "reason": ""})
    assert response.status_code == 422
    assert re.findall(
        r'<ul class="errorlist" id="service-reason_error"><li>(.*?)</li>', text(response)
    ) == ["This field is required."]
    assert Unit.objects.get(pk=dinkes_unit.pk).version == version
    response = admin_client.post(url, {"action": "service", "in_service": "0", "reason": "Bengkel"})
    assert response.status_code == 302
    html = text(admin_client.get(url))
    assert f"{dinkes_unit.call_sign} is now “Out of service”." in html
    html = text(admin_client.get(FLEET))
    row = re.search(rf'<tr id="unit-{dinkes_unit.call_sign}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Out of service" in row.group(1)
    assert "Bengkel" in row.group(1)
    admin_client.post(url, {"action": "service", "in_service": "1"})
    assert Unit.objects.get(pk=dinkes_unit.pk).status == "tersedia"
    # A unit on a job cannot change service.
    amb = fleet["AMB-01"]
    services.incident_dispatch(actor=dispatcher, ref=call().ref, unit_id=amb.pk)
    response = admin_client.post(
        f"/kantor/119/armada/unit/{amb.pk}/",
        {"action": "service", "in_service": "0", "reason": "Bengkel"},
    )
    assert response.status_code == 422
    assert "The unit is on a job; it can change service only when it is free." in text(response)
    assert Unit.objects.get(pk=amb.pk).status == "ditugaskan"


# --- Desa access times -------------------------------------------------------------------------------
def test_desa_access_times(admin_client: Client, fleet: Any) -> None:
    html = text(admin_client.get(ACCESS))
    row = re.search(rf'<tr id="access-{RIVER_DESA}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Tumbang Kalang" in row.group(1)
    assert "demo" in row.group(1)
    assert '<td class="num">90</td>' in row.group(1)
    assert "River only" in row.group(1)
    response = admin_client.post(
        ACCESS,
        {"desa_code": OTHER_DESA, "minutes": "45", "mode": "jalan_musiman", "note": "Banjir"},
    )
    assert response.status_code == 302
    html = text(admin_client.get(ACCESS))
    assert "The access time of Palangan is 45 minutes." in html
    row = re.search(rf'<tr id="access-{OTHER_DESA}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Palangan" in row.group(1)
    assert "Kota Besi" in row.group(1)
    assert "Road cut in the wet season" in row.group(1)
    assert "Banjir" in row.group(1)
    admin_client.post(ACCESS, {"desa_code": OTHER_DESA, "minutes": "0", "mode": "sungai"})
    assert not DesaAccess.objects.filter(desa_code=OTHER_DESA).exists()
    assert "The access time of Palangan is removed." in text(admin_client.get(ACCESS))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"desa_code": "62.02.06", "minutes": "10"},
            "desa_code",
            "Select a valid choice. 62.02.06 is not one of the available choices.",
        ),
        (
            {"desa_code": OTHER_DESA, "minutes": "-1"},
            "minutes",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"desa_code": OTHER_DESA, "minutes": "2000"},
            "minutes",
            "Ensure this value is less than or equal to 1440.",
        ),
        (
            {"desa_code": OTHER_DESA, "minutes": "10", "mode": "helikopter"},
            "mode",
            "Select a valid choice. helikopter is not one of the available choices.",
        ),
    ],
)
def test_desa_access_bad_input(
    admin_client: Client, fleet: Any, data: dict[str, str], field: str, message: str
) -> None:
    before = list(DesaAccess.objects.values())
    response = admin_client.post(ACCESS, {"mode": "sungai", **data})
    assert response.status_code == 422
    assert field_errors(text(response), field) == [message]
    assert list(DesaAccess.objects.values()) == before


# --- Performance -------------------------------------------------------------------------------------
def _incident(
    dispatcher: Any, *, kind: str, at: tuple[float, float], seconds: int | None
) -> Incident:
    incident = services.incident_record_call(
        actor=dispatcher,
        kind=kind,
        priority="kuning",
        chief_complaint="kebakaran_bangunan" if kind == "kebakaran" else "sakit_umum",
        caller_phone="081234567890",
        lat=at[0],
        lng=at[1],
    )
    if seconds is not None:
        Incident.objects.filter(pk=incident.pk).update(
            response_seconds=seconds, status=IncidentStatus.CLOSED
        )
    return incident


@pytest.fixture
def figures(fleet: dict[str, Unit], dispatcher: Any) -> dict[str, Incident]:
    """Known response times: Sampit medical 5, 10, 15 min; Kuala Kuayan medical 30 min; Sampit
    fire 7 min; one medical call still waiting. AMB-01 spent 84 of the last 168 hours on jobs."""
    made = {
        "s1": _incident(dispatcher, kind="medis", at=SAMPIT, seconds=300),
        "s2": _incident(dispatcher, kind="medis", at=SAMPIT, seconds=600),
        "s3": _incident(dispatcher, kind="medis", at=SAMPIT, seconds=900),
        "k1": _incident(dispatcher, kind="medis", at=KUALA_KUAYAN, seconds=1800),
        "f1": _incident(dispatcher, kind="kebakaran", at=SAMPIT, seconds=420),
        "w1": _incident(dispatcher, kind="medis", at=SAMPIT, seconds=None),
    }
    now = timezone.now()
    Assignment.objects.create(
        incident=made["s1"],
        unit=fleet["AMB-01"],
        dispatched_at=now - dt.timedelta(hours=84),
        cleared_at=now,
    )
    return made


def _rows(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table class="table table-dense {table}">(.*?)</table>', html, re.S)
    assert body is not None
    rows = re.findall(r"<tr id=[^>]*>(.*?)</tr>", body.group(1), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ][:4]
        for r in rows
    ]


def test_performance_figures(
    client_of: Callable[[str], Client], figures: dict[str, Incident]
) -> None:
    client = client_of("admin")
    sampit = figures["s1"].kecamatan_name
    kuayan = figures["k1"].kecamatan_name
    month = timezone.localtime(figures["s1"].received_at).strftime("%Y-%m")
    today = timezone.localtime().strftime("%Y-%m-%d")

    html = text(client.get(PERFORMANCE))
    by_kecamatan = _rows(html, "perf-kecamatan")
    expected_all = {
        sampit: [sampit, "4", "8.5", "15.0"],  # 300, 420, 600, 900 s
        kuayan: [kuayan, "1", "30.0", "30.0"],
    }
    assert sorted(by_kecamatan) == sorted(expected_all.values())
    assert _rows(html, "perf-month") == [[month, "5", "10.0", "30.0"]]
    assert re.search(
        rf'<tr id="day-{today}"><th scope="row">[^<]+</th><td class="num">6</td>', html
    )
    assert re.search(r'id="stat-waiting">.*?<span class="stat-value">1</span>', html, re.S)
    assert re.search(r'id="stat-median">.*?<span class="stat-value">10.0 <small>min', html, re.S)
    assert re.search(r'id="stat-p90">.*?<span class="stat-value">30.0 <small>min', html, re.S)
    util = {r[0]: r[2] for r in _rows(html, "perf-utilisation")}
    assert util["AMB-01"] == "50%"
    assert util["AMB-02"] == "0%"
    # The red bar: a 90th percentile over 15 minutes.
    kuayan_row = re.search(
        rf'<tr id="kecamatan-{figures["k1"].kecamatan_code}">(.*?)</tr>', html, re.S
    )
    assert kuayan_row is not None
    assert "perf-bar is-over" in kuayan_row.group(1)
    # Aggregates only: no caller, no patient, no officer.
    assert "081234567890" not in html
    assert "6281234567890" not in html

    medical = text(client.get(PERFORMANCE + "?kind=medis"))
    assert sorted(_rows(medical, "perf-kecamatan")) == sorted(
        [[sampit, "3", "10.0", "15.0"], [kuayan, "1", "30.0", "30.0"]]
    )
    assert "Response times of “Medical emergency” calls only." in medical
    fire = text(client.get(PERFORMANCE + "?kind=kebakaran"))
    assert _rows(fire, "perf-kecamatan") == [[sampit, "1", "7.0", "7.0"]]
    assert _rows(fire, "perf-month") == [[month, "1", "7.0", "7.0"]]
    bad = text(client.get(PERFORMANCE + "?kind=banjir"))
    assert "The filter is not valid: showing every kind." in bad
    assert sorted(_rows(bad, "perf-kecamatan")) == sorted(expected_all.values())


def test_performance_with_nothing_yet(client_of: Callable[[str], Client], fleet: Any) -> None:
    html = text(client_of("dewan").get(PERFORMANCE))
    assert html.count("No call has reached the scene in this period.") == 2
    assert re.search(r'id="stat-median">.*?<span class="stat-value">–</span>', html, re.S)


@pytest.mark.parametrize("who", WHO)
def test_performance_role_matrix(
    who: str, client_of: Callable[[str], Client], figures: dict[str, Incident]
) -> None:
    response = client_of(who).get(PERFORMANCE)
    if who in LOGIN:
        assert response.status_code == 302
        return
    allowed = {"kepala_opd", "kepala_opd_pupr", "dispatcher", "dewan", "admin"}
    assert response.status_code == (200 if who in allowed else 403)
    if response.status_code == 200:
        assert len(_rows(text(response), "perf-kecamatan")) == 2


# --- Query budgets -----------------------------------------------------------------------------------
def test_fleet_query_count(
    admin_client: Client,
    agencies: dict[str, Agency],
    fleet: dict[str, Unit],
    dinkes_unit: Unit,
    make_staff: Callable[..., Any],
    django_assert_num_queries: Any,
) -> None:
    dinkes_unit.crew.add(make_staff(Role.PETUGAS_OPD, agency=agencies["dinkes"]))
    with django_assert_num_queries(9):
        response = admin_client.get(FLEET)
    units = len(unit_signs(response.content.decode()))
    stations = len(station_codes(response.content.decode()))
    for i in range(20):
        station = services.station_save(
            actor=None,
            code=f"uji-{i}",
            name=f"Pos Uji {i}",
            agency_id=agencies["dinkes"].pk,
            lat=SAMPIT[0],
            lng=SAMPIT[1],
        )
        unit = services.unit_save(
            actor=None, call_sign=f"UJI-{i:02d}", station_id=station.pk, capability="ambulans"
        )
        unit.crew.add(make_staff(Role.PETUGAS_OPD, agency=agencies["dinkes"]))
    with django_assert_num_queries(9):
        response = admin_client.get(FLEET)
    assert len(unit_signs(response.content.decode())) == units + 20
    assert len(station_codes(response.content.decode())) == stations + 20


def test_unit_form_query_count(
    admin_client: Client,
    agencies: dict[str, Agency],
    dinkes_unit: Unit,
    make_staff: Callable[..., Any],
    django_assert_num_queries: Any,
) -> None:
    url = f"/kantor/119/armada/unit/{dinkes_unit.pk}/"
    dinkes_unit.crew.add(make_staff(Role.PETUGAS_OPD, agency=agencies["dinkes"]))
    with django_assert_num_queries(9):
        admin_client.get(url)
    for _i in range(20):
        dinkes_unit.crew.add(make_staff(Role.PETUGAS_OPD, agency=agencies["dinkes"]))
    with django_assert_num_queries(9):
        response = admin_client.get(url)
    assert len(re.findall(r'name="crew" value="\d+"', response.content.decode())) == 21


def test_station_form_query_count(
    admin_client: Client, dinkes_unit: Unit, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(8):
        response = admin_client.get(f"/kantor/119/armada/stasiun/{dinkes_unit.station_id}/")
    assert f'value="{dinkes_unit.station.code}"' in response.content.decode()


def test_desa_access_query_count(
    admin_client: Client, fleet: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(7):
        admin_client.get(ACCESS)
    codes = [
        c
        for c in re.findall(
            r'<option value="(62\.02\.\d\d\.\d{4})"', admin_client.get(ACCESS).content.decode()
        )
        if c != RIVER_DESA
    ][:20]
    DesaAccess.objects.bulk_create(DesaAccess(desa_code=c, minutes=30) for c in codes)
    with django_assert_num_queries(7):
        response = admin_client.get(ACCESS)
    assert len(re.findall(r'<tr id="access-', response.content.decode())) == 21


def test_performance_query_count(
    client_of: Callable[[str], Client],
    figures: dict[str, Incident],
    dispatcher: Any,
    django_assert_num_queries: Any,
) -> None:
    client = client_of("dewan")
    with django_assert_num_queries(12):
        client.get(PERFORMANCE)
    for i in range(20):
        _incident(dispatcher, kind="medis", at=KUALA_KUAYAN if i % 2 else SAMPIT, seconds=600 + i)
    with django_assert_num_queries(12):
        response = client.get(PERFORMANCE)
    month_rows = _rows(text(response), "perf-month")
    assert month_rows[0][1] == "25"
