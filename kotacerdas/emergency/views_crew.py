"""The crew's phone page (/kantor/awak/): the unit's current job, one big button for the next
status, the patients, and the position the phone shares while the page is open.

Crew only (`policy.CREW`, and named in `Unit.crew`): another unit is a 404, and the desk uses
its own board. Thin: selectors to read, services to write; a step is a plain form POST so it
works without JavaScript, and static/src/emergency-crew.js adds the position, the poll for a
new job and the alarm."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kotacerdas.accounts.decorators import staff_view
from kotacerdas.accounts.nik import mask as mask_nik
from kotacerdas.core.errors import NotFound, ServiceError, error_response
from kotacerdas.core.forms import apply_service_error

from . import policy, selectors, services
from .forms_fleet import CrewPatientForm
from .models import (
    UNIT_TRANSITIONS,
    Assignment,
    Capability,
    IncidentKind,
    Priority,
    Unit,
    UnitStatus,
)

# The big button's words for each next status. From the scene there are two ways on.
STEP_LABELS: dict[str, Any] = {
    UnitStatus.ACKNOWLEDGED: gettext_lazy("Accept the job"),
    UnitStatus.EN_ROUTE: gettext_lazy("Depart: en route"),
    UnitStatus.ON_SCENE: gettext_lazy("Arrived on scene"),
    UnitStatus.TRANSPORTING: gettext_lazy("Transporting the patient"),
    UnitStatus.AT_FACILITY: gettext_lazy("Arrived at the health facility"),
    UnitStatus.AVAILABLE: gettext_lazy("Job done: available"),
}
CLEAR_ON_SCENE_LABEL = gettext_lazy("Finished on scene: available")
STEP_ORDER = [
    UnitStatus.ACKNOWLEDGED,
    UnitStatus.EN_ROUTE,
    UnitStatus.ON_SCENE,
    UnitStatus.TRANSPORTING,
    UnitStatus.AT_FACILITY,
    UnitStatus.AVAILABLE,
]
# The assignment's stamps, in the order a job goes.
STAMPS: list[tuple[str, Any]] = [
    ("dispatched_at", gettext_lazy("Dispatched")),
    ("acknowledged_at", gettext_lazy("Job accepted")),
    ("en_route_at", gettext_lazy("En route")),
    ("on_scene_at", gettext_lazy("On scene")),
    ("transporting_at", gettext_lazy("Transporting")),
    ("at_facility_at", gettext_lazy("At the facility")),
]
POSITION_INTERVAL_S = 30
POLL_INTERVAL_S = 10


def _hhmm(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value else ""


def _unit_url(unit: Unit) -> str:
    return reverse("emergency_crew:unit", kwargs={"unit_id": unit.pk})


def _next_steps(unit: Unit, assignment: Assignment | None) -> list[dict[str, Any]]:
    """The buttons the state machine offers now (the service checks again)."""
    if assignment is None:
        return []
    moves = UNIT_TRANSITIONS.get(unit.status, frozenset())
    steps = []
    for status in STEP_ORDER:
        if status not in moves:
            continue
        clear_on_scene = status == UnitStatus.AVAILABLE and unit.status == UnitStatus.ON_SCENE
        steps.append(
            {
                "status": status,
                "label": CLEAR_ON_SCENE_LABEL if clear_on_scene else STEP_LABELS[status],
                # Clearing from the scene is the second way on, not the obvious one.
                "secondary": clear_on_scene,
                "confirm": _("Finish the job on scene, with no transport?")
                if clear_on_scene
                else "",
            }
        )
    return steps


def _maps_links(lat: float | None, lng: float | None) -> dict[str, str] | None:
    if lat is None or lng is None:
        return None
    point = f"{lat:.6f},{lng:.6f}"
    return {
        "geo": f"geo:{point}?q={point}",
        "google": f"https://www.google.com/maps/dir/?api=1&destination={point}",
    }


def _job_state(unit: Unit, assignment: Assignment | None) -> dict[str, Any]:
    """What the page polls: the unit's status and version and its current job (no patient
    data: the poll must not read health data every ten seconds)."""
    job = None
    if assignment is not None:
        incident = assignment.incident
        job = {
            "ref": incident.ref,
            "kind": incident.kind,
            "kind_label": str(IncidentKind(incident.kind).label),
            "priority": incident.priority,
            "priority_label": str(Priority(incident.priority).label),
            "desa_name": incident.desa_name,
            "dispatched_at": assignment.dispatched_at.isoformat(),
        }
    return {
        "unit": {
            "id": unit.pk,
            "call_sign": unit.call_sign,
            "status": unit.status,
            "status_label": str(UnitStatus(unit.status).label),
            "version": unit.version,
            "position_at": unit.position_at.isoformat() if unit.position_at else None,
            "position_time": _hhmm(unit.position_at),
        },
        "job": job,
    }


# --- Pages ---------------------------------------------------------------------------------------
@staff_view(policy.CREW)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    units = selectors.crew_units(actor=request.user)
    if len(units) == 1:
        return redirect(_unit_url(units[0]))
    return render(request, "emergency/crew/home.html", {"units": units})


def _patient_forms(
    patients: list[services.PatientView], bound: CrewPatientForm | None
) -> tuple[list[dict[str, Any]], CrewPatientForm]:
    bound_id = bound.data.get("patient_id") if bound is not None else None
    rows = []
    for p in patients:
        hint = mask_nik(p.nik) if p.nik else ""
        if bound is not None and bound_id == str(p.id):
            form = bound
        else:
            form = CrewPatientForm(
                initial={
                    "patient_id": p.id,
                    "name": p.name,
                    "age_years": "" if p.age_years is None else p.age_years,
                    "sex": p.sex,
                    "condition": p.condition,
                },
                prefix_id=str(p.id),
                nik_hint=hint,
            )
        rows.append({"patient": p, "nik_masked": hint, "form": form})
    new_form = bound if bound is not None and not bound_id else CrewPatientForm()
    return rows, new_form


def _unit_page(
    request: HttpRequest,
    unit: Unit,
    *,
    bound: CrewPatientForm | None = None,
    status: int = 200,
) -> HttpResponse:
    assignment = selectors.current_assignment(unit=unit)
    incident = assignment.incident if assignment is not None else None
    patients: list[services.PatientView] = []
    details = ""
    if incident is not None:
        # Health data, for the crew on the job only: both reads are the audited services'.
        patients = services.patients_read(actor=request.user, ref=incident.ref)
        details = services.incident_details_read(actor=request.user, ref=incident.ref)
    patient_rows, new_form = _patient_forms(patients, bound)
    destination = assignment.destination if assignment is not None else None
    state = _job_state(unit, assignment)
    return render(
        request,
        "emergency/crew/unit.html",
        {
            "unit": unit,
            "capability_label": Capability(unit.capability).label,
            "assignment": assignment,
            "incident": incident,
            "details": details,
            "steps": _next_steps(unit, assignment),
            "stamps": [
                {"label": label, "at": getattr(assignment, field)}
                for field, label in STAMPS
                if assignment is not None
            ],
            "incident_nav": _maps_links(incident.lat, incident.lng) if incident else None,
            "destination": destination,
            "destination_nav": (
                _maps_links(
                    float(destination.lat) if destination.lat is not None else None,
                    float(destination.lng) if destination.lng is not None else None,
                )
                if destination is not None
                else None
            ),
            "patient_rows": patient_rows,
            "patient_form": new_form,
            "patient_open": bound is not None,
            "state": state,
            "crew_config": {
                "stateUrl": reverse("emergency_crew:state", kwargs={"unit_id": unit.pk}),
                "positionUrl": reverse("emergency_crew:position", kwargs={"unit_id": unit.pk}),
                "positionEvery": POSITION_INTERVAL_S,
                "pollEvery": POLL_INTERVAL_S,
                "version": unit.version,
                "jobRef": incident.ref if incident is not None else "",
                "strings": {
                    "sent": _("Last position sent %(time)s"),
                    "sending": _("Sending the position…"),
                    "noGps": _("This phone cannot share its position."),
                    "denied": _("Location is blocked: allow it for this site in the browser."),
                    "gpsFailed": _("No GPS fix yet; trying again."),
                    "failed": _("The position was not sent: %(error)s"),
                    "offline": _("No connection; the position will be sent when it is back."),
                    "newJob": _("New job: %(ref)s"),
                    "changed": _("The unit's status changed."),
                    "expired": _("Your session has ended: sign in again."),
                },
            },
        },
        status=status,
    )


@staff_view(policy.CREW)
@require_GET
@never_cache
def unit(request: HttpRequest, unit_id: int) -> HttpResponse:
    return _unit_page(request, selectors.crew_unit(actor=request.user, unit_id=unit_id))


# --- Writes --------------------------------------------------------------------------------------
def _report_position(request: HttpRequest, unit: Unit, data: QueryDict) -> None:
    """The position sent with a status tap (the phone's last fix); a failure only warns."""
    lat, lng = data.get("lat", "").strip(), data.get("lng", "").strip()
    if not (lat and lng):
        return
    try:
        services.unit_report_position(
            actor=request.user, unit_id=unit.pk, lat=lat, lng=lng, accuracy_m=data.get("accuracy")
        )
    except NotFound:
        raise
    except ServiceError as exc:
        messages.warning(request, _("The position was not sent: %(error)s") % {"error": exc})


@staff_view(policy.CREW)
@require_POST
def step(request: HttpRequest, unit_id: int) -> HttpResponse:
    current = selectors.crew_unit(actor=request.user, unit_id=unit_id)
    target = request.POST.get("status", "")
    try:
        done = services.unit_step(
            actor=request.user,
            unit_id=current.pk,
            status=target,
            version=request.POST.get("version", ""),
        )
    except NotFound:
        raise
    except ServiceError as exc:
        # A skipped step, a stale page (someone changed the unit), a job released meanwhile:
        # the message says which; the page shows the unit as it is now.
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("“%(status)s” recorded at %(time)s.")
            % {
                "status": UnitStatus(done.status).label,
                "time": _hhmm(done.status_changed_at),
            },
        )
        _report_position(request, done, request.POST)
    return redirect(_unit_url(current))


