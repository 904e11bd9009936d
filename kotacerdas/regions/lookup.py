"""Point → desa/kelurahan lookup, built once per process from the boundaries in the database.

How it is fast:
- an STRtree over the village polygons, which are *prepared* (shapely.prepare), so each
  point-in-polygon test is cheap;
- a grid over the area (about 256 cells along the longer side, under a kilometre each for a
  kabupaten). Each cell is classified once when the index is built: wholly inside one village
  (the answer is a prebuilt result: no geometry call at all), farther than the tolerance from
  every village (outside), or mixed (test the few polygons touching the cell). Most points of a
  regency land in a pure cell.

Points that fall in no polygon but within `REGION_LOOKUP_TOLERANCE_M` of one (default 250 m)
go to the nearest village and say `approximate=True`. Why 250 m: the boundary data leaves the
Mentaya river partly out of the polygons and has slivers between neighbouring villages. Over
Kotim's kabupaten outline, half of the area the village polygons miss lies within 71 m of a
village, 90% within 240 m; the river through Sampit is about 400-500 m wide, so 250 m reaches
its middle from either bank. A larger tolerance would start to claim points across the regency
border. Distances are haversine metres to the nearest point of the polygon, found in a local
equirectangular frame centred on the query point (accurate to millimetres at this range).

Rebuilding: the index remembers the region tree's version (row count and last update). Every
`REGION_LOOKUP_RECHECK_SECONDS` (default 30) the next lookup compares it with the database in
one cheap query, so other processes pick up an import within that time; the importing process
rebuilds right after commit.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from kotacerdas.core.errors import ValidationFailed
from kotacerdas.core.geo import METRES_PER_DEGREE, haversine_m

from .errors import OutsideRegions

DEFAULT_TOLERANCE_M = 250.0
DEFAULT_RECHECK_SECONDS = 30.0
GRID_CELLS = 256

_OUTSIDE = -1
_MIXED = -2


@dataclass(frozen=True, slots=True)
class RegionRef:
    code: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


@dataclass(frozen=True, slots=True)
class LookupResult:
    kabupaten: RegionRef
    kecamatan: RegionRef
    desa: RegionRef  # a desa or a kelurahan
    approximate: bool
    distance_m: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "kabupaten": self.kabupaten.as_dict(),
            "kecamatan": self.kecamatan.as_dict(),
            "desa": self.desa.as_dict(),
            "approximate": self.approximate,
            "distance_m": self.distance_m,
        }


def _outside(lat: float, lng: float) -> OutsideRegions:
    return OutsideRegions(lat, lng)


class RegionIndex:
    """The lookup structure over a set of village polygons (immutable once built)."""

    def __init__(
        self,
        *,
        villages: Sequence[tuple[str, str]],
        names: dict[str, str],
        tolerance_m: float = DEFAULT_TOLERANCE_M,
        version: str = "",
        grid_cells: int = GRID_CELLS,
    ) -> None:
        self.version = version
        self.tolerance_m = float(tolerance_m)
        self.codes = [code for code, _geometry in villages]
        self.geoms = (
            shapely.from_geojson([geometry for _code, geometry in villages])
            if villages
            else np.empty(0, dtype=object)
        )
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.results = [self._exact_result(code, names) for code in self.codes]
        self._build_grid(grid_cells)

    @staticmethod
    def _exact_result(code: str, names: dict[str, str]) -> LookupResult:
        parts = code.split(".")
        kab, kec = ".".join(parts[:2]), ".".join(parts[:3])
        return LookupResult(
            kabupaten=RegionRef(kab, names.get(kab, "")),
            kecamatan=RegionRef(kec, names.get(kec, "")),
            desa=RegionRef(code, names.get(code, "")),
            approximate=False,
            distance_m=0.0,
        )

    def _pads(self, max_abs_lat: float) -> tuple[float, float]:
        """The tolerance in degrees of latitude and longitude (the latter at the given
        latitude: the widest it gets in the area)."""
        coslat = max(math.cos(math.radians(min(max_abs_lat, 89.9))), 1e-6)
        return self.tolerance_m / METRES_PER_DEGREE, self.tolerance_m / (METRES_PER_DEGREE * coslat)

    def _build_grid(self, cells_on_long_side: int) -> None:
        self.cells: list[int] = []
        self.candidates: dict[int, tuple[int, ...]] = {}
        self.nx = self.ny = 0
        self.x0 = self.y0 = 0.0
        self.inv_cell = 1.0
        if len(self.geoms) == 0:
            return
        x0, y0, x1, y1 = shapely.total_bounds(self.geoms)
        pad_lat, pad_lng = self._pads(max(abs(y0), abs(y1)) + self.tolerance_m / METRES_PER_DEGREE)
        x0, y0, x1, y1 = x0 - pad_lng, y0 - pad_lat, x1 + pad_lng, y1 + pad_lat
        cell = max(x1 - x0, y1 - y0) / cells_on_long_side
        nx, ny = math.ceil((x1 - x0) / cell), math.ceil((y1 - y0) / cell)
        gx, gy = np.meshgrid(x0 + np.arange(nx) * cell, y0 + np.arange(ny) * cell)
        gx, gy = gx.ravel(), gy.ravel()  # cell k = row * nx + column
        boxes = shapely.box(gx, gy, gx + cell, gy + cell)
        cell_idx, geom_idx = self.tree.query(boxes, predicate="intersects")
        count = np.bincount(cell_idx, minlength=len(boxes))
        cells = np.full(len(boxes), _MIXED, dtype=np.int64)

        # Wholly inside exactly one village: the answer without any geometry test.
        single = np.flatnonzero(count == 1)
        owner = np.full(len(boxes), -1, dtype=np.int64)
        owner[cell_idx] = geom_idx
        covered = shapely.covers(self.geoms[owner[single]], boxes[single])
        cells[single[covered]] = owner[single[covered]]

        # Touching nothing: outside unless a village is within the tolerance of the cell.
        empty = np.flatnonzero(count == 0)
        near_boxes = shapely.box(
            gx[empty] - pad_lng,
            gy[empty] - pad_lat,
            gx[empty] + cell + pad_lng,
            gy[empty] + cell + pad_lat,
        )
        near_idx, _g = self.tree.query(near_boxes, predicate="intersects")
        far = np.ones(len(empty), dtype=bool)
        far[near_idx] = False
        cells[empty[far]] = _OUTSIDE

        mixed = cells == _MIXED
        order = np.lexsort((geom_idx, cell_idx))
        candidates: dict[int, list[int]] = {}
        for c, g in zip(cell_idx[order].tolist(), geom_idx[order].tolist(), strict=True):
            if mixed[c]:
                candidates.setdefault(c, []).append(g)
        self.candidates = {c: tuple(gs) for c, gs in candidates.items()}
        self.cells = cells.tolist()
        self.nx, self.ny, self.x0, self.y0, self.inv_cell = nx, ny, x0, y0, 1.0 / cell
        self.grid = cells  # numpy copy for the bulk path

    # --- single point ------------------------------------------------------------------------
    def locate(self, lat: float, lng: float) -> LookupResult:
        fx = (lng - self.x0) * self.inv_cell
        fy = (lat - self.y0) * self.inv_cell
        if 0.0 <= fx < self.nx and 0.0 <= fy < self.ny:
            k = int(fy) * self.nx + int(fx)
            c = self.cells[k]
            if c >= 0:
                return self.results[c]
            if c == _OUTSIDE:
                raise _outside(lat, lng)
            geoms = self.geoms
            for g in self.candidates.get(k, ()):
                if shapely.intersects_xy(geoms[g], lng, lat):
                    return self.results[g]
            return self.nearest(lat, lng)
        raise _outside(lat, lng)

    def nearest(self, lat: float, lng: float) -> LookupResult:
        """The nearest village within the tolerance (approximate), else OutsideRegions."""
        best: tuple[float, int] | None = None
        if self.tolerance_m > 0 and len(self.geoms):
            pad_lat, pad_lng = self._pads(abs(lat))
            window = shapely.box(lng - pad_lng, lat - pad_lat, lng + pad_lng, lat + pad_lat)
            kx = METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6)
            scale = np.array([kx, METRES_PER_DEGREE])
            origin = np.array([lng, lat])
            here = shapely.Point(0.0, 0.0)
            candidates = self.tree.query(window)
            if len(candidates):
                # Distance in degrees x metres per degree of longitude here is a lower bound
                # of the true distance: candidates beyond the tolerance by it are skipped.
                lower = shapely.distance(self.geoms[candidates], shapely.Point(lng, lat)) * kx
                candidates = np.sort(candidates[lower <= self.tolerance_m])
            for g in candidates.tolist():
                # Metres east/north of the query point; the nearest point found there is
                # mapped back to degrees and measured with haversine.
                local = shapely.transform(self.geoms[g], lambda xy: (xy - origin) * scale)
                px, py = shapely.get_coordinates(shapely.shortest_line(local, here))[0]
                d = haversine_m(lat, lng, lat + py / METRES_PER_DEGREE, lng + px / kx)
                if d <= self.tolerance_m and (best is None or d < best[0]):
                    best = (d, g)
        if best is None:
            raise _outside(lat, lng)
        exact = self.results[best[1]]
        return LookupResult(
            kabupaten=exact.kabupaten,
            kecamatan=exact.kecamatan,
            desa=exact.desa,
            approximate=True,
            distance_m=round(best[0], 1),
        )

    # --- many points -------------------------------------------------------------------------
    def locate_many(self, lats: Any, lngs: Any) -> list[LookupResult | None]:
        """Results in input order; None where a point is outside. Inside points come from one
        vectorised `STRtree.query(points, predicate="intersects")`; the rest are either in an
        outside grid cell (None at once) or tried against the nearest villages."""
        lat_arr = np.asarray(lats, dtype=float).ravel()
        lng_arr = np.asarray(lngs, dtype=float).ravel()
        if lat_arr.shape != lng_arr.shape:
            raise ValidationFailed(fields={"lngs": [_("As many longitudes as latitudes.")]})
        bad = ~(
            np.isfinite(lat_arr)
            & np.isfinite(lng_arr)
            & (np.abs(lat_arr) <= 90)
            & (np.abs(lng_arr) <= 180)
        )
        if bad.any():
            first = np.flatnonzero(bad)[:5].tolist()
            raise ValidationFailed(
                fields={
                    "points": [_("Not valid coordinates at positions %(pos)s.") % {"pos": first}]
                }
            )
        out: list[LookupResult | None] = [None] * len(lat_arr)
        if not len(lat_arr) or not len(self.geoms):
            return out
        points = shapely.points(lng_arr, lat_arr)
        inp, hit = self.tree.query(points, predicate="intersects")
        found = np.zeros(len(lat_arr), dtype=bool)
        if len(inp):
            # Where polygons overlap, the lowest code wins, as in the single-point path.
            order = np.lexsort((hit, inp))
            inp, hit = inp[order], hit[order]
            first = np.ones(len(inp), dtype=bool)
            first[1:] = inp[1:] != inp[:-1]
            results = self.results
            for i, g in zip(inp[first].tolist(), hit[first].tolist(), strict=True):
                out[i] = results[g]
            found[inp] = True
        rest = np.flatnonzero(~found)
        if len(rest):
            fx = np.floor((lng_arr[rest] - self.x0) * self.inv_cell)
            fy = np.floor((lat_arr[rest] - self.y0) * self.inv_cell)
            in_grid = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
            cls = np.full(len(rest), _OUTSIDE, dtype=np.int64)
            k = (fy[in_grid] * self.nx + fx[in_grid]).astype(np.int64)
            cls[in_grid] = self.grid[k]
            for i in rest[cls != _OUTSIDE].tolist():
                with contextlib.suppress(OutsideRegions):
                    out[i] = self.nearest(float(lat_arr[i]), float(lng_arr[i]))
        return out


# --- the per-process index ---------------------------------------------------------------------
_lock = threading.Lock()
_index: RegionIndex | None = None
_next_check = 0.0


def build_index(version: str | None = None) -> RegionIndex:
    from . import selectors

    if version is None:
        version = selectors.region_tree_version()
    villages, names = selectors.region_lookup_source()
    return RegionIndex(
        villages=villages,
        names=names,
        tolerance_m=getattr(settings, "REGION_LOOKUP_TOLERANCE_M", DEFAULT_TOLERANCE_M),
        version=version,
    )


def get_index() -> RegionIndex:
    """The process's index, rebuilt when the region tree changed (checked at most every
    REGION_LOOKUP_RECHECK_SECONDS)."""
    global _index, _next_check
    index = _index
    if index is not None and time.monotonic() < _next_check:
        return index
    from . import selectors

    with _lock:
        version = selectors.region_tree_version()
        if _index is None or _index.version != version:
            _index = build_index(version)
        _next_check = time.monotonic() + getattr(
            settings, "REGION_LOOKUP_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS
        )
        return _index


def invalidate() -> None:
    """Make the next lookup compare the index with the database (after an import)."""
    global _next_check
    _next_check = 0.0


def _checked(lat: Any, lng: Any) -> tuple[float, float]:
    fields: dict[str, list[str]] = {}
    try:
        lat_f = float(lat)
        if not -90.0 <= lat_f <= 90.0:  # also false for NaN
            raise ValueError
    except (TypeError, ValueError):
        fields["lat"] = [_("Enter a latitude between -90 and 90.")]
        lat_f = 0.0
    try:
        lng_f = float(lng)
        if not -180.0 <= lng_f <= 180.0:
            raise ValueError
    except (TypeError, ValueError):
        fields["lng"] = [_("Enter a longitude between -180 and 180.")]
        lng_f = 0.0
    if fields:
        raise ValidationFailed(fields=fields)
    return lat_f, lng_f


def locate(lat: float, lng: float) -> LookupResult:
    """The kabupaten, kecamatan and desa/kelurahan at a point. Raises OutsideRegions
    (`regions.outside`, 422) when it is in none, ValidationFailed for impossible
    coordinates."""
    lat_f, lng_f = _checked(lat, lng)
    return get_index().locate(lat_f, lng_f)


def locate_many(lats: Any, lngs: Any) -> list[LookupResult | None]:
    """Vectorised `locate` for many points; None where a point is outside."""
    return get_index().locate_many(lats, lngs)
