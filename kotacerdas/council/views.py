"""Council pages: the Council dashboard (/dewan/), public open data (/data/) and the back
office for masterplan programs (/kantor/program/). Thin: parse, call selectors/services,
render."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kotacerdas.core.errors import Conflict, NotFound, ServiceError
from kotacerdas.core.exports import csv_response

from . import selectors, services
from .forms import FilterForm, ProgramForm, TargetForm, TargetYearForm, apply_service_error
from .models import Program
from .policy import CHANGE_PROGRAM, VIEW_DASHBOARD


def page_permission(
    perm: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Anonymous: to the sign-in page. Signed in without the permission (including staff
    whose session has not passed 2FA): the 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _programs(request: HttpRequest) -> dict[str, Any]:
    form = FilterForm(request.GET or None)
    dimension, year = form.filters()
    programs = list(selectors.program_list(actor=request.user, dimension=dimension, year=year))
    return {
        "filter_form": form,
        "year": year,
        "dimension": dimension,
        "programs": programs,
        "groups": selectors.programs_by_dimension(programs),
    }


def _summary(request: HttpRequest, *, public_only: bool) -> dict[str, Any]:
    context = _programs(request)
    context["indicators"] = selectors.indicator_cards(
        public_only=public_only, dimension=context["dimension"]
    )
    return context


# --- Council dashboard and open data ----------------------------------------------------------
@require_GET
@page_permission(VIEW_DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "council/dashboard.html", _summary(request, public_only=False))


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "council/open_data.html", _summary(request, public_only=True))


@require_GET
def open_data_indicators_csv(request: HttpRequest) -> HttpResponse:
    cards = selectors.indicator_cards(public_only=True)
    rows = (
        [card.key, card.dimension, card.title, card.unit, row["label"], row["code"], row["value"]]
        for card in cards
        for row in card.rows
    )
    header = ["indicator", "dimension", "title", "unit", "label", "code", "value"]
    return csv_response("indikator.csv", header, rows)


@require_GET
def open_data_indicators_json(request: HttpRequest) -> HttpResponse:
    cards = selectors.indicator_cards(public_only=True)
    body = {
        "generated_at": timezone.now(),
        "indicators": [
            {
                "key": c.key,
                "dimension": c.dimension,
                "title": c.title,
                "description": c.description,
                "unit": c.unit,
                "total": c.total,
                "rows": c.rows,
            }
            for c in cards
        ],
    }
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="indikator.json"'
    return response


@require_GET
def open_data_programs_csv(request: HttpRequest) -> HttpResponse:
    header = [
        "code", "name", "dimension", "owner_agency", "owner_agency_name", "status",
        "quick_win", "demo", "year", "measure", "unit", "target", "realisation", "percent",
    ]  # fmt: skip
    rows = (
        [
            p.code,
            p.name,
            p.dimension,
            p.owner_agency.code,
            p.owner_agency.name,
            p.status,
            int(p.is_quick_win),
            int(p.is_demo),
            *(
                [t.year, t.indicator, t.unit, t.target, t.realisation, t.percent]
                if t is not None
                else [None] * 6
            ),
        ]
        for p in selectors.program_export()
        # A program with no targets yet still gets its row.
        for t in (p.loaded_targets or [None])  # type: ignore[list-item]
    )
    return csv_response("program.csv", header, rows)


# --- Back office: programs --------------------------------------------------------------------
def _program_or_404(code: str) -> Program:
    try:
        return selectors.program_get(code=code)
    except NotFound:
        raise Http404 from None


@require_GET
@page_permission(CHANGE_PROGRAM)
def program_list(request: HttpRequest) -> HttpResponse:
    return render(request, "council/kantor/program_list.html", _programs(request))


@require_http_methods(["GET", "POST"])
@page_permission(CHANGE_PROGRAM)
def program_create(request: HttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                program = services.program_create(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    dimension=data["dimension"],
                    owner_agency=data["owner_agency"],
                    description=data["description"],
                    status=data["status"],
                    is_quick_win=data["is_quick_win"],
                    is_demo=data["is_demo"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Program %(name)s created.") % {"name": program.name})
                return redirect("council:program_edit", code=program.code)
        else:
            status = 422
    return render(
        request, "council/kantor/program_form.html", {"form": form, "program": None}, status=status
    )


@require_http_methods(["GET", "POST"])
@page_permission(CHANGE_PROGRAM)
def program_edit(request: HttpRequest, code: str) -> HttpResponse:
    program = _program_or_404(code)
    initial = {
        "name": program.name,
        "dimension": program.dimension,
        "owner_agency": program.owner_agency,
        "status": program.status,
        "description": program.description,
        "is_quick_win": program.is_quick_win,
        "is_demo": program.is_demo,
        "expected_updated_at": program.updated_at,
    }
    form = ProgramForm(request.POST or None, initial=initial, editing=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            expected = data.pop("expected_updated_at")
            try:
                services.program_update(
                    actor=request.user, program=program, data=data, expected_updated_at=expected
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Program %(name)s saved.") % {"name": data["name"]})
                return redirect("council:program_edit", code=program.code)
        else:
            status = 422
    return render(
        request,
        "council/kantor/program_form.html",
        {
            "form": form,
            "program": program,
            "targets": program.loaded_targets,
            "year_form": TargetYearForm(initial={"year": selectors.current_year()}),
        },
        status=status,
    )


@require_GET
@page_permission(CHANGE_PROGRAM)
def program_target_pick(request: HttpRequest, code: str) -> HttpResponse:
    """The "set a year" box on the edit page: on to that year's form."""
    program = _program_or_404(code)
    form = TargetYearForm(request.GET)
    if not form.is_valid():
        messages.error(
            request,
            _("Enter a year between %(min)s and %(max)s.")
            % {"min": selectors.YEAR_MIN, "max": selectors.YEAR_MAX},
        )
        return redirect("council:program_edit", code=program.code)
    return redirect("council:program_target", code=program.code, year=form.cleaned_data["year"])


@require_http_methods(["GET", "POST"])
@page_permission(CHANGE_PROGRAM)
def program_target(request: HttpRequest, code: str, year: int) -> HttpResponse:
    program = _program_or_404(code)
    if not selectors.YEAR_MIN <= year <= selectors.YEAR_MAX:
        raise Http404
    current = next((t for t in program.loaded_targets if t.year == year), None)
    initial = (
        {
            "indicator": current.indicator,
            "unit": current.unit,
            "target": current.target,
            "realisation": current.realisation,
            "expected_updated_at": current.updated_at,
        }
        if current is not None
        else _initial_from_latest(program)
    )
    form = TargetForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.program_target_set(
                    actor=request.user,
                    program=program,
                    year=year,
                    indicator=data["indicator"],
                    unit=data["unit"],
                    target=data["target"],
                    realisation=data["realisation"],
                    expected_updated_at=data["expected_updated_at"],
                )
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = exc.status
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Target for %(year)s saved.") % {"year": year},
                )
                return redirect("council:program_edit", code=program.code)
        else:
            status = 422
    return render(
        request,
        "council/kantor/target_form.html",
        {"form": form, "program": program, "year": year, "target": current},
        status=status,
    )


def _initial_from_latest(program: Program) -> dict[str, Any]:
    """A new year starts from the measure and unit of the latest year (figures blank)."""
    latest = program.loaded_targets[-1] if program.loaded_targets else None
    return {"indicator": latest.indicator, "unit": latest.unit} if latest else {}
