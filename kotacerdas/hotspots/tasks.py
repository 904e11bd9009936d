"""Background work of fire detection (django-tasks; periodic ones registered in faces.py)."""

from __future__ import annotations

import logging

from django_tasks import task

from . import services

logger = logging.getLogger("kotacerdas.hotspots")


@task(queue_name="notifications")
def fire_alert_deliver(*, alert_id: int) -> str:
    """Send one e-mail/SMS alert; failures reschedule themselves (see services)."""
    return services.alert_deliver(alert_id=alert_id)


@task()
def fire_alerts_requeue() -> int:
    return services.alerts_requeue_due()


@task()
def firms_fetch() -> str:
    """Every 30 minutes: the FIRMS area API for the regency (does nothing without a key)."""
    result = services.firms_fetch()
    return result.message


@task()
def fire_morning_digest() -> int:
    return services.morning_digest()


@task()
def sensors_check_offline() -> int:
    return services.sensors_check_offline()


@task()
def sensor_nonces_prune() -> int:
    return services.sensor_nonces_prune()
