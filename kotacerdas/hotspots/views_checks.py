"""Ground checks from the phone (/kantor/karhutla/cek/): a desa operator, kepala desa or a fire
agency's officer in the field, on a 360 px screen and a slow network.

- `check_list`: the open checks this person may answer, each as a big card with the way there,
  and below them the recently answered ones.
- `check_detail`: the event in short and the answer form (fire / no fire, a photo taken on the
  spot, a note, the phone's position filled by fires-check.js). Managers see any check of an
  event they can see, read-only, with its photo, and may cancel an open one.
- `check_photo` / `check_thumbnail`: the stored JPEG, only to who may see the check.

Thin: parse, call selectors/services, render. A check outside the user's reach is a 404 like a
missing one; bad input is a form error (422), an answer to a closed check a conflict (409)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kotacerdas.accounts.decorators import staff_view
from kotacerdas.core.errors import Conflict, NotFound, ServiceError, permission_denied
from kotacerdas.core.forms import apply_service_error

from . import policy, selectors, services
from .forms_checks import CheckAnswerForm, CheckCancelForm
from .models import CheckResult, CheckStatus, FireEvent, GroundCheck

RECENT_DONE = 10
PHOTO_CACHE_CONTROL = "private, max-age=600"


# --- Helpers -------------------------------------------------------------------------------------
def directions(lat: float, lng: float, label: str = "") -> dict[str, str]:
    """Links to the point: a geo: URI (the phone's map app) and OpenStreetMap (any browser)."""
    point = f"{lat:.6f},{lng:.6f}"
    query = f"{point}({label})" if label else point
    return {
        "geo": f"geo:{point}?q={query}",
        "osm": f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lng:.6f}#map=15/{lat:.5f}/{lng:.5f}",
    }


def _card(check: GroundCheck) -> dict[str, Any]:
    event: FireEvent = check.event
    return {
        "check": check,
        "event": event,
        "directions": directions(event.lat, event.lng, event.ref),
    }


def _may_answer(user: Any, check: GroundCheck) -> bool:
    return check.status == CheckStatus.ASSIGNED and services.can_answer(user, check)


def _detail_page(
    request: HttpRequest,
    check: GroundCheck,
    form: CheckAnswerForm | None = None,
    *,
    error: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    can_answer = _may_answer(user, check)
    can_cancel = check.status == CheckStatus.ASSIGNED and user.has_perm(policy.MANAGE)
    return render(
        request,
        "hotspots/checks/detail.html",
        {
            "check": check,
            "event": check.event,
            "directions": directions(check.event.lat, check.event.lng, check.event.ref),
            "can_answer": can_answer,
            "can_cancel": can_cancel,
            "can_open_event": user.has_perm(policy.VIEW),
            "form": (form or CheckAnswerForm()) if can_answer else None,
            "cancel_form": CheckCancelForm() if can_cancel else None,
            "results": [
                {"value": CheckResult.FIRE, "label": CheckResult.FIRE.label, "css": "fire"},
                {"value": CheckResult.NO_FIRE, "label": CheckResult.NO_FIRE.label, "css": "nofire"},
            ],
            "error": error,
        },
        status=status,
    )


# --- The list ------------------------------------------------------------------------------------
@staff_view(policy.GROUND_CHECK)
@require_GET
def check_list(request: HttpRequest) -> HttpResponse:
    """Open checks first (big cards), then the last answered or cancelled ones. An officer of
    an agency that has nothing to do with fires holds the permission but reaches nothing."""
    if selectors.area(request.user, policy.GROUND_CHECK).empty:
        return permission_denied(request)
    open_checks = list(selectors.checks_for(actor=request.user))
    done = list(
        selectors.checks_for(actor=request.user, include_done=True)
        .exclude(status=CheckStatus.ASSIGNED)
        .select_related("checked_by")[:RECENT_DONE]
    )
    return render(
        request,
        "hotspots/checks/list.html",
        {"cards": [_card(c) for c in open_checks], "done": done},
    )


# --- One check: the answer -----------------------------------------------------------------------
@staff_view(policy.VIEW)
@require_http_methods(["GET", "POST"])
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = selectors.check_get(actor=request.user, check_id=pk)
    if request.method != "POST":
        return _detail_page(request, check)
    if not services.can_answer(request.user, check):
        # A manager looking at someone else's check may not answer it.
        return permission_denied(request)
    form = CheckAnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail_page(request, check, form, status=422)
    data = dict(form.cleaned_data)  # add_error() below drops fields from cleaned_data
    try:
        answered = services.check_submit(
            actor=request.user,
            check_id=check.pk,
            result=data["result"],
            note=data["note"],
            photo=data["photo"],
            lat=data["lat"],
            lng=data["lng"],
        )
    except NotFound:
        raise
    except Conflict as exc:
        # Answered (or cancelled) meanwhile: show the check as it is now, with the reason.
        fresh = selectors.check_get(actor=request.user, check_id=pk)
        return _detail_page(request, fresh, error=exc, status=409)
    except ServiceError as exc:
        apply_service_error(form, exc)
        if data["photo"] is None and "photo" not in exc.fields:
            # The service stops at the first problem; on a slow network say both at once.
            form.add_error("photo", _("Attach a photo of what you found."))
        return _detail_page(request, check, form, status=422)
    messages.success(
        request,
        _("Thank you. Your ground check of %(ref)s was sent: %(result)s.")
        % {"ref": check.event.ref, "result": CheckResult(answered.result).label},
    )
    return redirect("hotspots_kantor:checks")


@staff_view(policy.MANAGE)
@require_POST
def check_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    check = selectors.check_get(actor=request.user, check_id=pk)
    ref = check.event.ref
    try:
        services.check_cancel(
            actor=request.user, check_id=check.pk, reason=request.POST.get("reason", "")
        )
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The ground check of %(ref)s was cancelled.") % {"ref": ref})
    return redirect("hotspots_kantor:event", ref)


# --- Photos --------------------------------------------------------------------------------------
def _photo_response(request: HttpRequest, pk: int, *, thumbnail: bool) -> Any:
    """The stored JPEG (re-encoded without metadata when it was uploaded), only to someone who
    may see the check."""
    check = selectors.check_get(actor=request.user, check_id=pk)
    stored: FieldFile = check.thumbnail if thumbnail else check.photo
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = PHOTO_CACHE_CONTROL
    return response


@staff_view(policy.VIEW)
@require_GET
def check_photo(request: HttpRequest, pk: int) -> HttpResponse:
    return _photo_response(request, pk, thumbnail=False)


@staff_view(policy.VIEW)
@require_GET
def check_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    return _photo_response(request, pk, thumbnail=True)
