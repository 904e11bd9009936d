"""Keeping Kotim's reference data in the test database.

The session fixture in the root conftest imports regions and facilities once; a transactional
test (``transactional_db``, ``live_server``) ends with a flush that empties every table, which
would leave the next tests on that xdist worker without regions. The teardown hook below loads
the data again right after such a flush (the imports are idempotent).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from django.core.management import call_command

FLUSHING_FIXTURES = frozenset({"transactional_db", "live_server"})


def reload_reference_data() -> None:
    call_command("import_regions", "data/regions", verbosity=0)
    call_command("import_facilities", "data/facilities", verbosity=0)


def flushes(item: pytest.Item) -> bool:
    """Whether the test ran in a transactional database (fixture or marker), which pytest-django
    empties with a flush at teardown."""
    if FLUSHING_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    transaction = marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
    return bool(transaction or marker.kwargs.get("reset_sequences"))


def restore_after_flush(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, Any, None]:
    """Body of a ``pytest_runtest_teardown`` wrapper (see tests/conftest.py, e2e/conftest.py)."""
    yield
    if nextitem is None or not flushes(item):
        return  # last test (the test database goes away) or nothing was flushed
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        reload_reference_data()
