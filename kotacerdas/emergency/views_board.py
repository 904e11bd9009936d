"""The dispatcher's live board of the 119 desk (/kantor/119/): the map and lists of open
incidents and units, the board's state as JSON, its server-sent-event stream, and the desk's two
unit actions (in/out of service, a status heard on the radio).

The page renders the state once (it works without JavaScript, every button a real form); then
emergency-board.js keeps it live: it listens to the stream (`board_stream`, "something changed")
and fetches `board_state` on each change, polling every few seconds whenever the stream drops.
Thin: every read is `selectors.board_state`, every write a service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from kotacerdas.accounts.backends import is_verified
from kotacerdas.accounts.decorators import staff_view
from kotacerdas.core.errors import (
    NotFound,
    ServiceError,
    ValidationFailed,
    error_response,
    permission_denied,
)

from . import policy, selectors, services, streams
from .models import UNIT_TRANSITIONS, UnitStatus

# A reference that matches REF_PATTERN: the page turns it into each incident's URL.
REF_PLACEHOLDER = "0000-ZZZZZZ"
UNIT_PLACEHOLDER = 999999999
# The same msgid as the template's {% blocktranslate count %} (one catalogue entry).
ALARM_ONE = "%(n)s incident waits with no free unit."
ALARM_MANY = "%(n)s incidents wait with no free unit."
# How a field's error reads in the page's message (a form post without JavaScript).
FIELD_LABELS = {
    "reason": gettext_lazy("Reason"),
    "in_service": gettext_lazy("In service"),
    "status": gettext_lazy("Status"),
}


# --- Helpers ---------------------------------------------------------------------------------------
def _wants_json(request: HttpRequest) -> bool:
    """A fetch from the board (it asks for JSON); a plain form post gets a redirect."""
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("emergency_kantor:board")
    return redirect(target)


def _clock(seconds: float | None) -> str:
    """Elapsed time as the board shows it: 4:05, 1:02:03 ("" when unknown)."""
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _since(iso: str | None, now: dt.datetime) -> str:
    return _clock((now - dt.datetime.fromisoformat(iso)).total_seconds()) if iso else ""


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else max(1, round(seconds / 60))


def _page_rows(state: dict[str, Any]) -> dict[str, Any]:
    """The state with the elapsed times the server-rendered page prints (the script keeps them
    running); the JSON endpoint sends the state as the selector made it."""
    now = timezone.now()
    incidents = []
    for row in state["incidents"]:
        offer = row["offer"]
        incidents.append(
            {
                **row,
                "waited": _since(row["received_at"], now),
                "offer_minutes": _minutes(offer["eta_seconds"]) if offer else None,
                "units": [{**u, "eta_minutes": _minutes(u["eta_seconds"])} for u in row["units"]],
            }
        )
    steps = _transitions()
    units = [
        {
            **u,
            "in_status": _since(u["status_changed_at"], now),
            "steps": steps.get(u["status"], []),
        }
        for u in state["units"]
    ]
    return {
        "waiting": [r for r in incidents if r["waiting"]],
        "active": [r for r in incidents if not r["waiting"]],
        "units": units,
    }


def _transitions() -> dict[str, list[dict[str, str]]]:
    """The steps the desk may record for a unit in each status (the crew's own steps)."""
    return {
        status: [{"value": t, "label": str(UnitStatus(t).label)} for t in sorted(targets)]
        for status, targets in UNIT_TRANSITIONS.items()
        if targets
    }


def _strings() -> dict[str, Any]:
    return {
        "send": _("Send %(unit)s"),
        "sending": _("Sending…"),
        "sent": _("%(unit)s sent to %(ref)s."),
        "eta": _("ETA %(min)s min"),
        "etaFixed": _("fixed access time"),
        "fallback": _("no paramedic"),
        "noUnit": _("No free unit"),
        # The page's plural forms for one and for several (enough for English and Indonesian).
        "alarm": [ngettext(ALARM_ONE, ALARM_MANY, 1), ngettext(ALARM_ONE, ALARM_MANY, 2)],
        "live": _("Live"),
        "polling": _("Reconnecting (polling)"),
        "connecting": _("Connecting…"),
        "soundOn": _("The alarm sounds; press to mute it."),
        "soundOff": _("The alarm is muted; press to hear it."),
        "open": _("Open"),
        "showOnMap": _("Show on map"),
        "showOnMapOf": _("Show %(name)s on the map"),
        "arrivesIn": _("arrives in %(time)s"),
        "late": _("late by %(time)s"),
        "noneWaiting": _("No incident is waiting."),
        "noneActive": _("No unit is on a job."),
        "noUnits": _("No units yet."),
        "patients": _("%(n)s patients"),
        "unconscious": _("unconscious"),
        "notBreathing": _("not breathing"),
        "approximate": _("approximate location"),
        "sensorAlarm": _("sensor alarm"),
        "outOfService": _("Take out of service"),
        "reason": _("Reason"),
        "save": _("Save"),
        "backInService": _("Back in service"),
        "record": _("Record status"),
        "done": _("Saved."),
        "failed": _("That did not work. Try again."),
        "expired": _("Your session has ended. Reload the page and sign in again."),
        "incident": _("Incident"),
        "unit": pgettext("emergency", "Unit"),
        "received": _("received %(time)s ago"),
    }


def _url_templates() -> dict[str, str]:
    ref = {"ref": REF_PLACEHOLDER}
    unit = {"unit_id": UNIT_PLACEHOLDER}
    return {
        "detail": reverse("emergency_kantor:incident_detail", kwargs=ref),
        "dispatch": reverse("emergency_kantor:incident_dispatch", kwargs=ref),
        "unitService": reverse("emergency_kantor:unit_service", kwargs=unit),
        "unitStatus": reverse("emergency_kantor:unit_status", kwargs=unit),
    }


# --- The board ---------------------------------------------------------------------------------
@staff_view(policy.DESK)
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    state = selectors.board_state(actor=request.user)
    boundaries = (
        reverse("api-v1:region_geojson")
        + "?"
        + urlencode({"level": "kecamatan", "parent": settings.KOTACERDAS_REGION_ROOT})
    )
    return render(
        request,
        "emergency/board/board.html",
        {
            "state": state,
            "counts": state["counts"],
            "rows": _page_rows(state),
            "transitions": _transitions(),
            "board_config": {
                "stateUrl": reverse("emergency_kantor:board_state"),
                "streamUrl": reverse("emergency_kantor:board_stream"),
                "boundariesUrl": boundaries,
                "urls": _url_templates(),
                "refPlaceholder": REF_PLACEHOLDER,
                "unitPlaceholder": str(UNIT_PLACEHOLDER),
                "transitions": _transitions(),
                "strings": _strings(),
                "tileUrl": settings.MAP_TILE_URL,
                "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            },
        },
    )


@staff_view(policy.DESK)
@require_GET
def board_state(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(selectors.board_state(actor=request.user))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
async def board_stream(request: HttpRequest) -> HttpResponseBase:
    """The board's change stream (served by the ASGI process). The same gate as staff_view:
    sign-in (with TOTP) first, then the desk's permission."""
    user = await request.auser()
    if not user.is_authenticated or not is_verified(user):
        query = urlencode({"next": reverse("emergency_kantor:board")})
        return redirect(f"{reverse('accounts:login')}?{query}")
    if not await sync_to_async(user.has_perm)(policy.DESK):
        return await sync_to_async(permission_denied)(request)
    return streams.event_stream(request)


# --- Unit actions --------------------------------------------------------------------------------
def _unit_answer(request: HttpRequest, unit: Any, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": message, "unit": selectors.unit_row(unit)})
    messages.success(request, message)
    return _back(request)


def _unit_error(request: HttpRequest, error: ServiceError) -> HttpResponse:
    if _wants_json(request):
        return error_response(error.status, error.code, error.message, error.fields)
    if isinstance(error, NotFound):
        raise error  # staff_view answers with the 404 page
    text = error.message
    if error.fields:
        text = " ".join(
            f"{FIELD_LABELS.get(name, name)}: {message}"
            for name, field_messages in error.fields.items()
            for message in field_messages
        )
    messages.error(request, text)
    return _back(request)


def _in_service(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no"):
        return False
    message = _("Choose whether the unit is in service.")
    raise ValidationFailed(
        message, code="emergency.unit.in_service_invalid", fields={"in_service": [message]}
    )


@staff_view(policy.DESK)
@require_POST
def unit_service(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Take a free unit out of service (with a reason) or put it back."""
    try:
        in_service = _in_service(request.POST.get("in_service", ""))
        unit = services.unit_set_service(
            actor=request.user,
            unit_id=unit_id,
            in_service=in_service,
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as error:
        return _unit_error(request, error)
    message = (
        _("%(unit)s is back in service.") if in_service else _("%(unit)s is out of service.")
    ) % {"unit": unit.call_sign}
    return _unit_answer(request, unit, message)


@staff_view(policy.DESK)
@require_POST
def unit_status(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The desk records a unit's status heard on the radio (the crew's next step)."""
    try:
        unit = services.unit_step(
            actor=request.user,
            unit_id=unit_id,
            status=request.POST.get("status", ""),
            version=request.POST.get("version") or None,
        )
    except ServiceError as error:
        return _unit_error(request, error)
    message = _("%(unit)s: %(status)s.") % {
        "unit": unit.call_sign,
        "status": UnitStatus(unit.status).label,
    }
    return _unit_answer(request, unit, message)
