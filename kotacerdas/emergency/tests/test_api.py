"""/api/v1/emergency through HTTP: the whole flow as a new API user would try it, every bad
input of the issue with its stable code (and nothing changed), role matrices, bearer tokens,
query budgets and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Generator
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from kotacerdas.accounts.models import Agency, ApiToken
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory
from kotacerdas.accounts.tokens import token_generate
from kotacerdas.core.models import AuditEvent, Notification
from kotacerdas.emergency import selectors, services
from kotacerdas.emergency.models import (
    Assignment,
    DeskEvent,
    Incident,
    Patient,
    Unit,
    UnitPosition,
)

from .conftest import KUALA_KUAYAN, OUTSIDE_KOTIM, SAMPIT, SAMPIT_DESA

pytestmark = pytest.mark.django_db

BASE = "/api/v1/emergency"
NIK = "6202064501900001"
AUTH_REQUIRED = {
    "error": {"code": "auth.required", "message": "Please sign in or send a valid token."}
}
FORBIDDEN = {"error": {"code": "forbidden", "message": "You are not allowed to do this."}}
INCIDENT_NOT_FOUND = {"error": {"code": "emergency.incident.not_found", "message": "Not found."}}
NOT_YOUR_UNIT = {"error": {"code": "emergency.unit.not_found", "message": "This is not your unit."}}


@pytest.fixture(autouse=True)
def _english(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Generator[None, None, None]:
    """Exact assertions are on the English msgids: every client carries the language cookie."""
    from django.utils import translation

    original_init = Client.__init__

    def english_client(self: Client, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    monkeypatch.setattr(Client, "__init__", english_client)
    with translation.override("en"):
        yield


def iso(value: Any) -> Any:
    """A datetime as the API writes it."""
    return None if value is None else DjangoJSONEncoder().default(value)


def post_json(client: Client, path: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(path, data=json.dumps(body or {}), content_type="application/json", **extra)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state() -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        list(Incident.objects.order_by("pk").values()),
        list(Assignment.objects.order_by("pk").values()),
        list(Unit.objects.order_by("pk").values()),
        list(Patient.objects.order_by("pk").values()),
        list(UnitPosition.objects.order_by("pk").values_list("pk", flat=True)),
        list(DeskEvent.objects.order_by("pk").values_list("pk", flat=True)),
        AuditEvent.objects.filter(action__startswith="kotacerdas.emergency.").count(),
        Notification.objects.count(),
    )


def key() -> str:
    return str(uuid.uuid4())


def call_body(at: tuple[float, float] | None = SAMPIT, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "medis", "idempotency_key": key()}
    if at is not None:
        body.update(lat=at[0], lng=at[1])
    body.update(overrides)
    return body


def phone_call(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "medis",
        "priority": "kuning",
        "chief_complaint": "luka_jatuh",
        "caller_phone": "0812 3456 7890",
        "lat": SAMPIT[0],
        "lng": SAMPIT[1],
    }
    body.update(overrides)
    return body


@pytest.fixture
def desk(dispatcher: Any, staff_client: Callable[[Any], Client]) -> Client:
    return staff_client(dispatcher)


@pytest.fixture
def caller_client(caller: Any) -> Client:
    return signed_in(caller)


@pytest.fixture
def amb01(fleet: dict[str, Unit]) -> Unit:
    return fleet["AMB-01"]


@pytest.fixture
def crew(amb01: Unit, make_crew: Callable[[Unit], Any]) -> Any:
    return make_crew(amb01)


@pytest.fixture
def crew_client(crew: Any, staff_client: Callable[[Any], Client]) -> Client:
    return staff_client(crew)


@pytest.fixture
def dispatched(fleet: dict[str, Unit], call: Callable[..., Incident], dispatcher: Any) -> Incident:
    """A citizen's medical call in Sampit with AMB-01 sent to it."""
    incident = call("medis", SAMPIT)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-01"].pk)
    incident.refresh_from_db()
    return incident


# --- The whole flow, as a new API user -----------------------------------------------------------
def test_call_to_closed_through_the_api(
    fleet: dict[str, Unit],
    caller: Any,
    caller_client: Client,
    desk: Client,
    crew_client: Client,
    amb01: Unit,
):
    body = call_body()
    created = post_json(caller_client, f"{BASE}/calls", body)
    assert created.status_code == 201, created.json()
    ref = created.json()["ref"]
    incident = Incident.objects.get(ref=ref)
    assert created.json() == {
        "ref": ref,
        "kind": "medis",
        "kind_label": "Medical emergency",
        "status": "masuk",
        "status_label": "Received",
        "is_open": True,
        "cancelled_at": None,
        "cancel_reason": "",
        "desa_name": incident.desa_name,
        "kecamatan_name": incident.kecamatan_name,
        "steps": [
            {"key": "received", "at": iso(incident.received_at)},
            *(
                {"key": k, "at": None}
                for k in (
                    "accepted",
                    "dispatched",
                    "en_route",
                    "on_scene",
                    "transporting",
                    "at_facility",
                    "closed",
                )
            ),
        ],
        "unit": None,
        "eta_seconds": None,
        "eta_fixed": False,
        "destination": "",
        "details_given": False,
        "version": 1,
        "seq": selectors.latest_seq(),
    }
    assert (incident.caller_phone, incident.desa_code) == ("6281234500001", SAMPIT_DESA)

    details = post_json(
        caller_client,
        f"{BASE}/calls/{ref}/details",
        {"details": "Ayah jatuh dari tangga", "patients_count": 1, "conscious": False},
    )
    assert details.status_code == 200
    assert (details.json()["details_given"], details.json()["version"]) == (True, 2)

    # The desk sees it appear on the board, not conscious makes it red.
    board = desk.get(f"{BASE}/board").json()
    row = board["incidents"][0]
    assert (row["ref"], row["priority"], row["need"], row["waiting"]) == (
        ref,
        "merah",
        "ambulans_paramedis",
        True,
    )
    assert row["caller_phone"] == "6281234500001"
    assert row["offer"]["call_sign"] == "AMB-01"

    recs = desk.get(f"{BASE}/incidents/{ref}/recommendations").json()
    assert [u["call_sign"] for u in recs["units"][:2]] == ["AMB-01", "AMB-02"]
    assert recs["facilities"][0]["subtype"] == "rumah_sakit"

    sent = post_json(desk, f"{BASE}/incidents/{ref}/dispatch", {"unit_id": amb01.pk, "version": 2})
    assert sent.status_code == 200, sent.json()
    assert sent.json()["status"] == "ditugaskan"
    [assignment] = sent.json()["assignments"]
    assert (assignment["call_sign"], assignment["is_open"]) == ("AMB-01", True)
    assert assignment["destination"]["id"] == recs["facilities"][0]["id"]

    job = crew_client.get(f"{BASE}/crew/units").json()
    assert [(u["call_sign"], u["job"]["ref"]) for u in job] == [("AMB-01", ref)]
    assert [s["value"] for s in job[0]["next_statuses"]] == ["diterima"]
    assert "caller_phone" not in job[0]["job"]

    for step in ["diterima", "berangkat", "di_lokasi", "membawa_pasien", "tiba_di_faskes"]:
        moved = post_json(crew_client, f"{BASE}/units/{amb01.pk}/status", {"status": step})
        assert moved.status_code == 200, moved.json()
        assert moved.json()["status"] == step
        status = caller_client.get(f"{BASE}/calls/{ref}").json()
        assert status["unit"]["status"] == step
    assert status["status"] == "tiba_di_faskes"
    assert status["destination"] == assignment["destination"]["name"]
    assert all(s["at"] is not None for s in status["steps"][:-1])

    cleared = post_json(crew_client, f"{BASE}/units/{amb01.pk}/status", {"status": "tersedia"})
    assert (cleared.json()["status"], cleared.json()["job"]) == ("tersedia", None)
    final = caller_client.get(f"{BASE}/calls/{ref}").json()
    assert (final["status"], final["is_open"]) == ("selesai", False)

    incident.refresh_from_db()
    figures = desk.get(f"{BASE}/figures").json()
    assert figures["overall_30_days"]["calls"] == 1
    assert figures["overall_30_days"]["median_s"] == incident.response_seconds
    assert [(f["key"], f["calls"]) for f in figures["by_kecamatan"]] == [
        (incident.kecamatan_code, 1)
    ]


