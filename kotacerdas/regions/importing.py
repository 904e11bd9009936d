"""Reading and checking a region directory: `regions.csv` plus boundary GeoJSON files.

Pure parsing, no writes: `read_region_dir()` returns the rows to upsert or raises
`RegionImportInvalid` listing every problem (file, row or feature number, what is wrong).
`services.region_tree_import` does the writing.

Boundary layers: every `*.geojson` in the directory is read; each feature's `code` must be a
row of the CSV. When two layers give a boundary for the same code, a layer whose file name
contains `_from_desa` wins: it is the union of the desa polygons, so its kecamatan borders line
up exactly with the desa layer (the official kecamatan layer is much coarser and disagrees
with the desa borders by hundreds of metres). Two layers of the same kind for one code are an
error.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from django.utils.translation import gettext as _

from .codes import is_region_code, level_for_code, parent_code_of
from .errors import RegionImportInvalid
from .models import Level

CSV_NAME = "regions.csv"
CSV_COLUMNS = ("code", "name", "level", "parent_code", "lat", "lng", "postal_code")
PREFERRED_LAYER_MARK = "_from_desa"
MAX_PROBLEMS = 50
ROOT_LEVELS = (Level.PROVINSI, Level.KABUPATEN, Level.KOTA)


@dataclass
class RegionRow:
    code: str
    name: str
    level: str
    parent_code: str
    lat: float | None
    lng: float | None
    postal_code: str
    geometry: str = ""
    min_lng: float | None = None
    min_lat: float | None = None
    max_lng: float | None = None
    max_lat: float | None = None

    @property
    def depth(self) -> int:
        return self.code.count(".")


class _Problems(list[str]):
    def add(self, message: str) -> None:
        if len(self) < MAX_PROBLEMS:
            self.append(message)
        elif len(self) == MAX_PROBLEMS:
            self.append(_("(more problems not shown)"))

    def raise_if_any(self) -> None:
        if self:
            raise RegionImportInvalid(list(self))


def _coordinate(raw: str, low: float, high: float) -> float:
    value = float(raw)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(raw)
    return value


def read_regions_csv(path: Path, known_codes: set[str]) -> list[RegionRow]:
    """Parse and check regions.csv. `known_codes` are codes already in the database (a parent
    may be there instead of in the file)."""
    problems = _Problems()
    if not path.is_file():
        raise RegionImportInvalid([_("%(file)s: file not found.") % {"file": path}])
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in CSV_COLUMNS if c not in header]
            if missing:
                raise RegionImportInvalid(
                    [
                        _("%(file)s: missing columns: %(columns)s.")
                        % {"file": path.name, "columns": ", ".join(missing)}
                    ]
                )
            reader.fieldnames = header
            raw_rows = [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError:
        raise RegionImportInvalid([_("%(file)s: not UTF-8 text.") % {"file": path.name}]) from None
    except csv.Error as exc:
        raise RegionImportInvalid(
            [
                _("%(file)s: not a readable CSV file (%(error)s).")
                % {"file": path.name, "error": exc}
            ]
        ) from None

    rows: list[RegionRow] = []
    seen: dict[str, int] = {}
    for line, raw in raw_rows:
        where = _("%(file)s row %(line)s") % {"file": path.name, "line": line}
        if None in raw:  # more cells than columns
            problems.add(_("%(where)s: too many cells.") % {"where": where})
            continue
        value = {k: (v or "").strip() for k, v in raw.items()}
        code, level = value["code"], value["level"]
        if not is_region_code(code):
            problems.add(
                _("%(where)s: code %(code)r is not a Kemendagri code (like 62.02.06.1001).")
                % {"where": where, "code": code}
            )
            continue
        if code in seen:
            problems.add(
                _("%(where)s: code %(code)s is repeated (first on row %(first)s).")
                % {"where": where, "code": code, "first": seen[code]}
            )
            continue
        seen[code] = line
        expected = level_for_code(code)
        if level not in Level.values:
            problems.add(
                _("%(where)s: level %(level)r is not one of %(levels)s.")
                % {"where": where, "level": level, "levels": ", ".join(Level.values)}
            )
        elif level != expected:
            problems.add(
                _("%(where)s: level %(level)s does not fit code %(code)s (expected %(expected)s).")
                % {"where": where, "level": level, "code": code, "expected": expected or "?"}
            )
        if value["parent_code"] != parent_code_of(code):
            problems.add(
                _("%(where)s: parent_code %(parent)r does not match code %(code)s.")
                % {"where": where, "parent": value["parent_code"], "code": code}
            )
        if not value["name"] or len(value["name"]) > 120:
            problems.add(_("%(where)s: name is empty or too long.") % {"where": where})
        lat = lng = None
        try:
            if value["lat"] or value["lng"]:
                lat = _coordinate(value["lat"], -90, 90)
                lng = _coordinate(value["lng"], -180, 180)
        except ValueError:
            problems.add(
                _("%(where)s: lat/lng %(lat)r, %(lng)r are not valid coordinates.")
                % {"where": where, "lat": value["lat"], "lng": value["lng"]}
            )
        postal = value["postal_code"]
        if postal and not (len(postal) == 5 and postal.isdigit()):
            problems.add(
                _("%(where)s: postal code %(postal)r is not 5 digits.")
                % {"where": where, "postal": postal}
            )
        rows.append(
            RegionRow(
                code=code,
                name=value["name"],
                level=level,
                parent_code=value["parent_code"],
                lat=lat,
                lng=lng,
                postal_code=postal,
            )
        )
    if not raw_rows:
        problems.add(_("%(file)s: no rows.") % {"file": path.name})

    codes = {r.code for r in rows}
    for r in rows:
        if r.parent_code in codes or r.parent_code in known_codes:
            continue
        if r.level not in ROOT_LEVELS:
            problems.add(
                _("%(file)s row %(line)s: unknown parent %(parent)s of %(code)s.")
                % {"file": path.name, "line": seen[r.code], "parent": r.parent_code, "code": r.code}
            )
    problems.raise_if_any()
    return rows


def _feature_geometry(geometry: Any) -> tuple[str, tuple[float, float, float, float]]:
    """The geometry as compact GeoJSON text and its bbox, or ValueError saying why not."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(_("geometry is not a Polygon or MultiPolygon"))
    text = json.dumps(geometry, separators=(",", ":"), ensure_ascii=False)
    try:
        shape = shapely.from_geojson(text)
    except shapely.errors.GEOSException as exc:
        raise ValueError(_("geometry cannot be read (%(error)s)") % {"error": exc}) from None
    if shape.is_empty:
        raise ValueError(_("geometry is empty"))
    min_lng, min_lat, max_lng, max_lat = shape.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValueError(_("coordinates are out of range (GeoJSON wants [lng, lat] order)"))
    if not shapely.is_valid(shape):
        raise ValueError(
            _("geometry is not valid (%(reason)s)") % {"reason": shapely.is_valid_reason(shape)}
        )
    return text, (min_lng, min_lat, max_lng, max_lat)