@staff_view(policy.CREW)
@require_POST
def patient_save(request: HttpRequest, unit_id: int) -> HttpResponse:
    current = selectors.crew_unit(actor=request.user, unit_id=unit_id)
    assignment = selectors.current_assignment(unit=current)
    if assignment is None:
        messages.error(request, _("This unit has no job."))
        return redirect(_unit_url(current))
    ref = assignment.incident.ref
    form = CrewPatientForm(request.POST, prefix_id=request.POST.get("patient_id") or "new")
    if form.is_valid():
        data = form.cleaned_data
        nik = data["nik"]
        if data["patient_id"] and not nik.strip():
            # An empty NIK on a correction keeps the recorded one (the page shows it masked).
            known = {p.id: p for p in services.patients_read(actor=request.user, ref=ref)}
            kept = known.get(data["patient_id"])
            nik = kept.nik if kept is not None else ""
        try:
            services.patient_save(
                actor=request.user,
                ref=ref,
                patient_id=data["patient_id"],
                name=data["name"],
                nik=nik,
                age_years=data["age_years"],
                sex=data["sex"],
                condition=data["condition"],
            )
        except ServiceError as exc:
            if isinstance(exc, NotFound) and exc.code == "emergency.incident.not_found":
                raise
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Patient saved."))
            return redirect(_unit_url(current) + "#patients")
    return _unit_page(request, current, bound=form, status=422)


