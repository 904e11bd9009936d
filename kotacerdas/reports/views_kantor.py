"""Back-office pages of reports (/kantor/laporan/): the officers' queue and map, a report with
its actions, the agencies' performance, the catalogue, Open311 keys and the Council's agenda.

Thin: parse, call selectors/services, render. Every page is a `staff_view` holding the
matching permission of reports.policy; scoping is the selectors' (out of scope = 404)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Floor
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kotacerdas.accounts.decorators import staff_view
from kotacerdas.accounts.selectors import agency_list, scope_for
from kotacerdas.core import sla
from kotacerdas.core.audit_text import changes, describe
from kotacerdas.core.errors import (
    Conflict,
    NotFound,
    ServiceError,
    ValidationFailed,
    error_response,
    permission_denied,
)
from kotacerdas.core.forms import apply_service_error
from kotacerdas.core.selectors import AuditFilters, audit_event_list
from kotacerdas.regions.selectors import region_children

from . import policy, selectors, services
from .forms_kantor import (
    ACTION_FORMS,
    ActionForm,
    AspirationResponseForm,
    CategoryForm,
    ForwardForm,
    Open311ClientForm,
    PolicyForm,
    QueueFilterForm,
    ReplyTemplateForm,
)
from .models import OPEN_STATUSES, TRANSITIONS, HandlingLevel, PhotoStage, Report, Status

PAGE_SIZE = 50
MAP_POINT_LIMIT = 1000
MAP_CELL_DEG = 0.02
AUDIT_LIMIT = 100
FILTER_KEYS = ("q", "status", "category", "kecamatan", "kind", "sla", "date_from", "date_to")


# --- Helpers ---------------------------------------------------------------------------------------
def _sees_several_agencies(actor: Any) -> bool:
    """Region staff and regency-wide roles see many agencies' reports; agency staff one."""
    agencies = {g.agency_id for g in scope_for(actor=actor, perm=policy.VIEW).grants}
    return None in agencies or len(agencies) > 1


def _parse_filters(
    data: QueryDict, *, several_agencies: bool
) -> tuple[selectors.ReportFilters | None, ServiceError | None]:
    """The queue's filters from a query string; (None, error) when one is impossible."""
    agency: int | None = None
    raw_agency = data.get("agency", "").strip() if several_agencies else ""
    if raw_agency:
        if not raw_agency.isdigit():
            message = _("Choose one of the allowed values.")
            return None, ValidationFailed(
                message, code="reports.filter.invalid", fields={"agency": [message]}
            )
        agency = int(raw_agency)
    try:
        filters = selectors.clean_filters(
            kind=data.get("kind", ""),
            category=data.get("category", "").strip(),
            status=data.get("status", ""),
            kecamatan=data.get("kecamatan", "").strip(),
            date_from=data.get("date_from", "").strip(),
            date_to=data.get("date_to", "").strip(),
            search=data.get("q", ""),
            sla=data.get("sla", ""),
            agency=agency,
        )
    except ValidationFailed as exc:
        return None, exc
    return filters, None


def _sla_info(report: Report, now: dt.datetime) -> dict[str, Any]:
    """The SLA badge: state (overdue / due_soon / on_time / ""), the stage deadline and the
    working days left (or, when overdue, since the deadline)."""
    state = selectors.sla_state(report, now=now)
    if not state or report.due_at is None:
        return {"state": "", "due": None, "days": None}
    days = sla.working_days_between(now, report.due_at)
    return {"state": state, "due": report.due_at, "days": abs(days)}


def _query_without(data: QueryDict, *names: str) -> str:
    return urlencode([(k, v) for k, v in data.items() if k not in names and v])


