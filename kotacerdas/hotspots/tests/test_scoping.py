"""Who reaches which fires: for every role, exactly the events, ground checks, sensors and
import runs it should see, and who may manage (change an event's state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kotacerdas.accounts.models import Role
from kotacerdas.core.errors import AuthenticationRequired, NotFound, PermissionDenied
from kotacerdas.hotspots import selectors, services
from kotacerdas.hotspots.models import EventStatus, FireEvent
from kotacerdas.hotspots.tests.conftest import (
    BAPEANG,
    UJUNG_PANDARAN,
    import_bytes,
    nrt_file,
    nrt_row,
    verified,
)

pytestmark = pytest.mark.django_db

LAMPUYANG = "62.02.11.2003"  # same kecamatan (Teluk Sampit) as Ujung Pandaran
POINTS = {
    UJUNG_PANDARAN: (-3.1600, 112.9553),
    LAMPUYANG: (-3.1600, 112.9000),
    BAPEANG: (-2.6600, 112.9200),  # Kecamatan Mentawa Baru Ketapang
}
ALL = {UJUNG_PANDARAN, LAMPUYANG, BAPEANG}
ROLES = [
    "operator_desa",
    "kepala_desa",
    "operator_kecamatan",
    "bpbd_officer",
    "bpbd_head",
    "damkar_officer",
    "pupr_officer",
    "dispatcher",
    "dewan",
    "admin",
    "citizen",
    "anonymous",
]


@pytest.fixture
def world(
    agencies: dict[str, Any],
    make_staff: Callable[..., Any],
    make_sensor: Callable[..., Any],
    citizen: Any,
) -> dict[str, Any]:
    """Three events (two desa of Teluk Sampit, one of Mentawa Baru Ketapang), a ground check
    for each desa event, sensors of Damkar and PUPR, and one person of each role."""
    people = {
        "operator_desa": make_staff(Role.OPERATOR_DESA, region_code=UJUNG_PANDARAN),
        "kepala_desa": make_staff(Role.KEPALA_DESA, region_code=UJUNG_PANDARAN),
        "operator_kecamatan": make_staff(Role.OPERATOR_KECAMATAN, region_code="62.02.11"),
        "bpbd_officer": make_staff(Role.PETUGAS_OPD, agency=agencies["bpbd"]),
        "bpbd_head": make_staff(Role.KEPALA_OPD, agency=agencies["bpbd"]),
        "damkar_officer": make_staff(Role.PETUGAS_OPD, agency=agencies["damkar"]),
        "pupr_officer": make_staff(Role.PETUGAS_OPD, agency=agencies["pupr"]),
        "dispatcher": make_staff(Role.DISPATCHER, agency=agencies["dinkes"]),
        "dewan": make_staff(Role.DEWAN),
        "admin": make_staff(Role.ADMIN, agency=agencies["diskominfo"]),
    }
    people = {k: verified(v) for k, v in people.items()}
    people["citizen"] = citizen
    people["anonymous"] = AnonymousUser()
    t = dt.datetime(2024, 9, 1, 6, 0, tzinfo=dt.UTC)
    run = import_bytes(nrt_file([nrt_row(lat, lng, t) for lat, lng in POINTS.values()]))
    assert run.rows_new == 3
    events = {e.desa_code: e for e in FireEvent.objects.all()}
    assert set(events) == ALL
    checks = {
        desa: services.check_assign(actor=people["bpbd_officer"], ref=e.ref, desa_code=desa)
        for desa, e in events.items()
        if desa != BAPEANG
    }
    # Bapeang's event is checked by a Damkar officer in person.
    checks[BAPEANG] = services.check_assign(
        actor=people["bpbd_officer"], ref=events[BAPEANG].ref, user_id=people["damkar_officer"].pk
    )
    damkar_sensor, _ = make_sensor("pasar-damkar", agency_id=agencies["damkar"].pk)
    pupr_sensor, _ = make_sensor("kantor-pupr", agency_id=agencies["pupr"].pk)
    return {
        "people": people,
        "events": events,
        "checks": checks,
        "sensors": {"damkar": damkar_sensor, "pupr": pupr_sensor},
    }


# Which desa's events each role sees.
EVENTS_SEEN = {
    "operator_desa": {UJUNG_PANDARAN},
    "kepala_desa": {UJUNG_PANDARAN},
    "operator_kecamatan": {UJUNG_PANDARAN, LAMPUYANG},
    "bpbd_officer": ALL,
    "bpbd_head": ALL,
    "damkar_officer": ALL,
    "pupr_officer": set(),
    "dispatcher": ALL,
    "dewan": ALL,
    "admin": ALL,
    "citizen": set(),
    "anonymous": set(),
}
# Whose ground checks each role may answer (by the check's event desa).
CHECKS_FOR = {
    "operator_desa": {UJUNG_PANDARAN},
    "kepala_desa": {UJUNG_PANDARAN},
    "operator_kecamatan": {UJUNG_PANDARAN, LAMPUYANG},
    "bpbd_officer": {UJUNG_PANDARAN, LAMPUYANG},  # desa checks regency-wide, not others' own
    "bpbd_head": {UJUNG_PANDARAN, LAMPUYANG},
    "damkar_officer": ALL,  # the desa checks, and Bapeang's assigned to them
    "pupr_officer": set(),
    "dispatcher": set(),
    "dewan": set(),
    "admin": set(),
    "citizen": set(),
    "anonymous": set(),
}
SENSORS_SEEN = {
    "operator_desa": set(),
    "kepala_desa": set(),
    "operator_kecamatan": set(),
    "bpbd_officer": {"pasar-damkar", "kantor-pupr"},
    "bpbd_head": {"pasar-damkar", "kantor-pupr"},
    "damkar_officer": {"pasar-damkar", "kantor-pupr"},
    "pupr_officer": set(),
    "dispatcher": {"pasar-damkar", "kantor-pupr"},
    "dewan": {"pasar-damkar", "kantor-pupr"},
    "admin": {"pasar-damkar", "kantor-pupr"},
    "citizen": set(),
    "anonymous": set(),
}
SEES_IMPORTS = {"bpbd_officer", "bpbd_head", "damkar_officer", "admin"}
MANAGES = {"bpbd_officer", "bpbd_head", "damkar_officer", "admin"}


@pytest.mark.parametrize("role", ROLES)
def test_event_list_and_get(role: str, world: dict[str, Any]) -> None:
    actor = world["people"][role]
    seen = {e.desa_code for e in selectors.event_list(actor=actor)}
    assert seen == EVENTS_SEEN[role]
    for desa, event in world["events"].items():
        if desa in EVENTS_SEEN[role]:
            assert selectors.event_get(actor=actor, ref=event.ref).pk == event.pk
        else:
            with pytest.raises(NotFound):
                selectors.event_get(actor=actor, ref=event.ref)


@pytest.mark.parametrize("role", ROLES)
def test_checks_for(role: str, world: dict[str, Any]) -> None:
    actor = world["people"][role]
    got = {c.event.desa_code for c in selectors.checks_for(actor=actor)}
    assert got == CHECKS_FOR[role]
    for desa, check in world["checks"].items():
        assert services.can_answer(actor, check) is (desa in CHECKS_FOR[role]), desa


@pytest.mark.parametrize("role", ROLES)
def test_sensor_list(role: str, world: dict[str, Any]) -> None:
    actor = world["people"][role]
    assert (
        set(selectors.sensor_list(actor=actor).values_list("code", flat=True)) == SENSORS_SEEN[role]
    )


def test_a_check_can_be_assigned_to_a_named_officer_of_a_fire_agency_only(
    world: dict[str, Any],
) -> None:
    """The officer chosen is judged as they act (signed in with TOTP), not by the session
    of whoever assigns."""
    people = world["people"]
    event = world["events"][LAMPUYANG]
    services.check_cancel(actor=people["admin"], check_id=world["checks"][LAMPUYANG].pk)
    from kotacerdas.core.errors import ValidationFailed

    for refused in ("pupr_officer", "dispatcher", "dewan", "citizen"):
        with pytest.raises(ValidationFailed) as caught:
            services.check_assign(actor=people["admin"], ref=event.ref, user_id=people[refused].pk)
        assert caught.value.code == "fires.check.user_invalid"
    check = services.check_assign(
        actor=people["admin"], ref=event.ref, user_id=people["bpbd_officer"].pk
    )
    assert check.assignee_user == people["bpbd_officer"]
    assert check in selectors.checks_for(actor=people["bpbd_officer"])
    assert services.can_answer(people["bpbd_officer"], check)
    assert not services.can_answer(people["damkar_officer"], check)
    assert not services.can_answer(people["operator_kecamatan"], check)


def test_an_agency_head_outside_the_fire_agencies_sees_only_own_sensors(
    world: dict[str, Any], agencies: dict[str, Any], make_staff: Callable[..., Any]
) -> None:
    head = verified(make_staff(Role.KEPALA_OPD, agency=agencies["pupr"]))
    assert list(selectors.sensor_list(actor=head).values_list("code", flat=True)) == ["kantor-pupr"]
    assert list(selectors.event_list(actor=head)) == []


@pytest.mark.parametrize("role", ROLES)
def test_import_runs(role: str, world: dict[str, Any]) -> None:
    actor = world["people"][role]
    runs = selectors.import_runs(actor=actor)
    if role in SEES_IMPORTS:
        assert len(runs) == 1
        assert selectors.import_run_get(actor=actor, pk=runs[0].pk) == runs[0]
    else:
        assert runs == []
        with pytest.raises(NotFound):
            selectors.import_run_get(actor=actor, pk=1)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_manage(role: str, world: dict[str, Any]) -> None:
    actor = world["people"][role]
    event = world["events"][UJUNG_PANDARAN]
    if role in MANAGES:
        moved = services.event_set_status(actor=actor, ref=event.ref, status=EventStatus.HANDLING)
        assert moved.status == EventStatus.HANDLING
        return
    expected: type[Exception] = PermissionDenied
    if role == "anonymous":
        expected = AuthenticationRequired
    elif role == "pupr_officer":
        expected = NotFound  # holds the permission, reaches no event
    with pytest.raises(expected):
        services.event_set_status(actor=actor, ref=event.ref, status=EventStatus.HANDLING)
    event.refresh_from_db()
    assert event.status == EventStatus.NEW


def test_dispatcher_and_dewan_see_all_but_cannot_manage(world: dict[str, Any]) -> None:
    for role in ("dispatcher", "dewan"):
        actor = world["people"][role]
        assert selectors.event_list(actor=actor).count() == 3
        for event in world["events"].values():
            with pytest.raises(PermissionDenied):
                services.event_set_status(actor=actor, ref=event.ref, status=EventStatus.HANDLING)
            with pytest.raises(PermissionDenied):
                services.check_cancel(actor=actor, check_id=world["checks"][BAPEANG].pk)


def test_a_merged_event_is_not_listed(world: dict[str, Any]) -> None:
    admin = world["people"]["admin"]
    up = world["events"][UJUNG_PANDARAN]
    FireEvent.objects.filter(pk=world["events"][LAMPUYANG].pk).update(merged_into=up)
    assert {e.desa_code for e in selectors.event_list(actor=admin)} == {UJUNG_PANDARAN, BAPEANG}


def test_event_list_filters(world: dict[str, Any]) -> None:
    admin = world["people"]["admin"]
    assert {e.desa_code for e in selectors.event_list(actor=admin, kecamatan_code="62.02.11")} == {
        UJUNG_PANDARAN,
        LAMPUYANG,
    }
    day = dt.date(2024, 9, 1)
    assert selectors.event_list(actor=admin, start=day, end=day).count() == 3
    assert (
        selectors.event_list(actor=admin, start=day.replace(day=3), end=day.replace(day=4)).count()
        == 0
    )
    assert selectors.event_list(actor=admin, status=EventStatus.OUT).count() == 0


def test_event_list_query_count(world: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    actor = world["people"]["operator_kecamatan"]
    with django_assert_max_num_queries(4):
        events = list(selectors.event_list(actor=actor))
        for event in events:
            [c.assignee_user for c in event.open_checks]
    assert len(events) == 2
