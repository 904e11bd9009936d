"""Every read of the 119 desk, scoped to the actor.

- The desk (`policy.DESK`) sees every incident and unit of the regency.
- A citizen sees the incidents they called in (`incident_for_caller`).
- A crew member sees the units they crew and those units' current jobs.
- Agency heads, the Council and administrators see figures (aggregates), not incidents.
Anything outside one's scope is a 404 like something missing.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from kotacerdas.core.errors import NotFound
from kotacerdas.core.geo import haversine_m
from kotacerdas.core.routing import Place, travel_seconds
from kotacerdas.core.sla import WIB
from kotacerdas.facilities.selectors import facility_list
from kotacerdas.regions.selectors import region_get

from . import policy
from .dispatching import Ranked, Target, UnitSnapshot, Waiting, area_of, offers, rank_units
from .models import (
    BUSY_UNIT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    PRIORITY_RANK,
    WAITING_STATUSES,
    Assignment,
    Capability,
    ChiefComplaint,
    DesaAccess,
    DeskEvent,
    Incident,
    IncidentKind,
    IncidentStatus,
    Priority,
    Station,
    Unit,
    UnitStatus,
)

if TYPE_CHECKING:
    from kotacerdas.facilities.models import Facility

OPEN_STATUS_VALUES = sorted(OPEN_INCIDENT_STATUSES)
RELATED_RADIUS_M = 200.0
RELATED_DAYS = 30

# Which health facilities can take a patient, by triage colour: red goes to a hospital; yellow
# to a hospital or a puskesmas; green to a puskesmas first. Nearest by travel time within those.
FACILITY_SUBTYPES_BY_PRIORITY: dict[str, tuple[str, ...]] = {
    Priority.RED: ("rumah_sakit",),
    Priority.YELLOW: ("rumah_sakit", "puskesmas"),
    Priority.GREEN: ("puskesmas", "rumah_sakit"),
}


def _authed(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def is_desk(actor: Any) -> bool:
    return _authed(actor) and actor.has_perm(policy.DESK)


# --- Incidents -----------------------------------------------------------------------------------
def incident_queryset(*, actor: Any) -> QuerySet[Incident]:
    """The incidents an actor may see (fail-closed)."""
    if not _authed(actor):
        return Incident.objects.none()
    if actor.has_perm(policy.DESK):
        return Incident.objects.all()
    parts = Q(caller=actor)
    if actor.has_perm(policy.CREW):
        parts |= Q(assignments__unit__crew=actor)
    return Incident.objects.filter(parts).distinct()


def incident_for_desk(*, actor: Any, ref: str) -> Incident:
    if not is_desk(actor):
        raise NotFound(code="emergency.incident.not_found")
    incident = Incident.objects.filter(ref=ref).select_related("caller", "call_taker").first()
    if incident is None:
        raise NotFound(code="emergency.incident.not_found")
    return incident


def incident_for_caller(*, actor: Any, ref: str) -> Incident:
    """A citizen's own call (for its live status page)."""
    if not _authed(actor):
        raise NotFound(code="emergency.incident.not_found")
    incident = Incident.objects.filter(ref=ref, caller=actor).first()
    if incident is None:
        raise NotFound(code="emergency.incident.not_found")
    return incident


def incident_list(
    *,
    actor: Any,
    status: str = "",
    kind: str = "",
    open_only: bool = False,
    since: dt.datetime | None = None,
    search: str = "",
) -> QuerySet[Incident]:
    qs = incident_queryset(actor=actor)
    if open_only:
        qs = qs.filter(status__in=OPEN_STATUS_VALUES)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(ref__iexact=term) | Q(caller_phone__contains=term) | Q(desa_name__icontains=term)
        )
    return qs.order_by("-received_at", "-pk")


def my_calls(*, actor: Any, limit: int = 20) -> list[Incident]:
    if not _authed(actor):
        return []
    return list(Incident.objects.filter(caller=actor).order_by("-received_at")[:limit])


