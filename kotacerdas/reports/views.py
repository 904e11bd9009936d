"""Citizen portal pages of reports and aspirations (phone first). Thin: parse, call
selectors/services, render. What the public, the reporter and staff may see is decided by
selectors.report_access; a report someone may not see is a 404 like a missing one."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kotacerdas.core.errors import NotFound, RateLimited, ServiceError, error_response
from kotacerdas.regions import selectors as region_selectors

from . import ratelimits, selectors, services
from .forms import (
    FILTER_FIELDS,
    AnswerForm,
    DisputeForm,
    RatingForm,
    ReportFilterForm,
    ReportForm,
    clean_filter_values,
)
from .models import Category, Kind, PhotoStage, Report, ReportPhoto, ReportSupport, Source, Status

PAGE_SIZE = 20
# What a report card prints (reports/portal/_card.html): a list reads only these columns.
CARD_FIELDS = (
    "ref",
    "status",
    "kind",
    "title",
    "desa_name",
    "kecamatan_name",
    "created_at",
    "support_count",
    "awaiting_citizen",
    "is_confidential",
    "category__code",
    "category__name",
    "category__name_en",
)
POINTS_MIN_ZOOM = 13
MAP_CACHE_CONTROL = "public, max-age=60"
PUBLIC_PHOTO_CACHE_CONTROL = "public, max-age=3600"
PRIVATE_PHOTO_CACHE_CONTROL = "private, max-age=600"


# --- helpers -------------------------------------------------------------------------------------
def _language() -> str:
    return (get_language() or "id").split("-")[0]


def _detail_url(ref: str) -> str:
    return reverse("reports:detail", kwargs={"ref": ref})


def _access_or_404(request: HttpRequest, ref: str) -> selectors.Access:
    try:
        return selectors.report_access(actor=request.user, ref=ref)
    except NotFound:
        raise Http404 from None


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _error_text(exc: ServiceError) -> str:
    """A refusal as one line: the field messages when the service gave them (they say what to
    fix), its message otherwise."""
    texts = [m for messages_ in exc.fields.values() for m in messages_]
    return " ".join(texts) if texts else exc.message


def _before_photos() -> Prefetch[Any]:
    """The citizen's photos of each report of a page (one query), for the list thumbnails."""
    return Prefetch(
        "photos",
        queryset=ReportPhoto.objects.filter(stage=PhotoStage.BEFORE).only("id", "report_id"),
        to_attr="before_photos",
    )


def _supported_ids(user: Any, report_ids: list[int]) -> set[int]:
    """Which of these reports the user already supports (one query)."""
    if not user.is_authenticated or not report_ids:
        return set()
    return set(
        ReportSupport.objects.filter(user=user, report_id__in=report_ids).values_list(
            "report_id", flat=True
        )
    )


def _kecamatan_choices() -> list[tuple[str, str]]:
    rows = region_selectors.region_children(parent_code=settings.KOTACERDAS_REGION_ROOT)
    return sorted(((r["code"], r["name"]) for r in rows), key=lambda pair: pair[1])


def _boundaries_url() -> str:
    return (
        reverse("api-v1:region_geojson")
        + "?"
        + urlencode({"level": "kecamatan", "parent": settings.KOTACERDAS_REGION_ROOT})
    )


def _map_strings() -> dict[str, str]:
    return {
        "reports": _("reports"),
        "open": _("open"),
        "openReport": _("Open the report"),
        "zoomIn": _("Zoom in to see the reports"),
        "failed": _("The map could not be loaded. The list has every report."),
    }


def _filter_query(filters: selectors.ReportFilters) -> str:
    values = {
        "kind": filters.kind,
        "category": filters.category,
        "status": filters.status,
        "kecamatan": filters.kecamatan,
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
    }
    return urlencode({k: v for k, v in values.items() if v})


def _category_groups(
    categories: list[Category], language: str
) -> list[tuple[str, list[dict[str, str]]]]:
    """The catalogue grouped by Category.group for the select (in catalogue order), each entry
    with the words the small filter box searches."""
    groups: dict[str, list[dict[str, str]]] = {}
    for c in categories:
        search = " ".join([c.name, c.name_en, c.keywords, c.group]).lower()
        groups.setdefault(c.group or _("Other"), []).append(
            {"code": c.code, "name": c.display_name(language), "search": search}
        )
    return list(groups.items())


