"""The citizen's side of the 119 desk (phone first, 3G): the one-tap call pages, the live status
of a call with its details form and cancel button, and "my calls". Thin: parse, call
selectors/services, render.

Every write is a POST with CSRF. The page scripts send the same forms with fetch and
`Accept: application/json`; they get JSON back ({"error": {"code", "message", "fields"}} with
the ServiceError's status on a refusal), a plain form POST gets the page again with the errors
on the fields. Only the caller sees a call: anyone else (staff included) gets a 404, as for a
call that does not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kotacerdas.core.errors import AuthenticationRequired, NotFound, ServiceError
from kotacerdas.core.forms import apply_service_error
from kotacerdas.regions.selectors import region_choices_for_signup

from . import selectors, services, streams
from .forms import CallForm, CancelForm, DetailsForm
from .models import IncidentKind

EMERGENCY_NUMBER = "119"
DESA_CHOICES_SECONDS = 600

# The steps of a call as its caller reads them (keys of selectors.caller_status()["steps"]).
STEP_LABELS: dict[str, Any] = {
    "received": gettext_lazy("Call received"),
    "accepted": gettext_lazy("Accepted by the 119 desk"),
    "dispatched": gettext_lazy("Unit dispatched"),
    "en_route": gettext_lazy("Unit on the way"),
    "on_scene": gettext_lazy("Unit on scene"),
    "transporting": gettext_lazy("Taking the patient"),
    "at_facility": gettext_lazy("Arrived at the health facility"),
    "closed": gettext_lazy("Closed"),
}
# Fire trucks carry no patients: those steps show only when a unit stamped them.
PATIENT_STEPS = frozenset({"transporting", "at_facility"})

PAGES: dict[str, dict[str, Any]] = {
    IncidentKind.MEDICAL: {
        "url_name": "emergency:ambulance",
        "title": gettext_lazy("Call an ambulance"),
        "button": gettext_lazy("Call an ambulance"),
        "lead": gettext_lazy(
            "Free ambulance of PSC 119. One tap sends your location and phone number; "
            "you can tell us what happened on the next screen while help is arranged."
        ),
    },
    IncidentKind.FIRE: {
        "url_name": "emergency:fire",
        "title": gettext_lazy("Report a fire"),
        "button": gettext_lazy("Report a fire"),
        "lead": gettext_lazy(
            "The 119 desk sends the fire brigade (Damkar). One tap sends your location and "
            "phone number; you can tell us more on the next screen."
        ),
    },
}


# --- helpers -------------------------------------------------------------------------------------
def _wants_json(request: HttpRequest) -> bool:
    """The page scripts ask for JSON; a plain form POST gets a page."""
    return "application/json" in request.headers.get("Accept", "")


def _error_json(exc: ServiceError) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=exc.status)


def _form_error_json(form: Any) -> JsonResponse:
    fields = {
        (name if name != "__all__" else "form"): [str(e["message"]) for e in errors]
        for name, errors in form.errors.get_json_data().items()
    }
    first = next((m for messages_ in fields.values() for m in messages_), "")
    return JsonResponse(
        {
            "error": {
                "code": "emergency.form.invalid",
                "message": first or _("Some fields are not valid."),
                "fields": fields,
            }
        },
        status=422,
    )


def _status_url(ref: str) -> str:
    return reverse("emergency:status", kwargs={"ref": ref})


def _login_url(next_url: str) -> str:
    return reverse(settings.LOGIN_URL) + "?" + urlencode({"next": next_url})


def _desa_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Desa/kelurahan of the regency grouped by kecamatan (reference data: kept ten minutes
    in this process, so the call page costs no query for it)."""
    cache = caches["fragments"]
    key = f"emergency:desa-choices:{settings.KOTACERDAS_REGION_ROOT}"
    choices = cache.get(key)
    if choices is None:
        choices = region_choices_for_signup(within=settings.KOTACERDAS_REGION_ROOT)
        cache.set(key, choices, DESA_CHOICES_SECONDS)
    return choices


def _boundaries_url() -> str:
    return (
        reverse("api-v1:region_geojson")
        + "?"
        + urlencode({"level": "kecamatan", "parent": settings.KOTACERDAS_REGION_ROOT})
    )


def _display_phone(phone: str) -> str:
    return f"+{phone}" if phone.isdigit() else phone


def _caller_or_404(request: HttpRequest, ref: str) -> Any:
    try:
        return selectors.incident_for_caller(actor=request.user, ref=ref)
    except NotFound:
        raise Http404 from None


