"""The 119 desk's pages (/kantor/119/): the call-taker's form, the history and "earlier calls",
the incident page and its actions (triage, dispatch, release, patients, cancel, close), who may
use them, the messages bad input gets, and the query budgets."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory, StaffFactory
from kotacerdas.core.models import AuditEvent
from kotacerdas.emergency import services
from kotacerdas.emergency.models import (
    Assignment,
    Incident,
    IncidentStatus,
    Patient,
    Unit,
    UnitStatus,
)
from kotacerdas.regions.selectors import region_get

from .conftest import OUTSIDE_KOTIM, SAMPIT, SAMPIT_DESA

pytestmark = pytest.mark.django_db

BASE = "/kantor/119"
PHONE = "0812 3456 7890"
PHONE_STORED = "6281234567890"
WHO = [*ALL_ROLES, "unverified"]
LOGIN = {"warga", "unverified"}  # sent to sign in


def test_the_matrix_covers_every_role() -> None:
    assert set(WHO) - {"unverified"} == {r.value for r in Role}


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
def desk(dispatcher: Any, staff_client: Callable[[Any], Client]) -> Client:
    return english(staff_client(dispatcher))


@pytest.fixture
def sawahan_label() -> str:
    """The desa search label of SAMPIT_DESA, as the datalist offers it."""
    desa = region_get(code=SAMPIT_DESA)
    return f"{desa.name}, {region_get(code=desa.parent_code).name}"


@pytest.fixture
def record(dispatcher: Any) -> Callable[..., Incident]:
    """record(**overrides) -> a phone call recorded through the service (red, chest pain, in
    Sawahan by its desa)."""

    def make(**kw: Any) -> Incident:
        args: dict[str, Any] = {
            "kind": "medis",
            "priority": "merah",
            "chief_complaint": "nyeri_dada",
            "caller_phone": PHONE,
            "desa_code": SAMPIT_DESA,
            **kw,
        }
        return services.incident_record_call(actor=dispatcher, **args)

    return make


def call_payload(**kw: Any) -> dict[str, Any]:
    return {
        "phone": PHONE,
        "caller_name": "Budi Santoso",
        "kind": "medis",
        "chief_complaint": "nyeri_dada",
        "priority": "merah",
        "desa": SAMPIT_DESA,
        "lat": "",
        "lng": "",
        "address": "Jl. Jenderal Sudirman km 2, depan masjid",
        "patients_count": "1",
        "conscious": "ya",
        "breathing": "ya",
        "details": "Bapak 60 tahun nyeri dada sejak 30 menit.",
        **kw,
    }


def html_of(response: Any) -> str:
    return response.content.decode()


def state() -> tuple[Any, ...]:
    """Everything the desk's actions can change."""
    return (
        list(Incident.objects.order_by("pk").values_list("pk", "status", "version", "priority")),
        list(Assignment.objects.order_by("pk").values_list("pk", "cleared_at")),
        list(Patient.objects.order_by("pk").values_list("pk", "name_encrypted")),
        list(Unit.objects.order_by("pk").values_list("pk", "status", "version")),
        AuditEvent.objects.count(),
    )


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Who may use the desk's pages ----------------------------------------------------------------
@pytest.fixture
def person(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Callable[[str], Any]:
    def make(who: str) -> Any:
        if who == "warga":
            return CitizenFactory()
        if who == "unverified":  # a dispatcher whose session has not passed TOTP
            return StaffFactory(role=Role.DISPATCHER, agency=agencies["dinkes"])
        if who in ("operator_desa", "kepala_desa"):
            return make_staff(who, region_code=SAMPIT_DESA)
        if who == "operator_kecamatan":
            return make_staff(who, region_code="62.02.06")
        if who in ("petugas_opd", "kepala_opd", "dispatcher"):
            return make_staff(who, agency=agencies["dinkes"])
        return make_staff(who)

    return make


@pytest.fixture
def client_of(
    person: Callable[[str], Any], staff_client: Callable[[Any], Client]
) -> Callable[[str], tuple[Any, Client]]:
    def make(who: str) -> tuple[Any, Client]:
        user = person(who)
        if who in LOGIN:
            client = Client()
            client.force_login(user)  # signed in, but no TOTP-verified staff session
            return user, english(client)
        return user, english(staff_client(user))

    return make


@pytest.mark.parametrize("who", WHO)
def test_role_matrix(
    who: str,
    client_of: Callable[[str], tuple[Any, Client]],
    fleet: dict[str, Unit],
    record: Callable[..., Incident],
    dispatcher: Any,
) -> None:
    first = record()
    services.patient_save(actor=dispatcher, ref=first.ref, name="Budi", age_years=60)
    to_close = record(caller_phone="081299990000", desa_code="62.02.01.2003")
    with_unit = record(caller_phone="081288880000", desa_code="62.02.01.2003")
    sent = services.incident_dispatch(
        actor=dispatcher, ref=with_unit.ref, unit_id=fleet["AMB-03"].pk
    )
    user, client = client_of(who)
    if who == "petugas_opd":
        fleet["AMB-03"].crew.add(user)  # the crew of a unit on a job is not the desk either
    before = state()
    detail = f"{BASE}/insiden/{first.ref}/"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("get", f"{BASE}/panggilan/", None),
        ("post", f"{BASE}/panggilan/", call_payload(phone="081277770000")),
        ("get", f"{BASE}/insiden/", None),
        ("get", f"{BASE}/insiden/?earlier=1&phone={PHONE}", None),
        ("get", detail, None),
        ("get", f"{BASE}/insiden/{with_unit.ref}/", None),
        ("post", f"{detail}triase/", {"version": first.version, "priority": "kuning"}),
        ("post", f"{detail}pasien/", {"name": "Siti", "age_years": "34", "sex": "P"}),
        ("post", f"{detail}kirim/", {"unit_id": fleet["AMB-01"].pk}),
        ("post", f"{BASE}/penugasan/{sent.pk}/tarik/", {"reason": "Unit lain lebih dekat"}),
        ("post", f"{BASE}/insiden/{to_close.ref}/tutup/", {"note": "Saran lewat telepon"}),
        ("post", f"{detail}batal/", {"reason": "Panggilan ganda"}),
    ]
    for method, url, data in calls:
        response = getattr(client, method)(url, data or {})
        if who in LOGIN:
            assert response.status_code == 302, url
            assert response["Location"].startswith("/akun/masuk/?next="), url
        elif who == "dispatcher":
            assert response.status_code == (200 if method == "get" else 302), url
        else:
            assert response.status_code == 403, url
    if who != "dispatcher":
        assert state() == before  # nothing changed, nothing read (no audit event)
        return
    first.refresh_from_db()
    to_close.refresh_from_db()
    with_unit.refresh_from_db()
    assert Incident.objects.filter(caller_phone="6281277770000").count() == 1
    assert (first.status, first.priority) == (IncidentStatus.CANCELLED, "kuning")
    assert first.patients.count() == 2
    assert Assignment.objects.get(incident=first).cleared_at is not None  # released on cancel
    assert to_close.status == IncidentStatus.CLOSED
    assert with_unit.status == IncidentStatus.ACCEPTED  # released: waiting again
    assert Unit.objects.get(pk=fleet["AMB-03"].pk).status == UnitStatus.AVAILABLE


