from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kotacerdas.facilities.importing import FacilityImportInvalid
from kotacerdas.facilities.services import facility_import


class Command(BaseCommand):
    help = (
        "Import or update schools (schools.csv) and health facilities (health_facilities.csv) "
        "from a directory, matched by (kind, code); only changed rows are written. A missing "
        "file or column stops the import with nothing written; row problems are listed (rows "
        "without a code, name or known kecamatan are skipped; rows without coordinates are "
        "kept without a location). Run import_regions first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="e.g. data/facilities")
        parser.add_argument(
            "--strict", action="store_true", help="fail (import nothing) if any row is skipped"
        )

    def handle(self, *args: Any, directory: str, strict: bool, **options: Any) -> None:
        try:
            report = facility_import(actor=None, directory=directory, strict=strict)
        except FacilityImportInvalid as exc:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(exc.problems)) from None
        if options["verbosity"] < 1:
            return
        for note in report.notes:
            self.stdout.write(f"  {note}")
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.by_kind.items()))
        self.stdout.write(
            f"Facilities: {report.rows} rows ({kinds}), {report.skipped} skipped, "
            f"{report.without_location} without a location. {report.changed} changed "
            f"({report.created} created, {report.updated} updated), {report.unchanged} unchanged."
        )