# --- Bad input of the issue (each: the exact error, and nothing changed) -------------------------
LOCATION_REQUIRED = "Give the location: share GPS, drop a pin or choose the desa."
OUTSIDE = "This location is outside Kotawaringin Timur. For emergencies elsewhere, call 112."


@pytest.mark.parametrize(
    "body",
    [
        call_body(at=None),
        call_body(at=None, lat=SAMPIT[0]),  # half a point is no point
        call_body(at=None, lat=None, lng=None),
    ],
)
def test_a_call_with_no_location_is_refused(
    fleet: dict[str, Unit], caller_client: Client, body: dict[str, Any]
):
    before = state()
    response = post_json(caller_client, f"{BASE}/calls", body)
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": {
                "code": "emergency.location.required",
                "message": LOCATION_REQUIRED,
                "fields": {"location": [LOCATION_REQUIRED]},
            }
        },
    )
    assert state() == before


def test_a_phone_call_with_no_location_is_refused(fleet: dict[str, Unit], desk: Client):
    before = state()
    response = post_json(desk, f"{BASE}/incidents", phone_call(lat=None, lng=None))
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "emergency.location.required",
    )
    assert state() == before


def test_a_call_outside_kotim_is_refused(
    fleet: dict[str, Unit], caller_client: Client, desk: Client
):
    before = state()
    response = post_json(caller_client, f"{BASE}/calls", call_body(at=OUTSIDE_KOTIM))
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": {
                "code": "emergency.location.outside",
                "message": OUTSIDE,
                "fields": {"location": [OUTSIDE]},
            }
        },
    )
    by_phone = post_json(
        desk, f"{BASE}/incidents", phone_call(lat=OUTSIDE_KOTIM[0], lng=OUTSIDE_KOTIM[1])
    )
    assert (by_phone.status_code, by_phone.json()["error"]["code"]) == (
        422,
        "emergency.location.outside",
    )
    assert state() == before


@pytest.mark.parametrize(
    ("current", "asked", "message"),
    [
        ("ditugaskan", "di_lokasi", "A unit that is “Dispatched” cannot go to “On scene”."),
        ("ditugaskan", "tersedia", "A unit that is “Dispatched” cannot go to “Available”."),
        ("berangkat", "membawa_pasien",
         "A unit that is “En route” cannot go to “Transporting patient”."),
        ("di_lokasi", "di_lokasi", "A unit that is “On scene” cannot go to “On scene”."),
        ("ditugaskan", "ditugaskan", "A unit that is “Dispatched” cannot go to “Dispatched”."),
    ],
)  # fmt: skip
def test_a_unit_asked_to_skip_statuses_is_refused(
    dispatched: Incident,
    amb01: Unit,
    crew: Any,
    crew_client: Client,
    current: str,
    asked: str,
    message: str,
):
    path = f"{BASE}/units/{amb01.pk}/status"
    for step in ["diterima", "berangkat", "di_lokasi"][
        : ["ditugaskan", "diterima", "berangkat", "di_lokasi"].index(current)
    ]:
        services.unit_step(actor=crew, unit_id=amb01.pk, status=step)
    before = state()
    response = post_json(crew_client, path, {"status": asked})
    assert (response.status_code, response.json()) == (
        422,
        {"error": {"code": "emergency.unit.step_forbidden", "message": message}},
    )
    assert state() == before


def test_an_unknown_unit_status_is_refused(dispatched: Incident, amb01: Unit, crew_client: Client):
    before = state()
    response = post_json(crew_client, f"{BASE}/units/{amb01.pk}/status", {"status": "terbang"})
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "emergency.unit.status_invalid",
    )
    assert state() == before


def test_a_crew_updating_a_unit_not_theirs_gets_404(
    dispatched: Incident,
    fleet: dict[str, Unit],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
    staff_client: Callable[[Any], Client],
):
    amb01, amb02 = fleet["AMB-01"], fleet["AMB-02"]
    # AMB-01 has a job; its crew is the crew of AMB-02 only, and of another agency's truck.
    for other in (make_crew(amb02), make_crew(fleet["DMK-01"])):
        client = staff_client(other)
        before = state()
        for path, body in (
            (f"{BASE}/units/{amb01.pk}/status", {"status": "diterima"}),
            (f"{BASE}/units/{amb01.pk}/position", {"lat": SAMPIT[0], "lng": SAMPIT[1]}),
            (f"{BASE}/units/999999/status", {"status": "diterima"}),
            (f"{BASE}/units/999999/position", {"lat": SAMPIT[0], "lng": SAMPIT[1]}),
        ):
            response = post_json(client, path, body)
            assert (response.status_code, response.json()) == (404, NOT_YOUR_UNIT), path
        assert state() == before
        assert [u["call_sign"] for u in client.get(f"{BASE}/crew/units").json()] in (
            ["AMB-02"],
            ["DMK-01"],
        )
    assert Unit.objects.get(pk=amb01.pk).status == "ditugaskan"


def test_the_same_citizen_button_five_times_is_one_call(
    fleet: dict[str, Unit], caller_client: Client
):
    body = call_body()
    responses = [post_json(caller_client, f"{BASE}/calls", body) for _ in range(5)]
    assert [r.status_code for r in responses] == [201, 200, 200, 200, 200]
    assert len({r.json()["ref"] for r in responses}) == 1
    assert responses[0].json() == responses[4].json()
    assert Incident.objects.count() == 1
    assert AuditEvent.objects.filter(action="kotacerdas.emergency.incident.called").count() == 1
    assert DeskEvent.objects.filter(incident__isnull=False).count() == 1

    # A second tap whose app made a new key (a reload), within the duplicate window: the same.
    before = state()
    again = [post_json(caller_client, f"{BASE}/calls", call_body()) for _ in range(5)]
    assert [r.status_code for r in again] == [200] * 5
    assert {r.json()["ref"] for r in again} == {responses[0].json()["ref"]}
    assert state() == before
    # A fire is another emergency.
    fire = post_json(caller_client, f"{BASE}/calls", call_body(kind="kebakaran"))
    assert fire.status_code == 201
    assert Incident.objects.count() == 2


def test_a_bad_idempotency_key_is_refused(fleet: dict[str, Unit], caller_client: Client):
    before = state()
    bad = post_json(caller_client, f"{BASE}/calls", call_body(idempotency_key="not-a-uuid"))
    assert (bad.status_code, bad.json()["error"]["code"]) == (
        422,
        "emergency.idempotency_key.invalid",
    )
    missing = post_json(caller_client, f"{BASE}/calls", {"kind": "medis", "lat": 1, "lng": 2})
    assert (missing.status_code, missing.json()["error"]["fields"]) == (
        422,
        {"idempotency_key": ["This field is required."]},
    )
    assert state() == before


def test_a_cancelled_incident_cannot_be_dispatched(
    dispatched: Incident, fleet: dict[str, Unit], desk: Client, caller_client: Client
):
    cancelled = post_json(
        caller_client, f"{BASE}/calls/{dispatched.ref}/cancel", {"reason": "Sudah dibawa tetangga"}
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "dibatalkan",
        "Sudah dibawa tetangga",
    )
    assert Unit.objects.get(pk=fleet["AMB-01"].pk).status == "tersedia"  # released
    before = state()

    response = post_json(
        desk, f"{BASE}/incidents/{dispatched.ref}/dispatch", {"unit_id": fleet["AMB-02"].pk}
    )

    assert (response.status_code, response.json()) == (
        409,
        {
            "error": {
                "code": "emergency.incident.closed",
                "message": "This incident is already “Cancelled”.",
            }
        },
    )
    for action, body in (
        ("triage", {"priority": "merah"}),
        ("cancel", {"reason": "Dua kali"}),
        ("close", {}),
    ):
        refused = post_json(desk, f"{BASE}/incidents/{dispatched.ref}/{action}", body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            409,
            "emergency.incident.closed",
        ), action
    assert state() == before