def test_desk_gets_404_for_unknown_incidents(desk: Client, fleet: dict[str, Unit]) -> None:
    missing = f"{BASE}/insiden/2601-ABCDEF/"
    assert desk.get(missing).status_code == 404
    for action in ("triase", "kirim", "batal", "tutup", "pasien"):
        assert (
            desk.post(f"{missing}{action}/", {"reason": "x", "priority": "merah"}).status_code
            == 404
        )
    assert desk.post(f"{BASE}/penugasan/999999/tarik/", {"reason": "x"}).status_code == 404
    assert desk.get(f"{missing}kirim/").status_code == 405


# --- The call-taker's form -----------------------------------------------------------------------
def test_call_form_offers_every_desa_and_complaint(desk: Client, sawahan_label: str) -> None:
    html = html_of(desk.get(f"{BASE}/panggilan/"))
    assert sawahan_label == "Sawahan, Mentawa Baru Ketapang"
    assert f'<option value="{sawahan_label}"></option>' in html
    assert len(re.findall(r'<datalist id="desa-options">(.*?)</datalist>', html, re.S)) == 1
    options = re.findall(r"<option value=\"[^\"]+\"></option>", html)
    assert len(options) == 185  # every desa and kelurahan of Kotim
    assert 'autofocus hx-get="/kantor/119/insiden/"' in html
    assert '<option value="kebakaran_bangunan" data-kind="kebakaran">Building fire</option>' in html
    assert 'accesskey="1" required' in html
    assert 'accesskey="3" required' in html
    # Tab order: phone, name, kind, complaint, priority, desa, ..., details.
    order = [
        html.index(f'name="{n}"')
        for n in (
            "phone",
            "caller_name",
            "kind",
            "chief_complaint",
            "priority",
            "desa",
            "lat",
            "address",
            "patients_count",
            "conscious",
            "breathing",
            "details",
        )
    ]
    assert order == sorted(order)


