"""The back-office menu marks one module: the one whose address is the longest prefix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.test import Client


def current_entries(html: str) -> list[str]:
    """The side menu's current entries (the page's own tabs may mark theirs too)."""
    menu = html.split('<nav class="sidenav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)" aria-current="page">', menu)


def test_one_menu_entry_is_current_under_the_fire_module(
    bpbd_officer: Any, staff_client: Callable[[Any], Client], settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = staff_client(bpbd_officer)
    html = client.get("/kantor/karhutla/cek/").content.decode()
    assert current_entries(html) == ["/kantor/karhutla/cek/"]
    html = client.get("/kantor/karhutla/").content.decode()
    assert current_entries(html) == ["/kantor/karhutla/"]
    assert 'href="/notifikasi/"' in html  # the back office links to the notifications
