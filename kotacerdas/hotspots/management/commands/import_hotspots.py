"""`manage.py import_hotspots FILE_OR_DIR...`: import NASA FIRMS CSV files (archive or NRT).

Only points inside the regency are kept; a second run of the same file adds nothing. A file
with bad rows is refused whole and its per-row report printed; the exit status is then 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kotacerdas.hotspots import services
from kotacerdas.hotspots.models import ImportOutcome, ImportSource


class Command(BaseCommand):
    help = "Import NASA FIRMS hotspot CSV files (a file, or every *.csv in a directory)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        files: list[Path] = []
        for raw in options["paths"]:
            path = Path(raw)
            if path.is_dir():
                files.extend(sorted(path.glob("*.csv")))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path}: no such file or directory")
        failed = 0
        for path in files:
            with path.open("rb") as fh:
                run = services.hotspots_import(
                    actor=None, source=ImportSource.COMMAND, upload=fh, filename=path.name
                )
            if run.outcome == ImportOutcome.DONE:
                if options["verbosity"] > 0:
                    self.stdout.write(
                        f"{path.name}: {run.rows_total} rows, {run.rows_new} new, "
                        f"{run.rows_duplicate} known, {run.rows_outside} outside, "
                        f"{run.events_new} new events ({run.duration_ms} ms)"
                    )
            else:
                failed += 1
                self.stderr.write(f"{path.name}: refused ({run.code}): {run.message}")
                for err in run.errors[:50]:
                    self.stderr.write(f"  row {err['row']} {err['column']}: {err['message']}")
        if failed:
            raise CommandError(f"{failed} file(s) refused")