def _status_or_404(request: HttpRequest, ref: str) -> dict[str, Any]:
    try:
        return selectors.caller_status(actor=request.user, ref=ref)
    except NotFound:
        raise Http404 from None


def _local_time(value: str | None) -> str:
    if not value:
        return ""
    return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%H:%M")


def _eta_text(state: dict[str, Any]) -> str:
    seconds = state.get("eta_seconds")
    if seconds is None:
        return ""
    minutes = max(1, round(seconds / 60))
    if state.get("eta_fixed"):
        return _("about %(n)d min: a fixed access time by river, not a road estimate") % {
            "n": minutes
        }
    return _("arrives in about %(n)d min") % {"n": minutes}


def present(state: dict[str, Any]) -> dict[str, Any]:
    """selectors.caller_status plus what the page prints: each step with its label, local time
    and detail, the ETA in words, whether the caller may still cancel. The page and its script
    render from the same words (the script never builds a sentence)."""
    at = {step["key"]: step["at"] for step in state["steps"]}
    unit = state.get("unit") or {}
    destination = state.get("destination") or ""
    # caller_status estimates only while a unit is on its way (none once it is on scene).
    eta = _eta_text(state) if state["is_open"] else ""
    details = {
        "dispatched": _("Unit %(unit)s") % {"unit": unit["call_sign"]} if unit else "",
        "transporting": _("to %(facility)s") % {"facility": destination} if destination else "",
        "at_facility": destination,
    }
    done = [key for key, value in at.items() if value]
    current = done[-1] if done and state["is_open"] else ""
    timeline = []
    for step in state["steps"]:
        key, when = step["key"], step["at"]
        if key in PATIENT_STEPS and state["kind"] != IncidentKind.MEDICAL and not when:
            continue
        if key == "closed" and state["cancelled_at"]:
            continue
        detail = eta if key == "en_route" else (details.get(key, "") if when else "")
        timeline.append(
            {
                "key": key,
                "label": str(STEP_LABELS[key]),
                "at": when,
                "time": _local_time(when),
                "detail": detail,
                "done": bool(when),
                "current": key == current,
            }
        )
    if state["cancelled_at"]:
        timeline.append(
            {
                "key": "cancelled",
                "label": _("Cancelled"),
                "at": state["cancelled_at"],
                "time": _local_time(state["cancelled_at"]),
                "detail": state["cancel_reason"],
                "done": True,
                "current": False,
            }
        )
    return {
        **state,
        "timeline": timeline,
        "eta_text": eta,
        "can_cancel": state["is_open"] and not at.get("on_scene"),
    }


# --- the call pages ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def ambulance(request: HttpRequest) -> HttpResponse:
    return _call_page(request, IncidentKind.MEDICAL)


@require_http_methods(["GET", "POST"])
def fire(request: HttpRequest) -> HttpResponse:
    return _call_page(request, IncidentKind.FIRE)


