"""The demo fleet and a demo history for the 119 desk (`make run`; marked is_demo).

Real: the health facilities (one ambulance post at each puskesmas, several units at RSUD
dr. Murjani) come from the facility list imported from data/facilities. Demo: the fire posts
(placed at the centre of a kelurahan/desa of Sampit and of a few kecamatan towns, since no
public list of Damkar posts with coordinates was found), the plates, the crews, one river-access
override, and the past incidents (generated with a fixed seed, times drawn around the
straight-line estimate). Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kotacerdas.accounts.selectors import agency_by_codes, demo_citizens
from kotacerdas.core.refs import new_ref
from kotacerdas.facilities.selectors import facility_list
from kotacerdas.regions.selectors import region_children, village_extents

from . import services
from .dispatching import Target, UnitSnapshot, rank_units
from .models import (
    Assignment,
    Capability,
    ChiefComplaint,
    Incident,
    IncidentKind,
    IncidentStatus,
    Priority,
    Source,
    Unit,
)

# Kecamatan towns that get a demo fire post besides Sampit: Kota Besi, Parenggean, Samuda
# (Mentaya Hilir Selatan), Kuala Kuayan (Mentaya Hulu).
FIRE_POST_KECAMATAN = ["62.02.06", "62.02.05", "62.02.01", "62.02.04", "62.02.08", "62.02.03"]
# Demo crew accounts (created by accounts' seed_demo) -> the unit they crew.
DEMO_CREW = {"awak.murjani": "AMB-01", "awak.damkar": "DMK-01"}
# A demo river-access override: Tumbang Kalang (Antang Kalang), far up the Mentaya.
DEMO_RIVER_DESA = ("62.02.10.2001", 90, "Contoh (demo): akses lewat sungai dari hilir")
HISTORY_DAYS = 90
HISTORY_CALLS = 600


def fleet_exists() -> bool:
    return Unit.objects.filter(is_demo=True).exists()


def _village_centres() -> dict[str, dict[str, Any]]:
    kecamatan = {
        r["code"]: r["name"] for r in region_children(parent_code=settings.KOTACERDAS_REGION_ROOT)
    }
    return {
        v["code"]: {**v, "kecamatan_name": kecamatan.get(v["parent_code"], "")}
        for v in village_extents()
        if v.get("lat") is not None
    }


@transaction.atomic
def seed_fleet() -> int:
    """Stations and units; returns the number of units made (0 when present)."""
    if fleet_exists():
        return 0
    agencies = agency_by_codes(codes=["dinkes", "rsud-murjani", "damkar"])
    if len(agencies) < 3:
        return 0
    health = list(facility_list(kind="health").filter(lat__isnull=False, lng__isnull=False))
    n_amb = 0
    for facility in sorted(health, key=lambda f: (f.subtype != "rumah_sakit", f.name)):
        hospital = facility.subtype == "rumah_sakit"
        station = services.station_save(
            actor=None,
            code=("rsud-" if hospital else "psk-") + str(facility.pk),
            name=facility.name,
            agency_id=agencies["rsud-murjani" if hospital else "dinkes"].pk,
            lat=facility.lat,
            lng=facility.lng,
            facility_id=facility.pk,
            is_demo=True,
        )
        kinds = [Capability.ALS, Capability.ALS, Capability.BLS] if hospital else [Capability.BLS]
        for capability in kinds:
            n_amb += 1
            services.unit_save(
                actor=None,
                call_sign=f"AMB-{n_amb:02d}",
                station_id=station.pk,
                capability=capability,
                plate=f"KH {8000 + n_amb} AM",
                is_demo=True,
            )
    villages = _village_centres()
    n_fire = 0
    for kecamatan in FIRE_POST_KECAMATAN:
        inside = sorted(c for c in villages if c.startswith(kecamatan + "."))
        kelurahan = [c for c in inside if c.rsplit(".", 1)[-1].startswith("1")]
        code = (kelurahan or inside)[0]
        village = villages[code]
        station = services.station_save(
            actor=None,
            code=f"damkar-{kecamatan.replace('.', '')}",
            name=f"Pos Damkar {village['name']} (demo)",
            agency_id=agencies["damkar"].pk,
            lat=village["lat"],
            lng=village["lng"],
            is_demo=True,
        )
        trucks = (
            [Capability.FIRE, Capability.FIRE, Capability.RESCUE]
            if n_fire == 0
            else [Capability.FIRE]
        )
        for capability in trucks:
            n_fire += 1
            prefix = "RSC" if capability == Capability.RESCUE else "DMK"
            services.unit_save(
                actor=None,
                call_sign=f"{prefix}-{n_fire:02d}",
                station_id=station.pk,
                capability=capability,
                plate=f"KH {9000 + n_fire} DK",
                is_demo=True,
            )
    desa, minutes, note = DEMO_RIVER_DESA
    if desa in villages:
        services.desa_access_save(
            actor=None, desa_code=desa, minutes=minutes, note=note, is_demo=True
        )
    _attach_demo_crew()
    return n_amb + n_fire


def _attach_demo_crew() -> None:
    from kotacerdas.accounts.selectors import staff_holding

    crew = {u.username: u for u in staff_holding(roles=["petugas_opd"]).filter(is_demo=True)}
    for username, call_sign in DEMO_CREW.items():
        user = crew.get(username)
        unit = Unit.objects.filter(call_sign=call_sign).first()
        if user is not None and unit is not None:
            unit.crew.add(user)


_MEDICAL = [
    ChiefComplaint.TRAFFIC,
    ChiefComplaint.CHEST_PAIN,
    ChiefComplaint.BREATHING,
    ChiefComplaint.UNCONSCIOUS,
    ChiefComplaint.STROKE,
    ChiefComplaint.INJURY,
    ChiefComplaint.CHILDBIRTH,
    ChiefComplaint.SICK,
    ChiefComplaint.SEIZURE,
]
_FIRE = [ChiefComplaint.FIRE_BUILDING, ChiefComplaint.FIRE_LAND, ChiefComplaint.FIRE_VEHICLE]


@transaction.atomic
def seed_history(*, n: int = HISTORY_CALLS, days: int = HISTORY_DAYS, seed_value: int = 119) -> int:
    """Closed past incidents for the figures (demo). Returns how many were made."""
    if Incident.objects.filter(is_demo=True).exists():
        return 0
    units = list(Unit.objects.select_related("station"))
    if not units:
        return 0
    rng = random.Random(seed_value)
    villages = list(_village_centres().values())
    weights = [8 if v["code"].startswith(("62.02.05.", "62.02.06.")) else 1 for v in villages]
    callers = list(demo_citizens()[:200])
    now = timezone.now()
    snapshots = [
        UnitSnapshot(
            id=u.pk,
            call_sign=u.call_sign,
            capability=u.capability,
            lat=u.station.lat,
            lng=u.station.lng,
            station_lat=u.station.lat,
            station_lng=u.station.lng,
            station_desa=u.station.desa_code,
            station_access_s=u.station.access_minutes * 60.0,
        )
        for u in units
    ]
    by_id = {u.pk: u for u in units}
    incidents: list[Incident] = []
    plans: list[tuple[Incident, Unit, dict[str, dt.datetime]]] = []
    used: set[str] = set()
    for _i in range(n):
        village = rng.choices(villages, weights=weights)[0]
        fire = rng.random() < 0.15
        kind = IncidentKind.FIRE if fire else IncidentKind.MEDICAL
        priority = (
            Priority.RED
            if fire
            else rng.choice([Priority.RED, Priority.YELLOW, Priority.YELLOW, Priority.GREEN])
        )
        complaint = rng.choice(_FIRE if fire else _MEDICAL)
        need = services.need_for(kind, priority, complaint)
        lat = village["lat"] + rng.uniform(-0.004, 0.004)
        lng = village["lng"] + rng.uniform(-0.004, 0.004)
        ranked = rank_units(snapshots, Target(lat, lng, village["code"], need))
        if not ranked:
            continue
        best = ranked[0]
        received = now - dt.timedelta(days=rng.uniform(0.5, days))
        accept = received + dt.timedelta(seconds=rng.uniform(20, 120))
        dispatch = accept + dt.timedelta(seconds=rng.uniform(30, 240))
        depart = dispatch + dt.timedelta(seconds=rng.uniform(30, 150))
        travel = (best.eta_seconds or 600) * rng.uniform(0.8, 1.4)
        scene = depart + dt.timedelta(seconds=travel)
        times = {
            "dispatched_at": dispatch,
            "acknowledged_at": dispatch + dt.timedelta(seconds=20),
            "en_route_at": depart,
            "on_scene_at": scene,
        }
        if not fire:
            times["transporting_at"] = scene + dt.timedelta(minutes=rng.uniform(8, 25))
            times["at_facility_at"] = times["transporting_at"] + dt.timedelta(
                minutes=rng.uniform(8, 40)
            )
            clear = times["at_facility_at"] + dt.timedelta(minutes=rng.uniform(10, 30))
        else:
            clear = scene + dt.timedelta(minutes=rng.uniform(30, 120))
        times["cleared_at"] = clear
        while True:
            ref = new_ref(received, rng=rng)
            if ref not in used:
                used.add(ref)
                break
        caller = rng.choice(callers) if callers and rng.random() < 0.4 else None
        incident = Incident(
            ref=ref,
            kind=kind,
            priority=priority,
            need=need,
            status=IncidentStatus.CLOSED,
            source=Source.APP if caller else Source.PHONE,
            chief_complaint=complaint,
            caller=caller,
            caller_phone=f"62812{rng.randint(10_000_000, 99_999_999)}",
            lat=lat,
            lng=lng,
            desa_code=village["code"],
            kecamatan_code=village["parent_code"],
            desa_name=village["name"],
            kecamatan_name=village.get("kecamatan_name", ""),
            received_at=received,
            accepted_at=accept,
            dispatched_at=dispatch,
            en_route_at=depart,
            on_scene_at=scene,
            transporting_at=times.get("transporting_at"),
            at_facility_at=times.get("at_facility_at"),
            closed_at=clear,
            response_seconds=round((scene - received).total_seconds()),
            is_demo=True,
        )
        incidents.append(incident)
        plans.append((incident, by_id[best.unit_id], times))
    Incident.objects.bulk_create(incidents, batch_size=500)
    Assignment.objects.bulk_create(
        [Assignment(incident=incident, unit=unit, **times) for incident, unit, times in plans],
        batch_size=500,
    )
    return len(incidents)
