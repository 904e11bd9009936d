"""Reads of the reports app, each scoped to who asks.

Three audiences see a report:
- the public (anyone): reports that are not confidential and not rejected, without the
  reporter, without internal notes or escalations, with photos stripped of metadata;
- the reporter: their own reports in full, including questions to them;
- staff holding `reports.view_report` in scope: agency officers their agency's reports (and
  Diskominfo every report escalated to it), desa and kecamatan staff every report in their
  region. Acting (`reports.handle_report`) is narrower for desa/kecamatan staff: only the
  categories routed to their level. Never the identity of an anonymous reporter.
Out of scope is `NotFound`, like a missing report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Floor
from django.utils import timezone
from django.utils.translation import gettext as _

from kotacerdas.accounts.selectors import scope_for
from kotacerdas.core import sla
from kotacerdas.core.errors import NotFound, ValidationFailed
from kotacerdas.core.geo import METRES_PER_DEGREE, haversine_m
from kotacerdas.regions.selectors import within_q

from . import policy
from .models import (
    OPEN_STATUSES,
    Category,
    HandlingLevel,
    Kind,
    Open311Client,
    ReplyTemplate,
    Report,
    ReportEvent,
    ReportPolicy,
    ReportSupport,
    Status,
)

NEARBY_RADIUS_M = 100.0
PUBLIC_HIDDEN_STATUSES = frozenset({Status.REJECTED})


# --- Catalogue -----------------------------------------------------------------------------------
def category_list(*, active_only: bool = True, search: str = "") -> QuerySet[Category]:
    qs = Category.objects.select_related("agency").order_by("order", "name")
    if active_only:
        qs = qs.filter(is_active=True)
    for word in search.split()[:5]:
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(name_en__icontains=word)
            | Q(keywords__icontains=word)
            | Q(group__icontains=word)
        )
    return qs


def category_get(*, code: str, active_only: bool = True) -> Category:
    category = category_list(active_only=active_only).filter(code=code).first()
    if category is None:
        raise NotFound(_("There is no such report category."), code="reports.category.not_found")
    return category


def reply_templates_for(*, category_id: int) -> QuerySet[ReplyTemplate]:
    return ReplyTemplate.objects.filter(
        Q(category_id=category_id) | Q(category__isnull=True), is_active=True
    ).order_by("category_id", "title")


def reply_template_list() -> QuerySet[ReplyTemplate]:
    return ReplyTemplate.objects.select_related("category").order_by("category__order", "title")


def policy_get() -> ReportPolicy:
    """The policy row (defaults when it was never saved)."""
    return ReportPolicy.objects.filter(pk=1).first() or ReportPolicy(pk=1)


# --- Scoping ------------------------------------------------------------------------------------
def escalation_agency_code() -> str:
    return str(getattr(settings, "REPORTS_ESCALATION_AGENCY", "diskominfo"))


def _is_village_code(code: str) -> bool:
    return code.count(".") >= 3


def _scope_q(*, actor: Any, perm: str) -> Q | None:
    """The reports `actor` may see (VIEW) or act on (HANDLE) as one Q; None: nothing."""
    scope = scope_for(actor=actor, perm=perm)
    if scope.is_empty:
        return None
    central = None
    combined = Q(pk__in=[])
    for g in scope.grants:
        if g.agency_id is None and g.region_code is None:
            return Q()
        if g.agency_id is not None:
            part = Q(agency_id=g.agency_id)
            if central is None:
                from kotacerdas.accounts.selectors import agency_by_codes

                found = agency_by_codes(codes=[escalation_agency_code()])
                central = next(iter(found.values())).pk if found else 0
            if g.agency_id == central:
                part |= Q(escalation_level__gte=2)
            if g.region_code:
                part &= within_q("desa_code", g.region_code)
        else:
            assert g.region_code is not None
            part = within_q("desa_code", g.region_code)
            if perm == policy.HANDLE:
                levels = (
                    [HandlingLevel.DESA]
                    if _is_village_code(g.region_code)
                    else [HandlingLevel.DESA, HandlingLevel.KECAMATAN]
                )
                part &= Q(handling_level__in=levels)
        combined |= part
    return combined


def staff_reports(*, actor: Any, perm: str = policy.VIEW) -> QuerySet[Report]:
    q = _scope_q(actor=actor, perm=perm)
    if q is None:
        return Report.objects.none()
    return Report.objects.filter(q)


def can_handle(*, actor: Any, report: Report) -> bool:
    return staff_reports(actor=actor, perm=policy.HANDLE).filter(pk=report.pk).exists()


def can_view_as_staff(*, actor: Any, report: Report) -> bool:
    return staff_reports(actor=actor, perm=policy.VIEW).filter(pk=report.pk).exists()


# --- Filters -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportFilters:
    kind: str = ""
    category: str = ""
    status: str = ""  # a Status value, or "open" / "closed"
    kecamatan: str = ""
    desa: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str = ""
    sla: str = ""  # "overdue", "due_soon", "on_time" (staff queue)
    agency: int | None = None


def clean_filters(
    *,
    kind: str = "",
    category: str = "",
    status: str = "",
    kecamatan: str = "",
    desa: str = "",
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    search: str = "",
    sla: str = "",
    agency: int | None = None,
) -> ReportFilters:
    """Check query-string filters; an impossible value is a ValidationFailed naming it."""
    fields: dict[str, list[str]] = {}
    choose = _("Choose one of the allowed values.")
    if kind and kind not in Kind.values:
        fields["kind"] = [choose]
    if status and status not in (*Status.values, "open", "closed"):
        fields["status"] = [choose]
    if sla and sla not in ("overdue", "due_soon", "on_time"):
        fields["sla"] = [choose]

    def _date(name: str, value: str | dt.date | None) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            fields[name] = [_("Enter a date as YYYY-MM-DD.")]
            return None

    start, end = _date("date_from", date_from), _date("date_to", date_to)
    if start and end and end < start:
        fields["date_to"] = [_("The end date is before the start date.")]
    if fields:
        raise ValidationFailed(code="reports.filter.invalid", fields=fields)
    return ReportFilters(
        kind=kind,
        category=category,
        status=status,
        kecamatan=kecamatan,
        desa=desa,
        date_from=start,
        date_to=end,
        search=search.strip()[:100],
        sla=sla,
        agency=agency,
    )


def _wib_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=sla.WIB)


def _apply_filters(qs: QuerySet[Report], f: ReportFilters, *, staff: bool) -> QuerySet[Report]:
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category:
        qs = qs.filter(category__code=f.category)
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status == "closed":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.kecamatan:
        qs = qs.filter(kecamatan_code=f.kecamatan)
    if f.desa:
        qs = qs.filter(desa_code=f.desa)
    if f.date_from:
        qs = qs.filter(created_at__gte=_wib_start(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_wib_start(f.date_to + dt.timedelta(days=1)))
    if f.search:
        text = Q(title__icontains=f.search) | Q(description__icontains=f.search)
        qs = qs.filter(text | Q(ref__iexact=f.search))
    if staff:
        if f.agency:
            qs = qs.filter(agency_id=f.agency)
        if f.sla:
            now = timezone.now()
            soon = sla.add_working_days(now, 1)
            if f.sla == "overdue":
                qs = qs.filter(due_at__lt=now)
            elif f.sla == "due_soon":
                qs = qs.filter(due_at__gte=now, due_at__lte=soon)
            else:
                qs = qs.filter(due_at__gt=soon)
    return qs


# --- Public -------------------------------------------------------------------------------------
def public_reports(*, filters: ReportFilters | None = None) -> QuerySet[Report]:
    """What anyone may see: not confidential, not rejected. Newest first."""
    qs = (
        Report.objects.filter(is_confidential=False)
        .exclude(status__in=PUBLIC_HIDDEN_STATUSES)
        .select_related("category", "agency")
        .order_by("-created_at", "-pk")
    )
    if filters is not None:
        qs = _apply_filters(qs, filters, staff=False)
    return qs


def _aggregate_key(name: str, filters: ReportFilters | None) -> str:
    return f"reports:{name}:" + hashlib.sha256(repr(filters).encode()).hexdigest()[:32]


def public_report_count(*, filters: ReportFilters | None = None) -> int:
    """How many public reports match: for the list's pages. Counting a hundred thousand rows
    takes tens of milliseconds, so the figure is kept a minute per process (a page count that is
    a minute old is harmless)."""
    key = _aggregate_key("count", filters)
    count = caches["aggregates"].get(key)
    if count is None:
        count = public_reports(filters=filters).order_by().count()
        caches["aggregates"].set(key, count, 60)
    return int(count)


def public_report_get(*, ref: str) -> Report:
    report = public_reports().filter(ref=ref).first()
    if report is None:
        raise NotFound(_("There is no such report."), code="reports.report.not_found")
    return report


@dataclass(frozen=True)
class Access:
    """How the actor sees one report."""

    report: Report
    is_reporter: bool
    is_staff: bool  # in the actor's VIEW scope
    can_handle: bool
    is_public: bool

    @property
    def shows_reporter(self) -> bool:
        """Handlers see who reported (to contact them), unless the report is anonymous."""
        return self.is_staff and not self.report.is_anonymous


def report_access(*, actor: Any, ref: str) -> Access:
    """The report and how `actor` sees it; NotFound when they may not see it at all."""
    report = Report.objects.select_related("category", "agency", "reporter").filter(ref=ref).first()
    if report is None:
        raise NotFound(_("There is no such report."), code="reports.report.not_found")
    authed = actor is not None and getattr(actor, "is_authenticated", False)
    is_reporter = authed and report.reporter_id == actor.pk
    is_staff = authed and can_view_as_staff(actor=actor, report=report)
    handles = is_staff and can_handle(actor=actor, report=report)
    is_public = not report.is_confidential and report.status not in PUBLIC_HIDDEN_STATUSES
    if not (is_reporter or is_staff or is_public):
        raise NotFound(_("There is no such report."), code="reports.report.not_found")
    return Access(report, is_reporter, is_staff, handles, is_public)


def timeline(*, access: Access) -> list[ReportEvent]:
    """The report's events as this audience may see them."""
    qs = ReportEvent.objects.filter(report=access.report).select_related("agency")
    if access.is_staff:
        pass
    elif access.is_reporter:
        qs = qs.filter(visible_to_reporter=True)
    else:
        qs = qs.filter(is_public=True)
    return list(qs.order_by("created_at", "pk"))


