"""Load the masterplan programs of Kotim from data/programs/programs.csv.

The programs are the masterplan's; their yearly targets and realisations are demo numbers,
drawn with a fixed seed per program (so every run draws the same), and such programs are
marked `is_demo`. Idempotent: a second run changes nothing. By default rows that already
exist are left as they are (an administrator may have edited them); `--reset` brings them
back to the file's values. A program whose owner agency is not loaded yet is skipped with a
message (agencies come from seed_demo, which calls this command after them).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kotacerdas.accounts import selectors as accounts_selectors
from kotacerdas.core.errors import NotFound, ServiceError
from kotacerdas.council import selectors, services
from kotacerdas.council.models import Program, ProgramTarget
from kotacerdas.council.policy import CHANGE_PROGRAM

DEFAULT_PATH = Path(settings.BASE_DIR) / "data" / "programs" / "programs.csv"
COLUMNS = [
    "code", "name", "dimension", "owner_agency", "status", "is_quick_win", "is_demo",
    "indicator", "unit", "first_year", "last_year", "target_first", "target_last", "description",
]  # fmt: skip


class SeedActor:
    """The command acting as the system: allowed to change programs, recorded in the audit
    trail as "system" (it is not an authenticated user)."""

    is_authenticated = False
    is_anonymous = False

    def has_perm(self, perm: str) -> bool:
        return perm == CHANGE_PROGRAM


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    targets_set: int = 0
    targets_unchanged: int = 0


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "ya"}


def _round(value: float, unit: str) -> Decimal:
    # Percentages keep one decimal and stop at 100; counts are whole.
    if unit == "%":
        return Decimal(str(round(min(value, 100.0), 1))).quantize(Decimal("0.01"))
    return Decimal(round(value)).quantize(Decimal("0.01"))


def demo_targets(row: dict[str, str], *, this_year: int) -> list[dict[str, Any]]:
    """Targets from target_first to target_last, linear over the years; realisations drawn
    with the program's own seed: whole past years around the target, this year part-way,
    none for the years to come. Every year draws the same two numbers whatever the date, so a
    year's figures do not change when the calendar moves on."""
    rng = random.Random(f"kotacerdas.council.{row['code']}")
    first, last = int(row["first_year"]), int(row["last_year"])
    t0, t1 = float(row["target_first"]), float(row["target_last"])
    unit = row["unit"]
    out = []
    for year in range(first, last + 1):
        share = (year - first) / (last - first) if last > first else 1.0
        target = t0 + (t1 - t0) * share
        full, partial = rng.uniform(0.78, 1.08), rng.uniform(0.45, 0.85)
        if year < this_year:
            realisation: Decimal | None = _round(target * full, unit)
        elif year == this_year:
            realisation = _round(target * partial, unit)
        else:
            realisation = None
        out.append(
            {
                "year": year,
                "indicator": row["indicator"],
                "unit": unit,
                "target": _round(target, unit),
                "realisation": realisation,
            }
        )
    return out


class Command(BaseCommand):
    help = "Load the masterplan programs (with demo yearly targets) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Bring programs and targets that exist back to the file's values.",
        )

    def handle(self, *args: Any, path: str, reset: bool, verbosity: int, **options: Any) -> None:
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        with file.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"{file}: missing columns {', '.join(missing)}")
            rows = list(reader)

        actor = SeedActor()
        this_year = selectors.current_year()
        counts = Counts()
        for line, row in enumerate(rows, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            try:
                agency = accounts_selectors.agency_get(code=row["owner_agency"])
            except NotFound:
                counts.skipped += 1
                self.stderr.write(
                    f"Skipped program {row['code']!r}: agency {row['owner_agency']!r} does not "
                    "exist (load the agencies first, e.g. with seed_demo)."
                )
                continue
            try:
                program, existing = self._program(actor, row, agency, reset, counts)
                for target in demo_targets(row, this_year=this_year):
                    self._target(
                        actor, program, existing.get(target["year"]), target, reset, counts
                    )
            except (ServiceError, ValueError, KeyError) as exc:
                detail = getattr(exc, "fields", None) or exc
                raise CommandError(f"{file}:{line} ({row.get('code')}): {detail}") from exc

        if verbosity:
            self.stdout.write(
                f"Programs: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged, {counts.skipped} skipped; "
                f"targets: {counts.targets_set} set, {counts.targets_unchanged} unchanged."
            )

    def _program(
        self, actor: SeedActor, row: dict[str, str], agency: Any, reset: bool, counts: Counts
    ) -> tuple[Program, dict[int, ProgramTarget]]:
        data = {
            "name": row["name"],
            "dimension": row["dimension"],
            "description": row["description"],
            "owner_agency": agency,
            "status": row["status"],
            "is_quick_win": _bool(row["is_quick_win"]),
            "is_demo": _bool(row["is_demo"]),
        }
        try:
            existing = selectors.program_get(code=row["code"])
        except NotFound:
            counts.created += 1
            return services.program_create(actor=actor, code=row["code"], **data), {}
        targets = {t.year: t for t in existing.loaded_targets}
        if not reset:
            counts.unchanged += 1
            return existing, targets
        before = existing.updated_at
        program = services.program_update(actor=actor, program=existing, data=data)
        if program.updated_at != before:
            counts.updated += 1
        else:
            counts.unchanged += 1
        return program, targets

    def _target(
        self,
        actor: SeedActor,
        program: Program,
        existing: ProgramTarget | None,
        target: dict[str, Any],
        reset: bool,
        counts: Counts,
    ) -> None:
        if existing is not None and (
            not reset
            or (existing.indicator, existing.unit, existing.target, existing.realisation)
            == (target["indicator"], target["unit"], target["target"], target["realisation"])
        ):
            counts.targets_unchanged += 1
            return
        services.program_target_set(actor=actor, program=program, **target)
        counts.targets_set += 1