def _call_page(request: HttpRequest, kind: str) -> HttpResponse:
    page = PAGES[kind]
    here = reverse(page["url_name"])
    user = request.user
    if not user.is_authenticated:
        if request.method == "POST":
            if _wants_json(request):
                return _error_json(AuthenticationRequired())
            return redirect_to_login(here)
        return render(
            request,
            "emergency/portal/call.html",
            {"page": page, "kind": kind, "login_url": _login_url(here)},
        )

    account_phone = getattr(user, "phone", "") or ""
    status = 200
    location_error = False
    if request.method == "POST":
        form = CallForm(request.POST, desa_choices=_desa_choices())
        if not form.is_valid():
            if _wants_json(request):
                return _form_error_json(form)
            status = 422
        else:
            try:
                lat, lng, desa_code = form.point()
                incident, created = services.incident_call(
                    actor=user,
                    kind=kind,
                    lat=lat,
                    lng=lng,
                    desa_code=desa_code,
                    phone=form.cleaned_data["phone"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except ServiceError as exc:
                if _wants_json(request):
                    return _error_json(exc)
                apply_service_error(form, exc)
                location_error = "location" in exc.fields
                status = exc.status
            else:
                url = _status_url(incident.ref)
                if _wants_json(request):
                    return JsonResponse(
                        {"ref": incident.ref, "url": url, "created": created},
                        status=201 if created else 200,
                    )
                return redirect(url)
    else:
        form = CallForm(initial={"idempotency_key": uuid.uuid4()}, desa_choices=_desa_choices())
    context: dict[str, Any] = {
        "page": page,
        "kind": kind,
        "form": form,
        "location_error": location_error,
        "account_phone": _display_phone(account_phone) if account_phone else "",
        "boundaries_url": _boundaries_url(),
        "lookup_url": reverse("api-v1:region_lookup"),
        "map_js": static("dist/map.js"),
        "map_css": static("dist/map.css"),
        "call_strings": {
            "locating": _("Finding your location…"),
            "located": _("Location found (within %(m)s m)."),
            "pinned": _("Pin placed."),
            "place": _("Desa/kelurahan %(desa)s, kecamatan %(kecamatan)s"),
            "desaChosen": _("The centre of the chosen desa will be sent."),
            "noGps": _(
                "We could not get your location. Tap the map where you are, or choose your "
                "desa, then tap the button again."
            ),
            "needLocation": _("Tap the map where you are, or choose your desa."),
            "sending": _("Sending your call…"),
            "retrying": _("The connection is weak. Trying again… If it keeps failing, call 119."),
            "failed": _("The call could not be sent. Call 119 now."),
            "offline": _("You are offline. Call 119 now."),
            "mapFailed": _("The map could not be loaded. Choose your desa instead."),
        },
    }
    return render(request, "emergency/portal/call.html", context, status=status)


# --- one call ------------------------------------------------------------------------------------
def _render_status(
    request: HttpRequest,
    ref: str,
    *,
    details_form: DetailsForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    state = present(_status_or_404(request, ref))
    context = {
        "state": state,
        "details_form": details_form or DetailsForm(kind=state["kind"]),
        "cancel_form": cancel_form or CancelForm(),
        "emergency_number": EMERGENCY_NUMBER,
        "live_strings": {
            "live": _("Live"),
            "polling": _("Checking every 5 seconds"),
            "updated": _("Updated %(time)s"),
            "sent": _("Thank you. The desk can read it now."),
            "more": _("Add more details"),
            "failed": _("Not sent: check the connection and try again, or call 119."),
        },
    }
    response = render(request, "emergency/portal/status.html", context, status=status)
    return response


@require_GET
@never_cache
@login_required
def status(request: HttpRequest, ref: str) -> HttpResponse:
    return _render_status(request, ref)


@require_GET
@never_cache
def status_json(request: HttpRequest, ref: str) -> HttpResponse:
    """The status page's data (the stream says when to fetch it; polled when the stream is
    down)."""
    return JsonResponse(present(_status_or_404(request, ref)))


@require_GET
async def status_stream(request: HttpRequest, ref: str) -> HttpResponseBase:
    """Server-sent events: "your call changed" (streams.event_stream); the page then fetches
    status_json. Only the caller's own call."""
    user = await request.auser()
    try:
        incident = await sync_to_async(selectors.incident_for_caller)(actor=user, ref=ref)
    except NotFound:
        raise Http404 from None
    return streams.event_stream(request, incident_id=incident.pk)


@require_POST
def details(request: HttpRequest, ref: str) -> HttpResponse:
    if not request.user.is_authenticated:
        if _wants_json(request):
            return _error_json(AuthenticationRequired())
        return redirect_to_login(_status_url(ref))
    incident = _caller_or_404(request, ref)
    form = DetailsForm(request.POST, kind=incident.kind)
    if not form.is_valid():
        if _wants_json(request):
            return _form_error_json(form)
        return _render_status(request, ref, details_form=form, status=422)
    try:
        services.incident_add_details(actor=request.user, ref=ref, **form.answers())
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        if _wants_json(request):
            return _error_json(exc)
        apply_service_error(form, exc)
        return _render_status(request, ref, details_form=form, status=exc.status)
    if _wants_json(request):
        return JsonResponse({"ref": ref, "details_given": True})
    messages.success(request, _("Thank you. The desk can read your answers now."))
    return redirect(_status_url(ref))


@require_POST
def cancel(request: HttpRequest, ref: str) -> HttpResponse:
    if not request.user.is_authenticated:
        if _wants_json(request):
            return _error_json(AuthenticationRequired())
        return redirect_to_login(_status_url(ref))
    # The desk may cancel any call through the service; this page only the caller's own.
    _caller_or_404(request, ref)
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        services.incident_cancel(
            actor=request.user, ref=ref, reason=form.cleaned_data.get("reason", "")
        )
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        if _wants_json(request):
            return _error_json(exc)
        apply_service_error(form, exc)
        return _render_status(request, ref, cancel_form=form, status=exc.status)
    if _wants_json(request):
        return JsonResponse({"ref": ref, "cancelled": True})
    messages.success(request, _("Your call was cancelled."))
    return redirect(_status_url(ref))


# --- my calls ------------------------------------------------------------------------------------
@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    calls = selectors.my_calls(actor=request.user)
    return render(request, "emergency/portal/mine.html", {"calls": calls})
