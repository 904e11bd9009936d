"""/api/v1/reports: the catalogue, public reports (list, detail, map, nearby), filing with
photos, the reporter's own actions and the officers' queue and actions.

Thin: parse, call a selector or a service, shape the answer. Who may see or do what is decided
in selectors/services (out of scope is a 404 like a missing report); ServiceError is rendered by
the API's error handlers as {"error": {"code", "message", "fields"}}. Officers' actions take the
`version` they read and answer 409 `reports.report.conflict` when someone else was faster.
"""

# No `from __future__ import annotations` here: ninja reads the Query[...]/Form[...]/File[...]
# parameter types at import time.
import json
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from kotacerdas.accounts.api_auth import API_AUTH
from kotacerdas.accounts.selectors import agency_by_codes
from kotacerdas.core.api_support import (
    ERROR_RESPONSES,
    ErrorOut,
    Pagination,
    api_actor,
)
from kotacerdas.core.errors import NotFound, PermissionDenied, ValidationFailed

from . import policy, ratelimits, selectors, services
from .models import Report, Source
from .models import Status as ReportStatus
from .schemas import (
    AnswerIn,
    AskIn,
    CategoryOut,
    CategoryQuery,
    CompleteIn,
    DisputeIn,
    ForwardIn,
    MapOut,
    MapQuery,
    MyReportOut,
    NearbyOut,
    NearbyQuery,
    ProgressIn,
    QueueFilterQuery,
    QueueRowOut,
    RateIn,
    RejectIn,
    ReportDetailOut,
    ReportFilterQuery,
    ReportIn,
    ReportOut,
    SupportOut,
    VerifyIn,
    report_detail,
)

router = Router()
ERRORS = ERROR_RESPONSES
POINTS_FROM_ZOOM = 13


def _anonymous(request: HttpRequest) -> Any:
    return AnonymousUser()


# Public reads that show more to a signed-in reporter or officer (session or bearer token).
OPTIONAL_AUTH = [*API_AUTH, _anonymous]


def _filters(query: ReportFilterQuery, **extra: Any) -> selectors.ReportFilters:
    return selectors.clean_filters(
        kind=query.kind,
        category=query.category,
        status=query.status,
        kecamatan=query.kecamatan,
        desa=query.desa,
        date_from=query.date_from,
        date_to=query.date_to,
        search=query.search,
        **extra,
    )


def _detail(request: HttpRequest, ref: str) -> ReportDetailOut:
    return report_detail(selectors.report_access(actor=api_actor(request), ref=ref))


def _detail_after(request: HttpRequest, report: Report) -> ReportDetailOut:
    """The report after the actor changed it. Forwarding may take it out of the actor's scope:
    they then get what the public sees of it."""
    try:
        return _detail(request, report.ref)
    except NotFound:
        return report_detail(
            selectors.Access(
                report, is_reporter=False, is_staff=False, can_handle=False, is_public=False
            )
        )


def _files(photos: list[UploadedFile] | None) -> list[UploadedFile]:
    return list(photos or [])


# --- Catalogue -----------------------------------------------------------------------------------
@router.get("/categories", response={200: list[CategoryOut], 422: ErrorOut}, auth=None)
def category_list(request: HttpRequest, query: Query[CategoryQuery]) -> Any:
    """The active categories of the service catalogue, with their extra questions."""
    return list(selectors.category_list(search=query.q))


@router.get("/categories/{code}", response={200: CategoryOut, 404: ErrorOut}, auth=None)
def category_get(request: HttpRequest, code: str) -> Any:
    return selectors.category_get(code=code)


# --- Public reads --------------------------------------------------------------------------------
@router.get("", response={200: list[ReportOut], 422: ErrorOut}, auth=None)
@paginate(Pagination)
def report_list(request: HttpRequest, filters: Query[ReportFilterQuery]) -> Any:
    """Public reports, newest first: never confidential or rejected ones, never who filed."""
    return selectors.public_reports(filters=_filters(filters))


def _bbox(value: str) -> tuple[float, float, float, float]:
    bbox = selectors.parse_bbox(value)
    if bbox is None:
        text = _("Give the map area as south,west,north,east in degrees.")
        raise ValidationFailed(text, code="reports.map.bbox", fields={"bbox": [text]})
    return bbox


