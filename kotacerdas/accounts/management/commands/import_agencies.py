"""Load the regency's agencies (OPD) from a CSV with the columns code, short_name, name
(the format of data/agencies/agencies.csv). Idempotent: existing codes are updated, new ones
created, none removed (deactivate an agency in the back office)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kotacerdas.accounts.services import agency_import
from kotacerdas.core.errors import ServiceError


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("csv", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["csv"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            created, updated = agency_import(actor=None, path=path)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Agencies: {created} created, {updated} updated.")
