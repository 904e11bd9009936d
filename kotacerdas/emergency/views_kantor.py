"""The 119 desk's pages (/kantor/119/): the call-taker's form, the incident page with its
actions (triage, dispatch, release, patients, cancel, close) and the history search.

Thin: parse, call selectors/services, render. Every view is a `staff_view(policy.DESK)`;
anything missing is a 404. The dispatch endpoint also answers the live board's fetch calls
with JSON (the platform's error format)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kotacerdas.accounts.decorators import staff_view
from kotacerdas.accounts.identifiers import normalize_phone
from kotacerdas.core.audit_text import changes, describe
from kotacerdas.core.errors import Conflict, NotFound, ServiceError, ValidationFailed
from kotacerdas.core.refs import REF_PATTERN
from kotacerdas.core.selectors import AuditFilters, audit_event_list
from kotacerdas.regions.selectors import region_children, region_villages

from . import policy, selectors, services
from .forms_kantor import (
    LOCATION_ALIASES,
    CallForm,
    CancelForm,
    CloseForm,
    IncidentFilterForm,
    PatientForm,
    ReleaseForm,
    TriageForm,
    apply_error,
    complaint_kinds,
    desa_labels,
    resolve_desa,
)
from .models import Assignment, Capability, ChiefComplaint, Incident, IncidentKind, IncidentStatus

PAGE_SIZE = 50
AUDIT_LIMIT = 100
_REF = re.compile(rf"^{REF_PATTERN}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{6,20}$")
FACILITY_TYPES = {"rumah_sakit": _lazy("hospital"), "puskesmas": _lazy("puskesmas")}
# The crew's steps on an assignment, as the incident's timeline reads them.
ASSIGNMENT_STEPS = (
    ("acknowledged_at", "acknowledged"),
    ("en_route_at", "en_route"),
    ("on_scene_at", "on_scene"),
    ("transporting_at", "transporting"),
    ("at_facility_at", "at_facility"),
)


# --- Helpers -------------------------------------------------------------------------------------
def _desa_options() -> list[tuple[str, str]]:
    """Kotim's desa and kelurahan as (code, "Desa, Kecamatan"). Two queries."""
    root = settings.KOTACERDAS_REGION_ROOT
    kecamatan = {r["code"]: r["name"] for r in region_children(parent_code=root)}
    return desa_labels(region_villages(within=root), kecamatan)


def _wants_json(request: HttpRequest) -> bool:
    """The live board's fetch calls (and htmx) get JSON; a plain form post gets a page."""
    return bool(
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With")
        or request.headers.get("HX-Request")
    )