# --- Queue and map ---------------------------------------------------------------------------------
@staff_view(policy.VIEW)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    several = _sees_several_agencies(request.user)
    filters, error = _parse_filters(request.GET, several_agencies=several)
    form = QueueFilterForm(
        request.GET,
        categories=[(c.code, c.name) for c in selectors.category_list(active_only=False)],
        kecamatans=sorted(
            (
                (r["code"], r["name"])
                for r in region_children(parent_code=settings.KOTACERDAS_REGION_ROOT)
            ),
            key=lambda choice: choice[1],
        ),
        agencies=[(str(a.pk), a.short_name) for a in agency_list()] if several else None,
    )
    form.is_valid()
    if error is not None:
        apply_service_error(form, error)
    show_map = request.GET.get("view") == "map"
    page = None
    if filters is not None and not show_map:
        paginator = Paginator(
            selectors.report_queue(actor=request.user, filters=filters), PAGE_SIZE
        )
        page = paginator.get_page(request.GET.get("page"))
        now = timezone.now()
        for report in page:
            report.sla = _sla_info(report, now)  # type: ignore[attr-defined]
    filter_query = _query_without(request.GET, "page", "view")
    return render(
        request,
        "reports/kantor/queue.html",
        {
            "form": form,
            "page": page,
            "show_map": show_map,
            "map_boundaries_url": reverse("api-v1:region_geojson")
            + "?"
            + urlencode({"level": "kecamatan", "parent": settings.KOTACERDAS_REGION_ROOT}),
            "map_strings": {
                "reports": _("reports"),
                "open": _("open"),
                "openReport": _("Open the report"),
                "failed": _("The map could not be loaded. The list has every report."),
            },
            "invalid": filters is None,
            "filter_query": filter_query,
            "filtered": any(request.GET.get(k) for k in (*FILTER_KEYS, "agency")),
        },
    )


def _map_cells(qs: QuerySet[Report]) -> list[dict[str, Any]]:
    """The reports counted on a grid of MAP_CELL_DEG degrees, in the database."""
    rows = (
        qs.order_by()
        .annotate(gy=Floor(F("lat") / MAP_CELL_DEG), gx=Floor(F("lng") / MAP_CELL_DEG))
        .values("gy", "gx")
        .annotate(
            n=Count("pk"),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            mean_lat=Avg("lat"),
            mean_lng=Avg("lng"),
        )
        .order_by("gy", "gx")
    )
    return [_cell(r["mean_lat"], r["mean_lng"], r["n"], r["open"]) for r in rows]


def _cell(lat: float, lng: float, count: int, open_count: int) -> dict[str, Any]:
    return {"lat": round(lat, 5), "lng": round(lng, 5), "count": count, "open": open_count}


def _cells_of(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same grid as _map_cells, for points already loaded."""
    grid: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for p in points:
        key = (math.floor(p["lat"] / MAP_CELL_DEG), math.floor(p["lng"] / MAP_CELL_DEG))
        grid.setdefault(key, []).append(p)
    return [
        _cell(
            sum(p["lat"] for p in members) / len(members),
            sum(p["lng"] for p in members) / len(members),
            len(members),
            sum(1 for p in members if p["status"] in OPEN_STATUSES),
        )
        for _key, members in sorted(grid.items())
    ]


@staff_view(policy.VIEW)
@require_GET
def map_data(request: HttpRequest) -> HttpResponse:
    """The filtered queue on the map (the shared component static/src/reports-map.js):
    {"points": [...]} for at most MAP_POINT_LIMIT reports, with their "cells" too (computed
    from the same rows) for the zoomed-out map; beyond the limit only {"cells": [...]}
    counted in the database. An optional bbox=south,west,north,east keeps what is inside.
    Two queries at most, whatever the number of reports."""
    filters, error = _parse_filters(
        request.GET, several_agencies=_sees_several_agencies(request.user)
    )
    if filters is None:
        assert error is not None
        return error_response(error.status, error.code, error.message, error.fields)
    qs = selectors.report_queue(actor=request.user, filters=filters)
    raw_bbox = request.GET.get("bbox", "").strip()
    if raw_bbox:
        bbox = selectors.parse_bbox(raw_bbox)
        if bbox is None:
            message = _("Give four numbers: south,west,north,east.")
            return error_response(422, "reports.map.bbox", message, {"bbox": [message]})
        south, west, north, east = bbox
        qs = qs.filter(lat__gte=south, lat__lte=north, lng__gte=west, lng__lte=east)
    rows = list(
        qs.values_list("ref", "title", "status", "kind", "lat", "lng")[: MAP_POINT_LIMIT + 1]
    )
    if len(rows) > MAP_POINT_LIMIT:
        return JsonResponse({"cells": _map_cells(qs)})
    points = [
        {
            "ref": ref,
            "title": title,
            "status": status,
            "kind": kind,
            "lat": lat,
            "lng": lng,
            "url": reverse("reports_kantor:detail", kwargs={"ref": ref}),
        }
        for ref, title, status, kind, lat, lng in rows
    ]
    return JsonResponse({"points": points, "cells": _cells_of(points)})


# --- One report ------------------------------------------------------------------------------------
def _staff_access(request: HttpRequest, ref: str) -> selectors.Access:
    """The report as staff in scope see it; the reporter or the public are not staff here."""
    access = selectors.report_access(actor=request.user, ref=ref)
    if not access.is_staff:
        raise NotFound(_("There is no such report."), code="reports.report.not_found")
    return access


def allowed_actions(access: selectors.Access) -> list[str]:
    """The actions the state machine and the services' rules allow now (the services check
    again: this only decides which forms to offer)."""
    if not access.can_handle:
        return []
    report = access.report
    moves = TRANSITIONS.get(report.status, frozenset())
    unverified = report.verified_at is None
    found = []
    if Status.VERIFIED in moves and unverified:
        found.append("verify")
    if Status.REJECTED in moves and unverified:
        found.append("reject")
    if Status.FORWARDED in moves:
        found.append("forward")
    if report.is_open and (report.reporter_id is not None or report.contact_email):
        found.append("ask")
    if report.is_open and not unverified:
        found.append("progress")
    if Status.COMPLETED in moves and not unverified:
        found.append("complete")
    return found


def _forward_agencies(report: Report) -> list[tuple[str, str]]:
    return [
        (a.code, a.short_name)
        for a in agency_list().order_by("short_name")
        if not (a.pk == report.agency_id and report.handling_level == HandlingLevel.AGENCY)
    ]


def _action_form(action: str, report: Report, *, data: Any = None, files: Any = None) -> ActionForm:
    cls = ACTION_FORMS[action]
    kwargs: dict[str, Any] = {"action": action, "initial": {"version": report.version}}
    if cls is ForwardForm:
        kwargs["agencies"] = _forward_agencies(report)
    return cls(data, files, **kwargs)


def _photo_url(name: str, report: Report, photo_id: int) -> str:
    # The portal's photo views apply the report's visibility (staff in scope included).
    return reverse(name, kwargs={"ref": report.ref, "photo_id": photo_id})


def _attribute_answers(report: Report) -> list[tuple[str, str]]:
    """The answers to the category's extra questions, labelled by their descriptions."""
    specs = {s.get("code"): s for s in report.category.attributes or [] if isinstance(s, dict)}
    answers = []
    for code, value in (report.attributes or {}).items():
        spec = specs.get(code, {})
        names = {str(v.get("key")): str(v.get("name")) for v in spec.get("values", []) or []}
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(names.get(str(v), str(v)) for v in values)
        answers.append((str(spec.get("description") or code), shown))
    return answers


