"""Liveness and readiness checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone


def readiness() -> tuple[bool, dict[str, Any]]:
    """Database reachable and the worker queue reachable (its table answers). The worker's last
    heartbeat is reported, and only fails readiness when a heartbeat exists and is stale (a
    worker that was running has stopped)."""
    checks: dict[str, Any] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # readiness reports any failure instead of raising
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
        return False, checks
    try:
        from django_tasks_db.models import DBTaskResult

        queued = DBTaskResult.objects.filter(status="READY").count()
        checks["queue"] = {"ok": True, "ready_tasks": queued}
    except Exception as exc:
        checks["queue"] = {"ok": False, "error": exc.__class__.__name__}
        ok = False
    from .models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
    if beat is None:
        checks["worker"] = {"ok": True, "last_heartbeat": None}
    else:
        age = (timezone.now() - beat) / dt.timedelta(seconds=1)
        fresh = age <= settings.WORKER_HEARTBEAT_STALE_SECONDS
        checks["worker"] = {
            "ok": fresh,
            "last_heartbeat": beat.isoformat(),
            "age_seconds": round(age),
        }
        ok = ok and fresh
    return ok, checks
