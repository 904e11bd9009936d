from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from kotacerdas.accounts.tests.factories import AgencyFactory
from kotacerdas.council.management.commands.seed_programs import demo_targets
from kotacerdas.council.models import Program, ProgramTarget

from .conftest import council_events

pytestmark = pytest.mark.django_db

CSV = Path(settings.BASE_DIR) / "data" / "programs" / "programs.csv"


def _load_agencies() -> None:
    with (Path(settings.BASE_DIR) / "data" / "agencies" / "agencies.csv").open() as fh:
        for row in csv.DictReader(fh):
            AgencyFactory(code=row["code"], short_name=row["short_name"], name=row["name"])


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_programs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _state() -> tuple[list[Any], list[Any]]:
    return (
        list(Program.objects.order_by("code").values()),
        list(ProgramTarget.objects.order_by("program__code", "year").values()),
    )


def test_every_owner_agency_is_in_the_agency_list():
    with (Path(settings.BASE_DIR) / "data" / "agencies" / "agencies.csv").open() as fh:
        agencies = {row["code"] for row in csv.DictReader(fh)}
    with CSV.open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["owner_agency"] for r in rows} <= agencies
    assert {r["dimension"] for r in rows} == {
        "governance", "branding", "economy", "living", "society", "environment",
    }  # fmt: skip


def test_seed_loads_programs_and_is_idempotent(this_year):
    _load_agencies()

    out, err = _run()

    assert err == ""
    assert out == (
        "Programs: 11 created, 0 updated, 0 unchanged, 0 skipped; targets: 55 set, 0 unchanged.\n"
    )
    ambulance = Program.objects.select_related("owner_agency").get(code="ambulans-gratis")
    assert (ambulance.name, ambulance.dimension, ambulance.owner_agency.code) == (
        "Layanan Ambulans Gratis 119",
        "living",
        "dinkes",
    )
    assert ambulance.is_quick_win
    assert ambulance.is_demo
    years = list(ambulance.targets.values_list("year", "target"))
    assert years == [
        (2025, Decimal("1200.00")),
        (2026, Decimal("1500.00")),
        (2027, Decimal("1800.00")),
        (2028, Decimal("2100.00")),
        (2029, Decimal("2400.00")),
    ]
    for t in ambulance.targets.all():
        assert (t.realisation is None) == (t.year > this_year)
    assert council_events().filter(action="kotacerdas.council.program.created").count() == 11
    assert (
        council_events()
        .get(action="kotacerdas.council.program.created", object_id=str(ambulance.pk))
        .actor_label
        == "system"
    )

    state, events = _state(), council_events().count()
    out, err = _run()
    assert out == (
        "Programs: 0 created, 0 updated, 11 unchanged, 0 skipped; targets: 0 set, 55 unchanged.\n"
    )
    out, err = _run("--reset")
    assert out == (
        "Programs: 0 created, 0 updated, 11 unchanged, 0 skipped; targets: 0 set, 55 unchanged.\n"
    )
    assert _state() == state
    assert council_events().count() == events


def test_seed_keeps_edits_unless_reset():
    _load_agencies()
    _run()
    Program.objects.filter(code="spmb-online").update(name="Edited")
    ProgramTarget.objects.filter(program__code="spmb-online", year=2025).update(target=1)

    _run()
    assert Program.objects.get(code="spmb-online").name == "Edited"

    out, _err = _run("--reset")
    assert out == (
        "Programs: 0 created, 1 updated, 10 unchanged, 0 skipped; targets: 1 set, 54 unchanged.\n"
    )
    assert Program.objects.get(code="spmb-online").name == "SPMB Online"
    assert ProgramTarget.objects.get(program__code="spmb-online", year=2025).target == Decimal(
        "6000.00"
    )


def test_seed_skips_programs_whose_agency_is_missing():
    AgencyFactory(code="dinkes", short_name="Dinkes", name="Dinas Kesehatan")

    out, err = _run()

    assert list(Program.objects.values_list("code", flat=True)) == ["ambulans-gratis"]
    assert out == (
        "Programs: 1 created, 0 updated, 0 unchanged, 10 skipped; targets: 5 set, 0 unchanged.\n"
    )
    assert err.splitlines()[0] == (
        "Skipped program 'deteksi-kebakaran': agency 'bpbd' does not exist "
        "(load the agencies first, e.g. with seed_demo)."
    )
    assert len(err.splitlines()) == 10


def test_seed_reports_a_bad_row(tmp_path):
    AgencyFactory(code="dinkes")
    bad = tmp_path / "programs.csv"
    header = CSV.read_text().splitlines()[0]
    bad.write_text(header + "\nx-1,Name,moon,dinkes,running,1,1,M,u,2025,2026,1,2,D\n")

    with pytest.raises(CommandError) as exc:
        _run(str(bad))
    assert str(exc.value).startswith(f"{bad}:2 (x-1): ")
    assert "dimension" in str(exc.value)
    assert Program.objects.count() == 0

    with pytest.raises(CommandError) as exc:
        _run(str(tmp_path / "missing.csv"))
    assert str(exc.value) == f"{tmp_path / 'missing.csv'}: no such file"


def test_demo_targets_are_the_same_every_run_and_percentages_stay_under_100():
    row = {
        "code": "x", "indicator": "M", "unit": "%", "first_year": "2025", "last_year": "2029",
        "target_first": "90", "target_last": "100",
    }  # fmt: skip
    first = demo_targets(row, this_year=2027)
    assert first == demo_targets(row, this_year=2027)
    assert [t["target"] for t in first] == [
        Decimal("90.00"), Decimal("92.50"), Decimal("95.00"), Decimal("97.50"), Decimal("100.00"),
    ]  # fmt: skip
    assert all(t["realisation"] <= 100 for t in first if t["realisation"] is not None)
    assert [t["realisation"] is None for t in first] == [False, False, False, True, True]
    # The figures of a past year do not move when the calendar does.
    assert demo_targets(row, this_year=2029)[0] == first[0]