# --- public list, map and aspirations -----------------------------------------------------------
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    form = ReportFilterForm(
        request.GET if any(n in request.GET for n in FILTER_FIELDS) else None,
        categories=list(selectors.category_list()),
        kecamatan=_kecamatan_choices(),
        language=_language(),
    )
    filters = form.filters()
    reports = (
        selectors.public_reports(filters=filters)
        .select_related(None)
        .select_related("category")
        .only(*CARD_FIELDS)
        .prefetch_related(_before_photos())
    )
    page = PublicPaginator(reports, PAGE_SIZE, filters=filters).get_page(request.GET.get("page"))
    query = _filter_query(filters)
    context = {
        "form": form,
        "filter_key": request.GET.urlencode(),
        "page": page,
        "map_url": reverse("reports:map_data") + (f"?{query}" if query else ""),
        "boundaries_url": _boundaries_url(),
        "map_strings": _map_strings(),
    }
    return render(request, "reports/portal/list.html", context)


class PublicPaginator(Paginator):
    """Pages of the public list, counted through selectors.public_report_count (kept a minute)
    instead of a COUNT over every public report on each request."""

    def __init__(self, object_list: Any, per_page: int, *, filters: Any) -> None:
        super().__init__(object_list, per_page)
        self._filters = filters

    @cached_property
    def count(self) -> int:
        return selectors.public_report_count(filters=self._filters)

    def page(self, number: Any) -> Any:
        # A full page even while the kept count is behind (Paginator would cut at the count).
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self.object_list[bottom : bottom + self.per_page], number, self)


@require_GET
def map_data(request: HttpRequest) -> HttpResponse:
    """The public map's data: cells for all of Kotim, or the points in a bbox when zoomed in
    (zoom >= 13). Same filters as the list."""
    try:
        filters = clean_filter_values(request.GET)
    except ServiceError as exc:
        return error_response(400, exc.code, exc.message, exc.fields)
    bbox = None
    raw_bbox = request.GET.get("bbox", "").strip()
    if raw_bbox:
        bbox = selectors.parse_bbox(raw_bbox)
        if bbox is None:
            return error_response(
                400,
                "reports.map.bbox",
                _("bbox must be south,west,north,east in degrees."),
                {"bbox": [_("Give four numbers: south,west,north,east.")]},
            )
    raw_zoom = request.GET.get("zoom", "").strip()
    zoom = 0
    if raw_zoom:
        try:
            zoom = int(raw_zoom)
        except ValueError:
            zoom = -1
        if not 0 <= zoom <= 22:
            return error_response(
                400, "reports.map.zoom", _("zoom must be a whole number from 0 to 22.")
            )
    body: dict[str, Any]
    if bbox is not None and zoom >= POINTS_MIN_ZOOM:
        rows = selectors.public_map_points(filters=filters, bbox=bbox)
        body = {
            "points": [
                {
                    "ref": r["ref"],
                    "title": r["title"],
                    "status": r["status"],
                    "kind": r["kind"],
                    "lat": r["lat"],
                    "lng": r["lng"],
                    "url": _detail_url(r["ref"]),
                }
                for r in rows
            ]
        }
    else:
        body = {"cells": selectors.public_map_cells(filters=filters)}
    response = JsonResponse(body)
    response["Cache-Control"] = MAP_CACHE_CONTROL
    return response


@require_GET
def aspirations(request: HttpRequest) -> HttpResponse:
    rules = selectors.policy_get()
    rows = list(selectors.aspirations_by_support(limit=50))
    agenda = list(selectors.council_agenda()[:10])
    context = {
        "aspirations": rows,
        "agenda": agenda,
        "threshold": rules.aspiration_threshold,
        "supported": _supported_ids(request.user, [r.pk for r in rows]),
    }
    return render(request, "reports/portal/aspirations.html", context)


# --- filing ---------------------------------------------------------------------------------------
@require_GET
def nearby(request: HttpRequest) -> HttpResponse:
    """Open reports of the chosen category within 100 m of the pin (an HTML fragment for the
    filing page): a citizen supports one of them instead of filing a duplicate."""
    category = request.GET.get("category", "").strip()[:60]
    found: list[tuple[Report, float]] = []
    try:
        lat = float(request.GET.get("lat", ""))
        lng = float(request.GET.get("lng", ""))
    except ValueError:
        lat = lng = math.nan
    if category and abs(lat) <= 90 and abs(lng) <= 180:  # False for NaN
        found = selectors.nearby_open(category_code=category, lat=lat, lng=lng)
    supported = _supported_ids(request.user, [r.pk for r, _d in found])
    return render(
        request,
        "reports/portal/_nearby.html",
        {"nearby": [(r, round(d)) for r, d in found], "supported": supported},
    )


