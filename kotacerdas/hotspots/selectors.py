"""Reading fire data.

Hotspots are NASA's public data and their map (points, events' outline and state) is shown to
everyone who may see fires, and in aggregate to the public. Everything about the response
(events' ground checks, photos, notes, alerts, linked 119 incidents) is scoped: desa and
kecamatan staff see their own area, the fire agencies and the desk the whole regency.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, FloatField, Max, Prefetch, Q, QuerySet
from django.db.models.functions import Cast, Extract
from django.utils import timezone

from kotacerdas.core.errors import NotFound
from kotacerdas.core.sla import WIB

from . import policy
from .models import (
    AlertStatus,
    CheckStatus,
    FireAlert,
    FireEvent,
    GroundCheck,
    Hotspot,
    ImportRun,
    Sensor,
    SensorMessage,
)
from .scoping import Area, area_for

CONFIDENCE_CODE = {"rendah": 0, "sedang": 1, "tinggi": 2}


def area(actor: Any, perm: str = policy.VIEW) -> Area:
    return area_for(actor, perm)


# --- Map data -------------------------------------------------------------------------------------
def map_version() -> str:
    """Changes whenever hotspots or events change (for ETags and caches)."""
    agg = FireEvent.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    hot = Hotspot.objects.aggregate(last=Max("pk"))
    last = agg["last"].timestamp() if agg["last"] else 0
    return f"{agg['n']}-{hot['last'] or 0}-{last:.6f}"


def hotspot_range() -> tuple[dt.date | None, dt.date | None]:
    """First and last detection day (WIB) of all hotspots, for the date slider."""
    agg = Hotspot.objects.aggregate(first=models_min("acquired_at"), last=Max("acquired_at"))
    first, last = agg["first"], agg["last"]
    return (
        first.astimezone(WIB).date() if first else None,
        last.astimezone(WIB).date() if last else None,
    )


def models_min(field: str) -> Any:
    from django.db.models import Min

    return Min(field)


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00 WIB, end+1 00:00 WIB) as aware datetimes."""
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=WIB)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=WIB)
    return lo, hi