def test_call_form_records_the_call(
    desk: Client, dispatcher: Any, fleet: dict[str, Unit], sawahan_label: str
) -> None:
    response = desk.post(
        f"{BASE}/panggilan/", call_payload(desa=sawahan_label, conscious="tidak"), follow=True
    )
    incident = Incident.objects.get()
    assert response.redirect_chain == [(f"{BASE}/insiden/{incident.ref}/", 302)]
    assert messages_of(response) == [f"Call recorded as {incident.ref}. Dispatch a unit below."]
    assert (incident.kind, incident.priority, incident.need) == (
        "medis",
        "merah",
        "ambulans_paramedis",
    )
    assert (incident.status, incident.source, incident.call_taker) == (
        "diterima",
        "telepon",
        dispatcher,
    )
    assert (incident.caller_phone, incident.caller_name) == (PHONE_STORED, "Budi Santoso")
    assert (incident.desa_code, incident.location_approximate) == (SAMPIT_DESA, True)
    assert (incident.patients_count, incident.conscious, incident.breathing) == (1, False, True)
    assert incident.address == "Jl. Jenderal Sudirman km 2, depan masjid"
    assert services.incident_details_read(actor=dispatcher, ref=incident.ref) == (
        "Bapak 60 tahun nyeri dada sejak 30 menit."
    )
    html = html_of(response)
    assert "+6281234567890" in html
    assert "Budi Santoso" in html
    assert "Bapak 60 tahun nyeri dada sejak 30 menit." in html


def test_a_fire_complaint_makes_a_fire_call(desk: Client, fleet: dict[str, Unit]) -> None:
    payload = call_payload(kind="medis", chief_complaint="kebakaran_bangunan")
    assert desk.post(f"{BASE}/panggilan/", payload).status_code == 302
    incident = Incident.objects.get()
    assert (incident.kind, incident.need) == ("kebakaran", "damkar")


def test_a_map_point_comes_before_the_desa(desk: Client, fleet: dict[str, Unit]) -> None:
    payload = call_payload(desa="", lat=str(SAMPIT[0]), lng=str(SAMPIT[1]))
    assert desk.post(f"{BASE}/panggilan/", payload).status_code == 302
    incident = Incident.objects.get()
    assert (incident.lat, incident.lng) == SAMPIT
    assert (incident.desa_code, incident.location_approximate) == (SAMPIT_DESA, False)


def test_a_desa_name_alone_is_enough_when_only_one_desa_has_it(desk: Client) -> None:
    assert desk.post(f"{BASE}/panggilan/", call_payload(desa="sawahan")).status_code == 302
    assert Incident.objects.get().desa_code == SAMPIT_DESA


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"desa": "", "lat": "", "lng": ""},
            "desa",
            "Give the location: share GPS, drop a pin or choose the desa.",
        ),
        (
            {"desa": "", "lat": str(OUTSIDE_KOTIM[0]), "lng": str(OUTSIDE_KOTIM[1])},
            "desa",
            "This location is outside Kotawaringin Timur. For emergencies elsewhere, call 112.",
        ),
        (
            {"desa": "62.02.99.9999"},
            "desa",
            "Choose a desa or kelurahan of Kotawaringin Timur.",
        ),
        ({"phone": "12ab"}, "phone", "Enter a phone number, e.g. 0812 3456 7890."),
        ({"phone": ""}, "phone", "This field is required."),
        ({"chief_complaint": ""}, "chief_complaint", "This field is required."),
        ({"priority": ""}, "priority", "This field is required."),
        ({"patients_count": "-3"}, "patients_count", "Enter a whole number from 0 to 99."),
    ],
)
def test_call_form_bad_input(
    desk: Client, change: dict[str, str], field: str, message: str
) -> None:
    before = (Incident.objects.count(), AuditEvent.objects.count())
    response = desk.post(f"{BASE}/panggilan/", call_payload(**change))
    assert response.status_code == 422
    html = html_of(response)
    errors = re.findall(rf'<ul class="errorlist" id="id_{field}_error"><li>([^<]*)</li></ul>', html)
    assert errors == [message]
    assert "The call was not saved: correct the fields marked below." in html
    assert (Incident.objects.count(), AuditEvent.objects.count()) == before
    # What was typed stays.
    assert 'value="Jl. Jenderal Sudirman km 2, depan masjid"' in html


# --- History and "earlier calls" -----------------------------------------------------------------
def _list_refs(html: str) -> list[str]:
    return re.findall(r'<tr id="incident-([0-9]{4}-[0-9A-Z]{6})"', html)