def related_calls(*, actor: Any, incident: Incident, limit: int = 10) -> list[Incident]:
    """Earlier calls from the same number or within 200 m, in the last 30 days: the desk sees
    repeat callers and a second call about the same accident."""
    if not is_desk(actor):
        return []
    since = incident.received_at - dt.timedelta(days=RELATED_DAYS)
    deg = RELATED_RADIUS_M / 111_000
    near = Q(
        lat__range=(incident.lat - deg, incident.lat + deg),
        lng__range=(incident.lng - deg, incident.lng + deg),
    )
    same_phone = Q(caller_phone=incident.caller_phone) if incident.caller_phone else Q(pk=None)
    candidates = (
        Incident.objects.filter(received_at__gte=since, received_at__lte=incident.received_at)
        .filter(same_phone | near)
        .exclude(pk=incident.pk)
        .order_by("-received_at")[: limit * 3]
    )
    out = [
        c
        for c in candidates
        if (incident.caller_phone and c.caller_phone == incident.caller_phone)
        or haversine_m(c.lat, c.lng, incident.lat, incident.lng) <= RELATED_RADIUS_M
    ]
    return out[:limit]


# --- Estimates -----------------------------------------------------------------------------------
def _access_overrides() -> dict[str, float]:
    return {
        code: minutes * 60.0
        for code, minutes in DesaAccess.objects.values_list("desa_code", "minutes")
    }


def target_of(incident: Incident, overrides: dict[str, float] | None = None) -> Target:
    if overrides is None:
        row = DesaAccess.objects.filter(desa_code=incident.desa_code).values_list(
            "minutes", flat=True
        )
        minutes = row.first()
        fixed = minutes * 60.0 if minutes is not None else None
    else:
        fixed = overrides.get(incident.desa_code)
    return Target(
        lat=incident.lat,
        lng=incident.lng,
        desa_code=incident.desa_code,
        need=incident.need,
        fixed_access_s=fixed,
        paramedic_preference_s=float(settings.EMERGENCY_PARAMEDIC_PREFERENCE_SECONDS),
    )


def snapshot_of(unit: Unit) -> UnitSnapshot:
    lat, lng = unit.position
    return UnitSnapshot(
        id=unit.pk,
        call_sign=unit.call_sign,
        capability=unit.capability,
        lat=lat,
        lng=lng,
        station_lat=unit.station.lat,
        station_lng=unit.station.lng,
        station_desa=unit.station.desa_code,
        station_access_s=unit.station.access_minutes * 60.0,
    )


def available_units() -> list[Unit]:
    return list(
        Unit.objects.filter(status=UnitStatus.AVAILABLE, station__is_active=True)
        .select_related("station")
        .order_by("pk")
    )


@dataclass(frozen=True)
class Recommendation:
    unit: Unit
    ranked: Ranked

    @property
    def eta_minutes(self) -> int | None:
        s = self.ranked.eta_seconds
        return None if s is None else max(1, round(s / 60))


def recommend_units(*, incident: Incident, limit: int = 10) -> list[Recommendation]:
    """Free units for an incident, best first (dispatching.rank_units). Two queries."""
    units = available_units()
    by_id = {u.pk: u for u in units}
    ranked = rank_units([snapshot_of(u) for u in units], target_of(incident))
    return [Recommendation(by_id[r.unit_id], r) for r in ranked[:limit]]


def estimate_for_unit(*, incident: Incident, unit: Unit) -> Ranked | None:
    ranked = rank_units([snapshot_of(unit)], target_of(incident))
    return ranked[0] if ranked else None


@dataclass(frozen=True)
class FacilityOption:
    facility: Facility
    eta_seconds: int | None
    distance_m: float


def recommend_facilities(*, incident: Incident, limit: int = 3) -> list[FacilityOption]:
    """Where to take the patient: the nearest facilities (by travel time) that take this
    triage colour, the preferred type first."""
    subtypes = FACILITY_SUBTYPES_BY_PRIORITY.get(incident.priority, ("rumah_sakit", "puskesmas"))
    candidates = list(
        facility_list(kind="health").filter(
            subtype__in=subtypes, lat__isnull=False, lng__isnull=False
        )
    )
    if not candidates:
        return []
    dest = Place(incident.lat, incident.lng, area_of(incident.desa_code))
    answer = travel_seconds(
        [Place(float(f.lat or 0), float(f.lng or 0), area_of(f.region_code)) for f in candidates],
        dest,
    )
    options = [
        FacilityOption(f, None if s is None else round(s), round(d, 1))
        for f, s, d in zip(candidates, answer.seconds, answer.distances_m, strict=True)
    ]
    # Red: hospitals only. Others: the preferred type unless another is much closer (15 min).
    preferred = subtypes[0]

    def key(o: FacilityOption) -> tuple[float, str]:
        eta = o.eta_seconds if o.eta_seconds is not None else 10**9
        penalty = 0 if o.facility.subtype == preferred else 15 * 60
        return (eta + penalty, o.facility.name)

    options.sort(key=key)
    return options[:limit]