def _detail_page(
    request: HttpRequest,
    access: selectors.Access,
    *,
    bound: ActionForm | None = None,
    error: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    report = access.report
    actions = allowed_actions(access)
    action_forms = {}
    for action in actions:
        if bound is not None and bound.action == action:
            action_forms[action] = bound
        else:
            action_forms[action] = _action_form(action, report)
    templates = (
        list(selectors.reply_templates_for(category_id=report.category_id))
        if access.can_handle
        else []
    )
    photos = selectors.photos_of(access=access)
    photo_rows = [
        {
            "photo": p,
            "url": _photo_url("reports:photo", report, p.pk),
            "thumb": _photo_url("reports:photo_thumb", report, p.pk),
        }
        for p in photos
    ]
    audit = list(
        audit_event_list(
            actor=request.user,
            filters=AuditFilters(object_type="reports.report", object_id=str(report.pk)),
        )[:AUDIT_LIMIT]
    )
    reporter = None
    if access.shows_reporter:
        user = report.reporter
        reporter = {
            "name": (user.get_full_name() if user else "") or report.contact_name,
            "phone": (user.phone if user else "") or report.contact_phone,
            "email": (user.email if user else "") or report.contact_email,
            "has_account": user is not None,
        }
    return render(
        request,
        "reports/kantor/detail.html",
        {
            "report": report,
            "access": access,
            "sla": _sla_info(report, timezone.now()),
            "reporter": reporter,
            "answers": _attribute_answers(report),
            "before_photos": [r for r in photo_rows if r["photo"].stage == PhotoStage.BEFORE],
            "after_photos": [r for r in photo_rows if r["photo"].stage == PhotoStage.AFTER],
            "events": selectors.timeline(access=access),
            "audit": [{"event": e, "sentence": describe(e), "changes": changes(e)} for e in audit],
            "forms": action_forms,
            "reply_templates": templates,
            "error": error,
            "error_banner": _error_banner(bound, error, actions),
        },
        status=status,
    )


def _error_banner(bound: ActionForm | None, error: ServiceError | None, actions: list[str]) -> str:
    """Field errors show on their form; the banner says the rest: a conflict, a move the flow
    forbids, or errors of an action the report's state no longer offers (no form to show)."""
    offered = bound is not None and bound.action in actions
    if error is not None and (not error.fields or not offered):
        return error.message
    if bound is not None and bound.errors and not offered:
        return _("This action is not possible in the report's current state.")
    return ""


@staff_view(policy.VIEW)
@require_GET
def detail(request: HttpRequest, ref: str) -> HttpResponse:
    return _detail_page(request, _staff_access(request, ref))


def _run_action(action: str, actor: Any, report: Report, data: dict[str, Any]) -> str:
    """Call the action's service; the success message."""
    common = {"actor": actor, "ref": report.ref, "version": data["version"]}
    if action == "verify":
        services.report_verify(**common, message=data["message"])
        return _("Report verified.")
    if action == "reject":
        services.report_reject(**common, reason=data["reason"])
        return _("Report rejected.")
    if action == "forward":
        done = services.report_forward(**common, agency_code=data["agency"], note=data["note"])
        return _("Report forwarded to %(agency)s.") % {"agency": done.agency.short_name}
    if action == "ask":
        services.report_ask(**common, question=data["question"])
        return _("Question sent to the reporter.")
    if action == "progress":
        services.report_progress(**common, message=data["message"])
        return _("Progress recorded.")
    services.report_complete(**common, message=data["message"], photos=data["photos"])
    return _("Report completed.")


def _action_view(action: str) -> Callable[..., HttpResponse]:
    @staff_view(policy.HANDLE)
    @require_POST
    def view(request: HttpRequest, ref: str) -> HttpResponse:
        access = _staff_access(request, ref)  # out of scope: 404
        if not access.can_handle:
            return permission_denied(request)
        form = _action_form(action, access.report, data=request.POST, files=request.FILES)
        if not form.is_valid():
            return _detail_page(request, access, bound=form, status=422)
        try:
            message = _run_action(action, request.user, access.report, form.cleaned_data)
        except NotFound:
            raise
        except ServiceError as exc:
            fresh = _staff_access(request, ref)
            if isinstance(exc, Conflict):
                # Show what changed; the officer's text stays, now against the current version.
                data = request.POST.copy()
                data["version"] = str(fresh.report.version)
                form = _action_form(action, fresh.report, data=data, files=request.FILES)
                form.is_valid()
            if exc.fields:
                apply_service_error(form, exc)
            return _detail_page(request, fresh, bound=form, error=exc, status=exc.status)
        messages.success(request, message)
        if action == "forward" and not selectors.can_view_as_staff(
            actor=request.user, report=access.report
        ):
            return redirect("reports_kantor:queue")  # handed out of the officer's scope
        return redirect("reports_kantor:detail", ref=ref)

    view.__name__ = view.__qualname__ = f"report_{action}"
    return view


verify = _action_view("verify")
reject = _action_view("reject")
forward = _action_view("forward")
ask = _action_view("ask")
progress = _action_view("progress")
complete = _action_view("complete")


# --- Performance ----------------------------------------------------------------------------------
@staff_view(policy.VIEW_PERFORMANCE)
@require_GET
def performance(request: HttpRequest) -> HttpResponse:
    rows = selectors.agency_performance(actor=request.user)
    for row in rows:
        row["within_share"] = (
            round(100 * row["within_sla"] / row["completed"]) if row["completed"] else None
        )
    page = Paginator(selectors.overdue_reports(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    for report in page:
        report.sla = _sla_info(report, now)  # type: ignore[attr-defined]
    return render(request, "reports/kantor/performance.html", {"rows": rows, "page": page})


# --- Catalogue ------------------------------------------------------------------------------------
def _agency_choices() -> list[tuple[str, str]]:
    return [(a.code, a.short_name) for a in agency_list(active_only=False).order_by("short_name")]


def _category_choices() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in selectors.category_list(active_only=False)]


@staff_view(policy.MANAGE_CATALOGUE)
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/kantor/catalogue.html",
        {
            "categories": selectors.category_list(active_only=False),
            "templates": selectors.reply_template_list(),
            "rules": selectors.policy_get(),
        },
    )


@staff_view(policy.MANAGE_CATALOGUE)
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    category = None if code is None else selectors.category_get(code=code, active_only=False)
    initial: dict[str, Any] = {
        "is_active": True,
        "order": 100,
        "sla_verify_days": 3,
        "sla_plan_days": 5,
        "sla_complete_days": 14,
        "attributes": "[]",
        "handling_level": HandlingLevel.AGENCY,
    }
    if category is not None:
        initial = {name: getattr(category, name) for name in services.CATEGORY_FIELDS}
        initial["agency"] = category.agency.code
        initial["attributes"] = json.dumps(category.attributes, ensure_ascii=False, indent=2)
    form = CategoryForm(
        request.POST or None,
        initial=initial,
        agencies=_agency_choices(),
        editing=category is not None,
    )
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        values["attributes"] = values["attributes"] or "[]"
        try:
            saved = services.category_save(
                actor=request.user,
                code=category.code if category is not None else form.cleaned_data["code"],
                values=values,
                create=category is None,
            )
        except NotFound:
            raise
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Category “%(name)s” saved.") % {"name": saved.name})
            return redirect("reports_kantor:catalogue")
    return render(
        request,
        "reports/kantor/category_form.html",
        {"form": form, "category": category},
        status=422 if form.is_bound and form.errors else 200,
    )


@staff_view(policy.MANAGE_CATALOGUE)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    template = None
    if pk is not None:
        template = selectors.reply_template_list().filter(pk=pk).first()
        if template is None:
            raise NotFound(code="reports.template.not_found")
    initial: dict[str, Any] = {"is_active": True}
    if template is not None:
        initial = {
            "category": template.category.code if template.category else "",
            "title": template.title,
            "body": template.body,
            "is_active": template.is_active,
        }
    form = ReplyTemplateForm(request.POST or None, initial=initial, categories=_category_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reply_template_save(
                actor=request.user,
                template_id=pk,
                category_code=data["category"] or None,
                title=data["title"],
                body=data["body"],
                is_active=data["is_active"],
            )
        except NotFound:
            raise
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Reply template saved."))
            return redirect("reports_kantor:catalogue")
    return render(
        request,
        "reports/kantor/template_form.html",
        {"form": form, "template": template},
        status=422 if form.is_bound and form.errors else 200,
    )


@staff_view(policy.MANAGE_CATALOGUE)
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    rules = selectors.policy_get()
    form = PolicyForm(
        request.POST or None,
        initial={name: getattr(rules, name) for name in services.POLICY_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(actor=request.user, values=form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Policy saved."))
            return redirect("reports_kantor:catalogue")
    return render(
        request,
        "reports/kantor/policy_form.html",
        {"form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


# --- Open311 keys ---------------------------------------------------------------------------------
@staff_view(policy.MANAGE_OPEN311)
@require_http_methods(["GET", "POST"])
def open311_clients(request: HttpRequest) -> HttpResponse:
    form = Open311ClientForm(request.POST or None)
    new_key = new_client = None
    if request.method == "POST" and form.is_valid():
        try:
            new_client, new_key = services.open311_client_create(
                actor=request.user, **form.cleaned_data
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            form = Open311ClientForm()
    # The key is in this one response only: it is not stored, so no later page can show it.
    return render(
        request,
        "reports/kantor/open311_clients.html",
        {
            "clients": selectors.open311_client_list(),
            "form": form,
            "new_key": new_key,
            "new_client": new_client,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@staff_view(policy.MANAGE_OPEN311)
@require_POST
def open311_revoke(request: HttpRequest, client_id: int) -> HttpResponse:
    client = services.open311_client_revoke(actor=request.user, client_id=client_id)
    messages.success(request, _("The key of “%(name)s” is revoked.") % {"name": client.name})
    return redirect("reports_kantor:open311_clients")


# --- The Council's agenda -------------------------------------------------------------------------
def _agenda_page(
    request: HttpRequest, *, bound: AspirationResponseForm | None = None, status: int = 200
) -> HttpResponse:
    reports = list(selectors.council_agenda())
    waiting = [
        (
            r,
            bound
            if bound is not None and bound.ref == r.ref
            else AspirationResponseForm(ref=r.ref),
        )
        for r in reports
        if r.council_responded_at is None
    ]
    answered = [r for r in reports if r.council_responded_at is not None]
    return render(
        request,
        "reports/kantor/agenda.html",
        {
            "waiting": waiting,
            "answered": answered,
            "threshold": selectors.policy_get().aspiration_threshold,
        },
        status=status,
    )


@staff_view(policy.RESPOND_ASPIRATION)
@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    return _agenda_page(request)


@staff_view(policy.RESPOND_ASPIRATION)
@require_POST
def agenda_respond(request: HttpRequest, ref: str) -> HttpResponse:
    form = AspirationResponseForm(request.POST, ref=ref)
    if form.is_valid():
        try:
            services.aspiration_respond(
                actor=request.user, ref=ref, response=form.cleaned_data["response"]
            )
        except NotFound:
            raise
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Response to %(ref)s recorded.") % {"ref": ref})
            return redirect("reports_kantor:agenda")
    return _agenda_page(request, bound=form, status=422)
