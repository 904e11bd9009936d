"""The fire-detection back office (/kantor/karhutla/): the hotspot map with its tables, the
fire events (list and page: figures, hotspots, ground checks, status moves, linked 119
incidents, alerts) and the FIRMS file imports.

Thin: parse, call selectors/services, render. Every view is a `staff_view`; an event outside
the user's area is a 404 like a missing one. Desa and kecamatan staff see their own area; the
fire agencies, the 119 desk and the Council the whole regency; officers of other agencies have
the permission through their role but reach nothing here (403)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kotacerdas.accounts.decorators import staff_view
from kotacerdas.core.audit_text import changes, describe
from kotacerdas.core.errors import NotFound, ServiceError, ValidationFailed, permission_denied
from kotacerdas.core.selectors import AuditFilters, audit_event_list
from kotacerdas.regions.selectors import region_children, region_choices_for_signup

from . import policy, schemas, selectors, services
from .forms_kantor import AssignForm, EventFilterForm, ImportForm, StatusForm
from .models import (
    CheckResult,
    CheckStatus,
    EventStatus,
    FireEvent,
    ImportOutcome,
    ImportSource,
)
from .scoping import Area

PAGE_SIZE = 50
MAP_EVENT_LIMIT = 100  # events listed under the map; the events page has them all
DEFAULT_DAYS = 7
AUDIT_LIMIT = 50
RUNS_LIMIT = 50
DESK_PERM = "emergency.desk"
REF_PLACEHOLDER = "REF"


# --- Helpers -------------------------------------------------------------------------------------
def _area_or_none(request: HttpRequest) -> Area | None:
    """The user's fire area; None when it is empty (an officer of an agency that has nothing
    to do with fires holds the permission through their role but reaches nothing)."""
    area = selectors.area(request.user)
    return None if area.empty else area


def _kecamatan_options(area: Area) -> list[tuple[str, str]]:
    """The regency's kecamatan that meet the user's area (one query)."""
    root = settings.KOTACERDAS_REGION_ROOT
    options = []
    for row in region_children(parent_code=root):
        code = row["code"]
        if area.everything or any(
            c == code or c.startswith(code + ".") or code.startswith(c + ".") for c in area.codes
        ):
            options.append((code, row["name"]))
    return options


def _default_period() -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """(start, end, first, last): the last `DEFAULT_DAYS` days ending at the latest day with
    hotspots (today when there are none), and the whole range of days with data."""
    first, last = selectors.hotspot_range()
    today = schemas.today()
    last = last or today
    first = first or last
    return last - dt.timedelta(days=DEFAULT_DAYS - 1), last, first, last


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def state_of(event: FireEvent) -> dict[str, str]:
    """The badge of an event's state: baru / dicek lapangan (api / bukan api) / ditangani /
    padam, with its colour class."""
    status = event.status
    if status == EventStatus.NEW:
        return {"label": str(EventStatus.NEW.label), "css": "tag-danger", "key": "baru"}
    if status == EventStatus.CHECKED:
        if event.check_result == CheckResult.NO_FIRE:
            label = _("Ground-checked: no fire")
            return {"label": label, "css": "tag-muted", "key": "dicek_bukan_api"}
        label = _("Ground-checked: fire")
        return {"label": label, "css": "tag-warn", "key": "dicek_api"}
    if status == EventStatus.HANDLING:
        return {"label": str(EventStatus.HANDLING.label), "css": "tag-info", "key": "ditangani"}
    return {"label": str(EventStatus.OUT.label), "css": "tag-ok", "key": "padam"}


def _event_rows(events: list[FireEvent]) -> list[dict[str, Any]]:
    return [
        {
            "event": e,
            "state": state_of(e),
            "open_check": (getattr(e, "open_checks", None) or [None])[0],
        }
        for e in events
    ]


def _map_strings() -> dict[str, str]:
    from .views import map_strings  # the public map's labels, shared

    return {
        **map_strings(),
        "openEvent": _("Open the event"),
        "applyTables": _("Show the tables for this period"),
    }


def _can_import(user: Any) -> bool:
    return bool(user.has_perm(policy.MANAGE) and selectors.area(user, policy.MANAGE).everything)


# --- The map -------------------------------------------------------------------------------------
@staff_view(policy.VIEW)
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    """The map of Kotim with the date slider (fires-map.js), and under it the tables that work
    without JS: the events of the period in the user's area and the hotspots per desa."""
    area = _area_or_none(request)
    if area is None:
        return permission_denied(request)
    default_start, default_end, first, last = _default_period()
    options = _kecamatan_options(area)
    data = request.GET.dict()
    if not data.get("start") and not data.get("end"):
        data.update(start=default_start.isoformat(), end=default_end.isoformat())
    form = EventFilterForm(data, kecamatan_options=options)
    start, end = default_start, default_end
    rows: list[dict[str, Any]] | None = None
    more = False
    by_desa: list[dict[str, Any]] = []
    status = kecamatan = ""
    valid = form.is_valid()
    if valid:
        status = form.cleaned_data["status"]
        kecamatan = form.cleaned_data["kecamatan"]
        start, end = form.period or (start, end)
        events = list(
            selectors.event_list(
                actor=request.user, status=status, kecamatan_code=kecamatan, start=start, end=end
            )[: MAP_EVENT_LIMIT + 1]
        )
        more = len(events) > MAP_EVENT_LIMIT
        rows = _event_rows(events[:MAP_EVENT_LIMIT])
        by_desa = selectors.hotspots_by_desa(start=start, end=end, area=area)
        if kecamatan:
            by_desa = [r for r in by_desa if r["desa_code"].startswith(kecamatan + ".")]
    period_query = _query(start=start.isoformat(), end=end.isoformat())
    totals = {k: sum(r[k] for r in by_desa) for k in ("rendah", "sedang", "tinggi", "total")}
    return render(
        request,
        "hotspots/kantor/map.html",
        {
            "form": form,
            "valid": valid,
            "start": start,
            "end": end,
            "first": min(first, start),
            "last": max(last, end),
            "rows": rows,
            "more": more,
            "by_desa": by_desa,
            "totals": totals,
            "events_query": _query(
                start=start.isoformat(), end=end.isoformat(), status=status, kecamatan=kecamatan
            ),
            "period_query": period_query,
            "can_import": _can_import(request.user),
            "regency_wide": area.everything,
            "map_boundaries_url": reverse("api-v1:region_geojson")
            + f"?level=kecamatan&parent={settings.KOTACERDAS_REGION_ROOT}",
            "event_url": reverse("hotspots_kantor:event", args=[REF_PLACEHOLDER]),
            "map_strings": _map_strings(),
        },
        status=200 if valid else 422,
    )