def test_a_position_far_outside_kotim_is_refused(
    dispatched: Incident, amb01: Unit, crew_client: Client
):
    before = state()
    path = f"{BASE}/units/{amb01.pk}/position"
    response = post_json(crew_client, path, {"lat": OUTSIDE_KOTIM[0], "lng": OUTSIDE_KOTIM[1]})
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": {
                "code": "emergency.position.outside",
                "message": "This position is far outside Kotawaringin Timur; check the phone's "
                "GPS.",
            }
        },
    )
    invalid = post_json(crew_client, path, {"lat": 123.0, "lng": 500.0})
    assert (invalid.status_code, invalid.json()["error"]["code"]) == (
        422,
        "emergency.position.invalid",
    )
    not_a_number = crew_client.post(
        path, data='{"lat": NaN, "lng": 112.95}', content_type="application/json"
    )
    assert (not_a_number.status_code, not_a_number.json()["error"]["code"]) == (422, "validation")
    assert state() == before

    fine = post_json(crew_client, path, {"lat": KUALA_KUAYAN[0], "lng": KUALA_KUAYAN[1]})
    assert fine.status_code == 200
    amb01.refresh_from_db()
    assert fine.json() == {
        "id": amb01.pk,
        "call_sign": "AMB-01",
        "lat": KUALA_KUAYAN[0],
        "lng": KUALA_KUAYAN[1],
        "position_at": iso(amb01.position_at),
    }
    assert UnitPosition.objects.filter(unit=amb01).count() == 1


def test_two_dispatchers_sending_one_unit(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    dispatcher: Any,
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
    agencies: dict[str, Agency],
):
    first = call("medis", SAMPIT)
    second = call("medis", SAMPIT, user=CitizenFactory(phone="6281234500002"))
    other = staff_client(make_staff("dispatcher", agency=agencies["dinkes"]))
    unit = fleet["AMB-01"].pk
    sent = post_json(staff_client(dispatcher), f"{BASE}/incidents/{first.ref}/dispatch",
                     {"unit_id": unit})  # fmt: skip
    assert sent.status_code == 200
    before = state()

    late = post_json(other, f"{BASE}/incidents/{second.ref}/dispatch", {"unit_id": unit})

    assert (late.status_code, late.json()) == (
        409,
        {
            "error": {
                "code": "emergency.unit.busy",
                "message": "AMB-01 is not available (Dispatched): choose another unit.",
            }
        },
    )
    assert state() == before


def test_a_stale_version_is_409(dispatched: Incident, fleet: dict[str, Unit], desk: Client):
    before = state()
    response = post_json(
        desk,
        f"{BASE}/incidents/{dispatched.ref}/dispatch",
        {"unit_id": fleet["AMB-02"].pk, "version": dispatched.version - 1},
    )
    assert (response.status_code, response.json()) == (
        409,
        {
            "error": {
                "code": "emergency.incident.conflict",
                "message": "Someone else changed this incident; look at it again.",
            }
        },
    )
    stale_unit = post_json(
        desk, f"{BASE}/units/{fleet['AMB-01'].pk}/status", {"status": "diterima", "version": 1}
    )
    assert (stale_unit.status_code, stale_unit.json()["error"]["code"]) == (
        409,
        "emergency.unit.conflict",
    )
    assert state() == before


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"unit_id": "x"}, "validation", {"unit_id": ["Enter a number."]}),
        ({}, "validation", {"unit_id": ["This field is required."]}),
        ({"unit_id": 999999}, "emergency.unit.not_found", None),
        ({"unit_id": "DMK-01"}, "validation", {"unit_id": ["Enter a number."]}),
        ({"unit_id": 0, "destination_id": 999999}, "emergency.unit.not_found", None),
    ],
)
def test_dispatch_bad_input(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    desk: Client,
    body: dict[str, Any],
    code: str,
    fields: Any,
):
    incident = call("medis", SAMPIT)
    before = state()
    response = post_json(desk, f"{BASE}/incidents/{incident.ref}/dispatch", body)
    assert response.json()["error"]["code"] == code
    assert response.json()["error"].get("fields") == fields
    assert state() == before


def test_dispatch_a_unit_that_cannot_serve_or_to_a_bad_facility(
    fleet: dict[str, Unit], call: Callable[..., Incident], desk: Client
):
    incident = call("medis", SAMPIT)
    before = state()
    truck = post_json(
        desk, f"{BASE}/incidents/{incident.ref}/dispatch", {"unit_id": fleet["DMK-01"].pk}
    )
    assert (truck.status_code, truck.json()["error"]) == (
        422,
        {
            "code": "emergency.unit.incapable",
            "message": "DMK-01 (Fire truck) cannot answer a call that needs “Ambulance”.",
        },
    )
    nowhere = post_json(
        desk,
        f"{BASE}/incidents/{incident.ref}/dispatch",
        {"unit_id": fleet["AMB-01"].pk, "destination_id": 999999},
    )
    assert (nowhere.status_code, nowhere.json()["error"]["code"]) == (
        422,
        "emergency.destination.invalid",
    )
    assert state() == before


@pytest.mark.parametrize(
    ("path", "body", "code", "fields"),
    [
        ("/calls", {"kind": "banjir", "idempotency_key": "0" * 32, "lat": SAMPIT[0],
                    "lng": SAMPIT[1]}, "emergency.kind.invalid", {"kind": ["Choose one of the options."]}),
        ("/calls", {"kind": "medis", "idempotency_key": "0" * 32, "lat": "utara",
                    "lng": SAMPIT[1]}, "validation", {"lat": ["Enter a number."]}),
        ("/calls", {"kind": "medis", "idempotency_key": "0" * 32, "lat": SAMPIT[0],
                    "lng": SAMPIT[1], "phone": "bukan nomor"}, "emergency.phone.invalid",
         {"phone": ["Enter a phone number, e.g. 0812 3456 7890."]}),
    ],
)  # fmt: skip
def test_call_bad_input(
    fleet: dict[str, Unit],
    caller_client: Client,
    path: str,
    body: dict[str, Any],
    code: str,
    fields: Any,
):
    before = state()
    response = post_json(caller_client, f"{BASE}{path}", body)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"].get("fields")) == (
        code,
        fields,
    )
    assert state() == before


def test_a_citizen_without_a_phone_must_give_one(fleet: dict[str, Unit]):
    client = signed_in(CitizenFactory(phone=""))
    before = state()
    response = post_json(client, f"{BASE}/calls", call_body())
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "emergency.phone.required",
    )
    assert state() == before
    given = post_json(client, f"{BASE}/calls", call_body(phone="0812-3456-7890"))
    assert given.status_code == 201
    assert Incident.objects.get(ref=given.json()["ref"]).caller_phone == "6281234567890"


# --- The caller's own ----------------------------------------------------------------------------
def test_my_calls_lists_only_mine(
    fleet: dict[str, Unit], call: Callable[..., Incident], caller_client: Client
):
    medical = call("medis", SAMPIT)
    fire = call("kebakaran", KUALA_KUAYAN)
    call("medis", SAMPIT, user=CitizenFactory(phone="6281234500002"))  # someone else's
    body = caller_client.get(f"{BASE}/calls").json()
    assert body["count"] == 2
    assert body["items"] == [
        {
            "ref": i.ref,
            "kind": i.kind,
            "kind_label": label,
            "status": "masuk",
            "status_label": "Received",
            "is_open": True,
            "desa_name": i.desa_name,
            "kecamatan_name": i.kecamatan_name,
            "received_at": iso(i.received_at),
            "closed_at": None,
            "cancelled_at": None,
        }
        for i, label in ((fire, "Fire"), (medical, "Medical emergency"))
    ]


def test_someone_elses_call_is_404_and_changes_nothing(
    dispatched: Incident, fleet: dict[str, Unit], desk: Client
):
    ref = dispatched.ref
    for client in (signed_in(CitizenFactory(phone="6281234500002")), desk):
        before = state()
        assert (client.get(f"{BASE}/calls/{ref}").json()) == INCIDENT_NOT_FOUND
        for action, body in (
            ("details", {"details": "Bukan saya", "conscious": False}),
            ("cancel", {"reason": "Iseng membatalkan"}),
        ):
            response = post_json(client, f"{BASE}/calls/{ref}/{action}", body)
            assert (response.status_code, response.json()) == (404, INCIDENT_NOT_FOUND), action
        assert client.get(f"{BASE}/calls").json()["count"] == 0
        assert state() == before


