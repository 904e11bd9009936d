"""A real task through a real worker process (django-tasks-db's db_worker) against the test
database: what `make run`'s worker does, not the in-process immediate backend."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from kotacerdas.accounts.tests.factories import UserFactory
from kotacerdas.core import services
from kotacerdas.core.models import Notification
from kotacerdas.core.tasks import echo, notification_email_send
from tests.conftest import child_env, database_url, manage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run_worker(tmp_path: Path):
    """run_worker() -> runs `db_worker --batch` until the queue is empty, as a child process on
    the test database, with its own var dir (so its e-mail files land in tmp_path/mail)."""

    def run() -> str:
        env = child_env(
            DATABASE_URL=database_url(connection.settings_dict),
            KOTACERDAS_VAR_DIR=str(tmp_path),
            # The same keys as this process, so the worker can read what tests wrote.
            SECRET_KEY=settings.SECRET_KEY,
            FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
            PII_HASH_KEY=settings.PII_HASH_KEY,
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        )
        env.pop("EMAIL_URL", None)
        result = manage(
            "db_worker",
            "--batch",
            "--queue-name",
            "*",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
            env=env,
            timeout=120,
        )
        return result.stdout + result.stderr

    return run


def test_echo_runs_in_a_worker_process(run_worker) -> None:
    result = echo.enqueue(value="halo dari Sampit")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "READY"

    run_worker()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.exception_class_path
    assert row.return_value == "halo dari Sampit"
    assert row.finished_at is not None
    assert row.task_path == "kotacerdas.core.tasks.echo"
    assert row.queue_name == "default"
    assert DBTaskResult.objects.ready().count() == 0


def test_notification_email_is_written_by_the_worker(run_worker, tmp_path: Path) -> None:
    user = UserFactory(email="warga.ketapang@example.test", full_name="Siti Rahmawati")
    # The service enqueues the e-mail on commit; transactional_db commits at once.
    notification = services.notification_send(
        recipient=user,
        kind="reports.status",
        title="Laporan Anda sudah diverifikasi",
        body="Laporan jalan berlubang di Jl. Tjilik Riwut sedang ditangani Dinas PUPR.",
        url="/laporan/123/",
    )
    row = DBTaskResult.objects.get(task_path=notification_email_send.module_path)
    assert row.queue_name == "notifications"
    assert row.args_kwargs["kwargs"] == {"notification_id": notification.pk}

    run_worker()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL", row.exception_class_path
    assert row.return_value is True
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert notification.emailed_at <= dt.datetime.now(tz=dt.UTC)

    mail_files = sorted((tmp_path / "mail").glob("*.log"))
    assert len(mail_files) == 1, mail_files
    message = mail_files[0].read_text()
    assert re.search(r"^To: warga\.ketapang@example\.test$", message, re.M), message
    assert re.search(r"^Subject: .*Laporan Anda sudah diverifikasi", message, re.M), message
    assert "Jl. Tjilik Riwut" in message or "Tjilik Riwut" in message.replace("=\n", "")

    # Safe to retry: the same notification is not e-mailed twice.
    retry = notification_email_send.enqueue(notification_id=notification.pk)
    run_worker()
    assert DBTaskResult.objects.get(pk=retry.id).return_value is False
    assert len(list((tmp_path / "mail").glob("*.log"))) == 1
    assert Notification.objects.filter(pk=notification.pk, emailed_at__isnull=False).count() == 1