def map_json(request: HttpRequest) -> HttpResponse:
    """The map contract's JSON for `?start=&end=` (WIB days): ETag and 304, 422
    `fires.range.invalid` for missing or bad dates or more than 400 days. Shared by the public
    map's endpoint if it wishes."""
    try:
        start, end = schemas.date_range(request.GET)
    except ValidationFailed as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    from .views import map_json_response  # the public map's view module

    return map_json_response(request, start, end, public=False)


@staff_view(policy.VIEW)
@require_GET
def map_data(request: HttpRequest) -> HttpResponse:
    if _area_or_none(request) is None:
        return permission_denied(request)
    return map_json(request)


# --- Events --------------------------------------------------------------------------------------
@staff_view(policy.VIEW)
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    area = _area_or_none(request)
    if area is None:
        return permission_denied(request)
    form = EventFilterForm(request.GET, kecamatan_options=_kecamatan_options(area))
    page = None
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        period = form.period
        qs = selectors.event_list(
            actor=request.user,
            status=form.cleaned_data["status"],
            kecamatan_code=form.cleaned_data["kecamatan"],
            start=period[0] if period else None,
            end=period[1] if period else None,
        )
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = _event_rows(list(page.object_list))
    return render(
        request,
        "hotspots/kantor/events.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": any(request.GET.get(k) for k in ("status", "kecamatan", "start", "end")),
            "can_import": _can_import(request.user),
        },
        status=200 if page is not None else 422,
    )


def _manage_area(user: Any) -> Area:
    if not user.has_perm(policy.MANAGE):
        return Area(everything=False)
    return selectors.area(user, policy.MANAGE)


