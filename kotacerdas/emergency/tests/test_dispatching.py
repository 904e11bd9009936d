"""The desk's dispatch policy as pure functions (no database): which units may answer, in which
order, with which ETA; the access-time overrides; the offers to waiting incidents; area types.

Travel times come from the straight-line router with the settings pinned here, so every
expected ETA is computed exactly: distance × circuity ÷ speed (+ the station's access time)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kotacerdas.core.geo import haversine_m
from kotacerdas.core.routing import RURAL, URBAN, TravelAnswer
from kotacerdas.emergency import dispatching
from kotacerdas.emergency.dispatching import (
    Ranked,
    Target,
    UnitSnapshot,
    Waiting,
    area_of,
    is_fallback,
    offers,
    rank_straight_line,
    rank_units,
    serves,
)
from kotacerdas.emergency.models import Capability, Priority

ALS, BLS, FIRE, RESCUE = Capability.ALS, Capability.BLS, Capability.FIRE, Capability.RESCUE
CIRCUITY, URBAN_KMH, RURAL_KMH = 1.4, 30.0, 50.0

# Sampit: RSUD dr. Murjani's kelurahan, and a point in Kelurahan Sawahan.
URBAN_DESA = "62.02.06.1001"
RURAL_DESA = "62.02.06.2006"  # Desa of Mentawa Baru Ketapang
RIVER_DESA = "62.02.10.2001"  # Tumbang Kalang, the demo's river-only desa
SAMPIT = (-2.5336, 112.9500)


@pytest.fixture(autouse=True)
def _straight_line(settings: Any) -> None:
    settings.ROUTING_OSRM_URL = ""
    settings.ROUTING_CIRCUITY = CIRCUITY
    settings.ROUTING_SPEED_URBAN_KMH = URBAN_KMH
    settings.ROUTING_SPEED_RURAL_KMH = RURAL_KMH


def unit(
    uid: int,
    capability: str,
    at: tuple[float, float],
    *,
    call_sign: str = "",
    station: tuple[float, float] | None = None,
    desa: str = URBAN_DESA,
    access_min: float = 0,
) -> UnitSnapshot:
    station = station or at
    return UnitSnapshot(
        id=uid,
        call_sign=call_sign or f"U-{uid:02d}",
        capability=capability,
        lat=at[0],
        lng=at[1],
        station_lat=station[0],
        station_lng=station[1],
        station_desa=desa,
        station_access_s=access_min * 60.0,
    )


def north(metres: float, of: tuple[float, float] = SAMPIT) -> tuple[float, float]:
    """A point `metres` north of another (1° of latitude ≈ 111.2 km)."""
    return (of[0] + metres / 111_195.0, of[1])


def road_seconds(u: UnitSnapshot, target: Target) -> float:
    both_urban = area_of(u.station_desa) == URBAN and area_of(target.desa_code) == URBAN
    speed = (URBAN_KMH if both_urban else RURAL_KMH) / 3.6
    return haversine_m(u.lat, u.lng, target.lat, target.lng) * CIRCUITY / speed


def target(need: str, *, desa: str = URBAN_DESA, fixed_min: float | None = None) -> Target:
    return Target(
        lat=SAMPIT[0],
        lng=SAMPIT[1],
        desa_code=desa,
        need=need,
        fixed_access_s=None if fixed_min is None else fixed_min * 60.0,
    )


# --- Area types ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "area"),
    [
        ("62.02.06.1007", URBAN),  # Kelurahan Sawahan
        ("62.02.06.1001", URBAN),
        ("62.02.06.2006", RURAL),  # a desa
        ("62.02.10.2001", RURAL),
        ("62.02.06", RURAL),  # a kecamatan is not a kelurahan
        ("", RURAL),
    ],
)
def test_area_of_kelurahan_is_urban_desa_rural(code: str, area: str):
    assert area_of(code) == area


# --- Capabilities ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("need", "expected"),
    [
        (FIRE, [("U-03", True)]),
        (RESCUE, [("U-04", True)]),
        # Any ambulance serves a call needing an ambulance: both are exact.
        (BLS, [("U-01", True), ("U-02", True)]),
        # A paramedic call: the plain ambulance only as a fallback, after.
        (ALS, [("U-01", True), ("U-02", False)]),
    ],
)
def test_only_capable_units_are_ranked(need: str, expected: list[tuple[str, bool]]):
    place = north(500)
    units = [unit(1, ALS, place), unit(2, BLS, place), unit(3, FIRE, place), unit(4, RESCUE, place)]

    ranked = rank_units(units, target(need))

    assert [(r.call_sign, r.exact) for r in ranked] == expected


def test_serves_and_fallback_table():
    assert serves(ALS, BLS)
    assert serves(ALS, ALS)
    assert not serves(BLS, ALS)
    assert is_fallback(BLS, ALS)
    assert not is_fallback(ALS, BLS)
    assert not is_fallback(FIRE, ALS)
    assert not serves(FIRE, RESCUE)
    assert not serves(RESCUE, FIRE)


def test_paramedic_ambulance_goes_first_unless_a_plain_one_is_10_minutes_sooner():
    near_bls = unit(1, BLS, north(100))
    als_3km = unit(2, ALS, north(3_000))  # 504 s in town: within 10 min of the plain one
    als_20km = unit(3, ALS, north(20_000))  # 3360 s: more than 10 min later

    ranked = rank_units([near_bls, als_20km, als_3km], target(ALS))

    assert [r.call_sign for r in ranked] == ["U-02", "U-01", "U-03"]
    assert [r.exact for r in ranked] == [True, False, True]
    assert ranked[0].eta_seconds > ranked[1].eta_seconds  # later, and still first
    assert ranked[0].eta_seconds < ranked[1].eta_seconds + 600


def test_paramedic_preference_is_a_parameter():
    near_bls = unit(1, BLS, north(100))
    als_3km = unit(2, ALS, north(3_000))
    strict = rank_units([near_bls, als_3km], replace(target(ALS), paramedic_preference_s=0))
    assert [r.call_sign for r in strict] == ["U-01", "U-02"]


def test_no_capable_unit_ranks_nothing():
    assert rank_units([unit(1, BLS, north(100))], target(FIRE)) == []
    assert rank_units([], target(BLS)) == []


# --- ETAs ------------------------------------------------------------------------------------------
def test_units_are_ordered_by_eta_with_exact_figures():
    a = unit(1, BLS, north(3_000))  # urban station, urban target: 30 km/h
    b = unit(2, BLS, north(1_000))
    c = unit(3, BLS, north(2_000), desa=RURAL_DESA)  # a desa's post: 50 km/h
    t = target(BLS)

    ranked = rank_units([a, b, c], t)

    assert [r.call_sign for r in ranked] == ["U-02", "U-03", "U-01"]
    expected = {u.call_sign: road_seconds(u, t) for u in (a, b, c)}
    assert [r.eta_seconds for r in ranked] == [
        round(expected["U-02"]),
        round(expected["U-03"]),
        round(expected["U-01"]),
    ]
    # 1 km north ≈ 1,000 m × 1.4 ÷ 8.33 m/s = 168 s; 2 km at rural speed = 2,800 ÷ 13.9 = 202 s.
    assert ranked[0].eta_seconds == 168
    assert ranked[1].eta_seconds == 202
    assert ranked[2].eta_seconds == 504
    assert [r.distance_m for r in ranked] == [
        round(haversine_m(*u_at, *SAMPIT), 1) for u_at in (north(1_000), north(2_000), north(3_000))
    ]
    assert not any(r.fixed for r in ranked)


def test_station_access_time_is_added_only_while_the_unit_is_at_its_station():
    station = north(2_000)
    at_station = unit(1, BLS, station, access_min=15)
    # Within 300 m of the post still counts as at the post.
    beside_station = unit(2, BLS, north(250, of=station), station=station, access_min=15)
    # On the road, 1.5 km from its post: the river crossing is behind it.
    on_the_road = unit(3, BLS, north(1_500, of=station), station=station, access_min=15)
    t = target(BLS)

    ranked = {r.call_sign: r for r in rank_units([at_station, beside_station, on_the_road], t)}

    assert ranked["U-01"].eta_seconds == round(road_seconds(at_station, t) + 900)
    assert ranked["U-02"].eta_seconds == round(road_seconds(beside_station, t) + 900)
    assert ranked["U-03"].eta_seconds == round(road_seconds(on_the_road, t))
    assert not any(r.fixed for r in ranked.values())


def test_desa_access_override_is_a_fixed_time_not_a_road_time():
    near = unit(1, BLS, north(5_000), desa=URBAN_DESA)
    far = unit(2, BLS, north(60_000), desa=RURAL_DESA, access_min=30)
    t = target(BLS, desa=RIVER_DESA, fixed_min=90)

    ranked = rank_units([far, near], t)

    # Whatever the distance (and the station's own access time), every unit from outside the
    # desa gets the override, flagged; ties then go by distance.
    assert [(r.call_sign, r.eta_seconds, r.fixed) for r in ranked] == [
        ("U-01", 5400, True),
        ("U-02", 5400, True),
    ]


def test_a_unit_inside_the_overridden_desa_keeps_its_road_time():
    local = unit(1, BLS, north(3_000), desa=RIVER_DESA, access_min=10)
    outside = unit(2, BLS, north(500), desa=URBAN_DESA)
    t = target(BLS, desa=RIVER_DESA, fixed_min=90)

    ranked = rank_units([outside, local], t)

    assert [(r.call_sign, r.fixed) for r in ranked] == [("U-01", False), ("U-02", True)]
    assert ranked[0].eta_seconds == round(road_seconds(local, t) + 600)
    assert ranked[1].eta_seconds == 5400


def test_ties_are_broken_by_distance_then_call_sign():
    place = north(1_000)
    units = [
        unit(3, BLS, place, call_sign="AMB-09"),
        unit(1, BLS, place, call_sign="AMB-10"),
        unit(2, BLS, place, call_sign="AMB-02"),
    ]

    first = rank_units(units, target(BLS))
    second = rank_units(list(reversed(units)), target(BLS))

    assert [r.call_sign for r in first] == ["AMB-02", "AMB-09", "AMB-10"]
    assert first == second


def test_an_unreachable_unit_is_ranked_last_without_an_eta(monkeypatch: pytest.MonkeyPatch):
    """The router may say "no road" (OSRM's null): such a unit goes after every reachable one."""
    near, far = unit(1, BLS, north(500)), unit(2, BLS, north(9_000))

    def router(origins: Any, destination: Any) -> TravelAnswer:
        return TravelAnswer(seconds=[None, 700.0], distances_m=[500.0, 9000.0], source="osrm")

    monkeypatch.setattr(dispatching, "travel_seconds", router)

    ranked = rank_units([near, far], target(BLS))

    assert ranked == [
        Ranked(2, "U-02", BLS, 700, 9000.0, fixed=False, exact=True),
        Ranked(1, "U-01", BLS, None, 500.0, fixed=False, exact=True),
    ]


# --- The naive policy ----------------------------------------------------------------------------
def test_straight_line_policy_is_nearest_capable_as_the_crow_flies():
    near_bls = unit(1, BLS, north(100))
    als_with_access = unit(2, ALS, north(1_000), access_min=60)
    far_als = unit(3, ALS, north(2_000))
    fire = unit(4, FIRE, north(10))

    assert [u.id for u in rank_straight_line([far_als, fire, als_with_access], target(ALS))] == [
        2,
        3,
    ]
    # No fallback: a plain ambulance does not count for a paramedic call.
    assert rank_straight_line([near_bls], target(ALS)) == []
    assert [u.id for u in rank_straight_line([near_bls, far_als], target(BLS))] == [1, 3]


# --- Offers ----------------------------------------------------------------------------------------
def waiting(incident_id: int, priority: str, order: float, need: str = BLS) -> Waiting:
    return Waiting(
        incident_id=incident_id, priority=priority, received_order=order, target=target(need)
    )


def test_the_most_urgent_waiting_incident_gets_the_best_unit():
    only = [unit(1, BLS, north(1_000))]
    queue = [
        waiting(10, Priority.GREEN, 1.0),
        waiting(11, Priority.YELLOW, 2.0),
        waiting(12, Priority.RED, 3.0),  # called last, most urgent
    ]

    offered = offers(queue, only)

    assert {k: v.call_sign for k, v in offered.items()} == {12: "U-01"}


def test_each_unit_is_offered_once_oldest_first_within_a_priority():
    units = [unit(1, BLS, north(1_000)), unit(2, BLS, north(4_000))]
    queue = [
        waiting(20, Priority.YELLOW, 5.0),
        waiting(21, Priority.YELLOW, 4.0),  # older: first pick
        waiting(22, Priority.YELLOW, 6.0),  # nothing left
    ]

    offered = offers(queue, units)

    assert {k: v.call_sign for k, v in offered.items()} == {21: "U-01", 20: "U-02"}


def test_an_incident_no_free_unit_can_serve_is_not_offered_anything():
    units = [unit(1, BLS, north(1_000)), unit(2, FIRE, north(2_000))]
    queue = [
        waiting(30, Priority.RED, 1.0, need=RESCUE),
        waiting(31, Priority.RED, 2.0, need=FIRE),
        waiting(32, Priority.GREEN, 3.0, need=BLS),
    ]

    offered = offers(queue, units)

    assert {k: (v.call_sign, v.exact) for k, v in offered.items()} == {
        31: ("U-02", True),
        32: ("U-01", True),
    }


def test_a_paramedic_call_is_offered_a_plain_ambulance_when_no_paramedic_is_free():
    offered = offers([waiting(40, Priority.RED, 1.0, need=ALS)], [unit(1, BLS, north(800))])

    assert offered[40].call_sign == "U-01"
    assert offered[40].exact is False
