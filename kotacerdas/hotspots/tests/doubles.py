"""Local test doubles of the outside services fire detection talks to. Each is a real HTTP
server (http.server in a thread, on 127.0.0.1 and a free port), so the platform's own HTTP
code (urllib, timeouts, status codes, bodies) runs exactly as it does against the real thing.

- `SmsGateway`: a Fonnte-style WhatsApp/SMS gateway (the protocol of kotacerdas/core/sms.py):
  POST form `target`, `message`, `countryCode` with the token in `Authorization`; answers
  `{"status": true, "id": ["..."], "process": "pending"}` or `{"status": false, "reason": ...}`.
  It can be told to refuse the next N messages, or to answer HTTP 500.
- `FirmsArea`: the NASA FIRMS area API, `/api/area/csv/{MAP_KEY}/{SOURCE}/{w,s,e,n}/{days}`,
  answering a CSV body, or FIRMS' plain-text error ("Invalid MAP_KEY.") for a wrong key.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SmsRequest:
    authorization: str
    content_type: str
    form: dict[str, str]


@dataclass
class SmsGateway:
    token: str = "test-token-123"
    requests: list[SmsRequest] = field(default_factory=list)
    fail_next: int = 0  # refuse ({"status": false}) this many messages, then accept
    http_error: int = 0  # answer every request with this HTTP status (0: behave)
    reason: str = "device disconnected"
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(80367170))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        with self._lock:
            self.requests.append(
                SmsRequest(
                    authorization=headers.get("Authorization", ""),
                    content_type=headers.get("Content-Type", ""),
                    form=form,
                )
            )
            if self.http_error:
                return self.http_error, {"status": False, "reason": "server error"}
            if headers.get("Authorization", "") != self.token:
                return 200, {"status": False, "reason": "invalid token"}
            if not form.get("target") or not form.get("message"):
                return 200, {"status": False, "reason": "target and message are required"}
            if self.fail_next > 0:
                self.fail_next -= 1
                return 200, {"status": False, "reason": self.reason}
            return 200, {
                "status": True,
                "detail": "success! message in queue",
                "id": [str(next(self._ids))],
                "process": "pending",
                "target": [form["target"]],
            }


@dataclass
class FirmsRequest:
    map_key: str
    source: str
    box: tuple[float, float, float, float]  # west, south, east, north
    days: int


@dataclass
class FirmsArea:
    map_key: str = "abcdef0123456789abcdef0123456789"
    csv: bytes = b""  # the answer for a good key (the same for every source unless `by_source`)
    by_source: dict[str, bytes] = field(default_factory=dict)
    error_text: str = ""  # answer this text instead of a CSV (e.g. a rate-limit message)
    requests: list[FirmsRequest] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str) -> tuple[int, bytes, str]:
        parts = path.strip("/").split("/")
        # api/area/csv/{key}/{source}/{box}/{days}
        if len(parts) != 7 or parts[:3] != ["api", "area", "csv"]:
            return 404, b"Not found", "text/plain"
        key, source, box_text, days = parts[3], parts[4], parts[5], parts[6]
        try:
            w, s, e, n = (float(x) for x in box_text.split(","))
            day_count = int(days)
        except ValueError:
            return 400, b"Invalid area coordinates.", "text/plain"
        self.requests.append(FirmsRequest(key, source, (w, s, e, n), day_count))
        if key != self.map_key:
            # FIRMS answers a wrong key with a short text and status 400.
            return 400, b"Invalid MAP_KEY.", "text/plain"
        if self.error_text:
            return 200, self.error_text.encode(), "text/plain"
        return 200, self.by_source.get(source, self.csv), "text/csv"


def _sms_handler(gateway: SmsGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, payload = gateway.answer(self.headers, self.rfile.read(length))
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _firms_handler(firms: FirmsArea) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, content_type = firms.answer(urllib.parse.urlsplit(self.path).path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def sms_gateway(**kw: Any) -> Iterator[SmsGateway]:
    gateway = SmsGateway(**kw)
    with _serving(_sms_handler(gateway)) as base:
        gateway.url = f"{base}/send"
        yield gateway


@contextmanager
def firms_area(**kw: Any) -> Iterator[FirmsArea]:
    firms = FirmsArea(**kw)
    with _serving(_firms_handler(firms)) as base:
        firms.url = base
        yield firms
