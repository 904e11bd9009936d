"""Identity verification against Dukcapil (the civil registry).

The regency reaches Dukcapil's data-access web service through its own gateway (a PKS with
Ditjen Dukcapil). That service cannot be reached from here, so it sits behind an adapter:

- `HttpDukcapilAdapter` speaks the web service's JSON protocol: POST
  {"NIK", "NAMA_LGKP", "TGL_LHR" (DD-MM-YYYY), "user_id", "password", "IP_USER", "TRESHOLD"}
  and reads {"content": [{"NIK": "Sesuai", "NAMA_LGKP": "Sesuai (100)", "TGL_LHR": "Sesuai"}]}
  or {"content": [{"RESPON": "Data Tidak Ditemukan"}]}.
- `LocalDukcapilDouble` answers the same protocol locally for development and tests:
  every well-formed NIK is found and matches, except serial 9999 (not found) and names
  beginning with "TIDAK SESUAI" (name mismatch). `dukcapil_double_wsgi` serves it over HTTP
  so the HTTP adapter is tested against a real socket.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from django.conf import settings
from django.utils.module_loading import import_string

Status = Literal["match", "mismatch", "not_found", "unavailable"]


@dataclass(frozen=True)
class DukcapilResult:
    status: Status
    detail: str = ""


def _request_body(nik: str, full_name: str, birth_date: dt.date) -> dict[str, Any]:
    return {
        "NIK": nik,
        "NAMA_LGKP": full_name.upper(),
        "TGL_LHR": birth_date.strftime("%d-%m-%Y"),
        "user_id": getattr(settings, "DUKCAPIL_USER", ""),
        "password": getattr(settings, "DUKCAPIL_PASSWORD", ""),
        "IP_USER": getattr(settings, "DUKCAPIL_IP", "127.0.0.1"),
        "TRESHOLD": 90,
    }


def _interpret(response: dict[str, Any]) -> DukcapilResult:
    content = response.get("content") or []
    if not content:
        return DukcapilResult("unavailable", "empty response")
    row = content[0]
    if "RESPON" in row:
        return DukcapilResult("not_found", str(row["RESPON"]))
    fields = ("NIK", "NAMA_LGKP", "TGL_LHR")
    if all(str(row.get(f, "")).startswith("Sesuai") for f in fields):
        return DukcapilResult("match")
    failed = [f for f in fields if not str(row.get(f, "")).startswith("Sesuai")]
    return DukcapilResult("mismatch", ",".join(failed))


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """The double's answer to one request body, in the web service's format."""
    nik = str(body.get("NIK", ""))
    name = str(body.get("NAMA_LGKP", ""))
    if len(nik) != 16 or nik.endswith("9999"):
        return {"content": [{"RESPON": "Data Tidak Ditemukan"}], "lastPage": True}
    name_ok = not name.startswith("TIDAK SESUAI")
    return {
        "content": [
            {
                "NIK": "Sesuai",
                "NAMA_LGKP": "Sesuai (100)" if name_ok else "Tidak Sesuai (12)",
                "TGL_LHR": "Sesuai",
            }
        ],
        "lastPage": True,
    }


class LocalDukcapilDouble:
    def verify(self, *, nik: str, full_name: str, birth_date: dt.date) -> DukcapilResult:
        return _interpret(answer(_request_body(nik, full_name, birth_date)))


class HttpDukcapilAdapter:
    def __init__(self, url: str | None = None, timeout: float = 5.0) -> None:
        self.url = url or settings.DUKCAPIL_URL
        self.timeout = timeout

    def verify(self, *, nik: str, full_name: str, birth_date: dt.date) -> DukcapilResult:
        data = json.dumps(_request_body(nik, full_name, birth_date)).encode()
        request = urllib.request.Request(  # noqa: S310 (URL comes from settings)
            self.url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return _interpret(json.loads(response.read().decode()))
        except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
            return DukcapilResult("unavailable", exc.__class__.__name__)


def dukcapil_double_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The double as a WSGI app (POST JSON in, JSON out), for tests and local demos."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        payload, status = answer(body), "200 OK"
    except ValueError:
        payload, status = {"error": "bad request"}, "400 Bad Request"
    out = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(out)))]
    )
    return [out]


@lru_cache(maxsize=1)
def _adapter(path: str) -> Any:
    return import_string(path)()


def get_adapter() -> Any:
    return _adapter(settings.DUKCAPIL_BACKEND)
