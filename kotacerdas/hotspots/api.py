"""/api/v1/fires: fire detection from the API, the same selectors and services as the pages.

- The map (`hotspots.view`): the map data of a period (at most 400 days), as the pages' map.
- Events (`hotspots.view`, scoped: desa and kecamatan staff see their area, the fire agencies
  and the desk the regency): list, detail with ground checks (photos as URLs behind the back
  office's checks), linked 119 incidents and hotspots; status moves and ground-check requests
  (`hotspots.manage`).
- Ground checks (`hotspots.ground_check`): one's checks, the answer with a photo (multipart),
  cancelling (`hotspots.manage`).
- Imports (`hotspots.manage`, regency-wide): a FIRMS CSV upload is imported whole (201) or
  refused whole with its per-row report (422).
- Sensors (`hotspots.manage_sensors`): register (the secret is shown once), re-key, revoke,
  the message log; and `POST /sensors/webhook`, where a sensor posts its signed message (no
  session or token: the HMAC signature is the credential, see signing.py).

Thin: check the capability (403), call a selector or a service, shape the answer. What is out
of one's scope is a 404 like something missing; ServiceError is rendered as {"error": {"code",
"message", "fields"}}.
"""

# No `from __future__ import annotations` here: ninja reads the Query[...]/Form[...]/File[...]
# parameter types at import time.
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from kotacerdas.accounts.api_auth import API_AUTH
from kotacerdas.core.api_support import (
    ERROR_RESPONSES,
    ErrorOut,
    Pagination,
    api_actor_holding,
)
from kotacerdas.core.errors import ValidationFailed, error_response

from . import policy, selectors, services
from .models import EventStatus, ImportOutcome, ImportSource, MessageChannel
from .schemas import (
    CheckAssignIn,
    CheckFilterQuery,
    CheckOut,
    CheckResultIn,
    EventDetailOut,
    EventFilterQuery,
    EventRowOut,
    ImportRefusedOut,
    ImportRunOut,
    MapOut,
    RangeQuery,
    ReasonIn,
    SensorIn,
    SensorMessageOut,
    SensorOut,
    SensorSecretOut,
    StatusIn,
    WebhookOut,
    check_out,
    date_range,
    event_detail,
    import_refused,
)
from .views import map_json_response

router = Router(auth=API_AUTH)
ERRORS = ERROR_RESPONSES


def _event(actor: Any, ref: str) -> EventDetailOut:
    event = selectors.event_get(actor=actor, ref=ref)
    return event_detail(event, selectors.event_hotspots(event=event))


def _check(actor: Any, check_id: int) -> CheckOut:
    check = selectors.check_get(actor=actor, check_id=check_id)
    return check_out(check)


# --- The map --------------------------------------------------------------------------------------
@router.get("/map", response={200: MapOut, 304: None, **ERRORS})
def map_data(request: HttpRequest, query: Query[RangeQuery]) -> Any:
    """Hotspots and events between `start` and `end` (WIB days, inclusive; at most 400 days;
    422 `fires.range.invalid` otherwise), in the map's compact form. With an ETag: send it back
    in If-None-Match for a 304 while nothing changed."""
    api_actor_holding(request, policy.VIEW)
    start, end = date_range({"start": query.start, "end": query.end})
    return map_json_response(request, start, end)


# --- Events ---------------------------------------------------------------------------------------
@router.get("/events", response={200: list[EventRowOut], **ERRORS})
@paginate(Pagination)
def event_list(request: HttpRequest, filters: Query[EventFilterQuery]) -> Any:
    """Fire events in the caller's area, most recently active first, each with its open
    ground check. Filters: `status`, `kecamatan` (code), `start` and `end` (seen in the period)."""
    actor = api_actor_holding(request, policy.VIEW)
    if filters.status and filters.status not in EventStatus.values:
        text = _("Choose one of the allowed values.")
        raise ValidationFailed(text, code="fires.filter.invalid", fields={"status": [text]})
    start = end = None
    if filters.start or filters.end:
        start, end = date_range({"start": filters.start, "end": filters.end}, max_days=None)
    return selectors.event_list(
        actor=actor,
        status=filters.status,
        kecamatan_code=filters.kecamatan.strip(),
        start=start,
        end=end,
    ).order_by("-last_detected_at", "-pk")


@router.get("/events/{ref}", response={200: EventDetailOut, **ERRORS})
def event_get(request: HttpRequest, ref: str) -> EventDetailOut:
    """One event: figures, every ground check (with photo URLs), linked 119 incidents and its
    hotspots."""
    return _event(api_actor_holding(request, policy.VIEW), ref)