@router.get("/map", response={200: MapOut, 422: ErrorOut}, auth=None, exclude_none=True)
def report_map(request: HttpRequest, query: Query[MapQuery]) -> Any:
    """Public reports on the map: `cells` (counts on a grid) for the whole regency, or `points`
    when a `bbox` is given with `zoom` >= 13."""
    filters = _filters(query)
    bbox = _bbox(query.bbox) if query.bbox else None
    if bbox is not None and query.zoom >= POINTS_FROM_ZOOM:
        points = selectors.public_map_points(filters=filters, bbox=bbox)
        for p in points:
            p.pop("category__code", None)
            p["url"] = reverse("reports:detail", kwargs={"ref": p["ref"]})
        return {"points": points}
    return {"cells": selectors.public_map_cells(filters=filters, bbox=bbox)}


@router.get("/nearby", response={200: list[NearbyOut], 422: ErrorOut}, auth=None)
def report_nearby(request: HttpRequest, query: Query[NearbyQuery]) -> list[NearbyOut]:
    """Open public reports of a category within 100 m of a point, nearest first (offered
    before filing a duplicate: support one instead)."""
    try:
        selectors.category_get(code=query.category)
    except NotFound as exc:
        raise ValidationFailed(
            exc.message, code="reports.category.unknown", fields={"category": [exc.message]}
        ) from None
    return [
        NearbyOut(
            ref=r.ref,
            title=r.title,
            kind=r.kind,
            status=r.status,
            status_label=str(ReportStatus(r.status).label),
            lat=r.lat,
            lng=r.lng,
            support_count=r.support_count,
            created_at=r.created_at,
            distance_m=round(distance, 1),
            url=reverse("reports:detail", kwargs={"ref": r.ref}),
        )
        for r, distance in selectors.nearby_open(
            category_code=query.category, lat=query.lat, lng=query.lng
        )
    ]


# --- The caller's own ----------------------------------------------------------------------------
@router.get("/mine", response={200: list[MyReportOut], **ERRORS}, auth=API_AUTH)
@paginate(Pagination)
def report_mine(request: HttpRequest) -> Any:
    """The caller's own reports (including confidential and rejected ones), newest first."""
    return selectors.my_reports(actor=api_actor(request))


# --- Officers' queue -----------------------------------------------------------------------------
@router.get("/queue", response={200: list[QueueRowOut], **ERRORS}, auth=API_AUTH)
@paginate(Pagination)
def report_queue(request: HttpRequest, filters: Query[QueueFilterQuery]) -> Any:
    """The reports in the caller's scope, most urgent first, each with its SLA state
    (agency officers: their agency's; desa/kecamatan staff: their region's)."""
    actor = api_actor(request)
    if not actor.has_perm(policy.VIEW):
        raise PermissionDenied()
    agency_id = None
    if filters.agency:
        found = agency_by_codes(codes=[filters.agency]).get(filters.agency)
        if found is None:
            text = _("Choose an agency from the list.")
            raise ValidationFailed(code="reports.filter.invalid", fields={"agency": [text]})
        agency_id = found.pk
    return selectors.report_queue(
        actor=actor, filters=_filters(filters, sla=filters.sla, agency=agency_id)
    )


# --- Filing --------------------------------------------------------------------------------------
def _attributes(raw: str) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        text = _('Give the answers as a JSON object: {"code": value}.')
        raise ValidationFailed(code="reports.attributes.invalid", fields={"attributes": [text]})
    return value