def photos_of(*, access: Access) -> list[Any]:
    return list(access.report.photos.all())


def nearby_open(
    *, category_code: str, lat: float, lng: float, radius_m: float = NEARBY_RADIUS_M, limit: int = 5
) -> list[tuple[Report, float]]:
    """Open, public reports of the same category within `radius_m` of a point, nearest first:
    offered to a citizen before filing a duplicate. A latitude band on an index, then a
    longitude band, then exact distances."""
    dlat = radius_m / METRES_PER_DEGREE
    dlng = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    rows = list(
        Report.objects.filter(
            category__code=category_code,
            status__in=OPEN_STATUSES,
            is_confidential=False,
            lat__gte=lat - dlat,
            lat__lte=lat + dlat,
            lng__gte=lng - dlng,
            lng__lte=lng + dlng,
        )
        .select_related("category")
        .order_by("-created_at")[:200]
    )
    found = [(r, haversine_m(lat, lng, r.lat, r.lng)) for r in rows]
    found = [pair for pair in found if pair[1] <= radius_m]
    found.sort(key=lambda pair: pair[1])
    return found[:limit]


def has_supported(*, actor: Any, report: Report) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return ReportSupport.objects.filter(report=report, user=actor).exists()


def my_reports(*, actor: Any) -> QuerySet[Report]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Report.objects.none()
    return (
        Report.objects.filter(reporter=actor)
        .select_related("category", "agency")
        .order_by("-created_at", "-pk")
    )