def test_the_caller_sees_the_unit_and_its_eta(
    dispatched: Incident, caller_client: Client, amb01: Unit
):
    body = caller_client.get(f"{BASE}/calls/{dispatched.ref}").json()
    assignment = Assignment.objects.get(incident=dispatched)
    assert body["status"] == "ditugaskan"
    assert body["unit"] == {
        "call_sign": "AMB-01",
        "capability_label": "Ambulance with paramedic",
        "station": amb01.station.name,
        "status": "ditugaskan",
        "status_label": "Dispatched",
        "lat": amb01.station.lat,
        "lng": amb01.station.lng,
    }
    assert body["eta_seconds"] is not None
    assert body["eta_seconds"] > 0
    assert body["destination"] == assignment.destination.name
    assert "caller_phone" not in body
    assert "6281234500001" not in json.dumps(body)


def test_the_caller_cannot_cancel_once_the_crew_is_there(
    dispatched: Incident, amb01: Unit, crew: Any, caller_client: Client
):
    for step in ["diterima", "berangkat", "di_lokasi"]:
        services.unit_step(actor=crew, unit_id=amb01.pk, status=step)
    before = state()
    response = post_json(
        caller_client, f"{BASE}/calls/{dispatched.ref}/cancel", {"reason": "Sudah membaik"}
    )
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": {
                "code": "emergency.incident.crew_on_scene",
                "message": "The crew is already with you; tell them instead.",
            }
        },
    )
    empty = post_json(caller_client, f"{BASE}/calls/{dispatched.ref}/cancel", {"reason": " "})
    assert empty.json()["error"]["code"] == "emergency.text.required"
    assert state() == before


def test_citizen_endpoints_need_authentication(dispatched: Incident):
    before = state()
    client = Client()
    for method, path in (
        ("post", "/calls"),
        ("get", "/calls"),
        ("get", f"/calls/{dispatched.ref}"),
        ("post", f"/calls/{dispatched.ref}/details"),
        ("post", f"/calls/{dispatched.ref}/cancel"),
        ("get", "/board"),
        ("get", "/figures"),
        ("get", "/crew/units"),
    ):
        if method == "post":
            response = post_json(client, f"{BASE}{path}", call_body())
        else:
            response = client.get(f"{BASE}{path}")
        assert (response.status_code, response.json()) == (401, AUTH_REQUIRED), path
    bad_token = Client().get(f"{BASE}/board", HTTP_AUTHORIZATION="Bearer kc_not_a_real_token")
    assert (bad_token.status_code, bad_token.json()) == (401, AUTH_REQUIRED)
    assert state() == before


# --- The desk ------------------------------------------------------------------------------------
def row_of(incident: Incident) -> dict[str, Any]:
    """An incident as the desk's list shows it."""
    from kotacerdas.emergency.models import (
        Capability,
        ChiefComplaint,
        IncidentKind,
        IncidentStatus,
        Priority,
    )

    i = incident
    return {
        "ref": i.ref,
        "kind": i.kind,
        "kind_label": str(IncidentKind(i.kind).label),
        "priority": i.priority,
        "priority_label": str(Priority(i.priority).label),
        "status": i.status,
        "status_label": str(IncidentStatus(i.status).label),
        "need": i.need,
        "need_label": str(Capability(i.need).label),
        "source": i.source,
        "chief_complaint": i.chief_complaint,
        "complaint_label": (
            str(ChiefComplaint(i.chief_complaint).label) if i.chief_complaint else ""
        ),
        "caller_phone": i.caller_phone,
        "caller_name": i.caller_name,
        "desa_code": i.desa_code,
        "desa_name": i.desa_name,
        "kecamatan_code": i.kecamatan_code,
        "kecamatan_name": i.kecamatan_name,
        "address": i.address,
        "lat": i.lat,
        "lng": i.lng,
        "location_approximate": i.location_approximate,
        "patients_count": i.patients_count,
        "conscious": i.conscious,
        "breathing": i.breathing,
        "is_open": i.is_open,
        "received_at": iso(i.received_at),
        "accepted_at": iso(i.accepted_at),
        "dispatched_at": iso(i.dispatched_at),
        "on_scene_at": iso(i.on_scene_at),
        "closed_at": iso(i.closed_at),
        "cancelled_at": iso(i.cancelled_at),
        "response_seconds": i.response_seconds,
        "version": i.version,
    }


def test_record_a_phone_call_by_desa(fleet: dict[str, Unit], desk: Client, dispatcher: Any):
    response = post_json(
        desk,
        f"{BASE}/incidents",
        phone_call(
            lat=None,
            lng=None,
            desa_code=SAMPIT_DESA,
            caller_name="Bu Sari",
            priority="merah",
            chief_complaint="nyeri_dada",
            details="Nyeri dada sejak pagi",
            address="Depan masjid",
            patients_count=1,
        ),
    )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(ref=response.json()["ref"])
    assert response.json() == {
        **row_of(incident),
        "en_route_at": None,
        "transporting_at": None,
        "at_facility_at": None,
        "cancel_reason": "",
        "details_given": True,
        "assignments": [],
        "related": [],
    }
    assert (incident.status, incident.source, incident.location_approximate) == (
        "diterima",
        "telepon",
        True,
    )
    assert (incident.need, incident.caller_phone, incident.call_taker) == (
        "ambulans_paramedis",
        "6281234567890",
        dispatcher,
    )
    assert "Nyeri dada" not in response.content.decode()  # health data: the patients endpoint

    again = post_json(desk, f"{BASE}/incidents", phone_call(address="Jl. Tjilik Riwut"))
    related = again.json()["related"]
    assert [(r["ref"], r["same_phone"]) for r in related] == [(incident.ref, True)]


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        (phone_call(priority="ungu"), "emergency.priority.invalid",
         {"priority": ["Choose one of the options."]}),
        (phone_call(chief_complaint=""), "emergency.complaint.invalid",
         {"chief_complaint": ["Choose one of the options."]}),
        (phone_call(caller_phone=""), "emergency.phone.required",
         {"phone": ["Give a phone number the desk can call back."]}),
        (phone_call(lat=None, lng=None, desa_code="99.99"), "emergency.location.unknown_desa",
         {"desa_code": ["Choose a desa or kelurahan of Kotawaringin Timur."]}),
        (phone_call(patients_count=500), "emergency.number.invalid",
         {"patients_count": ["Enter a whole number from 0 to 99."]}),
        (phone_call(need="helikopter"), "emergency.need.invalid",
         {"need": ["Choose one of the options."]}),
        (phone_call(conscious="mungkin"), "validation",
         {"conscious": ["This value is not valid."]}),
    ],
)  # fmt: skip
def test_record_a_phone_call_bad_input(
    fleet: dict[str, Unit], desk: Client, body: dict[str, Any], code: str, fields: Any
):
    before = state()
    response = post_json(desk, f"{BASE}/incidents", body)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"].get("fields")) == (
        code,
        fields,
    )
    assert state() == before


def test_incident_list_and_filters(
    dispatched: Incident, fleet: dict[str, Unit], desk: Client, dispatcher: Any
):
    fire = services.incident_record_call(
        actor=dispatcher,
        kind="kebakaran",
        priority="merah",
        chief_complaint="kebakaran_lahan",
        caller_phone="081299990000",
        lat=KUALA_KUAYAN[0],
        lng=KUALA_KUAYAN[1],
    )
    services.incident_close(actor=dispatcher, ref=fire.ref, note="Padam sendiri")
    fire.refresh_from_db()

    body = desk.get(f"{BASE}/incidents").json()
    assert body == {"count": 2, "items": [row_of(fire), row_of(dispatched)]}

    def refs(query: str) -> list[str]:
        return [r["ref"] for r in desk.get(f"{BASE}/incidents?{query}").json()["items"]]

    assert refs("open=true") == [dispatched.ref]
    assert refs("status=selesai") == [fire.ref]
    assert refs("kind=medis") == [dispatched.ref]
    assert refs("search=0812-9999-0000") == [fire.ref]
    assert refs("search=6281299990000") == [fire.ref]
    assert refs(f"search={fire.desa_name}") == [fire.ref]
    assert refs(f"search={dispatched.ref}") == [dispatched.ref]
    assert refs("limit=1&offset=1") == [dispatched.ref]
    bad = desk.get(f"{BASE}/incidents?status=hilang&kind=banjir")
    assert (bad.status_code, bad.json()) == (
        422,
        {
            "error": {
                "code": "emergency.filter.invalid",
                "message": "Choose one of the allowed values.",
                "fields": {"status": ["Choose one of the allowed values."]},
            }
        },
    )
    too_many = desk.get(f"{BASE}/incidents?limit=1000")
    assert too_many.json()["error"]["fields"] == {"limit": ["Must be between 1 and 200."]}


