"""The demo fleet comes from the real health-facility list; the demo history feeds the
figures; both are marked demo and seeding twice changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from kotacerdas.emergency import demo, selectors
from kotacerdas.emergency.models import Assignment, DesaAccess, Incident, Station, Unit
from kotacerdas.facilities.selectors import facility_list


@pytest.mark.django_db
def test_fleet_from_the_real_facility_list(agencies: Any) -> None:
    made = demo.seed_fleet()
    health = list(facility_list(kind="health").filter(lat__isnull=False))
    puskesmas = [f for f in health if f.subtype == "puskesmas"]
    hospitals = [f for f in health if f.subtype == "rumah_sakit"]
    assert len(hospitals) == 1
    # One ambulance per puskesmas, three at RSUD dr. Murjani, 8 Damkar units at 6 demo posts.
    assert made == len(puskesmas) + 3 + 8
    assert Unit.objects.count() == made
    assert Unit.objects.filter(is_demo=False).count() == 0
    murjani = Station.objects.get(facility=hospitals[0])
    assert murjani.agency.code == "rsud-murjani"
    assert sorted(murjani.units.values_list("capability", flat=True)) == [
        "ambulans",
        "ambulans_paramedis",
        "ambulans_paramedis",
    ]
    fire_posts = Station.objects.filter(agency__code="damkar")
    assert fire_posts.count() == len(demo.FIRE_POST_KECAMATAN)
    assert all("(demo)" in s.name for s in fire_posts)
    assert DesaAccess.objects.get().desa_code == demo.DEMO_RIVER_DESA[0]
    assert demo.seed_fleet() == 0  # idempotent
    assert Unit.objects.count() == made


@pytest.mark.django_db
def test_history_feeds_the_figures(agencies: Any) -> None:
    demo.seed_fleet()
    made = demo.seed_history(n=50, days=30)
    assert made == 50
    assert Incident.objects.filter(is_demo=True, status="selesai").count() == 50
    assert Assignment.objects.filter(cleared_at__isnull=False).count() == 50
    overall = selectors.response_overall(days=31)
    assert overall is not None
    assert overall.calls == 50
    assert 0 < overall.median_s <= overall.p90_s
    assert demo.seed_history(n=50) == 0


@pytest.mark.django_db
def test_seed_command_is_idempotent(agencies: Any) -> None:
    call_command("seed_emergency", calls=10, verbosity=0)
    units, calls = Unit.objects.count(), Incident.objects.count()
    call_command("seed_emergency", calls=10, verbosity=0)
    assert (Unit.objects.count(), Incident.objects.count()) == (units, calls) == (units, 10)