# --- Regency extent (for crew positions) ---------------------------------------------------------
def _regency_box() -> tuple[float, float, float, float] | None:
    cache = caches["fragments"]
    key = f"emergency:regency-box:{settings.KOTACERDAS_REGION_ROOT}"
    box = cache.get(key)
    if box is None:
        try:
            root = region_get(code=settings.KOTACERDAS_REGION_ROOT)
        except NotFound:
            return None
        if (
            root.min_lat is None
            or root.max_lat is None
            or root.min_lng is None
            or root.max_lng is None
        ):
            return None
        box = (root.min_lat, root.min_lng, root.max_lat, root.max_lng)
        cache.set(key, box, 600)
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def distance_outside_regency_m(lat: float, lng: float) -> float:
    """Metres from a point to the regency's bounding box (0 inside it)."""
    box = _regency_box()
    if box is None:
        return 0.0
    min_lat, min_lng, max_lat, max_lng = box
    near_lat = min(max(lat, min_lat), max_lat)
    near_lng = min(max(lng, min_lng), max_lng)
    return haversine_m(lat, lng, near_lat, near_lng)


# --- Units and crews -----------------------------------------------------------------------------
def unit_list(*, actor: Any) -> QuerySet[Unit]:
    """Units the actor may see: the desk and fleet managers (their agency's; all for
    administrators); crew see their own units."""
    if not _authed(actor):
        return Unit.objects.none()
    qs = Unit.objects.select_related("station", "station__agency").order_by("call_sign")
    if actor.has_perm(policy.DESK):
        return qs
    from kotacerdas.accounts.selectors import scope_for

    scope = scope_for(actor=actor, perm=policy.MANAGE_FLEET)
    if scope.everything:
        return qs
    parts = Q(crew=actor) if actor.has_perm(policy.CREW) else Q(pk=None)
    agencies = [g.agency_id for g in scope.grants if g.agency_id is not None]
    if agencies:
        parts |= Q(station__agency_id__in=agencies)
    return qs.filter(parts).distinct()


def station_list(*, actor: Any) -> QuerySet[Station]:
    if not _authed(actor):
        return Station.objects.none()
    qs = Station.objects.select_related("agency", "facility").order_by("name")
    if actor.has_perm(policy.DESK):
        return qs
    from kotacerdas.accounts.selectors import scope_for

    scope = scope_for(actor=actor, perm=policy.MANAGE_FLEET)
    if scope.everything:
        return qs
    agencies = [g.agency_id for g in scope.grants if g.agency_id is not None]
    return qs.filter(agency_id__in=agencies) if agencies else qs.none()


def desa_access_list() -> QuerySet[DesaAccess]:
    return DesaAccess.objects.order_by("desa_code")


def crew_units(*, actor: Any) -> list[Unit]:
    if not (_authed(actor) and actor.has_perm(policy.CREW)):
        return []
    return list(Unit.objects.filter(crew=actor).select_related("station").order_by("call_sign"))


def crew_unit(*, actor: Any, unit_id: int) -> Unit:
    for unit in crew_units(actor=actor):
        if unit.pk == unit_id:
            return unit
    raise NotFound(code="emergency.unit.not_found")


def current_assignment(*, unit: Unit) -> Assignment | None:
    return (
        Assignment.objects.filter(unit=unit, cleared_at__isnull=True)
        .select_related("incident", "destination")
        .first()
    )


# --- The board -----------------------------------------------------------------------------------
def latest_seq() -> int:
    return DeskEvent.objects.aggregate(m=Max("id"))["m"] or 0