def test_incident_detail_with_its_units(
    dispatched: Incident, fleet: dict[str, Unit], desk: Client, amb01: Unit
):
    body = desk.get(f"{BASE}/incidents/{dispatched.ref}").json()
    a = Assignment.objects.select_related("destination").get(incident=dispatched)
    assert body == {
        **row_of(dispatched),
        "en_route_at": None,
        "transporting_at": None,
        "at_facility_at": None,
        "cancel_reason": "",
        "details_given": False,
        "assignments": [
            {
                "id": a.pk,
                "unit_id": amb01.pk,
                "call_sign": "AMB-01",
                "capability": "ambulans_paramedis",
                "unit_status": "ditugaskan",
                "unit_status_label": "Dispatched",
                "destination": {"id": a.destination.pk, "name": a.destination.name},
                "eta_seconds": a.eta_seconds,
                "eta_fixed": False,
                "dispatched_at": iso(a.dispatched_at),
                "acknowledged_at": None,
                "en_route_at": None,
                "on_scene_at": None,
                "transporting_at": None,
                "at_facility_at": None,
                "cleared_at": None,
                "released_reason": "",
                "is_open": True,
            }
        ],
        "related": [],
    }
    missing = desk.get(f"{BASE}/incidents/2611-ZZZZZZ")
    assert (missing.status_code, missing.json()) == (404, INCIDENT_NOT_FOUND)


def test_triage_accepts_an_app_call(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    desk: Client,
    caller: Any,
    django_capture_on_commit_callbacks: Any,
):
    incident = call("medis", SAMPIT)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            desk,
            f"{BASE}/incidents/{incident.ref}/triage",
            {
                "version": 1,
                "priority": "merah",
                "chief_complaint": "sesak_napas",
                "breathing": True,
            },
        )
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert response.json()["status"] == "diterima"
    assert (incident.priority, incident.need, incident.chief_complaint, incident.breathing) == (
        "merah",
        "ambulans_paramedis",
        "sesak_napas",
        True,
    )
    assert Notification.objects.filter(recipient=caller).count() == 1
    stale = post_json(desk, f"{BASE}/incidents/{incident.ref}/triage", {"version": 1})
    assert stale.json()["error"]["code"] == "emergency.incident.conflict"


