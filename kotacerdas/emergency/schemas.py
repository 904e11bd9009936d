"""Shapes of /api/v1/emergency: what each audience receives and what each sends.

Audiences: the caller (their call's progress: never the phone number, never another caller,
never patient data), the desk (everything about an incident except health data, which only the
audited patients endpoint returns), the crew (their units and current jobs, without the
caller's number). Builders here turn rows and the selectors' dicts into those shapes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

from . import selectors
from .models import (
    UNIT_TRANSITIONS,
    Assignment,
    Capability,
    ChiefComplaint,
    Incident,
    IncidentKind,
    IncidentStatus,
    Priority,
    Unit,
    UnitStatus,
)

# JSON may carry NaN and Infinity; a coordinate never is one.
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value else ""


def _field(obj: Any, name: str) -> Any:
    # Resolvers see a model row, or the fields of one when a detail is built from a row's dict.
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


# --- The caller ----------------------------------------------------------------------------------
class StepOut(Schema):
    key: str = Field(
        description="received, accepted, dispatched, en_route, on_scene, transporting, "
        "at_facility, closed"
    )
    at: dt.datetime | None


class CallerUnitOut(Schema):
    call_sign: str
    capability_label: str
    station: str
    status: str
    status_label: str
    lat: float
    lng: float


class CallStatusOut(Schema):
    """A call as its caller follows it (GET /calls/{ref}, and the answer of every caller's
    action)."""

    ref: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    is_open: bool
    cancelled_at: dt.datetime | None
    cancel_reason: str
    desa_name: str
    kecamatan_name: str
    steps: list[StepOut]
    unit: CallerUnitOut | None = Field(description="The unit on the way (or the last one).")
    eta_seconds: int | None = Field(description="Live estimate until the unit is on scene.")
    eta_fixed: bool = Field(description="The estimate is a fixed access time (river), not road.")
    destination: str = Field(description="The health facility the patient is taken to.")
    details_given: bool
    version: int
    seq: int = Field(description="The change feed's position when this was read.")


class MyCallOut(Schema):
    """One of the caller's own calls (GET /calls)."""

    ref: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    is_open: bool
    desa_name: str
    kecamatan_name: str
    received_at: dt.datetime
    closed_at: dt.datetime | None
    cancelled_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(IncidentKind, _field(obj, "kind"))

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return _label(IncidentStatus, _field(obj, "status"))


# --- The desk ------------------------------------------------------------------------------------
class IncidentRowOut(Schema):
    """An incident in the desk's list: no health data."""

    ref: str
    kind: str
    kind_label: str
    priority: str
    priority_label: str
    status: str
    status_label: str
    need: str
    need_label: str
    source: str
    chief_complaint: str
    complaint_label: str
    caller_phone: str
    caller_name: str
    desa_code: str
    desa_name: str
    kecamatan_code: str
    kecamatan_name: str
    address: str
    lat: float
    lng: float
    location_approximate: bool
    patients_count: int | None
    conscious: bool | None
    breathing: bool | None
    is_open: bool
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    closed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    response_seconds: int | None = Field(description="Call to first crew on scene.")
    version: int = Field(description="Send it back with a desk action (409 if stale).")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(IncidentKind, _field(obj, "kind"))

    @staticmethod
    def resolve_priority_label(obj: Any) -> str:
        return _label(Priority, _field(obj, "priority"))

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return _label(IncidentStatus, _field(obj, "status"))

    @staticmethod
    def resolve_need_label(obj: Any) -> str:
        return _label(Capability, _field(obj, "need"))

    @staticmethod
    def resolve_complaint_label(obj: Any) -> str:
        return _label(ChiefComplaint, _field(obj, "chief_complaint"))


class FacilityRefOut(Schema):
    id: int
    name: str


class AssignmentOut(Schema):
    id: int
    unit_id: int
    call_sign: str
    capability: str
    unit_status: str
    unit_status_label: str
    destination: FacilityRefOut | None
    eta_seconds: int | None = Field(description="The estimate at dispatch time.")
    eta_fixed: bool
    dispatched_at: dt.datetime
    acknowledged_at: dt.datetime | None
    en_route_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    transporting_at: dt.datetime | None
    at_facility_at: dt.datetime | None
    cleared_at: dt.datetime | None
    released_reason: str
    is_open: bool


