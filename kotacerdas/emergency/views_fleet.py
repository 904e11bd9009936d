"""Back-office pages of the 119 desk's fleet and figures (/kantor/119/armada/, /kantor/119/kinerja/).

- Fleet (`policy.MANAGE_FLEET`): stations and units, their crews and service state, and the
  desa access-time overrides. Administrators manage everything; an agency head only their
  agency's stations and units (the selectors scope the lists; the services check again).
- Performance (`policy.VIEW_PERFORMANCE`): response times per kecamatan and month, calls per
  day, unit utilisation, incidents waiting now. Aggregates only: no caller, no patient.

Thin: parse, call selectors/services, render."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kotacerdas.accounts.decorators import staff_view
from kotacerdas.accounts.selectors import agency_list, scope_for, staff_holding
from kotacerdas.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from kotacerdas.core.forms import apply_service_error
from kotacerdas.facilities.selectors import facility_list
from kotacerdas.regions.selectors import region_children, region_choices_for_signup

from . import policy, selectors, services
from .forms_fleet import (
    ACCESS_MODES,
    DesaAccessForm,
    PerformanceFilterForm,
    StationForm,
    UnitForm,
    UnitServiceForm,
)
from .models import Capability, IncidentKind, Station, Unit, UnitStatus

# The yardstick on the performance page: some Indonesian kabupaten set 15 minutes from call
# to scene (the NHS targets a 90th percentile of 15 minutes for its most urgent calls).
TARGET_MINUTES = 15
CALL_DAYS = 30
UTILISATION_DAYS = 7


# --- Helpers -------------------------------------------------------------------------------------
def _is_fleet_admin(actor: Any) -> bool:
    return scope_for(actor=actor, perm=policy.MANAGE_FLEET).everything


def _agency_choices(actor: Any) -> list[tuple[int, str]]:
    """The agencies the actor may give a station: all for administrators, else their own."""
    scope = scope_for(actor=actor, perm=policy.MANAGE_FLEET)
    agencies = agency_list(active_only=not scope.everything).order_by("short_name")
    if not scope.everything:
        agencies = agencies.filter(pk__in=[g.agency_id for g in scope.grants if g.agency_id])
    return [(a.pk, a.short_name) for a in agencies]


def _kecamatan_names() -> dict[str, str]:
    return {
        r["code"]: r["name"] for r in region_children(parent_code=settings.KOTACERDAS_REGION_ROOT)
    }


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _place_error(form: Any, exc: ServiceError, aliases: dict[str, str]) -> None:
    """The service's field names on the form's (a location error belongs to the coordinates)."""
    fields = {aliases.get(k, k): v for k, v in exc.fields.items()}
    apply_service_error(form, ValidationFailed(exc.message, code=exc.code, fields=fields))


# --- The fleet list ------------------------------------------------------------------------------
@staff_view(policy.MANAGE_FLEET)
@require_GET
def fleet(request: HttpRequest) -> HttpResponse:
    stations = list(selectors.station_list(actor=request.user))
    units = list(selectors.unit_list(actor=request.user).prefetch_related("crew"))
    by_station: dict[int, list[Unit]] = defaultdict(list)
    for u in units:
        by_station[u.station_id].append(u)
    kecamatan = _kecamatan_names()
    return render(
        request,
        "emergency/fleet/fleet.html",
        {
            "stations": [
                {
                    "station": s,
                    "kecamatan": kecamatan.get(s.kecamatan_code, s.kecamatan_code),
                    "units": by_station.get(s.pk, []),
                }
                for s in stations
            ],
            "units": [
                {
                    "unit": u,
                    "crew": sorted(_person(m) for m in u.crew.all()),
                    "busy": u.status not in (UnitStatus.AVAILABLE, UnitStatus.OUT_OF_SERVICE),
                }
                for u in units
            ],
            "is_admin": _is_fleet_admin(request.user),
        },
    )


# --- Stations ------------------------------------------------------------------------------------
def _station_or_404(actor: Any, station_id: int) -> Station:
    station = selectors.station_list(actor=actor).filter(pk=station_id).first()
    if station is None:
        raise NotFound(code="emergency.station.not_found")
    return station


@staff_view(policy.MANAGE_FLEET)
@require_http_methods(["GET", "POST"])
def station_edit(request: HttpRequest, station_id: int | None = None) -> HttpResponse:
    station = None if station_id is None else _station_or_404(request.user, station_id)
    initial: dict[str, Any] = {"access_minutes": 0, "is_active": True}
    if station is not None:
        initial = {
            "code": station.code,
            "name": station.name,
            "agency": station.agency_id,
            "lat": station.lat,
            "lng": station.lng,
            "facility": station.facility_id,
            "access_minutes": station.access_minutes,
            "is_active": station.is_active,
        }
    form = StationForm(
        request.POST or None,
        initial=initial,
        agencies=_agency_choices(request.user),
        facilities=[(f.pk, f.name) for f in facility_list(kind="health")],
        editing=station is not None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code = station.code if station is not None else data["code"]
        if station is None and selectors.station_code_taken(code=code):
            form.add_error("code", _("A station with this code exists already."))
        else:
            try:
                saved = services.station_save(
                    actor=request.user,
                    code=code,
                    name=data["name"],
                    agency_id=data["agency"],
                    lat=data["lat"],
                    lng=data["lng"],
                    facility_id=data["facility"],
                    access_minutes=data["access_minutes"],
                    is_active=data["is_active"],
                    is_demo=station.is_demo if station is not None else False,
                )
            except NotFound:
                raise
            except ServiceError as exc:
                _place_error(form, exc, {"location": "lat", "desa_code": "lat"})
            else:
                messages.success(request, _("Station “%(name)s” saved.") % {"name": saved.name})
                return redirect("emergency_kantor:fleet")
    return render(
        request,
        "emergency/fleet/station_form.html",
        {"form": form, "station": station},
        status=422 if form.is_bound and form.errors else 200,
    )


# --- Units ---------------------------------------------------------------------------------------
def _unit_or_404(actor: Any, unit_id: int) -> Unit:
    unit = selectors.unit_list(actor=actor).prefetch_related("crew").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(code="emergency.unit.not_found")
    return unit


def _crew_choices(unit: Unit) -> list[tuple[int, str]]:
    """Officers (petugas) of the unit's agency, and whoever crews it now."""
    officers = list(staff_holding(roles=["petugas_opd"], agency_id=unit.station.agency_id))
    known = {u.pk for u in officers}
    officers += [u for u in unit.crew.all() if u.pk not in known]
    return sorted(((u.pk, _person(u)) for u in officers), key=lambda c: c[1].lower())


