"""Fixtures of the 119 desk tests: the real agencies, the demo fleet built from the real
health-facility list (`demo.seed_fleet`), a dispatcher, crews, and a citizen with a phone."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import AgencyFactory, CitizenFactory
from kotacerdas.emergency import demo, services
from kotacerdas.emergency.models import Incident, Unit

# A point in Sampit (Kelurahan Sawahan, Kecamatan Mentawa Baru Ketapang).
SAMPIT = (-2.5336, 112.9500)
SAMPIT_DESA = "62.02.06.1007"
# Near Puskesmas Kuala Kuayan (Mentaya Hulu), 80 km up the river from Sampit.
KUALA_KUAYAN = (-1.9885, 112.4525)
OUTSIDE_KOTIM = (-6.2000, 106.8166)  # Jakarta


@pytest.fixture
def agencies(db: None) -> dict[str, Agency]:
    with open(
        Path(settings.BASE_DIR) / "data" / "agencies" / "agencies.csv", encoding="utf-8"
    ) as f:
        for row in csv.DictReader(f):
            AgencyFactory(code=row["code"], short_name=row["short_name"], name=row["name"])
    return {a.code: a for a in Agency.objects.all()}


@pytest.fixture
def fleet(agencies: dict[str, Agency]) -> dict[str, Unit]:
    """The demo fleet: AMB-01..03 at RSUD dr. Murjani (two with paramedic), one ambulance per
    puskesmas, fire trucks DMK-xx and the rescue unit RSC-03 at the demo Damkar posts."""
    demo.seed_fleet()
    return {u.call_sign: u for u in Unit.objects.select_related("station")}


def verified(user: Any) -> Any:
    """The user as a TOTP-verified session sees it (staff permissions apply)."""
    user.is_verified = lambda: True
    return user


@pytest.fixture
def dispatcher(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Any:
    return verified(make_staff(Role.DISPATCHER, agency=agencies["dinkes"]))


@pytest.fixture
def make_crew(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Callable[[Unit], Any]:
    """make_crew(unit) -> an officer of the unit's agency who crews it (TOTP-verified)."""

    def make(unit: Unit) -> Any:
        user = make_staff(Role.PETUGAS_OPD, agency=unit.station.agency)
        unit.crew.add(user)
        return verified(user)

    return make


@pytest.fixture
def caller(db: None) -> Any:
    """A citizen with a phone number on the account."""
    return CitizenFactory(phone="6281234500001")


@pytest.fixture
def call(caller: Any) -> Callable[..., Incident]:
    """call(kind="medis", at=SAMPIT, user=caller) -> an incident filed through the service."""

    def make(kind: str = "medis", at: tuple[float, float] = SAMPIT, user: Any = None) -> Incident:
        incident, _created = services.incident_call(
            actor=user or caller, kind=kind, lat=at[0], lng=at[1]
        )
        return incident

    return make
