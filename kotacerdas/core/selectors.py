"""Reads every app shares. Each takes the actor and is fail-closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import AuditEvent, Notification


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    region_code: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def audit_event_list(*, actor: Any, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """The audit trail, for those allowed to read it (administrators): everything else sees
    nothing."""
    if actor is None or not actor.is_authenticated or not actor.has_perm("core.view_audit_trail"):
        return AuditEvent.objects.none()
    f = filters or AuditFilters()
    qs = AuditEvent.objects.select_related("actor")
    if f.action:
        qs = qs.filter(action__startswith=f.action)
    if f.actor_id:
        qs = qs.filter(actor_id=f.actor_id)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_id:
        qs = qs.filter(object_id=f.object_id)
    if f.region_code:
        qs = qs.filter(region_code__startswith=f.region_code)
    if f.since:
        qs = qs.filter(created_at__date__gte=f.since)
    if f.until:
        qs = qs.filter(created_at__date__lte=f.until)
    return qs


def notification_list(*, actor: Any) -> QuerySet[Notification]:
    if actor is None or not actor.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=actor)


def notification_unread_count(*, actor: Any) -> int:
    return notification_list(actor=actor).filter(read_at__isnull=True).count()
