"""Spam and abuse limits for filing reports: per account and per IP, shared by the portal,
the house API and Open311 (one counter whatever the door)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from kotacerdas.core.errors import RateLimited


def check_filing(request: HttpRequest, *, actor: Any = None, key_suffix: str = "") -> None:
    """Count one filing attempt; raise RateLimited (429, `reports.rate_limited`) past either
    limit. `key_suffix` separates third-party apps (their own IP counter per API key)."""
    ip_limited = is_ratelimited(
        request,
        group="reports.file.ip" + key_suffix,
        key="ip",
        rate=settings.REPORTS_RATE_IP,
        method=is_ratelimited.ALL,
        increment=True,
    )
    user_limited = False
    if actor is not None and getattr(actor, "is_authenticated", False):
        user_limited = is_ratelimited(
            request,
            group="reports.file.user",
            key=lambda _group, _request: str(actor.pk),
            rate=settings.REPORTS_RATE_USER,
            method=is_ratelimited.ALL,
            increment=True,
        )
    if ip_limited or user_limited:
        raise RateLimited(code="reports.rate_limited")