class RelatedCallOut(Schema):
    """An earlier call from the same number or within 200 m (last 30 days)."""

    ref: str
    kind: str
    status: str
    status_label: str
    received_at: dt.datetime
    desa_name: str
    same_phone: bool


class IncidentDetailOut(IncidentRowOut):
    en_route_at: dt.datetime | None
    transporting_at: dt.datetime | None
    at_facility_at: dt.datetime | None
    cancel_reason: str
    details_given: bool = Field(
        description="The caller described what happened (read it at /patients)."
    )
    assignments: list[AssignmentOut]
    related: list[RelatedCallOut]


def assignment_out(a: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=a.pk,
        unit_id=a.unit_id,
        call_sign=a.unit.call_sign,
        capability=a.unit.capability,
        unit_status=a.unit.status,
        unit_status_label=_label(UnitStatus, a.unit.status),
        destination=(
            FacilityRefOut(id=a.destination.pk, name=a.destination.name)
            if a.destination is not None
            else None
        ),
        eta_seconds=a.eta_seconds,
        eta_fixed=a.eta_fixed,
        dispatched_at=a.dispatched_at,
        acknowledged_at=a.acknowledged_at,
        en_route_at=a.en_route_at,
        on_scene_at=a.on_scene_at,
        transporting_at=a.transporting_at,
        at_facility_at=a.at_facility_at,
        cleared_at=a.cleared_at,
        released_reason=a.released_reason,
        is_open=a.is_open,
    )


def incident_detail(
    incident: Incident, assignments: list[Assignment], related: list[Incident]
) -> IncidentDetailOut:
    base = IncidentRowOut.from_orm(incident).dict()
    return IncidentDetailOut(
        **base,
        en_route_at=incident.en_route_at,
        transporting_at=incident.transporting_at,
        at_facility_at=incident.at_facility_at,
        cancel_reason=incident.cancel_reason,
        details_given=bool(incident.details_encrypted),
        assignments=[assignment_out(a) for a in assignments],
        related=[
            RelatedCallOut(
                ref=r.ref,
                kind=r.kind,
                status=r.status,
                status_label=_label(IncidentStatus, r.status),
                received_at=r.received_at,
                desa_name=r.desa_name,
                same_phone=bool(incident.caller_phone) and r.caller_phone == incident.caller_phone,
            )
            for r in related
        ],
    )


# --- The board -----------------------------------------------------------------------------------
class BoardUnitRefOut(Schema):
    assignment_id: int
    unit_id: int
    call_sign: str
    status: str
    status_label: str
    eta_seconds: int | None
    eta_fixed: bool
    dispatched_at: dt.datetime | None
    destination: str


class OfferOut(Schema):
    """The unit the desk offers a waiting incident (the most urgent incident gets the best)."""

    unit_id: int
    call_sign: str
    eta_seconds: int | None
    fixed: bool
    exact: bool = Field(description="False when the unit is a fallback (no paramedic).")


class BoardIncidentOut(Schema):
    ref: str
    kind: str
    kind_label: str
    priority: str
    priority_label: str
    status: str
    status_label: str
    need: str
    need_label: str
    complaint: str
    complaint_label: str
    source: str
    caller_phone: str
    desa_code: str
    desa_name: str
    kecamatan_name: str
    address: str
    lat: float
    lng: float
    approximate: bool
    patients_count: int | None
    conscious: bool | None
    breathing: bool | None
    received_at: dt.datetime | None
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    waiting: bool = Field(description="Waiting for the desk or for a unit (the board alarms).")
    version: int
    units: list[BoardUnitRefOut]
    offer: OfferOut | None


class BoardUnitOut(Schema):
    id: int
    call_sign: str
    capability: str
    capability_label: str
    status: str
    status_label: str
    status_changed_at: dt.datetime | None
    station: str
    lat: float
    lng: float
    position_at: dt.datetime | None
    incident_ref: str
    out_of_service_reason: str
    version: int


class BoardCountsOut(Schema):
    open: int
    waiting: int
    no_unit: int = Field(description="Waiting incidents no free unit can be offered to.")
    available: int
    busy: int
    out_of_service: int


class BoardOut(Schema):
    seq: int = Field(description="Ask GET /board/changes?since=seq for what changed next.")
    now: dt.datetime
    incidents: list[BoardIncidentOut]
    units: list[BoardUnitOut]
    counts: BoardCountsOut


