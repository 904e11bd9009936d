"""Two editors racing on the same year's target, on real concurrent connections.

The test's own transaction is never committed, so the rows the racers need are written (and
removed afterwards) by threads, each on its own connection, which commit for real. This keeps
the session's reference data intact (a transactional test would flush it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from kotacerdas.accounts.tests.factories import AgencyFactory
from kotacerdas.core.errors import Conflict
from kotacerdas.core.models import AuditEvent
from kotacerdas.council import services
from kotacerdas.council.management.commands.seed_programs import SeedActor
from kotacerdas.council.models import Program, ProgramTarget

pytestmark = pytest.mark.django_db


def _in_thread(fn: Callable[[], Any]) -> Any:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:
            out["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    if "error" in out:
        raise out["error"]
    return out.get("value")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_editors_with_the_same_version_one_wins_one_conflicts():
    actor = SeedActor()

    def setup() -> tuple[int, Any]:
        agency: Any = AgencyFactory(code="race-opd", name="Race OPD", short_name="Race")
        program = Program.objects.create(
            code="race-program", name="Race", dimension="living", owner_agency=agency
        )
        row = ProgramTarget.objects.create(
            program=program, year=2026, indicator="M", unit="u", target=100, realisation=10
        )
        return program.pk, row.updated_at

    program_pk, seen = _in_thread(setup)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def editor(realisation: int) -> None:
        try:
            program = Program.objects.get(pk=program_pk)
            barrier.wait(10)
            services.program_target_set(
                actor=actor, program=program, year=2026, indicator="M", unit="u", target=100,
                realisation=realisation, expected_updated_at=seen,
            )  # fmt: skip
            results.append(f"ok:{realisation}")
        except Conflict:
            results.append("conflict")
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=editor, args=(r,)) for r in (20, 30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)

        assert sorted(r.split(":")[0] for r in results) == ["conflict", "ok"]
        winner = Decimal(next(r for r in results if r.startswith("ok")).split(":")[1])

        def check() -> tuple[Decimal | None, int]:
            return (
                ProgramTarget.objects.get(program_id=program_pk).realisation,
                AuditEvent.objects.filter(
                    action="kotacerdas.council.program.target_set", object_id=str(program_pk)
                ).count(),
            )

        assert _in_thread(check) == (winner, 1)
    finally:

        def cleanup() -> None:
            AuditEvent.objects.filter(
                object_type="council.program", object_id=str(program_pk)
            ).delete()
            Program.objects.filter(pk=program_pk).delete()
            from kotacerdas.accounts.models import Agency

            Agency.objects.filter(code="race-opd").delete()

        _in_thread(cleanup)
