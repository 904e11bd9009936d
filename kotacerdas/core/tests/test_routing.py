"""The travel-time interface (core.routing): the straight-line estimator's exact figures, and the
OSRM table client against a local test double that speaks the OSRM table protocol over a real
loopback socket (pytest-socket lets 127.0.0.1 through, as for the Dukcapil double): the URL it
asks, the seconds it reads, None for "no road", and the straight-line fallback when the service
fails or is down."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kotacerdas.core import routing
from kotacerdas.core.geo import haversine_m
from kotacerdas.core.routing import (
    RURAL,
    URBAN,
    OsrmTableRouter,
    Place,
    StraightLineRouter,
    TravelAnswer,
    get_router,
    travel_seconds,
)

# RSUD dr. Murjani (Sampit), Puskesmas Baamang I, Puskesmas Kuala Kuayan; a call in Sawahan.
MURJANI = Place(-2.5427758, 112.9468547, URBAN)
BAAMANG = Place(-2.476478, 112.955727, URBAN)
KUALA_KUAYAN = Place(-1.98807, 112.451691, RURAL)
SAWAHAN = Place(-2.5336, 112.9500, URBAN)


def straight(circuity: float = 1.4, urban: float = 30.0, rural: float = 50.0) -> StraightLineRouter:
    return StraightLineRouter(circuity=circuity, urban_kmh=urban, rural_kmh=rural)


# --- Straight line ---------------------------------------------------------------------------------
def test_straight_line_is_distance_times_circuity_over_speed():
    answer = straight().travel([MURJANI, KUALA_KUAYAN], SAWAHAN)

    d_murjani = haversine_m(MURJANI.lat, MURJANI.lng, SAWAHAN.lat, SAWAHAN.lng)
    d_kuayan = haversine_m(KUALA_KUAYAN.lat, KUALA_KUAYAN.lng, SAWAHAN.lat, SAWAHAN.lng)
    assert answer.source == "straight_line"
    assert answer.distances_m == pytest.approx([d_murjani, d_kuayan], rel=1e-12)
    # Both ends urban: 30 km/h. One end rural: 50 km/h.
    assert answer.seconds == pytest.approx(
        [d_murjani * 1.4 / (30 / 3.6), d_kuayan * 1.4 / (50 / 3.6)], rel=1e-12
    )
    # 1.08 km at 30 km/h ≈ 3 min; 82 km at 50 km/h ≈ 2 h 18 min.
    assert round(d_murjani) == 1078
    assert round(answer.seconds[0] or 0) == 181
    assert round(d_kuayan) == 82_128
    assert round(answer.seconds[1] or 0) == 8279


@pytest.mark.parametrize(
    ("origin_area", "destination_area", "kmh"),
    [(URBAN, URBAN, 30.0), (URBAN, RURAL, 50.0), (RURAL, URBAN, 50.0), (RURAL, RURAL, 50.0)],
)
def test_urban_speed_only_when_both_ends_are_urban(
    origin_area: str, destination_area: str, kmh: float
):
    origin = Place(BAAMANG.lat, BAAMANG.lng, origin_area)
    destination = Place(SAWAHAN.lat, SAWAHAN.lng, destination_area)
    router = straight(circuity=1.25)

    answer = router.travel([origin], destination)

    distance = haversine_m(origin.lat, origin.lng, destination.lat, destination.lng)
    assert answer.seconds == pytest.approx([distance * 1.25 / (kmh / 3.6)], rel=1e-12)
    assert router.speed_ms(origin, destination) == pytest.approx(kmh / 3.6)


def test_straight_line_with_no_origins_answers_nothing():
    assert straight().travel([], SAWAHAN) == TravelAnswer([], [], "straight_line")


@pytest.mark.parametrize(
    "bad", [{"circuity": 0.9}, {"urban": 0.0}, {"rural": -5.0}], ids=["circuity", "urban", "rural"]
)
def test_straight_line_refuses_nonsense_factors(bad: dict[str, float]):
    with pytest.raises(ValueError, match="circuity must be >= 1 and speeds positive"):
        straight(**bad)


def test_the_default_router_follows_the_settings(settings: Any):
    settings.ROUTING_OSRM_URL = ""
    settings.ROUTING_CIRCUITY = 2.0
    settings.ROUTING_SPEED_URBAN_KMH = 36.0
    settings.ROUTING_SPEED_RURAL_KMH = 72.0

    router = get_router()
    answer = travel_seconds([BAAMANG], SAWAHAN)

    assert isinstance(router, StraightLineRouter)
    distance = haversine_m(BAAMANG.lat, BAAMANG.lng, SAWAHAN.lat, SAWAHAN.lng)
    assert answer.seconds == pytest.approx([distance * 2.0 / 10.0])  # 36 km/h = 10 m/s
    assert answer.source == "straight_line"


# --- The OSRM test double --------------------------------------------------------------------------
@dataclass
class OsrmDouble:
    """What the double was asked, and how it answers: each reachable origin i takes
    100·(i+1) + 0.5 seconds; origins in `unreachable` ("lng,lat") get null (no road)."""

    url: str = ""
    mode: str = "ok"  # ok | error500 | not_ok | wrong_size | slow | garbage
    unreachable: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)


def _handler(double: OsrmDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def do_GET(self) -> None:
            double.requests.append(self.path)
            if double.mode == "error500":
                self._send(500, b'{"message": "Internal Server Error"}')
                return
            if double.mode == "slow":
                time.sleep(1.0)
            if double.mode == "garbage":
                self._send(200, b"<html>not json</html>")
                return
            parts = urlsplit(self.path)
            prefix = "/table/v1/driving/"
            if not parts.path.startswith(prefix):
                self._send(400, json.dumps({"code": "InvalidUrl"}).encode())
                return
            coords = parts.path[len(prefix) :].split(";")
            query = parse_qs(parts.query)
            sources = [int(i) for i in query["sources"][0].split(";")]
            destinations = [int(i) for i in query["destinations"][0].split(";")]
            if query.get("annotations") != ["duration"]:
                self._send(400, json.dumps({"code": "InvalidOptions"}).encode())
                return
            durations = [
                [None if coords[s] in double.unreachable else 100.0 * (s + 1) + 0.5]
                * len(destinations)
                for s in sources
            ]
            if double.mode == "wrong_size":
                durations = durations[:-1]
            code = "NoTable" if double.mode == "not_ok" else "Ok"
            self._send(200, json.dumps({"code": code, "durations": durations}).encode())

    return Handler


@pytest.fixture
def osrm() -> Generator[OsrmDouble, None, None]:
    double = OsrmDouble()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    double.url = f"http://127.0.0.1:{server.server_port}/"
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_url() -> str:
    """A loopback port nobody listens on (the routing service is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def osrm_router(url: str, timeout: float = 2.0) -> OsrmTableRouter:
    return OsrmTableRouter(base_url=url, profile="driving", timeout=timeout, fallback=straight())


# --- OSRM ------------------------------------------------------------------------------------------
def test_osrm_table_request_and_answer(osrm: OsrmDouble):
    osrm.unreachable = {"112.451691,-1.988070"}  # Kuala Kuayan: "no road" today
    router = osrm_router(osrm.url)

    answer = router.travel([MURJANI, KUALA_KUAYAN, BAAMANG], SAWAHAN)

    assert osrm.requests == [
        "/table/v1/driving/"
        "112.946855,-2.542776;112.451691,-1.988070;112.955727,-2.476478;112.950000,-2.533600"
        "?sources=0;1;2&destinations=3&annotations=duration"
    ]
    assert answer.source == "osrm"
    assert answer.seconds == [100.5, None, 300.5]
    # Distances stay straight-line (for display and tie-breaking).
    assert answer.distances_m == pytest.approx(
        [
            haversine_m(p.lat, p.lng, SAWAHAN.lat, SAWAHAN.lng)
            for p in (MURJANI, KUALA_KUAYAN, BAAMANG)
        ]
    )


def test_osrm_url_for_strips_the_trailing_slash_and_uses_the_profile():
    router = OsrmTableRouter(
        base_url="http://osrm.example.test/", profile="car", timeout=1.0, fallback=straight()
    )

    assert router.url_for([BAAMANG], SAWAHAN) == (
        "http://osrm.example.test/table/v1/car/112.955727,-2.476478;112.950000,-2.533600"
        "?sources=0&destinations=1&annotations=duration"
    )


def test_osrm_with_no_origins_asks_nothing(osrm: OsrmDouble):
    assert osrm_router(osrm.url).travel([], SAWAHAN) == TravelAnswer([], [], "osrm")
    assert osrm.requests == []


@pytest.mark.parametrize("mode", ["error500", "not_ok", "wrong_size", "garbage"])
def test_osrm_failure_falls_back_to_the_straight_line(osrm: OsrmDouble, mode: str):
    osrm.mode = mode
    router = osrm_router(osrm.url)

    answer = router.travel([MURJANI, KUALA_KUAYAN], SAWAHAN)

    expected = straight().travel([MURJANI, KUALA_KUAYAN], SAWAHAN)
    assert len(osrm.requests) == 1
    assert answer == TravelAnswer(expected.seconds, expected.distances_m, "straight_line_fallback")
    assert all(s is not None for s in answer.seconds)  # a dispatcher always gets a ranking


def test_osrm_too_slow_falls_back_within_the_timeout(osrm: OsrmDouble):
    osrm.mode = "slow"
    router = osrm_router(osrm.url, timeout=0.2)

    started = time.monotonic()
    answer = router.travel([BAAMANG], SAWAHAN)

    assert time.monotonic() - started < 0.9
    assert answer.source == "straight_line_fallback"
    assert answer.seconds == straight().travel([BAAMANG], SAWAHAN).seconds


def test_osrm_down_falls_back_to_the_straight_line(closed_url: str):
    answer = osrm_router(closed_url).travel([BAAMANG, KUALA_KUAYAN], SAWAHAN)

    expected = straight().travel([BAAMANG, KUALA_KUAYAN], SAWAHAN)
    assert answer == TravelAnswer(expected.seconds, expected.distances_m, "straight_line_fallback")


def test_settings_plug_the_osrm_service_in(settings: Any, osrm: OsrmDouble):
    settings.ROUTING_OSRM_URL = osrm.url.rstrip("/")
    settings.ROUTING_OSRM_PROFILE = "driving"
    settings.ROUTING_OSRM_TIMEOUT = 2.0

    answer = routing.travel_seconds([BAAMANG, MURJANI], SAWAHAN)

    assert isinstance(get_router(), OsrmTableRouter)
    assert answer.source == "osrm"
    assert answer.seconds == [100.5, 200.5]
    assert osrm.requests[0].endswith("?sources=0;1&destinations=2&annotations=duration")

    settings.ROUTING_OSRM_URL = ""
    assert isinstance(get_router(), StraightLineRouter)
