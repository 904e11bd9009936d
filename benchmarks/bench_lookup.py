"""Point -> desa lookups per second in one process, single and bulk, on 10,000 seeded random
points in the regency's bounding box (about half of them fall outside the polygons, as real
traffic near the border would; those count too: each raises `regions.outside`).

Standalone: `.venv/bin/python benchmarks/bench_lookup.py`. Uses DATABASE_URL or the default
SQLite in var/, importing data/regions first when the region table is empty. Prints one JSON
line per result (benchmarks/README.md); anything else goes to stderr."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kotacerdas.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from kotacerdas.regions import lookup  # noqa: E402
from kotacerdas.regions.errors import OutsideRegions  # noqa: E402
from kotacerdas.regions.models import Region  # noqa: E402

POINTS = 10_000
TARGET = 50_000.0
SEED = 20261123


def emit(name: str, value: float, unit: str, target: str, passed: bool, detail: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 1), "unit": unit, "target": target,
                      "passed": passed, "detail": detail}))  # fmt: skip


def main() -> None:
    if Region._meta.db_table not in connection.introspection.table_names():
        print("migrating the database", file=sys.stderr)
        call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        print("regions table empty: importing data/regions", file=sys.stderr)
        call_command("import_regions", str(ROOT / "data" / "regions"), verbosity=0)
    t0 = time.perf_counter()
    index = lookup.get_index()
    build_s = time.perf_counter() - t0
    x0, y0, x1, y1 = shapely.total_bounds(index.geoms)
    rng = np.random.default_rng(SEED)
    lats = rng.uniform(y0, y1, POINTS)
    lngs = rng.uniform(x0, x1, POINTS)
    lat_list, lng_list = lats.tolist(), lngs.tolist()

    # Single: the public locate() (argument checks + index freshness check + lookup).
    best = 0.0
    inside = approximate = 0
    for _round in range(3):
        inside = approximate = 0
        start = time.perf_counter()
        for la, ln in zip(lat_list, lng_list, strict=True):
            try:
                r = lookup.locate(la, ln)
            except OutsideRegions:
                continue
            inside += 1
            approximate += r.approximate
        best = max(best, POINTS / (time.perf_counter() - start))
    detail = (
        f"{POINTS} random points in the bbox, seed {SEED}, best of 3; {inside} in a desa "
        f"({approximate} approximate), {POINTS - inside} outside; index built in {build_s:.2f}s "
        f"from {len(index.geoms)} villages"
    )
    emit("regions.lookup.single", best, "lookups/s", f">= {TARGET:.0f}", best >= TARGET, detail)

    bulk_best = 0.0
    found = 0
    for _round in range(3):
        start = time.perf_counter()
        results = lookup.locate_many(lats, lngs)
        bulk_best = max(bulk_best, POINTS / (time.perf_counter() - start))
        found = sum(r is not None for r in results)
    emit(
        "regions.lookup.bulk",
        bulk_best,
        "lookups/s",
        f">= {TARGET:.0f}",
        bulk_best >= TARGET,
        f"locate_many on the same {POINTS} points, best of 3; {found} found",
    )


if __name__ == "__main__":
    main()
