"""Shapes of /api/v1/fires, and the date-range parsing shared with the public map and exports.

Audiences: officers who may see fires (events in their area with their ground checks, the
photos as URLs behind the back office's permission checks, linked 119 incidents), managers
(imports, status moves, assignments), those who do ground checks (their checks), and the
sensors' managers (sensors, their message log; a secret is shown once when it is issued).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema

from kotacerdas.core.errors import ValidationFailed
from kotacerdas.core.sla import WIB

from .models import (
    CheckResult,
    CheckStatus,
    Confidence,
    EventStatus,
    FireEvent,
    GroundCheck,
    Hotspot,
    ImportRun,
    Sensor,
    SensorMessage,
)

# The longest period one map request or export may cover.
MAX_RANGE_DAYS = 400
# An export without dates covers this many days, ending today.
DEFAULT_EXPORT_DAYS = 365

Coordinate = Annotated[float, Field(allow_inf_nan=False)]


# --- Periods --------------------------------------------------------------------------------------
def today() -> dt.date:
    return timezone.now().astimezone(WIB).date()


def _range_error(message: str, field: str = "start") -> ValidationFailed:
    return ValidationFailed(message, code="fires.range.invalid", fields={field: [message]})


def parse_day(value: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise _range_error(_("Enter a valid date (YYYY-MM-DD)."), field) from None


def date_range(
    params: Mapping[str, Any],
    *,
    default_days: int | None = None,
    max_days: int | None = MAX_RANGE_DAYS,
) -> tuple[dt.date, dt.date]:
    """`start` and `end` (YYYY-MM-DD, WIB days, inclusive) from a query. Without both dates:
    the last `default_days` ending today when a default is given, otherwise 422. An end before
    the start, or a period longer than `max_days`, is 422 `fires.range.invalid`."""
    raw_start = str(params.get("start") or "").strip()
    raw_end = str(params.get("end") or "").strip()
    if not raw_start and not raw_end and default_days is not None:
        end = today()
        return end - dt.timedelta(days=default_days - 1), end
    if not raw_start:
        raise _range_error(_("Give the first day (start)."), "start")
    if not raw_end:
        raise _range_error(_("Give the last day (end)."), "end")
    start, end = parse_day(raw_start, "start"), parse_day(raw_end, "end")
    if end < start:
        raise _range_error(_("The last day comes before the first day."), "end")
    if max_days is not None and (end - start).days + 1 > max_days:
        raise _range_error(
            _("At most %(n)d days at once.") % {"n": max_days},
            "end",
        )
    return start, end


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label) if value else ""
    except ValueError:
        return value


def _name(user: Any) -> str:
    return str(user) if user is not None else ""


# --- Queries and inputs ---------------------------------------------------------------------------
class RangeQuery(Schema):
    start: str = Field("", description="First day, YYYY-MM-DD (WIB).")
    end: str = Field("", description="Last day, YYYY-MM-DD (WIB); at most 400 days after start.")


class EventFilterQuery(Schema):
    status: str = Field("", description="baru, dicek_lapangan, ditangani or padam.")
    kecamatan: str = Field("", description="A kecamatan code, e.g. 62.02.11.")
    start: str = Field("", description="Events seen on or after this day (with `end`).")
    end: str = Field("", description="Events seen on or before this day (with `start`).")


class CheckFilterQuery(Schema):
    all: bool = Field(False, description="Also answered and cancelled checks.")


class StatusIn(Schema):
    status: str = Field(description="ditangani or padam (dicek_lapangan comes from a check).")
    version: int | None = Field(None, description="The event's version you read (409 if stale).")
    note: str = ""


class CheckAssignIn(Schema):
    desa_code: str = Field("", description="Ask a desa (its operators and kepala desa)…")
    user_id: int | None = Field(None, description="…or one officer.")
    instructions: str = ""


class CheckResultIn(Schema):
    result: str = Field(description="api (fire) or bukan_api (no fire).")
    note: str = ""
    lat: str = Field("", description="Where the photo was taken (optional).")
    lng: str = ""


class ReasonIn(Schema):
    reason: str = ""


class SensorIn(Schema):
    code: str = Field(description="2-40 lowercase letters, digits and dashes.")
    name: str
    building: str
    lat: Coordinate
    lng: Coordinate
    kind: str = "asap"
    address: str = ""
    agency_id: int | None = None
    owner_id: int | None = None
    heartbeat_seconds: int = 300


# --- The map --------------------------------------------------------------------------------------
class MapEventOut(Schema):
    ref: str
    status: str
    check_result: str
    hotspot_count: int
    frp_total: float
    first: str
    last: str
    lat: float
    lng: float
    desa: str
    desa_code: str
    kecamatan: str
    confidence: str


class MapOut(Schema):
    start: str
    end: str
    t0: str = Field(description="Hotspots' minutes count from this moment (start, 00:00 WIB).")
    hotspots: list[list[float]] = Field(
        description="[lat, lng, minutes since t0, confidence 0/1/2, frp, event index or -1]"
    )
    events: list[MapEventOut]


# --- Events ---------------------------------------------------------------------------------------
class PersonOut(Schema):
    id: int
    name: str


class OpenCheckOut(Schema):
    id: int
    assignee_region_code: str
    assignee_region_name: str
    assignee_user: PersonOut | None
    assigned_at: dt.datetime


class EventRowOut(Schema):
    ref: str
    status: str
    status_label: str
    check_result: str
    check_result_label: str
    hotspot_count: int
    frp_total: float
    max_confidence: str
    max_confidence_label: str
    first_detected_at: dt.datetime
    last_detected_at: dt.datetime
    lat: float
    lng: float
    desa_code: str
    desa_name: str
    kecamatan_code: str
    kecamatan_name: str
    alertable: bool
    checked_at: dt.datetime | None
    handled_at: dt.datetime | None
    out_at: dt.datetime | None
    version: int = Field(description="Send it back with a status change (409 if stale).")
    open_check: OpenCheckOut | None = None

    @staticmethod
    def resolve_status_label(obj: FireEvent) -> str:
        return _label(EventStatus, obj.status)

    @staticmethod
    def resolve_check_result_label(obj: FireEvent) -> str:
        return _label(CheckResult, obj.check_result)

    @staticmethod
    def resolve_max_confidence_label(obj: FireEvent) -> str:
        return _label(Confidence, obj.max_confidence)

    @staticmethod
    def resolve_open_check(obj: FireEvent) -> OpenCheckOut | None:
        checks = getattr(obj, "open_checks", None)
        if checks is None:
            checks = [c for c in obj.checks.all() if c.status == CheckStatus.ASSIGNED]
        if not checks:
            return None
        check = checks[0]
        return OpenCheckOut(
            id=check.pk,
            assignee_region_code=check.assignee_region_code,
            assignee_region_name=check.assignee_region_name,
            assignee_user=person(check.assignee_user),
            assigned_at=check.assigned_at,
        )


def person(user: Any) -> PersonOut | None:
    return PersonOut(id=user.pk, name=_name(user)) if user is not None else None


class CheckOut(Schema):
    id: int
    event: str = Field(description="The event's ref.")
    status: str
    status_label: str
    assignee_region_code: str
    assignee_region_name: str
    assignee_user: PersonOut | None
    instructions: str
    assigned_by: PersonOut | None
    assigned_at: dt.datetime
    result: str
    result_label: str
    note: str
    lat: float | None
    lng: float | None
    photo_url: str | None = Field(description="Behind the back office's permission check.")
    thumbnail_url: str | None
    checked_by: PersonOut | None
    checked_at: dt.datetime | None

    @staticmethod
    def resolve_event(obj: GroundCheck) -> str:
        return obj.event.ref

    @staticmethod
    def resolve_status_label(obj: GroundCheck) -> str:
        return _label(CheckStatus, obj.status)

    @staticmethod
    def resolve_result_label(obj: GroundCheck) -> str:
        return _label(CheckResult, obj.result)

    @staticmethod
    def resolve_assignee_user(obj: GroundCheck) -> PersonOut | None:
        return person(obj.assignee_user)

    @staticmethod
    def resolve_assigned_by(obj: GroundCheck) -> PersonOut | None:
        return person(obj.assigned_by)

    @staticmethod
    def resolve_checked_by(obj: GroundCheck) -> PersonOut | None:
        return person(obj.checked_by)

    @staticmethod
    def resolve_photo_url(obj: GroundCheck) -> str | None:
        # The bytes stay behind the back office's view (its permission and scope checks).
        return reverse("hotspots_kantor:check_photo", args=[obj.pk]) if obj.photo else None

    @staticmethod
    def resolve_thumbnail_url(obj: GroundCheck) -> str | None:
        return reverse("hotspots_kantor:check_thumbnail", args=[obj.pk]) if obj.thumbnail else None


def check_out(check: GroundCheck) -> CheckOut:
    return CheckOut.from_orm(check)


class IncidentLinkOut(Schema):
    ref: str = Field(description="The 119 incident's ref.")
    distance_m: float
    linked_at: dt.datetime


class HotspotOut(Schema):
    lat: float
    lng: float
    acquired_at: dt.datetime
    satellite: str
    instrument: str
    confidence: str
    confidence_raw: str
    frp: float
    brightness: float
    daynight: str
    fire_type: int | None
    approximate: bool


class EventDetailOut(EventRowOut):
    merged_into: str | None = Field(None, description="The event this one was merged into.")
    checks: list[CheckOut] = Field(description="Newest first, photos as URLs.")
    incidents: list[IncidentLinkOut] = Field(description="119 fire incidents nearby.")
    hotspots: list[HotspotOut]

    @staticmethod
    def resolve_merged_into(obj: FireEvent) -> str | None:
        return obj.merged_into.ref if obj.merged_into is not None else None

    @staticmethod
    def resolve_checks(obj: FireEvent) -> list[GroundCheck]:
        return list(obj.checks.all())

    @staticmethod
    def resolve_incidents(obj: FireEvent) -> list[dict[str, Any]]:
        return [
            {"ref": i.incident_ref, "distance_m": round(i.distance_m, 1), "linked_at": i.linked_at}
            for i in obj.incidents.all()
        ]

    @staticmethod
    def resolve_hotspots(obj: FireEvent) -> list[Hotspot]:
        return list(getattr(obj, "hotspot_rows", []))


def event_detail(event: FireEvent, hotspots: list[Hotspot]) -> EventDetailOut:
    """An event from `selectors.event_get` (checks and incidents prefetched) and its hotspots."""
    event.open_checks = [  # type: ignore[attr-defined]
        c for c in event.checks.all() if c.status == CheckStatus.ASSIGNED
    ]
    event.hotspot_rows = hotspots  # type: ignore[attr-defined]
    return EventDetailOut.from_orm(event)


# --- Imports --------------------------------------------------------------------------------------
class RowErrorOut(Schema):
    row: int = Field(description="The line of the file (the header is line 1).")
    column: str
    message: str


class ImportRunOut(Schema):
    id: int
    source: str
    filename: str
    file_format: str
    sha256: str
    size_bytes: int
    outcome: str
    outcome_label: str
    rows_total: int
    rows_outside: int
    rows_new: int
    rows_duplicate: int
    events_new: int
    error_count: int
    code: str
    message: str
    errors: list[RowErrorOut]
    actor: PersonOut | None
    started_at: dt.datetime
    duration_ms: int

    @staticmethod
    def resolve_outcome_label(obj: ImportRun) -> str:
        return str(obj.get_outcome_display())

    @staticmethod
    def resolve_actor(obj: ImportRun) -> PersonOut | None:
        return person(obj.actor)

    @staticmethod
    def resolve_errors(obj: ImportRun) -> list[dict[str, Any]]:
        return [
            {
                "row": int(e.get("row") or 0),
                "column": str(e.get("column") or ""),
                "message": str(e.get("message") or ""),
            }
            for e in (obj.errors or [])
            if isinstance(e, dict)
        ]


class ImportRefusedBody(Schema):
    code: str
    message: str
    rows: list[RowErrorOut] = Field(description="The first bad rows (capped).")
    error_count: int = Field(description="How many rows are bad in all.")


class ImportRefusedOut(Schema):
    error: ImportRefusedBody


def import_refused(run: ImportRun) -> ImportRefusedOut:
    return ImportRefusedOut(
        error=ImportRefusedBody(
            code=run.code,
            message=run.message,
            rows=[RowErrorOut(**r) for r in ImportRunOut.resolve_errors(run)],
            error_count=run.error_count,
        )
    )


# --- Sensors --------------------------------------------------------------------------------------
class SensorOut(Schema):
    code: str
    name: str
    kind: str
    building: str
    address: str
    lat: float
    lng: float
    desa_code: str
    desa_name: str
    kecamatan_code: str
    kecamatan_name: str
    agency_id: int | None
    owner: PersonOut | None
    is_active: bool
    heartbeat_seconds: int
    online: bool
    last_seen_at: dt.datetime | None
    offline_since: dt.datetime | None
    last_alarm_at: dt.datetime | None
    is_demo: bool
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_owner(obj: Sensor) -> PersonOut | None:
        return person(obj.owner)


class SensorSecretOut(Schema):
    sensor: SensorOut
    secret: str = Field(description="Shown once: put it in the device now.")


class SensorMessageOut(Schema):
    id: int
    sensor: str | None
    claimed_code: str
    channel: str
    message_type: str
    outcome: str
    reason: str = Field(description="The refusal's stable code.")
    detail: str
    incident_ref: str
    received_at: dt.datetime

    @staticmethod
    def resolve_sensor(obj: SensorMessage) -> str | None:
        return obj.sensor.code if obj.sensor_id else None  # type: ignore[union-attr]


class WebhookOut(Schema):
    accepted: bool
    incident: str | None = Field(description="The 119 incident an alarm opened (or joined).")