def changes_since(*, since: int, incident_id: int | None = None) -> tuple[int, set[int], set[int]]:
    """(latest seq, changed incident ids, changed unit ids) after `since`. One query."""
    qs = DeskEvent.objects.filter(id__gt=since)
    if incident_id is not None:
        qs = qs.filter(incident_id=incident_id)
    rows = list(qs.values_list("id", "incident_id", "unit_id")[:5000])
    if not rows:
        return since, set(), set()
    return (
        rows[-1][0],
        {i for _, i, _u in rows if i is not None},
        {u for _, _i, u in rows if u is not None},
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _mask_phone(phone: str) -> str:
    return phone[:4] + "•" * max(0, len(phone) - 7) + phone[-3:] if len(phone) > 7 else phone


def incident_row(
    incident: Incident, assignments: list[Assignment], offer: Ranked | None
) -> dict[str, Any]:
    open_assignments = [a for a in assignments if a.cleared_at is None]
    return {
        "ref": incident.ref,
        "kind": incident.kind,
        "kind_label": str(IncidentKind(incident.kind).label),
        "priority": incident.priority,
        "priority_label": str(Priority(incident.priority).label),
        "status": incident.status,
        "status_label": str(IncidentStatus(incident.status).label),
        "need": incident.need,
        "need_label": str(Capability(incident.need).label),
        "complaint": incident.chief_complaint,
        "complaint_label": (
            str(ChiefComplaint(incident.chief_complaint).label) if incident.chief_complaint else ""
        ),
        "source": incident.source,
        "caller_phone": incident.caller_phone,
        # A sensor alarm names its building (stored as the caller's name).
        "sensor_building": incident.caller_name if incident.sensor_code else "",
        "desa_code": incident.desa_code,
        "desa_name": incident.desa_name,
        "kecamatan_name": incident.kecamatan_name,
        "address": incident.address,
        "lat": incident.lat,
        "lng": incident.lng,
        "approximate": incident.location_approximate,
        "patients_count": incident.patients_count,
        "conscious": incident.conscious,
        "breathing": incident.breathing,
        "received_at": _iso(incident.received_at),
        "accepted_at": _iso(incident.accepted_at),
        "dispatched_at": _iso(incident.dispatched_at),
        "on_scene_at": _iso(incident.on_scene_at),
        "waiting": incident.status in WAITING_STATUSES and not open_assignments,
        "version": incident.version,
        "units": [
            {
                "assignment_id": a.pk,
                "unit_id": a.unit_id,
                "call_sign": a.unit.call_sign,
                "status": a.unit.status,
                "status_label": str(UnitStatus(a.unit.status).label),
                "eta_seconds": a.eta_seconds,
                "eta_fixed": a.eta_fixed,
                "dispatched_at": _iso(a.dispatched_at),
                "destination": a.destination.name if a.destination_id and a.destination else "",
            }
            for a in open_assignments
        ],
        "offer": (
            {
                "unit_id": offer.unit_id,
                "call_sign": offer.call_sign,
                "eta_seconds": offer.eta_seconds,
                "fixed": offer.fixed,
                "exact": offer.exact,
            }
            if offer
            else None
        ),
    }


def unit_row(unit: Unit, incident_ref: str = "") -> dict[str, Any]:
    lat, lng = unit.position
    return {
        "id": unit.pk,
        "call_sign": unit.call_sign,
        "capability": unit.capability,
        "capability_label": str(Capability(unit.capability).label),
        "status": unit.status,
        "status_label": str(UnitStatus(unit.status).label),
        "status_changed_at": _iso(unit.status_changed_at),
        "station": unit.station.name,
        "lat": lat,
        "lng": lng,
        "position_at": _iso(unit.position_at),
        "incident_ref": incident_ref,
        "out_of_service_reason": unit.out_of_service_reason,
        "version": unit.version,
    }


def board_state(*, actor: Any) -> dict[str, Any]:
    """Everything the live board shows: open incidents (with their units and the unit the desk
    offers each waiting one), every unit, counts. A fixed number of queries whatever the number
    of incidents (the sequence is read first, so a change during the read is seen again)."""
    if not is_desk(actor):
        raise NotFound(code="emergency.board.not_found")
    seq = latest_seq()
    incidents = list(
        Incident.objects.filter(status__in=OPEN_STATUS_VALUES).order_by("received_at", "pk")
    )
    assignments = list(
        Assignment.objects.filter(incident__in=[i.pk for i in incidents], cleared_at__isnull=True)
        .select_related("unit", "destination")
        .order_by("dispatched_at", "pk")
    )
    units = list(Unit.objects.select_related("station").order_by("call_sign"))
    overrides = _access_overrides()
    free = [
        snapshot_of(u) for u in units if u.status == UnitStatus.AVAILABLE and u.station.is_active
    ]
    by_incident: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_incident[a.incident_id].append(a)
    waiting = [
        Waiting(
            incident_id=i.pk,
            priority=i.priority,
            received_order=i.received_at.timestamp(),
            target=target_of(i, overrides),
        )
        for i in incidents
        if i.status in WAITING_STATUSES and not by_incident.get(i.pk)
    ]
    offered = offers(waiting, free)
    unit_incident = {
        a.unit_id: next((i.ref for i in incidents if i.pk == a.incident_id), "")
        for a in assignments
    }
    rows = [incident_row(i, by_incident.get(i.pk, []), offered.get(i.pk)) for i in incidents]
    rows.sort(
        key=lambda r: (not r["waiting"], PRIORITY_RANK.get(r["priority"], 9), r["received_at"])
    )
    waiting_ids = {w.incident_id for w in waiting}
    return {
        "seq": seq,
        "now": timezone.now().isoformat(),
        "incidents": rows,
        "units": [unit_row(u, unit_incident.get(u.pk, "")) for u in units],
        "counts": {
            "open": len(incidents),
            "waiting": len(waiting_ids),
            "no_unit": len(waiting_ids - set(offered)),
            "available": len(free),
            "busy": sum(1 for u in units if u.status in BUSY_UNIT_STATUSES),
            "out_of_service": sum(1 for u in units if u.status == UnitStatus.OUT_OF_SERVICE),
        },
    }


# --- The citizen's status page -------------------------------------------------------------------
def caller_status(*, actor: Any, ref: str) -> dict[str, Any]:
    """What the caller sees: the steps with their times, the unit, its live ETA and the
    destination. No patient data, no other caller."""
    incident = incident_for_caller(actor=actor, ref=ref)
    assignments = list(
        incident.assignments.select_related("unit", "unit__station", "destination").order_by(
            "dispatched_at", "pk"
        )
    )
    active = [a for a in assignments if a.cleared_at is None]
    lead = active[0] if active else (assignments[-1] if assignments else None)
    eta_seconds: int | None = None
    if lead is not None and lead.cleared_at is None and lead.on_scene_at is None:
        ranked = rank_units([snapshot_of(lead.unit)], target_of(incident))
        if ranked and ranked[0].eta_seconds is not None:
            eta_seconds = ranked[0].eta_seconds
    steps = [
        ("received", incident.received_at),
        ("accepted", incident.accepted_at),
        ("dispatched", incident.dispatched_at),
        ("en_route", incident.en_route_at),
        ("on_scene", incident.on_scene_at),
        ("transporting", incident.transporting_at),
        ("at_facility", incident.at_facility_at),
        ("closed", incident.closed_at),
    ]
    return {
        "ref": incident.ref,
        "kind": incident.kind,
        "kind_label": str(IncidentKind(incident.kind).label),
        "status": incident.status,
        "status_label": str(IncidentStatus(incident.status).label),
        "is_open": incident.is_open,
        "cancelled_at": _iso(incident.cancelled_at),
        "cancel_reason": incident.cancel_reason,
        "desa_name": incident.desa_name,
        "kecamatan_name": incident.kecamatan_name,
        "steps": [{"key": k, "at": _iso(v)} for k, v in steps],
        "unit": (
            {
                "call_sign": lead.unit.call_sign,
                "capability_label": str(Capability(lead.unit.capability).label),
                "station": lead.unit.station.name,
                "status": lead.unit.status,
                "status_label": str(UnitStatus(lead.unit.status).label),
                "lat": lead.unit.position[0],
                "lng": lead.unit.position[1],
            }
            if lead is not None
            else None
        ),
        "eta_seconds": eta_seconds,
        "eta_fixed": bool(lead and lead.eta_fixed),
        "destination": lead.destination.name if lead and lead.destination else "",
        "details_given": bool(incident.details_encrypted or incident.patients_count is not None),
        "version": incident.version,
        "seq": latest_seq(),
    }


# --- Figures -------------------------------------------------------------------------------------
def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    # Nearest-rank on the sorted values (no interpolation past the data).
    index = max(0, min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1))
    return ordered[index]


