"""Placeholder: replaced by the real views."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def ambulance(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def fire(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def mine(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def status(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def details(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def cancel(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def status_json(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def status_stream(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
