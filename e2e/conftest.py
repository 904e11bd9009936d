"""Browser fixtures: Playwright's sync API driving Debian's Chromium (never a downloaded
browser) against pytest-django's live_server.

pytest-playwright is not used: these few fixtures are all the suite needs. Every browser test
module says `pytestmark = BROWSER`: the `browser` marker and one xdist group, so one worker
drives one Chromium at a time on a 2-core machine.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("KOTACERDAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
BROWSER = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(
        CHROMIUM
    ):
        message = f"{CHROMIUM} not found: `bash scripts/bootstrap.sh --browser` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must not pass by skipping every browser test
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio loop in this thread; Django's ORM would then refuse
    # to run here ("async context"). The tests only use the ORM for setup, between page calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield chromium
        finally:
            chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser: Any, live_server: Any, settings: Any) -> Iterator[Callable[..., Any]]:
    """new_page(viewport=PHONE) -> a Playwright page in a fresh context (own cookies), that
    fails the test on any uncaught page error, blocks every request off the live server, and
    whose relative goto() paths go to the live server."""
    # live_server serves static files from the source directories (finders), which know no
    # hashed names: pages link unhashed names here. (tests/test_smoke.py covers hashed files.)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    contexts: list[Any] = []
    errors: list[str] = []

    def make(viewport: dict[str, int] = PHONE, locale: str = "id-ID") -> Any:
        context = browser.new_context(
            viewport=viewport,
            locale=locale,
            timezone_id="Asia/Jakarta",
            base_url=live_server.url,
            is_mobile=viewport["width"] < 600,
            has_touch=viewport["width"] < 600,
        )
        context.set_default_timeout(30_000)
        context.set_default_navigation_timeout(30_000)
        # Offline like every test: anything not on the live server is refused.
        context.route(
            re.compile(r"^(?!" + re.escape(live_server.url) + r"/).*"),
            lambda route: route.abort(),
        )
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """screenshot(page, label) -> e2e/screenshots/<test>-<label>-<width>.png (full page)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page: Any, label: str) -> Path:
        width = page.viewport_size["width"]
        path = SCREENSHOTS / f"{request.node.name}-{label}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# The suite runs beside other tests on 2 cores: give assertions room under load.
from playwright.sync_api import expect as _expect  # noqa: E402

_expect.set_options(timeout=15_000)