class ChangesOut(Schema):
    seq: int
    incidents: list[str] = Field(description="Refs of the incidents that changed.")
    units: list[int] = Field(description="Ids of the units that changed.")


# --- Recommendations -----------------------------------------------------------------------------
class RecommendedUnitOut(Schema):
    unit_id: int
    call_sign: str
    capability: str
    capability_label: str
    station: str
    eta_seconds: int | None
    eta_minutes: int | None
    fixed: bool = Field(description="The ETA is the desa's fixed access time (river).")
    exact: bool = Field(description="False when the unit is a fallback (no paramedic).")
    distance_m: float


class RecommendedFacilityOut(Schema):
    id: int
    name: str
    subtype: str
    lat: float | None
    lng: float | None
    eta_seconds: int | None
    distance_m: float


class RecommendationsOut(Schema):
    units: list[RecommendedUnitOut]
    facilities: list[RecommendedFacilityOut]


def recommendations_out(
    units: list[selectors.Recommendation], facilities: list[selectors.FacilityOption]
) -> RecommendationsOut:
    return RecommendationsOut(
        units=[
            RecommendedUnitOut(
                unit_id=r.unit.pk,
                call_sign=r.unit.call_sign,
                capability=r.unit.capability,
                capability_label=_label(Capability, r.unit.capability),
                station=r.unit.station.name,
                eta_seconds=r.ranked.eta_seconds,
                eta_minutes=r.eta_minutes,
                fixed=r.ranked.fixed,
                exact=r.ranked.exact,
                distance_m=round(r.ranked.distance_m, 1),
            )
            for r in units
        ],
        facilities=[
            RecommendedFacilityOut(
                id=o.facility.pk,
                name=o.facility.name,
                subtype=o.facility.subtype,
                lat=o.facility.lat,
                lng=o.facility.lng,
                eta_seconds=o.eta_seconds,
                distance_m=o.distance_m,
            )
            for o in facilities
        ],
    )


# --- Units and crews -----------------------------------------------------------------------------
class StationRefOut(Schema):
    id: int
    code: str
    name: str


class UnitOut(Schema):
    """A unit as the desk and the fleet's managers see it."""

    id: int
    call_sign: str
    capability: str
    capability_label: str
    plate: str
    status: str
    status_label: str
    status_changed_at: dt.datetime | None
    out_of_service_reason: str
    station: StationRefOut
    agency: str = Field(description="The code of the agency running the unit's station.")
    lat: float = Field(description="Last reported position (the station's when never reported).")
    lng: float
    position_at: dt.datetime | None
    incident_ref: str = Field(description="The incident the unit is on, or empty.")
    version: int


def unit_out(unit: Unit, job: Assignment | None) -> UnitOut:
    lat, lng = unit.position
    return UnitOut(
        id=unit.pk,
        call_sign=unit.call_sign,
        capability=unit.capability,
        capability_label=_label(Capability, unit.capability),
        plate=unit.plate,
        status=unit.status,
        status_label=_label(UnitStatus, unit.status),
        status_changed_at=unit.status_changed_at,
        out_of_service_reason=unit.out_of_service_reason,
        station=StationRefOut(id=unit.station.pk, code=unit.station.code, name=unit.station.name),
        agency=unit.station.agency.code,
        lat=lat,
        lng=lng,
        position_at=unit.position_at,
        incident_ref=job.incident.ref if job is not None else "",
        version=unit.version,
    )


class ChoiceOut(Schema):
    value: str
    label: str


class DestinationOut(Schema):
    id: int
    name: str
    lat: float | None
    lng: float | None


class CrewJobOut(Schema):
    """The job a crew is on: where, what, and where to take the patient. The caller's number
    stays with the desk; patient details are at GET /incidents/{ref}/patients (audited)."""

    assignment_id: int
    ref: str
    kind: str
    kind_label: str
    priority: str
    priority_label: str
    status: str
    status_label: str
    need: str
    chief_complaint: str
    complaint_label: str
    address: str
    lat: float
    lng: float
    location_approximate: bool
    desa_name: str
    kecamatan_name: str
    patients_count: int | None
    conscious: bool | None
    breathing: bool | None
    destination: DestinationOut | None
    eta_seconds: int | None
    eta_fixed: bool
    dispatched_at: dt.datetime
    acknowledged_at: dt.datetime | None
    en_route_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    transporting_at: dt.datetime | None
    at_facility_at: dt.datetime | None


