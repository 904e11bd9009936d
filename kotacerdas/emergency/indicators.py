"""Council indicators of the 119 desk (aggregates only; never a caller or a patient).

Response time is call received → first crew on scene. Cached for a minute like the reports'
figures (EMERGENCY_INDICATOR_CACHE_SECONDS)."""

from __future__ import annotations

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
from .models import IncidentKind


def _minutes(seconds: float) -> float:
    return round(seconds / 60.0, 1)


def response_median_by_kecamatan() -> IndicatorResult:
    figures = selectors.response_by_kecamatan(days=365)
    overall = selectors.response_overall(days=365)
    return IndicatorResult(
        rows=[IndicatorRow(label=f.label, value=_minutes(f.median_s), code=f.key) for f in figures],
        total=_minutes(overall.median_s) if overall else None,
    )


def response_p90_by_kecamatan() -> IndicatorResult:
    figures = selectors.response_by_kecamatan(days=365)
    overall = selectors.response_overall(days=365)
    return IndicatorResult(
        rows=[IndicatorRow(label=f.label, value=_minutes(f.p90_s), code=f.key) for f in figures],
        total=_minutes(overall.p90_s) if overall else None,
    )


def response_by_month() -> IndicatorResult:
    figures = selectors.response_by_month(months=12)
    return IndicatorResult(
        rows=[IndicatorRow(label=f.label, value=_minutes(f.median_s), code=f.key) for f in figures],
        note=str(_("Median minutes; the 90th percentile is on the 119 performance page.")),
    )


def ambulance_response_month() -> IndicatorResult:
    overall = selectors.response_overall(kind=IncidentKind.MEDICAL, days=30)
    fire = selectors.response_overall(kind=IncidentKind.FIRE, days=30)
    rows = []
    for label, figure in ((_("Ambulance"), overall), (_("Fire brigade"), fire)):
        if figure is not None:
            rows.append(IndicatorRow(label=f"{label} · median", value=_minutes(figure.median_s)))
            rows.append(IndicatorRow(label=f"{label} · p90", value=_minutes(figure.p90_s)))
    return IndicatorResult(rows=rows, total=_minutes(overall.median_s) if overall else None)


def calls_per_day() -> IndicatorResult:
    days = selectors.calls_per_day(days=30)
    return IndicatorResult(
        rows=[IndicatorRow(label=d.isoformat(), value=n) for d, n in days],
        total=sum(n for _d, n in days),
    )


def utilisation() -> IndicatorResult:
    rows = [
        IndicatorRow(label=call_sign, value=round(100 * share, 1), code=capability)
        for call_sign, capability, share in selectors.unit_utilisation(days=7)
    ]
    mean = sum(r.value for r in rows) / len(rows) if rows else None
    return IndicatorResult(rows=rows, total=round(mean, 1) if mean is not None else None)


def waiting_now() -> IndicatorResult:
    n = selectors.waiting_without_unit()
    return IndicatorResult(rows=[IndicatorRow(label=str(_("Waiting")), value=n)], total=n)


_INDICATORS: list[tuple[Any, ...]] = [
    (
        "emergency.response_median",
        _("119 response time (median)"),
        _("Minutes from the call to the first crew on scene, per kecamatan, last 12 months."),
        _("minutes"),
        response_median_by_kecamatan,
        60,
    ),
    (
        "emergency.response_p90",
        _("119 response time (90th percentile)"),
        _("Nine in ten calls had a crew on scene within this many minutes, per kecamatan."),
        _("minutes"),
        response_p90_by_kecamatan,
        60,
    ),
    (
        "emergency.response_by_month",
        _("119 response time by month"),
        _("Median minutes from the call to the first crew on scene, per month."),
        _("minutes"),
        response_by_month,
        60,
    ),
    (
        "emergency.response_30d",
        _("Ambulance and fire response, last 30 days"),
        _("Median and 90th percentile minutes to the first crew on scene."),
        _("minutes"),
        ambulance_response_month,
        60,
    ),
    (
        "emergency.calls_per_day",
        _("119 calls per day"),
        _("Calls received by the emergency desk per day, last 30 days."),
        _("calls"),
        calls_per_day,
        60,
    ),
    (
        "emergency.utilisation",
        _("Unit utilisation"),
        _("Share of the last 7 days each ambulance and fire truck spent on jobs."),
        "%",
        utilisation,
        60,
    ),
    (
        "emergency.waiting",
        _("Emergencies waiting for a unit"),
        _("Calls accepted by the desk with no unit on the way right now."),
        _("incidents"),
        waiting_now,
        0,  # live
    ),
]
for _key, _title, _description, _unit, _compute, _seconds in _INDICATORS:
    register(
        Indicator(
            key=_key,
            dimension=Dimension.LIVING,
            title=_title,
            description=_description,
            unit=_unit,
            compute=cached(
                _key,
                _compute,
                min(_seconds, int(getattr(settings, "EMERGENCY_INDICATOR_CACHE_SECONDS", 60))),
            ),
            public=True,
            app="emergency",
        )
    )
