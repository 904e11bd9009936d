"""/api/v1/emergency: the 119 desk from the API, the same services as the pages.

- The caller: `POST /calls` (one tap: where and a phone, 201; a retry with the same
  `idempotency_key`, or a second call of the same kind within the duplicate window, answers 200
  with the same call), details, cancel, and the call's live status.
- The desk (`emergency.desk`): the board and its change feed, phone calls, triage,
  recommendations, dispatch, cancel, close, releasing a unit, units in and out of service, and
  the patients (health data, every read audited; also for the crew on the incident).
- The crew (`emergency.crew`): their units with the current job, the next status, the position.
- Figures (`emergency.view_performance`): response times, calls, utilisation, waiting.

Thin: check the capability (403), call a selector or a service, shape the answer. What is out of
one's scope is a 404 like something missing; ServiceError is rendered as {"error": {"code",
"message", "fields"}}. Desk actions take the `version` they read (409
`emergency.incident.conflict` when someone else was faster).
"""

# No `from __future__ import annotations` here: ninja reads the Query[...] parameter types at
# import time.
import re
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from kotacerdas.accounts.api_auth import API_AUTH
from kotacerdas.core.api_support import ERROR_RESPONSES, Pagination, api_actor, api_actor_holding
from kotacerdas.core.errors import ValidationFailed

from . import policy, selectors, services
from .models import IncidentKind, IncidentStatus
from .schemas import (
    BoardOut,
    CallDetailsIn,
    CallIn,
    CallStatusOut,
    ChangesOut,
    ChangesQuery,
    CloseIn,
    CrewUnitOut,
    DayCountOut,
    DispatchIn,
    FiguresOut,
    FiguresQuery,
    IncidentDetailOut,
    IncidentFilterQuery,
    IncidentRowOut,
    MyCallOut,
    PatientIn,
    PatientOut,
    PatientSavedOut,
    PatientsOut,
    PositionIn,
    PositionOut,
    ReasonIn,
    RecommendationsOut,
    RecordCallIn,
    ServiceIn,
    StatusIn,
    TriageIn,
    UnitOut,
    UtilisationOut,
    crew_unit_out,
    figure_out,
    incident_detail,
    mask_nik,
    recommendations_out,
    unit_out,
)

router = Router(auth=API_AUTH)
_PHONE_LIKE = re.compile(r"\+?[\d\s\-().]{6,20}")
ERRORS = ERROR_RESPONSES


def _choice_filter(value: str, choices: Any, field: str) -> str:
    if value and value not in choices.values:
        text = _("Choose one of the allowed values.")
        raise ValidationFailed(text, code="emergency.filter.invalid", fields={field: [text]})
    return value


def _search_term(value: str) -> str:
    """Phone numbers are stored as 628…: a number typed as 0812-… is searched in that form."""
    term = value.strip()
    if _PHONE_LIKE.fullmatch(term):
        try:
            return services.clean_phone(term, required=False)
        except ValidationFailed:
            return term
    return term


def _incident(actor: Any, ref: str) -> IncidentDetailOut:
    incident = selectors.incident_for_desk(actor=actor, ref=ref)
    return incident_detail(
        incident,
        selectors.incident_assignments(actor=actor, incident=incident),
        selectors.related_calls(actor=actor, incident=incident),
    )


def _call_status(actor: Any, ref: str) -> CallStatusOut:
    return CallStatusOut(**selectors.caller_status(actor=actor, ref=ref))


# --- The caller ----------------------------------------------------------------------------------
@router.post("/calls", response={201: CallStatusOut, 200: CallStatusOut, **ERRORS})
def call_create(request: HttpRequest, payload: CallIn) -> Status:
    """ "Panggil ambulans" / "Lapor kebakaran": 201 with the new call, or 200 with the call
    already made (the same `idempotency_key`, or the same kind within the duplicate window)."""
    actor = api_actor(request)
    incident, created = services.incident_call(
        actor=actor,
        kind=payload.kind,
        lat=payload.lat,
        lng=payload.lng,
        phone=payload.phone,
        idempotency_key=payload.idempotency_key,
    )
    return Status(201 if created else 200, _call_status(actor, incident.ref))


@router.get("/calls", response={200: list[MyCallOut], **ERRORS})
@paginate(Pagination)
def call_list(request: HttpRequest) -> Any:
    """The caller's own calls, newest first."""
    return selectors.calls_of(actor=api_actor(request))