@router.post("", response={201: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_create(
    request: HttpRequest,
    payload: Form[ReportIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status:
    """File a complaint or an aspiration (multipart: the fields and up to 3 `photos`).
    Rate-limited per account and per IP."""
    actor = api_actor(request)
    ratelimits.check_filing(request, actor=actor)
    report = services.report_create(
        actor=actor,
        data=services.NewReport(
            kind=payload.kind,
            category_code=payload.category,
            description=payload.description,
            lat=payload.lat,
            lng=payload.lng,
            title=payload.title,
            address=payload.address,
            is_anonymous=payload.is_anonymous,
            is_confidential=payload.is_confidential,
            attributes=_attributes(payload.attributes),
        ),
        photos=_files(photos),
        source=Source.API,
    )
    return Status(201, _detail(request, report.ref))


# --- One report ----------------------------------------------------------------------------------
@router.get("/{ref}", response={200: ReportDetailOut, 404: ErrorOut}, auth=OPTIONAL_AUTH)
def report_get(request: HttpRequest, ref: str) -> ReportDetailOut:
    """A report as the caller may see it: the public view, or for its reporter and the
    officers in scope their fuller view (the reporter's identity only to officers, and never
    for an anonymous report)."""
    return _detail(request, ref)


@router.post("/{ref}/support", response={200: SupportOut, **ERRORS}, auth=API_AUTH)
def report_support(request: HttpRequest, ref: str) -> SupportOut:
    """'Me too' on a complaint, or support for an aspiration: once per person."""
    counted = services.report_support(actor=api_actor(request), ref=ref)
    report = selectors.public_report_get(ref=ref)
    return SupportOut(ref=report.ref, counted=counted, support_count=report.support_count)


@router.post("/{ref}/answer", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_answer(request: HttpRequest, ref: str, payload: AnswerIn) -> ReportDetailOut:
    """The reporter answers an officer's question."""
    report = services.report_answer(actor=api_actor(request), ref=ref, message=payload.message)
    return _detail(request, report.ref)


@router.post("/{ref}/confirm", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_confirm(request: HttpRequest, ref: str) -> ReportDetailOut:
    """The reporter accepts the result: the report closes."""
    report = services.report_confirm(actor=api_actor(request), ref=ref)
    return _detail(request, report.ref)


@router.post("/{ref}/dispute", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_dispute(request: HttpRequest, ref: str, payload: DisputeIn) -> ReportDetailOut:
    """The reporter says the problem is not solved (within the policy's window): it reopens."""
    report = services.report_dispute(actor=api_actor(request), ref=ref, reason=payload.reason)
    return _detail(request, report.ref)


@router.post("/{ref}/rate", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_rate(request: HttpRequest, ref: str, payload: RateIn) -> ReportDetailOut:
    """The reporter rates the service (1-5, once) after completion."""
    report = services.report_rate(
        actor=api_actor(request), ref=ref, rating=payload.rating, comment=payload.comment
    )
    return _detail(request, report.ref)


@router.post("/{ref}/verify", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_verify(request: HttpRequest, ref: str, payload: VerifyIn) -> ReportDetailOut:
    report = services.report_verify(
        actor=api_actor(request), ref=ref, version=payload.version, message=payload.message
    )
    return _detail_after(request, report)


@router.post("/{ref}/reject", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_reject(request: HttpRequest, ref: str, payload: RejectIn) -> ReportDetailOut:
    """Reject a report that was not verified (with the reason the reporter reads)."""
    report = services.report_reject(
        actor=api_actor(request), ref=ref, version=payload.version, reason=payload.reason
    )
    return _detail_after(request, report)


@router.post("/{ref}/forward", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_forward(request: HttpRequest, ref: str, payload: ForwardIn) -> ReportDetailOut:
    """Disposisi: hand the report to another agency."""
    report = services.report_forward(
        actor=api_actor(request),
        ref=ref,
        version=payload.version,
        agency_code=payload.agency,
        note=payload.note,
    )
    return _detail_after(request, report)


@router.post("/{ref}/ask", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_ask(request: HttpRequest, ref: str, payload: AskIn) -> ReportDetailOut:
    """Ask the reporter for details (not shown to the public)."""
    report = services.report_ask(
        actor=api_actor(request), ref=ref, version=payload.version, question=payload.question
    )
    return _detail_after(request, report)


@router.post("/{ref}/progress", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_progress(request: HttpRequest, ref: str, payload: ProgressIn) -> ReportDetailOut:
    """Record the follow-up plan or progress; the report becomes “in progress”."""
    report = services.report_progress(
        actor=api_actor(request), ref=ref, version=payload.version, message=payload.message
    )
    return _detail_after(request, report)


@router.post("/{ref}/complete", response={200: ReportDetailOut, **ERRORS}, auth=API_AUTH)
def report_complete(
    request: HttpRequest,
    ref: str,
    payload: Form[CompleteIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> ReportDetailOut:
    """Complete with a reply and up to 3 “after” photos (multipart)."""
    report = services.report_complete(
        actor=api_actor(request),
        ref=ref,
        version=payload.version,
        message=payload.message,
        photos=_files(photos),
    )
    return _detail_after(request, report)