@router.post("/events/{ref}/status", response={200: EventDetailOut, **ERRORS})
def event_status(request: HttpRequest, ref: str, payload: StatusIn) -> EventDetailOut:
    """Move an event: baru → ditangani, dicek_lapangan (fire) → ditangani or padam,
    ditangani → padam, padam → ditangani (flare-up). 409 `fires.event.transition` for any other
    move, 409 `fires.event.changed` when `version` is stale, 422 `fires.status.invalid`."""
    actor = api_actor_holding(request, policy.MANAGE)
    services.event_set_status(
        actor=actor, ref=ref, status=payload.status, version=payload.version, note=payload.note
    )
    return _event(actor, ref)


@router.post("/events/{ref}/checks", response={201: CheckOut, **ERRORS})
def check_assign(request: HttpRequest, ref: str, payload: CheckAssignIn) -> Status:
    """Ask a desa (`desa_code`) or one officer (`user_id`) to check a new event on the ground.
    One open check per event (409 `fires.check.already_assigned`)."""
    actor = api_actor_holding(request, policy.MANAGE)
    check = services.check_assign(
        actor=actor,
        ref=ref,
        desa_code=payload.desa_code.strip(),
        user_id=payload.user_id,
        instructions=payload.instructions,
    )
    return Status(201, _check(actor, check.pk))


# --- Ground checks --------------------------------------------------------------------------------
@router.get("/checks", response={200: list[CheckOut], **ERRORS})
@paginate(Pagination)
def check_list(request: HttpRequest, query: Query[CheckFilterQuery]) -> Any:
    """The ground checks the caller may answer (assigned to them or to a desa in their area),
    open ones only unless `all`."""
    actor = api_actor_holding(request, policy.GROUND_CHECK)
    checks = selectors.checks_for(actor=actor, include_done=query.all).select_related(
        "assignee_user", "checked_by"
    )
    return checks


@router.get("/checks/{check_id}", response={200: CheckOut, **ERRORS})
def check_get(request: HttpRequest, check_id: int) -> CheckOut:
    """One ground check (its assignees, and managers who can see its event)."""
    return _check(api_actor_holding(request, policy.GROUND_CHECK, policy.MANAGE), check_id)


@router.post("/checks/{check_id}/result", response={200: CheckOut, **ERRORS})
def check_result(
    request: HttpRequest,
    check_id: int,
    payload: Form[CheckResultIn],
    photo: File[UploadedFile] = None,  # type: ignore[assignment]
) -> CheckOut:
    """The answer from the field (multipart): `result` api / bukan_api, a `photo` (required),
    a `note`, and where it was taken (`lat`, `lng`). The event becomes dicek_lapangan."""
    actor = api_actor_holding(request, policy.GROUND_CHECK)
    check = services.check_submit(
        actor=actor,
        check_id=check_id,
        result=payload.result,
        note=payload.note,
        photo=photo,
        lat=payload.lat,
        lng=payload.lng,
    )
    return _check(actor, check.pk)


@router.post("/checks/{check_id}/cancel", response={200: CheckOut, **ERRORS})
def check_cancel(request: HttpRequest, check_id: int, payload: ReasonIn) -> CheckOut:
    """Cancel an open ground check (with a reason), so that another can be assigned."""
    actor = api_actor_holding(request, policy.MANAGE)
    check = services.check_cancel(actor=actor, check_id=check_id, reason=payload.reason)
    return _check(actor, check.pk)


