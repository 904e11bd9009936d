"""Hotspots → fire events, incrementally and deterministically.

The rule: two hotspots belong to the same event when they lie within `FIRES_EVENT_RADIUS_M`
(great-circle) and `FIRES_EVENT_WINDOW_HOURS` of each other, and "belong together" chains
(single linkage): an event is a connected group of such pairs. Because connected groups do not
depend on the order in which points arrive, adding hotspots one file at a time gives the same
events as adding them all at once: a new hotspot that touches two events merges them, and the
survivor is the event detected first (then the lower id). That is what makes it incremental.

Per batch: the new hotspots and the already grouped hotspots within reach (time window and
bounding box) are put on a grid of cells one radius wide, so each point is compared only with
the 3x3 cells around it. The union-find then names the events to create, join and merge.

An event's figures are recomputed from all its hotspots: count, total FRP, first/last
detection, highest confidence, centroid and extent; its desa is the first hotspot's (earliest,
then lowest id). It `alertable` when one of its hotspots reaches `FIRES_ALERT_MIN_CONFIDENCE`
and is of a type in `FIRES_ALERT_TYPES` (NRT data has no type and counts as a vegetation fire).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from kotacerdas.core.geo import METRES_PER_DEGREE, haversine_m
from kotacerdas.core.refs import new_ref

from .models import CONFIDENCE_RANK, EventStatus, FireEvent, Hotspot


@dataclass
class Outcome:
    created: list[FireEvent] = field(default_factory=list)
    touched_ids: set[int] = field(default_factory=set)
    merged: list[tuple[int, int]] = field(default_factory=list)  # (loser id, survivor id)
    reopened: list[int] = field(default_factory=list)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def radius_m() -> float:
    return float(settings.FIRES_EVENT_RADIUS_M)


def window() -> dt.timedelta:
    return dt.timedelta(hours=float(settings.FIRES_EVENT_WINDOW_HOURS))


def group(new: list[Hotspot], *, now: dt.datetime) -> Outcome:
    """Give each unsaved hotspot in `new` its event (creating and merging events as the rule
    says). Call inside the import's transaction, holding the grouping lock, before the
    hotspots are inserted; then call `refresh(outcome.touched_ids)` after they are."""
    out = Outcome()
    if not new:
        return out
    reach = radius_m()
    span = window()
    d_lat = reach / METRES_PER_DEGREE
    lats = [h.lat for h in new]
    lngs = [h.lng for h in new]
    coslat = max(math.cos(math.radians(max(abs(min(lats)), abs(max(lats))))), 1e-6)
    d_lng = d_lat / coslat
    times = [h.acquired_at for h in new]
    existing = list(
        Hotspot.objects.filter(
            event__isnull=False,
            acquired_at__gte=min(times) - span,
            acquired_at__lte=max(times) + span,
            lat__gte=min(lats) - d_lat,
            lat__lte=max(lats) + d_lat,
            lng__gte=min(lngs) - d_lng,
            lng__lte=max(lngs) + d_lng,
        ).values_list("lat", "lng", "acquired_at", "event_id")
    )
    # Grid of cells one radius wide: neighbours are within the 3x3 block around a cell.
    grid: dict[tuple[int, int], list[tuple[float, float, dt.datetime, Any]]] = defaultdict(list)

    def cell(lat: float, lng: float) -> tuple[int, int]:
        return (math.floor(lat / d_lat), math.floor(lng / d_lng))

    for lat, lng, t, event_id in existing:
        grid[cell(lat, lng)].append((lat, lng, t, ("e", event_id)))
    uf = _UnionFind()
    for i, h in enumerate(new):
        key = ("n", i)
        uf.find(key)
        cy, cx = cell(h.lat, h.lng)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for lat, lng, t, other in grid.get((cy + dy, cx + dx), ()):
                    if (
                        abs(t - h.acquired_at) <= span
                        and haversine_m(h.lat, h.lng, lat, lng) <= reach
                    ):
                        uf.union(other, key)
        grid[(cy, cx)].append((h.lat, h.lng, h.acquired_at, key))

    components: dict[Any, tuple[list[int], set[int]]] = {}
    for i in range(len(new)):
        root = uf.find(("n", i))
        members, _events = components.setdefault(root, ([], set()))
        members.append(i)
    for node in list(uf.parent):
        if node[0] == "e":
            root = uf.find(node)
            if root in components:
                components[root][1].add(node[1])

    involved = {eid for _members, events in components.values() for eid in events}
    event_rows = {
        e.pk: e
        for e in FireEvent.objects.select_for_update().filter(pk__in=involved).order_by("pk")
    }
    # Deterministic order: by the earliest new hotspot of each component.
    ordered = sorted(
        components.values(),
        key=lambda c: min((new[i].acquired_at, new[i].lat, new[i].lng) for i in c[0]),
    )
    for members, event_ids in ordered:
        if event_ids:
            joined = sorted(
                (event_rows[e] for e in event_ids), key=lambda e: (e.first_detected_at, e.pk)
            )
            survivor = joined[0]
            for loser in joined[1:]:
                _merge(loser, survivor, now)
                out.merged.append((loser.pk, survivor.pk))
            # The latest detection joining the survivor: new hotspots, and the merged events'.
            latest_new = max(
                [new[i].acquired_at for i in members] + [e.last_detected_at for e in joined[1:]]
            )
            if (
                survivor.status == EventStatus.OUT
                and survivor.out_at
                and latest_new > survivor.out_at
            ):
                # Detected again after it was declared out: back to new, for a fresh look.
                survivor.status = EventStatus.NEW
                survivor.version += 1
                survivor.save(update_fields=["status", "version", "updated_at"])
                out.reopened.append(survivor.pk)
        else:
            survivor = _create(new, members, now)
            out.created.append(survivor)
        out.touched_ids.add(survivor.pk)
        for i in members:
            new[i].event = survivor
    return out


def _create(new: list[Hotspot], members: list[int], now: dt.datetime) -> FireEvent:
    first = min((new[i] for i in members), key=lambda h: (h.acquired_at, h.lat, h.lng))
    event = FireEvent(
        status=EventStatus.NEW,
        max_confidence=first.confidence,
        first_detected_at=first.acquired_at,
        last_detected_at=first.acquired_at,
        lat=first.lat,
        lng=first.lng,
        min_lat=first.lat,
        min_lng=first.lng,
        max_lat=first.lat,
        max_lng=first.lng,
        desa_code=first.desa_code,
        desa_name=first.desa_name,
        kecamatan_code=first.kecamatan_code,
        kecamatan_name=first.kecamatan_name,
        created_at=now,
    )
    for _attempt in range(5):
        event.ref = "KH-" + new_ref(first.acquired_at)
        if not FireEvent.objects.filter(ref=event.ref).exists():
            break
    event.save()
    return event


def _merge(loser: FireEvent, survivor: FireEvent, now: dt.datetime) -> None:
    from .models import CheckStatus, EventIncident, GroundCheck

    Hotspot.objects.filter(event=loser).update(event=survivor)
    if GroundCheck.objects.filter(event=survivor, status=CheckStatus.ASSIGNED).exists():
        GroundCheck.objects.filter(event=loser, status=CheckStatus.ASSIGNED).update(
            status=CheckStatus.CANCELLED, note="merged"
        )
    GroundCheck.objects.filter(event=loser).update(event=survivor)
    known = set(EventIncident.objects.filter(event=survivor).values_list("incident_ref", flat=True))
    EventIncident.objects.filter(event=loser, incident_ref__in=known).delete()
    EventIncident.objects.filter(event=loser).update(event=survivor)
    if loser.alerted_at and (survivor.alerted_at is None or loser.alerted_at < survivor.alerted_at):
        # Whoever heard of a part has heard of the whole: no second alert for the survivor.
        survivor.alerted_at = loser.alerted_at
        FireEvent.objects.filter(pk=survivor.pk).update(alerted_at=loser.alerted_at)
    loser.merged_into = survivor
    loser.hotspot_count = 0
    loser.version += 1
    loser.save(update_fields=["merged_into", "hotspot_count", "version", "updated_at"])


def _alert_types() -> set[int]:
    return {int(t) for t in settings.FIRES_ALERT_TYPES}


def qualifies(confidence: str, fire_type: int | None) -> bool:
    """Whether one hotspot makes its event alert (confidence and FIRMS type)."""
    minimum = CONFIDENCE_RANK.get(settings.FIRES_ALERT_MIN_CONFIDENCE, 1)
    if CONFIDENCE_RANK[confidence] < minimum:
        return False
    return fire_type is None or fire_type in _alert_types()


def refresh(event_ids: Iterable[int]) -> list[FireEvent]:
    """Recompute the figures of these events from their hotspots (one query for the
    hotspots, one bulk update)."""
    ids = sorted(set(event_ids))
    if not ids:
        return []
    rows = (
        Hotspot.objects.filter(event_id__in=ids)
        .order_by("event_id", "acquired_at", "pk")
        .values_list(
            "event_id",
            "acquired_at",
            "lat",
            "lng",
            "frp",
            "confidence",
            "fire_type",
            "desa_code",
            "desa_name",
            "kecamatan_code",
            "kecamatan_name",
        )
    )
    stats: dict[int, dict[str, Any]] = {}
    for eid, t, lat, lng, frp, conf, ftype, desa, desa_n, kec, kec_n in rows:
        s = stats.get(eid)
        if s is None:
            s = stats[eid] = {
                "n": 0,
                "frp": 0.0,
                "first": t,
                "last": t,
                "conf": conf,
                "lat": 0.0,
                "lng": 0.0,
                "min_lat": lat,
                "max_lat": lat,
                "min_lng": lng,
                "max_lng": lng,
                "alert": False,
                "place": (desa, desa_n, kec, kec_n),
            }
        s["n"] += 1
        s["frp"] += frp
        s["last"] = max(s["last"], t)
        if CONFIDENCE_RANK[conf] > CONFIDENCE_RANK[s["conf"]]:
            s["conf"] = conf
        s["lat"] += lat
        s["lng"] += lng
        s["min_lat"], s["max_lat"] = min(s["min_lat"], lat), max(s["max_lat"], lat)
        s["min_lng"], s["max_lng"] = min(s["min_lng"], lng), max(s["max_lng"], lng)
        s["alert"] = s["alert"] or qualifies(conf, ftype)
    events = list(FireEvent.objects.filter(pk__in=ids).order_by("pk"))
    for event in events:
        s = stats.get(event.pk)
        if s is None:
            continue
        event.hotspot_count = s["n"]
        event.frp_total = round(s["frp"], 2)
        event.first_detected_at = s["first"]
        event.last_detected_at = s["last"]
        event.max_confidence = s["conf"]
        event.lat = round(s["lat"] / s["n"], 6)
        event.lng = round(s["lng"] / s["n"], 6)
        event.min_lat, event.max_lat = s["min_lat"], s["max_lat"]
        event.min_lng, event.max_lng = s["min_lng"], s["max_lng"]
        event.alertable = s["alert"]
        event.desa_code, event.desa_name, event.kecamatan_code, event.kecamatan_name = s["place"]
    FireEvent.objects.bulk_update(
        events,
        [
            "hotspot_count",
            "frp_total",
            "first_detected_at",
            "last_detected_at",
            "max_confidence",
            "lat",
            "lng",
            "min_lat",
            "max_lat",
            "min_lng",
            "max_lng",
            "alertable",
            "desa_code",
            "desa_name",
            "kecamatan_code",
            "kecamatan_name",
        ],
        # Small batches: Django writes a CASE per row and field, and one statement for 2,000
        # events took 16 s in the benchmark (docs/benchmarks.md).
        batch_size=100,
    )
    return events
