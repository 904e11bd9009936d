"""Every write of the reports app: one function per use case.

Each checks who acts first, validates, then changes rows in one transaction that also writes
the timeline entry and the audit event; notifications go out after commit. Officers' actions
lock the report row (`select_for_update`) and compare the version the officer saw: of two
officers acting on one report at once, one succeeds and the other gets
`reports.report.conflict`. The state machine is `models.TRANSITIONS`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kotacerdas.accounts.selectors import agency_by_codes, agency_list, staff_holding
from kotacerdas.core import sla
from kotacerdas.core.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from kotacerdas.core.refs import new_ref
from kotacerdas.core.services import audit_record, notification_send, snapshot
from kotacerdas.regions.lookup import locate

from . import photos as photo_pipeline
from . import policy, selectors
from .models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Category,
    EventKind,
    HandlingLevel,
    Kind,
    Open311Client,
    PhotoStage,
    ReplyTemplate,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportPolicy,
    ReportSupport,
    Source,
    Status,
)

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 5000
MESSAGE_MAX = 2000
TITLE_MAX = 120
ATTRIBUTE_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
REPORT_AUDIT_FIELDS = ["status", "agency", "handling_level", "escalation_level", "due_at"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- Helpers -------------------------------------------------------------------------------------
def _authed(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _require(actor: Any, perm: str) -> None:
    if not _authed(actor):
        raise AuthenticationRequired()
    if not actor.has_perm(perm):
        raise PermissionDenied()


def clean_text(value: Any) -> str:
    """Text as stored: control characters removed, whitespace trimmed. HTML is not stripped
    but always escaped when shown (templates autoescape; the API returns JSON strings)."""
    return _CONTROL.sub("", str(value or "")).strip()


def _text(
    value: Any, *, field: str, minimum: int, maximum: int, code: str = "reports.text.invalid"
) -> str:
    text = clean_text(value)
    if len(text) < minimum:
        message = (
            _("Write at least %(n)d characters.") % {"n": minimum}
            if minimum > 1
            else _("This field is required.")
        )
        raise ValidationFailed(message, code=code, fields={field: [message]})
    if len(text) > maximum:
        message = _("Write at most %(n)d characters (now %(len)d).") % {
            "n": maximum,
            "len": len(text),
        }
        raise ValidationFailed(message, code=code, fields={field: [message]})
    return text


def _actor_label(actor: Any, report: Report | None = None) -> str:
    """What the timeline shows for an actor: an agency or a region office, never a name."""
    if not _authed(actor):
        return str(_("System"))
    if report is not None and report.reporter_id == actor.pk:
        return str(_("Reporter"))
    from kotacerdas.accounts.backends import active_memberships

    for m in active_memberships(actor):
        if m.agency_id is not None and (report is None or m.agency_id == report.agency_id):
            return m.agency.short_name
    for m in active_memberships(actor):
        if m.agency_id is not None:
            return m.agency.short_name
        if m.region_id is not None:
            return m.region.name
    return str(_("Officer"))


def _event(
    report: Report,
    *,
    kind: str,
    actor: Any,
    message: str = "",
    from_status: str = "",
    to_status: str = "",
    is_public: bool = True,
    visible_to_reporter: bool = True,
    now: dt.datetime,
    agency: Any = None,
) -> ReportEvent:
    return ReportEvent.objects.create(
        report=report,
        kind=kind,
        actor=actor if _authed(actor) else None,
        actor_label=_actor_label(actor, report),
        message=message,
        from_status=from_status,
        to_status=to_status,
        is_public=is_public,
        visible_to_reporter=visible_to_reporter,
        agency=agency,
        created_at=now,
    )


def _audit(actor: Any, verb: str, report: Report, before: dict | None, after: dict | None) -> None:
    audit_record(
        actor=actor,
        action=f"kotacerdas.reports.report.{verb}",
        target=report,
        object_repr=report.ref,
        region_code=report.desa_code,
        before=before,
        after=after,
    )


def _notify_reporter(report: Report, title: str, body: str = "") -> None:
    if report.reporter_id is None:
        return
    notification_send(
        recipient=report.reporter,
        kind="reports.update",
        title=title,
        body=body,
        url=reverse("reports:detail", kwargs={"ref": report.ref}),
    )


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _check_transition(report: Report, target: str) -> None:
    if target not in TRANSITIONS.get(report.status, frozenset()):
        raise ValidationFailed(
            _("A report that is “%(current)s” cannot become “%(target)s”.")
            % {"current": _status_label(report.status), "target": _status_label(target)},
            code="reports.status.transition_forbidden",
        )


def _stage_due(report: Report, now: dt.datetime) -> dt.datetime | None:
    """The deadline of the stage the report is in (the SLA badge's clock)."""
    cat = report.category
    if report.status in (Status.COMPLETED, Status.CLOSED, Status.REJECTED):
        return None
    if report.verified_at is None:
        # Not yet verified (new, or forwarded before verification): verify within N days of
        # when it reached the current agency.
        return sla.add_working_days(now, cat.sla_verify_days)
    if report.status in (Status.VERIFIED, Status.FORWARDED):
        return min(sla.add_working_days(now, cat.sla_plan_days), report.completion_due_at)
    if report.status == Status.REOPENED:
        return sla.add_working_days(now, cat.sla_plan_days)
    return max(report.completion_due_at, now)


# --- Citizens: filing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class NewReport:
    kind: str
    category_code: str
    description: str
    lat: Any
    lng: Any
    title: str = ""
    address: str = ""
    is_anonymous: bool = False
    is_confidential: bool = False
    attributes: dict[str, Any] | None = None


def _clean_attributes(category: Category, given: dict[str, Any] | None) -> dict[str, Any]:
    """Answers to the category's extra questions (Open311 attributes), checked by datatype."""
    given = given or {}
    out: dict[str, Any] = {}
    fields: dict[str, list[str]] = {}
    for spec in category.attributes or []:
        code = spec.get("code")
        value: Any = given.get(code)
        if value in (None, "", []):
            if spec.get("required"):
                fields[f"attribute[{code}]"] = [_("This field is required.")]
            continue
        datatype = spec.get("datatype", "string")
        keys = {str(v.get("key")) for v in spec.get("values", [])}
        if datatype == "number":
            try:
                out[code] = float(value)
            except (TypeError, ValueError):
                fields[f"attribute[{code}]"] = [_("Enter a number.")]
        elif datatype == "singlevaluelist":
            if str(value) not in keys:
                fields[f"attribute[{code}]"] = [_("Choose one of the allowed values.")]
            else:
                out[code] = str(value)
        elif datatype == "multivaluelist":
            values = value if isinstance(value, list) else [value]
            if not all(str(v) in keys for v in values):
                fields[f"attribute[{code}]"] = [_("Choose one of the allowed values.")]
            else:
                out[code] = [str(v) for v in values]
        else:
            out[code] = clean_text(value)[:500]
    if fields:
        raise ValidationFailed(code="reports.attributes.invalid", fields=fields)
    return out


def report_create(
    *,
    actor: Any,
    data: NewReport,
    photos: list[Any] | None = None,
    source: str = Source.PORTAL,
    open311_client: Open311Client | None = None,
    contact: dict[str, str] | None = None,
) -> Report:
    """File a complaint or an aspiration. A signed-in citizen files as themself; an Open311
    app files for a person identified only by the contact it gives (or nobody)."""
    if open311_client is None and not _authed(actor):
        raise AuthenticationRequired()
    fields: dict[str, list[str]] = {}
    if data.kind not in Kind.values:
        fields["kind"] = [_("Choose one of the allowed values.")]
    try:
        category = selectors.category_get(code=str(data.category_code or ""))
    except NotFound as exc:
        raise ValidationFailed(
            exc.message, code="reports.category.unknown", fields={"category": [exc.message]}
        ) from None
    description = _text(
        data.description,
        field="description",
        minimum=DESCRIPTION_MIN,
        maximum=DESCRIPTION_MAX,
        code="reports.description.invalid",
    )
    title = clean_text(data.title)[:TITLE_MAX] or _summary(description)
    address = clean_text(data.address)[:200]
    attributes = _clean_attributes(category, data.attributes)
    if fields:
        raise ValidationFailed(code="reports.report.invalid", fields=fields)
    place = locate(data.lat, data.lng)  # ValidationFailed / regions.outside (422)
    processed = photo_pipeline.process_all(list(photos or []))
    contact = contact or {}

    now = timezone.now()
    completion_due = sla.add_working_days(
        now, category.sla_verify_days + category.sla_complete_days
    )
    written: list[str] = []
    try:
        with transaction.atomic():
            report = Report(
                kind=data.kind,
                category=category,
                title=title,
                description=description,
                attributes=attributes,
                lat=float(data.lat),
                lng=float(data.lng),
                address=address,
                desa_code=place.desa.code,
                desa_name=place.desa.name,
                kecamatan_code=place.kecamatan.code,
                kecamatan_name=place.kecamatan.name,
                location_approximate=place.approximate,
                reporter=actor if _authed(actor) else None,
                contact_name=clean_text(contact.get("name"))[:150],
                contact_email=clean_text(contact.get("email"))[:254],
                contact_phone=clean_text(contact.get("phone"))[:20],
                is_anonymous=bool(data.is_anonymous),
                is_confidential=bool(data.is_confidential),
                source=source,
                open311_client=open311_client,
                status=Status.NEW,
                agency=category.agency,
                handling_level=category.handling_level,
                created_at=now,
                updated_at=now,
                due_at=sla.add_working_days(now, category.sla_verify_days),
                completion_due_at=completion_due,
            )
            for _attempt in range(5):
                report.ref = new_ref(now)
                try:
                    with transaction.atomic():
                        report.save()
                    break
                except IntegrityError:
                    if Report.objects.filter(ref=report.ref).exists():
                        continue
                    raise
            _save_photos(report, processed, stage=PhotoStage.BEFORE, actor=actor, out=written)
            _event(report, kind=EventKind.CREATED, actor=actor, to_status=Status.NEW, now=now)
            _audit(
                actor,
                "created",
                report,
                None,
                {
                    **snapshot(
                        report, ["ref", "kind", "category", "desa_code", *REPORT_AUDIT_FIELDS]
                    ),
                    "anonymous": report.is_anonymous,
                    "confidential": report.is_confidential,
                    "source": source,
                    "photos": len(processed),
                },
            )
            _notify_reporter(
                report,
                _("Report %(ref)s received") % {"ref": report.ref},
                _("We will verify it within %(n)d working days.") % {"n": category.sla_verify_days},
            )
    except BaseException:
        for name in written:  # files are not transactional: remove what a rollback orphans
            default_storage.delete(name)
        raise
    return report


def _summary(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 80 else first[:77].rstrip() + "…"


def _save_photos(
    report: Report,
    processed: list[photo_pipeline.ProcessedPhoto],
    *,
    stage: str,
    actor: Any,
    out: list[str],
) -> None:
    for item in processed:
        token = secrets.token_hex(8)
        photo = ReportPhoto(
            report=report,
            stage=stage,
            width=item.width,
            height=item.height,
            size_bytes=len(item.image),
            uploaded_by=actor if _authed(actor) else None,
        )
        photo.image.save(f"{report.ref}-{token}.jpg", ContentFile(item.image), save=False)
        out.append(photo.image.name)
        photo.thumbnail.save(f"{report.ref}-{token}-t.jpg", ContentFile(item.thumbnail), save=False)
        out.append(photo.thumbnail.name)
        photo.save()


def report_support(*, actor: Any, ref: str) -> bool:
    """'Saya juga mengalami' / support an aspiration. True if counted now, False if the actor
    had already supported it (a double tap changes nothing)."""
    if not _authed(actor):
        raise AuthenticationRequired()
    report = selectors.public_report_get(ref=ref)
    if report.reporter_id == actor.pk:
        raise ValidationFailed(
            _("You filed this report yourself."), code="reports.support.own_report"
        )
    if report.status not in OPEN_STATUSES:
        raise ValidationFailed(
            _("This report is no longer open for support."), code="reports.support.closed"
        )
    try:
        with transaction.atomic():
            ReportSupport.objects.create(report=report, user=actor)
            Report.objects.filter(pk=report.pk).update(support_count=F("support_count") + 1)
            audit_record(
                actor=actor,
                action="kotacerdas.reports.report.supported",
                target=report,
                object_repr=report.ref,
                region_code=report.desa_code,
            )
    except IntegrityError:
        return False
    return True


# --- Officers -------------------------------------------------------------------------------------
def _lock_for_handler(*, actor: Any, ref: str, version: int | None) -> Report:
    """Lock the report and check the actor may act on it and saw its current version."""
    _require(actor, policy.HANDLE)
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("category", "agency", "reporter")
        .filter(ref=ref)
        .first()
    )
    if report is None or not selectors.can_handle(actor=actor, report=report):
        raise NotFound(_("There is no such report."), code="reports.report.not_found")
    if version is not None and int(version) != report.version:
        raise Conflict(
            _(
                "Someone else changed this report a moment ago. Reload the page to see what "
                "changed, then try again."
            ),
            code="reports.report.conflict",
        )
    return report


def _officer_move(
    *,
    actor: Any,
    report: Report,
    target: str | None,
    verb: str,
    event_kind: str,
    message: str,
    now: dt.datetime,
    is_public: bool = True,
    agency: Any = None,
    extra: Callable[[Report], None] | None = None,
) -> Report:
    before = snapshot(report, REPORT_AUDIT_FIELDS)
    current = report.status
    if target is not None:
        # Also when target == current: a self-move is allowed only where TRANSITIONS says so
        # (forwarded → forwarded), never a second verify, reject or complete.
        _check_transition(report, target)
        report.status = target
    if extra is not None:
        extra(report)
    if report.first_response_at is None:
        report.first_response_at = now
    report.due_at = _stage_due(report, now)
    report.updated_at = now
    report.version += 1
    report.save()
    _event(
        report,
        kind=event_kind,
        actor=actor,
        message=message,
        from_status=current if target and target != current else "",
        to_status=target if target and target != current else "",
        is_public=is_public,
        now=now,
        agency=agency,
    )
    _audit(actor, verb, report, before, {**snapshot(report, REPORT_AUDIT_FIELDS), "note": message})
    return report


def report_verify(*, actor: Any, ref: str, version: int | None, message: str = "") -> Report:
    message = clean_text(message)[:MESSAGE_MAX]
    now = timezone.now()
    with transaction.atomic():
        report = _lock_for_handler(actor=actor, ref=ref, version=version)

        def stamp(r: Report) -> None:
            r.verified_at = now

        report = _officer_move(
            actor=actor,
            report=report,
            target=Status.VERIFIED,
            verb="verified",
            event_kind=EventKind.STATUS,
            message=message,
            now=now,
            extra=stamp,
        )
        _notify_reporter(report, _("Report %(ref)s verified") % {"ref": report.ref}, message)
    return report


def report_reject(*, actor: Any, ref: str, version: int | None, reason: str) -> Report:
    reason = _text(reason, field="reason", minimum=10, maximum=MESSAGE_MAX)
    now = timezone.now()
    with transaction.atomic():
        report = _lock_for_handler(actor=actor, ref=ref, version=version)
        if report.verified_at is not None:
            raise ValidationFailed(
                _("A verified report cannot be rejected any more; complete it with a reply."),
                code="reports.status.transition_forbidden",
            )
        report = _officer_move(
            actor=actor,
            report=report,
            target=Status.REJECTED,
            verb="rejected",
            event_kind=EventKind.STATUS,
            message=reason,
            now=now,
        )
        _notify_reporter(report, _("Report %(ref)s was not accepted") % {"ref": report.ref}, reason)
    return report


def report_forward(
    *, actor: Any, ref: str, version: int | None, agency_code: str, note: str
) -> Report:
    """Disposisi: hand the report to another agency, whose officers then handle it."""
    note = _text(note, field="note", minimum=5, maximum=MESSAGE_MAX)
    target_agency = agency_by_codes(codes=[str(agency_code or "")]).get(str(agency_code or ""))
    if target_agency is None or not target_agency.is_active:
        message = _("Choose an agency from the list.")
        raise ValidationFailed(message, code="reports.forward.agency", fields={"agency": [message]})
    now = timezone.now()
    with transaction.atomic():
        report = _lock_for_handler(actor=actor, ref=ref, version=version)
        if target_agency.pk == report.agency_id and report.handling_level == HandlingLevel.AGENCY:
            message = _("The report is already with this agency.")
            raise ValidationFailed(
                message, code="reports.forward.same_agency", fields={"agency": [message]}
            )

        def move(r: Report) -> None:
            r.agency = target_agency
            r.handling_level = HandlingLevel.AGENCY
            r.escalation_level = 0
            r.awaiting_citizen = False

        report = _officer_move(
            actor=actor,
            report=report,
            target=Status.FORWARDED,
            verb="forwarded",
            event_kind=EventKind.FORWARDED,
            message=note,
            now=now,
            agency=target_agency,
            extra=move,
        )
        _notify_reporter(
            report,
            _("Report %(ref)s forwarded to %(agency)s")
            % {"ref": report.ref, "agency": target_agency.short_name},
            note,
        )
    return report


def report_ask(*, actor: Any, ref: str, version: int | None, question: str) -> Report:
    """Ask the reporter for details (shown to them, not to the public)."""
    question = _text(question, field="question", minimum=5, maximum=MESSAGE_MAX)
    now = timezone.now()
    with transaction.atomic():
        report = _lock_for_handler(actor=actor, ref=ref, version=version)
        if not report.is_open:
            raise ValidationFailed(
                _("This report is no longer open."), code="reports.status.transition_forbidden"
            )
        if report.reporter_id is None and not report.contact_email:
            raise ValidationFailed(
                _("This report has no reporter to ask."), code="reports.ask.no_reporter"
            )

        def waiting(r: Report) -> None:
            r.awaiting_citizen = True

        report = _officer_move(
            actor=actor,
            report=report,
            target=None,
            verb="question_asked",
            event_kind=EventKind.QUESTION,
            message=question,
            now=now,
            is_public=False,
            extra=waiting,
        )
        _notify_reporter(
            report, _("A question about your report %(ref)s") % {"ref": report.ref}, question
        )
    return report


def report_progress(*, actor: Any, ref: str, version: int | None, message: str) -> Report:
    """Record the follow-up plan or progress; the report becomes “in progress”."""
    message = _text(message, field="message", minimum=5, maximum=MESSAGE_MAX)
    now = timezone.now()
    with transaction.atomic():
        report = _lock_for_handler(actor=actor, ref=ref, version=version)
        target = Status.IN_PROGRESS if report.status != Status.IN_PROGRESS else None
        if target is not None:
            if report.status in (Status.NEW,) or (
                report.status == Status.FORWARDED and report.verified_at is None
            ):
                raise ValidationFailed(
                    _("Verify the report before recording progress."),
                    code="reports.status.transition_forbidden",
                )
            _check_transition(report, target)
        report = _officer_move(
            actor=actor,
            report=report,
            target=target,
            verb="progressed",
            event_kind=EventKind.PROGRESS,
            message=message,
            now=now,
        )
        _notify_reporter(report, _("Progress on report %(ref)s") % {"ref": report.ref}, message)
    return report


def report_complete(
    *, actor: Any, ref: str, version: int | None, message: str, photos: list[Any] | None = None
) -> Report:
    """Complete with a reply and optional "after" photos; the reporter may confirm or dispute
    it within the policy's window."""
    message = _text(message, field="message", minimum=10, maximum=MESSAGE_MAX)
    processed = photo_pipeline.process_all(list(photos or []))
    now = timezone.now()
    written: list[str] = []
    try:
        with transaction.atomic():
            report = _lock_for_handler(actor=actor, ref=ref, version=version)
            if report.status == Status.NEW or report.verified_at is None:
                raise ValidationFailed(
                    _("Verify the report before completing it."),
                    code="reports.status.transition_forbidden",
                )

            def done(r: Report) -> None:
                r.completed_at = now
                r.completed_within_sla = now <= r.completion_due_at
                r.awaiting_citizen = False

            report = _officer_move(
                actor=actor,
                report=report,
                target=Status.COMPLETED,
                verb="completed",
                event_kind=EventKind.COMPLETED,
                message=message,
                now=now,
                extra=done,
            )
            _save_photos(report, processed, stage=PhotoStage.AFTER, actor=actor, out=written)
            window = selectors.policy_get().reopen_window_days
            _notify_reporter(
                report,
                _("Report %(ref)s completed") % {"ref": report.ref},
                message
                + "\n\n"
                + _("Confirm the result or dispute it within %(n)d days.") % {"n": window},
            )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return report


# --- Reporter's answers ----------------------------------------------------------------------------
def _lock_own(*, actor: Any, ref: str) -> Report:
    if not _authed(actor):
        raise AuthenticationRequired()
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("category", "agency")
        .filter(ref=ref, reporter=actor)
        .first()
    )
    if report is None:
        raise NotFound(_("There is no such report."), code="reports.report.not_found")
    return report


