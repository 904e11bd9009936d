"""Fixtures every app's tests share.

The test database gets Kotim's real reference data once per session (regions and facilities,
through the project's own import commands); each test runs in a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from kotacerdas.accounts.tests.factories import (
    AgencyFactory,
    CitizenFactory,
    StaffFactory,
    otp_login,
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        call_command("import_regions", "data/regions", verbosity=0)
        call_command("import_facilities", "data/facilities", verbosity=0)
        call_command("createcachetable", verbosity=0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, Any, None]:
    """A transactional test (transactional_db, live_server) ends with a flush that empties every
    table: put Kotim's reference data back for the tests after it, on any xdist worker."""
    from tests.reference_data import restore_after_flush

    return (yield from restore_after_flush(item, nextitem))


@pytest.fixture(autouse=True)
def _fast_hashers(settings: Any) -> None:
    # Password hashing at production cost would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache(db: None) -> None:
    from django.core.cache import caches

    for alias in ("default", "aggregates"):
        caches[alias].clear()


@pytest.fixture
def agency(db: None) -> Any:
    return AgencyFactory(
        code="dinas-pupr", short_name="Dinas PUPR", name="Dinas Pekerjaan Umum dan Penataan Ruang"
    )


@pytest.fixture
def other_agency(db: None) -> Any:
    return AgencyFactory(code="dinkes", short_name="Dinkes", name="Dinas Kesehatan")


@pytest.fixture
def citizen(db: None) -> Any:
    return CitizenFactory()


@pytest.fixture
def make_staff(db: None) -> Callable[..., Any]:
    """make_staff(role, agency=None, region_code=None) -> a user with one membership."""

    def make(role: str, *, agency: Any = None, region_code: str | None = None, **kw: Any) -> Any:
        return StaffFactory(role=role, agency=agency, region_code=region_code, **kw)

    return make


@pytest.fixture
def staff_client(db: None) -> Callable[[Any], Client]:
    """staff_client(user) -> a test client signed in with a verified TOTP device."""

    def make(user: Any) -> Client:
        client = Client()
        otp_login(client, user)
        return client

    return make


@pytest.fixture
def citizen_client(citizen: Any) -> Client:
    client = Client()
    client.force_login(citizen)
    return client