def _desa_choices() -> list[tuple[str, Any]]:
    return list(region_choices_for_signup(within=settings.KOTACERDAS_REGION_ROOT))


def _assign_form(event: FireEvent, data: Any = None) -> AssignForm:
    return AssignForm(
        data,
        desa_choices=_desa_choices(),
        officers=selectors.checkers(desa_code=event.desa_code),
        initial={"to": "desa", "desa_code": event.desa_code},
    )


def _status_moves(event: FireEvent) -> list[dict[str, str]]:
    if event.status == EventStatus.CHECKED and event.check_result == CheckResult.NO_FIRE:
        return []
    allowed = services.MANUAL_TRANSITIONS.get(event.status, frozenset())
    order = [EventStatus.HANDLING, EventStatus.OUT]
    labels = {
        EventStatus.HANDLING: _("Mark as being handled")
        if event.status != EventStatus.OUT
        else _("Flared up again: being handled"),
        EventStatus.OUT: _("Mark as extinguished"),
    }
    return [{"value": str(s), "label": labels[s]} for s in order if s in allowed]


def _event_map_json(event: FireEvent, hotspots: list[Any]) -> dict[str, Any]:
    return {
        "event": {
            "ref": event.ref,
            "status": event.status,
            "check_result": event.check_result,
            "lat": event.lat,
            "lng": event.lng,
            "desa": event.desa_name,
            "kecamatan": event.kecamatan_name,
            "hotspot_count": event.hotspot_count,
            "frp_total": event.frp_total,
            "first": event.first_detected_at.isoformat(),
            "last": event.last_detected_at.isoformat(),
            "confidence": event.max_confidence,
        },
        "hotspots": [
            [
                round(h.lat, 5),
                round(h.lng, 5),
                h.acquired_at.isoformat(),
                selectors.CONFIDENCE_CODE.get(h.confidence, 0),
                round(h.frp, 2),
            ]
            for h in hotspots
        ],
    }


def _incident_rows(event: FireEvent, *, desk: bool) -> list[dict[str, Any]]:
    """Linked 119 incidents, with a link to the desk's incident page for the desk."""
    rows = []
    for link in event.incidents.all():
        url = ""
        if desk:
            try:
                url = reverse("emergency_kantor:incident_detail", args=[link.incident_ref])
            except NoReverseMatch:
                url = ""
        rows.append({"link": link, "url": url})
    return rows