def _json_error(exc: ServiceError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


def duration(seconds: float | None) -> str:
    """m:ss, or h:mm:ss from an hour."""
    if seconds is None:
        return ""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _since(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return ""
    return duration((end - start).total_seconds())


def _answer(value: bool | None) -> str:
    return "" if value is None else ("ya" if value else "tidak")


def _phone_term(text: str) -> str:
    """A search term that looks like a phone number, in the stored form (628…)."""
    text = text.strip()
    return normalize_phone(text) if _PHONE_LIKE.match(text) else text


# --- The call-taker's form -----------------------------------------------------------------------
def _complaint_options() -> list[tuple[str, str, str]]:
    implied = complaint_kinds()
    return [(str(v), str(label), implied.get(v, "")) for v, label in ChiefComplaint.choices]


@staff_view(policy.DESK)
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    options = _desa_options()
    earlier_url = reverse("emergency_kantor:incident_list")
    status = 200
    if request.method == "POST":
        form = CallForm(request.POST, desa_options=options, earlier_url=earlier_url)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = services.incident_record_call(
                    actor=request.user,
                    kind=data["kind"],
                    priority=data["priority"],
                    chief_complaint=data["chief_complaint"],
                    caller_phone=data["phone"],
                    caller_name=data["caller_name"],
                    lat=data["lat"].strip() or None,
                    lng=data["lng"].strip() or None,
                    desa_code=data["desa_code"],
                    address=data["address"],
                    details=data["details"],
                    patients_count=data["patients_count"],
                    conscious=data["conscious"],
                    breathing=data["breathing"],
                )
            except ServiceError as exc:
                apply_error(form, exc, {**LOCATION_ALIASES, "caller_phone": "phone"})
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Call recorded as %(ref)s. Dispatch a unit below.") % {"ref": incident.ref},
                )
                return redirect("emergency_kantor:incident_detail", ref=incident.ref)
    else:
        form = CallForm(desa_options=options, earlier_url=earlier_url)
    return render(
        request,
        "emergency/kantor/call_new.html",
        {
            "form": form,
            "desa_options": options,
            "complaint_options": _complaint_options(),
            "selected_complaint": form["chief_complaint"].value() or "",
            "map_boundaries_url": reverse("api-v1:region_geojson")
            + f"?level=kecamatan&parent={settings.KOTACERDAS_REGION_ROOT}",
            "lookup_url": reverse("api-v1:region_lookup"),
            "call_strings": {
                "looking": _("Finding the desa…"),
                "point": _("Map point: %(place)s"),
                "failed": _("The desa of this point could not be found."),
            },
        },
        status=status,
    )


# --- History, search and "earlier calls" ---------------------------------------------------------
@staff_view(policy.DESK)
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    if request.GET.get("earlier"):
        return _earlier_calls(request)
    form = IncidentFilterForm(request.GET)
    page = None
    if form.is_valid():
        data = form.cleaned_data
        status = data["status"]
        phone = request.GET.get("phone", "").strip()
        qs = selectors.incident_history(
            actor=request.user,
            search=_phone_term(data["q"]),
            status="" if status == "open" else status,
            kind=data["kind"],
            open_only=status == "open",
            phone=normalize_phone(phone) if phone else "",
            desa_code=request.GET.get("desa", "").strip(),
        )
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "emergency/kantor/incident_list.html",
        {
            "form": form,
            "page": page,
            "filtered": any(request.GET.get(k) for k in ("q", "status", "kind", "phone", "desa")),
        },
    )


def _earlier_calls(request: HttpRequest) -> HttpResponse:
    """The call form's box: calls of the last 30 days from the number being typed or in the
    desa chosen (an htmx fragment)."""
    raw_phone = request.GET.get("phone", "").strip()
    phone = normalize_phone(raw_phone) if raw_phone else ""
    if len(phone) < 6:
        phone = ""
    desa_text = request.GET.get("desa", "").strip()
    desa_code = ""
    if desa_text:
        desa_code = resolve_desa(desa_text, _desa_options())
        if desa_code == " ".join(desa_text.split()):
            desa_code = ""  # not a desa (yet): the call-taker is still typing
    calls = selectors.earlier_calls(actor=request.user, phone=phone, desa_code=desa_code)
    return render(
        request,
        "emergency/kantor/_earlier_calls.html",
        {
            "calls": [
                {
                    "incident": c,
                    "same_phone": bool(phone) and c.caller_phone == phone,
                    "same_desa": bool(desa_code) and c.desa_code == desa_code,
                }
                for c in calls
            ],
            "asked": bool(phone or desa_code),
            "any_open": any(c.is_open for c in calls),
        },
    )


