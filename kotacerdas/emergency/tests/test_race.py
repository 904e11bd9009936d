"""Real races on PostgreSQL: threads, each with its own database connection, released together
by a barrier. Two dispatchers sending one unit to two incidents: exactly one succeeds, the other
gets `emergency.unit.busy` (the unit's row lock, and behind it the "one open assignment per
unit" constraint). Five identical taps of the citizen's button with one key: one incident. Two
taps of the same crew step: one applied, one timestamp.

The rows are committed (a transactional test), so the tests sit in their own xdist group and
the root conftest puts the reference data back after the flush.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from kotacerdas.accounts.models import Role
from kotacerdas.core.errors import Conflict, ValidationFailed
from kotacerdas.core.models import AuditEvent
from kotacerdas.emergency import selectors, services
from kotacerdas.emergency.models import (
    Assignment,
    Incident,
    IncidentStatus,
    Unit,
    UnitStatus,
)

from .conftest import SAMPIT, verified

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers with row locks (run with DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("emergency-race"),
]


def race(*workers: Callable[[], Any]) -> list[Any]:
    """Run the workers at the same moment, each in its own thread and connection; their
    results (or the exceptions they raised), in order."""
    barrier = threading.Barrier(len(workers), timeout=10)
    results: list[Any] = [None] * len(workers)

    def run(i: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:  # the loser's error is a result here
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a racer is stuck"
    return results


def phone_call(actor: Any) -> Incident:
    return services.incident_record_call(
        actor=actor,
        kind="medis",
        priority="kuning",
        chief_complaint="sakit_umum",
        caller_phone="081234567890",
        lat=SAMPIT[0],
        lng=SAMPIT[1],
    )


@pytest.fixture
def two_dispatchers(dispatcher: Any, make_staff: Callable[..., Any], agencies: Any) -> list[Any]:
    return [dispatcher, verified(make_staff(Role.DISPATCHER, agency=agencies["dinkes"]))]


@pytest.fixture
def slow_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the unit's row lock a moment longer (the estimate runs while it is held), so the
    second dispatcher really waits on the lock instead of arriving after the first committed."""
    original = selectors.estimate_for_unit

    def slow(**kwargs: Any) -> Any:
        found = original(**kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(selectors, "estimate_for_unit", slow)


def assert_one_dispatch(results: list[Any], unit: Unit, incidents: list[Incident]) -> None:
    winners = [r for r in results if isinstance(r, Assignment)]
    losers = [r for r in results if not isinstance(r, Assignment)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert isinstance(losers[0], Conflict), results
    assert losers[0].code == "emergency.unit.busy"
    assert list(
        Assignment.objects.filter(unit=unit, cleared_at__isnull=True).values_list(
            "incident_id", flat=True
        )
    ) == [winners[0].incident_id]
    assert Assignment.objects.count() == 1
    unit.refresh_from_db()
    assert (unit.status, unit.version) == (UnitStatus.DISPATCHED, 2)
    loser = next(i for i in incidents if i.pk != winners[0].incident_id)
    loser.refresh_from_db()
    # The loser's incident is untouched: still waiting for a unit.
    assert (loser.status, loser.version, loser.dispatched_at) == (IncidentStatus.ACCEPTED, 1, None)
    assert AuditEvent.objects.filter(action="kotacerdas.emergency.incident.dispatched").count() == 1


def test_two_dispatchers_one_unit_one_wins(
    fleet: dict[str, Unit], two_dispatchers: list[Any], slow_estimate: None
):
    unit = fleet["AMB-05"]
    incidents = [phone_call(two_dispatchers[0]), phone_call(two_dispatchers[1])]

    results = race(
        *(
            lambda d=d, i=i: services.incident_dispatch(actor=d, ref=i.ref, unit_id=unit.pk)
            for d, i in zip(two_dispatchers, incidents, strict=True)
        )
    )

    assert_one_dispatch(results, unit, incidents)
    loser = next(r for r in results if isinstance(r, Conflict))
    # It waited on the unit's lock, then saw the unit taken.
    assert loser.message.startswith("AMB-05 ")  # the language of the worker thread


def test_the_unique_constraint_is_the_last_line(
    fleet: dict[str, Unit], two_dispatchers: list[Any], monkeypatch: pytest.MonkeyPatch
):
    """Even if both dispatchers read the unit as free (no row lock), the partial unique index
    "one open assignment per unit" lets only one assignment in."""

    class UnlockedUnits:
        class objects:  # stands in for the manager
            @staticmethod
            def select_for_update(**kwargs: Any) -> Any:
                return Unit.objects.all()

    both_read = threading.Barrier(2, timeout=10)
    original = selectors.estimate_for_unit

    def estimate_then_wait(**kwargs: Any) -> Any:
        found = original(**kwargs)
        both_read.wait()  # both passed the "is it free?" check
        return found

    monkeypatch.setattr(services, "Unit", UnlockedUnits)
    monkeypatch.setattr(selectors, "estimate_for_unit", estimate_then_wait)
    unit = fleet["AMB-05"]
    incidents = [phone_call(two_dispatchers[0]), phone_call(two_dispatchers[1])]

    results = race(
        *(
            lambda d=d, i=i: services.incident_dispatch(actor=d, ref=i.ref, unit_id=unit.pk)
            for d, i in zip(two_dispatchers, incidents, strict=True)
        )
    )

    assert_one_dispatch(results, unit, incidents)
    loser = next(r for r in results if isinstance(r, Conflict))
    assert loser.message.startswith("AMB-05 ")


def test_five_identical_taps_make_one_incident(
    fleet: dict[str, Unit], caller: Any, monkeypatch: pytest.MonkeyPatch
):
    # All five pass the "is this key known?" check before any inserts.
    all_checked = threading.Barrier(5, timeout=10)
    original = services.resolve_location

    def locate_then_wait(**kwargs: Any) -> Any:
        where = original(**kwargs)
        all_checked.wait()
        return where

    monkeypatch.setattr(services, "resolve_location", locate_then_wait)
    key = str(uuid.uuid4())

    results = race(
        *(
            lambda: services.incident_call(
                actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1], idempotency_key=key
            )
            for _tap in range(5)
        )
    )

    assert all(isinstance(r, tuple) for r in results), results
    assert len({incident.pk for incident, _created in results}) == 1
    assert sorted(created for _incident, created in results) == [False] * 4 + [True]
    assert Incident.objects.count() == 1
    assert str(Incident.objects.get().idempotency_key) == key
    assert AuditEvent.objects.filter(action="kotacerdas.emergency.incident.called").count() == 1


@pytest.mark.parametrize(
    ("with_version", "error", "code"),
    [
        (True, Conflict, "emergency.unit.conflict"),
        (False, ValidationFailed, "emergency.unit.step_forbidden"),
    ],
    ids=["with-version", "without-version"],
)
def test_two_taps_of_one_crew_step_apply_once(
    with_version: bool,
    error: type[Exception],
    code: str,
    fleet: dict[str, Unit],
    dispatcher: Any,
    make_crew: Callable[[Unit], Any],
    monkeypatch: pytest.MonkeyPatch,
):
    unit = fleet["AMB-05"]
    crew = [make_crew(unit), make_crew(unit)]  # two phones of one crew
    incident = phone_call(dispatcher)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    unit = services.unit_step(actor=crew[0], unit_id=unit.pk, status=UnitStatus.ACKNOWLEDGED)
    before = unit.version
    seen = before if with_version else None
    original = services._lock_unit_for_crew

    def slow(**kwargs: Any) -> Unit:
        locked = original(**kwargs)
        time.sleep(0.3)  # the incident's lock is held meanwhile
        return locked

    monkeypatch.setattr(services, "_lock_unit_for_crew", slow)

    results = race(
        *(
            lambda c=c: services.unit_step(
                actor=c, unit_id=unit.pk, status=UnitStatus.EN_ROUTE, version=seen
            )
            for c in crew
        )
    )

    winners = [r for r in results if isinstance(r, Unit)]
    losers = [r for r in results if not isinstance(r, Unit)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert isinstance(losers[0], error), results
    assert losers[0].code == code  # type: ignore[attr-defined]
    unit.refresh_from_db()
    assert (unit.status, unit.version) == (UnitStatus.EN_ROUTE, before + 1)
    assignment = Assignment.objects.get(unit=unit)
    incident.refresh_from_db()
    assert assignment.en_route_at is not None
    assert incident.en_route_at == assignment.en_route_at  # one timestamp
    assert incident.status == IncidentStatus.EN_ROUTE
    assert (
        AuditEvent.objects.filter(action="kotacerdas.emergency.incident.unit_berangkat").count()
        == 1
    )
