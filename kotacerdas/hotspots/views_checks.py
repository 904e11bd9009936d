"""Stub: to be written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def check_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def check_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def check_cancel(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def check_photo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def check_thumbnail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