@dataclass(frozen=True)
class ResponseFigure:
    key: str  # kecamatan code or "YYYY-MM"
    label: str
    calls: int  # incidents with a crew on scene
    median_s: float
    p90_s: float


def _response_rows(
    *, kind: str | None, since: dt.datetime
) -> list[tuple[str, str, dt.datetime, int | None]]:
    qs = Incident.objects.filter(response_seconds__isnull=False, received_at__gte=since)
    if kind:
        qs = qs.filter(kind=kind)
    return list(
        qs.values_list("kecamatan_code", "kecamatan_name", "received_at", "response_seconds")
    )


def _figures(groups: dict[tuple[str, str], list[float]]) -> list[ResponseFigure]:
    return [
        ResponseFigure(key, label, len(v), float(statistics.median(v)), float(_p90(v)))
        for (key, label), v in sorted(groups.items())
        if v
    ]


def response_by_kecamatan(*, kind: str | None = None, days: int = 365) -> list[ResponseFigure]:
    """Median and 90th percentile of call → first crew on scene, per kecamatan."""
    since = timezone.now() - dt.timedelta(days=days)
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for code, name, _received, seconds in _response_rows(kind=kind, since=since):
        groups[(code, name)].append(float(seconds or 0))
    return _figures(groups)


def response_by_month(*, kind: str | None = None, months: int = 12) -> list[ResponseFigure]:
    since = timezone.now() - dt.timedelta(days=31 * months)
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _code, _name, received, seconds in _response_rows(kind=kind, since=since):
        month = received.astimezone(WIB).strftime("%Y-%m")
        groups[(month, month)].append(float(seconds or 0))
    return _figures(groups)