class CrewUnitOut(Schema):
    id: int
    call_sign: str
    capability: str
    capability_label: str
    status: str
    status_label: str
    status_changed_at: dt.datetime | None
    station: str
    lat: float
    lng: float
    position_at: dt.datetime | None
    version: int = Field(description="Send it back with a status change (409 if stale).")
    next_statuses: list[ChoiceOut] = Field(description="The steps the crew may take now.")
    job: CrewJobOut | None


def crew_job_out(a: Assignment) -> CrewJobOut:
    i = a.incident
    d = a.destination
    return CrewJobOut(
        assignment_id=a.pk,
        ref=i.ref,
        kind=i.kind,
        kind_label=_label(IncidentKind, i.kind),
        priority=i.priority,
        priority_label=_label(Priority, i.priority),
        status=i.status,
        status_label=_label(IncidentStatus, i.status),
        need=i.need,
        chief_complaint=i.chief_complaint,
        complaint_label=_label(ChiefComplaint, i.chief_complaint),
        address=i.address,
        lat=i.lat,
        lng=i.lng,
        location_approximate=i.location_approximate,
        desa_name=i.desa_name,
        kecamatan_name=i.kecamatan_name,
        patients_count=i.patients_count,
        conscious=i.conscious,
        breathing=i.breathing,
        destination=(
            DestinationOut(id=d.pk, name=d.name, lat=d.lat, lng=d.lng) if d is not None else None
        ),
        eta_seconds=a.eta_seconds,
        eta_fixed=a.eta_fixed,
        dispatched_at=a.dispatched_at,
        acknowledged_at=a.acknowledged_at,
        en_route_at=a.en_route_at,
        on_scene_at=a.on_scene_at,
        transporting_at=a.transporting_at,
        at_facility_at=a.at_facility_at,
    )


def crew_unit_out(unit: Unit, job: Assignment | None) -> CrewUnitOut:
    lat, lng = unit.position
    return CrewUnitOut(
        id=unit.pk,
        call_sign=unit.call_sign,
        capability=unit.capability,
        capability_label=_label(Capability, unit.capability),
        status=unit.status,
        status_label=_label(UnitStatus, unit.status),
        status_changed_at=unit.status_changed_at,
        station=unit.station.name,
        lat=lat,
        lng=lng,
        position_at=unit.position_at,
        version=unit.version,
        next_statuses=[
            ChoiceOut(value=s, label=_label(UnitStatus, s))
            for s in sorted(UNIT_TRANSITIONS.get(unit.status, frozenset()), key=_step_order)
        ]
        if job is not None
        else [],
        job=crew_job_out(job) if job is not None else None,
    )


def _step_order(status: str) -> int:
    # Transporting before clearing from the scene: the usual step first.
    return list(UnitStatus.values).index(status)


class PositionOut(Schema):
    id: int
    call_sign: str
    lat: float
    lng: float
    position_at: dt.datetime | None


# --- Patients (health data: the audited endpoint only) -------------------------------------------
class PatientOut(Schema):
    id: int
    name: str
    nik: str = Field(description="In full for the desk; masked (6202********0001) for the crew.")
    age_years: int | None
    sex: str = Field(description='"L", "P" or empty')
    condition: str


class PatientsOut(Schema):
    ref: str
    details: str = Field(description="What happened, in the caller's words.")
    patients: list[PatientOut]


class PatientSavedOut(Schema):
    id: int
    ref: str
    created: bool


def mask_nik(nik: str) -> str:
    return f"{nik[:4]}********{nik[-4:]}" if len(nik) == 16 else "*" * len(nik)


# --- Figures -------------------------------------------------------------------------------------
class ResponseFigureOut(Schema):
    key: str = Field(description="The kecamatan code, or the month as YYYY-MM.")
    label: str
    calls: int = Field(description="Incidents with a crew on scene.")
    median_s: float
    p90_s: float


class DayCountOut(Schema):
    date: dt.date
    calls: int


class UtilisationOut(Schema):
    call_sign: str
    capability: str
    share: float = Field(description="Share of the last 7 days on jobs (0 to 1).")