def read_boundaries(directory: Path, rows: list[RegionRow]) -> int:
    """Attach the boundary of every feature in the directory's GeoJSON files to its row.
    Returns the number of rows that got a boundary."""
    problems = _Problems()
    by_code = {r.code: r for r in rows}
    chosen: dict[str, tuple[bool, str]] = {}  # code -> (preferred layer?, file name)
    for path in sorted(directory.glob("*.geojson")):
        preferred = PREFERRED_LAYER_MARK in path.stem
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.add(
                _("%(file)s: not valid JSON (%(error)s).") % {"file": path.name, "error": exc}
            )
            continue
        features = doc.get("features") if isinstance(doc, dict) else None
        if (
            not isinstance(doc, dict)
            or doc.get("type") != "FeatureCollection"
            or not isinstance(features, list)
        ):
            problems.add(_("%(file)s: not a GeoJSON FeatureCollection.") % {"file": path.name})
            continue
        for number, feature in enumerate(features, start=1):
            where = _("%(file)s feature %(n)s") % {"file": path.name, "n": number}
            props = feature.get("properties") if isinstance(feature, dict) else None
            code = str((props or {}).get("code") or "").strip()
            row = by_code.get(code)
            if row is None:
                problems.add(
                    _("%(where)s: code %(code)r is not in regions.csv.")
                    % {"where": where, "code": code}
                )
                continue
            level = (props or {}).get("level")
            if level and level != row.level:
                problems.add(
                    _("%(where)s: level %(level)s differs from regions.csv (%(expected)s).")
                    % {"where": where, "level": level, "expected": row.level}
                )
                continue
            try:
                text, bbox = _feature_geometry(feature.get("geometry"))
            except ValueError as exc:
                problems.add(f"{where} ({code}): {exc}.")
                continue
            previous = chosen.get(code)
            if previous is not None:
                if previous[0] == preferred:
                    problems.add(
                        _("%(where)s: %(code)s already has a boundary from %(other)s.")
                        % {"where": where, "code": code, "other": previous[1]}
                    )
                    continue
                if previous[0]:  # the preferred layer was read first and stays
                    continue
            chosen[code] = (preferred, path.name)
            row.geometry = text
            row.min_lng, row.min_lat, row.max_lng, row.max_lat = bbox
    problems.raise_if_any()
    return len(chosen)


def read_region_dir(directory: Path, known_codes: set[str]) -> tuple[list[RegionRow], int]:
    if not directory.is_dir():
        raise RegionImportInvalid([_("%(dir)s: not a directory.") % {"dir": directory}])
    rows = read_regions_csv(directory / CSV_NAME, known_codes)
    with_boundary = read_boundaries(directory, rows)
    return rows, with_boundary
