from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from .models import Notification


@task(queue_name="notifications")
def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification in its recipient's language. Safe to retry: a notification that
    was already e-mailed is not sent twice."""
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at is not None:
        return False
    recipient = notification.recipient
    if not recipient.email:
        return False
    language = getattr(recipient, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string("core/email/notification.txt", {"notification": notification})
        send_mail(notification.title, body, None, [recipient.email])
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return True


@task()
def worker_heartbeat() -> None:
    from .services import worker_heartbeat_beat

    worker_heartbeat_beat()


@task()
def echo(*, value: str) -> str:
    """A trivial task for proving a real worker round trip (tests, /readyz smoke)."""
    return value


@task()
def clear_expired_sessions() -> None:
    from django.core.management import call_command

    call_command("clearsessions")


@task()
def prune_finished_tasks() -> None:
    """Finished task results older than a week are removed (failed ones are kept a month)."""
    from django.core.management import call_command

    call_command(
        "prune_db_task_results", "--min-age-days", "7", "--failed-min-age-days", "30", verbosity=0
    )
