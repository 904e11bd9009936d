"""Placeholder: replaced by the real views."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def home(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def unit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def step(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def position(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def state(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def patient_save(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