def _event_page(
    request: HttpRequest,
    ref: str,
    *,
    assign_form: AssignForm | None = None,
    status_form: StatusForm | None = None,
    error: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    event = selectors.event_get(actor=user, ref=ref)
    hotspots = selectors.event_hotspots(event=event)
    checks = list(event.checks.all())
    open_check = next((c for c in checks if c.status == CheckStatus.ASSIGNED), None)
    manage_area = _manage_area(user)
    can_manage = event.merged_into_id is None and manage_area.allows(event.desa_code)
    can_assign = can_manage and event.status == EventStatus.NEW and open_check is None
    if can_assign and assign_form is None:
        assign_form = _assign_form(event)
    audit = list(
        audit_event_list(
            actor=user,
            filters=AuditFilters(object_type="hotspots.fireevent", object_id=str(event.pk)),
        )[:AUDIT_LIMIT]
    )
    field_errors = bool(assign_form is not None and assign_form.errors)
    context = {
        "event": event,
        "state": state_of(event),
        "hotspots": hotspots,
        "map_json": _event_map_json(event, hotspots),
        "checks": checks,
        "open_check": open_check,
        "incidents": _incident_rows(event, desk=user.has_perm(DESK_PERM)),
        "alerts": selectors.event_alerts(actor=user, event=event),
        "can_manage": can_manage,
        "can_assign": can_assign,
        "assign_form": assign_form if can_assign or field_errors else None,
        "status_moves": _status_moves(event) if can_manage else [],
        "status_note": (status_form["note"].value() if status_form is not None else "") or "",
        "audit": [{"event": e, "sentence": describe(e), "changes": changes(e)} for e in audit],
        "error": error,
        "error_banner": error.message if error is not None and not field_errors else "",
        "map_boundaries_url": reverse("api-v1:region_geojson")
        + f"?level=kecamatan&parent={settings.KOTACERDAS_REGION_ROOT}",
        "map_strings": _map_strings(),
        "can_import": manage_area.everything,
    }
    return render(request, "hotspots/kantor/event_detail.html", context, status=status)


@staff_view(policy.VIEW)
@require_GET
def event_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return _event_page(request, ref)


@staff_view(policy.MANAGE)
@require_POST
def event_status(request: HttpRequest, ref: str) -> HttpResponse:
    """A status button: → ditangani or → padam, with the version the page showed."""
    form = StatusForm(request.POST)
    if not form.is_valid():
        selectors.event_get(actor=request.user, ref=ref)  # a missing event: 404
        error = ValidationFailed(
            _("Choose one of the status buttons."), code="fires.status.invalid"
        )
        return _event_page(request, ref, status_form=form, error=error, status=422)
    data = form.cleaned_data
    try:
        event = services.event_set_status(
            actor=request.user,
            ref=ref,
            status=data["status"],
            version=data["version"],
            note=data["note"],
        )
    except NotFound:
        raise
    except ServiceError as exc:
        return _event_page(request, ref, status_form=form, error=exc, status=exc.status)
    messages.success(
        request,
        _("Fire event %(ref)s is now “%(status)s”.")
        % {"ref": event.ref, "status": event.get_status_display()},
    )
    return redirect("hotspots_kantor:event", ref=event.ref)


@staff_view(policy.MANAGE)
@require_POST
def check_assign(request: HttpRequest, ref: str) -> HttpResponse:
    """Ask a desa or an officer to check the event on the ground."""
    event = selectors.event_get(actor=request.user, ref=ref)  # a missing event: 404
    form = _assign_form(event, request.POST)
    if not form.is_valid():
        return _event_page(request, ref, assign_form=form, status=422)
    try:
        check = services.check_assign(
            actor=request.user,
            ref=ref,
            instructions=form.cleaned_data["instructions"],
            **form.assignee(),
        )
    except NotFound:
        raise
    except ServiceError as exc:
        if exc.fields:
            form.apply_error(exc)
        return _event_page(request, ref, assign_form=form, error=exc, status=exc.status)
    who = (
        check.assignee_user.full_name or check.assignee_user.get_username()
        if check.assignee_user
        else check.assignee_region_name
    )
    messages.success(
        request,
        _("Ground check of %(ref)s assigned to %(who)s.") % {"ref": event.ref, "who": who},
    )
    return redirect("hotspots_kantor:event", ref=event.ref)


# --- Imports -------------------------------------------------------------------------------------
def _import_page(request: HttpRequest, form: ImportForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "hotspots/kantor/imports.html",
        {
            "form": form,
            "runs": selectors.import_runs(actor=request.user, limit=RUNS_LIMIT),
            "max_mb": form.max_bytes // (1024 * 1024),
            "can_import": True,
        },
        status=status,
    )


@staff_view(policy.MANAGE)
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    """Upload a FIRMS CSV and see the recent runs (regency-wide managers only)."""
    if not selectors.area(request.user, policy.MANAGE).everything:
        return permission_denied(request)
    if request.method != "POST":
        return _import_page(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=422)
    upload = form.cleaned_data["file"]
    run = services.hotspots_import(
        actor=request.user, source=ImportSource.UPLOAD, upload=upload, filename=upload.name
    )
    if run.outcome == ImportOutcome.DONE:
        messages.success(request, run.message)
        return redirect("hotspots_kantor:import_detail", pk=run.pk)
    return _import_detail_page(request, run, status=422)


def _import_detail_page(request: HttpRequest, run: Any, *, status: int = 200) -> HttpResponse:
    errors = list(run.errors or [])
    return render(
        request,
        "hotspots/kantor/import_detail.html",
        {
            "run": run,
            "errors": errors,
            "unlisted": max(0, run.error_count - len(errors)),
            "refused": run.outcome == ImportOutcome.REFUSED,
            "can_import": True,
        },
        status=status,
    )


@staff_view(policy.MANAGE)
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.import_run_get(actor=request.user, pk=pk)
    return _import_detail_page(request, run)
