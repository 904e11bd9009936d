"""Building sensors in the back office (/kantor/karhutla/sensor/): smoke and heat detectors in
markets and public buildings.

- `sensor_list`: the sensors the user reaches (their agency's; administrators and the fire
  agencies' heads all), online or not, last seen, last alarm, and the recent message log with
  the refusals in words.
- `sensor_create`: register a sensor. The secret is shown once, on the page answering the POST
  itself (never in a redirect, a URL or the session), with everything the installer needs: the
  MQTT topics and broker, the webhook URL, the message format and its signature.
- `sensor_detail`: one sensor, its messages, and the managers' actions: a new key (shown once,
  the same way) and revocation.

Thin: parse, call selectors/services, render. A sensor outside the user's reach is a 404."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kotacerdas.accounts.decorators import staff_view
from kotacerdas.accounts.selectors import agency_list, scope_for
from kotacerdas.core.errors import NotFound, ServiceError
from kotacerdas.core.forms import apply_service_error

from . import policy, selectors, services, signing
from .forms_sensors import SensorForm
from .models import MessageOutcome, Sensor, SensorMessage

LOG_LIMIT = 50
DETAIL_LOG_LIMIT = 100
# The example in signing.py: an installer checks their firmware's HMAC against it. Its time is
# long past, so the example message itself is refused as stale if anyone sends it.
EXAMPLE_TS = 1763870000
EXAMPLE_NONCE = "5f2c9a1e77d04b1c"
EXAMPLE_VALUE = 61.5
WEBHOOK_PATH = "/api/v1/fires/sensors/webhook"


# --- Helpers -------------------------------------------------------------------------------------
def _managed_agencies(actor: Any) -> tuple[bool, set[int]]:
    """(everything, agency ids) the actor may register, re-key and revoke sensors for."""
    scope = scope_for(actor=actor, perm=policy.MANAGE_SENSORS)
    return scope.everything, {g.agency_id for g in scope.grants if g.agency_id is not None}


def _can_manage(managed: tuple[bool, set[int]], sensor: Sensor) -> bool:
    everything, agencies = managed
    return everything or (sensor.agency_id is not None and sensor.agency_id in agencies)


def _agency_choices(actor: Any) -> tuple[list[tuple[int, str]], bool]:
    everything, ids = _managed_agencies(actor)
    agencies = agency_list(active_only=True).order_by("short_name")
    if not everything:
        agencies = agencies.filter(pk__in=ids)
    return [(a.pk, a.short_name) for a in agencies], everything


def _agency_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {a.pk: a.short_name for a in agency_list(active_only=False).filter(pk__in=ids)}


def sensor_state(sensor: Sensor) -> dict[str, str]:
    """The badge: revoked / online / never seen / offline."""
    if not sensor.is_active:
        return {"key": "revoked", "label": _("Revoked"), "css": "tag-muted"}
    if sensor.online:
        return {"key": "online", "label": _("Online"), "css": "tag-ok"}
    if sensor.last_seen_at is None:
        return {"key": "never", "label": _("Never seen"), "css": "tag-muted"}
    return {"key": "offline", "label": _("Offline"), "css": "tag-danger"}


def _message_rows(rows: list[SensorMessage]) -> list[dict[str, Any]]:
    return [
        {
            "message": m,
            "code": m.sensor.code if m.sensor is not None else m.claimed_code,
            "known": m.sensor is not None,
            "refused": m.outcome == MessageOutcome.REFUSED,
            "reason_text": services._refusal_text(m.reason) if m.reason else "",
        }
        for m in rows
    ]


def broker_url() -> str:
    """settings.MQTT_URL without its user name and password."""
    url = urllib.parse.urlsplit(settings.MQTT_URL)
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = url.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urllib.parse.urlunsplit((url.scheme, netloc, url.path, "", ""))


def _webhook_url(request: HttpRequest) -> str:
    try:
        path = reverse("api-v1:sensor_webhook")
    except NoReverseMatch:  # pragma: no cover - the API is always mounted
        path = WEBHOOK_PATH
    return request.build_absolute_uri(path)


def _secret_page(
    request: HttpRequest, issued: services.SensorSecret, *, rekeyed: bool
) -> HttpResponse:
    """The one response that shows a sensor's secret, with what its installer needs. Never
    cached, never stored anywhere else."""
    sensor, secret = issued.sensor, issued.secret
    prefix = settings.MQTT_TOPIC_PREFIX.rstrip("/")
    value_text = json.dumps(EXAMPLE_VALUE)
    canonical = signing.canonical(
        sensor.code, "alarm", EXAMPLE_TS, EXAMPLE_NONCE, value_text
    ).decode()
    example = signing.signed_message(
        secret, sensor.code, "alarm", EXAMPLE_TS, EXAMPLE_NONCE, EXAMPLE_VALUE
    )
    # A secret may start with "-": "--" ends the options, so the shell line always works.
    command = f"python manage.py sensor_publish --type heartbeat -- {sensor.code} {secret}"
    response = render(
        request,
        "hotspots/sensors/secret.html",
        {
            "sensor": sensor,
            "secret": secret,
            "rekeyed": rekeyed,
            "topic_alarm": f"{prefix}/{sensor.code}/alarm",
            "topic_heartbeat": f"{prefix}/{sensor.code}/heartbeat",
            "broker": broker_url(),
            "webhook": _webhook_url(request),
            "canonical_template": "v1|{sensor}|{type}|{ts}|{nonce}|{value}",
            "canonical": canonical,
            "example_body": json.dumps(json.loads(example), indent=2),
            "command": command,
            "replay_window": getattr(settings, "SENSOR_REPLAY_WINDOW_SECONDS", None),
        },
        status=201 if not rekeyed else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


# --- The list ------------------------------------------------------------------------------------
@staff_view(policy.MANAGE_SENSORS)
@require_GET
def sensor_list(request: HttpRequest) -> HttpResponse:
    sensors = list(selectors.sensor_list(actor=request.user))
    managed = _managed_agencies(request.user)
    names = _agency_names({s.agency_id for s in sensors if s.agency_id is not None})
    log = selectors.sensor_messages(actor=request.user, limit=LOG_LIMIT)
    return render(
        request,
        "hotspots/sensors/list.html",
        {
            "rows": [
                {
                    "sensor": s,
                    "state": sensor_state(s),
                    "agency": names.get(s.agency_id) if s.agency_id is not None else None,
                    "can_manage": _can_manage(managed, s),
                }
                for s in sensors
            ],
            "log": _message_rows(log),
            "log_limit": LOG_LIMIT,
            "can_create": managed[0] or bool(managed[1]),
        },
    )


# --- Registering ---------------------------------------------------------------------------------
@staff_view(policy.MANAGE_SENSORS)
@require_http_methods(["GET", "POST"])
def sensor_create(request: HttpRequest) -> HttpResponse:
    agencies, any_agency = _agency_choices(request.user)
    form = SensorForm(request.POST or None, agencies=agencies, any_agency=any_agency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.sensor_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                building=data["building"],
                kind=data["kind"],
                address=data["address"],
                lat=data["lat"],
                lng=data["lng"],
                heartbeat_seconds=data["heartbeat_seconds"],
                agency_id=data["agency_id"],
            )
        except NotFound:
            raise
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return _secret_page(request, issued, rekeyed=False)
    return render(
        request,
        "hotspots/sensors/create.html",
        {
            "form": form,
            "map_boundaries_url": reverse("api-v1:region_geojson")
            + f"?level=kecamatan&parent={settings.KOTACERDAS_REGION_ROOT}",
        },
        status=422 if form.is_bound and form.errors else 200,
    )


# --- One sensor ----------------------------------------------------------------------------------
@staff_view(policy.MANAGE_SENSORS)
@require_http_methods(["GET", "POST"])
def sensor_detail(request: HttpRequest, code: str) -> HttpResponse:
    sensor = selectors.sensor_get(actor=request.user, code=code)
    managed = _managed_agencies(request.user)
    can_manage = _can_manage(managed, sensor)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if not can_manage or action not in ("rotate", "revoke"):
            raise NotFound(code="fires.sensor.not_found")
        try:
            if action == "rotate":
                issued = services.sensor_rotate_secret(actor=request.user, code=sensor.code)
                return _secret_page(request, issued, rekeyed=True)
            services.sensor_revoke(actor=request.user, code=sensor.code)
        except NotFound:
            raise
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Sensor %(code)s was revoked: its messages are refused from now on.")
                % {"code": sensor.code},
            )
        return redirect("hotspots_kantor:sensor", sensor.code)
    names = _agency_names({sensor.agency_id} if sensor.agency_id is not None else set())
    log = selectors.sensor_messages(actor=request.user, code=sensor.code, limit=DETAIL_LOG_LIMIT)
    return render(
        request,
        "hotspots/sensors/detail.html",
        {
            "sensor": sensor,
            "state": sensor_state(sensor),
            "agency": names.get(sensor.agency_id) if sensor.agency_id is not None else None,
            "can_manage": can_manage,
            "log": _message_rows(log),
            "log_limit": DETAIL_LOG_LIMIT,
            "topic_prefix": settings.MQTT_TOPIC_PREFIX.rstrip("/"),
        },
    )
