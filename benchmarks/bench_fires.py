"""Fire detection: importing FIRMS files, a building sensor's alarm reaching the 119 desk, and
the hotspot map's data for a whole fire season.

- Import of the real 12,955-row Kalimantan file (data/hotspots/firms_viirs_snpp_2022_kalimantan
  .csv) into an empty fire database, through the full service call the upload form and
  `manage.py import_hotspots` make (services.hotspots_import: parse every row, keep the points
  inside Kotim with their desa, group them into events, record the run): < 3 s. Repeated
  BENCH_IMPORT_RUNS times, each after deleting every hotspot, event and import run (regions
  stay); the first run of the process is reported apart (cold: it builds the region lookup
  index), the others as median/p95 (warm).
- Re-importing the same file: < 2 s and zero new rows (asserted), BENCH_IMPORT_RUNS times.
- A sensor alarm published to the broker → the incident visible on the 119 desk: p95 < 2 s over
  BENCH_ALARMS alarms, for real: granian (ASGI, as `make run` serves), `manage.py mqtt_listen`
  as a separate process against the same database, Mosquitto in between, BENCH_ALARMS sensors
  at points inside Kotim, a signed-in dispatcher following the desk's change stream
  (/kantor/119/stream/) and fetching the board's JSON (/kantor/119/papan.json) on each change,
  as the board page does. Measured from just before the publish to the end of the board GET
  whose JSON first shows the new incident.
- The hotspot map's data for a whole season: < 200 ms. Kotim's real 2022 data has only 61
  hotspots, so a SYNTHETIC season is generated (seeded; BENCH_SEASON_HOTSPOTS hotspots over
  July-October of 2010, a year before VIIRS flew, so that it cannot be mistaken for real data)
  and imported through the same service as an NRT file; then GET
  /kantor/karhutla/peta.json?start=..&end=.. (hotspots_kantor:map_data) for the whole season
  as a signed-in BPBD officer, cold and warm; when that view does not answer yet, the selector
  behind it (selectors.map_data + JSON encoding) is timed instead, and the result says which.

    .venv/bin/python benchmarks/bench_fires.py

DATABASE_URL chooses the database; by default a local `kotacerdas_bench_fires` database
(scripts/ensure-postgres.sh). The script deletes every hotspot, fire event and import run there,
and its own bench sensors and their incidents, so it refuses a database whose name lacks
"bench". MQTT_URL names the broker (default mqtt://127.0.0.1:1883; scripts/ensure-mosquitto.sh
starts one); the sensors publish under a topic prefix of their own, so other listeners on the
same broker are not disturbed. The synthetic season's own import time is reported too (no
target: a FIRMS fetch brings a day, not a season).
Environment: BENCH_IMPORT_RUNS (5), BENCH_ALARMS (100), BENCH_SEASON_HOTSPOTS (20000),
BENCH_MAP_REQUESTS (20), BENCH_PORT.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_emergency as emergency
import bench_http as http

REPO = http.REPO
DEFAULT_DB = "kotacerdas_bench_fires"
KALIMANTAN = REPO / "data" / "hotspots" / "firms_viirs_snpp_2022_kalimantan.csv"
IMPORT_RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "5"))
ALARMS = int(os.environ.get("BENCH_ALARMS", "100"))
SEASON_HOTSPOTS = int(os.environ.get("BENCH_SEASON_HOTSPOTS", "20000"))
MAP_REQUESTS = int(os.environ.get("BENCH_MAP_REQUESTS", "20"))
SEASON_YEAR = 2010  # synthetic: VIIRS (Suomi NPP) only flew from late 2011
SEASON_START = dt.date(SEASON_YEAR, 7, 1)
SEASON_END = dt.date(SEASON_YEAR, 10, 31)
SENSOR_PREFIX = "bench-fire-"
SAMPIT_KECAMATAN = emergency.SAMPIT_KECAMATAN
percentile = emergency.percentile


def log(*args: object) -> None:
    print("bench_fires:", *args, file=sys.stderr, flush=True)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def load() -> str:
    """The host's load while measuring (other work on the same 2 cores skews every figure)."""
    one, five, _fifteen = os.getloadavg()
    return f"host load average {one:.1f} (1 min) / {five:.1f} (5 min)"