@require_http_methods(["GET", "POST"])
@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    categories = list(selectors.category_list())
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                ratelimits.check_filing(request, actor=request.user)
                report = services.report_create(
                    actor=request.user,
                    data=form.new_report(),
                    photos=request.FILES.getlist("photos"),
                    source=Source.PORTAL,
                )
            except RateLimited as exc:
                form.add_error(
                    None,
                    _(
                        "You have sent many reports in a short time. Please wait a while "
                        "before sending another one."
                    ),
                )
                status = exc.status
            except ServiceError as exc:
                form.apply_error(exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Thank you. Your report was received with number %(ref)s.")
                    % {"ref": report.ref},
                )
                return redirect("reports:detail", ref=report.ref)
        else:
            status = 422
    else:
        kind = request.GET.get("kind")
        form = ReportForm(initial={"kind": kind if kind in Kind.values else Kind.COMPLAINT})
    context = {
        "form": form,
        "category_groups": _category_groups(categories, _language()),
        "selected_category": str(form["category"].value() or ""),
        "attribute_sets": _attribute_sets(categories, form),
        "boundaries_url": _boundaries_url(),
        "lookup_url": reverse("api-v1:region_lookup"),
        "nearby_url": reverse("reports:nearby"),
        "pin_strings": {
            "locating": _("Finding your location…"),
            "noGeolocation": _("Your browser cannot share its location. Tap the map instead."),
            "denied": _("We could not get your location. Allow location access or tap the map."),
            "place": _("Desa/kelurahan %(desa)s, kecamatan %(kecamatan)s"),
            "approximate": _("near %(desa)s, kecamatan %(kecamatan)s"),
            "lookupFailed": _("We could not look up this place. You can still send the report."),
            "tapMap": _("Tap the map where the problem is."),
        },
    }
    return render(request, "reports/portal/create.html", context, status=status)


def _attribute_sets(categories: list[Any], form: ReportForm) -> list[dict[str, Any]]:
    """The extra questions of each category that has some, with what was posted."""
    posted = form.attribute_answers() if form.is_bound else {}
    sets = []
    for category in categories:
        questions = []
        for spec in sorted(category.attributes or [], key=lambda a: a.get("order", 0)):
            value = posted.get(spec["code"]) if form.is_bound else None
            chosen = value if isinstance(value, list) else [value] if value else []
            questions.append(
                {
                    **spec,
                    "name": f"attribute[{spec['code']}]",
                    "input_id": f"attr-{category.code}-{spec['code']}",
                    "value": value if isinstance(value, str) else "",
                    "chosen": [str(v) for v in chosen],
                }
            )
        if questions:
            sets.append({"code": category.code, "questions": questions})
    return sets


# --- the citizen's own reports ------------------------------------------------------------------
@require_GET
@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    reports = selectors.my_reports(actor=request.user).prefetch_related(_before_photos())
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/portal/mine.html", {"page": page})


# --- one report -------------------------------------------------------------------------------------
@require_GET
def report_detail(request: HttpRequest, ref: str) -> HttpResponse:
    access = _access_or_404(request, ref)
    report = access.report
    user = request.user
    events = selectors.timeline(access=access)
    photos = selectors.photos_of(access=access)
    is_reporter = access.is_reporter
    can_support = user.is_authenticated and not is_reporter and access.is_public and report.is_open
    completed = report.status == Status.COMPLETED
    dispute_until: dt.datetime | None = None
    if is_reporter and completed and report.completed_at is not None:
        window = selectors.policy_get().reopen_window_days
        dispute_until = report.completed_at + dt.timedelta(days=window)
    context = {
        "access": access,
        "report": report,
        "events": events,
        "photos_before": [p for p in photos if p.stage == PhotoStage.BEFORE],
        "photos_after": [p for p in photos if p.stage == PhotoStage.AFTER],
        "can_support": can_support,
        "supported": can_support and selectors.has_supported(actor=user, report=report),
        "can_answer": is_reporter and report.is_open,
        "can_confirm": is_reporter and completed,
        "can_dispute": dispute_until is not None and timezone.now() <= dispute_until,
        "dispute_until": dispute_until,
        "can_rate": is_reporter
        and report.status in (Status.COMPLETED, Status.CLOSED)
        and report.rating is None,
        "answer_form": AnswerForm(),
        "dispute_form": DisputeForm(),
        "rating_form": RatingForm(),
        "boundaries_url": _boundaries_url(),
        "map_strings": _map_strings(),
    }
    return render(request, "reports/portal/detail.html", context)


