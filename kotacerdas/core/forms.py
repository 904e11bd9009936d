"""Bridging service errors onto Django forms, so pages show field errors in place."""

from __future__ import annotations

from django import forms

from .errors import ServiceError


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    placed = False
    for field, messages in exc.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