def test_history_search_and_filters(
    desk: Client, record: Callable[..., Incident], dispatcher: Any
) -> None:
    a = record()
    b = record(caller_phone="081299990000", kind="kebakaran", chief_complaint="kebakaran_lahan")
    c = record(caller_phone="081288880000", desa_code="62.02.01.2003")
    services.incident_cancel(actor=dispatcher, ref=c.ref, reason="Panggilan iseng")
    cases = {
        "": [c.ref, b.ref, a.ref],
        "?q=0812-9999-0000": [b.ref],
        f"?q={a.ref.lower()}": [a.ref],
        "?q=palangan": [c.ref],
        "?kind=kebakaran": [b.ref],
        "?status=open": [b.ref, a.ref],
        "?status=dibatalkan": [c.ref],
        f"?phone={PHONE}": [a.ref],
        "?desa=62.02.01.2003": [c.ref],
    }
    for query, refs in cases.items():
        response = desk.get(f"{BASE}/insiden/{query}")
        assert response.status_code == 200
        assert _list_refs(html_of(response)) == refs, query
    response = desk.get(f"{BASE}/insiden/?status=nonsense")
    assert "Some filters are not valid; correct them to see the calls." in html_of(response)
    assert _list_refs(html_of(response)) == []


def test_earlier_calls_by_number_or_desa(
    desk: Client, record: Callable[..., Incident], sawahan_label: str
) -> None:
    import datetime as dt

    from django.utils import timezone

    same_phone = record(desa_code="62.02.01.2003")
    same_desa = record(caller_phone="081299990000")
    record(caller_phone=PHONE, now=timezone.now() - dt.timedelta(days=31))  # too old to matter
    record(caller_phone="081288880000", desa_code="62.02.01.2003")  # neither

    def refs(query: str) -> list[str]:
        response = desk.get(f"{BASE}/insiden/?earlier=1&{query}")
        assert response.status_code == 200
        return re.findall(r'<li id="earlier-([^"]+)"', html_of(response))

    assert refs("phone=%2B62%20812-3456-7890") == [same_phone.ref]
    assert refs(f"desa={sawahan_label}") == [same_desa.ref]
    assert refs(f"phone={PHONE}&desa={sawahan_label}") == [same_desa.ref, same_phone.ref]
    html = html_of(desk.get(f"{BASE}/insiden/?earlier=1&phone={PHONE}"))
    assert '<span data-match="phone">same number</span>' in html
    assert "An earlier call is still open: it may be the same emergency." in html
    assert "No calls from this number or desa in the last 30 days." in html_of(
        desk.get(f"{BASE}/insiden/?earlier=1&phone=081200000000&desa=Saw")
    )
    assert "They show here as soon as you type" in html_of(
        desk.get(f"{BASE}/insiden/?earlier=1&phone=08")
    )


# --- The incident page ---------------------------------------------------------------------------
def _unit_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="unit-\d+" data-unit="([^"]+)">', html)