# --- Imports --------------------------------------------------------------------------------------
@router.post(
    "/imports",
    response={201: ImportRunOut, **ERRORS, 422: ImportRefusedOut},
)
def import_create(
    request: HttpRequest,
    file: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Status:
    """Import a FIRMS CSV (archive or near-real-time format, multipart `file`). 201 with the
    run; a file with any bad row is refused whole: 422 {"error": {"code", "message", "rows":
    [{row, column, message}], "error_count"}} and nothing is imported. Re-importing the same
    data adds nothing (`rows_duplicate`)."""
    actor = api_actor_holding(request, policy.MANAGE)
    run = services.hotspots_import(
        actor=actor,
        source=ImportSource.UPLOAD,
        upload=file,
        filename=getattr(file, "name", "") or "",
    )
    if run.outcome == ImportOutcome.REFUSED:
        return Status(422, import_refused(run))
    return Status(201, ImportRunOut.from_orm(run))


@router.get("/imports", response={200: list[ImportRunOut], **ERRORS})
@paginate(Pagination)
def import_list(request: HttpRequest) -> Any:
    """The latest imports (uploads, the command and the scheduled FIRMS fetch), newest first."""
    actor = api_actor_holding(request, policy.MANAGE)
    return selectors.import_runs(actor=actor)


@router.get("/imports/{run_id}", response={200: ImportRunOut, **ERRORS})
def import_get(request: HttpRequest, run_id: int) -> Any:
    """One import with its figures and, when refused, its per-row report."""
    actor = api_actor_holding(request, policy.MANAGE)
    return selectors.import_run_get(actor=actor, pk=run_id)


# --- Sensors --------------------------------------------------------------------------------------
@router.get("/sensors", response={200: list[SensorOut], **ERRORS})
@paginate(Pagination)
def sensor_list(request: HttpRequest) -> Any:
    """The sensors the caller manages (their agency's; administrators all), or sees as fire
    staff, with their state (online, last seen, last alarm)."""
    actor = api_actor_holding(request, policy.MANAGE_SENSORS, policy.VIEW)
    return selectors.sensor_list(actor=actor)


@router.post("/sensors", response={201: SensorSecretOut, **ERRORS})
def sensor_create(request: HttpRequest, payload: SensorIn) -> Status:
    """Register a sensor in a building of the regency. The answer carries its `secret`, once:
    it signs every message the device sends."""
    actor = api_actor_holding(request, policy.MANAGE_SENSORS)
    issued = services.sensor_create(
        actor=actor,
        code=payload.code,
        name=payload.name,
        building=payload.building,
        lat=payload.lat,
        lng=payload.lng,
        kind=payload.kind,
        address=payload.address,
        agency_id=payload.agency_id,
        owner_id=payload.owner_id,
        heartbeat_seconds=payload.heartbeat_seconds,
    )
    return Status(
        201, SensorSecretOut(sensor=SensorOut.from_orm(issued.sensor), secret=issued.secret)
    )


@router.post(
    "/sensors/webhook",
    response={
        202: WebhookOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
    },
    auth=None,
)
def sensor_webhook(request: HttpRequest) -> Any:
    """A sensor posts its signed message here (the raw JSON body, see signing.py: no session
    or token, the HMAC signature with the sensor's own secret is the credential; no CSRF).
    202 {"accepted": true, "incident": ref or null} — an alarm opens (or joins) a fire incident
    on the 119 desk at the sensor's building. Refused (and logged): 400 not JSON / invalid,
    401 no signature / unknown sensor / bad signature, 403 revoked, 409 stale time / replayed
    nonce, 413 too large."""
    received = services.sensor_message_receive(channel=MessageChannel.HTTP, raw=request.body)
    if received.accepted:
        return Status(202, WebhookOut(accepted=True, incident=received.incident_ref or None))
    status = services.REFUSAL_STATUS.get(received.code, 400)
    return error_response(status, received.code, received.message)


@router.get("/sensors/{code}", response={200: SensorOut, **ERRORS})
def sensor_get(request: HttpRequest, code: str) -> Any:
    actor = api_actor_holding(request, policy.MANAGE_SENSORS, policy.VIEW)
    return selectors.sensor_get(actor=actor, code=code)


@router.post("/sensors/{code}/rotate", response={200: SensorSecretOut, **ERRORS})
def sensor_rotate(request: HttpRequest, code: str) -> SensorSecretOut:
    """A new secret (shown once); the old one stops working at once. Re-activates a revoked
    sensor."""
    actor = api_actor_holding(request, policy.MANAGE_SENSORS)
    issued = services.sensor_rotate_secret(actor=actor, code=code)
    return SensorSecretOut(sensor=SensorOut.from_orm(issued.sensor), secret=issued.secret)


@router.post("/sensors/{code}/revoke", response={200: SensorOut, **ERRORS})
def sensor_revoke(request: HttpRequest, code: str) -> Any:
    """Refuse the sensor's messages from now on (409 `fires.sensor.revoked` if it already is)."""
    actor = api_actor_holding(request, policy.MANAGE_SENSORS)
    return services.sensor_revoke(actor=actor, code=code)


@router.get("/sensors/{code}/messages", response={200: list[SensorMessageOut], **ERRORS})
@paginate(Pagination)
def sensor_message_list(request: HttpRequest, code: str) -> Any:
    """The sensor's latest messages (at most 100), accepted and refused, newest first."""
    actor = api_actor_holding(request, policy.MANAGE_SENSORS, policy.VIEW)
    selectors.sensor_get(actor=actor, code=code)  # 404 outside one's sensors
    return selectors.sensor_messages(actor=actor, code=code)
