"""Hotspots → fire events: the chaining rule (radius and window, single linkage), merging,
order independence, its settings, the event's figures, and a flare-up after "padam"."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import pytest

from kotacerdas.core.geo import METRES_PER_DEGREE, haversine_m
from kotacerdas.hotspots import selectors, services
from kotacerdas.hotspots.models import (
    Confidence,
    EventStatus,
    FireEvent,
    Hotspot,
    ImportOutcome,
    ImportRun,
)
from kotacerdas.hotspots.tests.conftest import (
    KOTIM,
    UJUNG_PANDARAN,
    import_bytes,
    nrt_file,
    nrt_row,
)

pytestmark = pytest.mark.django_db

# Inside Desa Ujung Pandaran; 6 km of it lie east of this point.
UP = (-3.1600, 112.9553)
LAMPUYANG = "62.02.11.2003"  # the desa west of Ujung Pandaran
T0 = dt.datetime(2023, 9, 10, 5, 30, tzinfo=dt.UTC)


def east(metres: float, base: tuple[float, float] = UP) -> tuple[float, float]:
    """The point `metres` east of `base` (rounded as nrt_row writes it)."""
    lat, lng = base
    lng2 = lng + metres / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat, 6), round(lng2, 6)


def north(metres: float, base: tuple[float, float] = UP) -> tuple[float, float]:
    lat, lng = base
    return round(lat + metres / METRES_PER_DEGREE, 6), round(lng, 6)


def imp(*rows: str) -> ImportRun:
    run = import_bytes(nrt_file(list(rows)), now=T0 + dt.timedelta(days=30))
    assert run.outcome == ImportOutcome.DONE, (run.code, run.errors)
    assert run.rows_outside == 0
    return run


def at(point: tuple[float, float], hours: float = 0.0, **kw: Any) -> str:
    return nrt_row(point[0], point[1], T0 + dt.timedelta(hours=hours), **kw)


def live_events() -> list[FireEvent]:
    return list(FireEvent.objects.filter(merged_into__isnull=True).order_by("first_detected_at"))


def partition() -> set[frozenset[str]]:
    """The events as sets of hotspot fingerprints (what the grouping decided)."""
    groups: dict[int, set[str]] = {}
    for fp, event_id in Hotspot.objects.values_list("fingerprint", "event_id"):
        groups.setdefault(event_id, set()).add(fp)
    return {frozenset(g) for g in groups.values()}


def test_within_radius_and_window_is_one_event() -> None:
    b = east(999)
    assert 998 < haversine_m(*UP, *b) < 1000
    run = imp(at(UP), at(b, hours=47.9))
    assert run.events_new == 1
    [event] = live_events()
    assert event.hotspot_count == 2


def test_just_beyond_the_radius_is_two_events() -> None:
    b = east(1001)
    assert 1000 < haversine_m(*UP, *b) < 1002
    run = imp(at(UP), at(b))
    assert run.events_new == 2
    assert [e.hotspot_count for e in live_events()] == [1, 1]


def test_just_beyond_the_radius_north_south_is_two_events() -> None:
    b = north(1001)
    assert 1000 < haversine_m(*UP, *b) < 1002
    assert imp(at(UP), at(b)).events_new == 2


def test_just_beyond_the_window_is_two_events() -> None:
    run = imp(at(UP), at(east(10), hours=48 + 1 / 60))
    assert run.events_new == 2


def test_exactly_the_window_is_one_event() -> None:
    assert imp(at(UP), at(east(10), hours=48)).events_new == 1


def test_chaining_a_b_c_is_one_event() -> None:
    """A-B and B-C are close, A-C are 1.8 km apart: one event (single linkage)."""
    a, b, c = UP, east(900), east(1800)
    assert haversine_m(*a, *c) > 1000
    run = imp(at(a), at(b, hours=1), at(c, hours=2))
    assert run.events_new == 1
    [event] = live_events()
    assert event.hotspot_count == 3


def test_chaining_in_time_too() -> None:
    """Each hotspot 30 h after the previous at the same place: one event over 90 h."""
    run = imp(*(at(east(i * 10), hours=30 * i) for i in range(4)))
    assert run.events_new == 1
    [event] = live_events()
    assert event.last_detected_at - event.first_detected_at == dt.timedelta(hours=90)


def test_a_bridging_hotspot_merges_two_events_into_the_earlier() -> None:
    a, b, c = UP, east(900), east(1800)
    # The later detection is imported first (so its event has the lower id).
    imp(at(a, hours=5, frp=3.0))
    imp(at(c, hours=0, frp=4.0, confidence="h"))
    later, earlier = FireEvent.objects.order_by("pk")
    assert later.first_detected_at > earlier.first_detected_at
    run = imp(at(b, hours=6, frp=5.0))
    assert run.events_new == 0
    later.refresh_from_db()
    earlier.refresh_from_db()
    # The survivor is the event detected first, whatever its id.
    assert later.merged_into_id == earlier.pk
    assert earlier.merged_into_id is None
    assert later.hotspot_count == 0
    assert not Hotspot.objects.filter(event=later).exists()
    assert Hotspot.objects.filter(event=earlier).count() == 3
    assert earlier.hotspot_count == 3
    assert earlier.frp_total == 12.0
    assert earlier.first_detected_at == T0
    assert earlier.last_detected_at == T0 + dt.timedelta(hours=6)
    assert earlier.max_confidence == Confidence.HIGH
    assert earlier.min_lng == pytest.approx(a[1])
    assert earlier.max_lng == pytest.approx(c[1])
    # The merged event is gone from lists.
    assert live_events() == [earlier]


def test_a_bridge_of_three_events() -> None:
    imp(at(UP), at(east(1800)), at(east(3600)))
    assert len(live_events()) == 3
    imp(at(east(900), hours=1), at(east(2700), hours=1))
    [event] = live_events()
    assert event.hotspot_count == 5
    assert FireEvent.objects.filter(merged_into=event).count() == 2


def shuffled_batches(rows: list[str], seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows = rows[:]
    rng.shuffle(rows)
    cuts = sorted(rng.sample(range(1, len(rows)), 3))
    return [rows[i:j] for i, j in zip([0, *cuts], [*cuts, len(rows)], strict=True)]


def reset() -> None:
    Hotspot.objects.all().delete()
    FireEvent.objects.all().delete()


def test_order_independence_synthetic() -> None:
    """Forty points scattered over 4.5 x 1.5 km and 17 days: every order and batching gives
    the same events."""
    rng = random.Random(6)
    rows = [
        at(north(rng.uniform(-1500, 0), east(rng.uniform(0, 4500))), hours=rng.uniform(0, 400))
        for _ in range(40)
    ]
    imp(*rows)
    expected = partition()
    assert 5 < len(expected) < 35  # some chaining, some separation: a meaningful case
    for seed in range(4):
        reset()
        for batch in shuffled_batches(rows, seed):
            imp(*batch)
        assert partition() == expected, f"order {seed}"
        assert len(live_events()) == len(expected)
        # Every live event's count matches its hotspots.
        for event in live_events():
            assert event.hotspot_count == event.hotspots.count()


def test_order_independence_on_the_real_kotim_file() -> None:
    lines = KOTIM.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    whole = import_bytes(KOTIM.read_bytes())
    expected = partition()
    assert whole.events_new == len(expected)
    for seed in (1, 2):
        reset()
        for batch in reversed(shuffled_batches(rows, seed)):
            import_bytes(("\n".join([header, *batch]) + "\n").encode())
        assert partition() == expected


def test_the_radius_setting_changes_the_outcome(settings: Any) -> None:
    settings.FIRES_EVENT_RADIUS_M = 2000
    assert imp(at(UP), at(east(1500))).events_new == 1
    reset()
    settings.FIRES_EVENT_RADIUS_M = 1000
    assert imp(at(UP), at(east(1500))).events_new == 2


def test_the_window_setting_changes_the_outcome(settings: Any) -> None:
    settings.FIRES_EVENT_WINDOW_HOURS = 12
    assert imp(at(UP), at(east(10), hours=13)).events_new == 2
    reset()
    settings.FIRES_EVENT_WINDOW_HOURS = 48
    assert imp(at(UP), at(east(10), hours=13)).events_new == 1


def test_event_figures() -> None:
    # The earliest hotspot lies in Lampuyang, the later ones in Ujung Pandaran (0.9 km east).
    first = (-3.16, 112.9420)
    second = (-3.16, 112.9500)
    third = (-3.16, 112.9560)
    assert haversine_m(*first, *second) < 1000
    imp(
        at(second, hours=3, confidence="l", frp=2.25),
        at(first, hours=1, confidence="n", frp=10.5),
        at(third, hours=20, confidence="h", frp=7.0),
    )
    places = dict(Hotspot.objects.values_list("lng", "desa_code"))
    assert places[first[1]] == LAMPUYANG
    assert places[second[1]] == UJUNG_PANDARAN
    [event] = live_events()
    assert event.hotspot_count == 3
    assert event.frp_total == 19.75
    assert event.first_detected_at == T0 + dt.timedelta(hours=1)
    assert event.last_detected_at == T0 + dt.timedelta(hours=20)
    assert event.max_confidence == Confidence.HIGH
    assert event.desa_code == LAMPUYANG  # the earliest hotspot's desa
    assert event.desa_name == "Lampuyang"
    assert event.kecamatan_code == "62.02.11"
    assert event.kecamatan_name == "Teluk Sampit"
    assert event.lat == pytest.approx(-3.16)
    assert event.lng == pytest.approx((first[1] + second[1] + third[1]) / 3, abs=1e-6)
    assert (event.min_lng, event.max_lng) == (first[1], third[1])
    assert event.status == EventStatus.NEW
    assert event.ref.startswith("KH-")
    assert event.alertable is True


def test_a_later_earlier_hotspot_moves_the_events_desa() -> None:
    """The event's desa is its earliest hotspot's, also when an earlier detection arrives
    in a later file."""
    imp(at((-3.16, 112.9500), hours=5))
    [event] = live_events()
    assert event.desa_code == UJUNG_PANDARAN
    imp(at((-3.16, 112.9420), hours=1))
    event.refresh_from_db()
    assert event.desa_code == LAMPUYANG
    assert event.first_detected_at == T0 + dt.timedelta(hours=1)
    assert event.hotspot_count == 2


def test_type_and_confidence_decide_alertable() -> None:
    imp(at(UP, confidence="l"))
    [event] = live_events()
    assert event.alertable is False
    assert event.max_confidence == Confidence.LOW
    imp(at(east(100), hours=1, confidence="n"))
    event.refresh_from_db()
    assert event.alertable is True


def test_a_padam_event_detected_again_goes_back_to_baru(bpbd_officer: Any) -> None:
    imp(at(UP))
    [event] = live_events()
    services.event_set_status(actor=bpbd_officer, ref=event.ref, status=EventStatus.HANDLING)
    event = services.event_set_status(actor=bpbd_officer, ref=event.ref, status=EventStatus.OUT)
    assert event.status == EventStatus.OUT
    # Declared out at T0+2h (a past import): a detection at T0+1h does not reopen it...
    FireEvent.objects.filter(pk=event.pk).update(out_at=T0 + dt.timedelta(hours=2))
    imp(at(east(50), hours=1))
    event.refresh_from_db()
    assert event.status == EventStatus.OUT
    assert event.hotspot_count == 2
    version = event.version
    # ...a detection after it does.
    imp(at(east(100), hours=3))
    event.refresh_from_db()
    assert event.status == EventStatus.NEW
    assert event.hotspot_count == 3
    assert event.version == version + 1
    assert [e.ref for e in selectors.event_list(actor=bpbd_officer, status=EventStatus.NEW)] == [
        event.ref
    ]


def test_a_merge_with_a_newer_fire_reopens_a_padam_event(bpbd_officer: Any) -> None:
    """An event declared out, and a separate newer fire 1.8 km away: a late-arriving detection
    from before the "padam" bridges them. The merged event holds detections after it was
    declared out, so it is new again (the newer fire must not vanish into a closed event)."""
    imp(at(UP))
    [old] = live_events()
    services.event_set_status(actor=bpbd_officer, ref=old.ref, status=EventStatus.HANDLING)
    services.event_set_status(actor=bpbd_officer, ref=old.ref, status=EventStatus.OUT)
    FireEvent.objects.filter(pk=old.pk).update(out_at=T0 + dt.timedelta(hours=2))
    imp(at(east(1800), hours=5))
    newer = FireEvent.objects.exclude(pk=old.pk).get()
    assert newer.status == EventStatus.NEW
    imp(at(east(900), hours=1))  # before out_at: bridges both
    old.refresh_from_db()
    newer.refresh_from_db()
    assert newer.merged_into_id == old.pk
    assert old.hotspot_count == 3
    assert old.last_detected_at == T0 + dt.timedelta(hours=5)
    assert old.status == EventStatus.NEW


def test_hotspots_far_apart_in_time_at_the_same_place_are_separate_events() -> None:
    imp(at(UP), at(UP, hours=24 * 30))
    assert len(live_events()) == 2