@require_GET
def photo(request: HttpRequest, ref: str, photo_id: int) -> HttpResponse:
    return _photo_response(request, ref, photo_id, thumbnail=False)


@require_GET
def photo_thumb(request: HttpRequest, ref: str, photo_id: int) -> HttpResponse:
    return _photo_response(request, ref, photo_id, thumbnail=True)


def _photo_response(request: HttpRequest, ref: str, photo_id: int, *, thumbnail: bool) -> Any:
    """The stored JPEG (re-encoded without metadata when it was uploaded), only to someone
    who may see the report."""
    access = _access_or_404(request, ref)
    found = next((p for p in selectors.photos_of(access=access) if p.pk == photo_id), None)
    if found is None:
        raise Http404
    stored = found.thumbnail if thumbnail else found.image
    try:
        handle = stored.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = (
        PUBLIC_PHOTO_CACHE_CONTROL if access.is_public else PRIVATE_PHOTO_CACHE_CONTROL
    )
    return response


# --- actions (POST) ---------------------------------------------------------------------------------
@require_POST
def support(request: HttpRequest, ref: str) -> HttpResponse:
    """'Saya juga mengalami' / support an aspiration. From the detail page, the aspirations
    list or the nearby fragment on the filing page (htmx: answers with the new button)."""
    detail = _detail_url(ref)
    if not request.user.is_authenticated:
        if getattr(request, "htmx", False):
            login = reverse(settings.LOGIN_URL) + "?" + urlencode({"next": detail})
            return HttpResponse(status=204, headers={"HX-Redirect": login})
        return redirect_to_login(detail)
    error = ""
    counted = False
    try:
        counted = services.report_support(actor=request.user, ref=ref)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        error = _error_text(exc)
    if getattr(request, "htmx", False):
        return render(
            request,
            "reports/portal/_support_result.html",
            {"error": error, "counted": counted, "ref": ref},
        )
    if error:
        messages.error(request, error)
    elif counted:
        messages.success(
            request, _("Thank you. Your support for %(ref)s is counted.") % {"ref": ref}
        )
    else:
        messages.info(request, _("You already support %(ref)s.") % {"ref": ref})
    return redirect(_safe_next(request, detail))


def _reporter_action(
    request: HttpRequest, ref: str, action: Callable[[], Any], success: str
) -> HttpResponse:
    """Run one of the reporter's own actions. Someone else (or a report they may not see)
    gets the 404 whatever they sent; a refusal is a message on the detail page."""
    detail = _detail_url(ref)
    if not request.user.is_authenticated:
        return redirect_to_login(detail)
    if not _access_or_404(request, ref).is_reporter:
        raise Http404
    try:
        action()
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success)
    return redirect(detail)


@require_POST
def answer(request: HttpRequest, ref: str) -> HttpResponse:
    return _reporter_action(
        request,
        ref,
        lambda: services.report_answer(
            actor=request.user, ref=ref, message=request.POST.get("message", "")
        ),
        _("Your answer was sent to the officers."),
    )


@require_POST
def confirm(request: HttpRequest, ref: str) -> HttpResponse:
    return _reporter_action(
        request,
        ref,
        lambda: services.report_confirm(actor=request.user, ref=ref),
        _("Thank you for confirming. The report is closed."),
    )


@require_POST
def dispute(request: HttpRequest, ref: str) -> HttpResponse:
    return _reporter_action(
        request,
        ref,
        lambda: services.report_dispute(
            actor=request.user, ref=ref, reason=request.POST.get("reason", "")
        ),
        _("The report was reopened. The officers will look at it again."),
    )


@require_POST
def rate(request: HttpRequest, ref: str) -> HttpResponse:
    return _reporter_action(
        request,
        ref,
        lambda: services.report_rate(
            actor=request.user,
            ref=ref,
            rating=request.POST.get("rating"),
            comment=request.POST.get("comment", ""),
        ),
        _("Thank you for your rating."),
    )
