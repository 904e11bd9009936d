from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kotacerdas.regions.errors import RegionImportInvalid
from kotacerdas.regions.services import region_tree_import


class Command(BaseCommand):
    help = (
        "Import or update the region tree (kabupaten/kota, kecamatan, desa/kelurahan) from a "
        "directory holding regions.csv (code,name,level,parent_code,lat,lng,postal_code) and "
        "boundary *.geojson files (features with properties code, name, level, parent_code). "
        "Rows are matched by Kemendagri code and only changed rows are written; a second run "
        "reports 0 changed. Everything is checked first: any problem stops the import with "
        "nothing written. When two layers give a boundary for the same code, the layer whose "
        "file name contains '_from_desa' wins (kecamatan as the union of their desa, so the "
        "kecamatan borders line up with the desa layer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="e.g. data/regions")

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        try:
            report = region_tree_import(actor=None, directory=directory)
        except RegionImportInvalid as exc:
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(exc.problems)) from None
        if options["verbosity"] < 1:
            return
        levels = ", ".join(f"{n} {level}" for level, n in sorted(report.by_level.items()))
        self.stdout.write(
            f"Regions: {report.rows} rows ({levels}), {report.boundaries} boundaries. "
            f"{report.changed} changed ({report.created} created, {report.updated} updated), "
            f"{report.unchanged} unchanged."
        )
        if report.not_in_files:
            self.stdout.write(
                f"{report.not_in_files} regions in the database are not in the files (kept)."
            )
