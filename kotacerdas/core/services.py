"""Writes every app shares: the audit trail and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.db.models import Model
from django.utils import timezone

from .context import current_request_meta
from .models import AuditEvent, Notification


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def snapshot(instance: Model, fields: list[str]) -> dict[str, Any]:
    """The audited view of a row: the named fields only (never secrets or ciphertext)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            out[name] = getattr(instance, field.attname)
        else:
            out[name] = getattr(instance, name)
    return _jsonable(out)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    region_code: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. Call it inside the service's transaction, so the event and the
    change commit or roll back together."""
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_repr = object_repr or str(target)[:255]
    meta = current_request_meta()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        action=action,
        actor=actor if is_user else None,
        actor_label=(actor.get_full_name() or actor.get_username()) if is_user else "system",
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        region_code=region_code,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip_address=meta.ip_address,
        request_id=meta.request_id,
    )


def notification_send(
    *,
    recipient: Any,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
) -> Notification:
    """Create an in-app notification; the e-mail copy goes out through a task after commit."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title[:200], body=body, url=url
    )
    if email and bool(getattr(recipient, "email", None)):
        from .tasks import notification_email_send

        transaction.on_commit(
            lambda: notification_email_send.enqueue(notification_id=notification.pk)
        )
    return notification


def notification_mark_read(*, actor: Any, notification_ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all of them when no ids are given)."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def worker_heartbeat_beat(*, name: str = "worker") -> None:
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