def report_answer(*, actor: Any, ref: str, message: str) -> Report:
    """The reporter answers an officer's question (or adds details)."""
    message = _text(message, field="message", minimum=2, maximum=MESSAGE_MAX)
    now = timezone.now()
    with transaction.atomic():
        report = _lock_own(actor=actor, ref=ref)
        if not report.is_open:
            raise ValidationFailed(
                _("This report is no longer open."), code="reports.status.transition_forbidden"
            )
        report.awaiting_citizen = False
        report.updated_at = now
        report.version += 1
        report.save(update_fields=["awaiting_citizen", "updated_at", "version"])
        _event(
            report, kind=EventKind.ANSWER, actor=actor, message=message, now=now, is_public=False
        )
        _audit(actor, "answered", report, None, {"length": len(message)})
    return report


def _within_window(report: Report, now: dt.datetime) -> bool:
    window = selectors.policy_get().reopen_window_days
    return report.completed_at is not None and now <= report.completed_at + dt.timedelta(
        days=window
    )


def report_confirm(*, actor: Any, ref: str) -> Report:
    now = timezone.now()
    with transaction.atomic():
        report = _lock_own(actor=actor, ref=ref)
        _check_transition(report, Status.CLOSED)
        before = snapshot(report, REPORT_AUDIT_FIELDS)
        report.status = Status.CLOSED
        report.closed_at = now
        report.updated_at = now
        report.version += 1
        report.save()
        _event(
            report,
            kind=EventKind.CONFIRMED,
            actor=actor,
            from_status=Status.COMPLETED,
            to_status=Status.CLOSED,
            now=now,
        )
        _audit(actor, "confirmed", report, before, snapshot(report, REPORT_AUDIT_FIELDS))
    return report


