from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kotacerdas.reports.services import CatalogueInvalid, catalogue_import


class Command(BaseCommand):
    help = "Load the report categories and reply templates from a JSON file (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            created, changed = catalogue_import(path=path)
        except CatalogueInvalid as exc:
            raise CommandError("\n".join(exc.problems)) from exc
        self.stdout.write(f"report catalogue: {created} created, {changed} changed")