# --- The incident page ---------------------------------------------------------------------------
def _timeline(incident: Incident, assignments: list[Assignment]) -> list[dict[str, Any]]:
    """What happened, from the incident's and its units' own timestamps (every desk and crew
    action stamps them)."""
    entries: list[dict[str, Any]] = [
        {
            "at": incident.received_at,
            "kind": "received",
            "text": _("Call received (%(source)s)") % {"source": incident.get_source_display()},
        }
    ]
    if incident.accepted_at:
        who = incident.call_taker.get_full_name() if incident.call_taker else ""
        entries.append(
            {
                "at": incident.accepted_at,
                "kind": "accepted",
                "text": (_("Accepted by %(name)s") % {"name": who})
                if who
                else _("Accepted by the desk"),
            }
        )
    step_text = {
        "acknowledged": _("%(unit)s accepted the job"),
        "en_route": _("%(unit)s left for the scene"),
        "on_scene": _("%(unit)s arrived on scene"),
        "transporting": _("%(unit)s is taking the patient to the facility"),
        "at_facility": _("%(unit)s reached the facility"),
    }
    for a in assignments:
        unit = a.unit.call_sign
        text = _("%(unit)s dispatched") % {"unit": unit}
        if a.eta_seconds is not None:
            text += " · " + _("ETA %(min)d min") % {"min": max(1, round(a.eta_seconds / 60))}
        if a.destination is not None:
            text += " · " + _("to %(facility)s") % {"facility": a.destination.name}
        entries.append({"at": a.dispatched_at, "kind": "dispatched", "text": text})
        for stamp, key in ASSIGNMENT_STEPS:
            at = getattr(a, stamp)
            if at is not None:
                entries.append({"at": at, "kind": key, "text": step_text[key] % {"unit": unit}})
        if a.cleared_at is not None:
            text = (
                _("%(unit)s released: %(reason)s") % {"unit": unit, "reason": a.released_reason}
                if a.released_reason
                else _("%(unit)s cleared and is available again") % {"unit": unit}
            )
            entries.append({"at": a.cleared_at, "kind": "cleared", "text": text})
    if incident.cancelled_at:
        entries.append(
            {
                "at": incident.cancelled_at,
                "kind": "cancelled",
                "text": _("Cancelled: %(reason)s") % {"reason": incident.cancel_reason},
            }
        )
    if incident.closed_at:
        entries.append({"at": incident.closed_at, "kind": "closed", "text": _("Closed")})
    # By time; what was written first comes first at the same second (received, accepted...).
    return [e for _i, e in sorted(enumerate(entries), key=lambda p: (p[1]["at"], p[0]))]


def _triage_initial(incident: Incident) -> dict[str, Any]:
    automatic = services.need_for(incident.kind, incident.priority, incident.chief_complaint)
    return {
        "version": incident.version,
        "priority": incident.priority,
        "chief_complaint": incident.chief_complaint,
        "need": "" if incident.need == automatic else incident.need,
        "address": incident.address,
        "patients_count": incident.patients_count if incident.patients_count is not None else "",
        "conscious": _answer(incident.conscious),
        "breathing": _answer(incident.breathing),
    }


def _unit_rows(incident: Incident) -> list[dict[str, Any]]:
    rows = []
    for rec in selectors.recommend_units(incident=incident):
        ranked = rec.ranked
        rows.append(
            {
                "unit": rec.unit,
                "capability": Capability(rec.unit.capability).label,
                "eta_minutes": rec.eta_minutes,
                "fixed": ranked.fixed,
                "distance_km": round(ranked.distance_m / 1000, 1),
                "fallback": not ranked.exact,
            }
        )
    return rows


def _facility_rows(incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "facility": o.facility,
            "type_label": FACILITY_TYPES.get(o.facility.subtype, o.facility.subtype),
            "eta_minutes": None if o.eta_seconds is None else max(1, round(o.eta_seconds / 60)),
            "distance_km": round(o.distance_m / 1000, 1),
        }
        for o in selectors.recommend_facilities(incident=incident)
    ]


