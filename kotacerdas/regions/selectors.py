"""Reads of the region tree. Region data is public reference data, so these take no actor;
what other apps scope *by* region they scope with `within_q`.

Lists return `values()` querysets without the geometry column (a desa boundary is a few KB;
a list of them is not what a select box or a tree needs)."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from .codes import is_region_code
from .errors import RegionNotFound
from .models import VILLAGE_LEVELS, Level, Region  # Level: public vocabulary for other apps

LIST_FIELDS = (
    "code",
    "name",
    "level",
    "parent_code",
    "lat",
    "lng",
    "postal_code",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
)


def within_q(field: str, code: str) -> Q:
    """`field` is the region `code` or lies inside it: `62.02.06` matches `62.02.06` and
    `62.02.06.1001`, not `62.02.060`. On PostgreSQL the startswith uses a varchar_pattern_ops
    index on the field when there is one."""
    return Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})


def region_tree_version() -> str:
    """Changes whenever an import adds or changes a row (one aggregate query)."""
    agg = Region.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    stamp = agg["t"].timestamp() if agg["t"] is not None else 0
    return f"{agg['n']}:{stamp:.6f}"


def region_exists(*, code: str) -> bool:
    return is_region_code(code) and Region.objects.filter(code=code).exists()


def region_codes_existing(*, codes: set[str]) -> set[str]:
    """Which of these codes are regions (one query)."""
    valid = [c for c in codes if is_region_code(c)]
    return set(Region.objects.filter(code__in=valid).values_list("code", flat=True))


def region_get(*, code: str, with_geometry: bool = False) -> Region:
    """One region by code (RegionNotFound otherwise). The geometry column is deferred unless
    asked for."""
    if not is_region_code(code):
        raise RegionNotFound()
    qs = Region.objects.all() if with_geometry else Region.objects.defer("geometry")
    try:
        return qs.get(code=code)
    except Region.DoesNotExist:
        raise RegionNotFound() from None


def region_children(*, parent_code: str | None = None) -> QuerySet[Region, dict[str, Any]]:
    """The children of a region, by code; with no parent the root(s): the rows whose parent is
    not in the tree (the kabupaten/kota of this instance)."""
    qs = Region.objects.order_by("code")
    if parent_code is None:
        qs = qs.filter(parent__isnull=True)
    else:
        qs = qs.filter(parent_code=parent_code)
    return qs.values(*LIST_FIELDS)


def region_villages(
    *, within: str | None = None, kecamatan_code: str | None = None
) -> QuerySet[Region, Any]:
    """Desa and kelurahan (code, name, level, parent_code), by code; optionally inside a region
    or of one kecamatan."""
    qs = Region.objects.filter(level__in=VILLAGE_LEVELS).order_by("code")
    if within:
        qs = qs.filter(within_q("code", within))
    if kecamatan_code:
        qs = qs.filter(parent_code=kecamatan_code)
    return qs.values("code", "name", "level", "parent_code")


def region_choices_for_signup(
    *, within: str | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Desa/kelurahan grouped by kecamatan, in Django's grouped-choices shape:
    [("Kota Besi", [("62.02.01.1009", "Kota Besi Hulu"), ...]), ...], kecamatan and villages by
    name. One query."""
    qs = Region.objects.filter(level__in=VILLAGE_LEVELS).order_by("parent__name", "name")
    if within:
        qs = qs.filter(within_q("code", within))
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, kecamatan in qs.values_list("code", "name", "parent__name"):
        groups.setdefault(kecamatan or "", []).append((code, name))
    return list(groups.items())


