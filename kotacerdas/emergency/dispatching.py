"""The desk's dispatch policy, as pure functions over plain values (no database), so that the
selectors, the board and the simulated-day benchmark rank units the same way.

Ranking a unit for an incident:
1. Only units whose capability serves the incident's need (`models.SERVES`); for a call that
   needs an ambulance with a paramedic, a plain ambulance is a fallback: it is ranked as if it
   took `paramedic_preference_s` (10 minutes by default) longer, so it goes first only when it
   arrives that much sooner. (A simulated day showed why: always preferring the paramedic
   ambulance sent RSUD's units an hour upriver while the local puskesmas ambulance waited.)
2. By estimated travel time from where the unit is now (its last reported position, or its
   station), from the routing interface (`core.routing`), plus the station's fixed access time
   when the unit is still at its station.
3. When the incident's desa has an access-time override (reached only by river) the estimate for
   every unit from outside that desa is the override, flagged `fixed`: the desk must not promise
   a road time where there is no road.
4. Ties by straight-line distance, then call sign (deterministic).

Offers: waiting incidents are served in order of priority (red, yellow, green), then age; each
takes the best-ranked unit not yet offered to a more urgent one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kotacerdas.core.geo import haversine_m
from kotacerdas.core.routing import RURAL, URBAN, Place, travel_seconds

from .models import PRIORITY_RANK, SERVES, Capability

AT_STATION_M = 300.0  # a unit this close to its station is "at the station"


def area_of(desa_code: str) -> str:
    """Kelurahan (village codes 1xxx in Kemendagri's numbering) are urban; desa (2xxx) rural."""
    last = desa_code.rsplit(".", 1)[-1] if desa_code else ""
    return URBAN if last.startswith("1") else RURAL


@dataclass(frozen=True, slots=True)
class UnitSnapshot:
    id: int
    call_sign: str
    capability: str
    lat: float
    lng: float
    station_lat: float
    station_lng: float
    station_desa: str
    station_access_s: float = 0.0

    @property
    def at_station(self) -> bool:
        return haversine_m(self.lat, self.lng, self.station_lat, self.station_lng) <= AT_STATION_M


@dataclass(frozen=True, slots=True)
class Target:
    lat: float
    lng: float
    desa_code: str
    need: str
    fixed_access_s: float | None = None  # the desa's override, if any
    # How much later a paramedic ambulance may arrive and still go before a plain one.
    paramedic_preference_s: float = 600.0


@dataclass(frozen=True, slots=True)
class Ranked:
    unit_id: int
    call_sign: str
    capability: str
    eta_seconds: int | None  # None: no road and no override (OSRM said unreachable)
    distance_m: float
    fixed: bool  # the ETA is a fixed access time, not a road estimate
    exact: bool  # the capability is the one needed (not a fallback)


def serves(unit_capability: str, need: str) -> bool:
    return need in SERVES.get(unit_capability, frozenset())


def is_fallback(unit_capability: str, need: str) -> bool:
    """A plain ambulance for a call that needs a paramedic: allowed, ranked after."""
    return need == Capability.ALS and unit_capability == Capability.BLS


def rank_units(units: Sequence[UnitSnapshot], target: Target) -> list[Ranked]:
    """Rank the given (available) units for a target; units that cannot serve it are left out."""
    usable = [
        u
        for u in units
        if serves(u.capability, target.need) or is_fallback(u.capability, target.need)
    ]
    if not usable:
        return []
    dest = Place(target.lat, target.lng, area_of(target.desa_code))
    origins = [Place(u.lat, u.lng, area_of(u.station_desa)) for u in usable]
    answer = travel_seconds(origins, dest)
    ranked: list[Ranked] = []
    for unit, seconds, distance in zip(usable, answer.seconds, answer.distances_m, strict=True):
        fixed = False
        eta: float | None = seconds
        if target.fixed_access_s is not None and unit.station_desa != target.desa_code:
            eta, fixed = target.fixed_access_s, True
        elif eta is not None and unit.at_station:
            eta += unit.station_access_s
        ranked.append(
            Ranked(
                unit_id=unit.id,
                call_sign=unit.call_sign,
                capability=unit.capability,
                eta_seconds=None if eta is None else round(eta),
                distance_m=round(distance, 1),
                fixed=fixed,
                exact=not is_fallback(unit.capability, target.need),
            )
        )
    penalty = target.paramedic_preference_s

    def order(r: Ranked) -> tuple[bool, float, float, str]:
        eta = float(r.eta_seconds or 0) + (0.0 if r.exact else penalty)
        return (r.eta_seconds is None, eta, r.distance_m, r.call_sign)

    ranked.sort(key=order)
    return ranked


def rank_straight_line(units: Sequence[UnitSnapshot], target: Target) -> list[UnitSnapshot]:
    """The naive policy the benchmark compares against: nearest capable unit as the crow flies
    (no fallback, no access times, no road speeds)."""
    usable = [u for u in units if serves(u.capability, target.need)]
    return sorted(
        usable,
        key=lambda u: (haversine_m(u.lat, u.lng, target.lat, target.lng), u.call_sign),
    )


@dataclass(frozen=True, slots=True)
class Waiting:
    incident_id: int
    priority: str
    received_order: float  # e.g. a timestamp; smaller is older
    target: Target


def offers(waiting: Iterable[Waiting], units: Sequence[UnitSnapshot]) -> dict[int, Ranked]:
    """Which free unit to offer each waiting incident, most urgent first (incident id ->
    ranked unit). Incidents no free unit can serve are absent: they wait, and the board
    alarms."""
    out: dict[int, Ranked] = {}
    taken: set[int] = set()
    for w in sorted(waiting, key=lambda w: (PRIORITY_RANK.get(w.priority, 9), w.received_order)):
        free = [u for u in units if u.id not in taken]
        best = next(iter(rank_units(free, w.target)), None)
        if best is not None:
            out[w.incident_id] = best
            taken.add(best.unit_id)
    return out
