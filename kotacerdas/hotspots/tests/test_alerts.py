"""Alerts of new fire events: who hears (and who does not), when an event alerts, never twice,
delivery by e-mail (locmem) and SMS/WhatsApp (a local gateway double) with retries through the
task queue, and the morning digest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kotacerdas.accounts.models import Role
from kotacerdas.core.models import Notification
from kotacerdas.hotspots import services
from kotacerdas.hotspots.models import (
    AlertKind,
    AlertStatus,
    Channel,
    FireAlert,
    FireEvent,
    ImportOutcome,
    ImportRun,
)
from kotacerdas.hotspots.tests.conftest import (
    UJUNG_PANDARAN,
    import_bytes,
    nrt_file,
    nrt_row,
    verified,
)

pytestmark = pytest.mark.django_db

UP = (-3.1600, 112.9553)
UP_1800_EAST = (-3.1600, 112.9715)  # 1.8 km east, still Ujung Pandaran
UP_900_EAST = (-3.1600, 112.9634)


@pytest.fixture
def people(
    desa_operator: Any,
    other_desa_operator: Any,
    kecamatan_operator: Any,
    bpbd_head: Any,
    bpbd_officer: Any,
    pupr_officer: Any,
    agencies: dict[str, Any],
    make_staff: Callable[..., Any],
) -> dict[str, Any]:
    return {
        "desa_operator": desa_operator,
        "kepala_desa": verified(make_staff(Role.KEPALA_DESA, region_code=UJUNG_PANDARAN)),
        "kecamatan_operator": kecamatan_operator,
        "bpbd_head": bpbd_head,
        "damkar_head": verified(make_staff(Role.KEPALA_OPD, agency=agencies["damkar"])),
        "other_desa_operator": other_desa_operator,
        "bpbd_officer": bpbd_officer,
        "pupr_head": verified(make_staff(Role.KEPALA_OPD, agency=agencies["pupr"])),
        "other_kepala_desa": verified(make_staff(Role.KEPALA_DESA, region_code="62.02.06.2006")),
        "pupr_officer": pupr_officer,
    }


ALERTED = {"desa_operator", "kepala_desa", "kecamatan_operator", "bpbd_head", "damkar_head"}


def fresh(*points: tuple[float, float], ago_hours: float = 1.0, **kw: Any) -> bytes:
    t = timezone.now() - dt.timedelta(hours=ago_hours)
    return nrt_file([nrt_row(lat, lng, t, **kw) for lat, lng in points])


def run_import(data: bytes, capture: Any, **kw: Any) -> ImportRun:
    with capture(execute=True):
        run = import_bytes(data, **kw)
    assert run.outcome == ImportOutcome.DONE, (run.code, run.errors)
    return run


def alerted_people(people: dict[str, Any], kind: str = AlertKind.NEW_EVENT) -> set[str]:
    ids = set(FireAlert.objects.filter(kind=kind).values_list("recipient_id", flat=True))
    return {name for name, user in people.items() if user.pk in ids}


def test_a_fresh_event_alerts_the_right_people_in_app_and_by_email(
    people: dict[str, Any], immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    run = run_import(fresh(UP), django_capture_on_commit_callbacks)
    assert run.events_new == 1
    event = FireEvent.objects.get()
    assert event.alerted_at is not None
    assert alerted_people(people) == ALERTED
    # One in-app and one e-mail alert per person (no phone, so no SMS).
    alerts = FireAlert.objects.filter(event=event)
    assert alerts.count() == 2 * len(ALERTED)
    assert set(alerts.values_list("channel", flat=True)) == {Channel.IN_APP, Channel.EMAIL}
    # All delivered: the in-app ones at once, the e-mails by the task after commit.
    assert set(alerts.values_list("status", flat=True)) == {AlertStatus.SENT}
    for alert in alerts:
        assert alert.key == f"event:{event.ref}"
        assert alert.url == reverse("hotspots_kantor:event", args=[event.ref])
        assert "Ujung Pandaran" in alert.title
        assert event.ref in alert.body
        assert alert.sent_at is not None
        assert alert.attempts == 1
    # In-app notifications.
    notes = Notification.objects.filter(kind="fires.kejadian_baru")
    assert {n.recipient_id for n in notes} == {people[p].pk for p in ALERTED}
    assert all("Ujung Pandaran" in n.title for n in notes)
    # E-mails.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(people[p].email for p in ALERTED)
    op_mail = next(m for m in mail.outbox if m.to == ["op.up@example.test"])
    assert "Ujung Pandaran" in op_mail.subject
    assert event.ref in op_mail.body
    assert event.ref in op_mail.body.splitlines()[-1]  # the link to the event


def test_not_alerted(people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    run_import(fresh(UP), django_capture_on_commit_callbacks)
    for name in ("other_desa_operator", "bpbd_officer", "pupr_head", "other_kepala_desa"):
        assert not FireAlert.objects.filter(recipient=people[name]).exists(), name
        assert not Notification.objects.filter(recipient=people[name]).exists(), name


def test_low_confidence_alone_does_not_alert_until_a_nominal_hotspot_joins(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    run_import(fresh(UP, confidence="l"), django_capture_on_commit_callbacks)
    event = FireEvent.objects.get()
    assert event.alertable is False
    assert event.alerted_at is None
    assert FireAlert.objects.count() == 0
    assert Notification.objects.count() == 0
    run_import(fresh(UP_900_EAST, ago_hours=0.5), django_capture_on_commit_callbacks)
    event.refresh_from_db()
    assert event.hotspot_count == 2
    assert event.alertable is True
    assert event.alerted_at is not None
    assert alerted_people(people) == ALERTED
    assert Notification.objects.count() == len(ALERTED)


@pytest.mark.parametrize(
    ("minimum", "confidence", "alerts"),
    [
        ("rendah", "l", True),
        ("sedang", "l", False),
        ("sedang", "n", True),
        ("tinggi", "n", False),
        ("tinggi", "h", True),
    ],
)
def test_the_minimum_confidence_setting(
    minimum: str,
    confidence: str,
    alerts: bool,
    desa_operator: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.FIRES_ALERT_MIN_CONFIDENCE = minimum
    run_import(fresh(UP, confidence=confidence), django_capture_on_commit_callbacks)
    assert FireAlert.objects.filter(recipient=desa_operator).exists() is alerts
    assert (FireEvent.objects.get().alerted_at is not None) is alerts


def test_historical_events_never_alert(
    people: dict[str, Any], kalimantan_2022: ImportRun, django_capture_on_commit_callbacks: Any
) -> None:
    assert FireEvent.objects.filter(alertable=True).exists()
    assert FireAlert.objects.count() == 0
    assert Notification.objects.count() == 0
    # An event two days old is history too (FIRES_ALERT_MAX_AGE_HOURS = 24).
    run_import(fresh(UP, ago_hours=49), django_capture_on_commit_callbacks)
    assert FireAlert.objects.count() == 0


def test_never_a_second_alert(
    people: dict[str, Any], immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    data = fresh(UP)
    run_import(data, django_capture_on_commit_callbacks)
    alerts, notes, mails = FireAlert.objects.count(), Notification.objects.count(), len(mail.outbox)
    assert alerts == 2 * len(ALERTED)
    # The same file again.
    again = run_import(data, django_capture_on_commit_callbacks)
    assert again.rows_new == 0
    # More hotspots joining the event.
    run_import(fresh(UP_900_EAST, ago_hours=0.5), django_capture_on_commit_callbacks)
    run_import(
        fresh(UP_1800_EAST, ago_hours=0.2, confidence="h"), django_capture_on_commit_callbacks
    )
    assert FireEvent.objects.get().hotspot_count == 3
    assert (FireAlert.objects.count(), Notification.objects.count(), len(mail.outbox)) == (
        alerts,
        notes,
        mails,
    )


def test_a_merged_event_keeps_alerted(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """A low-confidence event (never alerted) and a nominal one (alerted) merge into the
    earlier, low one: the survivor now qualifies but has been told about already."""
    run_import(fresh(UP, ago_hours=3, confidence="l"), django_capture_on_commit_callbacks)
    run_import(fresh(UP_1800_EAST, ago_hours=2), django_capture_on_commit_callbacks)
    low, nominal = FireEvent.objects.order_by("first_detected_at")
    assert low.alerted_at is None
    assert nominal.alerted_at is not None
    alerts, notes = FireAlert.objects.count(), Notification.objects.count()
    assert alerts > 0
    run_import(fresh(UP_900_EAST, ago_hours=1, confidence="l"), django_capture_on_commit_callbacks)
    low.refresh_from_db()
    nominal.refresh_from_db()
    assert nominal.merged_into_id == low.pk
    assert low.hotspot_count == 3
    assert low.alertable is True
    assert low.alerted_at == nominal.alerted_at
    assert (FireAlert.objects.count(), Notification.objects.count()) == (alerts, notes)


def test_two_separate_fresh_events_alert_each(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    run_import(fresh(UP, (-3.1600, 112.9900)), django_capture_on_commit_callbacks)
    events = list(FireEvent.objects.all())
    assert len(events) == 2
    for event in events:
        assert set(
            FireAlert.objects.filter(event=event, channel=Channel.IN_APP).values_list(
                "recipient_id", flat=True
            )
        ) == {people[p].pk for p in ALERTED}


# --- SMS/WhatsApp through the gateway double ------------------------------------------------------
@pytest.fixture
def phone_operator(desa_operator: Any) -> Any:
    desa_operator.phone = "6281234500011"
    desa_operator.save(update_fields=["phone"])
    return desa_operator


def sms_alert(capture: Any) -> FireAlert:
    run_import(fresh(UP), capture)
    return FireAlert.objects.get(channel=Channel.SMS)


def test_sms_is_delivered_through_the_gateway(
    phone_operator: Any,
    sms_double: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert = sms_alert(django_capture_on_commit_callbacks)
    assert alert.recipient == phone_operator
    assert alert.address == "6281234500011"
    assert alert.status == AlertStatus.SENT
    assert alert.provider_id == "80367170"
    assert alert.attempts == 1
    [request] = sms_double.requests
    assert request.authorization == sms_double.token
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form["target"] == "6281234500011"
    assert request.form["countryCode"] == "62"
    assert "Ujung Pandaran" in request.form["message"]
    assert FireEvent.objects.get().ref in request.form["message"]
    # Delivering it again sends nothing.
    assert services.alert_deliver(alert_id=alert.pk) == AlertStatus.SENT
    assert len(sms_double.requests) == 1


def test_no_sms_channel_without_a_gateway(
    phone_operator: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_GATEWAY_URL = ""
    run_import(fresh(UP), django_capture_on_commit_callbacks)
    assert not FireAlert.objects.filter(channel=Channel.SMS).exists()
    assert FireAlert.objects.filter(recipient=phone_operator, channel=Channel.EMAIL).exists()


def test_a_failing_gateway_is_retried_with_growing_delays_then_delivered(
    phone_operator: Any, sms_double: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The default (database) task backend: the first delivery is enqueued after commit, each
    failure enqueues a retry at next_attempt_at."""
    settings.FIRES_ALERT_RETRY_SECONDS = 60
    sms_double.fail_next = 2
    alert = sms_alert(django_capture_on_commit_callbacks)
    assert alert.status == AlertStatus.PENDING
    assert alert.attempts == 0
    queued = DBTaskResult.objects.filter(
        task_path="kotacerdas.hotspots.tasks.fire_alert_deliver",
        args_kwargs__kwargs__alert_id=alert.pk,
    )
    assert queued.count() == 1

    t1 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_deliver(alert_id=alert.pk, now=t1) == AlertStatus.PENDING
    alert.refresh_from_db()
    assert alert.attempts == 1
    assert alert.last_error == "device disconnected"
    assert alert.next_attempt_at == t1 + dt.timedelta(seconds=60)
    assert queued.count() == 2
    assert queued.filter(run_after=alert.next_attempt_at).count() == 1  # the retry, deferred

    t2 = alert.next_attempt_at
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_deliver(alert_id=alert.pk, now=t2) == AlertStatus.PENDING
    alert.refresh_from_db()
    assert alert.attempts == 2
    assert alert.next_attempt_at == t2 + dt.timedelta(seconds=120)  # the delay grows
    assert queued.count() == 3

    t3 = alert.next_attempt_at
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alert_deliver(alert_id=alert.pk, now=t3) == AlertStatus.SENT
    alert.refresh_from_db()
    assert alert.attempts == 3
    assert alert.sent_at == t3
    assert alert.last_error == ""
    assert alert.next_attempt_at is None
    assert alert.provider_id
    assert queued.count() == 3  # no retry after success
    assert len(sms_double.requests) == 3
    # A stale retry task arriving later sends nothing.
    assert services.alert_deliver(alert_id=alert.pk) == AlertStatus.SENT
    assert len(sms_double.requests) == 3


