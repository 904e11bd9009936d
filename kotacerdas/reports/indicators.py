"""Council indicators of the reports app (aggregates only; never a reporter).

Each figure is computed from the whole table, so it is cached for a minute
(REPORTS_INDICATOR_CACHE_SECONDS): the dashboard stays fast with a hundred thousand reports
and is never more than a minute behind.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.indicators import (
    Indicator,
    IndicatorResult,
    IndicatorRow,
    cached,
    register,
)

from . import selectors


def _cached(key: str, compute: Callable[[], IndicatorResult]) -> Callable[[], IndicatorResult]:
    return cached(key, compute, int(getattr(settings, "REPORTS_INDICATOR_CACHE_SECONDS", 60)))


def by_category() -> IndicatorResult:
    rows = [
        IndicatorRow(label=r["category__name"], value=r["n"], code=r["category__code"])
        for r in selectors.counts_by_category()
    ]
    return IndicatorResult(rows=rows, total=sum(r.value for r in rows))


def by_dimension() -> IndicatorResult:
    totals: dict[str, int] = defaultdict(int)
    for r in selectors.counts_by_category():
        totals[r["category__dimension"]] += r["n"]
    rows = [
        IndicatorRow(label=str(Dimension(d).label), value=totals.get(d, 0), code=d)
        for d in Dimension.values
    ]
    return IndicatorResult(rows=rows, total=sum(totals.values()))


def within_sla() -> IndicatorResult:
    stats = selectors.completion_stats_by_agency()
    rows = [
        IndicatorRow(
            label=r["agency__short_name"],
            value=round(100 * r["within"] / r["completed"], 1),
            code=r["agency__code"],
        )
        for r in stats
        if r["completed"]
    ]
    done = sum(r["completed"] for r in stats)
    within = sum(r["within"] for r in stats)
    return IndicatorResult(rows=rows, total=round(100 * within / done, 1) if done else None)


def _median_by_agency(field: str, divisor: float) -> IndicatorResult:
    groups: dict[str, list[float]] = defaultdict(list)
    every: list[float] = []
    for name, hours in selectors.durations(field=field):
        groups[name].append(hours / divisor)
        every.append(hours / divisor)
    rows = [
        IndicatorRow(label=name, value=round(statistics.median(values), 1))
        for name, values in sorted(groups.items())
    ]
    return IndicatorResult(rows=rows, total=round(statistics.median(every), 1) if every else None)


def first_response() -> IndicatorResult:
    return _median_by_agency("first_response_at", 1.0)


def completion() -> IndicatorResult:
    return _median_by_agency("completed_at", 24.0)


def satisfaction() -> IndicatorResult:
    stats = [r for r in selectors.completion_stats_by_agency() if r["rated"]]
    rows = [
        IndicatorRow(
            label=r["agency__short_name"], value=round(r["avg_rating"], 2), code=r["agency__code"]
        )
        for r in stats
    ]
    rated = sum(r["rated"] for r in stats)
    total = sum(r["avg_rating"] * r["rated"] for r in stats) / rated if rated else None
    return IndicatorResult(rows=rows, total=round(total, 2) if total is not None else None)


def top_aspirations() -> IndicatorResult:
    rows = [
        IndicatorRow(label=r.title, value=r.support_count, code=r.ref)
        for r in selectors.aspirations_by_support(limit=10)
    ]
    return IndicatorResult(rows=rows)


_INDICATORS: list[tuple[Any, ...]] = [
    (
        "reports.by_dimension",
        Dimension.GOVERNANCE,
        _("Reports by dimension"),
        _("Complaints and aspirations filed, by the Smart City dimension of their category."),
        _("reports"),
        by_dimension,
    ),
    (
        "reports.by_category",
        Dimension.GOVERNANCE,
        _("Reports by category"),
        _("Complaints and aspirations filed, by category."),
        _("reports"),
        by_category,
    ),
    (
        "reports.within_sla",
        Dimension.GOVERNANCE,
        _("Reports completed within the deadline"),
        _(
            "Share of completed reports that were completed within their category's deadline, per agency."
        ),
        "%",
        within_sla,
    ),
    (
        "reports.first_response",
        Dimension.GOVERNANCE,
        _("Median time to first response"),
        _("Hours from filing to the first action of an officer, per agency (median)."),
        _("hours"),
        first_response,
    ),
    (
        "reports.completion_time",
        Dimension.GOVERNANCE,
        _("Median time to completion"),
        _("Days from filing to completion, per agency (median)."),
        _("days"),
        completion,
    ),
    (
        "reports.satisfaction",
        Dimension.GOVERNANCE,
        _("Average satisfaction"),
        _("Reporters' ratings of the handling (1 to 5), per agency."),
        _("out of 5"),
        satisfaction,
    ),
    (
        "reports.top_aspirations",
        Dimension.SOCIETY,
        _("Top aspirations by support"),
        _("The ten public aspirations with the most support."),
        _("supports"),
        top_aspirations,
    ),
]
for _key, _dimension, _title, _description, _unit, _compute in _INDICATORS:
    register(
        Indicator(
            key=_key,
            dimension=_dimension,
            title=_title,
            description=_description,
            unit=_unit,
            compute=_cached(_key, _compute),
            public=True,
            app="reports",
        )
    )
