"""Reading the facility lists: `schools.csv` and `health_facilities.csv` (formats in
data/README.md). Pure parsing, no writes.

A file that is missing, unreadable or lacks a column stops the import (`FacilityImportInvalid`,
nothing written). Row problems are reported per row: a row without a usable code, name or
kecamatan code is skipped; a row with missing or impossible coordinates is kept without a
location (lat/lng null), because a school without a point is still a school."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from kotacerdas.core.errors import ValidationFailed

from .models import Kind

REGION_CODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}(?:\.\d{4})?$")


class FacilityImportInvalid(ValidationFailed):
    code = "facilities.import_invalid"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            _("The facility files have problems; nothing was imported."),
            fields={"__all__": problems},
        )


@dataclass
class FacilityRow:
    kind: str
    code: str
    name: str
    subtype: str
    ownership: str
    address: str
    kecamatan_code: str
    region_code: str
    lat: float | None
    lng: float | None
    phone: str
    attributes: dict[str, Any]
    source: str
    line: int = 0
    file: str = ""


@dataclass
class ParsedFile:
    rows: list[FacilityRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "schools.csv row 12: ... (skipped|kept)"
    skipped: int = 0


SCHOOLS = "schools.csv"
HEALTH = "health_facilities.csv"
SCHOOL_COLUMNS = (
    "npsn", "name", "level", "status", "address", "kecamatan_code", "kecamatan_name",
    "kemdikbud_kec_code", "lat", "lng", "pip_kecamatan_code", "pip_desa_code",
    "coord_matches_kecamatan", "dapodik_id",
)  # fmt: skip
HEALTH_COLUMNS = (
    "facility_code", "type", "name", "source_name", "address", "kecamatan_code",
    "kecamatan_name", "lat", "lng", "pip_kecamatan_code", "pip_desa_code",
    "coord_matches_kecamatan", "phone", "staff_year",
)  # fmt: skip
SCHOOL_SOURCE = (
    "Kemdikbud school reference data (sekolah.data.kemdikbud.go.id), 2019 snapshot, "
    "via suryavip/daftar-sekolah-indonesia"
)
PUSKESMAS_SOURCE = (
    "Kemenkes BPPSDMK info SDMK (2019), via akirawisnu/faskes-indonesia-2019-scrapper"
)
HOSPITAL_SOURCE = "National COVID-19 referral hospital list (c. 2020), via hndryno/covid-mobile-app"


def _read(
    path: Path, columns: tuple[str, ...]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not path.is_file():
        raise FacilityImportInvalid([_("%(file)s: file not found.") % {"file": path}])
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in columns if c not in header]
            if missing:
                raise FacilityImportInvalid(
                    [
                        _("%(file)s: missing columns: %(columns)s.")
                        % {"file": path.name, "columns": ", ".join(missing)}
                    ]
                )
            reader.fieldnames = header
            rows = []
            for raw in reader:
                if None in raw:
                    rows.append((reader.line_num, {"__too_many__": "1"}))
                    continue
                rows.append((reader.line_num, {k: (v or "").strip() for k, v in raw.items()}))
            return header, rows
    except UnicodeDecodeError:
        raise FacilityImportInvalid(
            [_("%(file)s: not UTF-8 text.") % {"file": path.name}]
        ) from None
    except csv.Error as exc:
        raise FacilityImportInvalid(
            [
                _("%(file)s: not a readable CSV file (%(error)s).")
                % {"file": path.name, "error": exc}
            ]
        ) from None


def _point(lat: str, lng: str) -> tuple[float | None, float | None, str]:
    """(lat, lng, problem): both None with a reason when the row has no usable point."""
    if not lat and not lng:
        return None, None, _("no coordinates")
    try:
        la, ln = float(lat), float(lng)
    except ValueError:
        return (
            None,
            None,
            _("coordinates %(lat)r, %(lng)r are not numbers") % {"lat": lat, "lng": lng},
        )
    if not (math.isfinite(la) and math.isfinite(ln)) or not (-90 <= la <= 90 and -180 <= ln <= 180):
        return (
            None,
            None,
            _("coordinates %(lat)r, %(lng)r are out of range") % {"lat": lat, "lng": lng},
        )
    if la == 0 and ln == 0:
        return None, None, _("coordinates are 0, 0")
    return la, ln, ""


def _identity_problem(code: str, name: str, kecamatan: str, seen: set[str]) -> str:
    if not code:
        return _("no code")
    if len(code) > 32:
        return _("code %(code)r is longer than 32 characters") % {"code": code}
    if code in seen:
        return _("code %(code)s is repeated") % {"code": code}
    if not name:
        return _("no name")
    if not REGION_CODE_RE.match(kecamatan) or kecamatan.count(".") != 2:
        return _("kecamatan_code %(code)r is not a kecamatan code") % {"code": kecamatan}
    return ""


def _region_code(value: dict[str, str], kecamatan: str) -> str:
    desa = value.get("pip_desa_code", "")
    return desa if REGION_CODE_RE.match(desa) and desa.count(".") == 3 else kecamatan


def _bool(raw: str) -> bool | None:
    return {"true": True, "false": False}.get(raw.lower())


def read_schools(path: Path) -> ParsedFile:
    _header, raw_rows = _read(path, SCHOOL_COLUMNS)
    out, seen = ParsedFile(), set[str]()
    for line, v in raw_rows:
        where = f"{path.name} row {line}"
        if "__too_many__" in v:
            out.notes.append(_("%(where)s: too many cells (skipped).") % {"where": where})
            out.skipped += 1
            continue
        problem = _identity_problem(v["npsn"], v["name"], v["kecamatan_code"], seen)
        if problem:
            out.notes.append(
                _("%(where)s: %(problem)s (skipped).") % {"where": where, "problem": problem}
            )
            out.skipped += 1
            continue
        seen.add(v["npsn"])
        lat, lng, point_problem = _point(v["lat"], v["lng"])
        if point_problem:
            out.notes.append(
                _("%(where)s: %(problem)s (kept without a location).")
                % {"where": where, "problem": point_problem}
            )
        out.rows.append(
            FacilityRow(
                kind=Kind.SCHOOL,
                code=v["npsn"],
                name=v["name"][:200],
                subtype=v["level"][:30],
                ownership=v["status"][:20],
                address=v["address"][:300],
                kecamatan_code=v["kecamatan_code"],
                region_code=_region_code(v, v["kecamatan_code"]),
                lat=lat,
                lng=lng,
                phone="",
                attributes={
                    "npsn": v["npsn"],
                    "kecamatan_name": v["kecamatan_name"],
                    "kemdikbud_kec_code": v["kemdikbud_kec_code"],
                    "pip_kecamatan_code": v["pip_kecamatan_code"],
                    "pip_desa_code": v["pip_desa_code"],
                    "coord_matches_kecamatan": _bool(v["coord_matches_kecamatan"]),
                    "dapodik_id": v["dapodik_id"],
                },
                source=SCHOOL_SOURCE,
                line=line,
                file=path.name,
            )
        )
    return out


def read_health(path: Path) -> ParsedFile:
    header, raw_rows = _read(path, HEALTH_COLUMNS)
    staff_columns = [h for h in header if h.startswith("staff_") and h != "staff_year"]
    out, seen = ParsedFile(), set[str]()
    for line, v in raw_rows:
        where = f"{path.name} row {line}"
        if "__too_many__" in v:
            out.notes.append(_("%(where)s: too many cells (skipped).") % {"where": where})
            out.skipped += 1
            continue
        code, derived = v["facility_code"], False
        if not code and v["name"]:
            # The hospital row has no Kemenkes code in its source: a stable code from its name.
            code, derived = slugify(v["name"])[:32], True
        problem = _identity_problem(code, v["name"], v["kecamatan_code"], seen)
        if problem:
            out.notes.append(
                _("%(where)s: %(problem)s (skipped).") % {"where": where, "problem": problem}
            )
            out.skipped += 1
            continue
        seen.add(code)
        lat, lng, point_problem = _point(v["lat"], v["lng"])
        if point_problem:
            out.notes.append(
                _("%(where)s: %(problem)s (kept without a location).")
                % {"where": where, "problem": point_problem}
            )
        staff: dict[str, int] = {}
        for column in staff_columns:
            raw = v.get(column, "")
            if raw.isdigit():
                staff[column.removeprefix("staff_")] = int(raw)
        subtype = v["type"][:30]
        out.rows.append(
            FacilityRow(
                kind=Kind.HEALTH,
                code=code,
                name=v["name"][:200],
                subtype=subtype,
                ownership="",
                address=v["address"][:300],
                kecamatan_code=v["kecamatan_code"],
                region_code=_region_code(v, v["kecamatan_code"]),
                lat=lat,
                lng=lng,
                phone=v["phone"][:40],
                attributes={
                    "source_name": v["source_name"],
                    "kecamatan_name": v["kecamatan_name"],
                    "pip_kecamatan_code": v["pip_kecamatan_code"],
                    "pip_desa_code": v["pip_desa_code"],
                    "coord_matches_kecamatan": _bool(v["coord_matches_kecamatan"]),
                    "code_derived_from_name": derived,
                    "staff_year": int(v["staff_year"]) if v["staff_year"].isdigit() else None,
                    "staff": staff,
                },
                source=HOSPITAL_SOURCE if subtype == "rumah_sakit" else PUSKESMAS_SOURCE,
                line=line,
                file=path.name,
            )
        )
    return out
