"""Real races on PostgreSQL: two threads, each with its own database connection, released
together by a barrier. Of two officers acting on one report with the version they both read,
exactly one wins and the other gets a Conflict; two taps of "me too" count once.

The rows are committed (a transactional test), so the tests sit in their own xdist group and
the root conftest puts the reference data back after the flush.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from kotacerdas.core.errors import Conflict
from kotacerdas.core.models import AuditEvent
from kotacerdas.reports import selectors, services
from kotacerdas.reports.models import EventKind, Report, ReportEvent, ReportSupport, Status

from .conftest import verified

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs two concurrent writers with row locks (run with DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("reports-race"),
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
        except Exception as exc:  # the loser's Conflict is a result here
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


@pytest.fixture
def slow_scope_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the row lock a moment longer (the scope check runs while it is held), so the second
    officer really waits on the lock instead of arriving after the first has committed."""
    original = selectors.can_handle

    def slow(*, actor: Any, report: Report) -> bool:
        allowed = original(actor=actor, report=report)
        time.sleep(0.3)
        return allowed

    monkeypatch.setattr(selectors, "can_handle", slow)


ACTIONS: dict[str, Callable[..., Report]] = {
    "verify": lambda actor, ref: services.report_verify(actor=actor, ref=ref, version=1),
    "reject": lambda actor, ref: services.report_reject(
        actor=actor, ref=ref, version=1, reason="Bukan kewenangan kabupaten."
    ),
}


@pytest.mark.parametrize(
    ("first", "second"), [("verify", "verify"), ("verify", "reject"), ("reject", "reject")]
)
def test_two_officers_one_report_one_wins(
    first: str,
    second: str,
    file_report: Callable[..., Any],
    pupr_officer: Any,
    pupr_head: Any,
    slow_scope_check: None,
):
    report = file_report()
    ref = report.ref
    officers = [verified(pupr_officer), verified(pupr_head)]

    results = race(
        lambda: ACTIONS[first](officers[0], ref), lambda: ACTIONS[second](officers[1], ref)
    )

    winners = [r for r in results if isinstance(r, Report)]
    losers = [r for r in results if not isinstance(r, Report)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert isinstance(losers[0], Conflict), results
    assert losers[0].code == "reports.report.conflict"
    report.refresh_from_db()
    assert report.version == 2
    assert report.status == winners[0].status
    assert report.status in (Status.VERIFIED, Status.REJECTED)
    events = ReportEvent.objects.filter(report=report).exclude(kind=EventKind.CREATED)
    assert events.count() == 1
    actions = AuditEvent.objects.filter(
        object_type="reports.report", object_id=str(report.pk)
    ).values_list("action", flat=True)
    assert sorted(actions) == ["kotacerdas.reports.report.created", _verb(report.status)]


def _verb(status: str) -> str:
    verb = {Status.VERIFIED: "verified", Status.REJECTED: "rejected"}[status]
    return f"kotacerdas.reports.report.{verb}"


def test_two_supports_by_one_person_count_once(
    file_report: Callable[..., Any], citizen: Any, monkeypatch: pytest.MonkeyPatch
):
    report = file_report()
    # Both taps pass the checks (report found, open, not their own) before either inserts:
    # the unique constraint is what must decide.
    both_checked = threading.Barrier(2, timeout=10)
    original = selectors.public_report_get

    def get_then_wait(*, ref: str) -> Report:
        found = original(ref=ref)
        both_checked.wait()
        return found

    monkeypatch.setattr(selectors, "public_report_get", get_then_wait)

    results = race(
        lambda: services.report_support(actor=citizen, ref=report.ref),
        lambda: services.report_support(actor=citizen, ref=report.ref),
    )

    assert sorted(results) == [False, True], results
    report.refresh_from_db()
    assert report.support_count == 1
    assert ReportSupport.objects.filter(report=report).count() == 1
    assert AuditEvent.objects.filter(action="kotacerdas.reports.report.supported").count() == 1


def test_two_people_supporting_at_once_both_count(file_report: Callable[..., Any]):
    from kotacerdas.accounts.tests.factories import CitizenFactory

    report = file_report()
    a, b = CitizenFactory(), CitizenFactory()

    results = race(
        lambda: services.report_support(actor=a, ref=report.ref),
        lambda: services.report_support(actor=b, ref=report.ref),
    )

    assert results == [True, True]
    report.refresh_from_db()
    assert report.support_count == 2  # F() increments: neither update is lost
