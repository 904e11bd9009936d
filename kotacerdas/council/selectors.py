"""Reads of the council app.

Masterplan programs, their targets and the public indicators are public information: every
actor (anonymous included) may read them, so these selectors take the actor for the common
signature but do not narrow by it. Nothing here returns records about a person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kotacerdas.core import indicators as indicator_registry
from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.errors import NotFound, ValidationFailed

from .models import Program, ProgramTarget

logger = logging.getLogger(__name__)

YEAR_MIN = 2000
YEAR_MAX = 2100


def current_year() -> int:
    """The year in WIB (the regency's clock), not UTC."""
    return timezone.localdate().year


def _clean_filters(*, dimension: str | None, year: int | None) -> tuple[str | None, int]:
    fields: dict[str, list[str]] = {}
    if dimension and dimension not in Dimension.values:
        fields["dimension"] = [_("Choose one of the allowed values.")]
    if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
        fields["year"] = [
            _("Must be between %(min)s and %(max)s.") % {"min": YEAR_MIN, "max": YEAR_MAX}
        ]
    if fields:
        raise ValidationFailed(fields=fields)
    return dimension or None, year if year is not None else current_year()


def program_list(
    *, actor: Any = None, dimension: str | None = None, year: int | None = None
) -> QuerySet[Program]:
    """All programs (public), ordered by dimension and name, with the owner agency joined and
    the given year's target (this year by default) prefetched as `year_targets`: two queries
    however many programs there are. Read `program.year_target` for the year's target."""
    dimension, year = _clean_filters(dimension=dimension, year=year)
    qs = Program.objects.select_related("owner_agency").prefetch_related(
        Prefetch(
            "targets", queryset=ProgramTarget.objects.filter(year=year), to_attr="year_targets"
        )
    )
    if dimension:
        qs = qs.filter(dimension=dimension)
    return qs.order_by("dimension", "name", "pk")


def program_get(*, code: str, actor: Any = None) -> Program:
    """One program by its code, with the owner agency and every year's target (ordered by
    year, as `all_targets`). Unknown code: NotFound."""
    program = (
        Program.objects.select_related("owner_agency")
        .prefetch_related(
            Prefetch(
                "targets", queryset=ProgramTarget.objects.order_by("year"), to_attr="all_targets"
            )
        )
        .filter(code=code)
        .first()
    )
    if program is None:
        raise NotFound(_("There is no program with this code."), code="council.program.not_found")
    return program


def program_target_get(*, program: Program, year: int) -> ProgramTarget | None:
    return ProgramTarget.objects.filter(program=program, year=year).first()


def program_export() -> QuerySet[Program]:
    """Every program with all of its years' targets (`all_targets`), for the open-data export:
    two queries."""
    return (
        Program.objects.select_related("owner_agency")
        .prefetch_related(
            Prefetch(
                "targets", queryset=ProgramTarget.objects.order_by("year"), to_attr="all_targets"
            )
        )
        .order_by("dimension", "name", "pk")
    )


def programs_by_dimension(programs: list[Program]) -> list[dict[str, Any]]:
    """Programs grouped by the six dimensions, in the masterplan's order (only dimensions that
    have programs)."""
    groups: dict[str, list[Program]] = {value: [] for value in Dimension.values}
    for program in programs:
        groups.setdefault(program.dimension, []).append(program)
    return [
        {"key": value, "label": label, "programs": groups[value]}
        for value, label in Dimension.choices
        if groups[value]
    ]


# --- Indicators -------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorCard:
    key: str
    dimension: str
    dimension_label: str
    title: str
    description: str
    unit: str
    total: float | int | None
    note: str
    rows: list[dict[str, Any]]
    chart: dict[str, Any]
    failed: bool = False


def _number(value: Any) -> float | int:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else float(value)


def indicator_cards(*, public_only: bool, dimension: str | None = None) -> list[IndicatorCard]:
    """Every registered indicator (only the public ones when asked), computed now, as cards
    ready for a page or an export. An indicator that fails to compute is shown as failed
    (and logged) instead of taking the whole dashboard down."""
    dimension_labels = dict(Dimension.choices)
    cards = []
    for ind in indicator_registry.registered(public_only=public_only):
        if dimension and ind.dimension != dimension:
            continue
        title, unit = str(ind.title), str(ind.unit)
        try:
            result = ind.compute()
        except Exception:
            logger.exception("indicator %s failed to compute", ind.key)
            result = None
        rows = (
            [{"label": r.label, "code": r.code, "value": _number(r.value)} for r in result.rows]
            if result is not None
            else []
        )
        cards.append(
            IndicatorCard(
                key=ind.key,
                dimension=ind.dimension,
                dimension_label=str(dimension_labels.get(ind.dimension, ind.dimension)),
                title=title,
                description=str(ind.description),
                unit=unit,
                total=_number(result.total)
                if result is not None and result.total is not None
                else None,
                note=result.note if result is not None else "",
                rows=rows,
                chart={
                    "type": ind.extra.get("chart", "bar"),
                    "labels": [r["label"] for r in rows],
                    "series": [{"label": title, "values": [r["value"] for r in rows]}],
                    "unit": unit,
                },
                failed=result is None,
            )
        )
    return cards
