"""The 119 emergency desk: recommendation speed, a simulated day of 300 calls (the desk's
dispatch policy against the naive "nearest by straight line"), and how fast a change reaches a
dispatcher's live board with 200 open incidents.

- Recommendation for one incident among 100 units (selectors.recommend_units: two queries and
  the ranking of dispatching.rank_units): p95 < 50 ms over 200 seeded incidents.
- A simulated day (a discrete-event simulation in pure Python, seeded): 300 calls at random
  times over 24 h, at desa/kelurahan centres of Kotim weighted 8:1 toward Sampit (kecamatan
  Baamang 62.02.05 and Mentawa Baru Ketapang 62.02.06), against the demo fleet (demo.seed_fleet).
  Both policies pay the same call handling (90 s) and crew turnout (60 s), the same on-scene,
  transport and hand-over times (drawn per call), and the same travel truth: core.routing's
  straight-line router, plus a station's access time when leaving it and a desa's fixed access
  time (the desk's own model of the world). The desk's policy takes the board's offer
  (dispatching.rank_units: best ETA from where each unit is now; a unit that cleared is at the
  facility or the scene, driving back to its station); the naive policy takes the nearest
  capable unit from its station as the crow flies (dispatching.rank_straight_line). No free
  unit: the call queues by priority, then age, and the next freed unit goes to the first
  waiting call it can serve. Reported: mean and 90th-percentile call → on scene, the share of
  calls that waited for a unit.
- The board with 200 open incidents: granian (ASGI, as `make run` serves), a signed-in
  dispatcher connected to /kantor/119/stream/, 50 changes made through the services (triage)
  by this process; measured from the start of each change to the stream's change event, and to
  the end of the board's following GET /kantor/119/papan.json: p95 < 1 s.

    .venv/bin/python benchmarks/bench_emergency.py

DATABASE_URL chooses the database; by default a local `kotacerdas_bench_emergency` database
(scripts/ensure-postgres.sh). The script clears the desk's demo rows (is_demo) there first.
Environment: BENCH_SIM_CALLS (300), BENCH_BOARD_CHANGES (50), BENCH_PORT.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_http as http

REPO = http.REPO
DEFAULT_DB = "kotacerdas_bench_emergency"
SIM_CALLS = int(os.environ.get("BENCH_SIM_CALLS", "300"))
BOARD_CHANGES = int(os.environ.get("BENCH_BOARD_CHANGES", "50"))
BOARD_INCIDENTS = 200
RECOMMEND_UNITS = 100
RECOMMEND_RUNS = 200
HANDLING_S = 90.0  # the call-taker's questions before the dispatch
TURNOUT_S = 60.0  # the crew's acknowledgement and departure
SAMPIT_KECAMATAN = ("62.02.05.", "62.02.06.")


def log(*args: object) -> None:
    print("bench_emergency:", *args, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (the desk's own figures use the same rule)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kotacerdas.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def clear_demo_rows() -> None:
    from django.db.models import Q

    from kotacerdas.emergency.models import Assignment, DesaAccess, Incident, Station, Unit

    Assignment.objects.filter(Q(incident__is_demo=True) | Q(unit__is_demo=True)).delete()
    Incident.objects.filter(is_demo=True).delete()
    Unit.objects.filter(is_demo=True).delete()
    Station.objects.filter(is_demo=True).delete()
    DesaAccess.objects.filter(is_demo=True).delete()


def villages() -> list[dict[str, Any]]:
    from kotacerdas.emergency import demo

    return sorted(demo._village_centres().values(), key=lambda v: v["code"])


def weights_toward_sampit(places: list[dict[str, Any]]) -> list[int]:
    return [8 if v["code"].startswith(SAMPIT_KECAMATAN) else 1 for v in places]


# --- (a) Recommendation among 100 units -------------------------------------------------------------
def bench_recommendation(places: list[dict[str, Any]]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kotacerdas.accounts.selectors import agency_by_codes
    from kotacerdas.emergency import demo, selectors, services
    from kotacerdas.emergency.models import Capability, Incident, Unit, UnitStatus

    rng = random.Random(100)
    agencies = agency_by_codes(codes=["dinkes", "damkar"])
    capabilities = (
        [Capability.BLS] * 60
        + [Capability.ALS] * 15
        + [Capability.FIRE] * 20
        + [Capability.RESCUE] * 5
    )
    posts = rng.sample(places, RECOMMEND_UNITS)
    for i, (village, capability) in enumerate(zip(posts, capabilities, strict=True)):
        fire = capability in (Capability.FIRE, Capability.RESCUE)
        station = services.station_save(
            actor=None,
            code=f"bench-{i:03d}",
            name=f"Pos uji {village['name']} (bench)",
            agency_id=agencies["damkar" if fire else "dinkes"].pk,
            lat=village["lat"],
            lng=village["lng"],
            access_minutes=30 if i % 20 == 0 else 0,  # a few river posts
            is_demo=True,
        )
        services.unit_save(
            actor=None,
            call_sign=f"B-{i:03d}",
            station_id=station.pk,
            capability=capability,
            is_demo=True,
        )
    desa, minutes, note = demo.DEMO_RIVER_DESA
    services.desa_access_save(actor=None, desa_code=desa, minutes=minutes, note=note, is_demo=True)
    free = Unit.objects.filter(status=UnitStatus.AVAILABLE).count()
    if free != RECOMMEND_UNITS:
        raise SystemExit(f"bench_emergency: expected {RECOMMEND_UNITS} units, found {free}")

    weights = weights_toward_sampit(places)
    needs = [Capability.ALS, Capability.BLS, Capability.BLS, Capability.FIRE, Capability.RESCUE]
    incidents = []
    for _ in range(RECOMMEND_RUNS + 20):
        v = rng.choices(places, weights=weights)[0]
        need = rng.choice(needs)
        incidents.append(
            Incident(
                lat=v["lat"] + rng.uniform(-0.004, 0.004),
                lng=v["lng"] + rng.uniform(-0.004, 0.004),
                desa_code=v["code"],
                kind="kebakaran" if need == Capability.FIRE else "medis",
                priority="merah" if need == Capability.ALS else "kuning",
                need=need,
            )
        )
    for incident in incidents[:20]:  # warm-up: imports, numpy, connection
        selectors.recommend_units(incident=incident)
    times = []
    with CaptureQueriesContext(connection) as queries:
        for incident in incidents[20:]:
            t = time.perf_counter()
            recs = selectors.recommend_units(incident=incident)
            times.append((time.perf_counter() - t) * 1000)
            assert recs, incident.need
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    http.result(
        "recommend units for one incident among 100 units p95",
        p95,
        "ms",
        "< 50",
        p95 < 50,
        f"selectors.recommend_units (free units with stations, the desa's access override, "
        f"rank_units over {RECOMMEND_UNITS} units at {RECOMMEND_UNITS} desa posts: 60 ambulances, "
        f"15 with paramedic, 20 fire trucks, 5 rescue); {RECOMMEND_RUNS} seeded incidents, "
        f"p50 {p50:.2f} ms, max {max(times):.2f} ms, "
        f"{len(queries) / RECOMMEND_RUNS:g} queries each",
    )
    clear_demo_rows()


# --- (b) A simulated day ------------------------------------------------------------------------------
@dataclass
class Call:
    id: int
    t: float  # seconds after midnight
    lat: float
    lng: float
    desa: str
    kind: str
    priority: str
    need: str
    on_scene_s: float
    facility: tuple[float, float, str] | None  # lat, lng, area; None: no transport
    handover_s: float


@dataclass
class SimUnit:
    id: int
    call_sign: str
    capability: str
    station: tuple[float, float]
    station_desa: str
    access_s: float
    free: bool = True
    # Driving back to the station from (lat, lng), from `ret_start` for `ret_dur` seconds.
    ret_from: tuple[float, float] | None = None
    ret_start: float = 0.0
    ret_dur: float = 0.0

    def position(self, t: float) -> tuple[float, float]:
        if self.ret_from is None or self.ret_dur <= 0 or t >= self.ret_start + self.ret_dur:
            return self.station
        f = (t - self.ret_start) / self.ret_dur
        return (
            self.ret_from[0] + (self.station[0] - self.ret_from[0]) * f,
            self.ret_from[1] + (self.station[1] - self.ret_from[1]) * f,
        )

    def snapshot(self, at: tuple[float, float]) -> Any:
        from kotacerdas.emergency.dispatching import UnitSnapshot

        return UnitSnapshot(
            id=self.id,
            call_sign=self.call_sign,
            capability=self.capability,
            lat=at[0],
            lng=at[1],
            station_lat=self.station[0],
            station_lng=self.station[1],
            station_desa=self.station_desa,
            station_access_s=self.access_s,
        )


@dataclass
class Outcome:
    responses: list[float] = field(default_factory=list)
    red: list[float] = field(default_factory=list)
    waited: int = 0
    fallback: int = 0


def make_calls(places: list[dict[str, Any]]) -> list[Call]:
    from kotacerdas.emergency import selectors, services
    from kotacerdas.emergency.dispatching import area_of
    from kotacerdas.emergency.models import Incident, IncidentKind, Priority

    rng = random.Random(2026)
    weights = weights_toward_sampit(places)
    calls = []
    for i in range(SIM_CALLS):
        v = rng.choices(places, weights=weights)[0]
        r = rng.random()
        kind = (
            IncidentKind.FIRE
            if r < 0.12
            else IncidentKind.RESCUE
            if r < 0.15
            else IncidentKind.MEDICAL
        )
        priority = (
            rng.choice([Priority.RED, Priority.YELLOW, Priority.YELLOW, Priority.GREEN])
            if kind == IncidentKind.MEDICAL
            else Priority.RED
            if kind == IncidentKind.FIRE
            else Priority.YELLOW
        )
        lat = v["lat"] + rng.uniform(-0.004, 0.004)
        lng = v["lng"] + rng.uniform(-0.004, 0.004)
        facility = None
        if kind == IncidentKind.MEDICAL:
            on_scene = rng.uniform(10, 25) * 60
            transport = rng.random() < {"merah": 0.95, "kuning": 0.85, "hijau": 0.6}[priority]
            if transport:
                where = Incident(lat=lat, lng=lng, desa_code=v["code"], priority=priority)
                best = selectors.recommend_facilities(incident=where, limit=1)[0].facility
                facility = (float(best.lat or 0), float(best.lng or 0), area_of(best.region_code))
        elif kind == IncidentKind.FIRE:
            on_scene = rng.uniform(30, 90) * 60
        else:
            on_scene = rng.uniform(20, 60) * 60
        calls.append(
            Call(
                id=i,
                t=rng.uniform(0, 24 * 3600),
                lat=lat,
                lng=lng,
                desa=v["code"],
                kind=kind,
                priority=priority,
                need=services.need_for(kind, priority),
                on_scene_s=on_scene,
                facility=facility,
                handover_s=rng.uniform(10, 20) * 60,
            )
        )
    return sorted(calls, key=lambda c: c.t)


def simulate(
    policy: str, calls: list[Call], fleet: list[SimUnit], overrides: dict[str, float]
) -> Outcome:
    from kotacerdas.core.routing import Place, travel_seconds
    from kotacerdas.emergency.dispatching import (
        Target,
        area_of,
        rank_straight_line,
        rank_units,
    )
    from kotacerdas.emergency.models import PRIORITY_RANK

    units = [
        SimUnit(
            **{
                k: getattr(u, k)
                for k in ("id", "call_sign", "capability", "station", "station_desa", "access_s")
            }
        )
        for u in fleet
    ]
    by_id = {u.id: u for u in units}
    events: list[tuple[float, int, str, Any]] = []
    seq = 0
    out = Outcome()
    waiting: list[tuple[Call, float]] = []

    def push(t: float, kind: str, payload: Any) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, payload))

    def target(call: Call) -> Target:
        return Target(call.lat, call.lng, call.desa, call.need, overrides.get(call.desa))

    def truth_eta(unit: SimUnit, call: Call, t: float) -> float:
        ranked = rank_units([unit.snapshot(unit.position(t))], target(call))
        return float(ranked[0].eta_seconds or 0)

    def choose(call: Call, free: list[SimUnit], t: float) -> SimUnit | None:
        if policy == "desk":
            ranked = rank_units([u.snapshot(u.position(t)) for u in free], target(call))
            return by_id[ranked[0].unit_id] if ranked else None
        naive = rank_straight_line([u.snapshot(u.station) for u in free], target(call))
        return by_id[naive[0].id] if naive else None

    def dispatch(t: float) -> None:
        for call, ready in sorted(waiting, key=lambda w: (PRIORITY_RANK[w[0].priority], w[1])):
            free = [u for u in units if u.free]
            unit = choose(call, free, t)
            if unit is None:
                continue
            waiting.remove((call, ready))
            if t > ready:
                out.waited += 1
            if unit.capability != call.need and call.need == "ambulans_paramedis":
                out.fallback += 1
            eta = truth_eta(unit, call, t)
            unit.free = False
            push(t + TURNOUT_S + eta, "arrive", (call, unit))

    def clear(t: float, unit: SimUnit, at: tuple[float, float], area: str) -> None:
        back = travel_seconds(
            [Place(at[0], at[1], area)],
            Place(unit.station[0], unit.station[1], area_of(unit.station_desa)),
        )
        unit.free = True
        unit.ret_from, unit.ret_start, unit.ret_dur = at, t, float(back.seconds[0] or 0)

    for call in calls:
        push(call.t + HANDLING_S, "ready", call)
    while events:
        t, _seq, kind, payload = heapq.heappop(events)
        if kind == "ready":
            waiting.append((payload, t))
        elif kind == "arrive":
            call, unit = payload
            response = t - call.t
            out.responses.append(response)
            if call.priority == "merah" and call.kind == "medis":
                out.red.append(response)
            push(t + call.on_scene_s, "leave", (call, unit))
            continue
        elif kind == "leave":
            call, unit = payload
            scene_area = area_of(call.desa)
            if call.facility is None:
                clear(t, unit, (call.lat, call.lng), scene_area)
            else:
                lat, lng, area = call.facility
                trip = travel_seconds(
                    [Place(call.lat, call.lng, scene_area)], Place(lat, lng, area)
                )
                push(t + float(trip.seconds[0] or 0) + call.handover_s, "cleared", (call, unit))
                continue
        elif kind == "cleared":
            call, unit = payload
            lat, lng, area = call.facility
            clear(t, unit, (lat, lng), area)
        dispatch(t)
    if waiting or len(out.responses) != len(calls):
        raise SystemExit(f"bench_emergency: {len(waiting)} calls never got a unit ({policy})")
    return out


def bench_simulated_day(places: list[dict[str, Any]]) -> None:
    from kotacerdas.emergency import demo, selectors
    from kotacerdas.emergency.models import Unit

    demo.seed_fleet()
    fleet = [
        SimUnit(
            id=u.pk,
            call_sign=u.call_sign,
            capability=u.capability,
            station=(u.station.lat, u.station.lng),
            station_desa=u.station.desa_code,
            access_s=u.station.access_minutes * 60.0,
        )
        for u in Unit.objects.filter(is_demo=True).select_related("station").order_by("call_sign")
    ]
    overrides = selectors._access_overrides()
    calls = make_calls(places)
    kinds = {
        k: sum(1 for c in calls if c.kind == k) for k in ("medis", "kebakaran", "penyelamatan")
    }
    red = sum(1 for c in calls if c.kind == "medis" and c.priority == "merah")
    in_sampit = sum(1 for c in calls if c.desa.startswith(SAMPIT_KECAMATAN))
    started = time.perf_counter()
    outcomes = {p: simulate(p, calls, fleet, overrides) for p in ("desk", "naive")}
    seconds = time.perf_counter() - started
    setting = (
        f"{len(calls)} seeded calls over 24 h ({kinds['medis']} medical of which {red} red, "
        f"{kinds['kebakaran']} fires, {kinds['penyelamatan']} rescues; {in_sampit} in Sampit's two "
        f"kecamatan) against the demo fleet of {len(fleet)} units "
        f"({sum(1 for u in fleet if u.capability.startswith('ambulans'))} ambulances); "
        f"call handling {HANDLING_S:.0f} s and turnout {TURNOUT_S:.0f} s in both; "
        f"simulated in {seconds:.1f} s"
    )
    names = {
        "desk": "desk policy (best ETA from where units are)",
        "naive": "naive policy (nearest by straight line from the station)",
    }
    for policy, out in outcomes.items():
        values = [r / 60 for r in out.responses]
        red_values = [r / 60 for r in out.red]
        detail = (
            f"{setting}; median {statistics.median(values):.1f} min, "
            f"red medical calls mean {statistics.mean(red_values):.1f} / p90 "
            f"{percentile(red_values, 0.9):.1f} min, paramedic calls answered by a plain "
            f"ambulance {out.fallback}"
        )
        http.result(
            f"simulated day: {names[policy]} mean response",
            statistics.mean(values),
            "min",
            "(reported)",
            True,
            detail,
        )
        http.result(
            f"simulated day: {names[policy]} p90 response",
            percentile(values, 0.9),
            "min",
            "(reported)",
            True,
            "call received -> first crew on scene, nearest-rank 90th percentile",
        )
        http.result(
            f"simulated day: {names[policy]} calls that waited for a unit",
            100 * out.waited / len(calls),
            "%",
            "(reported)",
            True,
            f"{out.waited} of {len(calls)} calls found no capable unit free when ready to dispatch",
        )


# --- (c) The board with 200 open incidents ----------------------------------------------------------
class StreamReader(threading.Thread):
    """Reads the board's server-sent events; remembers when each change id arrived."""

    def __init__(self, url: str, cookie: str) -> None:
        super().__init__(daemon=True)
        self.request = urllib.request.Request(  # noqa: S310 (loopback)
            url, headers={"Cookie": cookie, "Accept": "text/event-stream"}
        )
        self.arrived: list[tuple[int, float]] = []
        self.changed = threading.Condition()
        self.error: BaseException | None = None
        self.response: Any = None

    def run(self) -> None:
        try:
            self.response = urllib.request.urlopen(self.request, timeout=60)  # noqa: S310
            if self.response.headers.get_content_type() != "text/event-stream":
                raise RuntimeError(f"not a stream: {self.response.headers.get_content_type()}")
            event_id, event = -1, ""
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("event: "):
                    event = line[7:]
                elif line == "" and event == "change":
                    with self.changed:
                        self.arrived.append((event_id, time.perf_counter()))
                        self.changed.notify_all()
                    event = ""
        except BaseException as exc:  # reported by the waiting side
            self.error = exc
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, seq: int, timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                hit = next((at for sid, at in self.arrived if sid >= seq), None)
                if hit is not None:
                    return hit
                if self.error is not None:
                    raise SystemExit(f"bench_emergency: the stream failed: {self.error!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"bench_emergency: no change event for {seq} in {timeout} s")
                self.changed.wait(left)


def start_asgi(env: dict[str, str], port: int, logfile: Path) -> subprocess.Popen[bytes]:
    """granian on Django's ASGI interface, as the Procfile (`make run`) starts it."""
    cmd = [
        str(REPO / ".venv/bin/granian"), "--interface", "asginl", "kotacerdas.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
        "--log-level", "warning", "--no-ws",
    ]  # fmt: skip
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
            raise SystemExit(f"bench_emergency: the server exited: {logfile.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    http.stop_server(proc)
    raise SystemExit("bench_emergency: the server did not answer /healthz within 60 s")


def dispatcher_session() -> tuple[Any, str]:
    from django.conf import settings
    from django.test import Client

    from kotacerdas.accounts.models import Agency, Membership, Role, User
    from kotacerdas.accounts.tests.factories import otp_login

    user, _ = User.objects.get_or_create(
        username="bench.dispatcher",
        defaults={"full_name": "Bench dispatcher (demo)", "is_demo": True},
    )
    Membership.objects.get_or_create(
        user=user, role=Role.DISPATCHER, agency=Agency.objects.get(code="dinkes")
    )
    client = Client()
    otp_login(client, user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    user = User.objects.get(pk=user.pk)
    user.is_verified = lambda: True  # type: ignore[attr-defined]
    return user, cookie


def bench_board(base: str, places: list[dict[str, Any]]) -> None:
    from kotacerdas.emergency import selectors, services
    from kotacerdas.emergency.models import Incident

    rng = random.Random(200)
    dispatcher, cookie = dispatcher_session()
    weights = weights_toward_sampit(places)
    refs = []
    for i in range(BOARD_INCIDENTS):
        v = rng.choices(places, weights=weights)[0]
        incident = services.incident_record_call(
            actor=dispatcher,
            kind="kebakaran" if i % 8 == 0 else "medis",
            priority=rng.choice(["merah", "kuning", "hijau"]),
            chief_complaint="kebakaran_bangunan" if i % 8 == 0 else "sakit_umum",
            caller_phone=f"0812{rng.randint(10_000_000, 99_999_999)}",
            lat=v["lat"] + rng.uniform(-0.003, 0.003),
            lng=v["lng"] + rng.uniform(-0.003, 0.003),
        )
        refs.append(incident.ref)
    Incident.objects.filter(ref__in=refs).update(is_demo=True)
    state_url = base + "/kantor/119/papan.json"

    def board() -> dict[str, Any]:
        request = urllib.request.Request(state_url, headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
            return json.loads(r.read())

    first = board()
    if first["counts"]["open"] < BOARD_INCIDENTS:
        raise SystemExit(f"bench_emergency: the board shows {first['counts']['open']} incidents")
    for _ in range(5):
        board()  # warm both workers
    reader = StreamReader(base + "/kantor/119/stream/", cookie)
    reader.start()
    reader.wait_for(0)  # the stream's first event: connected
    to_event, to_state, service_ms, sizes = [], [], [], []
    for i in range(BOARD_CHANGES):
        time.sleep(rng.uniform(0.2, 0.6))  # changes arrive at any point of the poll cycle
        ref = refs[i % len(refs)]
        priority = ["kuning", "hijau"][i % 2]
        t0 = time.perf_counter()
        services.incident_triage(actor=dispatcher, ref=ref, priority=priority)
        service_ms.append((time.perf_counter() - t0) * 1000)
        seq = selectors.latest_seq()
        arrived = reader.wait_for(seq)
        to_event.append((arrived - t0) * 1000)
        request = urllib.request.Request(state_url, headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
            body = r.read()
        done = time.perf_counter()
        state = json.loads(body)
        row = next(x for x in state["incidents"] if x["ref"] == ref)
        if state["seq"] < seq or row["priority"] != priority:
            raise SystemExit(f"bench_emergency: the board did not show change {seq}")
        to_state.append((done - t0) * 1000)
        sizes.append(len(body))
    if reader.response is not None:
        reader.response.close()
    from django.conf import settings

    poll = float(settings.EMERGENCY_STREAM_POLL_SECONDS)
    common = (
        f"{BOARD_CHANGES} triage changes through services.incident_triage in this process; "
        f"granian --interface asginl --workers 2 (as make run), psycopg pool; stream polls the "
        f"change feed every {poll:g} s; {first['counts']['open']} open incidents and "
        f"{len(first['units'])} units on the board"
    )
    http.result(
        "board: change reaches a connected dispatcher (event + board JSON) p95",
        percentile(to_state, 0.95),
        "ms",
        "< 1000",
        percentile(to_state, 0.95) < 1000,
        f"{common}; from the start of the change to the end of the following GET "
        f"/kantor/119/papan.json ({statistics.mean(sizes) / 1024:.0f} KB); p50 "
        f"{statistics.median(to_state):.0f} ms, max {max(to_state):.0f} ms",
    )
    http.result(
        "board: change event on the stream p95",
        percentile(to_event, 0.95),
        "ms",
        "< 1000",
        percentile(to_event, 0.95) < 1000,
        f"{common}; from the start of the change to its event on /kantor/119/stream/; p50 "
        f"{statistics.median(to_event):.0f} ms, max {max(to_event):.0f} ms; the service itself "
        f"p50 {statistics.median(service_ms):.0f} ms",
    )


def main() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="kc-bench-emergency-"))
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
        "ROUTING_OSRM_URL": "",  # the straight-line estimator: the simulation's truth model
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if "DATABASE_URL" not in os.environ:
        http.run(["bash", "scripts/ensure-postgres.sh", DEFAULT_DB], env)
    http.prepare(env)
    http.run([http.PY, "manage.py", "import_agencies", "data/agencies/agencies.csv"], env)
    setup_django(env)
    clear_demo_rows()
    places = villages()
    log(f"{len(places)} desa/kelurahan centres")

    log("(a) recommendation among 100 units")
    bench_recommendation(places)
    log("(b) simulated day")
    bench_simulated_day(places)

    log("(c) the board with 200 open incidents")
    port = int(os.environ.get("BENCH_PORT", "0")) or http.free_port()
    proc = start_asgi({**env, "DATABASE_POOL": "1"}, port, var_dir / "server.log")
    try:
        bench_board(f"http://127.0.0.1:{port}", places)
    finally:
        http.stop_server(proc)
        clear_demo_rows()
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