def map_data(*, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Hotspots and events between two days (WIB, inclusive), compact for a map of a whole
    season: hotspots as rows [lat, lng, minutes since `t0`, confidence 0-2, frp, event index],
    events as objects. Two queries; on PostgreSQL the minutes are computed by the database
    (parsing 20,000 timestamps in Python is most of the cost of a season)."""
    lo, hi = day_bounds(start, end)
    in_range = Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi)
    if connection.vendor == "postgresql":
        rows = list(
            # EXTRACT gives a numeric (a Decimal in Python, slow to parse): cast it to float.
            in_range.annotate(
                epoch=Cast(Extract("acquired_at", "epoch", tzinfo=dt.UTC), FloatField())
            )
            .order_by("acquired_at", "pk")
            .values_list("lat", "lng", "epoch", "confidence", "frp", "event_id")
        )
        base = lo.timestamp()
        minutes = [int((r[2] - base) // 60) for r in rows]
    else:
        rows = list(
            in_range.order_by("acquired_at", "pk").values_list(
                "lat", "lng", "acquired_at", "confidence", "frp", "event_id"
            )
        )
        minutes = [int((r[2] - lo).total_seconds() // 60) for r in rows]
    events = list(
        FireEvent.objects.filter(pk__in=in_range.filter(event__isnull=False).values("event_id"))
        .order_by("pk")
        .values(
            "pk",
            "ref",
            "status",
            "check_result",
            "hotspot_count",
            "frp_total",
            "first_detected_at",
            "last_detected_at",
            "lat",
            "lng",
            "desa_name",
            "kecamatan_name",
            "desa_code",
            "max_confidence",
        )
    )
    index = {e["pk"]: i for i, e in enumerate(events)}
    conf = CONFIDENCE_CODE
    hotspots = [
        [lat, lng, m, conf[c], frp, index.get(eid, -1) if eid is not None else -1]
        for (lat, lng, _t, c, frp, eid), m in zip(rows, minutes, strict=True)
    ]
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "t0": lo.isoformat(),
        "hotspots": hotspots,
        "events": [
            {
                "ref": e["ref"],
                "status": e["status"],
                "check_result": e["check_result"],
                "hotspot_count": e["hotspot_count"],
                "frp_total": e["frp_total"],
                "first": e["first_detected_at"].isoformat(),
                "last": e["last_detected_at"].isoformat(),
                "lat": e["lat"],
                "lng": e["lng"],
                "desa": e["desa_name"],
                "desa_code": e["desa_code"],
                "kecamatan": e["kecamatan_name"],
                "confidence": e["max_confidence"],
            }
            for e in events
        ],
    }


_MAP_CACHE: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
_MAP_CACHE_SIZE = 8
_MAP_CACHE_LOCK = threading.Lock()


def map_data_json(*, start: dt.date, end: dt.date, version: str | None = None) -> bytes:
    """`map_data` encoded as JSON, kept per process for the few most recent (data version,
    period) pairs: the version is read from the database on every call, so a cached answer is
    never stale, and a season that many people look at is encoded once per change."""
    version = version or map_version()
    key = (version, start.isoformat(), end.isoformat())
    with _MAP_CACHE_LOCK:
        cached = _MAP_CACHE.get(key)
        if cached is not None:
            _MAP_CACHE.move_to_end(key)
            return cached
    body = json.dumps(map_data(start=start, end=end), separators=(",", ":")).encode()
    with _MAP_CACHE_LOCK:
        _MAP_CACHE[key] = body
        while len(_MAP_CACHE) > _MAP_CACHE_SIZE:
            _MAP_CACHE.popitem(last=False)
    return body


def hotspots_by_desa(
    *, start: dt.date, end: dt.date, area: Area | None = None
) -> list[dict[str, Any]]:
    """Hotspot counts per desa and confidence in a period (for the map's side table)."""
    lo, hi = day_bounds(start, end)
    qs = Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi)
    if area is not None:
        qs = qs.filter(area.q("desa_code"))
    rows = (
        qs.values("desa_code", "desa_name", "kecamatan_name", "confidence")
        .annotate(n=Count("pk"))
        .order_by("desa_code", "confidence")
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        item = out.setdefault(
            r["desa_code"],
            {
                "desa_code": r["desa_code"],
                "desa": r["desa_name"],
                "kecamatan": r["kecamatan_name"],
                "rendah": 0,
                "sedang": 0,
                "tinggi": 0,
                "total": 0,
            },
        )
        item[r["confidence"]] += r["n"]
        item["total"] += r["n"]
    return sorted(out.values(), key=lambda i: (-i["total"], i["desa"]))


# --- Events ---------------------------------------------------------------------------------------
def event_list(
    *,
    actor: Any,
    status: str = "",
    kecamatan_code: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[FireEvent]:
    reach = area_for(actor, policy.VIEW)
    qs = FireEvent.objects.filter(merged_into__isnull=True).filter(reach.q("desa_code"))
    if status:
        qs = qs.filter(status=status)
    if kecamatan_code:
        qs = qs.filter(kecamatan_code=kecamatan_code)
    if start is not None and end is not None:
        lo, hi = day_bounds(start, end)
        qs = qs.filter(last_detected_at__gte=lo, first_detected_at__lt=hi)
    open_checks = GroundCheck.objects.filter(status=CheckStatus.ASSIGNED).select_related(
        "assignee_user"
    )
    return qs.prefetch_related(Prefetch("checks", queryset=open_checks, to_attr="open_checks"))


def event_get(*, actor: Any, ref: str) -> FireEvent:
    reach = area_for(actor, policy.VIEW)
    event = (
        FireEvent.objects.filter(ref=ref)
        .select_related("merged_into")
        .prefetch_related(
            Prefetch(
                "checks",
                queryset=GroundCheck.objects.select_related(
                    "assignee_user", "assigned_by", "checked_by"
                ).order_by("-assigned_at", "-pk"),
            ),
            "incidents",
        )
        .first()
    )
    if event is None or not reach.allows(event.desa_code):
        raise NotFound(code="fires.event.not_found")
    return event


def event_hotspots(*, event: FireEvent) -> list[Hotspot]:
    return list(event.hotspots.order_by("acquired_at", "pk"))


def event_alerts(*, actor: Any, event: FireEvent) -> list[FireAlert]:
    """Who was told, how and when (managers and the event's area staff)."""
    if not area_for(actor, policy.VIEW).allows(event.desa_code):
        return []
    return list(
        FireAlert.objects.filter(event=event)
        .select_related("recipient")
        .order_by("created_at", "pk")
    )


# --- Ground checks --------------------------------------------------------------------------------
def checks_for(*, actor: Any, include_done: bool = False) -> QuerySet[GroundCheck]:
    """The ground checks this person may answer: assigned to them, or to a desa in their area."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return GroundCheck.objects.none()
    if not actor.has_perm(policy.GROUND_CHECK):
        return GroundCheck.objects.none()
    reach = area_for(actor, policy.GROUND_CHECK)
    mine = Q(assignee_user=actor)
    if not reach.empty:
        mine |= Q(assignee_user__isnull=True) & reach.q("assignee_region_code")
    qs = GroundCheck.objects.filter(mine)
    if not include_done:
        qs = qs.filter(status=CheckStatus.ASSIGNED)
    return qs.select_related("event", "assigned_by", "checked_by").order_by("-assigned_at", "-pk")


def check_get(*, actor: Any, check_id: int) -> GroundCheck:
    check = checks_for(actor=actor, include_done=True).filter(pk=check_id).first()
    if check is None:
        # Managers may look at any check of an event they can see.
        reach = area_for(actor, policy.VIEW)
        check = (
            GroundCheck.objects.select_related("event", "assigned_by", "checked_by")
            .filter(pk=check_id)
            .first()
        )
        if check is None or not (
            actor.has_perm(policy.MANAGE) and reach.allows(check.event.desa_code)
        ):
            raise NotFound(code="fires.check.not_found")
    return check


def checkers(*, desa_code: str = "") -> list[Any]:
    """Officers who can be sent on a ground check (fire agencies' officers)."""
    from kotacerdas.accounts.policy import Role
    from kotacerdas.accounts.selectors import staff_holding

    from .scoping import fire_agency_ids

    people: dict[int, Any] = {}
    for agency_id in sorted(fire_agency_ids()):
        for user in staff_holding(roles=[Role.PETUGAS_OPD, Role.KEPALA_OPD], agency_id=agency_id):
            people.setdefault(user.pk, user)
    return sorted(people.values(), key=lambda u: (u.full_name or u.username, u.pk))


# --- Imports --------------------------------------------------------------------------------------
def import_runs(*, actor: Any, limit: int = 50) -> list[ImportRun]:
    if not area_for(actor, policy.MANAGE).everything:
        return []
    return list(ImportRun.objects.select_related("actor").order_by("-started_at", "-pk")[:limit])


def import_run_get(*, actor: Any, pk: int) -> ImportRun:
    if not area_for(actor, policy.MANAGE).everything:
        raise NotFound(code="fires.import.not_found")
    run = ImportRun.objects.select_related("actor").filter(pk=pk).first()
    if run is None:
        raise NotFound(code="fires.import.not_found")
    return run


# --- Sensors --------------------------------------------------------------------------------------
def sensor_list(*, actor: Any) -> QuerySet[Sensor]:
    """Sensors the actor manages (own agency; administrators all), or sees as fire staff."""
    from kotacerdas.accounts.selectors import scope_for

    if actor is None or not getattr(actor, "is_authenticated", False):
        return Sensor.objects.none()
    scope = scope_for(actor=actor, perm=policy.MANAGE_SENSORS)
    if any(g.agency_id is None and g.region_code is None for g in scope.grants):
        qs = Sensor.objects.all()
    else:
        agencies = {g.agency_id for g in scope.grants if g.agency_id is not None}
        view = area_for(actor, policy.VIEW)
        cond = Q(agency_id__in=agencies)
        if view.everything:
            cond = Q()
        elif not agencies:
            cond = Q(pk__in=[])
        qs = Sensor.objects.filter(cond)
    return qs.select_related("owner").order_by("code")


def sensor_get(*, actor: Any, code: str) -> Sensor:
    sensor = sensor_list(actor=actor).filter(code=code).first()
    if sensor is None:
        raise NotFound(code="fires.sensor.not_found")
    return sensor


def sensor_messages(
    *, actor: Any, code: str | None = None, limit: int = 100
) -> list[SensorMessage]:
    """The message log (refusals included). Unknown senders' messages only to those who see
    every sensor."""
    sensors = sensor_list(actor=actor)
    qs = SensorMessage.objects.select_related("sensor")
    if code:
        qs = qs.filter(sensor__in=sensors.filter(code=code))
    else:
        everyone = area_for(actor, policy.VIEW).everything and actor.has_perm(policy.MANAGE_SENSORS)
        cond = Q(sensor__in=sensors)
        if everyone:
            cond |= Q(sensor__isnull=True)
        qs = qs.filter(cond)
    return list(qs.order_by("-received_at", "-pk")[:limit])


# --- Figures --------------------------------------------------------------------------------------
def hotspots_month_vs_last_year(*, today: dt.date | None = None) -> tuple[int, int, dt.date]:
    today = today or timezone.now().astimezone(WIB).date()
    this_start = today.replace(day=1)
    next_start = (this_start + dt.timedelta(days=32)).replace(day=1)
    last_start = this_start.replace(year=this_start.year - 1)
    last_next = next_start.replace(year=next_start.year - 1)

    def count(a: dt.date, b: dt.date) -> int:
        lo, _ = day_bounds(a, a)
        hi, _ = day_bounds(b, b)
        return Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi).count()

    return count(this_start, next_start), count(last_start, last_next), this_start


def events_by_kecamatan(*, days: int = 365) -> list[tuple[str, str, int]]:
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        FireEvent.objects.filter(merged_into__isnull=True, first_detected_at__gte=since)
        .values("kecamatan_code", "kecamatan_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "kecamatan_name")
    )
    return [(r["kecamatan_code"], r["kecamatan_name"], r["n"]) for r in rows]


@dataclass(frozen=True)
class CheckFigures:
    events: int
    checked_24h: int
    median_hours: float | None

    @property
    def share(self) -> float | None:
        return round(100.0 * self.checked_24h / self.events, 1) if self.events else None


def ground_check_figures(*, days: int = 365) -> CheckFigures:
    """Over events that alerted (detected in the last `days`): how many were checked on the
    ground within 24 hours of the first detection, and the median hours to the check."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = list(
        FireEvent.objects.filter(
            merged_into__isnull=True, alertable=True, first_detected_at__gte=since
        ).values_list("first_detected_at", "checked_at")
    )
    waits = [
        (checked - first).total_seconds() / 3600.0 for first, checked in rows if checked is not None
    ]
    within = sum(1 for w in waits if w <= 24.0)
    median = round(statistics.median(waits), 1) if waits else None
    return CheckFigures(events=len(rows), checked_24h=within, median_hours=median)


def alert_counts(*, event: FireEvent) -> Counter[str]:
    return Counter(event.alerts.values_list("status", flat=True))


def pending_alerts() -> int:
    return FireAlert.objects.filter(status=AlertStatus.PENDING).count()


# --- Exports --------------------------------------------------------------------------------------
HOTSPOT_EXPORT_FIELDS = [
    "latitude",
    "longitude",
    "acquired_at_utc",
    "satellite",
    "instrument",
    "confidence",
    "confidence_raw",
    "frp",
    "brightness",
    "brightness_2",
    "daynight",
    "type",
    "desa_code",
    "desa",
    "kecamatan",
    "event",
]
EVENT_EXPORT_FIELDS = [
    "ref",
    "status",
    "check_result",
    "hotspot_count",
    "frp_total",
    "max_confidence",
    "first_detected_utc",
    "last_detected_utc",
    "latitude",
    "longitude",
    "desa_code",
    "desa",
    "kecamatan_code",
    "kecamatan",
    "checked_at_utc",
]


def hotspot_export_rows(*, start: dt.date, end: dt.date) -> list[list[Any]]:
    lo, hi = day_bounds(start, end)
    return [
        [
            h[0],
            h[1],
            h[2].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"),
            h[3],
            h[4],
            h[5],
            h[6],
            h[7],
            h[8],
            h[9] if h[9] is not None else "",
            h[10],
            h[11] if h[11] is not None else "",
            h[12],
            h[13],
            h[14],
            h[15] or "",
        ]
        for h in Hotspot.objects.filter(acquired_at__gte=lo, acquired_at__lt=hi)
        .order_by("acquired_at", "pk")
        .values_list(
            "lat",
            "lng",
            "acquired_at",
            "satellite",
            "instrument",
            "confidence",
            "confidence_raw",
            "frp",
            "brightness",
            "brightness_2",
            "daynight",
            "fire_type",
            "desa_code",
            "desa_name",
            "kecamatan_name",
            "event__ref",
        )
    ]


def event_export_rows(*, start: dt.date, end: dt.date) -> list[list[Any]]:
    lo, hi = day_bounds(start, end)

    def utc(t: dt.datetime | None) -> str:
        return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ") if t else ""

    return [
        [
            e.ref,
            e.status,
            e.check_result,
            e.hotspot_count,
            e.frp_total,
            e.max_confidence,
            utc(e.first_detected_at),
            utc(e.last_detected_at),
            e.lat,
            e.lng,
            e.desa_code,
            e.desa_name,
            e.kecamatan_code,
            e.kecamatan_name,
            utc(e.checked_at),
        ]
        for e in FireEvent.objects.filter(
            merged_into__isnull=True, last_detected_at__gte=lo, first_detected_at__lt=hi
        ).order_by("first_detected_at", "pk")
    ]


def as_geojson(
    header: list[str], rows: list[list[Any]], lat_col: str, lng_col: str
) -> dict[str, Any]:
    i_lat, i_lng = header.index(lat_col), header.index(lng_col)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row[i_lng], row[i_lat]]},
                "properties": {
                    k: v for k, v in zip(header, row, strict=True) if k not in (lat_col, lng_col)
                },
            }
            for row in rows
        ],
    }