def _unit_page(
    request: HttpRequest,
    unit: Unit | None,
    form: UnitForm,
    service_form: UnitServiceForm | None,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "emergency/fleet/unit_form.html",
        {"form": form, "unit": unit, "service_form": service_form},
        status=status,
    )


def _service_initial(unit: Unit) -> dict[str, Any]:
    return {
        "in_service": "0" if unit.status == UnitStatus.OUT_OF_SERVICE else "1",
        "reason": unit.out_of_service_reason,
    }


@staff_view(policy.MANAGE_FLEET)
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, unit_id: int | None = None) -> HttpResponse:
    unit = None if unit_id is None else _unit_or_404(request.user, unit_id)
    stations = [
        (s.pk, f"{s.name} ({s.agency.short_name})")
        for s in selectors.station_list(actor=request.user)
    ]
    crew = _crew_choices(unit) if unit is not None else None
    initial: dict[str, Any] = {}
    if unit is not None:
        initial = {
            "call_sign": unit.call_sign,
            "station": unit.station_id,
            "capability": unit.capability,
            "plate": unit.plate,
            "crew": [m.pk for m in unit.crew.all()],
        }
    service_form = UnitServiceForm(initial=_service_initial(unit)) if unit is not None else None
    posting_service = request.method == "POST" and request.POST.get("action") == "service"
    form = UnitForm(
        request.POST if request.method == "POST" and not posting_service else None,
        initial=initial,
        stations=stations,
        crew=crew,
        editing=unit is not None,
    )
    if posting_service:
        if unit is None:
            raise NotFound(code="emergency.unit.not_found")
        return _set_service(request, unit, form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        call_sign = unit.call_sign if unit is not None else data["call_sign"]
        if unit is None and selectors.unit_call_sign_taken(call_sign=call_sign):
            form.add_error("call_sign", _("A unit with this call sign exists already."))
        else:
            try:
                # The unit and its crew together: a refused crew leaves the unit unchanged.
                with transaction.atomic():
                    saved = services.unit_save(
                        actor=request.user,
                        call_sign=call_sign,
                        station_id=data["station"],
                        capability=data["capability"],
                        plate=data["plate"],
                        is_demo=unit.is_demo if unit is not None else False,
                    )
                    if "crew" in data:
                        services.unit_crew_set(
                            actor=request.user, unit_id=saved.pk, user_ids=data["crew"]
                        )
            except NotFound:
                raise
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                if unit is None:
                    messages.success(
                        request,
                        _("Unit %(unit)s saved. Now choose its crew.") % {"unit": saved.call_sign},
                    )
                    return redirect("emergency_kantor:unit_edit", unit_id=saved.pk)
                messages.success(request, _("Unit %(unit)s saved.") % {"unit": saved.call_sign})
                return redirect("emergency_kantor:fleet")
    return _unit_page(
        request,
        unit,
        form,
        service_form,
        status=422 if form.is_bound and form.errors else 200,
    )


def _set_service(request: HttpRequest, unit: Unit, form: UnitForm) -> HttpResponse:
    service_form = UnitServiceForm(request.POST)
    if service_form.is_valid():
        data = service_form.cleaned_data
        try:
            done = services.unit_set_service(
                actor=request.user,
                unit_id=unit.pk,
                in_service=data["in_service"],
                reason=data["reason"],
            )
        except NotFound:
            raise
        except ServiceError as exc:
            apply_service_error(service_form, exc)
        else:
            messages.success(
                request,
                _("%(unit)s is now “%(status)s”.")
                % {"unit": done.call_sign, "status": UnitStatus(done.status).label},
            )
            return redirect("emergency_kantor:unit_edit", unit_id=unit.pk)
    return _unit_page(request, unit, form, service_form, status=422)


# --- Desa access times ---------------------------------------------------------------------------
@staff_view(policy.MANAGE_FLEET)
@require_http_methods(["GET", "POST"])
def desa_access(request: HttpRequest) -> HttpResponse:
    if not _is_fleet_admin(request.user):
        raise PermissionDenied()
    groups = region_choices_for_signup(within=settings.KOTACERDAS_REGION_ROOT)
    names = {code: (name, kecamatan) for kecamatan, rows in groups for code, name in rows}
    form = DesaAccessForm(request.POST or None, villages=groups)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = services.desa_access_save(
                actor=request.user,
                desa_code=data["desa_code"],
                minutes=data["minutes"],
                mode=data["mode"],
                note=data["note"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            desa = names.get(data["desa_code"], (data["desa_code"], ""))[0]
            if row is None:
                message = _("The access time of %(desa)s is removed.") % {"desa": desa}
            else:
                message = _("The access time of %(desa)s is %(minutes)d minutes.") % {
                    "desa": desa,
                    "minutes": row.minutes,
                }
            messages.success(request, message)
            return redirect("emergency_kantor:desa_access")
    modes = dict(ACCESS_MODES)
    rows = [
        {
            "row": r,
            "desa": names.get(r.desa_code, (r.desa_code, ""))[0],
            "kecamatan": names.get(r.desa_code, ("", ""))[1],
            "mode": modes.get(r.mode, r.mode),
        }
        for r in selectors.desa_access_list()
    ]
    return render(
        request,
        "emergency/fleet/desa_access.html",
        {"form": form, "rows": rows},
        status=422 if form.is_bound and form.errors else 200,
    )


# --- Performance ---------------------------------------------------------------------------------
def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _figure_rows(figures: list[selectors.ResponseFigure]) -> list[dict[str, Any]]:
    top = max((f.p90_s for f in figures), default=0.0) or 1.0
    return [
        {
            "key": f.key,
            "label": f.label or f.key,
            "calls": f.calls,
            "median": _minutes(f.median_s),
            "p90": _minutes(f.p90_s),
            "width": round(100 * f.p90_s / top),
            "over": f.p90_s > TARGET_MINUTES * 60,
        }
        for f in figures
    ]


@staff_view(policy.VIEW_PERFORMANCE)
@require_GET
def performance(request: HttpRequest) -> HttpResponse:
    form = PerformanceFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    invalid = form.is_bound and not form.is_valid()
    days = selectors.calls_per_day(days=CALL_DAYS)
    busiest = max((n for _d, n in days), default=0) or 1
    overall = selectors.response_overall(kind=kind or None, days=30)
    return render(
        request,
        "emergency/fleet/performance.html",
        {
            "form": form,
            "invalid": invalid,
            "kind_label": IncidentKind(kind).label if kind else "",
            "overall": (
                {
                    "calls": overall.calls,
                    "median": _minutes(overall.median_s),
                    "p90": _minutes(overall.p90_s),
                }
                if overall is not None
                else None
            ),
            "by_kecamatan": _figure_rows(selectors.response_by_kecamatan(kind=kind or None)),
            "by_month": _figure_rows(selectors.response_by_month(kind=kind or None)),
            "days": [{"date": d, "calls": n, "height": round(100 * n / busiest)} for d, n in days],
            "calls_total": sum(n for _d, n in days),
            "utilisation": [
                {
                    "call_sign": call_sign,
                    "capability": Capability(capability).label,
                    "percent": round(100 * share),
                }
                for call_sign, capability, share in selectors.unit_utilisation(
                    days=UTILISATION_DAYS
                )
            ],
            "waiting": selectors.waiting_without_unit(),
            "target": TARGET_MINUTES,
            "call_days": CALL_DAYS,
            "utilisation_days": UTILISATION_DAYS,
        },
    )