def region_map_summary(*, root_code: str) -> list[dict[str, Any]]:
    """The kecamatan inside a root with their villages and counts, for the map page's list
    (one query)."""
    rows = (
        Region.objects.filter(within_q("code", root_code))
        .filter(level__in=(Level.KECAMATAN, *VILLAGE_LEVELS))
        .order_by("code")
        .values_list("code", "name", "level", "parent_code")
    )
    kecamatan: dict[str, dict[str, Any]] = {}
    villages: list[tuple[str, str, str, str]] = []
    for row in rows:
        if row[2] == Level.KECAMATAN:
            kecamatan[row[0]] = {
                "code": row[0],
                "name": row[1],
                "villages": [],
                "desa_count": 0,
                "kelurahan_count": 0,
            }
        else:
            villages.append(row)
    for code, name, level, parent in villages:
        k = kecamatan.get(parent)
        if k is None:
            continue
        k["villages"].append({"code": code, "name": name, "level": level})
        k["desa_count" if level == Level.DESA else "kelurahan_count"] += 1
    for k in kecamatan.values():
        k["village_count"] = len(k["villages"])
    return sorted(kecamatan.values(), key=lambda k: k["name"])


def region_lookup_source() -> tuple[list[tuple[str, str]], dict[str, str]]:
    """What the lookup index is built from: (code, GeoJSON) of every village with a boundary,
    by code, and the names of all regions. Two queries."""
    villages = list(
        Region.objects.filter(level__in=VILLAGE_LEVELS)
        .exclude(geometry="")
        .order_by("code")
        .values_list("code", "geometry")
    )
    names = dict(Region.objects.values_list("code", "name"))
    return villages, names


# --- GeoJSON layers ------------------------------------------------------------------------------
GEOJSON_LEVELS = {"kecamatan": (Level.KECAMATAN,), "desa": VILLAGE_LEVELS}


@dataclass(frozen=True)
class GeoJSONDocument:
    etag: str
    body: bytes
    gzipped: bytes


_geojson_cache: OrderedDict[str, GeoJSONDocument] = OrderedDict()
_geojson_lock = threading.Lock()
_GEOJSON_CACHE_SIZE = 64


def region_geojson_etag(*, level: str, parent_code: str | None = None) -> str:
    """The ETag of a layer: changes when the tree does (one query)."""
    key = f"{level}|{parent_code or ''}|{region_tree_version()}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def region_geojson(*, level: str, parent_code: str | None = None, etag: str) -> GeoJSONDocument:
    """A FeatureCollection of one level's boundaries (properties code, name, level,
    parent_code), optionally inside a region. Built from the stored GeoJSON text without
    re-parsing, and kept per process by ETag, so a repeated request costs no query here."""
    cached = _geojson_cache.get(etag)
    if cached is not None:
        return cached
    if parent_code is not None and not region_exists(code=parent_code):
        raise RegionNotFound()
    qs = Region.objects.filter(level__in=GEOJSON_LEVELS[level]).exclude(geometry="")
    if parent_code is not None:
        qs = qs.filter(code__startswith=parent_code + ".")
    parts = []
    for code, name, lvl, parent, geometry in qs.order_by("code").values_list(
        "code", "name", "level", "parent_code", "geometry"
    ):
        props = json.dumps(
            {"code": code, "name": name, "level": lvl, "parent_code": parent},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        parts.append(f'{{"type":"Feature","properties":{props},"geometry":{geometry}}}')
    body = ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()
    doc = GeoJSONDocument(etag=etag, body=body, gzipped=gzip.compress(body, compresslevel=6))
    with _geojson_lock:
        _geojson_cache[etag] = doc
        while len(_geojson_cache) > _GEOJSON_CACHE_SIZE:
            _geojson_cache.popitem(last=False)
    return doc


def village_extents() -> list[dict[str, Any]]:
    """Every desa/kelurahan with its centroid and bounding box (for sampling demo points)."""
    rows = (
        Region.objects.filter(level__in=VILLAGE_LEVELS)
        .order_by("code")
        .values(
            "code", "name", "parent_code", "lat", "lng", "min_lat", "min_lng", "max_lat", "max_lng"
        )
    )
    return [dict(r) for r in rows]