def test_detail_shows_the_call_units_and_destination(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    incident = record(address="Gang Mawar 3")
    html = html_of(desk.get(f"{BASE}/insiden/{incident.ref}/"))
    assert f"<h1><code>{incident.ref}</code> Medical emergency: Chest pain</h1>" in html
    assert '<span class="tag tag-danger" data-priority="merah">Priority: Red</span>' in html
    assert '<span class="tag tag-info" data-status="diterima">' in html
    assert '<span class="tag tag-danger" data-waiting role="status">No unit on it</span>' in html
    assert '<a href="tel:+6281234567890">+6281234567890</a>' in html
    assert (
        '<dd data-desa="62.02.06.1007">Sawahan <span class="tag tag-warn" data-approximate>'
        "approximate: centre of the desa</span></dd>"
    ) in html
    assert "<dd>Mentawa Baru Ketapang</dd>" in html
    assert "<dd>Gang Mawar 3</dd>" in html
    # Paramedic ambulances first (red), plain ambulances after them as a fallback.
    units = _unit_rows(html)
    assert units[:2] == ["AMB-01", "AMB-02"]
    assert len(units) == 10
    assert all(u.startswith("AMB-") for u in units)
    assert html.count("data-fallback") == 8
    amb01 = fleet["AMB-01"].pk
    assert f'value="{amb01}" accesskey="k">Dispatch AMB-01</button>' in html
    # Red goes to a hospital; the nearest is chosen by default.
    destinations = re.findall(
        r'<input type="radio" name="destination_id" value="(\d*)"( checked)?> ([^&<]+)', html
    )
    assert destinations[0][1:] == (" checked", "RSUD dr. Murjani Sampit")
    assert '<li data-event="received">' in html
    assert '<li data-event="accepted">' in html


def test_detail_says_fixed_river_access(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    from kotacerdas.emergency.models import DesaAccess

    incident = record(desa_code="62.02.01.2003")
    DesaAccess.objects.create(desa_code="62.02.01.2003", minutes=45)
    html = html_of(desk.get(f"{BASE}/insiden/{incident.ref}/"))
    assert "fixed river access 45 min" in html


def test_detail_for_a_fire_has_no_default_destination(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    incident = record(kind="kebakaran", chief_complaint="kebakaran_bangunan")
    html = html_of(desk.get(f"{BASE}/insiden/{incident.ref}/"))
    assert all(u.startswith("DMK-") for u in _unit_rows(html))
    assert '<input type="radio" name="destination_id" value="" checked> No destination' in html


def test_detail_when_no_unit_is_free(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    Unit.objects.update(status=UnitStatus.OUT_OF_SERVICE)
    incident = record()
    html = html_of(desk.get(f"{BASE}/insiden/{incident.ref}/"))
    assert _unit_rows(html) == []
    assert "No free unit can answer this call now." in html


def test_reading_patients_is_audited(
    desk: Client, dispatcher: Any, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    incident = record(details="Jatuh dari motor")
    services.patient_save(
        actor=dispatcher,
        ref=incident.ref,
        name="Siti Aminah",
        nik="6202064101900001",
        age_years=34,
        sex="P",
        condition="Luka di kepala",
    )
    AuditEvent.objects.all().delete()
    html = html_of(desk.get(f"{BASE}/insiden/{incident.ref}/"))
    assert "<dt>Name</dt><dd>Siti Aminah</dd>" in html
    assert '<dd class="nik">6202064101900001</dd>' in html
    assert "Luka di kepala" in html
    assert "Jatuh dari motor" in html
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id, event.after) == (
        "kotacerdas.emergency.patient.viewed",
        dispatcher,
        str(incident.pk),
        {"patients": 1},
    )
    # The trail names the incident, never the patient.
    assert "Siti" not in json.dumps([event.object_repr, event.before, event.after])


def test_related_calls_on_the_detail(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    first = record(desa_code="62.02.01.2003")
    second = record()
    html = html_of(desk.get(f"{BASE}/insiden/{second.ref}/"))
    related = re.findall(r'<li data-ref="([^"]+)">', html)
    assert related == [first.ref]
    assert "same number" in html


# --- Dispatch ------------------------------------------------------------------------------------
def test_dispatch_from_the_page(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    incident = record()
    response = desk.post(
        f"{BASE}/insiden/{incident.ref}/kirim/",
        {"unit_id": fleet["AMB-01"].pk, "version": incident.version},
        follow=True,
    )
    assert response.redirect_chain == [(f"{BASE}/insiden/{incident.ref}/", 302)]
    assignment = Assignment.objects.get()
    minutes = max(1, round((assignment.eta_seconds or 0) / 60))
    assert messages_of(response) == [f"AMB-01 dispatched. Estimated arrival in {minutes} minutes."]
    assert assignment.destination is not None
    assert assignment.destination.name == "RSUD dr. Murjani Sampit"
    html = html_of(response)
    assert f'<tr id="assignment-{assignment.pk}" data-unit="AMB-01">' in html
    assert "AMB-01" not in _unit_rows(html)
    assert '<li data-event="dispatched">' in html


def test_dispatch_with_a_chosen_destination(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    from kotacerdas.facilities.selectors import facility_list

    incident = record(priority="hijau")
    puskesmas = facility_list(kind="health", subtype="puskesmas").first()
    assert puskesmas is not None
    desk.post(
        f"{BASE}/insiden/{incident.ref}/kirim/",
        {"unit_id": fleet["AMB-04"].pk, "destination_id": puskesmas.pk},
    )
    assert Assignment.objects.get().destination == puskesmas


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_X_REQUESTED_WITH": "fetch"},
        {"HTTP_HX_REQUEST": "true"},
    ],
)
def test_dispatch_answers_json(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident], headers: dict
) -> None:
    incident = record()
    response = desk.post(
        f"{BASE}/insiden/{incident.ref}/kirim/", {"unit_id": fleet["AMB-02"].pk}, **headers
    )
    assert response.status_code == 200
    assignment = Assignment.objects.get()
    assert response.json() == {
        "ok": True,
        "assignment_id": assignment.pk,
        "unit": "AMB-02",
        "eta_seconds": assignment.eta_seconds,
    }
    assert assignment.eta_seconds is not None


def test_dispatching_a_busy_unit(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident], dispatcher: Any
) -> None:
    first = record()
    services.incident_dispatch(actor=dispatcher, ref=first.ref, unit_id=fleet["AMB-01"].pk)
    second = record(caller_phone="081299990000")
    before = state()
    response = desk.post(
        f"{BASE}/insiden/{second.ref}/kirim/",
        {"unit_id": fleet["AMB-01"].pk},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "emergency.unit.busy",
            "message": "AMB-01 is not available (Dispatched): choose another unit.",
        }
    }
    assert state() == before
    response = desk.post(
        f"{BASE}/insiden/{second.ref}/kirim/", {"unit_id": fleet["AMB-01"].pk}, follow=True
    )
    assert messages_of(response) == ["AMB-01 is not available (Dispatched): choose another unit."]
    assert state() == before


def test_dispatching_a_cancelled_incident(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident], dispatcher: Any
) -> None:
    incident = record()
    services.incident_cancel(actor=dispatcher, ref=incident.ref, reason="Panggilan ganda")
    before = state()
    url = f"{BASE}/insiden/{incident.ref}/kirim/"
    response = desk.post(url, {"unit_id": fleet["AMB-01"].pk}, follow=True)
    assert response.redirect_chain == [(f"{BASE}/insiden/{incident.ref}/", 302)]
    assert messages_of(response) == ["This incident is already “Cancelled”."]
    html = html_of(response)
    assert 'id="dispatch-form"' not in html
    assert 'id="triage-form"' not in html
    assert "<dd data-cancel-reason>Panggilan ganda</dd>" in html
    response = desk.post(url, {"unit_id": fleet["AMB-01"].pk}, HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "emergency.incident.closed"
    assert state() == before


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({}, 422, "emergency.unit.required"),
        ({"unit_id": "abc"}, 422, "emergency.unit.required"),
        ({"unit_id": "999999"}, 404, "emergency.unit.not_found"),
        ({"unit_id": "UNIT", "version": "1"}, 422, "emergency.unit.required"),
        ({"unit_id": "FIRE"}, 422, "emergency.unit.incapable"),
        ({"unit_id": "AMB", "version": "99"}, 409, "emergency.incident.conflict"),
        ({"unit_id": "AMB", "destination_id": "nope"}, 422, "emergency.destination.invalid"),
    ],
)
def test_dispatch_bad_input_json(
    desk: Client,
    fleet: dict[str, Unit],
    record: Callable[..., Incident],
    data: dict[str, str],
    status: int,
    code: str,
) -> None:
    incident = record()
    ids = {"AMB": str(fleet["AMB-01"].pk), "FIRE": str(fleet["DMK-01"].pk)}
    data = {k: ids.get(v, v) for k, v in data.items()}
    before = state()
    response = desk.post(
        f"{BASE}/insiden/{incident.ref}/kirim/", data, HTTP_ACCEPT="application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert state() == before
    response = desk.post(
        "/kantor/119/insiden/2601-ABCDEF/kirim/",
        {"unit_id": fleet["AMB-01"].pk},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "emergency.incident.not_found"


# --- Triage --------------------------------------------------------------------------------------
def test_accepting_a_call_from_the_app(
    desk: Client, fleet: dict[str, Unit], call: Callable[..., Incident], dispatcher: Any
) -> None:
    incident = call("medis", SAMPIT)
    html = html_of(desk.get(f"{BASE}/insiden/{incident.ref}/"))
    assert '<h2 id="h-triage">Accept and triage</h2>' in html
    response = desk.post(
        f"{BASE}/insiden/{incident.ref}/triase/",
        {
            "version": incident.version,
            "priority": "merah",
            "chief_complaint": "tidak_sadar",
            "need": "",
            "address": "Depan pasar",
            "patients_count": "2",
            "conscious": "tidak",
            "breathing": "",
        },
        follow=True,
    )
    assert messages_of(response) == ["Call accepted and triaged."]
    incident.refresh_from_db()
    assert (incident.status, incident.priority, incident.need) == (
        "diterima",
        "merah",
        "ambulans_paramedis",
    )
    assert (incident.chief_complaint, incident.address, incident.patients_count) == (
        "tidak_sadar",
        "Depan pasar",
        2,
    )
    assert (incident.conscious, incident.breathing, incident.call_taker) == (
        False,
        None,
        dispatcher,
    )


def test_triage_with_a_stale_version(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident], dispatcher: Any
) -> None:
    incident = record(priority="kuning")
    seen = incident.version
    services.incident_triage(actor=dispatcher, ref=incident.ref, version=seen, priority="hijau")
    before = state()
    response = desk.post(
        f"{BASE}/insiden/{incident.ref}/triase/",
        {"version": seen, "priority": "merah", "address": "Jl. Baru"},
    )
    assert response.status_code == 409
    html = html_of(response)
    assert (
        '<div class="message message-error" role="alert" data-error-code='
        '"emergency.incident.conflict"><p>Someone else changed this incident; look at it again.'
        "</p>"
    ) in html
    assert state() == before
    incident.refresh_from_db()
    assert incident.priority == "hijau"
    # The officer's answer stays, now against the version the page shows.
    assert f'name="version" value="{incident.version}"' in html
    assert re.search(r'<input type="radio" name="priority" value="merah"[^>]* checked>', html)
    assert 'value="Jl. Baru"' in html


def test_triage_moves_the_incident_to_another_desa(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident]
) -> None:
    incident = record()
    url = f"{BASE}/insiden/{incident.ref}/triase/"
    response = desk.post(
        url, {"version": incident.version, "priority": "merah", "desa": "62.02.99.9999"}
    )
    assert response.status_code == 422
    assert re.findall(
        r'<ul class="errorlist" id="id_triage_desa_error"><li>([^<]*)</li>', html_of(response)
    ) == ["Choose a desa or kelurahan of Kotawaringin Timur."]
    assert "data-error-code" not in html_of(response)
    response = desk.post(
        url, {"version": incident.version, "priority": "merah", "desa": "Palangan, Kota Besi"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.desa_code, incident.desa_name) == ("62.02.01.2003", "Palangan")


# --- Release, cancel, close ----------------------------------------------------------------------
def test_releasing_a_unit(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident], dispatcher: Any
) -> None:
    incident = record()
    sent = services.incident_dispatch(
        actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-01"].pk
    )
    url = f"{BASE}/penugasan/{sent.pk}/tarik/"
    before = state()
    response = desk.post(url, {"reason": "  ", "ref": incident.ref}, follow=True)
    assert response.redirect_chain == [(f"{BASE}/insiden/{incident.ref}/", 302)]
    assert messages_of(response) == ["Give the reason for releasing the unit."]
    assert state() == before
    response = desk.post(url, {"reason": "AMB-02 lebih dekat", "ref": incident.ref}, follow=True)
    assert messages_of(response) == ["AMB-01 released."]
    sent.refresh_from_db()
    incident.refresh_from_db()
    assert (sent.released_reason, incident.status) == ("AMB-02 lebih dekat", "diterima")
    assert Unit.objects.get(pk=fleet["AMB-01"].pk).status == UnitStatus.AVAILABLE
    html = html_of(response)
    assert '<small class="muted" data-release-reason>AMB-02 lebih dekat</small>' in html
    assert "AMB-01 released: AMB-02 lebih dekat" in html
    response = desk.post(url, {"reason": "lagi"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "emergency.assignment.closed"


def test_cancel_and_close_from_the_page(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident], dispatcher: Any
) -> None:
    incident = record()
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-01"].pk)
    before = state()
    response = desk.post(f"{BASE}/insiden/{incident.ref}/tutup/", {"note": ""})
    assert response.status_code == 422
    assert re.findall(r'data-error-code="([^"]+)"><p>([^<]+)</p>', html_of(response)) == [
        (
            "emergency.incident.units_active",
            "Units are still on this incident; they close it when they clear.",
        )
    ]
    response = desk.post(f"{BASE}/insiden/{incident.ref}/batal/", {"reason": ""})
    assert response.status_code == 422
    assert re.findall(
        r'<ul class="errorlist" id="id_cancel_reason_error"><li>([^<]*)</li>', html_of(response)
    ) == ["Give the reason for cancelling."]
    assert "data-error-code" not in html_of(response)  # said once, on the field
    assert state() == before
    response = desk.post(
        f"{BASE}/insiden/{incident.ref}/batal/", {"reason": "Pasien dibawa keluarga"}, follow=True
    )
    assert messages_of(response) == ["Incident cancelled."]
    incident.refresh_from_db()
    assert (incident.status, incident.cancel_reason) == ("dibatalkan", "Pasien dibawa keluarga")
    assert Unit.objects.get(pk=fleet["AMB-01"].pk).status == UnitStatus.AVAILABLE
    assert "Cancelled: Pasien dibawa keluarga" in html_of(response)

    other = record(caller_phone="081299990000")
    response = desk.post(
        f"{BASE}/insiden/{other.ref}/tutup/", {"note": "Saran lewat telepon"}, follow=True
    )
    assert messages_of(response) == ["Incident closed."]
    other.refresh_from_db()
    assert other.status == IncidentStatus.CLOSED


# --- Patients ------------------------------------------------------------------------------------
def test_patients_from_the_page(
    desk: Client, fleet: dict[str, Unit], record: Callable[..., Incident], dispatcher: Any
) -> None:
    incident = record()
    url = f"{BASE}/insiden/{incident.ref}/pasien/"
    response = desk.post(url, {"name": "Siti", "nik": "6202 0641 0190 001", "sex": "P"})
    assert response.status_code == 422
    assert re.findall(
        r'<ul class="errorlist" id="id_patient_nik_error"><li>([^<]*)</li>', html_of(response)
    ) == ["A NIK has 16 digits."]
    assert Patient.objects.count() == 0
    response = desk.post(
        url, {"name": "Siti", "nik": "6202 0641 0190 0001", "age_years": "34", "sex": "P"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/insiden/{incident.ref}/#patients"
    patient = Patient.objects.get()
    assert (patient.nik_last4, patient.age_years, patient.sex) == ("0001", 34, "P")
    response = desk.post(
        url, {"patient_id": patient.pk, "name": "Siti Aminah", "age_years": "35", "sex": "P"}
    )
    assert response.status_code == 302
    [seen] = services.patients_read(actor=dispatcher, ref=incident.ref)
    assert (seen.name, seen.nik, seen.age_years) == ("Siti Aminah", "", 35)
    response = desk.post(url, {"patient_id": "999999", "name": "X"})
    assert response.status_code == 404


# --- Query budgets -------------------------------------------------------------------------------
def _more_units(fleet: dict[str, Unit], n: int) -> None:
    station = fleet["AMB-01"].station
    Unit.objects.bulk_create(
        Unit(call_sign=f"TST-{i:02d}", station=station, capability="ambulans_paramedis")
        for i in range(n)
    )


def test_detail_query_count(
    desk: Client,
    fleet: dict[str, Unit],
    record: Callable[..., Incident],
    dispatcher: Any,
    django_assert_num_queries: Any,
) -> None:
    incident = record(details="Nyeri dada")
    services.patient_save(actor=dispatcher, ref=incident.ref, name="Budi")
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-03"].pk)
    url = f"{BASE}/insiden/{incident.ref}/"
    with django_assert_num_queries(17):
        response = desk.get(url)
    assert len(re.findall(r'<tr id="assignment-', html_of(response))) == 1
    _more_units(fleet, 20)
    for i in range(20):
        record(caller_phone=PHONE, desa_code="62.02.01.2003")
        services.patient_save(actor=dispatcher, ref=incident.ref, name=f"Pasien {i}")
    for unit in Unit.objects.filter(call_sign__startswith="TST-")[:20]:
        sent = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
        services.assignment_release(actor=dispatcher, assignment_id=sent.pk, reason="Uji")
    with django_assert_num_queries(17):
        response = desk.get(url)
    html = html_of(response)
    assert len(re.findall(r'<tr id="assignment-', html)) == 21
    assert len(re.findall(r'<div class="card patient"', html)) == 21
    assert len(_unit_rows(html)) == 10


def test_list_query_count(
    desk: Client, record: Callable[..., Incident], django_assert_num_queries: Any
) -> None:
    record()
    with django_assert_num_queries(7):
        response = desk.get(f"{BASE}/insiden/")
    assert len(_list_refs(html_of(response))) == 1
    for _i in range(20):
        record()
    with django_assert_num_queries(7):
        response = desk.get(f"{BASE}/insiden/")
    assert len(_list_refs(html_of(response))) == 21


def test_earlier_calls_and_form_query_count(
    desk: Client,
    record: Callable[..., Incident],
    sawahan_label: str,
    django_assert_num_queries: Any,
) -> None:
    record()
    url = f"{BASE}/insiden/?earlier=1&phone={PHONE}&desa={sawahan_label}"
    with django_assert_num_queries(8):
        response = desk.get(url)
    assert len(re.findall(r'<li id="earlier-', html_of(response))) == 1
    for _i in range(20):
        record()
    with django_assert_num_queries(8):
        response = desk.get(url)
    assert len(re.findall(r'<li id="earlier-', html_of(response))) == 10  # the latest ten
    with django_assert_num_queries(7):
        assert desk.get(f"{BASE}/panggilan/").status_code == 200
