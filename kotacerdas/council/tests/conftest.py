"""Fixtures of the council tests: programs, users by role, a controlled indicator registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kotacerdas.accounts.tests.factories import AgencyFactory
from kotacerdas.core import indicators
from kotacerdas.core.indicators import Indicator, IndicatorResult, IndicatorRow
from kotacerdas.council.models import Program, ProgramTarget

DESA = "62.02.06.1001"
KECAMATAN = "62.02.06"
ALLOWED_DASHBOARD = {"dewan", "admin", "kepala_opd"}
ALLOWED_CHANGE = {"admin"}


@pytest.fixture(autouse=True)
def _english(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Exact assertions are on the English msgids: every test client carries the language
    cookie the switcher sets (it outranks a user's saved language), and code outside requests
    runs under translation.override."""
    from django.test import Client
    from django.utils import translation

    original_init = Client.__init__

    def init(self: Client, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    monkeypatch.setattr(Client, "__init__", init)
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def this_year() -> int:
    return timezone.localdate().year


@pytest.fixture
def dinkes(db: None) -> Any:
    return AgencyFactory(code="dinkes", short_name="Dinkes", name="Dinas Kesehatan")


@pytest.fixture
def make_program(db: None, dinkes: Any) -> Callable[..., Program]:
    """make_program(code, year=…, target=…, realisation=…, **fields): a program, with one
    year's target when a year is given."""

    def make(
        code: str,
        *,
        year: int | None = None,
        target: str = "100",
        realisation: str | None = "50",
        **fields: Any,
    ) -> Program:
        fields.setdefault("name", f"Program {code}")
        fields.setdefault("dimension", "living")
        fields.setdefault("owner_agency", dinkes)
        fields.setdefault("status", "running")
        program = Program.objects.create(code=code, **fields)
        if year is not None:
            ProgramTarget.objects.create(
                program=program,
                year=year,
                indicator="Trips served",
                unit="trips",
                target=Decimal(target),
                realisation=None if realisation is None else Decimal(realisation),
            )
        return program

    return make


def scope_for(role: str, agency: Any) -> dict[str, Any]:
    if role in ("warga", "operator_desa", "kepala_desa"):
        return {"region_code": DESA}
    if role == "operator_kecamatan":
        return {"region_code": KECAMATAN}
    if role in ("petugas_opd", "kepala_opd"):
        return {"agency": agency}
    return {}


@pytest.fixture
def client_for(
    make_staff: Callable[..., Any], staff_client: Callable[[Any], Client], dinkes: Any
) -> Callable[[str], Client]:
    """client_for(role) -> a client signed in (TOTP verified) as a user holding that role."""

    def make(role: str) -> Client:
        return staff_client(make_staff(role, **scope_for(role, dinkes)))

    return make


@pytest.fixture
def admin_user(make_staff: Callable[..., Any]) -> Any:
    return make_staff("admin")


@pytest.fixture
def admin_client(admin_user: Any, staff_client: Callable[[Any], Client]) -> Client:
    return staff_client(admin_user)


@pytest.fixture
def unverified_admin_client(admin_user: Any) -> Client:
    """An administrator signed in with a password only (no TOTP step)."""
    client = Client()
    client.force_login(admin_user)
    return client


def _ambulance() -> IndicatorResult:
    return IndicatorResult(
        rows=[
            IndicatorRow(label="Baamang", value=14.5, code="62.02.06"),
            IndicatorRow(label="=Seranau", value=9, code="62.02.07"),
        ],
        total=12.2,
        note="Last 30 days",
    )


def _hidden() -> IndicatorResult:
    return IndicatorResult(rows=[IndicatorRow(label="Internal", value=3)], total=3)


def _broken() -> IndicatorResult:
    raise RuntimeError("upstream down")


TEST_INDICATORS = {
    "test.ambulance_response": Indicator(
        key="test.ambulance_response",
        dimension="living",
        title="Median ambulance response",
        description="Minutes from call to arrival.",
        unit="min",
        compute=_ambulance,
        public=True,
    ),
    "test.internal_queue": Indicator(
        key="test.internal_queue",
        dimension="governance",
        title="Internal queue length",
        description="Staff only.",
        unit="items",
        compute=_hidden,
        public=False,
    ),
    "test.broken": Indicator(
        key="test.broken",
        dimension="environment",
        title="Broken feed",
        description="Fails to compute.",
        unit="pts",
        compute=_broken,
        public=True,
    ),
}


@pytest.fixture
def test_indicators(monkeypatch: pytest.MonkeyPatch) -> dict[str, Indicator]:
    """Replace the registry with three known indicators: public, staff-only and failing."""
    monkeypatch.setattr(indicators, "_registry", dict(TEST_INDICATORS))
    return TEST_INDICATORS


def aware(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def council_events() -> Any:
    """The council's audit events (the session's reference-data imports write their own)."""
    from kotacerdas.core.models import AuditEvent

    return AuditEvent.objects.filter(action__startswith="kotacerdas.council.")