class FiguresOut(Schema):
    """Response time is call received -> first crew on scene, in seconds."""

    kind: str
    overall_30_days: ResponseFigureOut | None
    by_kecamatan: list[ResponseFigureOut] = Field(description="The last 365 days.")
    by_month: list[ResponseFigureOut] = Field(description="The last 12 months (WIB).")
    calls_per_day: list[DayCountOut] = Field(description="The last 30 days (WIB), every kind.")
    utilisation: list[UtilisationOut]
    waiting_without_unit: int = Field(description="Incidents waiting for a unit right now.")


def figure_out(f: selectors.ResponseFigure) -> ResponseFigureOut:
    return ResponseFigureOut(
        key=f.key, label=f.label, calls=f.calls, median_s=f.median_s, p90_s=f.p90_s
    )


# --- Inputs --------------------------------------------------------------------------------------
class CallIn(Schema):
    """The portal's one-tap call: where and a phone, details later."""

    kind: str = Field(..., description="medis, kebakaran or penyelamatan")
    lat: Coordinate | None = None
    lng: Coordinate | None = None
    phone: str = Field("", max_length=40, description="Defaults to the account's phone number.")
    idempotency_key: str = Field(
        ...,
        max_length=64,
        description="A UUID the app makes once per tap: retries with it return the same call.",
    )


class CallDetailsIn(Schema):
    details: str = Field("", description="What happened (health data: only the desk reads it).")
    patients_count: int | None = None
    conscious: bool | None = None
    breathing: bool | None = None
    address: str = Field("", description="A landmark near the place.")


class ReasonIn(Schema):
    reason: str


class RecordCallIn(Schema):
    """A phone call recorded by a call-taker: a point or a desa."""

    kind: str = Field(..., description="medis, kebakaran or penyelamatan")
    priority: str = Field(..., description="merah, kuning or hijau")
    chief_complaint: str
    caller_phone: str = Field(..., max_length=40)
    caller_name: str = ""
    lat: Coordinate | None = None
    lng: Coordinate | None = None
    desa_code: str = Field("", max_length=20, description="When only the desa is known.")
    address: str = ""
    details: str = ""
    patients_count: int | None = None
    conscious: bool | None = None
    breathing: bool | None = None
    need: str = Field("", description="The capability needed; derived from the call if empty.")


class TriageIn(Schema):
    """Fields left out keep their value. The first triage of an app call accepts it."""

    version: int | None = Field(None, description="The incident's version as you read it.")
    priority: str | None = None
    chief_complaint: str | None = None
    need: str | None = None
    address: str | None = None
    details: str | None = None
    patients_count: int | None = None
    conscious: bool | None = None
    breathing: bool | None = None
    lat: Coordinate | None = None
    lng: Coordinate | None = None
    desa_code: str = Field("", max_length=20)


class DispatchIn(Schema):
    unit_id: int
    destination_id: int | None = Field(
        None, description="A health facility; the recommended one for a medical call if empty."
    )
    version: int | None = None


class CloseIn(Schema):
    note: str = ""


class PatientIn(Schema):
    patient_id: int | None = Field(None, description="To correct a patient already recorded.")
    name: str = ""
    nik: str = Field("", max_length=40)
    age_years: int | None = None
    sex: str = Field("", description='"L", "P" or empty')
    condition: str = ""


class ServiceIn(Schema):
    in_service: bool
    reason: str = Field("", description="Required when taking a unit out of service.")


class StatusIn(Schema):
    status: str = Field(..., description="The next status (see next_statuses).")
    version: int | None = Field(None, description="The unit's version as you read it.")


class PositionIn(Schema):
    lat: Coordinate
    lng: Coordinate
    accuracy_m: float | None = Field(None, allow_inf_nan=False)


class IncidentFilterQuery(Schema):
    status: str = Field("", description="An incident status")
    kind: str = Field("", description="medis, kebakaran or penyelamatan")
    open: bool = Field(False, description="Only open incidents")
    search: str = Field("", max_length=100, description="A ref, a phone number or a desa name")


class ChangesQuery(Schema):
    since: int = Field(0, ge=0, description="The `seq` of the board or changes you last read.")


class FiguresQuery(Schema):
    kind: str = Field("", description="Response times of one kind only (medis, kebakaran...)")
