"""Writes of the regions app: importing the region tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kotacerdas.core.services import audit_record

from . import lookup
from .importing import RegionRow, read_region_dir
from .models import Level, Region

_COMPARED = (
    "name",
    "level",
    "parent_code",
    "lat",
    "lng",
    "postal_code",
    "geometry",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
)


@dataclass
class RegionImportReport:
    rows: int = 0
    boundaries: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    not_in_files: int = 0  # rows in the database the files no longer list (kept)

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "boundaries": self.boundaries,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "by_level": self.by_level,
            "not_in_files": self.not_in_files,
        }


def region_tree_import(*, actor: Any, directory: Path | str) -> RegionImportReport:
    """Upsert the region tree from a directory (`regions.csv` + boundary GeoJSON files, see
    `importing`). Everything is checked before anything is written; rows are matched by code
    and only changed rows are written, so a second run writes nothing. Rows the files no longer
    list are kept (users and records point at them) and counted in the report.

    One audit event `kotacerdas.regions.tree.imported` records a run that changed something.
    Lookup indexes in every process notice the new tree version and rebuild."""
    directory = Path(directory)
    with transaction.atomic():
        existing = {
            r["code"]: r
            for r in Region.objects.values("id", "code", "parent_id", *_COMPARED).order_by()
        }
        rows, boundaries = read_region_dir(directory, set(existing))
        report = RegionImportReport(rows=len(rows), boundaries=boundaries)
        for r in rows:
            report.by_level[r.level] = report.by_level.get(r.level, 0) + 1
        ids = {code: r["id"] for code, r in existing.items()}
        now = timezone.now()
        file_codes = {r.code for r in rows}
        report.not_in_files = len(set(existing) - file_codes)

        # Parents before children, so every new row can point at its parent's id.
        for depth in sorted({r.depth for r in rows}):
            to_create: list[Region] = []
            to_update: list[Region] = []
            for r in (r for r in rows if r.depth == depth):
                parent_id = ids.get(r.parent_code)
                old = existing.get(r.code)
                values = _values(r)
                if old is None:
                    to_create.append(Region(code=r.code, parent_id=parent_id, **values))
                elif old["parent_id"] != parent_id or any(old[k] != v for k, v in values.items()):
                    to_update.append(
                        Region(
                            id=old["id"], code=r.code, parent_id=parent_id, updated_at=now, **values
                        )
                    )
                else:
                    report.unchanged += 1
            if to_create:
                created = Region.objects.bulk_create(to_create)
                if any(obj.pk is None for obj in created):  # a backend without RETURNING
                    ids.update(
                        Region.objects.filter(code__in=[o.code for o in created]).values_list(
                            "code", "id"
                        )
                    )
                else:
                    ids.update((o.code, o.pk) for o in created)
                report.created += len(created)
            if to_update:
                Region.objects.bulk_update(
                    to_update, fields=[*_COMPARED, "parent_id", "updated_at"], batch_size=500
                )
                report.updated += len(to_update)

        if report.changed:
            roots = [r for r in rows if r.level in (Level.PROVINSI, Level.KABUPATEN, Level.KOTA)]
            root = min(roots, key=lambda r: r.depth) if roots else rows[0]
            audit_record(
                actor=actor,
                action="kotacerdas.regions.tree.imported",
                object_type="regions.region",
                object_id=root.code,
                object_repr=root.name,
                region_code=root.code,
                after=report.as_dict(),
            )
            transaction.on_commit(lookup.invalidate)
    return report


def _values(r: RegionRow) -> dict[str, Any]:
    return {
        "name": r.name,
        "level": r.level,
        "parent_code": r.parent_code,
        "lat": r.lat,
        "lng": r.lng,
        "postal_code": r.postal_code,
        "geometry": r.geometry,
        "min_lng": r.min_lng,
        "min_lat": r.min_lat,
        "max_lng": r.max_lng,
        "max_lat": r.max_lat,
    }