@router.get("/calls/{ref}", response={200: CallStatusOut, **ERRORS})
def call_get(request: HttpRequest, ref: str) -> CallStatusOut:
    """The call's progress: each step's time, the unit and its live ETA, the destination."""
    return _call_status(api_actor(request), ref)


@router.post("/calls/{ref}/details", response={200: CallStatusOut, **ERRORS})
def call_details(request: HttpRequest, ref: str, payload: CallDetailsIn) -> CallStatusOut:
    """What happened, how many patients, conscious / breathing (not conscious or not breathing
    makes the call red)."""
    actor = api_actor(request)
    services.incident_add_details(
        actor=actor,
        ref=ref,
        details=payload.details,
        patients_count=payload.patients_count,
        conscious=payload.conscious,
        breathing=payload.breathing,
        address=payload.address,
    )
    return _call_status(actor, ref)


@router.post("/calls/{ref}/cancel", response={200: CallStatusOut, **ERRORS})
def call_cancel(request: HttpRequest, ref: str, payload: ReasonIn) -> CallStatusOut:
    """The caller cancels (before a crew is on scene) with a reason."""
    actor = api_actor(request)
    selectors.incident_for_caller(actor=actor, ref=ref)  # the caller's own call only
    services.incident_cancel(actor=actor, ref=ref, reason=payload.reason)
    return _call_status(actor, ref)


# --- The desk: board -----------------------------------------------------------------------------
@router.get("/board", response={200: BoardOut, **ERRORS})
def board(request: HttpRequest) -> Any:
    """Open incidents (waiting ones first, by priority) with their units and the unit offered
    to each waiting one; every unit; counts."""
    actor = api_actor_holding(request, policy.DESK)
    return selectors.board_state(actor=actor)


@router.get("/board/changes", response={200: ChangesOut, **ERRORS})
def board_changes(request: HttpRequest, query: Query[ChangesQuery]) -> ChangesOut:
    """What changed after `since` (the polling fallback of the board's event stream)."""
    api_actor_holding(request, policy.DESK)
    seq, incident_ids, unit_ids = selectors.changes_since(since=query.since)
    refs = sorted(i.ref for i in selectors.incidents_for_ids(incident_ids)) if incident_ids else []
    return ChangesOut(seq=seq, incidents=refs, units=sorted(unit_ids))


# --- The desk: incidents -------------------------------------------------------------------------
@router.post("/incidents", response={201: IncidentDetailOut, **ERRORS})
def incident_record(request: HttpRequest, payload: RecordCallIn) -> Status:
    """A phone call recorded by a call-taker: accepted and triaged at once."""
    actor = api_actor_holding(request, policy.DESK)
    incident = services.incident_record_call(
        actor=actor,
        kind=payload.kind,
        priority=payload.priority,
        chief_complaint=payload.chief_complaint,
        caller_phone=payload.caller_phone,
        caller_name=payload.caller_name,
        lat=payload.lat,
        lng=payload.lng,
        desa_code=payload.desa_code,
        address=payload.address,
        details=payload.details,
        patients_count=payload.patients_count,
        conscious=payload.conscious,
        breathing=payload.breathing,
        need=payload.need,
    )
    return Status(201, _incident(actor, incident.ref))


@router.get("/incidents", response={200: list[IncidentRowOut], **ERRORS})
@paginate(Pagination)
def incident_list(request: HttpRequest, filters: Query[IncidentFilterQuery]) -> Any:
    """Every incident of the regency, newest first."""
    actor = api_actor_holding(request, policy.DESK)
    return selectors.incident_list(
        actor=actor,
        status=_choice_filter(filters.status, IncidentStatus, "status"),
        kind=_choice_filter(filters.kind, IncidentKind, "kind"),
        open_only=filters.open,
        search=_search_term(filters.search),
    )


@router.get("/incidents/{ref}", response={200: IncidentDetailOut, **ERRORS})
def incident_get(request: HttpRequest, ref: str) -> IncidentDetailOut:
    """One incident with every unit sent and earlier calls from the same number or place."""
    return _incident(api_actor_holding(request, policy.DESK), ref)


