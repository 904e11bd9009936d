"""HTTP throughput and latency of the portal and the regions API, served as `make run` and
production serve them (granian, WSGI; uvicorn/ASGI alongside for comparison), with DEBUG off,
hashed static files and PostgreSQL. Loopback only, bounded time.

    .venv/bin/python benchmarks/bench_http.py

DATABASE_URL chooses the database; by default a local `kotacerdas_bench` database (created by
scripts/ensure-postgres.sh, then migrated and loaded with Kotim's reference data). Needs `wrk`
(Debian: apt-get install wrk). Prints one JSON result per line (benchmarks/README.md);
progress goes to stderr.

Environment: BENCH_DURATION (s, default 20), BENCH_CONNECTIONS (8), BENCH_CONFIGS
("server:workers:pool" items, server granian-wsgi | granian-asgi | uvicorn; default
"granian-wsgi:2:pool,uvicorn:2:pool" — the first is what `make run` serves; every config is measured and
reported; the targets are judged on each), BENCH_PORT (a free one).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PY = str(REPO / ".venv" / "bin" / "python")
DEFAULT_DB = "kotacerdas_bench"
DURATION = int(os.environ.get("BENCH_DURATION", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
CONFIGS = os.environ.get("BENCH_CONFIGS", "granian-wsgi:2:pool,uvicorn:2:pool")

# name, path (or Lua-generated), target rps, target p95 ms
ENDPOINTS = [
    ("home", "/", 300, 50.0),
    ("regions_list", "/api/v1/regions?parent=62.02", 300, 50.0),
    ("regions_lookup", None, 500, None),
]

DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def log(*args: Any) -> None:
    print("bench_http:", *args, file=sys.stderr, flush=True)


def result(name: str, value: float, unit: str, target: str, passed: bool, detail: str) -> None:
    print(
        json.dumps(
            {
                "name": name,
                "value": round(value, 2),
                "unit": unit,
                "target": target,
                "passed": passed,
                "detail": detail,
            }
        ),
        flush=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: list[str], env: dict[str, str], timeout: float = 900) -> str:
    proc = subprocess.run(
        cmd,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise SystemExit(f"bench_http: {' '.join(cmd)} exited {proc.returncode}")
    return proc.stdout


def prepare(env: dict[str, str]) -> None:
    if "DATABASE_URL" not in os.environ:
        run(["bash", "scripts/ensure-postgres.sh", DEFAULT_DB], env)
    for args in (
        ["migrate", "--noinput", "-v0"],
        ["createcachetable"],
        ["import_regions", "data/regions"],
        ["import_facilities", "data/facilities"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        log("manage.py", *args)
        run([PY, "manage.py", *args], env)


def lookup_points(env: dict[str, str], n: int = 200) -> list[tuple[float, float]]:
    """Seeded random points inside Kotim: desa/kelurahan centroids nudged by up to ~100 m."""
    code = (
        "import django, json; django.setup();"
        "from kotacerdas.regions.models import Region;"
        "print(json.dumps(list(Region.objects.filter(level__in=['desa','kelurahan'],"
        " lat__isnull=False).order_by('code').values_list('lat','lng'))))"
    )
    centroids = json.loads(
        run([PY, "-c", code], {**env, "DJANGO_SETTINGS_MODULE": "kotacerdas.settings"})
    )
    if not centroids:
        raise SystemExit("bench_http: no desa centroids in the regions table")
    rng = random.Random(6202)  # seeded: every run asks for the same points
    return [
        (round(lat + rng.uniform(-0.001, 0.001), 6), round(lng + rng.uniform(-0.001, 0.001), 6))
        for lat, lng in (rng.choice(centroids) for _ in range(n))
    ]


def lookup_lua(points: list[tuple[float, float]]) -> str:
    rows = ",\n".join(f'  "/api/v1/regions/lookup?lat={lat}&lng={lng}"' for lat, lng in points)
    return (
        f"local paths = {{\n{rows}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\n'
        "end\n" + DONE_LUA
    )


def server_command(server: str, workers: int, port: int) -> list[str]:
    if server == "uvicorn":
        return [
            str(REPO / ".venv/bin/uvicorn"), "kotacerdas.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            "--log-level", "warning", "--workers", str(workers),
        ]  # fmt: skip
    interface, app = (
        ("wsgi", "kotacerdas.wsgi:application")
        if server == "granian-wsgi"
        else ("asgi", "kotacerdas.asgi:application")
    )
    return [
        str(REPO / ".venv/bin/granian"), "--interface", interface, app,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-ws",
        *(["--blocking-threads", "2"] if interface == "wsgi" else []),
    ]  # fmt: skip


def start_server(
    env: dict[str, str], server: str, workers: int, port: int, logfile: Path
) -> subprocess.Popen[bytes]:
    cmd = server_command(server, workers, port)
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=logfile.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench_http: the server exited: {logfile.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("bench_http: the server did not answer /healthz within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def check_ok(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (loopback)
        if r.status != 200:
            raise SystemExit(f"bench_http: {url} answered {r.status}")


def wrk(url: str, script: Path, duration: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("bench_http: wrk is missing; install it: apt-get install wrk")
    var_dir = Path(tempfile.mkdtemp(prefix="kc-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DEFAULT_DB}"
        ),
        "DEBUG": "0",
        "STATIC_MANIFEST": "1",
        "KOTACERDAS_VAR_DIR": str(var_dir),
        "SECRET_KEY": "bench-" + "x" * 50,
        "LOG_LEVEL": "WARNING",
        "KOTACERDAS_DEMO": "0",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    prepare(env)
    points = lookup_points(env)
    scripts = {}
    for name, path, *_ in ENDPOINTS:
        f = var_dir / f"{name}.lua"
        f.write_text(lookup_lua(points) if path is None else DONE_LUA)
        scripts[name] = f

    for config in [c.strip() for c in CONFIGS.split(",") if c.strip()]:
        parts = config.split(":")
        if parts[0].isdigit():  # the older "workers:pool" form means uvicorn
            parts = ["uvicorn", *parts]
        server, workers_s, pool = [*parts, "pool"][:3]
        workers = int(workers_s)
        cfg_env = {**env, "DATABASE_POOL": "1" if pool == "pool" else "0"}
        label = f"{server} --workers {workers}, {'psycopg pool' if pool == 'pool' else 'no pool (CONN_MAX_AGE=0)'}"
        port = int(os.environ.get("BENCH_PORT", "0")) or free_port()
        log("starting", label, "on port", port)
        proc = start_server(
            cfg_env, server, workers, port, var_dir / f"server-{config.replace(':', '-')}.log"
        )
        try:
            base = f"http://127.0.0.1:{port}"
            check_ok(base + "/")
            check_ok(base + "/api/v1/regions?parent=62.02")
            check_ok(f"{base}/api/v1/regions/lookup?lat={points[0][0]}&lng={points[0][1]}")
            for name, path, rps_target, p95_target in ENDPOINTS:
                url = base + (path or "/")
                wrk(url, scripts[name], 3)  # warm-up: imports, caches, pools, STRtree
                log(f"{name}: {DURATION} s with {CONNECTIONS} connections ({label})")
                r = wrk(url, scripts[name], DURATION)
                errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
                p95 = r["p95_us"] / 1000
                detail = (
                    f"{label}; wrk -t1 -c{CONNECTIONS} -d{DURATION}s on the same 2-core host; "
                    f"{r['requests']} requests, p50 {r['p50_us'] / 1000:.1f} ms, p95 {p95:.1f} ms, "
                    f"p99 {r['p99_us'] / 1000:.1f} ms, errors {errors}"
                )
                ok_errors = errors == 0
                result(
                    f"{name} req/s [{config}]",
                    r["rps"],
                    "req/s",
                    f">= {rps_target}",
                    ok_errors and r["rps"] >= rps_target,
                    detail,
                )
                result(
                    f"{name} p95 [{config}]",
                    p95,
                    "ms",
                    f"< {p95_target}" if p95_target else "(reported)",
                    ok_errors and (p95_target is None or p95 < p95_target),
                    detail,
                )
        finally:
            stop_server(proc)
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
