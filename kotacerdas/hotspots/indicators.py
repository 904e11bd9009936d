"""Council indicators of fire detection (aggregates only; public). Cached for a minute."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.indicators import Indicator, IndicatorResult, IndicatorRow, cached, register

from . import selectors

MONTHS_ID = [
    "",
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def hotspots_month() -> IndicatorResult:
    this, last, start = selectors.hotspots_month_vs_last_year()
    month = MONTHS_ID[start.month]
    return IndicatorResult(
        rows=[
            IndicatorRow(label=f"{month} {start.year}", value=this, code="this_year"),
            IndicatorRow(label=f"{month} {start.year - 1}", value=last, code="last_year"),
        ],
        total=this,
    )


def events_by_kecamatan() -> IndicatorResult:
    rows = selectors.events_by_kecamatan(days=365)
    return IndicatorResult(
        rows=[IndicatorRow(label=name, value=n, code=code) for code, name, n in rows],
        total=sum(n for _c, _n, n in rows),
    )


def checked_within_24h() -> IndicatorResult:
    figures = selectors.ground_check_figures(days=365)
    return IndicatorResult(
        rows=[
            IndicatorRow(label=str(_("Events that alerted")), value=figures.events, code="events"),
            IndicatorRow(
                label=str(_("Checked within 24 hours")), value=figures.checked_24h, code="checked"
            ),
        ],
        total=figures.share,
    )


def detection_to_check() -> IndicatorResult:
    figures = selectors.ground_check_figures(days=365)
    return IndicatorResult(rows=[], total=figures.median_hours)


_SECONDS = int(getattr(settings, "FIRES_INDICATOR_CACHE_SECONDS", 60))

for _key, _title, _description, _unit, _compute in (
    (
        "fires.hotspots_month",
        _("Hotspots this month vs last year"),
        _("NASA FIRMS hotspots in the regency this month and in the same month last year."),
        _("hotspots"),
        hotspots_month,
    ),
    (
        "fires.events_by_kecamatan",
        _("Fire events by kecamatan"),
        _("Fire events (hotspots grouped in space and time) in the last 12 months."),
        _("events"),
        events_by_kecamatan,
    ),
    (
        "fires.checked_within_24h",
        _("Fire events ground-checked within 24 hours"),
        _("Share of alerting fire events checked on the ground within 24 hours of detection."),
        "%",
        checked_within_24h,
    ),
    (
        "fires.detection_to_check",
        _("Median time from detection to ground check"),
        _("Hours from the first satellite detection to the ground check, last 12 months."),
        _("hours"),
        detection_to_check,
    ),
):
    register(
        Indicator(
            key=_key,
            dimension=Dimension.ENVIRONMENT,
            title=_title,
            description=_description,
            unit=_unit,
            compute=cached(_key, _compute, _SECONDS),
            public=True,
            app="hotspots",
        )
    )
