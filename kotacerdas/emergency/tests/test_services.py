"""The 119 desk's services: the unit state machine pair by pair, the incident lifecycle with each
timestamp kept, the citizen button's idempotency, triage, dispatch and its refusals, release,
cancel and close, crew scoping, crew positions, patient data at rest and its audited reads, the
audit trail and change feed of every state change, and who is notified when."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from kotacerdas.accounts.models import Role
from kotacerdas.accounts.tests.factories import CitizenFactory
from kotacerdas.core.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from kotacerdas.core.models import AuditEvent, Notification
from kotacerdas.emergency import selectors, services
from kotacerdas.emergency.models import (
    STEP_STAMP,
    UNIT_TRANSITIONS,
    Assignment,
    DeskEvent,
    EventKind,
    Incident,
    IncidentStatus,
    Patient,
    Station,
    Unit,
    UnitPosition,
    UnitStatus,
)

from .conftest import OUTSIDE_KOTIM, SAMPIT, SAMPIT_DESA, verified

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)  # 08:00 WIB
PALANGKA_RAYA = (-2.2096, 113.9213)  # ~72 km east of Kotim's box: units do drive there
# A unit's steps from dispatch, in order (the crew's taps).
PATH = [
    UnitStatus.DISPATCHED,
    UnitStatus.ACKNOWLEDGED,
    UnitStatus.EN_ROUTE,
    UnitStatus.ON_SCENE,
    UnitStatus.TRANSPORTING,
    UnitStatus.AT_FACILITY,
]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages and notification texts are asserted in English."""
    with translation.override("en"):
        yield