# --- Setup and cleaning --------------------------------------------------------------------------
def clear_fires() -> None:
    """Every hotspot, fire event and import run (an empty fire database; regions stay)."""
    from kotacerdas.hotspots import services
    from kotacerdas.hotspots.models import (
        EventIncident,
        FireAlert,
        FireEvent,
        GroundCheck,
        Hotspot,
        ImportRun,
    )

    FireAlert.objects.all().delete()
    EventIncident.objects.all().delete()
    GroundCheck.objects.all().delete()
    Hotspot.objects.all().delete()
    FireEvent.objects.update(merged_into=None)
    FireEvent.objects.all().delete()
    ImportRun.objects.all().delete()
    services.reset_import_state()


def clear_sensors() -> None:
    """The bench's own sensors, their messages and nonces, and the incidents they opened."""
    from kotacerdas.emergency.models import Assignment, Incident
    from kotacerdas.hotspots.models import Sensor, SensorMessage

    incidents = Incident.objects.filter(sensor_code__startswith=SENSOR_PREFIX)
    Assignment.objects.filter(incident__in=incidents).delete()
    incidents.delete()
    SensorMessage.objects.filter(claimed_code__startswith=SENSOR_PREFIX).delete()
    Sensor.objects.filter(code__startswith=SENSOR_PREFIX).delete()  # nonces cascade


def desa_centres() -> list[tuple[str, float, float]]:
    from kotacerdas.regions.models import Region

    rows = list(
        Region.objects.filter(level__in=["desa", "kelurahan"], lat__isnull=False, lng__isnull=False)
        .order_by("code")
        .values_list("code", "lat", "lng")
    )
    if not rows:
        raise SystemExit("bench_fires: no desa centroids in the regions table")
    return [(c, float(la or 0), float(ln or 0)) for c, la, ln in rows]


# --- (1, 2) Importing the real Kalimantan file ---------------------------------------------------
def import_file(path: Path) -> tuple[float, Any]:
    from kotacerdas.hotspots import services
    from kotacerdas.hotspots.models import ImportOutcome, ImportSource

    t0 = time.perf_counter()
    with path.open("rb") as fh:
        run = services.hotspots_import(
            actor=None, source=ImportSource.COMMAND, upload=fh, filename=path.name
        )
    seconds = time.perf_counter() - t0
    if run.outcome != ImportOutcome.DONE:
        raise SystemExit(f"bench_fires: {path.name} was refused: {run.code} {run.message}")
    return seconds, run


def bench_import() -> None:
    from kotacerdas.hotspots.models import FireEvent, Hotspot
    from kotacerdas.regions import lookup

    if lookup._index is not None:  # the cold run must build it
        raise SystemExit("bench_fires: the region lookup index was built before the cold run")
    runs: list[tuple[float, Any]] = []
    for i in range(IMPORT_RUNS):
        clear_fires()
        seconds, run = import_file(KALIMANTAN)
        runs.append((seconds, run))
        log(
            f"import {i + 1}/{IMPORT_RUNS}: {ms(seconds):.0f} ms, {run.rows_total} rows, "
            f"{run.rows_new} new, {run.rows_outside} outside, {run.events_new} events"
        )
        if run.rows_new == 0 or run.rows_total != 12955:
            raise SystemExit(
                f"bench_fires: unexpected import: {run.rows_total} rows, {run.rows_new}"
            )
    hotspots, events = Hotspot.objects.count(), FireEvent.objects.count()
    desa_missing = Hotspot.objects.filter(desa_code="").count()
    if desa_missing:
        raise SystemExit(f"bench_fires: {desa_missing} hotspots without a desa")
    first = runs[0][1]
    what = (
        f"{KALIMANTAN.name} ({KALIMANTAN.stat().st_size / 1e6:.2f} MB, {first.rows_total} rows, "
        f"archive format): {first.rows_new} hotspots kept inside Kotim (each with its desa), "
        f"{first.rows_outside} outside, {first.events_new} events; "
        f"services.hotspots_import(actor=None, source=command) into an empty fire database"
    )
    cold = ms(runs[0][0])
    http.result(
        "import Kalimantan file, cold (first in process, builds region index)",
        cold,
        "ms",
        "< 3000",
        cold < 3000,
        f"{what}; the process's first import, which builds the region lookup index "
        f"({len(lookup.get_index().codes)} desa polygons)",
    )
    warm = [ms(s) for s, _r in runs[1:]]
    if warm:
        http.result(
            "import Kalimantan file, warm p95",
            percentile(warm, 0.95),
            "ms",
            "< 3000",
            percentile(warm, 0.95) < 3000,
            f"{what}; {len(warm)} runs after the first, each after deleting hotspots, events and "
            f"import runs: median {statistics.median(warm):.0f} ms, max {max(warm):.0f} ms; "
            f"{load()}",
        )

    re_runs: list[float] = []
    for _i in range(IMPORT_RUNS):
        seconds, run = import_file(KALIMANTAN)
        if run.rows_new != 0 or run.events_new != 0:
            raise SystemExit(f"bench_fires: a re-import added {run.rows_new} rows")
        re_runs.append(ms(seconds))
    if Hotspot.objects.count() != hotspots or FireEvent.objects.count() != events:
        raise SystemExit("bench_fires: a re-import changed the hotspot or event count")
    p95 = percentile(re_runs, 0.95)
    http.result(
        "re-import the same file p95",
        p95,
        "ms",
        "< 2000",
        p95 < 2000,
        f"{len(re_runs)} re-imports of {KALIMANTAN.name} over {hotspots} hotspots and "
        f"{events} events: median {statistics.median(re_runs):.0f} ms, max "
        f"{max(re_runs):.0f} ms; rows_new {run.rows_new} (asserted 0 on each), "
        f"rows_duplicate {run.rows_duplicate}, rows_outside {run.rows_outside}",
    )
    http.result(
        "re-import the same file: new rows",
        float(run.rows_new),
        "rows",
        "0",
        run.rows_new == 0,
        f"ImportRun.rows_new of the last re-import; hotspots before {hotspots}, after "
        f"{Hotspot.objects.count()}",
    )