def aspirations_by_support(*, limit: int = 50) -> QuerySet[Report]:
    return public_reports(filters=ReportFilters(kind=Kind.ASPIRATION)).order_by(
        "-support_count", "-created_at"
    )[:limit]


def council_agenda() -> QuerySet[Report]:
    """Aspirations that passed the support threshold: verified, still open, not yet answered
    by the Council (answered ones follow, newest answer first)."""
    threshold = policy_get().aspiration_threshold
    return (
        public_reports()
        .filter(kind=Kind.ASPIRATION, support_count__gte=threshold, verified_at__isnull=False)
        .order_by(F("council_responded_at").desc(nulls_first=True), "-support_count", "-pk")
    )


# --- Staff --------------------------------------------------------------------------------------
def report_queue(*, actor: Any, filters: ReportFilters | None = None) -> QuerySet[Report]:
    """The reports in the actor's scope, most urgent first (overdue, then by due time)."""
    qs = (
        staff_reports(actor=actor, perm=policy.VIEW)
        .select_related("category", "agency")
        .order_by(F("due_at").asc(nulls_last=True), "-created_at", "-pk")
    )
    if filters is not None:
        qs = _apply_filters(qs, filters, staff=True)
    return qs


def sla_state(report: Report, *, now: dt.datetime | None = None) -> str:
    """ "overdue", "due_soon" (due by the end of the next working day), "on_time", or "" when
    no clock runs (completed, closed, rejected)."""
    if report.due_at is None or not report.is_open:
        return ""
    now = now or timezone.now()
    if report.due_at < now:
        return "overdue"
    if report.due_at <= sla.add_working_days(now, 1):
        return "due_soon"
    return "on_time"