@router.post("/incidents/{ref}/triage", response={200: IncidentDetailOut, **ERRORS})
def incident_triage(request: HttpRequest, ref: str, payload: TriageIn) -> IncidentDetailOut:
    """Accept an app call and triage it, or correct the triage of an open incident."""
    actor = api_actor_holding(request, policy.DESK)
    services.incident_triage(
        actor=actor,
        ref=ref,
        version=payload.version,
        priority=payload.priority,
        chief_complaint=payload.chief_complaint,
        need=payload.need,
        address=payload.address,
        details=payload.details,
        patients_count=payload.patients_count,
        conscious=payload.conscious,
        breathing=payload.breathing,
        lat=payload.lat,
        lng=payload.lng,
        desa_code=payload.desa_code,
    )
    return _incident(actor, ref)


@router.get("/incidents/{ref}/recommendations", response={200: RecommendationsOut, **ERRORS})
def incident_recommendations(request: HttpRequest, ref: str) -> RecommendationsOut:
    """Free units ranked by estimated travel time (with the capability the call needs), and
    the facilities that can take the patient, nearest first."""
    actor = api_actor_holding(request, policy.DESK)
    incident = selectors.incident_for_desk(actor=actor, ref=ref)
    return recommendations_out(
        selectors.recommend_units(incident=incident),
        selectors.recommend_facilities(incident=incident),
    )


@router.post("/incidents/{ref}/dispatch", response={200: IncidentDetailOut, **ERRORS})
def incident_dispatch(request: HttpRequest, ref: str, payload: DispatchIn) -> IncidentDetailOut:
    """Send a unit (409 `emergency.unit.busy` when someone sent it first)."""
    actor = api_actor_holding(request, policy.DESK)
    services.incident_dispatch(
        actor=actor,
        ref=ref,
        unit_id=payload.unit_id,
        destination_id=payload.destination_id,
        version=payload.version,
    )
    return _incident(actor, ref)


@router.post("/incidents/{ref}/cancel", response={200: IncidentDetailOut, **ERRORS})
def incident_cancel(request: HttpRequest, ref: str, payload: ReasonIn) -> IncidentDetailOut:
    """Cancel with a reason; units on it are released."""
    actor = api_actor_holding(request, policy.DESK)
    services.incident_cancel(actor=actor, ref=ref, reason=payload.reason)
    return _incident(actor, ref)


@router.post("/incidents/{ref}/close", response={200: IncidentDetailOut, **ERRORS})
def incident_close(request: HttpRequest, ref: str, payload: CloseIn) -> IncidentDetailOut:
    """Close an incident no unit is on (advice by phone, handled by others)."""
    actor = api_actor_holding(request, policy.DESK)
    services.incident_close(actor=actor, ref=ref, note=payload.note)
    return _incident(actor, ref)


@router.post("/assignments/{assignment_id}/release", response={200: IncidentDetailOut, **ERRORS})
def assignment_release(
    request: HttpRequest, assignment_id: int, payload: ReasonIn
) -> IncidentDetailOut:
    """Recall a unit that has not reached the scene; the incident waits again if no other unit
    is on it."""
    actor = api_actor_holding(request, policy.DESK)
    assignment = services.assignment_release(
        actor=actor, assignment_id=assignment_id, reason=payload.reason
    )
    return _incident(actor, assignment.incident.ref)


# --- Patients (health data) ----------------------------------------------------------------------
@router.get("/incidents/{ref}/patients", response={200: PatientsOut, **ERRORS})
def patient_list(request: HttpRequest, ref: str) -> PatientsOut:
    """The caller's words and the patients: the desk, and the crew of a unit on the incident.
    Every read is audited. The NIK is masked for the crew."""
    actor = api_actor_holding(request, policy.VIEW_PATIENT, policy.CREW)
    patients = services.patients_read(actor=actor, ref=ref)
    details = services.incident_details_read(actor=actor, ref=ref)
    full_nik = actor.has_perm(policy.VIEW_PATIENT)
    return PatientsOut(
        ref=ref,
        details=details,
        patients=[
            PatientOut(
                id=p.id,
                name=p.name,
                nik=p.nik if full_nik else mask_nik(p.nik),
                age_years=p.age_years,
                sex=p.sex,
                condition=p.condition,
            )
            for p in patients
        ],
    )


