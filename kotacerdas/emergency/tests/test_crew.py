"""The crew's phone page (/kantor/awak/): the statuses walked through the pages, a skipped step,
a stale page, another crew's unit, the phone's position (in and far outside Kotim), the state
the page polls, the patients (health data, audited), who may open it, and the query budgets."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kotacerdas.accounts.models import Role
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory, StaffFactory
from kotacerdas.core.models import AuditEvent
from kotacerdas.emergency import services
from kotacerdas.emergency.models import (
    Assignment,
    Incident,
    IncidentStatus,
    Patient,
    Unit,
    UnitPosition,
)

from .conftest import OUTSIDE_KOTIM, SAMPIT, verified

pytestmark = pytest.mark.django_db

STEPS = ["diterima", "berangkat", "di_lokasi", "membawa_pasien", "tiba_di_faskes", "tersedia"]
BUTTONS = {
    "diterima": "Accept the job",
    "berangkat": "Depart: en route",
    "di_lokasi": "Arrived on scene",
    "membawa_pasien": "Transporting the patient",
    "tiba_di_faskes": "Arrived at the health facility",
    "tersedia": "Job done: available",
}
LABELS = {
    "diterima": "Job accepted",
    "berangkat": "En route",
    "di_lokasi": "On scene",
    "membawa_pasien": "Transporting patient",
    "tiba_di_faskes": "At health facility",
    "tersedia": "Available",
}
NIK = "6202061505800001"


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
def amb(fleet: dict[str, Unit]) -> Unit:
    return fleet["AMB-01"]


@pytest.fixture
def crew(amb: Unit, make_crew: Callable[[Unit], Any]) -> Any:
    return make_crew(amb)


@pytest.fixture
def crew_client(crew: Any, staff_client: Callable[[Any], Client]) -> Client:
    return english(staff_client(crew))


@pytest.fixture
def job(call: Callable[..., Incident], dispatcher: Any, amb: Unit) -> Incident:
    incident = call("medis", SAMPIT)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=amb.pk)
    incident.refresh_from_db()
    amb.refresh_from_db()
    return incident


def page_url(unit: Unit) -> str:
    return f"/kantor/awak/unit/{unit.pk}/"


def step_url(unit: Unit) -> str:
    return f"/kantor/awak/unit/{unit.pk}/status/"


def position_url(unit: Unit) -> str:
    return f"/kantor/awak/unit/{unit.pk}/posisi/"


def buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="status" value="([a-z_]+)"', html)


def messages_of(html: str) -> list[str]:
    found = re.findall(r'<p class="message message-\w+">(.*?)</p>', html)
    return [html_lib.unescape(m) for m in found]


def unit_state(unit: Unit) -> tuple[Any, ...]:
    unit.refresh_from_db()
    assignment = Assignment.objects.filter(unit=unit).order_by("pk").last()
    stamps = (
        tuple(
            getattr(assignment, f)
            for f in ("acknowledged_at", "en_route_at", "on_scene_at", "cleared_at")
        )
        if assignment
        else ()
    )
    return (
        unit.status,
        unit.version,
        unit.lat,
        stamps,
        UnitPosition.objects.filter(unit=unit).count(),
        Patient.objects.count(),
        AuditEvent.objects.filter(action__startswith="kotacerdas.emergency.incident.unit_").count(),
    )


def hhmm(value: Any) -> str:
    return timezone.localtime(value).strftime("%H:%M")


# --- Home ----------------------------------------------------------------------------------------
def test_home_goes_straight_to_the_only_unit(crew_client: Client, amb: Unit) -> None:
    response = crew_client.get("/kantor/awak/")
    assert response.status_code == 302
    assert response["Location"] == page_url(amb)


def test_home_lists_several_units(
    crew: Any, crew_client: Client, fleet: dict[str, Unit], amb: Unit
) -> None:
    fleet["AMB-02"].crew.add(crew)
    html = crew_client.get("/kantor/awak/").content.decode()
    assert re.findall(r'<li id="unit-(\d+)">', html) == [str(amb.pk), str(fleet["AMB-02"].pk)]
    assert f'href="{page_url(fleet["AMB-02"])}"' in html
    assert "Ambulance with paramedic · RSUD dr. Murjani" in html


def test_home_of_an_officer_on_no_unit(
    agencies: Any, make_staff: Callable[..., Any], staff_client: Callable[[Any], Client]
) -> None:
    officer = make_staff(Role.PETUGAS_OPD, agency=agencies["dinkes"])
    response = english(staff_client(officer)).get("/kantor/awak/")
    assert response.status_code == 200
    assert "You are not on the crew of any unit." in response.content.decode()


# --- The statuses through the pages -----------------------------------------------------------------
def test_crew_walks_the_statuses(crew_client: Client, amb: Unit, job: Incident) -> None:
    html = crew_client.get(page_url(amb)).content.decode()
    assert f"<code>{job.ref}</code>" in html
    assert "Medical emergency · " in html
    assert f"<strong>{job.desa_name}</strong>, Kecamatan {job.kecamatan_name}" in html
    point = f"{job.lat:.6f},{job.lng:.6f}"
    assert f'href="https://www.google.com/maps/dir/?api=1&amp;destination={point}"' in html
    assert f'href="geo:{point}?q={point}"' in html
    assignment = Assignment.objects.select_related("destination").get(incident=job)
    assert assignment.destination is not None
    assert f'<dd id="crew-destination">{assignment.destination.name} ' in html
    assert buttons(html) == ["diterima"]
    assert ">Accept the job</button>" in html

    for i, status in enumerate(STEPS):
        amb.refresh_from_db()
        response = crew_client.post(step_url(amb), {"status": status, "version": amb.version})
        assert response.status_code == 302
        assert response["Location"] == page_url(amb)
        amb.refresh_from_db()
        assert amb.status == status
        html = crew_client.get(page_url(amb)).content.decode()
        assert messages_of(html) == [
            f"“{LABELS[status]}” recorded at {hhmm(amb.status_changed_at)}."
        ]
        if status == "di_lokasi":
            # From the scene: transport, or finish there.
            assert buttons(html) == ["membawa_pasien", "tersedia"]
            assert "Finished on scene: available" in html
        elif status != "tersedia":
            assert buttons(html) == [STEPS[i + 1]], status
            assert f">{BUTTONS[STEPS[i + 1]]}</button>" in html
        if status != "tersedia":
            # Each stamped time shows.
            assignment.refresh_from_db()
            done = re.findall(
                r'<li class="is-done"><span>([^<]+)</span> <time[^>]*>(\d\d:\d\d)', html
            )
            assert len(done) == i + 2  # dispatched + the steps so far
            assert done[-1][1] == hhmm(amb.status_changed_at)

    assert "No job now." in html
    assert buttons(html) == []
    job.refresh_from_db()
    assert job.status == IncidentStatus.CLOSED
    assert job.response_seconds is not None
    assignment.refresh_from_db()
    assert all(
        getattr(assignment, f) is not None
        for f in ("acknowledged_at", "en_route_at", "on_scene_at", "transporting_at")
    )


def test_skipping_a_status_is_refused(crew_client: Client, amb: Unit, job: Incident) -> None:
    before = unit_state(amb)
    response = crew_client.post(step_url(amb), {"status": "di_lokasi", "version": amb.version})
    assert response.status_code == 302
    html = crew_client.get(page_url(amb)).content.decode()
    assert messages_of(html) == ["A unit that is “Dispatched” cannot go to “On scene”."]
    assert unit_state(amb) == before
    job.refresh_from_db()
    assert (job.status, job.on_scene_at) == (IncidentStatus.DISPATCHED, None)


def test_a_stale_page_is_a_conflict(crew_client: Client, amb: Unit, job: Incident) -> None:
    stale = amb.version
    crew_client.post(step_url(amb), {"status": "diterima", "version": stale})
    crew_client.get(page_url(amb))  # the success message is read
    before = unit_state(amb)
    response = crew_client.post(step_url(amb), {"status": "berangkat", "version": stale})
    assert response.status_code == 302
    html = crew_client.get(page_url(amb)).content.decode()
    assert messages_of(html) == ["The unit's status changed meanwhile; look at it again."]
    assert unit_state(amb) == before


def test_an_unknown_status_is_refused(crew_client: Client, amb: Unit, job: Incident) -> None:
    before = unit_state(amb)
    crew_client.post(step_url(amb), {"status": "terbang", "version": amb.version})
    html = crew_client.get(page_url(amb)).content.decode()
    assert messages_of(html) == ["Choose one of the options."]
    assert unit_state(amb) == before


def test_a_step_without_a_job(crew_client: Client, amb: Unit) -> None:
    before = unit_state(amb)
    crew_client.post(step_url(amb), {"status": "diterima", "version": amb.version})
    html = crew_client.get(page_url(amb)).content.decode()
    assert messages_of(html) == ["A unit that is “Available” cannot go to “Job accepted”."]
    assert unit_state(amb) == before


def test_a_step_carries_the_position(crew_client: Client, amb: Unit, job: Incident) -> None:
    crew_client.post(
        step_url(amb),
        {"status": "diterima", "version": amb.version, "lat": "-2.5401", "lng": "112.9555"},
    )
    amb.refresh_from_db()
    assert (amb.status, amb.lat, amb.lng) == ("diterima", -2.5401, 112.9555)
    assert list(UnitPosition.objects.values_list("lat", "lng")) == [(-2.5401, 112.9555)]


def test_a_step_with_a_bad_position_still_steps(
    crew_client: Client, amb: Unit, job: Incident
) -> None:
    crew_client.post(
        step_url(amb),
        {
            "status": "diterima",
            "version": amb.version,
            "lat": str(OUTSIDE_KOTIM[0]),
            "lng": str(OUTSIDE_KOTIM[1]),
        },
    )
    amb.refresh_from_db()
    html = crew_client.get(page_url(amb)).content.decode()
    assert amb.status == "diterima"
    assert amb.lat is None
    assert messages_of(html) == [
        f"“Job accepted” recorded at {hhmm(amb.status_changed_at)}.",
        "The position was not sent: This position is far outside Kotawaringin Timur; "
        "check the phone's GPS.",
    ]
    assert UnitPosition.objects.count() == 0


# --- Another crew's unit -------------------------------------------------------------------------
def test_another_units_crew_gets_404_and_nothing_changes(
    fleet: dict[str, Unit],
    amb: Unit,
    job: Incident,
    make_crew: Callable[[Unit], Any],
    staff_client: Callable[[Any], Client],
) -> None:
    other = english(staff_client(make_crew(fleet["AMB-02"])))
    services.patient_save(actor=make_crew(amb), ref=job.ref, name="Budi")
    before = unit_state(amb)
    audits = AuditEvent.objects.count()
    assert other.get(page_url(amb)).status_code == 404
    assert (
        other.post(step_url(amb), {"status": "diterima", "version": amb.version}).status_code == 404
    )
    response = other.post(
        position_url(amb),
        json.dumps({"lat": SAMPIT[0], "lng": SAMPIT[1]}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "emergency.unit.not_found"
    response = other.get(f"/kantor/awak/unit/{amb.pk}/state.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "emergency.unit.not_found"
    response = other.post(f"/kantor/awak/unit/{amb.pk}/pasien/", {"name": "Palsu"})
    assert response.status_code == 404
    assert unit_state(amb) == before
    assert AuditEvent.objects.count() == audits  # not even a read of the patients
    assert other.get("/kantor/awak/unit/999999/").status_code == 404


# --- Position ------------------------------------------------------------------------------------
def test_position_is_stored(crew_client: Client, amb: Unit) -> None:
    response = crew_client.post(
        position_url(amb),
        json.dumps({"lat": SAMPIT[0], "lng": SAMPIT[1], "accuracy": 12.5}),
        content_type="application/json",
    )
    assert response.status_code == 200
    amb.refresh_from_db()
    assert response.json() == {
        "ok": True,
        "position_at": amb.position_at.isoformat(),
        "time": hhmm(amb.position_at),
    }
    assert (amb.lat, amb.lng) == SAMPIT
    assert list(UnitPosition.objects.values_list("lat", "lng", "accuracy_m")) == [
        (SAMPIT[0], SAMPIT[1], 12.5)
    ]
    html = crew_client.get(page_url(amb)).content.decode()
    assert f"Last position sent {hhmm(amb.position_at)}" in html


def test_position_as_a_form(crew_client: Client, amb: Unit) -> None:
    response = crew_client.post(position_url(amb), {"lat": "-2.5336", "lng": "112.95"})
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert UnitPosition.objects.count() == 1


def test_position_far_outside_kotim_is_refused(crew_client: Client, amb: Unit) -> None:
    response = crew_client.post(
        position_url(amb),
        json.dumps({"lat": OUTSIDE_KOTIM[0], "lng": OUTSIDE_KOTIM[1]}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "emergency.position.outside",
            "message": "This position is far outside Kotawaringin Timur; check the phone's GPS.",
        }
    }
    amb.refresh_from_db()
    assert (amb.lat, amb.lng, amb.position_at) == (None, None, None)
    assert UnitPosition.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"lat": "abc", "lng": 112.9}),
        json.dumps({"lat": 95, "lng": 112.9}),
        json.dumps({}),
    ],
)
def test_position_nonsense_is_refused(crew_client: Client, amb: Unit, body: str) -> None:
    response = crew_client.post(position_url(amb), body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "emergency.position.invalid",
        "message": "The coordinates are not valid.",
    }
    assert UnitPosition.objects.count() == 0


def test_position_needs_post(crew_client: Client, amb: Unit) -> None:
    assert crew_client.get(position_url(amb)).status_code == 405


# --- The state the page polls --------------------------------------------------------------------
def test_state_shows_a_new_job(
    crew_client: Client, amb: Unit, call: Callable[..., Incident], dispatcher: Any
) -> None:
    url = f"/kantor/awak/unit/{amb.pk}/state.json"
    response = crew_client.get(url)
    assert response["Cache-Control"].startswith("max-age=0")
    assert response.json() == {
        "unit": {
            "id": amb.pk,
            "call_sign": "AMB-01",
            "status": "tersedia",
            "status_label": "Available",
            "version": amb.version,
            "position_at": None,
            "position_time": "",
        },
        "job": None,
    }
    incident = call("medis", SAMPIT)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=amb.pk)
    amb.refresh_from_db()
    assignment = Assignment.objects.get(incident=incident)
    body = crew_client.get(url).json()
    assert body["unit"]["status"] == "ditugaskan"
    assert body["unit"]["version"] == amb.version
    assert body["job"] == {
        "ref": incident.ref,
        "kind": "medis",
        "kind_label": "Medical emergency",
        "priority": "kuning",
        "priority_label": "Yellow",
        "desa_name": incident.desa_name,
        "dispatched_at": assignment.dispatched_at.isoformat(),
    }


def test_the_page_carries_the_scripts_settings(
    crew_client: Client, amb: Unit, job: Incident
) -> None:
    html = crew_client.get(page_url(amb)).content.decode()
    assert '<script src="/static/dist/emergency-crew.js" defer></script>' in html
    raw = re.search(r'data-crew="([^"]+)"', html)
    assert raw is not None
    config = json.loads(html_lib.unescape(raw.group(1)))
    assert config["stateUrl"] == f"/kantor/awak/unit/{amb.pk}/state.json"
    assert config["positionUrl"] == position_url(amb)
    assert (config["positionEvery"], config["pollEvery"]) == (30, 10)
    assert (config["version"], config["jobRef"]) == (amb.version, job.ref)
    assert config["strings"]["sent"] == "Last position sent %(time)s"


# --- Patients ------------------------------------------------------------------------------------
def test_crew_records_a_patient(crew_client: Client, crew: Any, amb: Unit, job: Incident) -> None:
    url = f"/kantor/awak/unit/{amb.pk}/pasien/"
    response = crew_client.post(
        url,
        {"name": "Siti Aminah", "nik": NIK, "age_years": "54", "sex": "P", "condition": "Sesak"},
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(amb) + "#patients"
    patient = Patient.objects.get(incident=job)
    assert patient.nik_last4 == "0001"
    assert "Siti" not in patient.name_encrypted
    viewed = AuditEvent.objects.filter(action="kotacerdas.emergency.patient.viewed").count()
    html = crew_client.get(page_url(amb)).content.decode()
    assert messages_of(html) == ["Patient saved."]
    assert "<h3>Siti Aminah</h3>" in html
    assert '54 years · Female · NIK <span class="nik">6202********0001</span>' in html
    assert NIK not in html
    # Every read of the patients is audited, with the crew member as the reader.
    reads = AuditEvent.objects.filter(action="kotacerdas.emergency.patient.viewed")
    assert reads.count() == viewed + 1
    assert reads.latest("pk").actor_id == crew.pk

    # A correction with the NIK left empty keeps the NIK.
    response = crew_client.post(
        url,
        {"patient_id": patient.pk, "name": "Siti Aminah", "nik": "", "age_years": "55", "sex": "P"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.age_years, patient.nik_last4) == (55, "0001")
    assert Patient.objects.count() == 1


def test_a_bad_patient_is_refused(crew_client: Client, amb: Unit, job: Incident) -> None:
    response = crew_client.post(
        f"/kantor/awak/unit/{amb.pk}/pasien/", {"name": "Budi", "nik": "12345", "age_years": "200"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="patient-new-nik_error"><li>A NIK has 16 digits.</li></ul>'
        in html
    )
    assert 'value="Budi"' in html  # what was typed stays
    assert Patient.objects.count() == 0
    response = crew_client.post(f"/kantor/awak/unit/{amb.pk}/pasien/", {"age_years": "200"})
    assert response.status_code == 422
    assert "Enter a whole number from 0 to 130." in response.content.decode()
    assert Patient.objects.count() == 0


def test_no_patients_after_the_job(
    crew_client: Client, crew: Any, amb: Unit, job: Incident
) -> None:
    services.patient_save(actor=crew, ref=job.ref, name="Budi Santoso")
    for status in ["diterima", "berangkat", "di_lokasi", "tersedia"]:
        services.unit_step(actor=crew, unit_id=amb.pk, status=status)
    html = crew_client.get(page_url(amb)).content.decode()
    assert "Budi Santoso" not in html
    assert "No job now." in html
    response = crew_client.post(f"/kantor/awak/unit/{amb.pk}/pasien/", {"name": "Lagi"})
    assert response.status_code == 302
    assert Patient.objects.count() == 1


# --- Who may open the crew pages -------------------------------------------------------------------
WHO = [*ALL_ROLES, "crew", "unverified"]


def test_the_matrix_covers_every_role() -> None:
    assert set(ALL_ROLES) <= set(WHO)


@pytest.fixture
def client_of(
    agencies: Any,
    amb: Unit,
    make_staff: Callable[..., Any],
    make_crew: Callable[[Unit], Any],
    staff_client: Callable[[Any], Client],
) -> Callable[[str], Client]:
    def make(who: str) -> Client:
        if who in ("warga", "unverified"):
            user = (
                CitizenFactory()
                if who == "warga"
                else StaffFactory(role=Role.PETUGAS_OPD, agency=agencies["rsud-murjani"])
            )
            if who == "unverified":
                amb.crew.add(user)  # crew, but the session has not passed TOTP
            client = Client()
            client.force_login(user)
            return english(client)
        if who == "crew":
            return english(staff_client(make_crew(amb)))
        if who in ("operator_desa", "kepala_desa"):
            user = make_staff(who, region_code="62.02.06.1007")
        elif who == "operator_kecamatan":
            user = make_staff(who, region_code="62.02.06")
        elif who in ("petugas_opd", "kepala_opd"):
            user = make_staff(who, agency=agencies["rsud-murjani"])  # the unit's agency
        else:
            user = make_staff(who, agency=agencies["dinkes"])
        return english(staff_client(verified(user)))

    return make


@pytest.mark.parametrize("who", WHO)
def test_crew_pages_role_matrix(
    who: str, client_of: Callable[[str], Client], amb: Unit, job: Incident
) -> None:
    client = client_of(who)
    before = unit_state(amb)
    home = client.get("/kantor/awak/")
    unit_page = client.get(page_url(amb))
    step = client.post(step_url(amb), {"status": "diterima", "version": amb.version})
    state = client.get(f"/kantor/awak/unit/{amb.pk}/state.json")
    if who in ("warga", "unverified"):
        codes = {r.status_code for r in (home, unit_page, step, state)}
        assert codes == {302}
        assert home["Location"] == "/akun/masuk/?next=%2Fkantor%2Fawak%2F"
    elif who == "crew":
        assert home.status_code == 302
        assert home["Location"] == page_url(amb)
        assert unit_page.status_code == 200
        assert state.status_code == 200
        assert step.status_code == 302
        amb.refresh_from_db()
        assert amb.status == "diterima"
        return
    elif who == "petugas_opd":
        # An officer of the same agency who does not crew this unit.
        assert home.status_code == 200
        assert "You are not on the crew of any unit." in home.content.decode()
        assert (unit_page.status_code, step.status_code, state.status_code) == (404, 404, 404)
    else:
        # The desk and the others use their own pages.
        assert {r.status_code for r in (home, unit_page, step, state)} == {403}
    assert unit_state(amb) == before


# --- Query budgets -------------------------------------------------------------------------------
def test_unit_page_query_count(
    crew_client: Client, crew: Any, amb: Unit, job: Incident, django_assert_num_queries: Any
) -> None:
    services.patient_save(actor=crew, ref=job.ref, name="Pasien 0")
    with django_assert_num_queries(13):
        response = crew_client.get(page_url(amb))
    assert len(re.findall(r'<article class="crew-patient"', response.content.decode())) == 1
    for i in range(1, 21):
        services.patient_save(actor=crew, ref=job.ref, name=f"Pasien {i}")
    with django_assert_num_queries(13):
        response = crew_client.get(page_url(amb))
    assert len(re.findall(r'<article class="crew-patient"', response.content.decode())) == 21


def test_home_query_count(
    crew: Any, crew_client: Client, fleet: dict[str, Unit], django_assert_num_queries: Any
) -> None:
    units = sorted(fleet.values(), key=lambda u: u.call_sign)
    units[1].crew.add(crew)
    with django_assert_num_queries(6):
        response = crew_client.get("/kantor/awak/")
    assert len(re.findall(r'<li id="unit-', response.content.decode())) == 2
    for unit in units[2:22]:
        unit.crew.add(crew)
    with django_assert_num_queries(6):
        response = crew_client.get("/kantor/awak/")
    assert len(re.findall(r'<li id="unit-', response.content.decode())) == 22


def test_state_query_count(
    crew: Any, crew_client: Client, amb: Unit, job: Incident, django_assert_num_queries: Any
) -> None:
    url = f"/kantor/awak/unit/{amb.pk}/state.json"
    with django_assert_num_queries(6):
        assert crew_client.get(url).json()["job"]["ref"] == job.ref
    for i in range(20):
        services.patient_save(actor=crew, ref=job.ref, name=f"Pasien {i}")
        services.unit_report_position(actor=crew, unit_id=amb.pk, lat=SAMPIT[0], lng=SAMPIT[1])
    with django_assert_num_queries(6):
        assert crew_client.get(url).json()["job"]["ref"] == job.ref