def _detail_page(
    request: HttpRequest,
    ref: str,
    *,
    bound: dict[str, forms.Form] | None = None,
    error: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    incident = selectors.incident_for_desk(actor=actor, ref=ref)
    bound = bound or {}
    assignments = selectors.incident_assignments(actor=actor, incident=incident)
    open_assignments = [a for a in assignments if a.cleared_at is None]
    is_open = incident.is_open
    options = _desa_options() if is_open else []
    patients = services.patients_read(actor=actor, ref=incident.ref)
    details = services.incident_details_read(actor=actor, ref=incident.ref)
    edit_forms = []
    for p in patients:
        form = bound.get(f"patient{p.id}") or PatientForm(
            patient_id=p.id,
            initial={
                "patient_id": p.id,
                "name": p.name,
                "nik": p.nik,
                "age_years": p.age_years if p.age_years is not None else "",
                "sex": p.sex,
                "condition": p.condition,
            },
        )
        edit_forms.append({"patient": p, "form": form})
    now = timezone.now()
    end = incident.closed_at or incident.cancelled_at or now
    audit = list(
        audit_event_list(
            actor=actor,
            filters=AuditFilters(object_type="emergency.incident", object_id=str(incident.pk)),
        )[:AUDIT_LIMIT]
    )
    context = {
        "incident": incident,
        "is_open": is_open,
        "is_waiting": is_open and not open_assignments,
        "assignments": [
            {"a": a, "can_release": a.cleared_at is None and a.on_scene_at is None}
            for a in assignments
        ],
        "has_open_assignments": bool(open_assignments),
        "timers": {
            "elapsed": _since(incident.received_at, end),
            "to_dispatch": _since(incident.received_at, incident.dispatched_at),
            "to_scene": duration(incident.response_seconds),
        },
        "units": _unit_rows(incident) if is_open else [],
        "facilities": _facility_rows(incident) if is_open else [],
        "patients": edit_forms,
        "patient_form": bound.get("patient") or PatientForm(),
        "details": details,
        "related": selectors.related_calls(actor=actor, incident=incident),
        "triage_form": bound.get("triage")
        or TriageForm(initial=_triage_initial(incident), desa_options=options),
        "cancel_form": bound.get("cancel") or CancelForm(),
        "close_form": bound.get("close") or CloseForm(),
        "desa_options": options,
        "timeline": _timeline(incident, assignments),
        "audit": [{"event": e, "sentence": describe(e), "changes": changes(e)} for e in audit],
        "error": error,
        "error_banner": _error_banner(bound, error),
        "is_medical": incident.kind == IncidentKind.MEDICAL,
    }
    return render(request, "emergency/kantor/incident_detail.html", context, status=status)


def _error_banner(bound: dict[str, forms.Form], error: ServiceError | None) -> str:
    """Field errors show on their form; the banner says the rest (a conflict, a closed
    incident)."""
    if error is None:
        return ""
    return "" if any(form.errors for form in bound.values()) else error.message


@staff_view(policy.DESK)
@require_GET
def incident_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return _detail_page(request, ref)


@staff_view(policy.DESK)
@require_POST
def incident_triage(request: HttpRequest, ref: str) -> HttpResponse:
    before = selectors.incident_for_desk(actor=request.user, ref=ref)
    form = TriageForm(request.POST, desa_options=_desa_options())
    if not form.is_valid():
        return _detail_page(request, ref, bound={"triage": form}, status=422)
    data = form.cleaned_data
    try:
        services.incident_triage(
            actor=request.user,
            ref=ref,
            version=data["version"],
            priority=data["priority"],
            chief_complaint=data["chief_complaint"] or None,
            need=data["need"] or None,
            address=data["address"],
            patients_count=data["patients_count"],
            conscious=data["conscious"],
            breathing=data["breathing"],
            desa_code=data["desa_code"],
        )
    except NotFound:
        raise
    except ServiceError as exc:
        if isinstance(exc, Conflict):
            # The officer's answers stay, now against the version the page shows.
            fresh = selectors.incident_for_desk(actor=request.user, ref=ref)
            post = request.POST.copy()
            post["version"] = str(fresh.version)
            form = TriageForm(post, desa_options=form.desa_options)
            form.is_valid()
        elif exc.fields:
            apply_error(form, exc, LOCATION_ALIASES)
        return _detail_page(request, ref, bound={"triage": form}, error=exc, status=exc.status)
    messages.success(
        request,
        _("Call accepted and triaged.")
        if before.status == IncidentStatus.RECEIVED
        else _("Triage saved."),
    )
    return redirect("emergency_kantor:incident_detail", ref=ref)


@staff_view(policy.DESK)
@require_POST
def incident_dispatch(request: HttpRequest, ref: str) -> HttpResponse:
    """Send a unit (POST unit_id, destination_id, version). The live board calls this with
    fetch and gets JSON; the incident page posts a form and is redirected back."""
    wants_json = _wants_json(request)
    try:
        assignment = services.incident_dispatch(
            actor=request.user,
            ref=ref,
            unit_id=request.POST.get("unit_id"),
            destination_id=request.POST.get("destination_id") or None,
            version=request.POST.get("version") or None,
        )
    except ServiceError as exc:
        if wants_json:
            return _json_error(exc)
        selectors.incident_for_desk(actor=request.user, ref=ref)  # a missing incident: 404
        messages.error(request, exc.message)
        return redirect("emergency_kantor:incident_detail", ref=ref)
    unit = assignment.unit
    if wants_json:
        return JsonResponse(
            {
                "ok": True,
                "assignment_id": assignment.pk,
                "unit": unit.call_sign,
                "eta_seconds": assignment.eta_seconds,
            }
        )
    message = _("%(unit)s dispatched.") % {"unit": unit.call_sign}
    if assignment.eta_seconds is not None:
        message += " " + _("Estimated arrival in %(min)d minutes.") % {
            "min": max(1, round(assignment.eta_seconds / 60))
        }
    messages.success(request, message)
    return redirect("emergency_kantor:incident_detail", ref=ref)


@staff_view(policy.DESK)
@require_POST
def assignment_release(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Recall a unit that has not reached the scene (tarik), with a reason."""
    wants_json = _wants_json(request)
    posted_ref = request.POST.get("ref", "")
    back = (
        reverse("emergency_kantor:incident_detail", kwargs={"ref": posted_ref})
        if _REF.match(posted_ref)
        else reverse("emergency_kantor:incident_list")
    )
    form = ReleaseForm(request.POST)
    try:
        if not form.is_valid():
            message = str(form.errors["reason"][0])
            raise ValidationFailed(
                message, code="emergency.text.required", fields={"reason": [message]}
            )
        assignment = services.assignment_release(
            actor=request.user, assignment_id=assignment_id, reason=form.cleaned_data["reason"]
        )
    except ServiceError as exc:
        if wants_json:
            return _json_error(exc)
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return redirect(back)
    if wants_json:
        return JsonResponse({"ok": True, "assignment_id": assignment.pk})
    messages.success(request, _("%(unit)s released.") % {"unit": assignment.unit.call_sign})
    return redirect("emergency_kantor:incident_detail", ref=assignment.incident.ref)


@staff_view(policy.DESK)
@require_POST
def incident_cancel(request: HttpRequest, ref: str) -> HttpResponse:
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, ref, bound={"cancel": form}, status=422)
    try:
        services.incident_cancel(actor=request.user, ref=ref, reason=form.cleaned_data["reason"])
    except NotFound:
        raise
    except ServiceError as exc:
        if exc.fields:  # otherwise the banner says it
            apply_error(form, exc)
        return _detail_page(request, ref, bound={"cancel": form}, error=exc, status=exc.status)
    messages.success(request, _("Incident cancelled."))
    return redirect("emergency_kantor:incident_detail", ref=ref)


@staff_view(policy.DESK)
@require_POST
def incident_close(request: HttpRequest, ref: str) -> HttpResponse:
    form = CloseForm(request.POST)
    form.is_valid()
    try:
        services.incident_close(actor=request.user, ref=ref, note=form.cleaned_data.get("note", ""))
    except NotFound:
        raise
    except ServiceError as exc:
        if exc.fields:  # otherwise the banner says it
            apply_error(form, exc)
        return _detail_page(request, ref, bound={"close": form}, error=exc, status=exc.status)
    messages.success(request, _("Incident closed."))
    return redirect("emergency_kantor:incident_detail", ref=ref)


@staff_view(policy.DESK)
@require_POST
def patient_save(request: HttpRequest, ref: str) -> HttpResponse:
    raw_id = request.POST.get("patient_id", "")
    form = PatientForm(request.POST, patient_id=raw_id if raw_id.isdigit() else None)
    key = f"patient{raw_id}" if raw_id.isdigit() else "patient"
    if not form.is_valid():
        return _detail_page(request, ref, bound={key: form}, status=422)
    data = form.cleaned_data
    try:
        services.patient_save(
            actor=request.user,
            ref=ref,
            patient_id=data["patient_id"],
            name=data["name"],
            nik=data["nik"].strip(),
            age_years=data["age_years"],
            sex=data["sex"],
            condition=data["condition"],
        )
    except NotFound:
        raise
    except ServiceError as exc:
        if exc.fields:  # otherwise the banner says it
            apply_error(form, exc)
        return _detail_page(request, ref, bound={key: form}, error=exc, status=exc.status)
    messages.success(request, _("Patient saved."))
    return redirect(reverse("emergency_kantor:incident_detail", kwargs={"ref": ref}) + "#patients")
