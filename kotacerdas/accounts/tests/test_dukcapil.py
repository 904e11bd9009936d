"""The Dukcapil adapter over a real loopback socket (the double served by wsgiref), and signup
when Dukcapil cannot be reached."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Generator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from kotacerdas.accounts import dukcapil, services
from kotacerdas.accounts.dukcapil import (
    DukcapilResult,
    HttpDukcapilAdapter,
    LocalDukcapilDouble,
    dukcapil_double_wsgi,
)

from .conftest import signup_data

NIK = "6202064101900001"
BORN = dt.date(1990, 1, 1)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def double_url() -> Generator[str, None, None]:
    server: WSGIServer = make_server(
        "127.0.0.1", 0, dukcapil_double_wsgi, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/dukcapil"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def closed_url() -> str:
    """A loopback port nobody listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/dukcapil"


@pytest.fixture
def fresh_adapter() -> Generator[None, None, None]:
    dukcapil._adapter.cache_clear()
    yield
    dukcapil._adapter.cache_clear()


@pytest.mark.parametrize(
    ("nik", "name", "expected"),
    [
        (NIK, "Siti Rahmawati", DukcapilResult("match")),
        ("6202064101909999", "Siti Rahmawati", DukcapilResult("not_found", "Data Tidak Ditemukan")),
        (NIK, "Tidak Sesuai Rahmawati", DukcapilResult("mismatch", "NAMA_LGKP")),
        ("62020641019", "Siti Rahmawati", DukcapilResult("not_found", "Data Tidak Ditemukan")),
    ],
    ids=["match", "not-found", "name-mismatch", "short-nik"],
)
def test_http_adapter_against_the_double(double_url: str, nik: str, name: str, expected: Any):
    adapter = HttpDukcapilAdapter(url=double_url, timeout=5)
    assert adapter.verify(nik=nik, full_name=name, birth_date=BORN) == expected
    # The in-process double answers the same.
    assert LocalDukcapilDouble().verify(nik=nik, full_name=name, birth_date=BORN) == expected


def test_http_adapter_sends_the_web_service_body(double_url: str, monkeypatch: Any):
    seen: list[dict[str, Any]] = []
    original = dukcapil.answer

    def spy(body: dict[str, Any]) -> dict[str, Any]:
        seen.append(body)
        return original(body)

    monkeypatch.setattr(dukcapil, "answer", spy)
    HttpDukcapilAdapter(url=double_url).verify(nik=NIK, full_name="Siti R", birth_date=BORN)
    assert seen == [
        {
            "NIK": NIK,
            "NAMA_LGKP": "SITI R",
            "TGL_LHR": "01-01-1990",
            "user_id": "",
            "password": "",
            "IP_USER": "127.0.0.1",
            "TRESHOLD": 90,
        }
    ]


def test_unreachable_dukcapil_is_unavailable(closed_url: str):
    result = HttpDukcapilAdapter(url=closed_url, timeout=2).verify(
        nik=NIK, full_name="Siti", birth_date=BORN
    )
    assert result == DukcapilResult("unavailable", "URLError")


def test_a_server_that_answers_garbage_is_unavailable():
    def garbage(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<html>maintenance</html>"]

    server = make_server("127.0.0.1", 0, garbage, handler_class=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        result = HttpDukcapilAdapter(url=url).verify(nik=NIK, full_name="Siti", birth_date=BORN)
    finally:
        server.shutdown()
        server.server_close()
    assert result.status == "unavailable"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"content": []}, DukcapilResult("unavailable", "empty response")),
        ({}, DukcapilResult("unavailable", "empty response")),
        (
            {"content": [{"NIK": "Sesuai", "NAMA_LGKP": "Sesuai (95)", "TGL_LHR": "Tidak Sesuai"}]},
            DukcapilResult("mismatch", "TGL_LHR"),
        ),
    ],
)
def test_interpretation_of_answers(response: dict, expected: DukcapilResult):
    assert dukcapil._interpret(response) == expected


@pytest.mark.django_db
def test_signup_succeeds_as_pending_when_dukcapil_is_down(
    settings: Any, closed_url: str, fresh_adapter: None
):
    settings.DUKCAPIL_BACKEND = "kotacerdas.accounts.dukcapil.HttpDukcapilAdapter"
    settings.DUKCAPIL_URL = closed_url

    user = services.citizen_signup(**signup_data())

    assert user.citizen.dukcapil_status == "pending"
    assert user.citizen.dukcapil_checked_at is not None


@pytest.mark.django_db
def test_signup_through_the_http_adapter_is_verified(
    settings: Any, double_url: str, fresh_adapter: None
):
    settings.DUKCAPIL_BACKEND = "kotacerdas.accounts.dukcapil.HttpDukcapilAdapter"
    settings.DUKCAPIL_URL = double_url

    # Typed with spaces: Dukcapil must receive the 16 digits.
    user = services.citizen_signup(**signup_data(nik="6202 0641 0190 0001"))

    assert user.citizen.dukcapil_status == "verified"