def test_a_failing_gateway_with_the_immediate_backend_does_not_break_the_import(
    phone_operator: Any,
    sms_double: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The immediate backend cannot defer a retry: the import still succeeds, the alert stays
    pending for the periodic requeue (alerts_requeue_due)."""
    sms_double.fail_next = 1
    alert = sms_alert(django_capture_on_commit_callbacks)
    assert alert.status == AlertStatus.PENDING
    assert alert.attempts == 1
    assert alert.next_attempt_at is not None
    assert len(sms_double.requests) == 1
    # The e-mails went out all the same.
    assert FireAlert.objects.filter(channel=Channel.EMAIL, status=AlertStatus.SENT).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts_requeue_due(now=alert.next_attempt_at + dt.timedelta(minutes=3))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.SENT
    assert len(sms_double.requests) == 2


def test_a_gateway_answering_500_fails_after_the_last_attempt(
    phone_operator: Any, sms_double: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FIRES_ALERT_MAX_ATTEMPTS = 3
    sms_double.http_error = 500
    alert = sms_alert(django_capture_on_commit_callbacks)
    now = timezone.now()
    statuses = []
    for i in range(3):
        statuses.append(services.alert_deliver(alert_id=alert.pk, now=now + dt.timedelta(hours=i)))
    assert statuses == [AlertStatus.PENDING, AlertStatus.PENDING, AlertStatus.FAILED]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FAILED
    assert alert.attempts == 3
    assert alert.last_error == "HTTP 500"
    assert alert.next_attempt_at is None
    assert alert.sent_at is None
    # A failed alert is not tried again.
    assert services.alert_deliver(alert_id=alert.pk) == AlertStatus.FAILED
    assert len(sms_double.requests) == 3


def test_a_wrong_token_is_a_failure(
    phone_operator: Any, sms_double: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_GATEWAY_TOKEN = "wrong"
    alert = sms_alert(django_capture_on_commit_callbacks)
    assert services.alert_deliver(alert_id=alert.pk) == AlertStatus.PENDING
    alert.refresh_from_db()
    assert alert.last_error == "invalid token"


def test_an_unreachable_gateway_is_a_failure(
    phone_operator: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.conftest import free_port

    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{free_port()}/send"
    settings.SMS_GATEWAY_TIMEOUT = 2.0
    alert = sms_alert(django_capture_on_commit_callbacks)
    assert services.alert_deliver(alert_id=alert.pk) == AlertStatus.PENDING
    alert.refresh_from_db()
    assert alert.attempts == 1
    assert alert.last_error


def test_requeue_picks_up_overdue_pending_alerts(
    phone_operator: Any, sms_double: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = sms_alert(django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()
    assert services.alerts_requeue_due(now=timezone.now()) == 0  # not overdue yet
    later = timezone.now() + dt.timedelta(minutes=5)
    # The e-mail and the SMS alert of the operator and the e-mails of the others.
    due = FireAlert.objects.filter(status=AlertStatus.PENDING).exclude(channel=Channel.IN_APP)
    assert services.alerts_requeue_due(now=later) == due.count()
    assert set(DBTaskResult.objects.values_list("args_kwargs__kwargs__alert_id", flat=True)) == set(
        due.values_list("pk", flat=True)
    )
    assert alert.pk in set(due.values_list("pk", flat=True))


# --- Morning digest -----------------------------------------------------------------------------
def test_the_morning_digest_once_per_person_per_day(
    people: dict[str, Any], immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    run_import(fresh(UP, (-3.1600, 112.9900), ago_hours=5), django_capture_on_commit_callbacks)
    mail.outbox.clear()
    morning = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        created = services.morning_digest(now=morning)
    digests = FireAlert.objects.filter(kind=AlertKind.DIGEST)
    assert created == digests.count() == 2 * len(ALERTED)
    assert alerted_people(people, AlertKind.DIGEST) == ALERTED
    op = digests.get(recipient=people["desa_operator"], channel=Channel.IN_APP)
    assert "Ujung Pandaran (Teluk Sampit): 2 hotspot(s), 2 new event(s)" in op.body
    assert len(mail.outbox) == len(ALERTED)
    assert all(a.status == AlertStatus.SENT for a in digests)
    # A second run the same day creates none (nor an hour later).
    with django_capture_on_commit_callbacks(execute=True):
        assert services.morning_digest(now=morning) == 0
        assert services.morning_digest(now=morning + dt.timedelta(minutes=30)) == 0
    assert digests.count() == 2 * len(ALERTED)
    assert len(mail.outbox) == len(ALERTED)
    assert Notification.objects.filter(kind="fires.ringkasan").count() == len(ALERTED)


def test_each_digest_email_is_queued_once(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The database backend: one delivery task per e-mail alert, however many people."""
    run_import(fresh(UP, ago_hours=5), django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.morning_digest()
    emails = FireAlert.objects.filter(kind=AlertKind.DIGEST, channel=Channel.EMAIL)
    assert emails.count() == len(ALERTED)
    queued = sorted(
        DBTaskResult.objects.filter(
            task_path="kotacerdas.hotspots.tasks.fire_alert_deliver"
        ).values_list("args_kwargs__kwargs__alert_id", flat=True)
    )
    assert queued == sorted(emails.values_list("pk", flat=True))


def test_no_digest_without_hotspots(people: dict[str, Any], kalimantan_2022: ImportRun) -> None:
    assert services.morning_digest() == 0
    assert FireAlert.objects.count() == 0


def test_the_digest_lists_only_the_persons_area(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    bapeang = (-2.6600, 112.9200)
    run_import(fresh(UP, bapeang, ago_hours=5), django_capture_on_commit_callbacks)
    services.morning_digest()
    up_op = FireAlert.objects.get(
        kind=AlertKind.DIGEST, recipient=people["desa_operator"], channel=Channel.IN_APP
    )
    other = FireAlert.objects.get(
        kind=AlertKind.DIGEST, recipient=people["other_desa_operator"], channel=Channel.IN_APP
    )
    head = FireAlert.objects.get(
        kind=AlertKind.DIGEST, recipient=people["bpbd_head"], channel=Channel.IN_APP
    )
    assert "Ujung Pandaran" in up_op.body
    assert "Bapeang" not in up_op.body
    assert "Bapeang" in other.body
    assert "Ujung Pandaran" not in other.body
    assert "Bapeang" in head.body
    assert "Ujung Pandaran" in head.body
