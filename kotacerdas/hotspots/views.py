"""Stub: to be written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def public_map(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def public_map_data(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def export_hotspots_csv(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def export_hotspots_geojson(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def export_events_csv(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def export_events_geojson(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
