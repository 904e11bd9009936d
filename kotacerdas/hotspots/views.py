"""Public fire pages: the hotspot map (/titik-panas/), its data, and open-data exports of
hotspots and events (CSV and GeoJSON). NASA FIRMS hotspots are public data; what is shown of an
event is its place, size, dates and state, never anything about the response (ground-check
notes and photos, people, alerts, 119 incidents).

Periods are WIB days, inclusive, `?start=YYYY-MM-DD&end=YYYY-MM-DD`, at most 400 days (a longer
or malformed period is 422 `fires.range.invalid`, JSON). The map's data needs both dates; an
export without dates covers the last 365 days ending today.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from kotacerdas.core import indicators as registry
from kotacerdas.core.errors import ServiceError, error_response
from kotacerdas.core.exports import csv_response

from . import selectors
from .models import CheckResult, EventStatus
from .schemas import DEFAULT_EXPORT_DAYS, MAX_RANGE_DAYS, date_range, today

logger = logging.getLogger("kotacerdas.hotspots")

INDICATOR_KEYS = (
    "fires.hotspots_month",
    "fires.events_by_kecamatan",
    "fires.checked_within_24h",
    "fires.detection_to_check",
)
# Seconds a browser or proxy may keep the map's data before asking again (with the ETag).
MAP_MAX_AGE = 60


def _error(exc: ServiceError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.fields)


# --- The map's data -------------------------------------------------------------------------------
def map_json_response(
    request: HttpRequest, start: dt.date, end: dt.date, *, public: bool = True
) -> HttpResponse:
    """`selectors.map_data` as JSON with an ETag (the data's version and the period): a request
    whose If-None-Match carries it gets a 304 without the data being read. The back office's
    copy (`public=False`) is private to the browser and revalidated every time."""
    version = selectors.map_version()
    etag = f'"fires-{version}-{start.isoformat()}-{end.isoformat()}"'
    sent = {
        t.strip().removeprefix("W/")
        for t in request.headers.get("If-None-Match", "").split(",")
        if t.strip()
    }
    if etag in sent or "*" in sent:
        response: HttpResponse = HttpResponseNotModified()
    else:
        body = selectors.map_data_json(start=start, end=end, version=version)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    if public:
        patch_cache_control(response, public=True, max_age=MAP_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


# --- The public page ------------------------------------------------------------------------------
def map_strings() -> dict[str, str]:
    """The labels fires-map.js shows (the back office's map adds its own few)."""
    return {
        "low": _("Low confidence"),
        "nominal": _("Nominal confidence"),
        "high": _("High confidence"),
        "event": _("Fire event"),
        "hotspots": _("hotspots"),
        "frp": _("Total FRP"),
        "first": _("First detection"),
        "last": _("Last detection"),
        "confidence": _("Confidence"),
        "window": _("Period"),
        "day": _("1 day"),
        "week": _("7 days"),
        "month": _("30 days"),
        "all": _("Whole range"),
        "until": _("Last day"),
        "loading": _("Loading the map…"),
        "failed": _("The map data could not be loaded."),
        "summary": _("%(n)s hotspot(s) and %(e)s event(s) from %(start)s to %(end)s"),
        "empty": _("No hotspots from %(start)s to %(end)s."),
        "legend": _("Legend"),
        "status_baru": str(EventStatus.NEW.label),
        "status_dicek_lapangan": str(EventStatus.CHECKED.label),
        "status_ditangani": str(EventStatus.HANDLING.label),
        "status_padam": str(EventStatus.OUT.label),
        "result_api": str(CheckResult.FIRE.label),
        "result_bukan_api": str(CheckResult.NO_FIRE.label),
        "stale": _("New, no follow-up for over a week"),
    }


def _indicator_cards() -> list[dict[str, Any]]:
    cards = []
    for key in INDICATOR_KEYS:
        indicator = registry.get(key)
        if indicator is None or not indicator.public:
            continue
        card: dict[str, Any] = {
            "key": key,
            "slug": key.replace(".", "-").replace("_", "-"),
            "title": indicator.title,
            "description": indicator.description,
            "unit": indicator.unit,
            "failed": False,
            "rows": [],
            "total": None,
            "note": "",
        }
        try:
            result = indicator.compute()
        except Exception:  # an indicator must never take the page down
            logger.exception("indicator %s failed", key)
            card["failed"] = True
        else:
            card.update(rows=result.rows, total=result.total, note=result.note)
        cards.append(card)
    return cards


def _export_links(start: dt.date, end: dt.date) -> dict[str, str]:
    query = "?" + urlencode({"start": start.isoformat(), "end": end.isoformat()})
    return {
        "hotspots_csv": reverse("hotspots:export_hotspots_csv") + query,
        "hotspots_geojson": reverse("hotspots:export_hotspots_geojson") + query,
        "events_csv": reverse("hotspots:export_events_csv") + query,
        "events_geojson": reverse("hotspots:export_events_geojson") + query,
    }


def _export_periods(first: dt.date | None, last: dt.date | None) -> list[dict[str, Any]]:
    """The last 12 months, then each calendar year with data (newest first, at most five)."""
    end = today()
    start = end - dt.timedelta(days=DEFAULT_EXPORT_DAYS - 1)
    periods = [
        {
            "label": _("Last 12 months"),
            "start": start,
            "end": end,
            "links": _export_links(start, end),
        }
    ]
    if first is not None and last is not None:
        for year in range(last.year, max(first.year, last.year - 4) - 1, -1):
            y_start, y_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            periods.append(
                {
                    "label": str(year),
                    "start": y_start,
                    "end": y_end,
                    "links": _export_links(y_start, y_end),
                }
            )
    return periods


@require_safe
def public_map(request: HttpRequest) -> HttpResponse:
    """The hotspot map of the regency with a date slider, the fire indicators and the exports."""
    first, last = selectors.hotspot_range()
    last_day = last or today()
    first_day = first or last_day
    # The map loads the season up to the latest day with data (the slider narrows it).
    start = max(first_day, last_day - dt.timedelta(days=MAX_RANGE_DAYS - 1))
    boundaries = (
        reverse("api-v1:region_geojson")
        + "?"
        + urlencode({"level": "desa", "parent": settings.KOTACERDAS_REGION_ROOT})
    )
    return render(
        request,
        "hotspots/public/map.html",
        {
            "map_url": reverse("hotspots:public_map_data"),
            "boundaries_url": boundaries,
            "map_start": start,
            "map_end": last_day,
            "first_day": first_day,
            "last_day": last_day,
            "has_data": first is not None,
            "indicators": _indicator_cards(),
            "export_periods": _export_periods(first, last),
            "max_days": MAX_RANGE_DAYS,
            "map_strings": map_strings(),
        },
    )


@require_safe
def public_map_data(request: HttpRequest) -> HttpResponse:
    """The map's data for `start`..`end` (both required): 422 `fires.range.invalid` for a
    missing, malformed, reversed or longer than 400 days period."""
    try:
        start, end = date_range(request.GET)
    except ServiceError as exc:
        return _error(exc)
    return map_json_response(request, start, end)


# --- Exports --------------------------------------------------------------------------------------


def _filename(stem: str, start: dt.date, end: dt.date, ext: str) -> str:
    return f"{stem}_{start.isoformat()}_{end.isoformat()}.{ext}"


def _geojson_response(filename: str, collection: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(
        json.dumps(collection, cls=DjangoJSONEncoder, ensure_ascii=False),
        content_type="application/geo+json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export_range(request: HttpRequest) -> tuple[dt.date, dt.date]:
    return date_range(request.GET, default_days=DEFAULT_EXPORT_DAYS)


@require_safe
def export_hotspots_csv(request: HttpRequest) -> HttpResponse:
    """Hotspots of a period (default: the last 365 days; at most 400 days, else 422)."""
    try:
        start, end = _export_range(request)
    except ServiceError as exc:
        return _error(exc)
    rows = selectors.hotspot_export_rows(start=start, end=end)
    return csv_response(
        _filename("titik-panas", start, end, "csv"), selectors.HOTSPOT_EXPORT_FIELDS, rows
    )


@require_safe
def export_hotspots_geojson(request: HttpRequest) -> HttpResponse:
    try:
        start, end = _export_range(request)
    except ServiceError as exc:
        return _error(exc)
    rows = selectors.hotspot_export_rows(start=start, end=end)
    collection = selectors.as_geojson(
        selectors.HOTSPOT_EXPORT_FIELDS, rows, "latitude", "longitude"
    )
    return _geojson_response(_filename("titik-panas", start, end, "geojson"), collection)


@require_safe
def export_events_csv(request: HttpRequest) -> HttpResponse:
    """Fire events active in a period (default: the last 365 days; at most 400 days)."""
    try:
        start, end = _export_range(request)
    except ServiceError as exc:
        return _error(exc)
    rows = selectors.event_export_rows(start=start, end=end)
    return csv_response(
        _filename("kejadian-kebakaran", start, end, "csv"), selectors.EVENT_EXPORT_FIELDS, rows
    )


@require_safe
def export_events_geojson(request: HttpRequest) -> HttpResponse:
    try:
        start, end = _export_range(request)
    except ServiceError as exc:
        return _error(exc)
    rows = selectors.event_export_rows(start=start, end=end)
    collection = selectors.as_geojson(selectors.EVENT_EXPORT_FIELDS, rows, "latitude", "longitude")
    return _geojson_response(_filename("kejadian-kebakaran", start, end, "geojson"), collection)
