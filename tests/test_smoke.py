"""The embedded path `make run` takes, end to end: a fresh var dir, SQLite, the set-up commands,
then the Procfile's web server (granian, WSGI) serving the portal."""

from __future__ import annotations

import html
import json
import re
import secrets
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from django.utils import translation

from tests.conftest import REPO, child_env, free_port, manage, wait_for_http

pytestmark = [pytest.mark.smoke, pytest.mark.xdist_group("smoke")]


def get(url: str) -> tuple[int, Message, bytes]:
    """(status, headers (case-insensitive), body) of a GET."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback URL)
        return response.status, response.headers, response.read()


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir: Path = tmp_path_factory.mktemp("var")
    (var_dir / "secret_key").write_text(secrets.token_urlsafe(50))
    env = child_env(KOTACERDAS_VAR_DIR=str(var_dir), KOTACERDAS_DEMO="1")
    for name in (
        "DATABASE_URL",
        "DEBUG",
        "SECRET_KEY",
        "STATIC_MANIFEST",
        "EMAIL_URL",
        "REDIS_URL",
    ):
        env.pop(name, None)

    # What `make setup` runs (assets and messages are already built by `make test`).
    manage("collectstatic", "--noinput", "-v0", env=env)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("createcachetable", env=env)
    manage("import_regions", "data/regions", env=env)
    manage("import_facilities", "data/facilities", env=env)
    manage("seed_demo", env=env)
    assert (var_dir / "kotacerdas.sqlite3").exists()

    port = free_port()
    log = (var_dir / "server.log").open("w")
    web = next(
        line.split(":", 1)[1].strip()
        for line in (REPO / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    proc = subprocess.Popen(  # exactly the Procfile's web line, as `make run` starts it
        ["bash", "-c", f"exec {web}"],
        cwd=REPO,
        env={**env, "PORT": str(port), "WEB_WORKERS": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(f"{base}/healthz", proc=proc, timeout=60)
        except AssertionError:
            log.flush()
            raise AssertionError((var_dir / "server.log").read_text()[-5000:]) from None
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_healthz_and_readyz(embedded_server: str) -> None:
    status, _headers, body = get(f"{embedded_server}/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    status, _headers, body = get(f"{embedded_server}/readyz")
    assert status == 200
    ready = json.loads(body)
    assert ready["status"] == "ok"
    assert ready["checks"]["database"] == {"ok": True, "vendor": "sqlite"}


def test_portal_home_shows_the_six_dimensions(embedded_server: str) -> None:
    from kotacerdas.core.models import Dimension

    status, headers, body = get(f"{embedded_server}/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert re.search(r'<html[^>]* lang="id"', page), page[:300]
    with translation.override("id"):
        names = [html.escape(str(label)) for _value, label in Dimension.choices]
    assert len(names) == 6
    for name in names:
        assert name in page, f"{name!r} is missing from the portal home"


def test_static_assets_are_served_hashed(embedded_server: str) -> None:
    status, _headers, body = get(f"{embedded_server}/")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', body.decode())
    assert assets, "the home page links no scripts or styles"
    for asset in assets:
        # The manifest storage names files by content hash, so they can be cached for long.
        assert re.search(r"\.[0-9a-f]{12}\.(?:js|css)$", asset), asset
        status, _headers, content = get(embedded_server + asset)
        assert status == 200
        assert content


def test_the_api_answers_with_the_imported_regions(embedded_server: str) -> None:
    status, _headers, body = get(f"{embedded_server}/api/v1/regions?parent=62.02")
    assert status == 200
    data = json.loads(body)
    items = data["items"] if isinstance(data, dict) else data
    codes = {item["code"] for item in items}
    assert len(codes) == 17  # Kotim's seventeen kecamatan
    assert "62.02.06" in codes  # Mentawa Baru Ketapang, Sampit
    assert all(code.startswith("62.02.") and code.count(".") == 2 for code in codes)