def report_dispute(*, actor: Any, ref: str, reason: str) -> Report:
    """The reporter says the problem is not solved: the report reopens (within the window)."""
    reason = _text(reason, field="reason", minimum=10, maximum=MESSAGE_MAX)
    now = timezone.now()
    with transaction.atomic():
        report = _lock_own(actor=actor, ref=ref)
        _check_transition(report, Status.REOPENED)
        if not _within_window(report, now):
            raise ValidationFailed(
                _("The time to dispute this result has passed; file a new report instead."),
                code="reports.dispute.window_passed",
            )
        before = snapshot(report, REPORT_AUDIT_FIELDS)
        report.status = Status.REOPENED
        report.completed_at = None
        report.completed_within_sla = None
        report.updated_at = now
        report.version += 1
        report.due_at = _stage_due(report, now)
        report.save()
        _event(
            report,
            kind=EventKind.DISPUTED,
            actor=actor,
            message=reason,
            from_status=Status.COMPLETED,
            to_status=Status.REOPENED,
            now=now,
        )
        _audit(actor, "reopened", report, before, snapshot(report, REPORT_AUDIT_FIELDS))
    return report


def report_rate(*, actor: Any, ref: str, rating: Any, comment: str = "") -> Report:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        message = _("Give a rating from 1 to 5.")
        raise ValidationFailed(message, code="reports.rating.invalid", fields={"rating": [message]})
    comment = clean_text(comment)[:500]
    now = timezone.now()
    with transaction.atomic():
        report = _lock_own(actor=actor, ref=ref)
        if report.status not in (Status.COMPLETED, Status.CLOSED):
            raise ValidationFailed(
                _("You can rate the service once the report is completed."),
                code="reports.rating.too_early",
            )
        if report.rating is not None:
            raise Conflict(_("You have already rated this report."), code="reports.rating.done")
        report.rating = value
        report.rating_comment = comment
        report.rated_at = now
        report.updated_at = now
        report.version += 1
        report.save()
        _event(
            report,
            kind=EventKind.RATED,
            actor=actor,
            message=f"{value}/5" + (f" — {comment}" if comment else ""),
            now=now,
        )
        _audit(actor, "rated", report, None, {"rating": value})
    return report


