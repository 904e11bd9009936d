"""Shapes of /api/v1/reports: what each audience receives, and the bodies officers and reporters
send. Builders here turn an `selectors.Access` into the detail its audience may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import field_validator

from . import selectors
from .models import Report, ReportEvent, ReportPhoto, Status


# --- Catalogue -----------------------------------------------------------------------------------
class AttributeValueOut(Schema):
    key: str
    name: str


class AttributeOut(Schema):
    """One extra question of a category (an Open311 attribute definition)."""

    code: str
    datatype: str = "string"
    required: bool = False
    description: str = ""
    order: int | None = None
    values: list[AttributeValueOut] = []


class AgencyRefOut(Schema):
    code: str
    short_name: str


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    description: str
    description_en: str
    group: str
    dimension: str
    agency: AgencyRefOut
    handling_level: str
    sla_verify_days: int
    sla_plan_days: int
    sla_complete_days: int
    attributes: list[AttributeOut]


class CategoryRefOut(Schema):
    code: str
    name: str
    name_en: str


# --- Reports -------------------------------------------------------------------------------------
class ReportOut(Schema):
    """A report as anyone may see it: never who filed it."""

    ref: str
    kind: str
    title: str
    description: str
    category: CategoryRefOut
    status: str
    status_label: str
    agency: AgencyRefOut
    desa_code: str
    desa_name: str
    kecamatan_code: str
    kecamatan_name: str
    lat: float
    lng: float
    location_approximate: bool
    support_count: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj: Report | dict[str, Any]) -> str:
        # A model row, or the fields of one when a detail is built from a row's fields.
        status = obj["status"] if isinstance(obj, dict) else obj.status
        return str(Status(status).label)


class MyReportOut(ReportOut):
    """One of the caller's own reports."""

    is_anonymous: bool
    is_confidential: bool
    awaiting_citizen: bool
    version: int
    rating: int | None


class QueueRowOut(ReportOut):
    """A report in an officer's queue, with its service-level state."""

    handling_level: str
    is_anonymous: bool
    is_confidential: bool
    awaiting_citizen: bool
    escalation_level: int
    version: int
    due_at: dt.datetime | None
    sla: str = Field(
        description='"overdue", "due_soon", "on_time", or "" when no clock runs (closed).'
    )

    @staticmethod
    def resolve_sla(obj: Report) -> str:
        return selectors.sla_state(obj)


class PhotoOut(Schema):
    id: int
    stage: str
    width: int
    height: int
    url: str
    thumbnail_url: str


class EventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    message: str
    actor_label: str
    agency: str | None = Field(None, description="The agency a report was forwarded to.")
    is_public: bool
    created_at: dt.datetime


class ReporterOut(Schema):
    """Who filed the report (handling officers only, never for an anonymous report)."""

    user_id: int | None
    name: str
    email: str
    phone: str


class ViewerOut(Schema):
    is_reporter: bool
    is_staff: bool
    can_handle: bool


class ReportDetailOut(ReportOut):
    address: str
    attributes: dict[str, Any]
    is_anonymous: bool
    is_confidential: bool
    awaiting_citizen: bool
    version: int = Field(description="Send it back with an officer's action (409 if stale).")
    due_at: dt.datetime | None
    completion_due_at: dt.datetime
    verified_at: dt.datetime | None
    completed_at: dt.datetime | None
    closed_at: dt.datetime | None
    completed_within_sla: bool | None
    rating: int | None
    rating_comment: str
    council_response: str
    council_responded_at: dt.datetime | None
    escalation_level: int | None = Field(None, description="Staff only.")
    sla: str | None = Field(None, description="Staff only (as in the queue).")
    photos: list[PhotoOut]
    timeline: list[EventOut]
    reporter: ReporterOut | None
    viewer: ViewerOut


def photo_out(photo: ReportPhoto, ref: str) -> PhotoOut:
    kwargs = {"ref": ref, "photo_id": photo.pk}
    return PhotoOut(
        id=photo.pk,
        stage=photo.stage,
        width=photo.width,
        height=photo.height,
        url=reverse("reports:photo", kwargs=kwargs),
        thumbnail_url=reverse("reports:photo_thumb", kwargs=kwargs),
    )


def event_out(event: ReportEvent) -> EventOut:
    return EventOut(
        kind=event.kind,
        from_status=event.from_status,
        to_status=event.to_status,
        message=event.message,
        actor_label=event.actor_label,
        agency=event.agency.code if event.agency is not None else None,
        is_public=event.is_public,
        created_at=event.created_at,
    )


def reporter_out(report: Report) -> ReporterOut:
    person = report.reporter
    if person is not None:
        return ReporterOut(
            user_id=person.pk,
            name=person.full_name,
            email=person.email or "",
            phone=person.phone or "",
        )
    return ReporterOut(
        user_id=None,
        name=report.contact_name,
        email=report.contact_email,
        phone=report.contact_phone,
    )


