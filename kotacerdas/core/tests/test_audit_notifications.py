import pytest
from django.core import mail
from django.db import transaction

from kotacerdas.core import indicators, services
from kotacerdas.core.models import AuditEvent, Notification
from kotacerdas.core.selectors import AuditFilters, audit_event_list, notification_list


@pytest.mark.django_db
def test_audit_record_keeps_actor_snapshot_and_request_meta(citizen) -> None:
    from kotacerdas.core.context import RequestMeta, reset_request_meta, set_request_meta

    token = set_request_meta(RequestMeta(request_id="req-1", ip_address="10.1.2.3"))
    try:
        event = services.audit_record(
            actor=citizen,
            action="kotacerdas.core.test.done",
            target=citizen,
            before={"a": 1},
            after={"a": 2},
        )
    finally:
        reset_request_meta(token)
    event.refresh_from_db()
    assert event.actor_label == citizen.full_name
    assert event.object_type == "accounts.user"
    assert event.object_id == str(citizen.pk)
    assert (event.before, event.after) == ({"a": 1}, {"a": 2})
    assert (event.request_id, event.ip_address) == ("req-1", "10.1.2.3")


@pytest.mark.django_db
def test_audit_event_rolls_back_with_the_change(citizen) -> None:
    before = AuditEvent.objects.count()

    def change_that_fails() -> None:
        with transaction.atomic():
            services.audit_record(actor=citizen, action="kotacerdas.core.test.failed")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_audit_trail_is_only_for_administrators(citizen, make_staff) -> None:
    services.audit_record(actor=None, action="kotacerdas.core.test.visible")
    admin = make_staff("admin")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin.is_verified = lambda: True
    assert (
        audit_event_list(actor=admin, filters=AuditFilters(action="kotacerdas.core.test")).count()
        == 1
    )
    assert audit_event_list(actor=citizen).count() == 0
    officer = make_staff("petugas_opd", agency=None)
    officer.is_verified = lambda: True
    assert audit_event_list(actor=officer).count() == 0
    assert TOTPDevice.objects.filter(user=admin).exists()


@pytest.mark.django_db
def test_notification_email_is_sent_by_a_task_after_commit(
    citizen, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "notifications"],
        }
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        n = services.notification_send(
            recipient=citizen, kind="test", title="Laporan diterima", body="Isi"
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Laporan diterima"
    assert mail.outbox[0].to == [citizen.email]
    n.refresh_from_db()
    assert n.emailed_at is not None
    assert (
        notification_list(actor=citizen).values_list("title", flat=True).first()
        == "Laporan diterima"
    )


@pytest.mark.django_db
def test_mark_read_touches_only_own_notifications(citizen) -> None:
    from kotacerdas.accounts.tests.factories import CitizenFactory

    other = CitizenFactory()
    mine = services.notification_send(recipient=citizen, kind="t", title="a", email=False)
    theirs = services.notification_send(recipient=other, kind="t", title="b", email=False)
    assert (
        services.notification_mark_read(actor=citizen, notification_ids=[mine.pk, theirs.pk]) == 1
    )
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_indicator_keys_are_unique() -> None:
    existing = indicators.registered()[0]
    with pytest.raises(ValueError, match="already registered"):
        indicators.register(
            indicators.Indicator(
                key=existing.key,
                dimension="governance",
                title="x",
                description="x",
                unit="x",
                compute=lambda: indicators.IndicatorResult(rows=[]),
            )
        )