def agency_performance(*, actor: Any) -> list[dict[str, Any]]:
    """Per agency in the actor's VIEW_PERFORMANCE scope: received, open, overdue, completed,
    completed within SLA, average rating."""
    q = _scope_q(actor=actor, perm=policy.VIEW_PERFORMANCE)
    if q is None:
        return []
    now = timezone.now()
    return list(
        Report.objects.filter(q)
        .values("agency_id", "agency__short_name")
        .annotate(
            received=Count("pk"),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            within_sla=Count("pk", filter=Q(completed_within_sla=True)),
            avg_rating=Avg("rating"),
        )
        .order_by("agency__short_name")
    )


def overdue_reports(*, actor: Any) -> QuerySet[Report]:
    q = _scope_q(actor=actor, perm=policy.VIEW_PERFORMANCE)
    if q is None:
        return Report.objects.none()
    return (
        Report.objects.filter(q, status__in=OPEN_STATUSES, due_at__lt=timezone.now())
        .select_related("category", "agency")
        .order_by("due_at", "pk")
    )


# --- Map ----------------------------------------------------------------------------------------
def public_map_cells(
    *,
    filters: ReportFilters | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    cell_deg: float = 0.02,
) -> list[dict[str, Any]]:
    """Public reports aggregated server side, one row per non-empty group with its count, open
    count and mean position: per desa for the whole regency (about 185 rows whatever the number
    of reports; cached for a minute, it is public), on a grid of `cell_deg` degrees (0.02 is
    about 2.2 km) inside a bounding box when zoomed in."""
    if bbox is None:
        key = _aggregate_key("map", filters)
        cached = caches["aggregates"].get(key)
        if cached is None:
            cached = _map_groups(public_reports(filters=filters).order_by(), ("desa_code",))
            caches["aggregates"].set(key, cached, 60)
        return list(cached)
    south, west, north, east = bbox
    qs = public_reports(filters=filters).order_by()
    qs = qs.filter(lat__gte=south, lat__lte=north, lng__gte=west, lng__lte=east)
    return _map_groups(
        qs.annotate(gy=Floor(F("lat") / cell_deg), gx=Floor(F("lng") / cell_deg)), ("gy", "gx")
    )


def _map_groups(qs: QuerySet[Report], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = (
        qs.values(*keys)
        .annotate(
            n=Count("pk"),
            n_open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            mean_lat=Avg("lat"),
            mean_lng=Avg("lng"),
        )
        .order_by(*keys)
    )
    return [
        {
            "lat": round(r["mean_lat"], 5),
            "lng": round(r["mean_lng"], 5),
            "count": r["n"],
            "open": r["n_open"],
        }
        for r in rows
    ]


def parse_bbox(raw: str) -> tuple[float, float, float, float] | None:
    """A map area given as "south,west,north,east" in degrees; None when it is not one."""
    try:
        south, west, north, east = (float(part) for part in raw.split(","))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (south, west, north, east)):
        return None
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        return None
    return south, west, north, east


def public_map_points(
    *,
    filters: ReportFilters | None = None,
    bbox: tuple[float, float, float, float],
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Individual public reports inside a bounding box (for a zoomed-in map)."""
    south, west, north, east = bbox
    qs = public_reports(filters=filters).filter(
        lat__gte=south, lat__lte=north, lng__gte=west, lng__lte=east
    )
    rows = qs.values("ref", "title", "status", "kind", "lat", "lng", "category__code")[:limit]
    return [dict(r) for r in rows]


# --- Open311 ------------------------------------------------------------------------------------
def open311_client_list() -> QuerySet[Open311Client]:
    return Open311Client.objects.select_related("created_by").order_by("-created_at")


def open311_client_by_key(*, key: str) -> Open311Client | None:
    from kotacerdas.accounts.tokens import token_hash

    if not key or len(key) > 200:
        return None
    return Open311Client.objects.filter(key_hash=token_hash(key), revoked_at__isnull=True).first()


# --- Aggregates for indicators --------------------------------------------------------------------
def counts_by_category() -> list[dict[str, Any]]:
    return list(
        Report.objects.values("category__code", "category__name", "category__dimension")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__name")
    )


def completion_stats_by_agency() -> list[dict[str, Any]]:
    return list(
        Report.objects.filter(completed_at__isnull=False)
        .values("agency__code", "agency__short_name")
        .annotate(
            completed=Count("pk"),
            within=Count("pk", filter=Q(completed_within_sla=True)),
            avg_rating=Avg("rating"),
            rated=Count("rating"),
        )
        .order_by("agency__short_name")
    )


def durations(*, field: str) -> list[tuple[str, float]]:
    """(agency short name, hours from filing to `field`) for every report where it is set."""
    rows = Report.objects.filter(**{f"{field}__isnull": False}).values_list(
        "agency__short_name", "created_at", field
    )
    return [(name, (end - start).total_seconds() / 3600) for name, start, end in rows]