# --- The Council's agenda --------------------------------------------------------------------------
def aspiration_respond(*, actor: Any, ref: str, response: str) -> Report:
    _require(actor, policy.RESPOND_ASPIRATION)
    response = _text(response, field="response", minimum=10, maximum=DESCRIPTION_MAX)
    now = timezone.now()
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("category")
            .filter(ref=ref, kind=Kind.ASPIRATION, is_confidential=False)
            .first()
        )
        if report is None:
            raise NotFound(_("There is no such aspiration."), code="reports.report.not_found")
        before = {"council_response": report.council_response}
        report.council_response = response
        report.council_responded_at = now
        report.updated_at = now
        report.version += 1
        report.save()
        _event(report, kind=EventKind.COUNCIL, actor=None, message=response, now=now)
        _audit(actor, "council_responded", report, before, {"council_response": response})
        _notify_reporter(
            report,
            _("The Council answered your aspiration %(ref)s") % {"ref": report.ref},
            response,
        )
    return report


# --- Scheduled: escalation and closing ---------------------------------------------------------------
def reports_escalate(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Overdue reports go to the agency head (level 1), then to Diskominfo (level 2), each
    step after the policy's number of working days overdue. Each report is locked and
    re-checked, so two schedulers or a retry never escalate twice."""
    from kotacerdas.accounts.policy import Role

    now = now or timezone.now()
    rules = selectors.policy_get()
    counts = {"head": 0, "central": 0, "closed": 0}
    central = agency_by_codes(codes=[selectors.escalation_agency_code()]).get(
        selectors.escalation_agency_code()
    )
    candidates = list(
        Report.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now, escalation_level__lt=2)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in candidates:
        with transaction.atomic():
            report = (
                Report.objects.select_for_update(of=("self",))
                .select_related("category", "agency")
                .filter(pk=pk, status__in=OPEN_STATUSES, due_at__lt=now)
                .first()
            )
            if report is None or report.due_at is None:
                continue
            overdue_days = sla.working_days_between(report.due_at, now)
            if report.escalation_level == 0 and overdue_days >= rules.escalate_to_head_after_days:
                level, label = 1, "head"
                recipients = list(
                    staff_holding(roles=[Role.KEPALA_OPD], agency_id=report.agency_id)
                )
                if report.handling_level == HandlingLevel.DESA:
                    recipients += list(
                        staff_holding(roles=[Role.KEPALA_DESA], region_code=report.desa_code)
                    )
                elif report.handling_level == HandlingLevel.KECAMATAN:
                    recipients += list(
                        staff_holding(
                            roles=[Role.OPERATOR_KECAMATAN], region_code=report.kecamatan_code
                        )
                    )
            elif (
                report.escalation_level == 1
                and overdue_days >= rules.escalate_to_central_after_days
            ):
                level, label = 2, "central"
                recipients = (
                    list(
                        staff_holding(
                            roles=[Role.KEPALA_OPD, Role.PETUGAS_OPD], agency_id=central.pk
                        )
                    )
                    if central is not None
                    else []
                )
            else:
                continue
            before = snapshot(report, REPORT_AUDIT_FIELDS)
            report.escalation_level = level
            report.version += 1
            report.updated_at = now
            report.save(update_fields=["escalation_level", "version", "updated_at"])
            text = (
                _("Overdue since %(due)s: escalated to the agency head.")
                if level == 1
                else _("Overdue since %(due)s: escalated to Diskominfo.")
            ) % {"due": timezone.localtime(report.due_at).strftime("%d-%m-%Y %H:%M")}
            _event(
                report,
                kind=EventKind.ESCALATED,
                actor=None,
                message=text,
                is_public=False,
                visible_to_reporter=False,
                now=now,
            )
            _audit(None, "escalated", report, before, snapshot(report, REPORT_AUDIT_FIELDS))
            for user in {u.pk: u for u in recipients}.values():
                notification_send(
                    recipient=user,
                    kind="reports.escalated",
                    title=_("Overdue report %(ref)s: %(title)s")
                    % {"ref": report.ref, "title": report.title},
                    body=text,
                    url=reverse("reports_kantor:detail", kwargs={"ref": report.ref}),
                )
            counts[label] += 1
    counts["closed"] = reports_autoclose(now=now)
    return counts


def reports_autoclose(*, now: dt.datetime | None = None) -> int:
    """Completed reports the reporter neither confirmed nor disputed within the window close."""
    now = now or timezone.now()
    window = selectors.policy_get().reopen_window_days
    cutoff = now - dt.timedelta(days=window)
    closed = 0
    for pk in (
        Report.objects.filter(status=Status.COMPLETED, completed_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            report = (
                Report.objects.select_for_update()
                .filter(pk=pk, status=Status.COMPLETED, completed_at__lt=cutoff)
                .first()
            )
            if report is None:
                continue
            before = snapshot(report, REPORT_AUDIT_FIELDS)
            report.status = Status.CLOSED
            report.closed_at = now
            report.updated_at = now
            report.version += 1
            report.save()
            _event(
                report,
                kind=EventKind.STATUS,
                actor=None,
                from_status=Status.COMPLETED,
                to_status=Status.CLOSED,
                message=_("Closed automatically: no objection within %(n)d days.") % {"n": window},
                now=now,
            )
            _audit(None, "closed", report, before, snapshot(report, REPORT_AUDIT_FIELDS))
            closed += 1
    return closed


# --- Catalogue administration -------------------------------------------------------------------
# Path segments of the back office beside /kantor/laporan/katalog/<code>/.
RESERVED_CATEGORY_CODES = frozenset({"baru", "kebijakan", "template"})
CATEGORY_FIELDS = [
    "name",
    "name_en",
    "description",
    "description_en",
    "group",
    "keywords",
    "dimension",
    "agency",
    "handling_level",
    "sla_verify_days",
    "sla_plan_days",
    "sla_complete_days",
    "attributes",
    "is_active",
    "order",
]


def _check_attributes(value: Any) -> list[dict[str, Any]]:
    message = _(
        "Extra questions must be a JSON list of {code, datatype, required, description, "
        "values} objects."
    )
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            raise ValidationFailed(
                message, code="reports.category.invalid", fields={"attributes": [message]}
            ) from None
    if not isinstance(value, list):
        raise ValidationFailed(
            message, code="reports.category.invalid", fields={"attributes": [message]}
        )
    codes = set()
    for item in value:
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("code"), str)
            and re.fullmatch(r"[a-z0-9_]{1,40}", item["code"]) is not None
            and item.get("datatype", "string") in ATTRIBUTE_DATATYPES
            and isinstance(item.get("description", ""), str)
            and item["code"] not in codes
        )
        if ok and item.get("datatype") in ("singlevaluelist", "multivaluelist"):
            values = item.get("values")
            ok = (
                isinstance(values, list)
                and bool(values)
                and all(isinstance(v, dict) and "key" in v and "name" in v for v in values)
            )
        if not ok:
            raise ValidationFailed(
                message, code="reports.category.invalid", fields={"attributes": [message]}
            )
        codes.add(item["code"])
    return value


def category_save(
    *, actor: Any, code: str, values: dict[str, Any], create: bool = False
) -> Category:
    """Create or change a catalogue entry (administrators)."""
    _require(actor, policy.MANAGE_CATALOGUE)
    values = dict(values)
    if "attributes" in values:
        values["attributes"] = _check_attributes(values["attributes"])
    agency = values.get("agency")
    if isinstance(agency, str):
        found = agency_by_codes(codes=[agency]).get(agency)
        if found is None:
            message = _("Choose an agency from the list.")
            raise ValidationFailed(
                message, code="reports.category.invalid", fields={"agency": [message]}
            )
        values["agency"] = found
    with transaction.atomic():
        if create:
            if not re.fullmatch(r"[a-z0-9-]{2,60}", code) or code in RESERVED_CATEGORY_CODES:
                message = _("Use 2 to 60 lowercase letters, digits or '-' (not %(reserved)s).") % {
                    "reserved": ", ".join(sorted(RESERVED_CATEGORY_CODES))
                }
                raise ValidationFailed(
                    message, code="reports.category.invalid", fields={"code": [message]}
                )
            if Category.objects.filter(code=code).exists():
                message = _("This code is already used.")
                raise ValidationFailed(
                    message, code="reports.category.invalid", fields={"code": [message]}
                )
            category = Category(code=code)
            before = None
        else:
            found_category = Category.objects.select_for_update().filter(code=code).first()
            if found_category is None:
                raise NotFound(code="reports.category.not_found")
            category = found_category
            before = snapshot(category, CATEGORY_FIELDS)
        for name, value in values.items():
            if name in CATEGORY_FIELDS:
                setattr(category, name, value)
        try:
            category.full_clean()
        except DjangoValidationError as exc:
            raise ValidationFailed(
                code="reports.category.invalid",
                fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
            ) from exc
        category.save()
        audit_record(
            actor=actor,
            action="kotacerdas.reports.category." + ("created" if create else "updated"),
            target=category,
            before=before,
            after=snapshot(category, CATEGORY_FIELDS),
        )
    return category


def reply_template_save(
    *,
    actor: Any,
    template_id: int | None,
    category_code: str | None,
    title: str,
    body: str,
    is_active: bool = True,
) -> ReplyTemplate:
    _require(actor, policy.MANAGE_CATALOGUE)
    title = _text(title, field="title", minimum=3, maximum=120)
    body = _text(body, field="body", minimum=5, maximum=MESSAGE_MAX)
    category = (
        selectors.category_get(code=category_code, active_only=False) if category_code else None
    )
    with transaction.atomic():
        if template_id is None:
            template = ReplyTemplate()
            before = None
        else:
            found_template = (
                ReplyTemplate.objects.select_for_update().filter(pk=template_id).first()
            )
            if found_template is None:
                raise NotFound(code="reports.template.not_found")
            template = found_template
            before = snapshot(template, ["category", "title", "body", "is_active"])
        template.category = category
        template.title, template.body, template.is_active = title, body, is_active
        template.save()
        audit_record(
            actor=actor,
            action="kotacerdas.reports.template.saved",
            target=template,
            before=before,
            after=snapshot(template, ["category", "title", "body", "is_active"]),
        )
    return template


POLICY_FIELDS = [
    "aspiration_threshold",
    "reopen_window_days",
    "escalate_to_head_after_days",
    "escalate_to_central_after_days",
]


def policy_update(*, actor: Any, values: dict[str, Any]) -> ReportPolicy:
    _require(actor, policy.MANAGE_CATALOGUE)
    with transaction.atomic():
        row, _created = ReportPolicy.objects.select_for_update().get_or_create(pk=1)
        before = snapshot(row, POLICY_FIELDS)
        for name in POLICY_FIELDS:
            if name in values:
                setattr(row, name, values[name])
        try:
            row.full_clean()
        except DjangoValidationError as exc:
            raise ValidationFailed(
                code="reports.policy.invalid",
                fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
            ) from exc
        row.save()
        audit_record(
            actor=actor,
            action="kotacerdas.reports.policy.updated",
            target=row,
            before=before,
            after=snapshot(row, POLICY_FIELDS),
        )
    return row


class CatalogueInvalid(ValidationFailed):
    code = "reports.catalogue.invalid"
    default_message = gettext_lazy("The catalogue file has problems; nothing was imported.")

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(fields={"__all__": problems})


def catalogue_import(*, actor: Any = None, path: Path) -> tuple[int, int]:
    """Load categories and reply templates from a JSON file (data/reports/catalogue.json).
    Idempotent: categories match by code, templates by (category, title). Everything is
    checked before anything is written. Returns (created, changed). With no actor (a
    management command) it runs as the system."""
    if actor is not None:
        _require(actor, policy.MANAGE_CATALOGUE)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueInvalid([f"{path}: {exc}"]) from exc
    agencies = {a.code: a for a in agency_list(active_only=False)}
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(doc.get("categories", []), start=1):
        where = f"categories[{i}]"
        code = str(item.get("code", ""))
        if not re.fullmatch(r"[a-z0-9-]{2,60}", code):
            problems.append(f"{where}: code {code!r} must be 2-60 of a-z, 0-9 and '-'")
            continue
        if item.get("agency") not in agencies:
            problems.append(f"{where} ({code}): unknown agency {item.get('agency')!r}")
            continue
        values = {k: item[k] for k in CATEGORY_FIELDS if k in item and k != "agency"}
        values["agency"] = agencies[item["agency"]]
        candidate = Category(code=code, **values)
        try:
            _check_attributes(values.get("attributes", []))
            candidate.full_clean(validate_unique=False)
        except ValidationFailed as exc:
            problems.append(f"{where} ({code}): {exc.fields}")
            continue
        except DjangoValidationError as exc:
            problems.append(f"{where} ({code}): {exc.message_dict}")
            continue
        rows.append({"code": code, **values})
    codes = [r["code"] for r in rows]
    if len(set(codes)) != len(codes):
        problems.append("categories: duplicate codes")
    known = set(codes) | set(Category.objects.values_list("code", flat=True))
    templates = doc.get("reply_templates", [])
    for i, item in enumerate(templates, start=1):
        if item.get("category") is not None and item.get("category") not in known:
            problems.append(f"reply_templates[{i}]: unknown category {item.get('category')!r}")
        if not str(item.get("title", "")).strip() or not str(item.get("body", "")).strip():
            problems.append(f"reply_templates[{i}]: title and body are required")
    if problems:
        raise CatalogueInvalid(problems)
    created = changed = 0
    with transaction.atomic():
        existing = {c.code: c for c in Category.objects.filter(code__in=codes)}
        for row in rows:
            current = existing.get(row["code"])
            if current is None:
                Category.objects.create(**row)
                created += 1
                continue
            if any(getattr(current, k) != v for k, v in row.items()):
                for k, v in row.items():
                    setattr(current, k, v)
                current.save()
                changed += 1
        by_code = {c.code: c for c in Category.objects.all()}
        for item in templates:
            category = by_code.get(item["category"]) if item.get("category") else None
            _tpl, made = ReplyTemplate.objects.update_or_create(
                category=category, title=item["title"].strip(), defaults={"body": item["body"]}
            )
            created += int(made)
        if created or changed:
            audit_record(
                actor=actor,
                action="kotacerdas.reports.catalogue.imported",
                object_type="reports.category",
                object_repr=str(path.name if isinstance(path, Path) else path),
                after={"created": created, "changed": changed},
            )
    return created, changed


# --- Open311 API keys ------------------------------------------------------------------------------
def open311_client_create(
    *, actor: Any, name: str, contact_email: str
) -> tuple[Open311Client, str]:
    """Issue an API key to a third-party app; the key is returned once, only its hash kept."""
    from kotacerdas.accounts.tokens import token_hash

    _require(actor, policy.MANAGE_OPEN311)
    name = _text(name, field="name", minimum=2, maximum=100)
    contact_email = clean_text(contact_email)
    try:
        validate_email(contact_email)
    except DjangoValidationError:
        message = _("Enter a valid e-mail address.")
        raise ValidationFailed(
            message, code="reports.open311.invalid", fields={"contact_email": [message]}
        ) from None
    key = "o311_" + secrets.token_urlsafe(32).replace("-", "_")
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name,
            contact_email=contact_email,
            key_prefix=key[:10],
            key_hash=token_hash(key),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="kotacerdas.reports.open311_client.created",
            target=client,
            after={"name": name, "prefix": client.key_prefix},
        )
    return client, key


def open311_client_revoke(*, actor: Any, client_id: int) -> Open311Client:
    _require(actor, policy.MANAGE_OPEN311)
    with transaction.atomic():
        client = Open311Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise NotFound(code="reports.open311.not_found")
        if client.revoked_at is None:
            client.revoked_at = timezone.now()
            client.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="kotacerdas.reports.open311_client.revoked",
                target=client,
                after={"revoked_at": client.revoked_at},
            )
    return client


def open311_client_touch(*, client: Open311Client) -> None:
    """Remember when a key was last used (at most once a minute per key)."""
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > dt.timedelta(minutes=1):
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