def response_overall(*, kind: str | None = None, days: int = 30) -> ResponseFigure | None:
    since = timezone.now() - dt.timedelta(days=days)
    values = [float(r[3] or 0) for r in _response_rows(kind=kind, since=since)]
    if not values:
        return None
    return ResponseFigure("all", "", len(values), float(statistics.median(values)), _p90(values))


def calls_per_day(*, days: int = 30) -> list[tuple[dt.date, int]]:
    since = timezone.now() - dt.timedelta(days=days)
    counts: dict[dt.date, int] = defaultdict(int)
    for received in Incident.objects.filter(received_at__gte=since).values_list(
        "received_at", flat=True
    ):
        counts[received.astimezone(WIB).date()] += 1
    today = timezone.now().astimezone(WIB).date()
    return [
        (today - dt.timedelta(days=n), counts.get(today - dt.timedelta(days=n), 0))
        for n in range(days - 1, -1, -1)
    ]


def unit_utilisation(*, days: int = 7) -> list[tuple[str, str, float]]:
    """Share of the last `days` each in-service unit spent on jobs (dispatch → clear), as
    (call sign, capability, share 0–1)."""
    now = timezone.now()
    start = now - dt.timedelta(days=days)
    window = (now - start).total_seconds()
    busy: dict[int, float] = defaultdict(float)
    for unit_id, begun, ended in Assignment.objects.filter(
        Q(cleared_at__isnull=True) | Q(cleared_at__gte=start), dispatched_at__lte=now
    ).values_list("unit_id", "dispatched_at", "cleared_at"):
        a = max(begun, start)
        b = min(ended or now, now)
        if b > a:
            busy[unit_id] += (b - a).total_seconds()
    return [
        (u.call_sign, u.capability, round(min(1.0, busy.get(u.pk, 0.0) / window), 4))
        for u in Unit.objects.order_by("call_sign").only("pk", "call_sign", "capability")
    ]


def waiting_without_unit() -> int:
    """Accepted incidents with no unit on them right now (they queue; the board alarms)."""
    # By construction a waiting incident has no open assignment (dispatching moves it on,
    # releasing the last unit moves it back).
    return Incident.objects.filter(status__in=sorted(WAITING_STATUSES)).count()