class Clock:
    """timezone.now() for the services, moved by hand: each timestamp is asserted exactly."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, seconds: float) -> dt.datetime:
        self.now = T0 + dt.timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(timezone, "now", c)
    return c


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def phone_call(actor: Any, **overrides: Any) -> Incident:
    data: dict[str, Any] = {
        "kind": "medis",
        "priority": "kuning",
        "chief_complaint": "sakit_umum",
        "caller_phone": "0812 3456 7890",
        "lat": SAMPIT[0],
        "lng": SAMPIT[1],
    }
    data.update(overrides)
    return services.incident_record_call(actor=actor, **data)


def step(actor: Any, unit: Unit, *statuses: str) -> Unit:
    for status in statuses:
        unit = services.unit_step(actor=actor, unit_id=unit.pk, status=status)
    return unit


def bring_to(status: str, unit: Unit, *, crew: Any, dispatcher: Any) -> Incident | None:
    """Put `unit` in `status` through the services (with a job when the status needs one)."""
    if status == UnitStatus.AVAILABLE:
        return None
    if status == UnitStatus.OUT_OF_SERVICE:
        services.unit_set_service(
            actor=dispatcher, unit_id=unit.pk, in_service=False, reason="Ban bocor"
        )
        return None
    incident = phone_call(dispatcher)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    step(crew, unit, *PATH[1 : PATH.index(status) + 1])
    return incident


def world() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    return (
        list(Incident.objects.order_by("pk").values()),
        list(Unit.objects.order_by("pk").values()),
        list(Assignment.objects.order_by("pk").values()),
        list(Patient.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
        DeskEvent.objects.count(),
        Notification.objects.count(),
        UnitPosition.objects.count(),
    )


def refused(
    error: type[ServiceError], code: str, action: Callable[[], Any], match: str | None = None
) -> ServiceError:
    """Run an action that must be refused with `code` and change nothing."""
    before = world()
    with pytest.raises(error, match=match) as info:
        action()
    assert info.value.code == code
    assert world() == before
    return info.value


def audit_actions(since: int = 0) -> list[str]:
    return list(
        AuditEvent.objects.filter(pk__gt=since).order_by("pk").values_list("action", flat=True)
    )


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def feed(since: int = 0) -> list[tuple[str, int | None, int | None]]:
    return list(
        DeskEvent.objects.filter(pk__gt=since)
        .order_by("pk")
        .values_list("kind", "incident_id", "unit_id")
    )


def last_feed_id() -> int:
    return DeskEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- The unit state machine ------------------------------------------------------------------------
def test_the_crew_steps_table_is_complete():
    assert set(UNIT_TRANSITIONS) == set(UnitStatus.values)
    targets = set().union(*UNIT_TRANSITIONS.values())
    # Dispatching and service changes are the desk's: no crew step leads there.
    assert UnitStatus.DISPATCHED not in targets
    assert UnitStatus.OUT_OF_SERVICE not in targets
    assert set(STEP_STAMP) == targets


@pytest.fixture
def lone_unit(agencies: dict[str, Any]) -> Unit:
    """One ambulance at RSUD dr. Murjani (the matrix needs no more than that)."""
    station = Station.objects.create(
        code="rsud-murjani",
        name="RSUD dr. Murjani Sampit",
        agency=agencies["rsud-murjani"],
        lat=-2.5427758,
        lng=112.9468547,
        desa_code="62.02.06.1001",
        kecamatan_code="62.02.06",
    )
    return Unit.objects.create(
        call_sign="AMB-03", station=station, capability="ambulans", status_changed_at=T0
    )


@pytest.mark.parametrize("target", list(UnitStatus))
@pytest.mark.parametrize("start", list(UnitStatus))
def test_unit_step_matrix(
    start: str,
    target: str,
    lone_unit: Unit,
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
    clock: Clock,
):
    unit = lone_unit
    crew = make_crew(unit)
    incident = bring_to(start, unit, crew=crew, dispatcher=dispatcher)
    unit.refresh_from_db()
    assert unit.status == start
    clock.at(600)

    if target not in UNIT_TRANSITIONS[start]:
        error = refused(
            ValidationFailed,
            "emergency.unit.step_forbidden",
            lambda: services.unit_step(actor=crew, unit_id=unit.pk, status=target),
        )
        assert error.message == (
            f"A unit that is “{UnitStatus(start).label}” cannot go to “{UnitStatus(target).label}”."
        )
        return

    moved = services.unit_step(actor=crew, unit_id=unit.pk, status=target, version=unit.version)

    assert incident is not None
    assert moved.status == target
    assert moved.status_changed_at == at(600)
    assert moved.version == unit.version + 1
    assignment = Assignment.objects.get(incident=incident, unit=unit)
    assert getattr(assignment, STEP_STAMP[target]) == at(600)
    incident.refresh_from_db()
    if target == UnitStatus.AVAILABLE:
        # The last crew clearing from the scene (or the facility) closes the incident.
        assert assignment.cleared_at == at(600)
        assert incident.status == IncidentStatus.CLOSED
        assert incident.closed_at == at(600)
    else:
        assert assignment.cleared_at is None
        assert (
            incident.status
            == {
                UnitStatus.ACKNOWLEDGED: IncidentStatus.DISPATCHED,
                UnitStatus.EN_ROUTE: IncidentStatus.EN_ROUTE,
                UnitStatus.ON_SCENE: IncidentStatus.ON_SCENE,
                UnitStatus.TRANSPORTING: IncidentStatus.TRANSPORTING,
                UnitStatus.AT_FACILITY: IncidentStatus.AT_FACILITY,
            }[target]
        )


def test_unit_step_refuses_an_unknown_status_and_a_stale_version(
    fleet: dict[str, Unit], dispatcher: Any, make_crew: Callable[[Unit], Any]
):
    unit = fleet["AMB-03"]
    crew = make_crew(unit)
    bring_to(UnitStatus.DISPATCHED, unit, crew=crew, dispatcher=dispatcher)
    unit.refresh_from_db()

    refused(
        ValidationFailed,
        "emergency.unit.status_invalid",
        lambda: services.unit_step(actor=crew, unit_id=unit.pk, status="terbang"),
    )
    refused(
        Conflict,
        "emergency.unit.conflict",
        lambda: services.unit_step(
            actor=crew, unit_id=unit.pk, status="diterima", version=unit.version - 1
        ),
    )


# --- The incident lifecycle --------------------------------------------------------------------------
INCIDENT_STAMPS = [
    "received_at",
    "accepted_at",
    "dispatched_at",
    "en_route_at",
    "on_scene_at",
    "transporting_at",
    "at_facility_at",
    "closed_at",
    "cancelled_at",
]


def stamps(incident: Incident) -> dict[str, dt.datetime | None]:
    incident.refresh_from_db()
    return {name: getattr(incident, name) for name in INCIDENT_STAMPS}


def test_lifecycle_of_a_citizen_call_keeps_every_timestamp(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
    clock: Clock,
):
    unit = fleet["AMB-03"]
    crew = make_crew(unit)
    expected: dict[str, dt.datetime | None] = dict.fromkeys(INCIDENT_STAMPS)

    incident = call("medis", SAMPIT)
    expected["received_at"] = at(0)
    assert incident.status == IncidentStatus.RECEIVED
    assert stamps(incident) == expected

    clock.at(30)
    services.incident_triage(actor=dispatcher, ref=incident.ref, priority="kuning")
    expected["accepted_at"] = at(30)
    incident.refresh_from_db()
    assert (incident.status, incident.call_taker) == (IncidentStatus.ACCEPTED, dispatcher)
    assert stamps(incident) == expected

    clock.at(60)
    assignment = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    expected["dispatched_at"] = at(60)
    assert assignment.dispatched_at == at(60)
    assert stamps(incident) == expected

    steps = [
        (80, UnitStatus.ACKNOWLEDGED, IncidentStatus.DISPATCHED, None),
        (100, UnitStatus.EN_ROUTE, IncidentStatus.EN_ROUTE, "en_route_at"),
        (700, UnitStatus.ON_SCENE, IncidentStatus.ON_SCENE, "on_scene_at"),
        (1500, UnitStatus.TRANSPORTING, IncidentStatus.TRANSPORTING, "transporting_at"),
        (2400, UnitStatus.AT_FACILITY, IncidentStatus.AT_FACILITY, "at_facility_at"),
        (3000, UnitStatus.AVAILABLE, IncidentStatus.CLOSED, "closed_at"),
    ]
    for seconds, unit_status, incident_status, stamp in steps:
        clock.at(seconds)
        step(crew, unit, unit_status)
        if stamp:
            expected[stamp] = at(seconds)
        assert stamps(incident) == expected, unit_status
        assert incident.status == incident_status

    assert incident.response_seconds == 700  # call -> first crew on scene
    assignment.refresh_from_db()
    assert [
        getattr(assignment, f)
        for f in (
            "dispatched_at",
            "acknowledged_at",
            "en_route_at",
            "on_scene_at",
            "transporting_at",
            "at_facility_at",
            "cleared_at",
        )
    ] == [at(60), at(80), at(100), at(700), at(1500), at(2400), at(3000)]


def test_a_phone_call_is_received_and_accepted_at_once(dispatcher: Any, clock: Clock, fleet: Any):
    incident = phone_call(dispatcher, caller_name="Pak Budi", address="Depan masjid")

    assert incident.status == IncidentStatus.ACCEPTED
    assert (incident.received_at, incident.accepted_at) == (at(0), at(0))
    assert incident.call_taker == dispatcher
    assert incident.caller is None
    assert incident.caller_phone == "6281234567890"
    assert (incident.desa_code, incident.kecamatan_code) == (SAMPIT_DESA, "62.02.06")
    assert incident.source == "telepon"
    assert incident.need == "ambulans"


def test_the_first_crew_on_scene_decides_and_the_incident_never_goes_back(
    fleet: dict[str, Unit], dispatcher: Any, make_crew: Callable[[Unit], Any], clock: Clock
):
    first, second = fleet["AMB-03"], fleet["AMB-05"]
    crew1, crew2 = make_crew(first), make_crew(second)
    incident = phone_call(dispatcher, patients_count=3)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=first.pk)
    clock.at(20)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=second.pk)
    clock.at(500)
    step(crew1, first, "diterima", "berangkat", "di_lokasi")
    clock.at(900)
    step(crew2, second, "diterima", "berangkat")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ON_SCENE  # not back to "en route"
    assert incident.en_route_at == at(500)
    step(crew2, second, "di_lokasi")
    incident.refresh_from_db()
    assert incident.on_scene_at == at(500)
    assert incident.response_seconds == 500
    assert incident.dispatched_at == at(0)

    # The first clears; the second is still on scene: the incident stays open.
    clock.at(1200)
    step(crew1, first, "tersedia")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ON_SCENE
    assert incident.closed_at is None
    clock.at(1300)
    step(crew2, second, "tersedia")
    incident.refresh_from_db()
    assert (incident.status, incident.closed_at) == (IncidentStatus.CLOSED, at(1300))


def test_cancel_keeps_the_reason_and_time(
    call: Callable[..., Incident], dispatcher: Any, clock: Clock, fleet: Any
):
    incident = call()
    clock.at(45)

    services.incident_cancel(actor=dispatcher, ref=incident.ref, reason="  Panggilan iseng  ")

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CANCELLED
    assert (incident.cancelled_at, incident.cancel_reason) == (at(45), "Panggilan iseng")
    assert incident.closed_at is None
    assert incident.version == 2


TERMINAL = ["closed", "cancelled"]


def make_terminal(kind: str, dispatcher: Any) -> Incident:
    incident = phone_call(dispatcher)
    if kind == "closed":
        services.incident_close(
            actor=dispatcher, ref=incident.ref, note="Cukup saran lewat telepon"
        )
    else:
        services.incident_cancel(actor=dispatcher, ref=incident.ref, reason="Dobel")
    incident.refresh_from_db()
    return incident


@pytest.mark.parametrize("terminal", TERMINAL)
@pytest.mark.parametrize(
    "action", ["triage", "dispatch", "cancel", "close", "add_details", "caller_cancel"]
)
def test_a_closed_or_cancelled_incident_refuses_every_action(
    terminal: str,
    action: str,
    fleet: dict[str, Unit],
    dispatcher: Any,
    caller: Any,
    call: Callable[..., Incident],
):
    if action in ("add_details", "caller_cancel"):
        incident = call()
        if terminal == "closed":
            services.incident_close(actor=dispatcher, ref=incident.ref)
        else:
            services.incident_cancel(actor=caller, ref=incident.ref, reason="Sudah membaik")
    else:
        incident = make_terminal(terminal, dispatcher)
    ref = incident.ref
    actions: dict[str, Callable[[], Any]] = {
        "triage": lambda: services.incident_triage(actor=dispatcher, ref=ref, priority="merah"),
        "dispatch": lambda: services.incident_dispatch(
            actor=dispatcher, ref=ref, unit_id=fleet["AMB-03"].pk
        ),
        "cancel": lambda: services.incident_cancel(actor=dispatcher, ref=ref, reason="Lagi"),
        "close": lambda: services.incident_close(actor=dispatcher, ref=ref),
        "add_details": lambda: services.incident_add_details(
            actor=caller, ref=ref, details="Tambahan"
        ),
        "caller_cancel": lambda: services.incident_cancel(actor=caller, ref=ref, reason="Batal"),
    }
    label = "Closed" if terminal == "closed" else "Cancelled"

    error = refused(Conflict, "emergency.incident.closed", actions[action])

    assert error.message == f"This incident is already “{label}”."


# --- The citizen's button ------------------------------------------------------------------------------
def test_same_key_returns_the_same_incident(caller: Any, fleet: Any):
    key = uuid.uuid4()
    first, created = services.incident_call(
        actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], idempotency_key=str(key)
    )
    audit_before, feed_before = AuditEvent.objects.count(), DeskEvent.objects.count()

    for _retry in range(4):
        again, created_again = services.incident_call(
            actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], idempotency_key=key
        )
        assert (again.pk, created_again) == (first.pk, False)

    assert created is True
    assert first.idempotency_key == key
    assert Incident.objects.count() == 1
    assert (AuditEvent.objects.count(), DeskEvent.objects.count()) == (audit_before, feed_before)


def test_same_key_from_another_citizen_is_another_call(caller: Any, fleet: Any):
    key = str(uuid.uuid4())
    other = CitizenFactory(phone="6281234500002")

    a, _ = services.incident_call(
        actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], idempotency_key=key
    )
    b, created = services.incident_call(
        actor=other, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], idempotency_key=key
    )

    assert created is True
    assert a.pk != b.pk
    assert b.caller_phone == "6281234500002"


def test_second_call_within_the_duplicate_window_is_the_same_call(
    caller: Any, fleet: Any, settings: Any
):
    settings.EMERGENCY_DUPLICATE_CALL_SECONDS = 300
    first, _ = services.incident_call(
        actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], now=T0
    )

    again, created = services.incident_call(
        actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], now=at(300)
    )
    assert (again.pk, created) == (first.pk, False)

    later, created_later = services.incident_call(
        actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], now=at(301)
    )
    assert created_later is True
    assert later.pk != first.pk
    assert Incident.objects.count() == 2


def test_different_kinds_are_two_incidents(caller: Any, fleet: Any):
    medical, _ = services.incident_call(actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1])
    fire, created = services.incident_call(
        actor=caller, kind="kebakaran", lat=SAMPIT[0], lng=SAMPIT[1]
    )

    assert created is True
    assert medical.pk != fire.pk
    assert (medical.priority, medical.need) == ("kuning", "ambulans")
    assert (fire.priority, fire.need) == ("merah", "damkar")


def test_a_call_after_the_first_was_cancelled_is_a_new_call(caller: Any, fleet: Any):
    first, _ = services.incident_call(actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1])
    services.incident_cancel(actor=caller, ref=first.ref, reason="Salah pencet")

    second, created = services.incident_call(
        actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1]
    )

    assert created is True
    assert second.pk != first.pk


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"lat": None, "lng": None}, ValidationFailed, "emergency.location.required"),
        (
            {"lat": OUTSIDE_KOTIM[0], "lng": OUTSIDE_KOTIM[1]},
            ValidationFailed,
            "emergency.location.outside",
        ),
        ({"lat": "abc", "lng": "def"}, ValidationFailed, "emergency.location.invalid"),
        ({"kind": "banjir"}, ValidationFailed, "emergency.kind.invalid"),
        ({"idempotency_key": "not-a-uuid"}, ValidationFailed, "emergency.idempotency_key.invalid"),
        ({"phone": "12"}, ValidationFailed, "emergency.phone.invalid"),
    ],
    ids=["no-location", "outside-kotim", "bad-coordinates", "bad-kind", "bad-key", "bad-phone"],
)
def test_bad_calls_are_refused_and_write_nothing(
    kwargs: dict[str, Any], error: type[ServiceError], code: str, caller: Any, fleet: Any
):
    data: dict[str, Any] = {"kind": "medis", "lat": SAMPIT[0], "lng": SAMPIT[1], **kwargs}

    refused(error, code, lambda: services.incident_call(actor=caller, **data))


def test_a_call_without_any_phone_number_is_refused(fleet: Any):
    nophone = CitizenFactory(phone=None)

    error = refused(
        ValidationFailed,
        "emergency.phone.required",
        lambda: services.incident_call(actor=nophone, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1]),
    )
    assert error.fields == {"phone": ["Give a phone number the desk can call back."]}
    incident, created = services.incident_call(
        actor=nophone, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], phone="0813-1111-2222"
    )
    assert created is True
    assert incident.caller_phone == "6281311112222"


def test_an_anonymous_call_needs_sign_in(fleet: Any):
    from django.contrib.auth.models import AnonymousUser

    refused(
        AuthenticationRequired,
        "auth.required",
        lambda: services.incident_call(
            actor=AnonymousUser(), kind="medis", lat=SAMPIT[0], lng=SAMPIT[1]
        ),
    )


def test_outside_kotim_message_points_to_112(caller: Any, fleet: Any):
    with pytest.raises(ValidationFailed) as info:
        services.incident_call(
            actor=caller, kind="medis", lat=OUTSIDE_KOTIM[0], lng=OUTSIDE_KOTIM[1]
        )
    assert info.value.fields == {
        "location": [
            "This location is outside Kotawaringin Timur. For emergencies elsewhere, call 112."
        ]
    }


# --- Details, triage and vitals ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("conscious", "breathing", "expected"),
    [
        ("false", None, ("merah", "ambulans_paramedis")),
        (None, "tidak", ("merah", "ambulans_paramedis")),
        (False, False, ("merah", "ambulans_paramedis")),
        ("true", "ya", ("kuning", "ambulans")),
        (None, None, ("kuning", "ambulans")),
    ],
)
def test_vitals_raise_the_priority(
    conscious: Any,
    breathing: Any,
    expected: tuple[str, str],
    call: Callable[..., Incident],
    fleet: Any,
):
    incident = call()

    services.incident_add_details(
        actor=incident.caller, ref=incident.ref, conscious=conscious, breathing=breathing
    )

    incident.refresh_from_db()
    assert (incident.priority, incident.need) == expected


def test_vitals_do_not_turn_a_fire_into_an_ambulance_call(
    call: Callable[..., Incident], fleet: Any
):
    fire = call("kebakaran")

    services.incident_add_details(
        actor=fire.caller, ref=fire.ref, conscious="false", patients_count=2
    )

    fire.refresh_from_db()
    assert (fire.priority, fire.need, fire.patients_count, fire.conscious) == (
        "merah",
        "damkar",
        2,
        False,
    )


def test_phone_call_and_triage_apply_the_vitals_rule(dispatcher: Any, fleet: Any):
    green = phone_call(dispatcher, priority="hijau", breathing="false")
    assert (green.priority, green.need) == ("merah", "ambulans_paramedis")

    other = phone_call(dispatcher, priority="hijau")
    assert (other.priority, other.need) == ("hijau", "ambulans")
    services.incident_triage(actor=dispatcher, ref=other.ref, conscious="false")
    other.refresh_from_db()
    assert (other.priority, other.need) == ("merah", "ambulans_paramedis")


def test_triage_changes_the_need_with_the_complaint(dispatcher: Any, fleet: Any):
    incident = phone_call(dispatcher)

    services.incident_triage(
        actor=dispatcher, ref=incident.ref, chief_complaint="kebakaran_lahan", version=1
    )

    incident.refresh_from_db()
    assert (incident.need, incident.version) == ("damkar", 2)
    refused(
        Conflict,
        "emergency.incident.conflict",
        lambda: services.incident_triage(
            actor=dispatcher, ref=incident.ref, priority="merah", version=1
        ),
    )


def test_add_details_is_the_callers_own(call: Callable[..., Incident], fleet: Any):
    incident = call()
    stranger = CitizenFactory()

    refused(
        NotFound,
        "emergency.incident.not_found",
        lambda: services.incident_add_details(actor=stranger, ref=incident.ref, details="Halo"),
    )


# --- Dispatch ---------------------------------------------------------------------------------------
def test_dispatch_moves_unit_and_incident(
    fleet: dict[str, Unit], call: Callable[..., Incident], dispatcher: Any, clock: Clock
):
    incident = call()  # straight from the app: dispatching also accepts it
    clock.at(40)
    unit = fleet["AMB-05"]

    assignment = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)

    incident.refresh_from_db()
    unit.refresh_from_db()
    assert (incident.status, incident.accepted_at, incident.dispatched_at) == (
        IncidentStatus.DISPATCHED,
        at(40),
        at(40),
    )
    assert incident.call_taker == dispatcher
    assert (unit.status, unit.status_changed_at) == (UnitStatus.DISPATCHED, at(40))
    assert assignment.dispatched_by == dispatcher
    estimate = selectors.estimate_for_unit(incident=incident, unit=unit)
    assert estimate is not None
    assert assignment.eta_seconds == estimate.eta_seconds
    assert assignment.eta_fixed is False
    # Yellow goes to the nearest hospital unless a puskesmas is much closer.
    assert assignment.destination is not None
    assert assignment.destination.name == "RSUD dr. Murjani Sampit"


def test_dispatch_with_a_chosen_destination_and_a_fallback_unit(
    fleet: dict[str, Unit], dispatcher: Any
):
    from kotacerdas.facilities.selectors import facility_list

    incident = phone_call(dispatcher, priority="merah")
    assert incident.need == "ambulans_paramedis"
    puskesmas = facility_list(kind="health").get(name="Puskesmas Baamang II")

    # A plain ambulance may answer a paramedic call (the board ranks it after).
    assignment = services.incident_dispatch(
        actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-05"].pk, destination_id=puskesmas.pk
    )

    assert assignment.destination == puskesmas


def test_fire_dispatch_has_no_destination(fleet: dict[str, Unit], dispatcher: Any):
    fire = phone_call(
        dispatcher, kind="kebakaran", priority="merah", chief_complaint="kebakaran_bangunan"
    )

    assignment = services.incident_dispatch(
        actor=dispatcher, ref=fire.ref, unit_id=fleet["DMK-01"].pk
    )

    assert assignment.destination is None


def test_dispatch_to_a_river_desa_keeps_the_fixed_access_time(
    fleet: dict[str, Unit], dispatcher: Any
):
    # Tumbang Kalang has the demo's 90-minute river-access override.
    incident = phone_call(dispatcher, lat=None, lng=None, desa_code="62.02.10.2001")
    assert incident.location_approximate is True

    from_sampit = services.incident_dispatch(
        actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-05"].pk
    )

    assert (from_sampit.eta_seconds, from_sampit.eta_fixed) == (5400, True)


@pytest.fixture
def busy_unit(fleet: dict[str, Unit], dispatcher: Any) -> Unit:
    unit = fleet["AMB-03"]
    services.incident_dispatch(actor=dispatcher, ref=phone_call(dispatcher).ref, unit_id=unit.pk)
    return unit


def test_dispatch_refusals(fleet: dict[str, Unit], dispatcher: Any, busy_unit: Unit, caller: Any):
    from kotacerdas.facilities.selectors import facility_list

    incident = phone_call(dispatcher)
    ref = incident.ref
    school = facility_list(kind="school").first()
    assert school is not None
    services.unit_set_service(
        actor=dispatcher, unit_id=fleet["AMB-09"].pk, in_service=False, reason="Servis rutin"
    )

    cases: list[tuple[type[ServiceError], str, str, Callable[[], Any]]] = [
        (
            Conflict,
            "emergency.unit.busy",
            "AMB-03 is not available (Dispatched): choose another unit.",
            lambda: services.incident_dispatch(actor=dispatcher, ref=ref, unit_id=busy_unit.pk),
        ),
        (
            Conflict,
            "emergency.unit.busy",
            "AMB-09 is not available (Out of service): choose another unit.",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref=ref, unit_id=fleet["AMB-09"].pk
            ),
        ),
        (
            ValidationFailed,
            "emergency.unit.incapable",
            "DMK-01 (Fire truck) cannot answer a call that needs “Ambulance”.",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref=ref, unit_id=fleet["DMK-01"].pk
            ),
        ),
        (
            ValidationFailed,
            "emergency.unit.incapable",
            "RSC-03 (Rescue unit) cannot answer a call that needs “Ambulance”.",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref=ref, unit_id=fleet["RSC-03"].pk
            ),
        ),
        (
            ValidationFailed,
            "emergency.destination.invalid",
            "Choose a health facility from the list.",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref=ref, unit_id=fleet["AMB-05"].pk, destination_id="rsud"
            ),
        ),
        (
            ValidationFailed,
            "emergency.destination.invalid",
            "Choose a health facility from the list.",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref=ref, unit_id=fleet["AMB-05"].pk, destination_id=999_999
            ),
        ),
        (
            ValidationFailed,
            "emergency.destination.invalid",
            "Choose a health facility from the list.",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref=ref, unit_id=fleet["AMB-05"].pk, destination_id=school.pk
            ),
        ),
        (
            ValidationFailed,
            "emergency.unit.required",
            "Choose a unit.",
            lambda: services.incident_dispatch(actor=dispatcher, ref=ref, unit_id=""),
        ),
        (
            NotFound,
            "emergency.unit.not_found",
            "This unit does not exist.",
            lambda: services.incident_dispatch(actor=dispatcher, ref=ref, unit_id=999_999),
        ),
        (
            Conflict,
            "emergency.incident.conflict",
            "Someone else changed this incident; look at it again.",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref=ref, unit_id=fleet["AMB-05"].pk, version=7
            ),
        ),
        (
            NotFound,
            "emergency.incident.not_found",
            "",
            lambda: services.incident_dispatch(
                actor=dispatcher, ref="2603-ZZZZZZ", unit_id=fleet["AMB-05"].pk
            ),
        ),
        (
            PermissionDenied,
            "forbidden",
            "",
            lambda: services.incident_dispatch(actor=caller, ref=ref, unit_id=fleet["AMB-05"].pk),
        ),
    ]
    for error, code, message, action in cases:
        raised = refused(error, code, action)
        if message:
            assert raised.message == message


def test_dispatch_a_fire_truck_to_a_medical_call_or_an_ambulance_to_a_fire(
    fleet: dict[str, Unit], dispatcher: Any
):
    fire = phone_call(
        dispatcher, kind="kebakaran", priority="merah", chief_complaint="kebakaran_lahan"
    )

    error = refused(
        ValidationFailed,
        "emergency.unit.incapable",
        lambda: services.incident_dispatch(
            actor=dispatcher, ref=fire.ref, unit_id=fleet["AMB-01"].pk
        ),
    )
    assert error.message == (
        "AMB-01 (Ambulance with paramedic) cannot answer a call that needs “Fire truck”."
    )


# --- Release, cancel, close -------------------------------------------------------------------------
def test_release_puts_the_incident_back_in_the_queue(
    fleet: dict[str, Unit], dispatcher: Any, clock: Clock
):
    incident = phone_call(dispatcher)
    unit = fleet["AMB-05"]
    assignment = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    assert selectors.waiting_without_unit() == 0
    clock.at(90)

    services.assignment_release(
        actor=dispatcher, assignment_id=assignment.pk, reason="Unit lain lebih dekat"
    )

    assignment.refresh_from_db()
    unit.refresh_from_db()
    incident.refresh_from_db()
    assert (assignment.cleared_at, assignment.released_reason) == (at(90), "Unit lain lebih dekat")
    assert (unit.status, unit.status_changed_at) == (UnitStatus.AVAILABLE, at(90))
    assert incident.status == IncidentStatus.ACCEPTED
    assert incident.dispatched_at == at(0)  # the first dispatch stays on record
    assert selectors.waiting_without_unit() == 1
    board = selectors.board_state(actor=dispatcher)
    row = next(r for r in board["incidents"] if r["ref"] == incident.ref)
    assert row["waiting"] is True
    assert row["units"] == []
    refused(
        Conflict,
        "emergency.assignment.closed",
        lambda: services.assignment_release(
            actor=dispatcher, assignment_id=assignment.pk, reason="Lagi"
        ),
    )


def test_release_one_of_two_units_keeps_the_other_on_it(
    fleet: dict[str, Unit], dispatcher: Any, make_crew: Callable[[Unit], Any]
):
    incident = phone_call(dispatcher)
    first, second = fleet["AMB-05"], fleet["AMB-03"]
    a1 = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=first.pk)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=second.pk)
    step(make_crew(second), second, "diterima", "berangkat")

    services.assignment_release(actor=dispatcher, assignment_id=a1.pk, reason="Dobel")

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.EN_ROUTE


def test_release_refusals(
    fleet: dict[str, Unit], dispatcher: Any, make_crew: Callable[[Unit], Any]
):
    incident = phone_call(dispatcher)
    unit = fleet["AMB-05"]
    assignment = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)

    refused(
        ValidationFailed,
        "emergency.text.required",
        lambda: services.assignment_release(
            actor=dispatcher, assignment_id=assignment.pk, reason="  "
        ),
    )
    refused(
        NotFound,
        "emergency.assignment.not_found",
        lambda: services.assignment_release(actor=dispatcher, assignment_id=999_999, reason="x"),
    )
    refused(
        NotFound,
        "emergency.assignment.not_found",
        lambda: services.assignment_release(actor=dispatcher, assignment_id="abc", reason="x"),
    )
    step(make_crew(unit), unit, "diterima", "berangkat", "di_lokasi")
    refused(
        ValidationFailed,
        "emergency.assignment.on_scene",
        lambda: services.assignment_release(
            actor=dispatcher, assignment_id=assignment.pk, reason="x"
        ),
    )


def test_cancel_releases_every_unit(fleet: dict[str, Unit], dispatcher: Any, clock: Clock):
    incident = phone_call(dispatcher)
    units = [fleet["AMB-05"], fleet["AMB-03"]]
    for unit in units:
        services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    clock.at(120)
    feed_from = last_feed_id()

    services.incident_cancel(actor=dispatcher, ref=incident.ref, reason="Pasien dibawa keluarga")

    for unit in units:
        unit.refresh_from_db()
        assert (unit.status, unit.status_changed_at) == (UnitStatus.AVAILABLE, at(120))
    assert list(
        Assignment.objects.filter(incident=incident).values_list("cleared_at", "released_reason")
    ) == [(at(120), "Incident cancelled"), (at(120), "Incident cancelled")]
    assert sorted(feed(feed_from)) == sorted(
        [
            (EventKind.UNIT, None, units[0].pk),
            (EventKind.UNIT, None, units[1].pk),
            (EventKind.INCIDENT, incident.pk, None),
        ]
    )


def test_the_caller_cancels_before_the_crew_arrives_not_after(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
):
    incident = call()
    unit = fleet["AMB-05"]
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    step(make_crew(unit), unit, "diterima", "berangkat", "di_lokasi")

    refused(
        ValidationFailed,
        "emergency.incident.crew_on_scene",
        lambda: services.incident_cancel(
            actor=incident.caller, ref=incident.ref, reason="Sudah baik"
        ),
    )
    refused(
        NotFound,
        "emergency.incident.not_found",
        lambda: services.incident_cancel(actor=CitizenFactory(), ref=incident.ref, reason="Iseng"),
    )
    other = call("kebakaran")
    services.incident_cancel(actor=other.caller, ref=other.ref, reason="Api sudah padam")
    other.refresh_from_db()
    assert (other.status, other.cancel_reason) == (IncidentStatus.CANCELLED, "Api sudah padam")


def test_close_is_refused_while_units_are_on_it(
    fleet: dict[str, Unit], dispatcher: Any, clock: Clock
):
    incident = phone_call(dispatcher)
    assignment = services.incident_dispatch(
        actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-05"].pk
    )

    error = refused(
        ValidationFailed,
        "emergency.incident.units_active",
        lambda: services.incident_close(actor=dispatcher, ref=incident.ref),
    )
    assert error.message == "Units are still on this incident; they close it when they clear."

    services.assignment_release(actor=dispatcher, assignment_id=assignment.pk, reason="Dobel")
    clock.at(300)
    services.incident_close(actor=dispatcher, ref=incident.ref, note="Ditangani puskesmas")
    incident.refresh_from_db()
    assert (incident.status, incident.closed_at) == (IncidentStatus.CLOSED, at(300))


def test_close_an_untouched_app_call_stamps_acceptance(
    call: Callable[..., Incident], dispatcher: Any, clock: Clock, fleet: Any
):
    incident = call()
    clock.at(50)

    services.incident_close(actor=dispatcher, ref=incident.ref)

    incident.refresh_from_db()
    assert (incident.accepted_at, incident.closed_at) == (at(50), at(50))


# --- Desk permissions -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "role", [Role.WARGA, Role.PETUGAS_OPD, Role.KEPALA_OPD, Role.DEWAN, Role.ADMIN]
)
def test_only_the_desk_records_triages_dispatches_and_closes(
    role: str,
    fleet: dict[str, Unit],
    dispatcher: Any,
    make_staff: Callable[..., Any],
    agencies: Any,
):
    agency = agencies["dinkes"] if role in (Role.PETUGAS_OPD, Role.KEPALA_OPD) else None
    region = "62.02.06.1007" if role == Role.WARGA else None
    user = verified(make_staff(role, agency=agency, region_code=region))
    incident = phone_call(dispatcher)
    assignment = services.incident_dispatch(
        actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-05"].pk
    )
    ref = incident.ref

    for action in (
        lambda: phone_call(user),
        lambda: services.incident_triage(actor=user, ref=ref, priority="merah"),
        lambda: services.incident_dispatch(actor=user, ref=ref, unit_id=fleet["AMB-03"].pk),
        lambda: services.assignment_release(actor=user, assignment_id=assignment.pk, reason="x"),
        lambda: services.incident_close(actor=user, ref=ref),
    ):
        refused(PermissionDenied, "forbidden", action)
    refused(
        NotFound,
        "emergency.incident.not_found",
        lambda: services.incident_cancel(actor=user, ref=ref, reason="x"),
    )


# --- Crew scoping -------------------------------------------------------------------------------------
def test_a_crew_acts_only_on_its_own_unit(
    fleet: dict[str, Unit],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
    make_staff: Callable[..., Any],
    caller: Any,
):
    from django.contrib.auth.models import AnonymousUser

    unit, other_unit = fleet["AMB-05"], fleet["AMB-04"]
    own_crew, other_crew = make_crew(unit), make_crew(other_unit)
    colleague = verified(make_staff(Role.PETUGAS_OPD, agency=unit.station.agency))  # not on it
    unverified = make_crew(unit)
    unverified.is_verified = lambda: False
    incident = phone_call(dispatcher)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)

    for stranger in (other_crew, colleague, caller, unverified):
        refused(
            NotFound,
            "emergency.unit.not_found",
            lambda s=stranger: services.unit_step(actor=s, unit_id=unit.pk, status="diterima"),
            match="This is not your unit.",
        )
        refused(
            NotFound,
            "emergency.unit.not_found",
            lambda s=stranger: services.unit_report_position(
                actor=s, unit_id=unit.pk, lat=SAMPIT[0], lng=SAMPIT[1]
            ),
        )
    refused(
        AuthenticationRequired,
        "auth.required",
        lambda: services.unit_step(actor=AnonymousUser(), unit_id=unit.pk, status="diterima"),
    )
    refused(
        NotFound,
        "emergency.unit.not_found",
        lambda: services.unit_step(actor=own_crew, unit_id="1 OR 1=1", status="diterima"),
    )

    assert (
        services.unit_step(actor=own_crew, unit_id=unit.pk, status="diterima").status == "diterima"
    )
    # The desk records a status heard on the radio.
    assert (
        services.unit_step(actor=dispatcher, unit_id=unit.pk, status="berangkat").status
        == "berangkat"
    )


def test_a_unit_without_a_job_has_nothing_to_step(
    fleet: dict[str, Unit], make_crew: Callable[[Unit], Any]
):
    unit = fleet["AMB-05"]

    refused(
        ValidationFailed,
        "emergency.unit.step_forbidden",
        lambda: services.unit_step(actor=make_crew(unit), unit_id=unit.pk, status="berangkat"),
    )


# --- Positions ------------------------------------------------------------------------------------
def test_position_inside_kotim_is_stored_with_a_track_row(
    fleet: dict[str, Unit], make_crew: Callable[[Unit], Any], clock: Clock
):
    unit = fleet["AMB-05"]
    crew = make_crew(unit)
    clock.at(15)
    feed_from = last_feed_id()

    services.unit_report_position(
        actor=crew, unit_id=unit.pk, lat=str(SAMPIT[0]), lng=SAMPIT[1], accuracy_m="12.5"
    )

    unit.refresh_from_db()
    assert (unit.lat, unit.lng, unit.position_at) == (SAMPIT[0], SAMPIT[1], at(15))
    assert list(
        UnitPosition.objects.values_list("unit_id", "lat", "lng", "accuracy_m", "recorded_at")
    ) == [(unit.pk, SAMPIT[0], SAMPIT[1], 12.5, at(15))]
    assert feed(feed_from) == [(EventKind.UNIT, None, unit.pk)]


def test_position_a_little_outside_is_believed(
    fleet: dict[str, Unit], make_crew: Callable[[Unit], Any]
):
    unit = fleet["AMB-05"]

    services.unit_report_position(
        actor=make_crew(unit), unit_id=unit.pk, lat=PALANGKA_RAYA[0], lng=PALANGKA_RAYA[1]
    )

    assert UnitPosition.objects.filter(unit=unit).count() == 1


def test_position_far_outside_kotim_is_refused(
    fleet: dict[str, Unit], make_crew: Callable[[Unit], Any], settings: Any
):
    unit = fleet["AMB-05"]
    crew = make_crew(unit)
    assert (
        selectors.distance_outside_regency_m(*OUTSIDE_KOTIM)
        > settings.EMERGENCY_POSITION_MAX_OUTSIDE_M
    )

    error = refused(
        ValidationFailed,
        "emergency.position.outside",
        lambda: services.unit_report_position(
            actor=crew, unit_id=unit.pk, lat=OUTSIDE_KOTIM[0], lng=OUTSIDE_KOTIM[1]
        ),
    )
    assert (
        error.message == "This position is far outside Kotawaringin Timur; check the phone's GPS."
    )


def test_position_limit_is_the_distance_from_the_regency_box(
    fleet: dict[str, Unit], make_crew: Callable[[Unit], Any], settings: Any
):
    settings.EMERGENCY_POSITION_MAX_OUTSIDE_M = 1_000.0
    unit = fleet["AMB-05"]
    crew = make_crew(unit)
    # The regency's east edge (113.269656 E) at 2.5° S; 0.009° of longitude there ≈ 1 km.
    just_outside = (-2.5, 113.269656 + 0.0045)
    too_far = (-2.5, 113.269656 + 0.018)
    assert 400 < selectors.distance_outside_regency_m(*just_outside) < 600
    assert 1_900 < selectors.distance_outside_regency_m(*too_far) < 2_100

    services.unit_report_position(
        actor=crew, unit_id=unit.pk, lat=just_outside[0], lng=just_outside[1]
    )
    refused(
        ValidationFailed,
        "emergency.position.outside",
        lambda: services.unit_report_position(
            actor=crew, unit_id=unit.pk, lat=too_far[0], lng=too_far[1]
        ),
    )


@pytest.mark.parametrize(
    ("lat", "lng"), [("abc", "1"), (None, 112.9), (95.0, 112.9), (-2.5, 200.0)]
)
def test_position_with_bad_coordinates_is_refused(
    lat: Any, lng: Any, fleet: dict[str, Unit], make_crew: Callable[[Unit], Any]
):
    unit = fleet["AMB-05"]
    crew = make_crew(unit)

    refused(
        ValidationFailed,
        "emergency.position.invalid",
        lambda: services.unit_report_position(actor=crew, unit_id=unit.pk, lat=lat, lng=lng),
    )


# --- Patient data ---------------------------------------------------------------------------------------
NAME, NIK, CONDITION = "Siti Aminah Rahmawati", "6202064101900001", "Sesak napas berat sejak pagi"


def test_patient_data_is_encrypted_at_rest(
    dispatcher: Any, call: Callable[..., Incident], fleet: Any
):
    incident = call()
    services.incident_add_details(
        actor=incident.caller, ref=incident.ref, details="Ibu pingsan di dapur"
    )

    patient = services.patient_save(
        actor=dispatcher,
        ref=incident.ref,
        name=NAME,
        nik="6202 0641 0190 0001",
        age_years="54",
        sex="P",
        condition=CONDITION,
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name_encrypted, nik_encrypted, condition_encrypted, nik_last4 "
            "FROM emergency_patient WHERE id = %s",
            [patient.pk],
        )
        name_col, nik_col, condition_col, last4 = cursor.fetchone()
        cursor.execute(
            "SELECT details_encrypted FROM emergency_incident WHERE id = %s", [incident.pk]
        )
        (details_col,) = cursor.fetchone()
    stored = " ".join([name_col, nik_col, condition_col, details_col])
    for secret in ("Siti", "Aminah", NIK, "41019", "Sesak", "pingsan"):
        assert secret not in stored
    assert all(col.startswith("gAAAAA") for col in (name_col, nik_col, condition_col, details_col))
    assert last4 == "0001"
    assert str(patient) == f"{incident.pk}/{patient.pk}"  # never the name
    # The audit trail names the incident, never the patient.
    trail = AuditEvent.objects.filter(action="kotacerdas.emergency.patient.added").get()
    assert (trail.object_repr, trail.before, trail.after) == (incident.ref, None, None)


def test_patients_read_decrypts_for_the_desk_and_is_audited(
    dispatcher: Any, call: Callable[..., Incident], fleet: Any
):
    incident = call()
    services.incident_add_details(actor=incident.caller, ref=incident.ref, details="Ibu pingsan")
    saved = services.patient_save(
        actor=dispatcher,
        ref=incident.ref,
        name=NAME,
        nik=NIK,
        age_years=54,
        sex="P",
        condition=CONDITION,
    )
    since = last_audit_id()

    patients = services.patients_read(actor=dispatcher, ref=incident.ref)

    assert patients == [services.PatientView(saved.pk, NAME, NIK, 54, "P", CONDITION)]
    assert services.incident_details_read(actor=dispatcher, ref=incident.ref) == "Ibu pingsan"
    read = AuditEvent.objects.get(pk__gt=since)
    assert (read.action, read.actor, read.object_type, read.object_id, read.after) == (
        "kotacerdas.emergency.patient.viewed",
        dispatcher,
        "emergency.incident",
        str(incident.pk),
        {"patients": 1},
    )
    assert read.region_code == SAMPIT_DESA


def test_patients_read_of_details_alone_is_audited_and_of_nothing_is_not(
    dispatcher: Any, call: Callable[..., Incident], fleet: Any
):
    empty = call()
    since = last_audit_id()
    assert services.patients_read(actor=dispatcher, ref=empty.ref) == []
    assert audit_actions(since) == []

    services.incident_add_details(actor=empty.caller, ref=empty.ref, details="Kaki patah")
    since = last_audit_id()
    assert services.patients_read(actor=dispatcher, ref=empty.ref) == []
    assert audit_actions(since) == ["kotacerdas.emergency.patient.viewed"]


def test_the_assigned_crew_reads_patients_others_do_not(
    fleet: dict[str, Unit],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
    make_staff: Callable[..., Any],
    call: Callable[..., Incident],
    agencies: Any,
):
    incident = call()
    services.patient_save(actor=dispatcher, ref=incident.ref, name=NAME)
    unit = fleet["AMB-05"]
    crew, other_crew = make_crew(unit), make_crew(fleet["AMB-04"])
    dewan = verified(make_staff(Role.DEWAN))
    head = verified(make_staff(Role.KEPALA_OPD, agency=agencies["dinkes"]))
    assignment = services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)

    assert [p.name for p in services.patients_read(actor=crew, ref=incident.ref)] == [NAME]
    for outsider in (other_crew, dewan, head, incident.caller):
        refused(
            NotFound,
            "emergency.incident.not_found",
            lambda o=outsider: services.patients_read(actor=o, ref=incident.ref),
        )
        refused(
            NotFound,
            "emergency.incident.not_found",
            lambda o=outsider: services.patient_save(actor=o, ref=incident.ref, name="X"),
        )
    # Once released, the crew no longer reads it.
    services.assignment_release(actor=dispatcher, assignment_id=assignment.pk, reason="Dobel")
    refused(
        NotFound,
        "emergency.incident.not_found",
        lambda: services.patients_read(actor=crew, ref=incident.ref),
    )


def test_patient_save_corrects_and_validates(
    dispatcher: Any, call: Callable[..., Incident], fleet: Any
):
    incident = call()
    patient = services.patient_save(actor=dispatcher, ref=incident.ref, name="Tanpa nama")

    services.patient_save(
        actor=dispatcher, ref=incident.ref, patient_id=patient.pk, name=NAME, nik=NIK
    )

    assert [p.name for p in services.patients_read(actor=dispatcher, ref=incident.ref)] == [NAME]
    assert Patient.objects.count() == 1
    refused(
        ValidationFailed,
        "emergency.patient.nik_invalid",
        lambda: services.patient_save(actor=dispatcher, ref=incident.ref, nik="62020641"),
    )
    refused(
        ValidationFailed,
        "emergency.patient.sex_invalid",
        lambda: services.patient_save(actor=dispatcher, ref=incident.ref, sex="X"),
    )
    refused(
        ValidationFailed,
        "emergency.number.invalid",
        lambda: services.patient_save(actor=dispatcher, ref=incident.ref, age_years="200"),
    )
    refused(
        NotFound,
        "emergency.patient.not_found",
        lambda: services.patient_save(actor=dispatcher, ref=incident.ref, patient_id=999_999),
    )


# --- Audit trail and change feed of every state change ---------------------------------------------
def test_every_state_change_writes_an_audit_event_and_a_desk_event(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
):
    unit = fleet["AMB-05"]
    other = fleet["AMB-03"]
    crew = make_crew(unit)
    state: dict[str, Any] = {}

    def expect(action: Callable[[], Any], audit: list[str], events: list[tuple[str, str]]) -> None:
        audit_from, feed_from = last_audit_id(), last_feed_id()
        action()
        incident = state["incident"]
        ids = {"incident": (EventKind.INCIDENT, incident.pk, None)}
        ids |= {u.call_sign: (EventKind.UNIT, None, u.pk) for u in (unit, other)}
        assert audit_actions(audit_from) == [f"kotacerdas.emergency.{a}" for a in audit]
        assert sorted(feed(feed_from)) == sorted(ids[name] for _kind, name in events)

    def new_call() -> None:
        state["incident"] = call()

    ref = lambda: state["incident"].ref  # noqa: E731

    expect(new_call, ["incident.called"], [("i", "incident")])
    expect(
        lambda: services.incident_add_details(
            actor=state["incident"].caller, ref=ref(), details="Jatuh"
        ),
        ["incident.details_added"],
        [("i", "incident")],
    )
    expect(
        lambda: services.incident_triage(actor=dispatcher, ref=ref(), priority="kuning"),
        ["incident.accepted"],
        [("i", "incident")],
    )
    expect(
        lambda: services.incident_triage(actor=dispatcher, ref=ref(), chief_complaint="luka_jatuh"),
        ["incident.triaged"],
        [("i", "incident")],
    )
    expect(
        lambda: services.patient_save(actor=dispatcher, ref=ref(), name=NAME),
        ["patient.added"],
        [("i", "incident")],
    )
    expect(
        lambda: state.update(
            other_assignment=services.incident_dispatch(
                actor=dispatcher, ref=ref(), unit_id=other.pk
            )
        ),
        ["incident.dispatched"],
        [("i", "incident"), ("u", "AMB-03")],
    )
    expect(
        lambda: services.assignment_release(
            actor=dispatcher, assignment_id=state["other_assignment"].pk, reason="Dobel"
        ),
        ["incident.unit_released"],
        [("i", "incident"), ("u", "AMB-03")],
    )
    expect(
        lambda: services.incident_dispatch(actor=dispatcher, ref=ref(), unit_id=unit.pk),
        ["incident.dispatched"],
        [("i", "incident"), ("u", "AMB-05")],
    )
    for status in (
        "diterima",
        "berangkat",
        "di_lokasi",
        "membawa_pasien",
        "tiba_di_faskes",
        "tersedia",
    ):
        expect(
            lambda s=status: services.unit_step(actor=crew, unit_id=unit.pk, status=s),
            [f"incident.unit_{status}"],
            [("i", "incident"), ("u", "AMB-05")],
        )
    expect(
        lambda: services.unit_set_service(
            actor=dispatcher, unit_id=other.pk, in_service=False, reason="Rusak"
        ),
        ["unit.out_of_service"],
        [("u", "AMB-03")],
    )
    expect(
        lambda: services.unit_set_service(actor=dispatcher, unit_id=other.pk, in_service=True),
        ["unit.in_service"],
        [("u", "AMB-03")],
    )
    expect(new_call, ["incident.called"], [("i", "incident")])  # a second call
    expect(
        lambda: services.incident_dispatch(actor=dispatcher, ref=ref(), unit_id=other.pk),
        ["incident.dispatched"],
        [("i", "incident"), ("u", "AMB-03")],
    )
    expect(
        lambda: services.incident_cancel(actor=dispatcher, ref=ref(), reason="Iseng"),
        ["incident.cancelled"],
        [("u", "AMB-03"), ("i", "incident")],
    )
    expect(
        lambda: state.update(incident=phone_call(dispatcher)),
        ["incident.recorded"],
        [("i", "incident")],
    )
    expect(
        lambda: services.incident_close(actor=dispatcher, ref=ref(), note="Saran lewat telepon"),
        ["incident.closed"],
        [("i", "incident")],
    )


def test_audit_events_carry_actor_before_and_after(fleet: dict[str, Unit], dispatcher: Any):
    incident = phone_call(dispatcher)
    services.incident_triage(actor=dispatcher, ref=incident.ref, priority="merah")

    event = AuditEvent.objects.get(action="kotacerdas.emergency.incident.triaged")

    assert (event.actor, event.object_type, event.object_id, event.object_repr) == (
        dispatcher,
        "emergency.incident",
        str(incident.pk),
        incident.ref,
    )
    assert event.region_code == SAMPIT_DESA
    assert event.before == {
        "status": "diterima",
        "priority": "kuning",
        "need": "ambulans",
        "chief_complaint": "sakit_umum",
        "desa_code": SAMPIT_DESA,
    }
    assert event.after == {**event.before, "priority": "merah", "need": "ambulans_paramedis"}


# --- Notifications ------------------------------------------------------------------------------------------
def notes(user: Any) -> list[tuple[str, str, str, str]]:
    return list(
        Notification.objects.filter(recipient=user)
        .order_by("pk")
        .values_list("kind", "title", "body", "url")
    )


def test_the_caller_and_the_crew_are_told_after_commit(
    fleet: dict[str, Unit],
    call: Callable[..., Incident],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
    django_capture_on_commit_callbacks: Any,
):
    incident = call()
    ref, caller = incident.ref, incident.caller
    status_url = reverse("emergency:status", kwargs={"ref": ref})
    unit = fleet["AMB-05"]
    crew = make_crew(unit)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.incident_triage(actor=dispatcher, ref=ref, priority="kuning")
    assert len(pending) == 1
    assert notes(caller) == []  # nothing before the commit

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_triage(actor=dispatcher, ref=ref, priority="kuning")  # not again
    assert notes(caller) == []
    pending[0]()
    assert notes(caller) == [
        (
            "emergency.update",
            f"119 has received your call {ref}",
            "A unit is being arranged. Keep your phone on.",
            status_url,
        )
    ]

    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.incident_dispatch(actor=dispatcher, ref=ref, unit_id=unit.pk)
    minutes = max(1, round((assignment.eta_seconds or 0) / 60))
    assert notes(caller)[-1] == (
        "emergency.update",
        "AMB-05 is on its way",
        f"Estimated arrival in {minutes} minutes.",
        status_url,
    )
    assert notes(crew) == [
        ("emergency.job", f"New job {ref} for AMB-05", "", reverse("emergency_crew:home"))
    ]

    told = {
        "diterima": None,
        "berangkat": "AMB-05 has left and is on its way to you",
        "di_lokasi": "AMB-05 has arrived",
        "membawa_pasien": None,
        "tiba_di_faskes": "AMB-05 has reached the health facility",
        "tersedia": None,
    }
    for status, title in told.items():
        count = len(notes(caller))
        with django_capture_on_commit_callbacks(execute=True):
            services.unit_step(actor=crew, unit_id=unit.pk, status=status)
        if title is None:
            assert len(notes(caller)) == count, status
        else:
            assert notes(caller)[-1] == ("emergency.update", title, "", status_url)
    assert len(notes(crew)) == 1
    # In-app only: the status page is live, an e-mail would arrive after the ambulance.
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 0


def test_a_cancel_by_the_desk_tells_the_caller_and_by_the_caller_does_not(
    call: Callable[..., Incident],
    dispatcher: Any,
    django_capture_on_commit_callbacks: Any,
    fleet: Any,
):
    first = call()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_cancel(actor=dispatcher, ref=first.ref, reason="Sudah ditangani Damkar")
    assert notes(first.caller) == [
        (
            "emergency.update",
            f"Your call {first.ref} was closed by 119",
            "Sudah ditangani Damkar",
            reverse("emergency:status", kwargs={"ref": first.ref}),
        )
    ]

    second = call()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_cancel(actor=second.caller, ref=second.ref, reason="Salah pencet")
    assert len(notes(second.caller)) == 1


def test_a_phone_call_has_nobody_to_notify(
    fleet: dict[str, Unit], dispatcher: Any, django_capture_on_commit_callbacks: Any
):
    incident = phone_call(dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-05"].pk)

    assert Notification.objects.count() == 0  # AMB-05 has no crew accounts here


# --- Fleet ---------------------------------------------------------------------------------------
def test_set_service_refusals(
    fleet: dict[str, Unit], dispatcher: Any, busy_unit: Unit, caller: Any
):
    refused(
        ValidationFailed,
        "emergency.unit.busy",
        lambda: services.unit_set_service(
            actor=dispatcher, unit_id=busy_unit.pk, in_service=False, reason="x"
        ),
    )
    refused(
        ValidationFailed,
        "emergency.text.required",
        lambda: services.unit_set_service(
            actor=dispatcher, unit_id=fleet["AMB-05"].pk, in_service=False, reason=""
        ),
    )
    refused(
        NotFound,
        "emergency.unit.not_found",
        lambda: services.unit_set_service(
            actor=caller, unit_id=fleet["AMB-05"].pk, in_service=False, reason="x"
        ),
    )
    unit = services.unit_set_service(
        actor=dispatcher, unit_id=fleet["AMB-05"].pk, in_service=False, reason="Mesin rusak"
    )
    assert (unit.status, unit.out_of_service_reason) == (UnitStatus.OUT_OF_SERVICE, "Mesin rusak")
    assert [
        r.unit.call_sign for r in selectors.recommend_units(incident=phone_call(dispatcher))
    ].count("AMB-05") == 0


@pytest.mark.django_db
def test_station_save_refuses_unknown_agency_and_facility(agencies: Any) -> None:
    from kotacerdas.core.errors import ValidationFailed
    from kotacerdas.emergency.models import Station

    with pytest.raises(ValidationFailed) as bad_agency:
        services.station_save(
            actor=None, code="x", name="X", agency_id=999_999, lat=SAMPIT[0], lng=SAMPIT[1]
        )
    assert bad_agency.value.code == "emergency.station.agency_invalid"
    with pytest.raises(ValidationFailed) as bad_facility:
        services.station_save(
            actor=None,
            code="x",
            name="X",
            agency_id=agencies["damkar"].pk,
            lat=SAMPIT[0],
            lng=SAMPIT[1],
            facility_id=999_999,
        )
    assert bad_facility.value.code == "emergency.station.facility_invalid"
    assert not Station.objects.exists()