def report_detail(access: selectors.Access) -> ReportDetailOut:
    """The report as `access` lets its actor see it: the timeline of that audience, the
    reporter only for handlers of a report that is not anonymous."""
    report = access.report
    base = ReportOut.from_orm(report).dict()
    return ReportDetailOut(
        **base,
        address=report.address,
        attributes=report.attributes or {},
        is_anonymous=report.is_anonymous,
        is_confidential=report.is_confidential,
        awaiting_citizen=report.awaiting_citizen,
        version=report.version,
        due_at=report.due_at,
        completion_due_at=report.completion_due_at,
        verified_at=report.verified_at,
        completed_at=report.completed_at,
        closed_at=report.closed_at,
        completed_within_sla=report.completed_within_sla,
        rating=report.rating,
        rating_comment=report.rating_comment,
        council_response=report.council_response,
        council_responded_at=report.council_responded_at,
        escalation_level=report.escalation_level if access.is_staff else None,
        sla=selectors.sla_state(report) if access.is_staff else None,
        photos=[photo_out(p, report.ref) for p in selectors.photos_of(access=access)],
        timeline=[event_out(e) for e in selectors.timeline(access=access)],
        reporter=reporter_out(report) if access.shows_reporter else None,
        viewer=ViewerOut(
            is_reporter=access.is_reporter,
            is_staff=access.is_staff,
            can_handle=access.can_handle,
        ),
    )


class NearbyOut(Schema):
    ref: str
    title: str
    kind: str
    status: str
    status_label: str
    lat: float
    lng: float
    support_count: int
    created_at: dt.datetime
    distance_m: float
    url: str


class MapCellOut(Schema):
    lat: float
    lng: float
    count: int
    open: int


class MapPointOut(Schema):
    ref: str
    title: str
    status: str
    kind: str
    lat: float
    lng: float
    url: str


class MapOut(Schema):
    """Either `cells` (whole Kotim, or zoom < 13) or `points` (bbox with zoom >= 13)."""

    cells: list[MapCellOut] | None = None
    points: list[MapPointOut] | None = None


class SupportOut(Schema):
    ref: str
    counted: bool = Field(description="False when the caller had already supported it.")
    support_count: int


# --- Inputs --------------------------------------------------------------------------------------
class ReportFilterQuery(Schema):
    kind: str = Field("", description="complaint or aspiration")
    category: str = Field("", description="A category code")
    status: str = Field("", description='A status, or "open" / "closed"')
    kecamatan: str = ""
    desa: str = ""
    date_from: str = Field("", description="YYYY-MM-DD (WIB)")
    date_to: str = Field("", description="YYYY-MM-DD (WIB)")
    search: str = Field("", max_length=200, description="Words of the title or text, or a number")


class QueueFilterQuery(ReportFilterQuery):
    sla: str = Field("", description='"overdue", "due_soon" or "on_time"')
    agency: str = Field("", description="An agency code")


class MapQuery(ReportFilterQuery):
    bbox: str = Field("", description="south,west,north,east (degrees)")
    zoom: int = Field(0, ge=0, le=22)


class NearbyQuery(Schema):
    category: str = Field(..., max_length=60)
    lat: float
    lng: float

    @field_validator("lat")
    @classmethod
    def _latitude(cls, value: float) -> float:
        if not -90.0 <= value <= 90.0:  # also false for NaN
            raise ValueError(_("Enter a latitude between -90 and 90."))
        return value

    @field_validator("lng")
    @classmethod
    def _longitude(cls, value: float) -> float:
        if not -180.0 <= value <= 180.0:
            raise ValueError(_("Enter a longitude between -180 and 180."))
        return value


class CategoryQuery(Schema):
    q: str = Field("", max_length=100, description="Search words")


class ReportIn(Schema):
    """The fields of a new report (multipart form; photos go in `photos`)."""

    kind: str = Field(..., description="complaint or aspiration")
    category: str = Field(..., description="A category code (GET /reports/categories)")
    description: str = Field(..., description="10 to 5000 characters")
    lat: float
    lng: float
    title: str = ""
    address: str = Field("", description="A landmark near the place")
    is_anonymous: bool = False
    is_confidential: bool = False
    attributes: str = Field(
        "", description='Answers to the category\'s extra questions as JSON: {"code": value}'
    )


class VersionIn(Schema):
    version: int = Field(..., description="The version of the report as you last read it.")


class VerifyIn(VersionIn):
    message: str = ""


class RejectIn(VersionIn):
    reason: str


class ForwardIn(VersionIn):
    agency: str = Field(..., description="The code of the agency to hand the report to")
    note: str


class AskIn(VersionIn):
    question: str


class ProgressIn(VersionIn):
    message: str


class CompleteIn(VersionIn):
    message: str


class AnswerIn(Schema):
    message: str


class DisputeIn(Schema):
    reason: str


class RateIn(Schema):
    rating: int = Field(..., description="1 to 5")
    comment: str = ""