def incidents_for_ids(ids: Iterable[int]) -> list[Incident]:
    return list(Incident.objects.filter(pk__in=list(ids)))


# --- Reads of the API (/api/v1/emergency) --------------------------------------------------------
def calls_of(*, actor: Any) -> QuerySet[Incident]:
    """A citizen's own calls, newest first (a queryset, for paginated lists)."""
    if not _authed(actor):
        return Incident.objects.none()
    return Incident.objects.filter(caller=actor).order_by("-received_at", "-pk")


def units_with_jobs(*, actor: Any, crew_only: bool = False) -> list[tuple[Unit, Assignment | None]]:
    """The units the actor may see (`unit_list`; with `crew_only` the units they crew), each
    with its current assignment (incident and destination joined). Two queries."""
    units = crew_units(actor=actor) if crew_only else list(unit_list(actor=actor))
    jobs = {
        a.unit_id: a
        for a in Assignment.objects.filter(
            unit_id__in=[u.pk for u in units], cleared_at__isnull=True
        ).select_related("incident", "destination")
    }
    return [(u, jobs.get(u.pk)) for u in units]


# --- Fleet forms (appended for the fleet pages) --------------------------------------------------
def station_code_taken(*, code: str) -> bool:
    """Whether any station (in anyone's scope) has this code: `services.station_save` keys on
    the code, so a new station must not reuse one."""
    return Station.objects.filter(code=code.strip().lower()).exists()


def unit_call_sign_taken(*, call_sign: str) -> bool:
    """Whether any unit has this call sign (`services.unit_save` keys on it)."""
    return Unit.objects.filter(call_sign=call_sign.strip().upper()).exists()


# --- The desk's history and the call-taker's "earlier calls" -------------------------------------
def incident_history(
    *,
    actor: Any,
    search: str = "",
    status: str = "",
    kind: str = "",
    open_only: bool = False,
    phone: str = "",
    desa_code: str = "",
) -> QuerySet[Incident]:
    """The desk's search over every incident (`incident_list`), also by exact (normalised)
    phone number and desa code; newest first."""
    qs = incident_list(actor=actor, status=status, kind=kind, open_only=open_only, search=search)
    if phone:
        qs = qs.filter(caller_phone=phone)
    if desa_code:
        qs = qs.filter(desa_code=desa_code)
    return qs


def earlier_calls(
    *, actor: Any, phone: str = "", desa_code: str = "", limit: int = 10
) -> list[Incident]:
    """Calls of the last 30 days from a (normalised) phone number or in a desa, newest first:
    what the call-taker sees while the caller is still talking. One query."""
    if not is_desk(actor) or not (phone or desa_code):
        return []
    parts = Q(pk=None)
    if phone:
        parts |= Q(caller_phone=phone)
    if desa_code:
        parts |= Q(desa_code=desa_code)
    since = timezone.now() - dt.timedelta(days=RELATED_DAYS)
    return list(
        Incident.objects.filter(parts, received_at__gte=since).order_by("-received_at", "-pk")[
            :limit
        ]
    )


def incident_assignments(*, actor: Any, incident: Incident) -> list[Assignment]:
    """Every unit sent to an incident (open and cleared), with the unit, its station and the
    destination facility, in dispatch order: the desk's incident page. One query."""
    if not is_desk(actor):
        return []
    return list(
        Assignment.objects.filter(incident=incident)
        .select_related("unit", "unit__station", "destination")
        .order_by("dispatched_at", "pk")
    )


def fire_incidents_near(
    *,
    min_lat: float,
    max_lat: float,
    min_lng: float,
    max_lng: float,
    since: dt.datetime,
    until: dt.datetime,
) -> list[dict[str, Any]]:
    """Fire incidents received in a time range inside a box (for linking satellite events;
    system use, no actor): ref, lat, lng, received_at."""
    rows = (
        Incident.objects.filter(
            kind=IncidentKind.FIRE,
            received_at__gte=since,
            received_at__lte=until,
            lat__gte=min_lat,
            lat__lte=max_lat,
            lng__gte=min_lng,
            lng__lte=max_lng,
        )
        .exclude(status=IncidentStatus.CANCELLED)
        .order_by("received_at", "pk")
        .values("ref", "lat", "lng", "received_at")
    )
    return [dict(r) for r in rows]
