"""Citizen reports at scale: 100,000 generated reports in PostgreSQL (kotacerdas.reports.demo,
seeded, over Kotim's desa), then the issue's figures:

- the public list `/laporan/` and `GET /open311/v2/requests.json`: p95 < 100 ms under
  concurrent load (wrk, 8 connections, granian/WSGI as `make run` serves, same 2-core host);
- the public map's data for all of Kotim (`/laporan/peta.json`): < 200 ms and < 300 KB;
- the nearby-duplicate check (selectors.nearby_open): < 20 ms (p95 over 300 seeded points);
- filing a report with three 3 MB photos (services.report_create, server time): < 1 s.

    .venv/bin/python benchmarks/bench_reports.py

DATABASE_URL chooses the database; by default a local `kotacerdas_bench_reports` database
(scripts/ensure-postgres.sh). The 100,000 reports are generated once and kept (a second run
reuses them). Needs `wrk`. Environment: BENCH_DURATION (s, default 20), BENCH_REPORTS (100000).
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_http as http

REPO = http.REPO
DEFAULT_DB = "kotacerdas_bench_reports"
N_REPORTS = int(os.environ.get("BENCH_REPORTS", "100000"))
DURATION = int(os.environ.get("BENCH_DURATION", "20"))


def log(*args: object) -> None:
    print("bench_reports:", *args, file=sys.stderr, flush=True)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kotacerdas.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def seed_reports() -> int:
    from kotacerdas.reports import demo
    from kotacerdas.reports.models import Report

    have = Report.objects.filter(is_demo=True).count()
    if have >= N_REPORTS:
        return have
    Report.objects.filter(is_demo=True).delete()
    started = time.perf_counter()
    for done in demo.generate(n=N_REPORTS, seed=100_000, days=730, batch_size=5000):
        log(f"generated {done} reports ({time.perf_counter() - started:.0f} s)")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_report; ANALYZE reports_reportevent;")
    return N_REPORTS


def photo_3mb(rng: random.Random) -> bytes:
    """A phone-like JPEG of about 3 MB: 4000x3000 with fine noise (incompressible detail)."""
    from PIL import Image

    noise = Image.effect_noise((4000, 3000), 40).convert("RGB")
    base = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    img = Image.blend(base, noise, 0.5)
    for quality in (80, 70, 60, 50):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        if buf.tell() <= 3_200_000:
            return buf.getvalue()
    return buf.getvalue()


def bench_nearby(points: list[tuple[float, float]]) -> None:
    from kotacerdas.reports.selectors import nearby_open

    codes = ["jalan-rusak", "sampah", "lampu-jalan", "drainase-banjir"]
    for lat, lng in points[:20]:
        nearby_open(category_code=codes[0], lat=lat, lng=lng)
    times = []
    found = 0
    for i, (lat, lng) in enumerate(points):
        t = time.perf_counter()
        found += len(nearby_open(category_code=codes[i % len(codes)], lat=lat, lng=lng))
        times.append((time.perf_counter() - t) * 1000)
    value = p95(times)
    http.result(
        "nearby-duplicate check p95",
        value,
        "ms",
        "< 20",
        value < 20,
        f"selectors.nearby_open (100 m, same category, open, public) over {N_REPORTS} reports; "
        f"{len(points)} seeded points near desa centroids, median {statistics.median(times):.2f} ms, "
        f"{found} matches in all",
    )


def bench_filing(rng: random.Random, point: tuple[float, float]) -> None:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kotacerdas.reports import services
    from kotacerdas.reports.services import NewReport

    user, _ = get_user_model().objects.get_or_create(
        username="bench.reporter", defaults={"full_name": "Bench reporter (demo)", "is_demo": True}
    )
    photos = [photo_3mb(rng) for _ in range(3)]
    sizes = ", ".join(f"{len(p) / 1e6:.1f} MB" for p in photos)
    times = []
    for i in range(6):
        files = [
            SimpleUploadedFile(f"p{j}.jpg", data, content_type="image/jpeg")
            for j, data in enumerate(photos)
        ]
        t = time.perf_counter()
        services.report_create(
            actor=user,
            data=NewReport(
                kind="complaint",
                category_code="jalan-rusak",
                description=f"Benchmark: jalan berlubang nomor {i}, mohon segera diperbaiki.",
                lat=point[0],
                lng=point[1],
            ),
            photos=files,
        )
        times.append(time.perf_counter() - t)
    value = statistics.median(times[1:])
    http.result(
        "file a report with 3 photos of 3 MB",
        value * 1000,
        "ms",
        "< 1000",
        value < 1.0,
        f"services.report_create server time (decode-check, re-encode to <=1600 px, thumbnail, "
        f"store, insert, audit): median of 5 after a warm-up, max {max(times[1:]) * 1000:.0f} ms; "
        f"photos 4000x3000 JPEG of {sizes}",
    )


def bench_map(base: str) -> None:
    url = base + "/laporan/peta.json"
    sizes, times = [], []
    for _ in range(30):
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (loopback)
            body = r.read()
        times.append((time.perf_counter() - t) * 1000)
        sizes.append(len(body))
    cells = len(json.loads(body).get("cells", []))
    value = p95(times[5:])
    http.result(
        "public map data (all Kotim) p95",
        value,
        "ms",
        "< 200",
        value < 200,
        f"GET /laporan/peta.json, one client, 25 requests after 5 warm-up; {cells} grid cells "
        f"aggregated in SQL over {N_REPORTS} reports",
    )
    http.result(
        "public map data (all Kotim) size",
        sizes[-1] / 1024,
        "KB",
        "< 300",
        sizes[-1] < 300 * 1024,
        "uncompressed JSON body",
    )


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench_reports: wrk is missing; install it: apt-get install wrk")
    var_dir = Path(tempfile.mkdtemp(prefix="kc-bench-reports-"))
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DEFAULT_DB}"
        ),
        "DEBUG": "0",
        "STATIC_MANIFEST": "1",
        "KOTACERDAS_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "SECRET_KEY": "bench-" + "x" * 50,
        "LOG_LEVEL": "WARNING",
        "KOTACERDAS_DEMO": "0",
        "REPORTS_INDICATOR_CACHE_SECONDS": "60",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if "DATABASE_URL" not in os.environ:
        http.run(["bash", "scripts/ensure-postgres.sh", DEFAULT_DB], env)
    http.prepare(env)
    for args in (
        ["import_agencies", "data/agencies/agencies.csv"],
        ["import_report_catalogue", "data/reports/catalogue.json"],
    ):
        http.run([http.PY, "manage.py", *args], env)
    setup_django(env)
    total = seed_reports()
    log(f"{total} reports in the database")

    rng = random.Random(311)
    points = http.lookup_points(env, n=300)
    bench_nearby(points)
    bench_filing(rng, points[0])

    port = int(os.environ.get("BENCH_PORT", "0")) or http.free_port()
    proc = http.start_server(
        {**env, "DATABASE_POOL": "1"}, "granian-wsgi", 2, port, var_dir / "server.log"
    )
    try:
        base = f"http://127.0.0.1:{port}"
        bench_map(base)
        script = var_dir / "done.lua"
        script.write_text(http.DONE_LUA)
        for name, path in (
            ("public report list", "/laporan/"),
            ("Open311 GET requests.json", "/open311/v2/requests.json"),
        ):
            url = base + path
            http.check_ok(url)
            http.wrk(url, script, 3)
            log(f"{name}: {DURATION} s with {http.CONNECTIONS} connections")
            r = http.wrk(url, script, DURATION)
            errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
            value = r["p95_us"] / 1000
            http.result(
                f"{name} p95",
                value,
                "ms",
                "< 100",
                errors == 0 and value < 100,
                f"GET {path} over {N_REPORTS} reports; granian --workers 2 (WSGI), psycopg pool; "
                f"wrk -t1 -c{http.CONNECTIONS} -d{DURATION}s on the same 2-core host; "
                f"{r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.1f} ms, p99 "
                f"{r['p99_us'] / 1000:.1f} ms, errors {errors}",
            )
    finally:
        http.stop_server(proc)
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
