"""The reports services: the state machine pair by pair, SLA clocks, escalation, closing,
reporter actions, supports, the catalogue import and all-or-nothing filing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from kotacerdas.accounts.models import Role
from kotacerdas.accounts.tests.factories import CitizenFactory
from kotacerdas.core import sla
from kotacerdas.core.errors import Conflict, ValidationFailed
from kotacerdas.core.models import AuditEvent, Notification
from kotacerdas.reports import services
from kotacerdas.reports.models import (
    TRANSITIONS,
    Category,
    EventKind,
    ReplyTemplate,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportSupport,
    Status,
)
from kotacerdas.reports.services import CatalogueInvalid, NewReport

from .conftest import CATALOGUE, SAMPIT, agency, jpeg_bytes, upload, verified

pytestmark = pytest.mark.django_db

FORBIDDEN = "reports.status.transition_forbidden"


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Texts written by services (timeline, notifications) are asserted in English."""
    from django.utils import translation

    with translation.override("en"):
        yield


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def report_audit(report: Report) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="reports.report", object_id=str(report.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def snapshot_of(report: Report) -> tuple[Any, ...]:
    return (
        Report.objects.filter(pk=report.pk).values().get(),
        ReportEvent.objects.filter(report=report).count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
        ReportPhoto.objects.count(),
    )


# --- The state machine ---------------------------------------------------------------------------
# Each starting point is reached through the services, the way it happens in real life.
SCENARIOS: dict[str, list[str]] = {
    "baru": [],
    "diverifikasi": ["verify"],
    "didisposisikan (unverified)": ["forward"],
    "didisposisikan (verified)": ["verify", "forward"],
    "diproses": ["verify", "progress"],
    "selesai": ["verify", "complete"],
    "ditutup": ["verify", "complete", "confirm"],
    "ditolak": ["reject"],
    "dibuka_kembali": ["verify", "complete", "dispute"],
}
# The service that moves a report to each status, its audit verb, and whether the reporter
# (not an officer) acts.
MOVES: dict[str, tuple[str, str, bool]] = {
    Status.VERIFIED: ("verify", "verified", False),
    Status.REJECTED: ("reject", "rejected", False),
    Status.FORWARDED: ("forward", "forwarded", False),
    Status.IN_PROGRESS: ("progress", "progressed", False),
    Status.COMPLETED: ("complete", "completed", False),
    Status.CLOSED: ("confirm", "confirmed", True),
    Status.REOPENED: ("dispute", "reopened", True),
}


def do(action: str, report: Report, officer: Any) -> Report:
    """Run one action through its service (officers: an administrator, who may act anywhere)."""
    ref, version = report.ref, report.version
    if action == "verify":
        return services.report_verify(actor=officer, ref=ref, version=version)
    if action == "reject":
        return services.report_reject(
            actor=officer, ref=ref, version=version, reason="Bukan kewenangan kabupaten."
        )
    if action == "forward":
        target = "dlh" if report.agency.code == "dishub" else "dishub"
        return services.report_forward(
            actor=officer, ref=ref, version=version, agency_code=target, note="Mohon ditangani"
        )
    if action == "progress":
        return services.report_progress(actor=officer, ref=ref, version=version, message="Besok")
    if action == "complete":
        return services.report_complete(
            actor=officer, ref=ref, version=version, message="Sudah diperbaiki semua."
        )
    if action == "confirm":
        return services.report_confirm(actor=report.reporter, ref=ref)
    if action == "dispute":
        return services.report_dispute(
            actor=report.reporter, ref=ref, reason="Masih berlubang seperti semula."
        )
    raise AssertionError(action)


def expected_outcome(scenario: str, target: str) -> str:
    """ "moved", "progress note" or "forbidden": TRANSITIONS, plus the services' own rules that
    rejection is only for unverified reports and work only for verified ones."""
    start = scenario.split(" ")[0]
    verified_ = "verify" in SCENARIOS[scenario]
    if start == Status.IN_PROGRESS and target == Status.IN_PROGRESS:
        return "progress note"  # more progress on a report in progress: no transition
    if target not in TRANSITIONS[start]:
        return "forbidden"
    if target == Status.REJECTED and verified_:
        return "forbidden"
    if target in (Status.IN_PROGRESS, Status.COMPLETED) and not verified_:
        return "forbidden"
    return "moved"


def test_no_service_moves_a_report_back_to_new():
    assert all(Status.NEW not in targets for targets in TRANSITIONS.values())
    assert set(TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize("target", list(MOVES))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_state_machine(
    scenario: str, target: str, file_report: Callable[..., Any], admin_user: Any
):
    officer = verified(admin_user)
    report = file_report()
    for action in SCENARIOS[scenario]:
        report = do(action, report, officer)
    report.refresh_from_db()
    start = report.status
    assert start == scenario.split(" ")[0]
    action, verb, by_reporter = MOVES[target]
    before = snapshot_of(report)
    events_before = ReportEvent.objects.filter(report=report).count()
    notes_before = Notification.objects.filter(recipient=report.reporter).count()

    outcome = expected_outcome(scenario, target)
    if outcome == "forbidden":
        with pytest.raises(ValidationFailed) as caught:
            do(action, report, officer)
        assert caught.value.code == FORBIDDEN
        assert snapshot_of(report) == before
        return

    after = do(action, report, officer)

    after.refresh_from_db()
    assert after.status == target
    assert after.version == report.version + 1
    event = ReportEvent.objects.filter(report=report).latest("pk")
    assert ReportEvent.objects.filter(report=report).count() == events_before + 1
    if target != start:
        assert (event.from_status, event.to_status) == (start, target)
    elif outcome == "moved":  # forwarded again: the agency changes, the status does not
        assert (event.kind, event.from_status, event.to_status) == (EventKind.FORWARDED, "", "")
        assert event.agency is not None
        assert event.agency.code == after.agency.code
    else:
        assert (event.kind, event.from_status, event.to_status) == (EventKind.PROGRESS, "", "")
    assert report_audit(report)[-1] == f"kotacerdas.reports.report.{verb}"
    audit = AuditEvent.objects.filter(object_id=str(report.pk)).latest("pk")
    assert audit.actor == (report.reporter if by_reporter else admin_user)
    assert (audit.before["status"], audit.after["status"]) == (start, target)
    notes = Notification.objects.filter(recipient=report.reporter).count() - notes_before
    assert notes == (0 if by_reporter else 1)  # the reporter hears of every officer's move


def test_every_step_notifies_the_reporter(file_report: Callable[..., Any], admin_user: Any):
    officer = verified(admin_user)
    report = file_report()
    for action in ("verify", "forward", "progress", "complete"):
        report = do(action, report, officer)
    titles = list(
        Notification.objects.filter(recipient=report.reporter)
        .order_by("pk")
        .values_list("kind", "title", "url")
    )
    url = f"/laporan/{report.ref}/"
    assert titles == [
        ("reports.update", f"Report {report.ref} received", url),
        ("reports.update", f"Report {report.ref} verified", url),
        ("reports.update", f"Report {report.ref} forwarded to Dishub", url),
        ("reports.update", f"Progress on report {report.ref}", url),
        ("reports.update", f"Report {report.ref} completed", url),
    ]


def test_ask_notifies_and_waits_for_the_reporter(file_report: Callable[..., Any], pupr_officer):
    report = file_report()
    report = services.report_ask(
        actor=verified(pupr_officer), ref=report.ref, version=1, question="Di sisi mana?"
    )
    assert report.awaiting_citizen is True
    event = ReportEvent.objects.filter(report=report).latest("pk")
    assert (event.kind, event.is_public, event.visible_to_reporter) == ("question", False, True)
    assert Notification.objects.filter(recipient=report.reporter).latest("pk").title == (
        f"A question about your report {report.ref}"
    )
    report = services.report_answer(actor=report.reporter, ref=report.ref, message="Kiri.")
    assert report.awaiting_citizen is False
    assert report_audit(report)[-2:] == [
        "kotacerdas.reports.report.question_asked",
        "kotacerdas.reports.report.answered",
    ]


def test_stale_version_is_a_conflict(file_report: Callable[..., Any], pupr_officer: Any):
    report = file_report()
    officer = verified(pupr_officer)
    services.report_verify(actor=officer, ref=report.ref, version=1)
    report.refresh_from_db()
    before = snapshot_of(report)
    with pytest.raises(Conflict) as caught:
        services.report_progress(actor=officer, ref=report.ref, version=1, message="Besok pagi")
    assert (caught.value.code, caught.value.status) == ("reports.report.conflict", 409)
    assert snapshot_of(report) == before


# --- SLA -----------------------------------------------------------------------------------------
def test_deadlines_on_filing(file_report: Callable[..., Any]):
    report = file_report()
    category = report.category
    assert report.due_at == sla.add_working_days(report.created_at, category.sla_verify_days)
    assert report.completion_due_at == sla.add_working_days(
        report.created_at, category.sla_verify_days + category.sla_complete_days
    )
    assert report.due_at.astimezone(sla.WIB).time() == dt.time.max


def test_completion_within_sla_or_late(file_report: Callable[..., Any], pupr_officer: Any):
    officer = verified(pupr_officer)
    on_time, late = file_report(), file_report()
    for report in (on_time, late):
        services.report_verify(actor=officer, ref=report.ref, version=1)
    Report.objects.filter(pk=late.pk).update(
        completion_due_at=timezone.now() - dt.timedelta(hours=1)
    )

    on_time = services.report_complete(
        actor=officer, ref=on_time.ref, version=2, message="Sudah diperbaiki semua."
    )
    late = services.report_complete(
        actor=officer, ref=late.ref, version=2, message="Sudah diperbaiki semua."
    )

    assert (on_time.completed_within_sla, late.completed_within_sla) == (True, False)
    assert on_time.due_at is None  # no clock runs on a completed report


@pytest.fixture
def diskominfo_staff(catalogue: None, make_staff: Callable[..., Any]) -> list[Any]:
    return [
        make_staff(Role.PETUGAS_OPD, agency=agency("diskominfo")),
        make_staff(Role.KEPALA_OPD, agency=agency("diskominfo")),
    ]


def escalations(report: Report) -> list[Any]:
    return list(ReportEvent.objects.filter(report=report, kind=EventKind.ESCALATED))


def test_escalation_to_the_head_then_to_diskominfo(
    file_report: Callable[..., Any],
    pupr_officer: Any,
    pupr_head: Any,
    dishub_officer: Any,
    diskominfo_staff: list[Any],
):
    report = file_report()
    on_time = file_report()
    due = report.due_at
    assert due is not None
    Report.objects.filter(pk=on_time.pk).update(due_at=due + dt.timedelta(days=30))
    one_day_late = sla.add_working_days(due, 1)

    # Not yet due: nothing happens.
    assert services.reports_escalate(now=due - dt.timedelta(minutes=1)) == {
        "head": 0, "central": 0, "closed": 0,
    }  # fmt: skip

    # Overdue: level 1, the agency head is told (not the officers, not other agencies).
    assert services.reports_escalate(now=one_day_late) == {"head": 1, "central": 0, "closed": 0}
    report.refresh_from_db()
    assert report.escalation_level == 1
    alerts = Notification.objects.filter(kind="reports.escalated")
    assert [(n.recipient, n.title, n.url) for n in alerts] == [
        (pupr_head, f"Overdue report {report.ref}: {report.title}",
         f"/kantor/laporan/{report.ref}/"),
    ]  # fmt: skip
    [event] = escalations(report)
    assert (event.is_public, event.visible_to_reporter) == (False, False)
    assert report_audit(report)[-1] == "kotacerdas.reports.report.escalated"

    # Running again at the same moment changes nothing (1 working day < the policy's 2).
    assert services.reports_escalate(now=one_day_late) == {"head": 0, "central": 0, "closed": 0}
    assert len(escalations(report)) == 1

    # After the policy's days: level 2, Diskominfo's staff are told.
    two_days_late = sla.add_working_days(due, 2)
    assert services.reports_escalate(now=two_days_late) == {"head": 0, "central": 1, "closed": 0}
    assert services.reports_escalate(now=two_days_late)["central"] == 0
    report.refresh_from_db()
    assert report.escalation_level == 2
    central = Notification.objects.filter(kind="reports.escalated").exclude(recipient=pupr_head)
    assert sorted(n.recipient.pk for n in central) == sorted(u.pk for u in diskominfo_staff)
    assert len(escalations(report)) == 2
    on_time.refresh_from_db()
    assert on_time.escalation_level == 0
    assert not Notification.objects.filter(
        kind="reports.escalated", recipient__in=[pupr_officer, dishub_officer]
    ).exists()


def test_escalation_follows_the_policy(
    file_report: Callable[..., Any], admin_user: Any, pupr_head: Any
):
    services.policy_update(
        actor=verified(admin_user),
        values={"escalate_to_head_after_days": 3, "escalate_to_central_after_days": 5},
    )
    report = file_report()
    due = report.due_at
    assert due is not None
    assert services.reports_escalate(now=sla.add_working_days(due, 2))["head"] == 0
    assert services.reports_escalate(now=sla.add_working_days(due, 3))["head"] == 1
    assert services.reports_escalate(now=sla.add_working_days(due, 4))["central"] == 0
    assert services.reports_escalate(now=sla.add_working_days(due, 5))["central"] == 1


# --- Closing, disputes, ratings ------------------------------------------------------------------
@pytest.fixture
def completed(file_report: Callable[..., Any], pupr_officer: Any) -> Report:
    officer = verified(pupr_officer)
    report = file_report()
    services.report_verify(actor=officer, ref=report.ref, version=1)
    return services.report_complete(
        actor=officer, ref=report.ref, version=2, message="Sudah diperbaiki semua."
    )


def test_autoclose_after_the_reopen_window(completed: Report):
    assert completed.completed_at is not None
    window = dt.timedelta(days=7)
    assert services.reports_autoclose(now=completed.completed_at + window) == 0
    completed.refresh_from_db()
    assert completed.status == Status.COMPLETED

    later = completed.completed_at + window + dt.timedelta(seconds=1)
    assert services.reports_autoclose(now=later) == 1
    assert services.reports_autoclose(now=later) == 0

    completed.refresh_from_db()
    assert (completed.status, completed.closed_at) == (Status.CLOSED, later)
    event = ReportEvent.objects.filter(report=completed).latest("pk")
    assert (event.from_status, event.to_status, event.actor_label) == (
        Status.COMPLETED,
        Status.CLOSED,
        "System",
    )
    assert event.message == "Closed automatically: no objection within 7 days."
    assert report_audit(completed)[-1] == "kotacerdas.reports.report.closed"


def test_escalation_run_also_closes(completed: Report):
    assert completed.completed_at is not None
    counts = services.reports_escalate(now=completed.completed_at + dt.timedelta(days=8))
    assert counts == {"head": 0, "central": 0, "closed": 1}


def test_dispute_after_the_window_is_refused(completed: Report):
    assert completed.completed_at is not None
    Report.objects.filter(pk=completed.pk).update(
        completed_at=completed.completed_at - dt.timedelta(days=8)
    )
    before = snapshot_of(completed)
    with pytest.raises(ValidationFailed) as caught:
        services.report_dispute(
            actor=completed.reporter, ref=completed.ref, reason="Masih berlubang di sana."
        )
    assert caught.value.code == "reports.dispute.window_passed"
    assert snapshot_of(completed) == before


def test_dispute_within_the_window_reopens_with_a_new_clock(completed: Report):
    report = services.report_dispute(
        actor=completed.reporter, ref=completed.ref, reason="Masih berlubang di sana."
    )
    assert (report.status, report.completed_at, report.completed_within_sla) == (
        Status.REOPENED,
        None,
        None,
    )
    assert report.due_at is not None
    assert report.due_at > timezone.now()


def test_rating_once_only(completed: Report, file_report: Callable[..., Any]):
    report = services.report_rate(actor=completed.reporter, ref=completed.ref, rating="4",
                                  comment="  Cukup cepat  ")  # fmt: skip
    assert (report.rating, report.rating_comment) == (4, "Cukup cepat")
    before = snapshot_of(completed)
    with pytest.raises(Conflict) as caught:
        services.report_rate(actor=completed.reporter, ref=completed.ref, rating=1)
    assert caught.value.code == "reports.rating.done"
    assert snapshot_of(completed) == before

    early = file_report()
    with pytest.raises(ValidationFailed) as too_early:
        services.report_rate(actor=early.reporter, ref=early.ref, rating=5)
    assert too_early.value.code == "reports.rating.too_early"
    for bad in (0, 6, "lima", None):
        with pytest.raises(ValidationFailed) as invalid:
            services.report_rate(actor=early.reporter, ref=early.ref, rating=bad)
        assert invalid.value.code == "reports.rating.invalid"
    event = ReportEvent.objects.filter(report=completed, kind=EventKind.RATED).get()
    assert event.message == "4/5 — Cukup cepat"


# --- Supports ------------------------------------------------------------------------------------
def test_support_is_counted_once_per_person(file_report: Callable[..., Any]):
    report = file_report()
    first, second = CitizenFactory(), CitizenFactory()

    assert services.report_support(actor=first, ref=report.ref) is True
    assert services.report_support(actor=first, ref=report.ref) is False
    assert services.report_support(actor=second, ref=report.ref) is True

    report.refresh_from_db()
    assert report.support_count == 2
    assert ReportSupport.objects.filter(report=report).count() == 2
    assert AuditEvent.objects.filter(action="kotacerdas.reports.report.supported").count() == 2


def test_support_count_is_an_f_expression(file_report: Callable[..., Any]):
    """The counter is incremented in the database, so a stale in-memory copy can't undo it."""
    report = file_report()
    stale = Report.objects.get(pk=report.pk)
    Report.objects.filter(pk=report.pk).update(support_count=10)  # others supported meanwhile
    services.report_support(actor=CitizenFactory(), ref=stale.ref)
    assert Report.objects.get(pk=report.pk).support_count == 11


def test_support_refusals(file_report: Callable[..., Any], completed: Report):
    report = file_report()
    with pytest.raises(ValidationFailed) as own:
        services.report_support(actor=report.reporter, ref=report.ref)
    assert own.value.code == "reports.support.own_report"
    with pytest.raises(ValidationFailed) as closed:
        services.report_support(actor=CitizenFactory(), ref=completed.ref)
    assert closed.value.code == "reports.support.closed"
    assert ReportSupport.objects.count() == 0


# --- Catalogue import ----------------------------------------------------------------------------
def catalogue_state() -> tuple[Any, ...]:
    return (
        list(Category.objects.order_by("code").values()),
        list(ReplyTemplate.objects.order_by("pk").values()),
        AuditEvent.objects.filter(action="kotacerdas.reports.catalogue.imported").count(),
    )


def test_catalogue_import_is_idempotent(catalogue: None, tmp_path: Path):
    before = catalogue_state()
    assert services.catalogue_import(path=CATALOGUE) == (0, 0)
    assert catalogue_state() == before

    doc = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    doc["categories"][0]["sla_verify_days"] = 2
    doc["categories"].append(
        {"code": "pohon-tumbang", "name": "Pohon tumbang", "dimension": "environment",
         "agency": "dlh"}
    )  # fmt: skip
    changed = tmp_path / "catalogue.json"
    changed.write_text(json.dumps(doc), encoding="utf-8")

    assert services.catalogue_import(path=changed) == (1, 1)
    assert services.catalogue_import(path=changed) == (0, 0)
    assert Category.objects.get(code=doc["categories"][0]["code"]).sla_verify_days == 2
    assert Category.objects.get(code="pohon-tumbang").agency.code == "dlh"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"categories": [', "catalogue.json: Expecting"),
        (json.dumps({"categories": [
            {"code": "baru-bagus", "name": "Baru", "dimension": "living", "agency": "pupr"},
            {"code": "salah", "name": "Salah", "dimension": "living", "agency": "tidak-ada"},
        ]}), "categories[2] (salah): unknown agency 'tidak-ada'"),
        (json.dumps({"categories": [
            {"code": "baru-bagus", "name": "Baru", "dimension": "living", "agency": "pupr"},
            {"code": "X!", "name": "Bad", "dimension": "living", "agency": "pupr"},
        ]}), "categories[2]: code 'X!' must be 2-60 of a-z, 0-9 and '-'"),
        (json.dumps({"categories": [
            {"code": "baru-bagus", "name": "Baru", "dimension": "living", "agency": "pupr",
             "sla_verify_days": 0},
        ]}), "categories[1] (baru-bagus): "),
        (json.dumps({"categories": [
            {"code": "baru-bagus", "name": "Baru", "dimension": "living", "agency": "pupr"}],
            "reply_templates": [{"category": "tidak-ada", "title": "T", "body": "B"}]}),
         "reply_templates[1]: unknown category 'tidak-ada'"),
    ],
)  # fmt: skip
def test_catalogue_import_is_all_or_nothing(
    catalogue: None, tmp_path: Path, content: str, problem: str
):
    path = tmp_path / "catalogue.json"
    path.write_text(content, encoding="utf-8")
    before = catalogue_state()

    with pytest.raises(CatalogueInvalid) as caught:
        services.catalogue_import(path=path)

    assert caught.value.code == "reports.catalogue.invalid"
    assert any(p.startswith(problem) or problem in p for p in caught.value.problems), (
        caught.value.problems
    )
    assert catalogue_state() == before
    assert not Category.objects.filter(code="baru-bagus").exists()


# --- Filing is all or nothing --------------------------------------------------------------------
def test_a_bad_photo_among_good_ones_writes_nothing(citizen: Any, catalogue: None):
    bad = upload(b"GIF89a but not really an image", "c.gif", "image/gif")
    with pytest.raises(ValidationFailed) as caught:
        services.report_create(
            actor=citizen,
            data=NewReport(kind="complaint", category_code="jalan-rusak",
                           description="Jalan berlubang besar sekali.", lat=SAMPIT[0],
                           lng=SAMPIT[1]),
            photos=[upload(jpeg_bytes()), bad],
        )  # fmt: skip
    assert caught.value.code == "reports.photo.not_image"
    assert Report.objects.count() == 0
    assert media_files() == []


def test_a_failure_after_the_photos_were_stored_removes_them(
    citizen: Any, catalogue: None, monkeypatch: pytest.MonkeyPatch
):
    def broken_event(*args: Any, **kwargs: Any) -> Any:
        assert len(media_files()) == 4  # both photos and thumbnails were written by now
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_event", broken_event)
    with pytest.raises(RuntimeError):
        services.report_create(
            actor=citizen,
            data=NewReport(kind="complaint", category_code="jalan-rusak",
                           description="Jalan berlubang besar sekali.", lat=SAMPIT[0],
                           lng=SAMPIT[1]),
            photos=[upload(jpeg_bytes()), upload(jpeg_bytes(300, 300))],
        )  # fmt: skip
    assert Report.objects.count() == 0
    assert ReportPhoto.objects.count() == 0
    assert media_files() == []
    assert not AuditEvent.objects.filter(action__startswith="kotacerdas.reports.report.").exists()


def test_complete_with_a_failure_after_storing_photos_removes_them(
    file_report: Callable[..., Any], pupr_officer: Any, monkeypatch: pytest.MonkeyPatch
):
    officer = verified(pupr_officer)
    report = file_report()
    services.report_verify(actor=officer, ref=report.ref, version=1)
    report.refresh_from_db()
    before = snapshot_of(report)

    def broken_notify(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(services, "_notify_reporter", broken_notify)
    with pytest.raises(RuntimeError):
        services.report_complete(actor=officer, ref=report.ref, version=2,
                                 message="Sudah diperbaiki semua.",
                                 photos=[upload(jpeg_bytes())])  # fmt: skip
    assert snapshot_of(report) == before
    assert media_files() == []


def test_filing_records_the_event_the_audit_and_the_notification(
    file_report: Callable[..., Any],
):
    report = file_report(is_anonymous=True, photos=[upload(jpeg_bytes())])
    event = ReportEvent.objects.get(report=report)
    assert (event.kind, event.to_status, event.actor_label, event.is_public) == (
        EventKind.CREATED,
        Status.NEW,
        "Reporter",
        True,
    )
    audit = AuditEvent.objects.get(action="kotacerdas.reports.report.created")
    assert audit.after == {
        "ref": report.ref, "kind": "complaint", "category": report.category_id,
        "desa_code": report.desa_code, "status": "baru", "agency": report.agency_id,
        "handling_level": "agency", "escalation_level": 0, "due_at": report.due_at.isoformat(),
        "anonymous": True, "confidential": False, "source": "portal", "photos": 1,
    }  # fmt: skip
    note = Notification.objects.get(recipient=report.reporter)
    assert (note.title, note.body) == (
        f"Report {report.ref} received",
        "We will verify it within 3 working days.",
    )
