"""Writes of the facilities app: importing the reference lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kotacerdas.core.services import audit_record
from kotacerdas.regions.selectors import region_codes_existing

from .importing import (
    HEALTH,
    SCHOOLS,
    FacilityImportInvalid,
    FacilityRow,
    read_health,
    read_schools,
)
from .models import Facility

_COMPARED = (
    "name",
    "subtype",
    "ownership",
    "address",
    "kecamatan_code",
    "region_code",
    "lat",
    "lng",
    "phone",
    "attributes",
    "source",
    "is_active",
)


@dataclass
class FacilityImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    without_location: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "without_location": self.without_location,
            "by_kind": self.by_kind,
        }


def facility_import(
    *, actor: Any, directory: Path | str, strict: bool = False
) -> FacilityImportReport:
    """Upsert schools and health facilities from a directory (`schools.csv`,
    `health_facilities.csv`), matched by (kind, code); only changed rows are written. A file
    problem stops everything (FacilityImportInvalid); row problems are in `report.notes`
    (skipped rows, rows kept without a location). Rows whose kecamatan is not in the region
    tree are skipped; a desa code the tree does not know falls back to the kecamatan. With
    `strict`, any skipped row stops the import before anything is written."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FacilityImportInvalid([_("%(dir)s: not a directory.") % {"dir": directory}])
    schools = read_schools(directory / SCHOOLS)
    health = read_health(directory / HEALTH)
    report = FacilityImportReport()
    report.notes = schools.notes + health.notes
    report.skipped = schools.skipped + health.skipped
    rows = schools.rows + health.rows

    known = region_codes_existing(
        codes={r.kecamatan_code for r in rows} | {r.region_code for r in rows}
    )
    kept: list[FacilityRow] = []
    for r in rows:
        if r.kecamatan_code not in known:
            report.notes.append(
                _("%(file)s row %(line)s: kecamatan %(code)s is not in the region tree (skipped).")
                % {"file": r.file, "line": r.line, "code": r.kecamatan_code}
            )
            report.skipped += 1
            continue
        if r.region_code not in known:
            r.region_code = r.kecamatan_code
        kept.append(r)
    if strict and report.skipped:
        raise FacilityImportInvalid(list(report.notes))
    report.rows = len(kept)
    report.without_location = sum(1 for r in kept if r.lat is None)

    with transaction.atomic():
        existing = {
            (f["kind"], f["code"]): f
            for f in Facility.objects.values("id", "kind", "code", *_COMPARED).order_by()
        }
        to_create: list[Facility] = []
        to_update: list[Facility] = []
        for r in kept:
            report.by_kind[r.kind] = report.by_kind.get(r.kind, 0) + 1
            values = {
                "name": r.name,
                "subtype": r.subtype,
                "ownership": r.ownership,
                "address": r.address,
                "kecamatan_code": r.kecamatan_code,
                "region_code": r.region_code,
                "lat": r.lat,
                "lng": r.lng,
                "phone": r.phone,
                "attributes": r.attributes,
                "source": r.source,
                "is_active": True,
            }
            old = existing.get((r.kind, r.code))
            if old is None:
                to_create.append(Facility(kind=r.kind, code=r.code, **values))
            elif any(old[k] != v for k, v in values.items()):
                to_update.append(Facility(id=old["id"], kind=r.kind, code=r.code, **values))
            else:
                report.unchanged += 1
        if to_create:
            Facility.objects.bulk_create(to_create, batch_size=500)
            report.created = len(to_create)
        if to_update:
            Facility.objects.bulk_update(to_update, fields=list(_COMPARED), batch_size=500)
            report.updated = len(to_update)
        if report.changed:
            audit_record(
                actor=actor,
                action="kotacerdas.facilities.facility.imported",
                object_type="facilities.facility",
                object_repr=str(directory.name),
                after=report.as_dict(),
            )
    return report