# --- (4) A synthetic season -----------------------------------------------------------------------
NRT_HEADER = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_ti5,frp,daynight"
)


def synthetic_season(centres: list[tuple[str, float, float]], total: int) -> tuple[bytes, int]:
    """A FIRMS NRT CSV of `total` hotspots inside Kotim over July-October of SEASON_YEAR,
    seeded: fire sites around desa centroids (weighted 3:1 toward the southern, peat-land
    kecamatan below 2.2 degrees south), each burning for 1-12 days with a heavy-tailed number
    of detections scattered about 400 m around it, at S-NPP's afternoon and night overpasses,
    the season peaking in September. Returns (CSV bytes, number of sites)."""
    from kotacerdas.regions.lookup import locate_many

    rng = random.Random(6)
    season_days = (SEASON_END - SEASON_START).days + 1
    weights = [3 if lat < -2.2 else 1 for _c, lat, _l in centres]
    sizes: list[float] = []
    sites: list[tuple[float, float, int, int]] = []
    while sum(sizes) < total * 1.15:  # some points fall outside a polygon or repeat
        _code, clat, clng = rng.choices(centres, weights=weights)[0]
        lat = clat + rng.uniform(-0.03, 0.03)
        lng = clng + rng.uniform(-0.03, 0.03)
        start = int(rng.triangular(0, season_days - 1, 0.62 * season_days))
        days = min(rng.randint(1, 12), season_days - start)
        sites.append((lat, lng, start, days))
        sizes.append(min(rng.paretovariate(1.3) * 4, 400))
    rows: list[tuple[float, float, dt.datetime, str, float]] = []
    seen: set[tuple[str, float, float]] = set()
    order = list(range(len(sites)))
    while len(rows) < total:
        batch: list[tuple[float, float, dt.datetime, str, float]] = []
        for s in order:
            lat0, lng0, start, days = sites[s]
            for _k in range(max(1, round(sizes[s]))):
                day = SEASON_START + dt.timedelta(days=start + rng.randrange(days))
                # S-NPP passes about 00:45 and 12:30-13:10 WIB (UTC+7); FIRMS gives UTC.
                night = rng.random() < 0.35
                hhmm = (
                    rng.choice((42, 48, 54, 100))
                    if night
                    else rng.choice((1230, 1236, 1242, 1248, 1254, 1300, 1306))
                )
                local = dt.datetime(day.year, day.month, day.day, hhmm // 100, hhmm % 100)
                at = local - dt.timedelta(hours=7)  # UTC; the season is whole WIB days
                lat = round(lat0 + rng.gauss(0, 0.0035), 5)
                lng = round(lng0 + rng.gauss(0, 0.0035), 5)
                key = (at.isoformat(), round(lat, 4), round(lng, 4))
                if key in seen:
                    continue
                seen.add(key)
                conf = rng.choices(("l", "n", "h"), weights=(12, 74, 14))[0]
                batch.append((lat, lng, at, conf, round(rng.lognormvariate(1.2, 1.0), 2)))
        inside = locate_many([b[0] for b in batch], [b[1] for b in batch])
        rows.extend(b for b, place in zip(batch, inside, strict=True) if place is not None)
        rng.shuffle(order)  # a second pass (rarely needed) adds detections to random sites
    rows = sorted(rows[:total], key=lambda r: (r[2], r[0], r[1]))
    out = io.StringIO()
    out.write(NRT_HEADER + "\n")
    for lat, lng, at, conf, frp in rows:
        night = at.hour >= 12
        out.write(
            f"{lat:.5f},{lng:.5f},{rng.uniform(300, 367) if not night else rng.uniform(295, 340):.2f},"
            f"{rng.uniform(0.32, 0.6):.2f},{rng.uniform(0.36, 0.7):.2f},{at:%Y-%m-%d},{at:%H%M},"
            f"N,VIIRS,{conf},2.0NRT,{rng.uniform(280, 300):.2f},{frp},{'N' if night else 'D'}\n"
        )
    return out.getvalue().encode(), len(sites)


def import_season(centres: list[tuple[str, float, float]]) -> dict[str, Any]:
    from kotacerdas.hotspots import services
    from kotacerdas.hotspots.models import FireEvent, Hotspot, ImportOutcome, ImportSource

    t0 = time.perf_counter()
    data, n_sites = synthetic_season(centres, SEASON_HOTSPOTS)
    made_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    run = services.hotspots_import(
        actor=None,
        source=ImportSource.COMMAND,
        data=data,
        filename=f"SYNTHETIC_season_{SEASON_YEAR}_nrt.csv",
    )
    import_s = time.perf_counter() - t0
    if run.outcome != ImportOutcome.DONE or run.rows_new != SEASON_HOTSPOTS:
        raise SystemExit(
            f"bench_fires: the synthetic season imported {run.rows_new} rows ({run.code} "
            f"{run.message})"
        )
    lo = dt.datetime(SEASON_YEAR, 1, 1, tzinfo=dt.UTC)
    hi = dt.datetime(SEASON_YEAR + 1, 1, 1, tzinfo=dt.UTC)
    season = Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi)
    events = FireEvent.objects.filter(
        merged_into__isnull=True, first_detected_at__gte=lo, first_detected_at__lt=hi
    ).count()
    info = {
        "hotspots": season.count(),
        "events": events,
        "sites": n_sites,
        "bytes": len(data),
        "made_s": made_s,
        "import_s": import_s,
        "desa": season.values("desa_code").distinct().count(),
    }
    http.result(
        f"import a SYNTHETIC season file ({SEASON_HOTSPOTS:,} new hotspots) in one go",
        ms(import_s),
        "ms",
        "(reported)",
        True,
        f"SYNTHETIC (seeded, not real data): one NRT file of {len(data) / 1e6:.1f} MB with "
        f"{run.rows_total} rows inside Kotim over {SEASON_START:%d %b} - {SEASON_END:%d %b %Y} "
        f"from {n_sites} fire sites; services.hotspots_import added {run.rows_new} hotspots in "
        f"{run.events_new} new events ({events} after merges) on top of the real 2022 data; not "
        f"a target (a FIRMS fetch brings a day, not a season), the setup of the map figure",
    )
    log(
        f"synthetic season: {info['hotspots']} hotspots in {info['events']} events over "
        f"{info['desa']} desa from {n_sites} sites; CSV {len(data) / 1e6:.1f} MB built in "
        f"{made_s:.1f} s, imported in {import_s:.1f} s"
    )
    return info