@router.post(
    "/incidents/{ref}/patients", response={201: PatientSavedOut, 200: PatientSavedOut, **ERRORS}
)
def patient_save(request: HttpRequest, ref: str, payload: PatientIn) -> Status:
    """Add a patient (201), or correct one with `patient_id` (200)."""
    actor = api_actor_holding(request, policy.VIEW_PATIENT, policy.CREW)
    patient = services.patient_save(
        actor=actor,
        ref=ref,
        patient_id=payload.patient_id,
        name=payload.name,
        nik=payload.nik,
        age_years=payload.age_years,
        sex=payload.sex,
        condition=payload.condition,
    )
    created = payload.patient_id is None
    return Status(201 if created else 200, PatientSavedOut(id=patient.pk, ref=ref, created=created))


# --- Units ---------------------------------------------------------------------------------------
@router.get("/units", response={200: list[UnitOut], **ERRORS})
def unit_list(request: HttpRequest) -> list[UnitOut]:
    """Every unit for the desk (the fleet's managers: their agency's), with its incident."""
    actor = api_actor_holding(request, policy.DESK, policy.MANAGE_FLEET)
    return [unit_out(u, job) for u, job in selectors.units_with_jobs(actor=actor)]


@router.post("/units/{unit_id}/service", response={200: UnitOut, **ERRORS})
def unit_service(request: HttpRequest, unit_id: int, payload: ServiceIn) -> UnitOut:
    """Take a free unit out of service (with a reason) or back in."""
    actor = api_actor_holding(request, policy.DESK, policy.MANAGE_FLEET)
    unit = services.unit_set_service(
        actor=actor, unit_id=unit_id, in_service=payload.in_service, reason=payload.reason
    )
    return unit_out(unit, None)


@router.get("/crew/units", response={200: list[CrewUnitOut], **ERRORS})
def crew_units(request: HttpRequest) -> list[CrewUnitOut]:
    """The units the caller crews, each with its current job and the steps it may take."""
    actor = api_actor_holding(request, policy.CREW)
    return [
        crew_unit_out(u, job) for u, job in selectors.units_with_jobs(actor=actor, crew_only=True)
    ]


@router.post("/units/{unit_id}/status", response={200: CrewUnitOut, **ERRORS})
def unit_status(request: HttpRequest, unit_id: int, payload: StatusIn) -> CrewUnitOut:
    """The crew's next step (diterima → berangkat → di_lokasi → membawa_pasien →
    tiba_di_faskes → tersedia); skipping is 422 `emergency.unit.step_forbidden`. The desk may
    record a status heard on the radio."""
    actor = api_actor_holding(request, policy.CREW, policy.DESK)
    unit = services.unit_step(
        actor=actor, unit_id=unit_id, status=payload.status, version=payload.version
    )
    return crew_unit_out(unit, selectors.current_assignment(unit=unit))


@router.post("/units/{unit_id}/position", response={200: PositionOut, **ERRORS})
def unit_position(request: HttpRequest, unit_id: int, payload: PositionIn) -> PositionOut:
    """The crew phone's position (every few seconds while on a job)."""
    actor = api_actor_holding(request, policy.CREW, policy.DESK)
    unit = services.unit_report_position(
        actor=actor,
        unit_id=unit_id,
        lat=payload.lat,
        lng=payload.lng,
        accuracy_m=payload.accuracy_m,
    )
    lat, lng = unit.position
    return PositionOut(
        id=unit.pk, call_sign=unit.call_sign, lat=lat, lng=lng, position_at=unit.position_at
    )


# --- Figures -------------------------------------------------------------------------------------
@router.get("/figures", response={200: FiguresOut, **ERRORS})
def figures(request: HttpRequest, query: Query[FiguresQuery]) -> FiguresOut:
    """Response times (median and 90th percentile, call → first crew on scene) by kecamatan
    and month, calls per day, unit utilisation and incidents waiting with no unit."""
    api_actor_holding(request, policy.VIEW_PERFORMANCE)
    kind = _choice_filter(query.kind, IncidentKind, "kind") or None
    overall = selectors.response_overall(kind=kind, days=30)
    return FiguresOut(
        kind=kind or "",
        overall_30_days=figure_out(overall) if overall else None,
        by_kecamatan=[figure_out(f) for f in selectors.response_by_kecamatan(kind=kind)],
        by_month=[figure_out(f) for f in selectors.response_by_month(kind=kind)],
        calls_per_day=[DayCountOut(date=d, calls=n) for d, n in selectors.calls_per_day(days=30)],
        utilisation=[
            UtilisationOut(call_sign=c, capability=cap, share=share)
            for c, cap, share in selectors.unit_utilisation(days=7)
        ],
        waiting_without_unit=selectors.waiting_without_unit(),
    )