# --- JSON for the page's script ------------------------------------------------------------------
def _json_error(exc: ServiceError) -> JsonResponse:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


@staff_view(policy.CREW)
@require_GET
@never_cache
def state(request: HttpRequest, unit_id: int) -> HttpResponse:
    try:
        current = selectors.crew_unit(actor=request.user, unit_id=unit_id)
    except NotFound as exc:
        return _json_error(exc)
    assignment = (
        selectors.current_assignment(unit=current)
        if current.status != UnitStatus.AVAILABLE
        else None
    )
    return JsonResponse(_job_state(current, assignment))


@staff_view(policy.CREW)
@require_POST
def position(request: HttpRequest, unit_id: int) -> HttpResponse:
    """{"lat", "lng", "accuracy"} as JSON (the page's script) or a form; answers the time the
    position was stored, or the service's error."""
    data: Any = request.POST
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            message = _("The coordinates are not valid.")
            return error_response(422, "emergency.position.invalid", message)
    try:
        current = selectors.crew_unit(actor=request.user, unit_id=unit_id)
        done = services.unit_report_position(
            actor=request.user,
            unit_id=current.pk,
            lat=data.get("lat"),
            lng=data.get("lng"),
            accuracy_m=data.get("accuracy"),
        )
    except ServiceError as exc:
        return _json_error(exc)
    return JsonResponse(
        {
            "ok": True,
            "position_at": done.position_at.isoformat() if done.position_at else None,
            "time": _hhmm(done.position_at),
        }
    )