def test_release_and_close(dispatched: Incident, fleet: dict[str, Unit], desk: Client):
    assignment = Assignment.objects.get(incident=dispatched)
    empty = post_json(desk, f"{BASE}/assignments/{assignment.pk}/release", {"reason": ""})
    assert empty.json()["error"]["code"] == "emergency.text.required"
    closing = post_json(desk, f"{BASE}/incidents/{dispatched.ref}/close", {})
    assert (closing.status_code, closing.json()["error"]["code"]) == (
        422,
        "emergency.incident.units_active",
    )

    released = post_json(
        desk, f"{BASE}/assignments/{assignment.pk}/release", {"reason": "Unit lain lebih dekat"}
    )
    assert released.status_code == 200
    assert released.json()["status"] == "diterima"
    assert released.json()["assignments"][0]["released_reason"] == "Unit lain lebih dekat"
    assert released.json()["assignments"][0]["is_open"] is False
    assert Unit.objects.get(pk=fleet["AMB-01"].pk).status == "tersedia"
    twice = post_json(desk, f"{BASE}/assignments/{assignment.pk}/release", {"reason": "Lagi"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (
        409,
        "emergency.assignment.closed",
    )
    unknown = post_json(desk, f"{BASE}/assignments/999999/release", {"reason": "Lagi"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (
        404,
        "emergency.assignment.not_found",
    )

    closed = post_json(desk, f"{BASE}/incidents/{dispatched.ref}/close", {"note": "Lewat telepon"})
    assert (closed.status_code, closed.json()["status"], closed.json()["is_open"]) == (
        200,
        "selesai",
        False,
    )


def test_desk_cancel_releases_its_units(dispatched: Incident, fleet: dict[str, Unit], desk: Client):
    response = post_json(
        desk, f"{BASE}/incidents/{dispatched.ref}/cancel", {"reason": "Panggilan palsu"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancel_reason"], body["assignments"][0]["is_open"]) == (
        "dibatalkan",
        "Panggilan palsu",
        False,
    )
    assert Unit.objects.get(pk=fleet["AMB-01"].pk).status == "tersedia"


def test_board_and_its_changes(
    dispatched: Incident, fleet: dict[str, Unit], desk: Client, call: Callable[..., Incident]
):
    board = desk.get(f"{BASE}/board").json()
    assert [r["ref"] for r in board["incidents"]] == [dispatched.ref]
    row = board["incidents"][0]
    assert (row["waiting"], row["offer"], [u["call_sign"] for u in row["units"]]) == (
        False,
        None,
        ["AMB-01"],
    )
    amb01 = next(u for u in board["units"] if u["call_sign"] == "AMB-01")
    assert (amb01["status"], amb01["incident_ref"]) == ("ditugaskan", dispatched.ref)
    assert board["counts"] == {
        "open": 1,
        "waiting": 0,
        "no_unit": 0,
        "available": len(fleet) - 1,
        "busy": 1,
        "out_of_service": 0,
    }

    nothing = desk.get(f"{BASE}/board/changes?since={board['seq']}").json()
    assert nothing == {"seq": board["seq"], "incidents": [], "units": []}
    fire = call("kebakaran", SAMPIT)
    out = post_json(
        desk,
        f"{BASE}/units/{fleet['AMB-05'].pk}/service",
        {"in_service": False, "reason": "Ban bocor"},
    )
    assert out.status_code == 200
    changed = desk.get(f"{BASE}/board/changes?since={board['seq']}").json()
    assert changed == {
        "seq": selectors.latest_seq(),
        "incidents": [fire.ref],
        "units": [fleet["AMB-05"].pk],
    }
    bad = desk.get(f"{BASE}/board/changes?since=-1")
    assert (bad.status_code, bad.json()["error"]["fields"]) == (
        422,
        {"since": ["Must be at least 0."]},
    )


def test_units_in_and_out_of_service(dispatched: Incident, fleet: dict[str, Unit], desk: Client):
    amb02 = fleet["AMB-02"]
    out = post_json(desk, f"{BASE}/units/{amb02.pk}/service", {"in_service": False,
                                                               "reason": "Servis rutin"})  # fmt: skip
    amb02.refresh_from_db()
    assert out.json() == {
        "id": amb02.pk,
        "call_sign": "AMB-02",
        "capability": "ambulans_paramedis",
        "capability_label": "Ambulance with paramedic",
        "plate": amb02.plate,
        "status": "tidak_aktif",
        "status_label": "Out of service",
        "status_changed_at": iso(amb02.status_changed_at),
        "out_of_service_reason": "Servis rutin",
        "station": {
            "id": amb02.station.pk,
            "code": amb02.station.code,
            "name": amb02.station.name,
        },
        "agency": "rsud-murjani",
        "lat": amb02.station.lat,
        "lng": amb02.station.lng,
        "position_at": None,
        "incident_ref": "",
        "version": amb02.version,
    }
    listed = desk.get(f"{BASE}/units").json()
    assert [u["call_sign"] for u in listed] == sorted(fleet)
    assert next(u for u in listed if u["call_sign"] == "AMB-02") == out.json()
    assert next(u for u in listed if u["call_sign"] == "AMB-01")["incident_ref"] == dispatched.ref

    before = state()
    no_reason = post_json(desk, f"{BASE}/units/{fleet['AMB-03'].pk}/service",
                          {"in_service": False})  # fmt: skip
    assert no_reason.json()["error"]["code"] == "emergency.text.required"
    busy = post_json(desk, f"{BASE}/units/{fleet['AMB-01'].pk}/service",
                     {"in_service": False, "reason": "Mogok"})  # fmt: skip
    assert (busy.status_code, busy.json()["error"]["code"]) == (422, "emergency.unit.busy")
    assert state() == before

    back = post_json(desk, f"{BASE}/units/{amb02.pk}/service", {"in_service": True})
    assert (back.json()["status"], back.json()["out_of_service_reason"]) == ("tersedia", "")


def test_recommendations_rank_units_and_facilities(
    fleet: dict[str, Unit], call: Callable[..., Incident], desk: Client
):
    fire = call("kebakaran", SAMPIT)
    body = desk.get(f"{BASE}/incidents/{fire.ref}/recommendations").json()
    expected = selectors.recommend_units(incident=fire)
    assert [u["call_sign"] for u in body["units"]] == [r.unit.call_sign for r in expected]
    assert all(u["capability"] == "damkar" for u in body["units"])
    first = expected[0]
    assert body["units"][0] == {
        "unit_id": first.unit.pk,
        "call_sign": first.unit.call_sign,
        "capability": "damkar",
        "capability_label": "Fire truck",
        "station": first.unit.station.name,
        "eta_seconds": first.ranked.eta_seconds,
        "eta_minutes": first.eta_minutes,
        "fixed": False,
        "exact": True,
        "distance_m": round(first.ranked.distance_m, 1),
    }
    facilities = selectors.recommend_facilities(incident=fire)
    assert [f["id"] for f in body["facilities"]] == [o.facility.pk for o in facilities]


# --- Patients ------------------------------------------------------------------------------------
def test_patients_are_read_only_there_and_audited(
    dispatched: Incident,
    desk: Client,
    crew_client: Client,
    caller_client: Client,
    dispatcher: Any,
    crew: Any,
):
    post_json(caller_client, f"{BASE}/calls/{dispatched.ref}/details",
              {"details": "Kejang lalu pingsan"})  # fmt: skip
    path = f"{BASE}/incidents/{dispatched.ref}/patients"
    added = post_json(
        desk, path, {"name": "Siti Aminah", "nik": NIK, "age_years": 34, "sex": "P",
                     "condition": "Kejang, sadar kembali"},
    )  # fmt: skip
    assert added.status_code == 201
    patient = Patient.objects.get(incident=dispatched)
    assert added.json() == {"id": patient.pk, "ref": dispatched.ref, "created": True}
    assert "Siti" not in patient.name_encrypted
    assert patient.nik_last4 == "0001"

    views = AuditEvent.objects.filter(action="kotacerdas.emergency.patient.viewed")
    read = desk.get(path)
    assert read.json() == {
        "ref": dispatched.ref,
        "details": "Kejang lalu pingsan",
        "patients": [
            {
                "id": patient.pk,
                "name": "Siti Aminah",
                "nik": NIK,
                "age_years": 34,
                "sex": "P",
                "condition": "Kejang, sadar kembali",
            }
        ],
    }
    assert list(views.values_list("actor_id", flat=True)) == [dispatcher.pk]
    by_crew = crew_client.get(path).json()
    assert by_crew["patients"][0]["nik"] == "6202********0001"
    assert by_crew["patients"][0]["name"] == "Siti Aminah"
    assert list(views.order_by("pk").values_list("actor_id", flat=True)) == [dispatcher.pk, crew.pk]

    fixed = post_json(crew_client, path, {"patient_id": patient.pk, "name": "Siti Aminah",
                                          "age_years": 35, "sex": "P"})  # fmt: skip
    assert (fixed.status_code, fixed.json()["created"]) == (200, False)
    assert Patient.objects.get(pk=patient.pk).age_years == 35

    # Nowhere else: not the board, the lists, the detail, the crew's job, the caller's status.
    for client, other in (
        (desk, f"{BASE}/board"),
        (desk, f"{BASE}/incidents"),
        (desk, f"{BASE}/incidents/{dispatched.ref}"),
        (desk, f"{BASE}/board/changes?since=0"),
        (crew_client, f"{BASE}/crew/units"),
        (caller_client, f"{BASE}/calls/{dispatched.ref}"),
        (caller_client, f"{BASE}/calls"),
    ):
        text = client.get(other).content.decode()
        for secret in ("Siti", NIK, "6202********0001", "Kejang"):
            assert secret not in text, (other, secret)
    assert caller_client.get(path).status_code == 403


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"nik": "1234"}, "emergency.patient.nik_invalid", {"nik": ["A NIK has 16 digits."]}),
        ({"sex": "X"}, "emergency.patient.sex_invalid", {"sex": ["Choose one of the options."]}),
        ({"age_years": 200}, "emergency.number.invalid",
         {"age_years": ["Enter a whole number from 0 to 130."]}),
        ({"patient_id": 999999}, "emergency.patient.not_found", None),
    ],
)  # fmt: skip
def test_patient_bad_input(
    dispatched: Incident, desk: Client, body: dict[str, Any], code: str, fields: Any
):
    before = state()
    response = post_json(desk, f"{BASE}/incidents/{dispatched.ref}/patients", body)
    assert (response.json()["error"]["code"], response.json()["error"].get("fields")) == (
        code,
        fields,
    )
    assert state() == before


def test_crew_of_another_unit_cannot_read_patients(
    dispatched: Incident,
    fleet: dict[str, Unit],
    make_crew: Callable[[Unit], Any],
    staff_client: Callable[[Any], Client],
):
    client = staff_client(make_crew(fleet["AMB-02"]))
    before = state()
    path = f"{BASE}/incidents/{dispatched.ref}/patients"
    assert (client.get(path).status_code, client.get(path).json()) == (404, INCIDENT_NOT_FOUND)
    response = post_json(client, path, {"name": "Budi"})
    assert (response.status_code, response.json()) == (404, INCIDENT_NOT_FOUND)
    assert state() == before


# --- Bearer tokens -------------------------------------------------------------------------------
def test_the_desk_works_with_a_bearer_token(
    fleet: dict[str, Unit], call: Callable[..., Incident], dispatcher: Any
):
    incident = call("medis", SAMPIT)
    token, prefix, digest = token_generate()
    ApiToken.objects.create(user=dispatcher, name="cad", prefix=prefix, token_hash=digest)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    board = client.get(f"{BASE}/board", **auth)
    assert board.status_code == 200
    assert [r["ref"] for r in board.json()["incidents"]] == [incident.ref]
    sent = post_json(
        client, f"{BASE}/incidents/{incident.ref}/dispatch", {"unit_id": fleet["AMB-01"].pk}, **auth
    )
    assert (sent.status_code, sent.json()["status"]) == (200, "ditugaskan")
    assert Assignment.objects.get(incident=incident).dispatched_by == dispatcher
    recorded = post_json(client, f"{BASE}/incidents", phone_call(), **auth)
    assert recorded.status_code == 201
    assert client.get(f"{BASE}/figures", **auth).status_code == 200
    # A citizen's token is not the desk's.
    citizen_token, prefix, digest = token_generate()
    ApiToken.objects.create(user=incident.caller, name="hp", prefix=prefix, token_hash=digest)
    refused = client.get(f"{BASE}/board", HTTP_AUTHORIZATION=f"Bearer {citizen_token}")
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    mine = client.get(f"{BASE}/calls/{incident.ref}", HTTP_AUTHORIZATION=f"Bearer {citizen_token}")
    assert (mine.status_code, mine.json()["status"]) == (200, "ditugaskan")


def test_an_unverified_staff_session_holds_nothing(dispatched: Incident, dispatcher: Any):
    client = signed_in(dispatcher)  # password only, no TOTP
    before = state()
    assert (client.get(f"{BASE}/board").status_code, client.get(f"{BASE}/board").json()) == (
        403,
        FORBIDDEN,
    )
    response = post_json(client, f"{BASE}/incidents/{dispatched.ref}/cancel", {"reason": "Uji"})
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert state() == before


# --- Query budgets: 20 more rows, not one more query ---------------------------------------------
# Session and user (+ the OTP device and memberships for staff), then the reads themselves.
Q_MY_CALLS = 4  # session, user, count, page
Q_CALL_STATUS = 6  # session, user, incident, assignments, change-feed seq, river access
Q_INCIDENTS = 6  # session, user, device, memberships, count, page
Q_INCIDENT = 7  # staff 4, incident, assignments, related calls
Q_BOARD = 9  # staff 4, seq, incidents, assignments, units, river access
Q_CHANGES = 6  # staff 4, change feed, refs of the changed incidents
Q_UNITS = 6  # staff 4, units, current jobs
Q_CREW_UNITS = 6  # staff 4, units, current jobs
Q_PATIENTS = 8  # staff 4, incident, patients, audit event, incident (the caller's words)
Q_FIGURES = 11  # staff 4, 30 days, kecamatan, month, per day, utilisation (2), waiting


def more_phone_calls(dispatcher: Any, n: int = 20, **overrides: Any) -> list[Incident]:
    body = phone_call(**overrides)
    return [services.incident_record_call(actor=dispatcher, **body) for _ in range(n)]


def test_my_calls_query_count_does_not_grow(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    caller: Any,
    caller_client: Client,
    django_assert_num_queries: Any,
):
    call("kebakaran", SAMPIT)
    caller_client.get(f"{BASE}/calls")
    with django_assert_num_queries(Q_MY_CALLS):
        assert caller_client.get(f"{BASE}/calls").json()["count"] == 1
    for _ in range(20):  # each one cancelled, so the next is not a duplicate
        services.incident_cancel(actor=caller, ref=call("medis", SAMPIT).ref, reason="Uji coba")
    with django_assert_num_queries(Q_MY_CALLS):
        assert len(caller_client.get(f"{BASE}/calls").json()["items"]) == 21


def test_call_status_query_count_does_not_grow(
    dispatched: Incident,
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    caller: Any,
    caller_client: Client,
    dispatcher: Any,
    django_assert_num_queries: Any,
):
    path = f"{BASE}/calls/{dispatched.ref}"
    caller_client.get(path)
    with django_assert_num_queries(Q_CALL_STATUS):
        assert caller_client.get(path).json()["unit"]["call_sign"] == "AMB-01"
    # 20 more units sent and recalled, 20 more changes on the feed.
    for unit in [u for u in fleet.values() if u.capability.startswith("ambulans")][1:21]:
        a = services.incident_dispatch(actor=dispatcher, ref=dispatched.ref, unit_id=unit.pk)
        services.assignment_release(actor=dispatcher, assignment_id=a.pk, reason="Uji coba")
    with django_assert_num_queries(Q_CALL_STATUS):
        assert caller_client.get(path).json()["unit"]["call_sign"] == "AMB-01"


def test_incident_list_query_count_does_not_grow(
    fleet: dict[str, Unit], desk: Client, dispatcher: Any, django_assert_num_queries: Any
):
    more_phone_calls(dispatcher, 1)
    desk.get(f"{BASE}/incidents")
    with django_assert_num_queries(Q_INCIDENTS):
        assert desk.get(f"{BASE}/incidents").json()["count"] == 1
    more_phone_calls(dispatcher, 20)
    with django_assert_num_queries(Q_INCIDENTS):
        assert len(desk.get(f"{BASE}/incidents").json()["items"]) == 21


def test_incident_detail_query_count_does_not_grow(
    dispatched: Incident,
    fleet: dict[str, Unit],
    desk: Client,
    dispatcher: Any,
    django_assert_num_queries: Any,
):
    path = f"{BASE}/incidents/{dispatched.ref}"
    desk.get(path)
    with django_assert_num_queries(Q_INCIDENT):
        assert len(desk.get(path).json()["assignments"]) == 1
    for unit in [u for u in fleet.values() if u.capability.startswith("ambulans")][1:21]:
        a = services.incident_dispatch(actor=dispatcher, ref=dispatched.ref, unit_id=unit.pk)
        services.assignment_release(actor=dispatcher, assignment_id=a.pk, reason="Uji coba")
    earlier = dispatched.received_at - dt.timedelta(minutes=30)
    more_phone_calls(dispatcher, 20, caller_phone=dispatched.caller_phone, now=earlier)
    with django_assert_num_queries(Q_INCIDENT):
        body = desk.get(path).json()
    assert (len(body["assignments"]), len(body["related"])) == (21, 10)


def test_board_query_count_does_not_grow(
    dispatched: Incident,
    fleet: dict[str, Unit],
    desk: Client,
    dispatcher: Any,
    django_assert_num_queries: Any,
):
    desk.get(f"{BASE}/board")
    with django_assert_num_queries(Q_BOARD):
        assert desk.get(f"{BASE}/board").json()["counts"]["open"] == 1
    calls = more_phone_calls(dispatcher, 20)
    services.incident_dispatch(actor=dispatcher, ref=calls[0].ref, unit_id=fleet["AMB-02"].pk)
    with django_assert_num_queries(Q_BOARD):
        assert desk.get(f"{BASE}/board").json()["counts"]["open"] == 21


def test_board_changes_query_count_does_not_grow(
    dispatched: Incident, desk: Client, dispatcher: Any, django_assert_num_queries: Any
):
    since = selectors.latest_seq()
    more_phone_calls(dispatcher, 1)
    with django_assert_num_queries(Q_CHANGES):
        assert len(desk.get(f"{BASE}/board/changes?since={since}").json()["incidents"]) == 1
    more_phone_calls(dispatcher, 20)
    with django_assert_num_queries(Q_CHANGES):
        assert len(desk.get(f"{BASE}/board/changes?since={since}").json()["incidents"]) == 21


def test_units_query_count_does_not_grow(
    dispatched: Incident,
    fleet: dict[str, Unit],
    desk: Client,
    dispatcher: Any,
    django_assert_num_queries: Any,
):
    desk.get(f"{BASE}/units")
    with django_assert_num_queries(Q_UNITS):
        assert len(desk.get(f"{BASE}/units").json()) == len(fleet)
    station = fleet["AMB-01"].station
    for n in range(20):
        services.unit_save(
            actor=None, call_sign=f"UJI-{n:02d}", station_id=station.pk, capability="ambulans"
        )
    calls = more_phone_calls(dispatcher, 5)
    for n, incident in enumerate(calls):
        unit = Unit.objects.get(call_sign=f"UJI-{n:02d}")
        services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    with django_assert_num_queries(Q_UNITS):
        body = desk.get(f"{BASE}/units").json()
    assert len(body) == len(fleet) + 20
    assert sum(1 for u in body if u["incident_ref"]) == 6


def test_crew_units_query_count_does_not_grow(
    dispatched: Incident,
    fleet: dict[str, Unit],
    crew: Any,
    crew_client: Client,
    dispatcher: Any,
    django_assert_num_queries: Any,
):
    crew_client.get(f"{BASE}/crew/units")
    with django_assert_num_queries(Q_CREW_UNITS):
        assert [u["job"]["ref"] for u in crew_client.get(f"{BASE}/crew/units").json()] == [
            dispatched.ref
        ]
    station = fleet["AMB-01"].station
    calls = more_phone_calls(dispatcher, 10)
    for n in range(20):
        unit = services.unit_save(
            actor=None, call_sign=f"UJI-{n:02d}", station_id=station.pk, capability="ambulans"
        )
        unit.crew.add(crew)
        if n < 10:
            services.incident_dispatch(actor=dispatcher, ref=calls[n].ref, unit_id=unit.pk)
    with django_assert_num_queries(Q_CREW_UNITS):
        body = crew_client.get(f"{BASE}/crew/units").json()
    assert len(body) == 21
    assert sum(1 for u in body if u["job"]) == 11


def test_patients_query_count_does_not_grow(
    dispatched: Incident, desk: Client, dispatcher: Any, django_assert_num_queries: Any
):
    path = f"{BASE}/incidents/{dispatched.ref}/patients"
    services.patient_save(actor=dispatcher, ref=dispatched.ref, name="Pasien 0")
    desk.get(path)
    with django_assert_num_queries(Q_PATIENTS):
        assert len(desk.get(path).json()["patients"]) == 1
    for n in range(1, 21):
        services.patient_save(actor=dispatcher, ref=dispatched.ref, name=f"Pasien {n}", nik=NIK)
    with django_assert_num_queries(Q_PATIENTS):
        assert len(desk.get(path).json()["patients"]) == 21


def test_figures_query_count_does_not_grow(
    dispatched: Incident, desk: Client, dispatcher: Any, django_assert_num_queries: Any
):
    desk.get(f"{BASE}/figures")
    with django_assert_num_queries(Q_FIGURES):
        assert desk.get(f"{BASE}/figures").json()["overall_30_days"] is None
    calls = more_phone_calls(dispatcher, 20)
    Incident.objects.filter(pk__in=[i.pk for i in calls]).update(response_seconds=600)
    with django_assert_num_queries(Q_FIGURES):
        body = desk.get(f"{BASE}/figures").json()
    assert body["overall_30_days"]["calls"] == 20
    assert body["overall_30_days"]["median_s"] == 600.0
    assert body["waiting_without_unit"] == 20
    assert body["calls_per_day"][-1]["calls"] == 21


# --- Role matrices -------------------------------------------------------------------------------
@pytest.fixture
def scene(
    dispatched: Incident, fleet: dict[str, Unit], dispatcher: Any, agencies: dict[str, Agency]
) -> dict[str, Any]:
    """AMB-01 on a citizen's call (one patient recorded), and a phone call waiting for a unit."""
    services.patient_save(actor=dispatcher, ref=dispatched.ref, name="Siti Aminah", nik=NIK)
    [waiting] = more_phone_calls(dispatcher, 1)
    return {
        "dispatched": dispatched.ref,
        "waiting": waiting.ref,
        "assignment": Assignment.objects.get(incident=dispatched).pk,
        "fleet": fleet,
        "agencies": agencies,
    }


def scope_for(role: str, agencies: dict[str, Agency]) -> dict[str, Any]:
    if role in ("warga", "operator_desa", "kepala_desa"):
        return {"region_code": SAMPIT_DESA}
    if role == "operator_kecamatan":
        return {"region_code": "62.02.06"}
    if role in ("petugas_opd", "kepala_opd"):
        return {"agency": agencies["rsud-murjani"]}  # AMB-01..03's hospital
    if role == "dispatcher":
        return {"agency": agencies["dinkes"]}
    return {}


S = dict[str, Any]
DESK_ONLY = {"dispatcher"}
# (name, method, path, body, roles that succeed with the status they get, what they see)
ENDPOINTS: list[tuple[str, str, Callable[[S], str], Callable[[S], Any], dict[str, int],
                      Callable[[Any, S, str], bool]]] = [
    ("board", "get", lambda s: "/board", lambda s: None, {"dispatcher": 200},
     lambda b, s, r: [i["ref"] for i in b["incidents"]] == [s["waiting"], s["dispatched"]]),
    ("changes", "get", lambda s: "/board/changes?since=0", lambda s: None, {"dispatcher": 200},
     lambda b, s, r: s["dispatched"] in b["incidents"]),
    ("record", "post", lambda s: "/incidents", lambda s: phone_call(), {"dispatcher": 201},
     lambda b, s, r: b["status"] == "diterima"),
    ("incidents", "get", lambda s: "/incidents", lambda s: None, {"dispatcher": 200},
     lambda b, s, r: b["count"] == 2),
    ("incident", "get", lambda s: f"/incidents/{s['dispatched']}", lambda s: None,
     {"dispatcher": 200}, lambda b, s, r: b["ref"] == s["dispatched"]),
    ("triage", "post", lambda s: f"/incidents/{s['waiting']}/triage",
     lambda s: {"priority": "merah"}, {"dispatcher": 200}, lambda b, s, r: b["priority"] == "merah"),
    ("recommendations", "get", lambda s: f"/incidents/{s['waiting']}/recommendations",
     lambda s: None, {"dispatcher": 200},
     lambda b, s, r: b["units"][0]["capability"] == "ambulans"
     and "AMB-01" not in [u["call_sign"] for u in b["units"]]),
    ("dispatch", "post", lambda s: f"/incidents/{s['waiting']}/dispatch",
     lambda s: {"unit_id": s["fleet"]["AMB-02"].pk}, {"dispatcher": 200},
     lambda b, s, r: b["status"] == "ditugaskan"),
    ("cancel", "post", lambda s: f"/incidents/{s['waiting']}/cancel",
     lambda s: {"reason": "Panggilan palsu"}, {"dispatcher": 200},
     lambda b, s, r: b["status"] == "dibatalkan"),
    ("close", "post", lambda s: f"/incidents/{s['waiting']}/close", lambda s: {},
     {"dispatcher": 200}, lambda b, s, r: b["status"] == "selesai"),
    ("release", "post", lambda s: f"/assignments/{s['assignment']}/release",
     lambda s: {"reason": "Unit lain lebih dekat"}, {"dispatcher": 200},
     lambda b, s, r: b["status"] == "diterima"),
    ("patients", "get", lambda s: f"/incidents/{s['dispatched']}/patients", lambda s: None,
     {"dispatcher": 200, "petugas_opd": 200},
     lambda b, s, r: [p["nik"] for p in b["patients"]]
     == [NIK if r == "dispatcher" else "6202********0001"]),
    ("patient_save", "post", lambda s: f"/incidents/{s['dispatched']}/patients",
     lambda s: {"name": "Budi"}, {"dispatcher": 201, "petugas_opd": 201},
     lambda b, s, r: b["created"] is True),
    ("units", "get", lambda s: "/units", lambda s: None,
     {"dispatcher": 200, "kepala_opd": 200, "admin": 200},
     lambda b, s, r: {u["agency"] for u in b}
     == ({"rsud-murjani"} if r == "kepala_opd" else {"rsud-murjani", "dinkes", "damkar"})),
    ("service", "post", lambda s: f"/units/{s['fleet']['AMB-03'].pk}/service",
     lambda s: {"in_service": False, "reason": "Servis rutin"},
     {"dispatcher": 200, "kepala_opd": 200, "admin": 200},
     lambda b, s, r: b["status"] == "tidak_aktif"),
    ("crew_units", "get", lambda s: "/crew/units", lambda s: None, {"petugas_opd": 200},
     lambda b, s, r: [(u["call_sign"], u["job"]["ref"]) for u in b] == [("AMB-01",
                                                                          s["dispatched"])]),
    ("status", "post", lambda s: f"/units/{s['fleet']['AMB-01'].pk}/status",
     lambda s: {"status": "diterima"}, {"dispatcher": 200, "petugas_opd": 200},
     lambda b, s, r: b["status"] == "diterima"),
    ("position", "post", lambda s: f"/units/{s['fleet']['AMB-01'].pk}/position",
     lambda s: {"lat": SAMPIT[0], "lng": SAMPIT[1], "accuracy_m": 12.5},
     {"dispatcher": 200, "petugas_opd": 200}, lambda b, s, r: b["lat"] == SAMPIT[0]),
    ("figures", "get", lambda s: "/figures", lambda s: None,
     {"dispatcher": 200, "kepala_opd": 200, "dewan": 200, "admin": 200},
     lambda b, s, r: b["waiting_without_unit"] == 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [(e, r) for e in ENDPOINTS for r in ALL_ROLES],
    ids=[f"{e[0]}-{r}" for e in ENDPOINTS for r in ALL_ROLES],
)
def test_role_matrix(
    endpoint: tuple[Any, ...],
    role: str,
    scene: dict[str, Any],
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
):
    _name, method, path, body, allowed, sees = endpoint
    user = make_staff(role, **scope_for(role, scene["agencies"]))
    if role == "petugas_opd":
        scene["fleet"]["AMB-01"].crew.add(user)  # the crew of the unit on the incident
    client = staff_client(user)
    before = state()

    url = f"{BASE}{path(scene)}"
    response = client.get(url) if method == "get" else post_json(client, url, body(scene))

    if role in allowed:
        assert response.status_code == allowed[role], response.json()
        assert sees(response.json(), scene, role)
        return
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert state() == before


def test_openapi_documents_the_emergency_endpoints(db: None):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = {p for p in schema["paths"] if p.startswith(BASE)}
    assert paths == {
        f"{BASE}{p}"
        for p in (
            "/calls", "/calls/{ref}", "/calls/{ref}/details", "/calls/{ref}/cancel",
            "/board", "/board/changes", "/incidents", "/incidents/{ref}",
            "/incidents/{ref}/triage", "/incidents/{ref}/recommendations",
            "/incidents/{ref}/dispatch", "/incidents/{ref}/cancel", "/incidents/{ref}/close",
            "/incidents/{ref}/patients", "/assignments/{assignment_id}/release", "/units",
            "/units/{unit_id}/service", "/crew/units", "/units/{unit_id}/status",
            "/units/{unit_id}/position", "/figures",
        )
    }  # fmt: skip
    create = schema["paths"][f"{BASE}/calls"]["post"]
    assert set(create["responses"]) >= {"200", "201", "401", "422"}
    assert create["tags"] == ["emergency"]
    assert all(
        op.get("security")
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("operationId", "").startswith("kotacerdas_emergency")
    )
