"""Stub: to be written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def map_page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def map_data(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def event_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def event_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def event_status(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def check_assign(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def imports(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def import_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