def officer_session() -> str:
    """A BPBD officer (petugas OPD of bpbd: the fire map of the whole regency), signed in with
    TOTP; returns the session cookie."""
    from django.conf import settings
    from django.test import Client

    from kotacerdas.accounts.models import Agency, Membership, Role, User
    from kotacerdas.accounts.tests.factories import otp_login

    user, _ = User.objects.get_or_create(
        username="bench.bpbd", defaults={"full_name": "Bench BPBD officer (demo)", "is_demo": True}
    )
    Membership.objects.get_or_create(
        user=user, role=Role.PETUGAS_OPD, agency=Agency.objects.get(code="bpbd")
    )
    client = Client()
    otp_login(client, user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def get(
    url: str, cookie: str, timeout: float = 30, **headers: str
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, headers={"Cookie": cookie, **{k.replace("_", "-"): v for k, v in headers.items()}}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:  # noqa: S310
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


def bench_map(base: str, season: dict[str, Any]) -> None:
    from django.core.serializers.json import DjangoJSONEncoder
    from django.urls import reverse

    from kotacerdas.hotspots import selectors

    query = urllib.parse.urlencode(
        {"start": SEASON_START.isoformat(), "end": SEASON_END.isoformat()}
    )
    url = f"{base}{reverse('hotspots_kantor:map_data')}?{query}"
    cookie = officer_session()
    synthetic = (
        f"SYNTHETIC season (seeded, not real data): {season['hotspots']} hotspots in "
        f"{season['events']} events over {season['desa']} desa, "
        f"{SEASON_START:%d %b} - {SEASON_END:%d %b %Y}, imported through services.hotspots_import "
        f"as one NRT file in {season['import_s']:.1f} s"
    )

    t0 = time.perf_counter()
    status, body, headers = get(url, cookie)
    cold = ms(time.perf_counter() - t0)
    data: dict[str, Any] | None = None
    if status == 200:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
    if data is not None and len(data.get("hotspots", ())) >= season["hotspots"]:
        for _ in range(3):
            get(url, cookie)  # both workers have served it
        times, sizes = [], []
        for _ in range(MAP_REQUESTS):
            t0 = time.perf_counter()
            status, body, headers = get(url, cookie)
            times.append(ms(time.perf_counter() - t0))
            sizes.append(len(body))
            if status != 200:
                raise SystemExit(f"bench_fires: the map data answered {status}")
        size = statistics.median(sizes)
        gz = len(gzip.compress(body, 6))
        encoding = headers.get("content-encoding", "none")
        common = (
            f"{synthetic}; GET {reverse('hotspots_kantor:map_data')}?{query} as a signed-in BPBD "
            f"officer through granian --interface asginl --workers 2 (as make run), psycopg "
            f"pool; {len(data['hotspots'])} hotspots and {len(data['events'])} events in the "
            f"JSON, {size / 1024:.0f} KB (Content-Encoding {encoding}; gzip -6 would be "
            f"{gz / 1024:.0f} KB)"
        )
        http.result(
            "map data for a whole SYNTHETIC season over HTTP, cold (first request)",
            cold,
            "ms",
            "< 200",
            cold < 200,
            f"{common}; the server's first request for the map after the import",
        )
        p95 = percentile(times, 0.95)
        http.result(
            "map data for a whole SYNTHETIC season over HTTP, warm p95",
            p95,
            "ms",
            "< 200",
            p95 < 200,
            f"{common}; {MAP_REQUESTS} sequential requests after 3 warm-ups: median "
            f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms; {load()}",
        )
        etag = headers.get("etag", "")
        if etag:
            revalidate = []
            for _ in range(MAP_REQUESTS):
                t0 = time.perf_counter()
                status, _b, _h = get(url, cookie, If_None_Match=etag)
                revalidate.append(ms(time.perf_counter() - t0))
                if status != 304:
                    raise SystemExit(f"bench_fires: a revalidation answered {status}, not 304")
            http.result(
                "map data for a whole SYNTHETIC season over HTTP, unchanged (ETag -> 304) p95",
                percentile(revalidate, 0.95),
                "ms",
                "(reported)",
                True,
                f"the same GET with If-None-Match (the browser's revalidation when nothing "
                f"changed), {MAP_REQUESTS} requests: median {statistics.median(revalidate):.1f} ms",
            )
        measured = "http"
    else:
        measured = "selector"
        log(f"the map data view answered {status}: timing selectors.map_data instead")
    # The selector behind the view (always reported: the share of the work that is the data).
    sel = []
    for i in range(MAP_REQUESTS + 1):
        t0 = time.perf_counter()
        payload = json.dumps(
            selectors.map_data(start=SEASON_START, end=SEASON_END), cls=DjangoJSONEncoder
        ).encode()
        sel.append(ms(time.perf_counter() - t0))
        if i == 0:
            n = len(json.loads(payload)["hotspots"])
            if n != season["hotspots"]:
                raise SystemExit(f"bench_fires: selectors.map_data gave {n} hotspots")
    cold_sel, warm_sel = sel[0], sel[1:]
    p95_sel = percentile(warm_sel, 0.95)
    detail = (
        f"{synthetic}; selectors.map_data(start, end) for the whole season plus json.dumps, in "
        f"this process (no HTTP, no session check){'' if measured == 'selector' else ' — the share of the HTTP figure above that is the data itself'}; "
        f"{len(payload) / 1024:.0f} KB (gzip -6 {len(gzip.compress(payload, 6)) / 1024:.0f} KB); "
        f"first call {cold_sel:.0f} ms, then {len(warm_sel)} calls: median "
        f"{statistics.median(warm_sel):.0f} ms, max {max(warm_sel):.0f} ms"
    )
    if measured == "selector":
        detail += (
            f"; MEASURED THE SELECTOR, NOT HTTP: GET {reverse('hotspots_kantor:map_data')} "
            f"answered {status} (the view is not written yet)"
        )
    http.result(
        "map data for a whole SYNTHETIC season, selector + JSON p95",
        p95_sel,
        "ms",
        "< 200",
        p95_sel < 200,
        detail,
    )


# --- (3) Sensor alarm → the desk -----------------------------------------------------------------
class Stream(threading.Thread):
    """Follows the desk's change stream (reconnecting with Last-Event-ID when it ends, as
    EventSource does) and keeps every change event with its arrival time."""

    def __init__(self, url: str, cookie: str) -> None:
        super().__init__(daemon=True)
        self.url, self.cookie = url, cookie
        self.arrived: list[tuple[int, float]] = []
        self.changed = threading.Condition()
        self.error: BaseException | None = None
        self.stopped = False
        self.response: Any = None

    def run(self) -> None:
        last = ""
        try:
            while not self.stopped:
                headers = {"Cookie": self.cookie, "Accept": "text/event-stream"}
                if last:
                    headers["Last-Event-ID"] = last
                request = urllib.request.Request(self.url, headers=headers)  # noqa: S310
                self.response = urllib.request.urlopen(request, timeout=60)  # noqa: S310
                if self.response.headers.get_content_type() != "text/event-stream":
                    raise RuntimeError(f"not a stream: {self.response.headers.get_content_type()}")
                event_id, event = -1, ""
                for raw in self.response:
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith("id: "):
                        event_id = int(line[4:])
                        last = str(event_id)
                    elif line.startswith("event: "):
                        event = line[7:]
                    elif line == "" and event == "change":
                        with self.changed:
                            self.arrived.append((event_id, time.perf_counter()))
                            self.changed.notify_all()
                        event = ""
        except BaseException as exc:  # reported by the waiting side
            if not self.stopped:
                self.error = exc
            with self.changed:
                self.changed.notify_all()

    def wait_beyond(self, count: int, deadline: float) -> tuple[int, float] | None:
        """Wait until more than `count` change events have arrived; the next one, or None at
        the deadline."""
        with self.changed:
            while len(self.arrived) <= count:
                if self.error is not None:
                    raise SystemExit(f"bench_fires: the desk stream failed: {self.error!r}")
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.changed.wait(left)
            return self.arrived[count]

    def stop(self) -> None:
        self.stopped = True
        if self.response is not None:
            self.response.close()


def make_sensors(centres: list[tuple[str, float, float]], n: int) -> list[tuple[str, str, str]]:
    """`n` + 1 sensors (the first for the warm-up) at points inside Kotim, weighted 8:1 toward
    Sampit's two kecamatan as public buildings are; (code, secret, building)."""
    from kotacerdas.accounts import crypto
    from kotacerdas.hotspots import signing
    from kotacerdas.hotspots.models import Sensor, SensorKind
    from kotacerdas.regions.errors import OutsideRegions
    from kotacerdas.regions.lookup import locate

    rng = random.Random(119)
    weights = [8 if c.startswith(SAMPIT_KECAMATAN) else 1 for c, _la, _ln in centres]
    kinds = [SensorKind.SMOKE, SensorKind.HEAT, SensorKind.MULTI]
    made = []
    for i in range(n + 1):
        while True:
            _code, clat, clng = rng.choices(centres, weights=weights)[0]
            lat = round(clat + rng.uniform(-0.002, 0.002), 6)
            lng = round(clng + rng.uniform(-0.002, 0.002), 6)
            try:
                place = locate(lat, lng)
            except OutsideRegions:
                continue
            break
        code = f"{SENSOR_PREFIX}{i:03d}"
        building = f"Gedung uji {i:03d} (bench)"
        secret = signing.new_secret()
        Sensor.objects.create(
            code=code,
            name=f"Detektor uji {i:03d}",
            kind=kinds[i % 3],
            building=building,
            address=f"Jl. Uji No. {i}",
            lat=lat,
            lng=lng,
            desa_code=place.desa.code,
            desa_name=place.desa.name,
            kecamatan_code=place.kecamatan.code,
            kecamatan_name=place.kecamatan.name,
            secret_encrypted=crypto.encrypt(secret),
            heartbeat_seconds=300,
            is_demo=True,
        )
        made.append((code, secret, building))
    return made


def start_listener(env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [http.PY, "manage.py", "mqtt_listen"],
        cwd=REPO,
        env=env,
        stdout=logfile.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return proc


class Publisher:
    """One long-lived MQTT connection (as a gateway in a building would keep), QoS 1."""

    def __init__(self) -> None:
        import paho.mqtt.client as mqtt

        from kotacerdas.hotspots.mqtt import broker

        host, port, user, password, tls = broker()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        if user:
            self.client.username_pw_set(user, password or None)
        if tls:
            self.client.tls_set()
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def message(code: str, secret: str, type_: str, value: Any = None) -> tuple[str, bytes]:
    from django.conf import settings

    from kotacerdas.hotspots import signing

    topic = f"{settings.MQTT_TOPIC_PREFIX.rstrip('/')}/{code}/{type_}"
    return topic, signing.signed_message(
        secret, code, type_, int(time.time()), secrets.token_hex(8), value
    )


def wait_db(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"bench_fires: {what} within {timeout:.0f} s")


def bench_alarms(base: str, env: dict[str, str], var_dir: Path) -> None:
    from django.conf import settings

    from kotacerdas.emergency import demo
    from kotacerdas.emergency.models import Incident
    from kotacerdas.hotspots.models import Sensor, SensorMessage

    centres = desa_centres()
    sensors = make_sensors(centres, ALARMS)
    fleet = demo.seed_fleet()  # a board with units: each waiting incident gets an offer
    _dispatcher, cookie = emergency.dispatcher_session()
    state_url = base + "/kantor/119/papan.json"
    listener = start_listener(env, var_dir / "mqtt_listen.log")
    publisher = Publisher()
    stream = Stream(base + "/kantor/119/stream/", cookie)
    rng = random.Random(1883)
    try:
        # The listener is up when a heartbeat marks the warm-up sensor online.
        code0, secret0, building0 = sensors[0]
        ready_by = time.monotonic() + 30
        while time.monotonic() < ready_by:
            if listener.poll() is not None:
                raise SystemExit(
                    "bench_fires: mqtt_listen exited: "
                    + (var_dir / "mqtt_listen.log").read_text()[-3000:]
                )
            publisher.publish(*message(code0, secret0, "heartbeat"))
            time.sleep(0.5)
            if Sensor.objects.filter(code=code0, online=True).exists():
                break
        else:
            raise SystemExit("bench_fires: mqtt_listen did not take a heartbeat within 30 s")
        stream.start()
        if stream.wait_beyond(0, time.perf_counter() + 10) is None:  # "connected"
            raise SystemExit("bench_fires: no first event on the desk stream")

        def board() -> tuple[dict[str, Any], int]:
            status, body, _h = get(state_url, cookie, timeout=10)
            if status != 200:
                raise SystemExit(f"bench_fires: the board JSON answered {status}")
            return json.loads(body), len(body)

        def alarm(code: str, secret: str, building: str) -> tuple[float, float, float, int, str]:
            """(publish → change event, publish → board shows it, publish return, size, ref)"""
            seen = len(stream.arrived)
            topic, payload = message(code, secret, "alarm", round(rng.uniform(55, 90), 1))
            t0 = time.perf_counter()
            publisher.publish(topic, payload)
            t_pub = time.perf_counter()
            deadline = t0 + 15
            while True:
                hit = stream.wait_beyond(seen, deadline)
                if hit is None:
                    raise SystemExit(f"bench_fires: the alarm of {code} never reached the desk")
                seen += 1
                state, size = board()
                done = time.perf_counter()
                row = next(
                    (r for r in state["incidents"] if r.get("sensor_building") == building), None
                )
                if row is not None:
                    return (hit[1] - t0, done - t0, t_pub - t0, size, row["ref"])

        alarm(code0, secret0, building0)  # warm-up (not counted): the listener's first alarm
        to_event, to_board, publish_s, sizes = [], [], [], []
        refs = []
        for code, secret, building in sensors[1:]:
            time.sleep(rng.uniform(0.2, 0.6))  # alarms arrive at any point of the poll cycle
            e, b, p, size, ref = alarm(code, secret, building)
            to_event.append(ms(e))
            to_board.append(ms(b))
            publish_s.append(ms(p))
            sizes.append(size)
            refs.append(ref)
        incidents = Incident.objects.filter(ref__in=refs)
        if incidents.count() != ALARMS or incidents.exclude(source="sensor").exists():
            raise SystemExit("bench_fires: not every alarm opened its own sensor incident")
        in_sampit = incidents.filter(
            desa_code__regex=r"^(" + "|".join(k.replace(".", r"\.") for k in SAMPIT_KECAMATAN) + ")"
        ).count()
        accepted = SensorMessage.objects.filter(
            claimed_code__startswith=SENSOR_PREFIX, message_type="alarm", outcome="diterima"
        ).count()
        final, _size = board()
    finally:
        stream.stop()
        publisher.close()
        http.stop_server(listener)
    poll = float(settings.EMERGENCY_STREAM_POLL_SECONDS)
    p95 = percentile(to_board, 0.95)
    common = (
        f"{ALARMS} alarms, one per sensor, from {ALARMS} sensors at points inside Kotim "
        f"({in_sampit} in Sampit), signed (HMAC, signing.signed_message) and published with QoS 1 "
        f"over one long-lived paho connection to Mosquitto at {settings.MQTT_URL}, 0.2-0.6 s "
        f"apart; `manage.py mqtt_listen` in its own process ({accepted} alarms accepted, incl. "
        f"1 warm-up not counted); granian --interface asginl --workers 2 (as make run), psycopg "
        f"pool; a signed-in dispatcher follows /kantor/119/stream/ (polls the change feed every "
        f"{poll:g} s) and GETs /kantor/119/papan.json on each change, as the board page does; "
        f"{final['counts']['open']} open incidents and {len(final['units'])} units on the board "
        f"at the end ({fleet} demo units)"
    )
    http.result(
        "sensor alarm published -> incident visible on the desk p95",
        p95,
        "ms",
        "< 2000",
        p95 < 2000,
        f"{common}; from just before the publish to the end of the board GET whose JSON first "
        f"shows the incident ({statistics.mean(sizes) / 1024:.0f} KB): p50 "
        f"{statistics.median(to_board):.0f} ms, max {max(to_board):.0f} ms; {load()}",
    )
    http.result(
        "sensor alarm published -> change event on the desk stream p95",
        percentile(to_event, 0.95),
        "ms",
        "(reported)",
        True,
        f"the same {ALARMS} alarms, to the change event that announced the incident: p50 "
        f"{statistics.median(to_event):.0f} ms, max {max(to_event):.0f} ms; the publish itself "
        f"(until the broker's PUBACK) p50 {statistics.median(publish_s):.1f} ms",
    )
    http.result(
        "sensor alarm published -> incident visible on the desk max",
        max(to_board),
        "ms",
        "(reported)",
        True,
        f"p50 {statistics.median(to_board):.0f} ms, p95 {p95:.0f} ms over {ALARMS} alarms",
    )


def broker_answers() -> bool:
    from kotacerdas.hotspots.mqtt import broker

    host, port, *_rest = broker()
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def main() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="kc-bench-fires-"))
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
        "ROUTING_OSRM_URL": "",
        # The bench's sensors publish under their own prefix: other listeners on the broker
        # (a developer's `make run`, tests) neither see them nor are seen.
        "MQTT_TOPIC_PREFIX": f"kotacerdas-bench-{os.getpid()}/sensors",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    db_name = urllib.parse.urlsplit(env["DATABASE_URL"]).path.lstrip("/")
    if "bench" not in db_name:
        raise SystemExit(
            f"bench_fires: refusing to run on database {db_name!r}: the benchmark deletes every "
            f"hotspot, fire event and import run there; use a database named *bench* "
            f"(unset DATABASE_URL for the default {DEFAULT_DB})"
        )
    if "DATABASE_URL" not in os.environ:
        http.run(["bash", "scripts/ensure-postgres.sh", DEFAULT_DB], env)
    http.prepare(env)
    http.run([http.PY, "manage.py", "import_agencies", "data/agencies/agencies.csv"], env)
    emergency.setup_django(env)
    if not broker_answers():
        http.run(["bash", "scripts/ensure-mosquitto.sh"], env)
    clear_sensors()
    emergency.clear_demo_rows()

    log("(1, 2) importing the Kalimantan file")
    bench_import()
    log("(4) building and importing a synthetic season")
    season = import_season(desa_centres())

    port = int(os.environ.get("BENCH_PORT", "0")) or http.free_port()
    proc = emergency.start_asgi({**env, "DATABASE_POOL": "1"}, port, var_dir / "server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        log("(4) the season's map data")
        bench_map(base, season)
        log(f"(3) {ALARMS} sensor alarms through MQTT to the desk")
        bench_alarms(base, env, var_dir)
    finally:
        http.stop_server(proc)
        clear_sensors()
        emergency.clear_demo_rows()
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
