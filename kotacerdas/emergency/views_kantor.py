"""Placeholder: replaced by the real views."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def board(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def board_state(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def board_stream(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def call_new(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def incident_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def incident_detail(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def incident_triage(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def incident_dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def incident_cancel(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def incident_close(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def patient_save(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def assignment_release(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def unit_service(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def unit_status(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def performance(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def fleet(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def station_edit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def unit_edit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def desa_access(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
