"""Fire detection: every state change goes through here (atomic, audited).

- `hotspots_import`: a FIRMS CSV (upload, command or API fetch) → hotspots inside the regency,
  each with its desa, grouped into events; alerts for new fresh events. A file with any bad
  row is refused whole with its per-row report; nothing is half-imported.
- `event_set_status`, `check_assign`, `check_submit`, `check_cancel`: the event's life.
- Alerts: `FireAlert` rows (unique per thing, person and channel) and their delivery task.
- Sensors: `sensor_create`, `sensor_rotate_secret`, `sensor_revoke`,
  `sensor_message_receive` (MQTT and webhook share it), `sensors_check_offline`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets as pysecrets
import time
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kotacerdas.accounts import crypto
from kotacerdas.accounts.policy import Role
from kotacerdas.accounts.selectors import staff_holding
from kotacerdas.core import photos as core_photos
from kotacerdas.core import sms
from kotacerdas.core.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from kotacerdas.core.geo import haversine_m
from kotacerdas.core.services import audit_record, notification_send, snapshot
from kotacerdas.core.sla import WIB
from kotacerdas.emergency import selectors as emergency_selectors
from kotacerdas.emergency import services as emergency_services
from kotacerdas.regions.errors import OutsideRegions
from kotacerdas.regions.lookup import locate, locate_many
from kotacerdas.regions.selectors import region_get

from . import firms, grouping, policy, signing
from .models import (
    AlertKind,
    AlertStatus,
    Channel,
    CheckResult,
    CheckStatus,
    EventIncident,
    EventStatus,
    FireAlert,
    FireEvent,
    GroundCheck,
    GroupingState,
    Hotspot,
    ImportOutcome,
    ImportRun,
    ImportSource,
    MessageOutcome,
    Sensor,
    SensorKind,
    SensorMessage,
    SensorNonce,
)
from .scoping import area_for

logger = logging.getLogger("kotacerdas.hotspots")

EVENT_AUDIT_FIELDS = ["status", "check_result", "hotspot_count"]
ALERT_ROLES = [Role.OPERATOR_DESA, Role.KEPALA_DESA, Role.OPERATOR_KECAMATAN]
# Which moves an officer may make by hand. "dicek_lapangan" only comes from a ground check.
MANUAL_TRANSITIONS: dict[str, frozenset[str]] = {
    EventStatus.NEW: frozenset({EventStatus.HANDLING}),
    EventStatus.CHECKED: frozenset({EventStatus.HANDLING, EventStatus.OUT}),
    EventStatus.HANDLING: frozenset({EventStatus.OUT}),
    EventStatus.OUT: frozenset({EventStatus.HANDLING}),
}


def _authed(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _require(actor: Any, perm: str) -> None:
    if not _authed(actor):
        raise AuthenticationRequired()
    if not actor.has_perm(perm):
        raise PermissionDenied()


def _audit(
    actor: Any,
    entity: str,
    verb: str,
    target: Any = None,
    *,
    region_code: str = "",
    before: dict | None = None,
    after: dict | None = None,
    object_repr: str = "",
) -> None:
    audit_record(
        actor=actor,
        action=f"kotacerdas.hotspots.{entity}.{verb}",
        target=target,
        object_repr=object_repr or (str(target) if target is not None else ""),
        region_code=region_code or getattr(target, "desa_code", ""),
        before=before,
        after=after,
    )


def _clean_text(value: Any, *, field: str, maximum: int = 2000) -> str:
    text = str(value or "").strip()
    if len(text) > maximum:
        message = _("At most %(n)d characters.") % {"n": maximum}
        raise ValidationFailed(message, code="fires.text.too_long", fields={field: [message]})
    return text


# --- Import ---------------------------------------------------------------------------------------
def import_max_bytes() -> int:
    return int(settings.FIRES_IMPORT_MAX_BYTES)


def _size_of(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is not None:
        return int(size)
    pos = upload.tell()
    upload.seek(0, 2)
    end = upload.tell()
    upload.seek(pos)
    return int(end)


def hotspots_import(
    *,
    actor: Any,
    source: str,
    upload: IO[bytes] | Any = None,
    data: bytes | None = None,
    filename: str = "",
    now: dt.datetime | None = None,
) -> ImportRun:
    """Import one FIRMS CSV (archive or NRT). Returns the run: `outcome` says whether it was
    imported or refused (then `code`, `message` and the per-row `errors` say why)."""
    if source == ImportSource.UPLOAD or actor is not None:
        # A person's upload; the command and the scheduled fetch run as the system.
        _require(actor, policy.MANAGE)
        if not area_for(actor, policy.MANAGE).everything:
            raise PermissionDenied()
    started = time.perf_counter()
    now = now or timezone.now()
    run = ImportRun(
        source=source,
        filename=(filename or getattr(upload, "name", "") or "")[:200],
        actor=actor if _authed(actor) else None,
        started_at=now,
    )
    try:
        if data is None:
            if upload is None:
                raise firms.FileRefused("fires.import.empty", _("The file is empty."))
            size = _size_of(upload)
            run.size_bytes = size
            if size > import_max_bytes():
                raise firms.FileRefused(
                    "fires.import.too_large",
                    _("The file is %(got)d MB; at most %(max)d MB can be imported at once.")
                    % {"got": size // (1024 * 1024), "max": import_max_bytes() // (1024 * 1024)},
                )
            upload.seek(0)
            data = upload.read()
        assert data is not None
        run.size_bytes = len(data)
        if len(data) > import_max_bytes():
            raise firms.FileRefused(
                "fires.import.too_large",
                _("The file is %(got)d MB; at most %(max)d MB can be imported at once.")
                % {"got": len(data) // (1024 * 1024), "max": import_max_bytes() // (1024 * 1024)},
            )
        run.sha256 = hashlib.sha256(data).hexdigest()
        # An hour of slack for clocks; FIRMS never publishes ahead of the pass.
        parsed = firms.parse(firms.decode(data), latest=now + dt.timedelta(hours=1))
    except firms.FileRefused as exc:
        return _refused(run, exc.code, exc.message, started)
    run.file_format = parsed.file_format
    run.rows_total = parsed.total
    if parsed.errors:
        run.errors = parsed.errors
        run.error_count = parsed.error_count
        return _refused(
            run,
            "fires.import.rows_invalid",
            _("%(n)d row(s) are not valid; nothing was imported. Correct them and try again.")
            % {"n": parsed.error_count},
            started,
        )
    _import_rows(run, parsed.rows, now)
    run.duration_ms = int((time.perf_counter() - started) * 1000)
    ImportRun.objects.filter(pk=run.pk).update(duration_ms=run.duration_ms)
    return run


def _refused(run: ImportRun, code: str, message: str, started: float) -> ImportRun:
    run.outcome = ImportOutcome.REFUSED
    run.code = code
    run.message = str(message)[:300]
    run.duration_ms = int((time.perf_counter() - started) * 1000)
    with transaction.atomic():
        run.save()
        _audit(run.actor, "import", "refused", run, object_repr=run.filename or run.source)
    return run


def _import_rows(run: ImportRun, rows: list[firms.Row], now: dt.datetime) -> None:
    # Inside the regency (the lookup keeps points within REGION_LOOKUP_TOLERANCE_M of a desa).
    places = locate_many([r.lat for r in rows], [r.lng for r in rows]) if rows else []
    inside = [(r, p) for r, p in zip(rows, places, strict=True) if p is not None]
    run.rows_outside = len(rows) - len(inside)
    unique: dict[str, tuple[firms.Row, Any]] = {}
    for row, place in inside:
        unique.setdefault(row.fingerprint, (row, place))
    within_file_dupes = len(inside) - len(unique)
    with transaction.atomic():
        state, _created = GroupingState.objects.get_or_create(key="fires")
        GroupingState.objects.select_for_update().filter(pk=state.pk).first()
        known: set[str] = set()
        keys = list(unique)
        for start in range(0, len(keys), 2000):
            known.update(
                Hotspot.objects.filter(fingerprint__in=keys[start : start + 2000]).values_list(
                    "fingerprint", flat=True
                )
            )
        fresh = [
            Hotspot(
                fingerprint=fp,
                lat=row.lat,
                lng=row.lng,
                acquired_at=row.acquired_at,
                satellite=row.satellite,
                instrument=row.instrument,
                confidence=row.confidence,
                confidence_raw=row.confidence_raw,
                brightness=row.brightness,
                brightness_2=row.brightness_2,
                scan=row.scan,
                track=row.track,
                frp=row.frp,
                daynight=row.daynight,
                fire_type=row.fire_type,
                version=row.version,
                desa_code=place.desa.code,
                desa_name=place.desa.name,
                kecamatan_code=place.kecamatan.code,
                kecamatan_name=place.kecamatan.name,
                approximate=place.approximate,
            )
            for fp, (row, place) in unique.items()
            if fp not in known
        ]
        fresh.sort(key=lambda h: (h.acquired_at, h.lat, h.lng))
        run.rows_new = len(fresh)
        run.rows_duplicate = len(known) + within_file_dupes
        run.outcome = ImportOutcome.DONE
        run.message = str(
            _("%(new)d new hotspot(s) in the regency, %(dup)d already known, %(out)d outside.")
            % {"new": run.rows_new, "dup": run.rows_duplicate, "out": run.rows_outside}
        )
        run.save()
        if not fresh:
            _audit(run.actor, "import", "done", run, object_repr=run.filename or run.source)
            return
        outcome = grouping.group(fresh, now=now)
        for h in fresh:
            h.import_run = run
        Hotspot.objects.bulk_create(fresh, batch_size=1000)
        events = grouping.refresh(outcome.touched_ids)
        run.events_new = len(outcome.created)
        run.save(update_fields=["events_new"])
        state.runs += 1
        state.changed_at = now
        state.save(update_fields=["runs", "changed_at"])
        _audit(
            run.actor,
            "import",
            "done",
            run,
            object_repr=run.filename or run.source,
            after={
                "rows_new": run.rows_new,
                "events_new": run.events_new,
                "merged": len(outcome.merged),
            },
        )
        for loser, survivor in outcome.merged:
            _audit(None, "event", "merged", object_repr=f"{loser} → {survivor}")
        fresh_events = [e for e in events if _fresh(e, now)]
        for event in fresh_events:
            _alert_new_event(event, now)
        created_ids = [e.pk for e in outcome.created]
        transaction.on_commit(lambda: _link_after_commit(created_ids))


def _link_after_commit(event_ids: list[int]) -> None:
    try:
        events_link_existing_incidents(event_ids)
    except Exception:  # the import is done; a failed link is logged, not fatal
        logger.exception("linking new fire events to 119 incidents failed")


def _fresh(event: FireEvent, now: dt.datetime) -> bool:
    age = dt.timedelta(hours=float(settings.FIRES_ALERT_MAX_AGE_HOURS))
    return event.alertable and event.alerted_at is None and event.last_detected_at >= now - age


def reset_import_state() -> None:  # pragma: no cover - used by the benchmark only
    GroupingState.objects.all().delete()


# --- Alerts ---------------------------------------------------------------------------------------
def alert_recipients(desa_code: str) -> list[Any]:
    """Desa operators and kepala desa of the desa, the kecamatan's operators, and the heads of
    the fire agencies (BPBD, DLH, Damkar)."""
    from .scoping import fire_agency_ids

    people = {u.pk: u for u in staff_holding(roles=list(ALERT_ROLES), region_code=desa_code)}
    for agency_id in sorted(fire_agency_ids()):
        for user in staff_holding(roles=[Role.KEPALA_OPD], agency_id=agency_id):
            people.setdefault(user.pk, user)
    return [people[k] for k in sorted(people)]


def _event_url(event: FireEvent) -> str:
    return reverse("hotspots_kantor:event", args=[event.ref])


def _local(moment: dt.datetime) -> str:
    return f"{moment.astimezone(WIB):%d-%m-%Y %H:%M} WIB"


def _alert_new_event(event: FireEvent, now: dt.datetime) -> int:
    """Create the alerts of a new fire event (once per event; under the event's lock)."""
    locked = FireEvent.objects.select_for_update().get(pk=event.pk)
    if locked.alerted_at is not None:
        return 0
    title = _("Fire event in %(desa)s, %(kec)s") % {
        "desa": event.desa_name,
        "kec": event.kecamatan_name,
    }
    body = _(
        "%(n)d satellite hotspot(s), first at %(first)s, confidence %(conf)s. "
        "Please check on the ground. Ref %(ref)s."
    ) % {
        "n": event.hotspot_count,
        "first": _local(event.first_detected_at),
        "conf": event.get_max_confidence_display(),
        "ref": event.ref,
    }
    created = _alerts_create(
        kind=AlertKind.NEW_EVENT,
        key=f"event:{event.ref}",
        event=event,
        recipients=alert_recipients(event.desa_code),
        title=title,
        body=body,
        url=_event_url(event),
        now=now,
    )
    FireEvent.objects.filter(pk=event.pk).update(alerted_at=now)
    event.alerted_at = now
    return created


def _alerts_create(
    *,
    kind: str,
    key: str,
    event: FireEvent | None,
    recipients: list[Any],
    title: str,
    body: str,
    url: str,
    now: dt.datetime,
) -> int:
    """One alert per person and channel: in-app at once; e-mail and SMS/WhatsApp through the
    task queue after commit. The unique key makes a repeat a no-op."""
    rows: list[FireAlert] = []
    for person in recipients:
        channels = [(Channel.IN_APP, "")]
        if person.email:
            channels.append((Channel.EMAIL, person.email))
        if person.phone and sms.configured():
            channels.append((Channel.SMS, person.phone))
        for channel, address in channels:
            rows.append(
                FireAlert(
                    kind=kind,
                    key=key,
                    event=event,
                    recipient=person,
                    channel=channel,
                    address=address,
                    title=title[:200],
                    body=body,
                    url=url,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    if not rows:
        return 0
    existing = set(FireAlert.objects.filter(key=key).values_list("recipient_id", "channel"))
    rows = [r for r in rows if (r.recipient_id, r.channel) not in existing]
    FireAlert.objects.bulk_create(rows, ignore_conflicts=True)
    saved = list(
        FireAlert.objects.filter(
            key=key, status=AlertStatus.PENDING, recipient__in=[p.pk for p in recipients]
        ).select_related("recipient")
    )
    queued: list[int] = []
    for alert in saved:
        if alert.channel == Channel.IN_APP:
            notification_send(
                recipient=alert.recipient,
                kind=f"fires.{kind}",
                title=alert.title,
                body=alert.body,
                url=alert.url,
                email=False,
            )
            alert.status = AlertStatus.SENT
            alert.sent_at = now
            alert.attempts = 1
            alert.save(update_fields=["status", "sent_at", "attempts"])
        else:
            queued.append(alert.pk)
    if queued:
        transaction.on_commit(lambda: _enqueue_deliveries(queued))
    return len(rows)


def _enqueue_deliveries(alert_ids: list[int], run_after: dt.datetime | None = None) -> None:
    from .tasks import fire_alert_deliver

    if run_after and not fire_alert_deliver.get_backend().supports_defer:
        # A backend that cannot defer (the immediate one) would retry at once, or refuse the
        # task and break the caller's commit: leave the retry to `alerts_requeue_due`.
        return
    task = fire_alert_deliver.using(run_after=run_after) if run_after else fire_alert_deliver
    for alert_id in alert_ids:
        task.enqueue(alert_id=alert_id)


def alert_deliver(*, alert_id: int, now: dt.datetime | None = None) -> str:
    """Send one pending e-mail/SMS alert. On failure it is retried with a growing delay
    (`FIRES_ALERT_RETRY_SECONDS` x 2^attempt) up to `FIRES_ALERT_MAX_ATTEMPTS`, then failed.
    Returns the alert's status. Safe to run twice: a sent alert is never sent again."""
    with transaction.atomic():
        alert = (
            FireAlert.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None or alert.status != AlertStatus.PENDING:
            return alert.status if alert else "missing"
        error = ""
        provider_id = ""
        try:
            if alert.channel == Channel.EMAIL:
                site = str(getattr(settings, "SITE_URL", "")).rstrip("/")
                link = f"{site}{alert.url}" if alert.url else ""
                send_mail(
                    alert.title,
                    f"{alert.body}\n\n{link}".strip(),
                    None,
                    [alert.address],
                    fail_silently=False,
                )
            elif alert.channel == Channel.SMS:
                result = sms.send(phone=alert.address, message=f"{alert.title}. {alert.body}")
                if not result.ok:
                    error = result.error or "refused"
                provider_id = result.provider_id
        except Exception as exc:  # any transport failure is retried
            error = f"{type(exc).__name__}: {exc}"[:300]
        now = now or timezone.now()
        alert.attempts += 1
        if not error:
            alert.status = AlertStatus.SENT
            alert.sent_at = now
            alert.provider_id = provider_id
            alert.last_error = ""
            alert.next_attempt_at = None
        else:
            alert.last_error = error[:300]
            if alert.attempts >= settings.FIRES_ALERT_MAX_ATTEMPTS:
                alert.status = AlertStatus.FAILED
                alert.next_attempt_at = None
            else:
                delay = settings.FIRES_ALERT_RETRY_SECONDS * 2 ** (alert.attempts - 1)
                alert.next_attempt_at = now + dt.timedelta(seconds=delay)
                retry_at = alert.next_attempt_at
                transaction.on_commit(lambda: _enqueue_deliveries([alert.pk], run_after=retry_at))
        alert.save(
            update_fields=[
                "attempts",
                "status",
                "sent_at",
                "provider_id",
                "last_error",
                "next_attempt_at",
            ]
        )
        return alert.status


def alerts_requeue_due(*, now: dt.datetime | None = None) -> int:
    """Safety net (every few minutes): enqueue pending alerts whose retry time has passed and
    that no task is carrying (e.g. the queue lost it). Delivery is idempotent."""
    now = now or timezone.now()
    due = list(
        FireAlert.objects.filter(
            status=AlertStatus.PENDING,
            next_attempt_at__lte=now - dt.timedelta(minutes=2),
        )
        .exclude(channel=Channel.IN_APP)
        .values_list("pk", flat=True)[:500]
    )
    if due:
        _enqueue_deliveries(due)
    return len(due)


def morning_digest(*, now: dt.datetime | None = None) -> int:
    """The 06:00 summary of the last 24 hours: to every recipient of alerts whose area had
    hotspots (one per person per day). Returns the number of alerts created."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=24)
    day = now.astimezone(WIB).date()
    by_desa: dict[str, dict[str, Any]] = {}
    for desa, desa_n, kec_n, n in _hotspots_by_desa(since, now):
        by_desa[desa] = {"desa": desa_n, "kec": kec_n, "n": n}
    if not by_desa:
        return 0
    events_new = dict(_events_by_desa(since, now))
    per_person: dict[int, tuple[Any, list[str]]] = {}
    for desa in sorted(by_desa):
        for person in alert_recipients(desa):
            per_person.setdefault(person.pk, (person, []))[1].append(desa)
    created = 0
    with transaction.atomic():
        for _pk, (person, desas) in sorted(per_person.items()):
            lines = [
                _("%(desa)s (%(kec)s): %(n)d hotspot(s), %(e)d new event(s)")
                % {
                    "desa": by_desa[d]["desa"],
                    "kec": by_desa[d]["kec"],
                    "n": by_desa[d]["n"],
                    "e": events_new.get(d, 0),
                }
                for d in desas
            ]
            created += _alerts_create(
                kind=AlertKind.DIGEST,
                key=f"digest:{day:%Y-%m-%d}",
                event=None,
                recipients=[person],
                title=_("Hotspots in the last 24 hours (%(day)s)") % {"day": f"{day:%d-%m-%Y}"},
                body="\n".join(lines),
                url=reverse("hotspots_kantor:map"),
                now=now,
            )
    return created


def _hotspots_by_desa(since: dt.datetime, until: dt.datetime) -> list[tuple[str, str, str, int]]:
    from django.db.models import Count

    return [
        (r["desa_code"], r["desa_name"], r["kecamatan_name"], r["n"])
        for r in Hotspot.objects.filter(acquired_at__gte=since, acquired_at__lt=until)
        .values("desa_code", "desa_name", "kecamatan_name")
        .annotate(n=Count("pk"))
        .order_by("desa_code")
    ]


def _events_by_desa(since: dt.datetime, until: dt.datetime) -> list[tuple[str, int]]:
    from django.db.models import Count

    return [
        (r["desa_code"], r["n"])
        for r in FireEvent.objects.filter(
            merged_into__isnull=True, first_detected_at__gte=since, first_detected_at__lt=until
        )
        .values("desa_code")
        .annotate(n=Count("pk"))
    ]


# --- Events and ground checks -------------------------------------------------------------------
def _event_for(actor: Any, ref: str, perm: str, *, lock: bool) -> FireEvent:
    area = area_for(actor, perm)
    qs = FireEvent.objects.filter(ref=ref, merged_into__isnull=True)
    if lock:
        qs = qs.select_for_update()
    event = qs.first()
    if event is None or not area.allows(event.desa_code):
        raise NotFound(code="fires.event.not_found")
    return event


def _check_version(event: FireEvent, version: Any) -> None:
    if version in (None, ""):
        return
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ValidationFailed(code="fires.version.invalid") from None
    if expected != event.version:
        raise Conflict(code="fires.event.changed")


def event_set_status(
    *, actor: Any, ref: str, status: str, version: Any = None, note: str = ""
) -> FireEvent:
    """Move an event by hand: → ditangani, → padam (and back to ditangani on a flare-up).
    "dicek lapangan" comes only from a ground check."""
    _require(actor, policy.MANAGE)
    if status not in EventStatus.values:
        raise ValidationFailed(
            _("Unknown status."),
            code="fires.status.invalid",
            fields={"status": [_("Unknown status.")]},
        )
    note = _clean_text(note, field="note", maximum=500)
    with transaction.atomic():
        event = _event_for(actor, ref, policy.MANAGE, lock=True)
        _check_version(event, version)
        allowed = MANUAL_TRANSITIONS.get(event.status, frozenset())
        if status not in allowed or (
            event.status == EventStatus.CHECKED and event.check_result == CheckResult.NO_FIRE
        ):
            raise Conflict(
                _("An event that is “%(from)s” cannot become “%(to)s”.")
                % {
                    "from": event.get_status_display(),
                    "to": EventStatus(status).label,
                },
                code="fires.event.transition",
            )
        before = snapshot(event, EVENT_AUDIT_FIELDS)
        now = timezone.now()
        event.status = status
        if status == EventStatus.HANDLING:
            event.handled_at = event.handled_at or now
            event.out_at = None
        elif status == EventStatus.OUT:
            event.out_at = now
        event.version += 1
        event.save()
        _audit(
            actor,
            "event",
            status,
            event,
            before=before,
            after={**snapshot(event, EVENT_AUDIT_FIELDS), "note": note},
        )
    return event


def check_assign(
    *,
    actor: Any,
    ref: str,
    desa_code: str = "",
    user_id: Any = None,
    instructions: str = "",
) -> GroundCheck:
    """Ask a desa (its operators and kepala desa) or one officer to check an event on the
    ground. One open check per event."""
    _require(actor, policy.MANAGE)
    instructions = _clean_text(instructions, field="instructions", maximum=1000)
    if bool(desa_code) == bool(user_id):
        message = _("Choose either a desa or an officer.")
        raise ValidationFailed(message, code="fires.check.assignee", fields={"assignee": [message]})
    assignee = None
    region_name = ""
    if desa_code:
        try:
            region = region_get(code=str(desa_code))
        except NotFound:
            region = None
        if region is None or not region.is_village:
            message = _("Choose a desa or kelurahan of the regency.")
            raise ValidationFailed(
                message, code="fires.check.desa_invalid", fields={"desa_code": [message]}
            )
        region_name = region.name
    else:
        assignee = _checker(user_id)
    with transaction.atomic():
        event = _event_for(actor, ref, policy.MANAGE, lock=True)
        if event.status != EventStatus.NEW:
            raise Conflict(
                _("This event is already “%(s)s”.") % {"s": event.get_status_display()},
                code="fires.check.not_new",
            )
        if GroundCheck.objects.filter(event=event, status=CheckStatus.ASSIGNED).exists():
            raise Conflict(
                _("A ground check is already assigned; cancel it first."),
                code="fires.check.already_assigned",
            )
        check = GroundCheck(
            event=event,
            assignee_region_code=str(desa_code or ""),
            assignee_region_name=region_name,
            assignee_user=assignee,
            instructions=instructions,
            assigned_by=actor,
            assigned_at=timezone.now(),
        )
        try:
            with transaction.atomic():
                check.save()
        except IntegrityError:
            raise Conflict(
                _("A ground check is already assigned; cancel it first."),
                code="fires.check.already_assigned",
            ) from None
        _audit(
            actor,
            "check",
            "assigned",
            event,
            after={"check": check.pk, "to": str(desa_code or user_id)},
        )
        people = (
            [assignee]
            if assignee
            else list(
                staff_holding(
                    roles=[Role.OPERATOR_DESA, Role.KEPALA_DESA], region_code=str(desa_code)
                )
            )
        )
        url = reverse("hotspots_kantor:check", args=[check.pk])
        for person in people:
            notification_send(
                recipient=person,
                kind="fires.check_assigned",
                title=_("Ground check requested: %(ref)s in %(desa)s")
                % {"ref": event.ref, "desa": event.desa_name},
                body=instructions,
                url=url,
            )
    return check


def _checker(user_id: Any) -> Any:
    from django.contrib.auth import get_user_model

    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        pk = 0
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is not None:
        # Judge the officer as they will act: signed in with TOTP (staff permissions need a
        # verified session, which a user loaded here never has).
        user.is_verified = lambda: True  # type: ignore[attr-defined]
    if (
        user is None
        or not user.has_perm(policy.GROUND_CHECK)
        or area_for(user, policy.GROUND_CHECK).empty
    ):
        message = _("Choose an officer who can do ground checks.")
        raise ValidationFailed(
            message, code="fires.check.user_invalid", fields={"user_id": [message]}
        )
    return user


def can_answer(actor: Any, check: GroundCheck) -> bool:
    if not _authed(actor) or not actor.has_perm(policy.GROUND_CHECK):
        return False
    if check.assignee_user_id is not None:
        return bool(check.assignee_user_id == actor.pk)
    # A desa's check: its operators and kepala desa, the kecamatan's operators, and the fire
    # agencies' officers (who may go out themselves).
    area = area_for(actor, policy.GROUND_CHECK)
    return bool(check.assignee_region_code) and area.allows(check.assignee_region_code)


def _answerable(actor: Any, check: GroundCheck | None) -> GroundCheck:
    if check is None or not can_answer(actor, check):
        raise NotFound(code="fires.check.not_found")
    if check.status != CheckStatus.ASSIGNED:
        raise Conflict(
            _("This ground check was already answered or cancelled."),
            code="fires.check.closed",
        )
    return check


def check_submit(
    *,
    actor: Any,
    check_id: Any,
    result: str,
    note: str = "",
    photo: Any = None,
    lat: Any = None,
    lng: Any = None,
) -> GroundCheck:
    """The answer from the field: fire or no fire, a photo, a note and where it was taken.
    The event becomes "dicek lapangan" with that result."""
    _require(actor, policy.GROUND_CHECK)
    try:
        pk = int(check_id)
    except (TypeError, ValueError):
        raise NotFound(code="fires.check.not_found") from None
    # Who and whether it is still open first: a late second answer should not pay for the
    # photo's processing to learn that (checked again under the lock below).
    _answerable(actor, GroundCheck.objects.filter(pk=pk).first())
    fields: dict[str, list[str]] = {}
    if result not in CheckResult.values:
        fields["result"] = [_("Say whether there is a fire.")]
    if photo is None:
        fields["photo"] = [_("Attach a photo of what you found.")]
    if fields:
        code = "fires.check.result_invalid" if "result" in fields else "fires.check.photo_required"
        raise ValidationFailed(next(iter(fields.values()))[0], code=code, fields=fields)
    note = _clean_text(note, field="note", maximum=2000)
    point = _optional_point(lat, lng)
    processed = core_photos.process(
        photo,
        max_bytes=int(settings.FIRES_PHOTO_MAX_BYTES),
        field="photo",
        code_prefix="fires.photo",
    )
    with transaction.atomic():
        check = _answerable(actor, GroundCheck.objects.select_for_update().filter(pk=pk).first())
        event = FireEvent.objects.select_for_update().get(pk=check.event_id)
        now = timezone.now()
        token = pysecrets.token_hex(4)
        check.photo.save(f"{event.ref}-{token}.jpg", ContentFile(processed.image), save=False)
        check.thumbnail.save(
            f"{event.ref}-{token}-t.jpg", ContentFile(processed.thumbnail), save=False
        )
        check.status = CheckStatus.DONE
        check.result = result
        check.note = note
        check.lat, check.lng = point
        check.checked_by = actor
        check.checked_at = now
        check.save()
        before = snapshot(event, EVENT_AUDIT_FIELDS)
        if event.status == EventStatus.NEW:
            event.status = EventStatus.CHECKED
        event.check_result = result
        event.checked_at = event.checked_at or now
        event.version += 1
        event.save()
        _audit(
            actor,
            "check",
            "answered",
            event,
            before=before,
            after={**snapshot(event, EVENT_AUDIT_FIELDS), "check": check.pk},
        )
        if check.assigned_by_id:
            notification_send(
                recipient=check.assigned_by,
                kind="fires.check_answered",
                title=_("Ground check %(ref)s: %(result)s")
                % {"ref": event.ref, "result": CheckResult(result).label},
                body=note[:300],
                url=_event_url(event),
            )
    return check


def _optional_point(lat: Any, lng: Any) -> tuple[float | None, float | None]:
    if lat in (None, "") and lng in (None, ""):
        return None, None
    try:
        lat_f, lng_f = float(lat), float(lng)
        if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
            raise ValueError
    except (TypeError, ValueError):
        message = _("The position is not valid.")
        raise ValidationFailed(
            message, code="fires.check.position_invalid", fields={"lat": [message]}
        ) from None
    return lat_f, lng_f


def check_cancel(*, actor: Any, check_id: Any, reason: str = "") -> GroundCheck:
    _require(actor, policy.MANAGE)
    reason = _clean_text(reason, field="reason", maximum=300)
    try:
        pk = int(check_id)
    except (TypeError, ValueError):
        raise NotFound(code="fires.check.not_found") from None
    with transaction.atomic():
        check = GroundCheck.objects.select_for_update().filter(pk=pk).first()
        if check is None:
            raise NotFound(code="fires.check.not_found")
        event = _event_for(
            actor, FireEvent.objects.get(pk=check.event_id).ref, policy.MANAGE, lock=True
        )
        if check.status != CheckStatus.ASSIGNED:
            raise Conflict(_("This ground check is already closed."), code="fires.check.closed")
        check.status = CheckStatus.CANCELLED
        check.note = reason
        check.save(update_fields=["status", "note"])
        _audit(actor, "check", "cancelled", event, after={"check": check.pk, "reason": reason})
    return check


# --- Sensors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SensorSecret:
    sensor: Sensor
    secret: str  # shown once


def _sensor_allowed(actor: Any, agency_id: int | None) -> bool:
    from kotacerdas.accounts.selectors import scope_for

    scope = scope_for(actor=actor, perm=policy.MANAGE_SENSORS)
    return any(
        (g.agency_id is None and g.region_code is None) or (g.agency_id == agency_id)
        for g in scope.grants
    )


def sensor_create(
    *,
    actor: Any,
    code: str,
    name: str,
    building: str,
    lat: Any,
    lng: Any,
    kind: str = SensorKind.SMOKE,
    address: str = "",
    agency_id: Any = None,
    owner_id: Any = None,
    heartbeat_seconds: Any = 300,
    is_demo: bool = False,
) -> SensorSecret:
    _require(actor, policy.MANAGE_SENSORS)
    code = str(code or "").strip().lower()
    fields: dict[str, list[str]] = {}
    if not signing.CODE.match(code):
        fields["code"] = [_("2-40 lowercase letters, digits and dashes.")]
    elif Sensor.objects.filter(code=code).exists():
        fields["code"] = [_("A sensor with this code already exists.")]
    if kind not in SensorKind.values:
        fields["kind"] = [_("Unknown sensor kind.")]
    name = _clean_text(name, field="name", maximum=120)
    building = _clean_text(building, field="building", maximum=160)
    if not name:
        fields["name"] = [_("Give the sensor a name.")]
    if not building:
        fields["building"] = [_("Name the building.")]
    try:
        beat = int(heartbeat_seconds)
        if not 30 <= beat <= 86400:
            raise ValueError
    except (TypeError, ValueError):
        fields["heartbeat_seconds"] = [_("Between 30 seconds and a day.")]
        beat = 300
    agency = int(agency_id) if str(agency_id or "").isdigit() else None
    if not _sensor_allowed(actor, agency):
        fields["agency_id"] = [_("You can register sensors only for your own agency.")]
    owner = None
    if owner_id not in (None, ""):
        from django.contrib.auth import get_user_model

        owner = (
            get_user_model().objects.filter(pk=owner_id if str(owner_id).isdigit() else 0).first()
        )
        if owner is None:
            fields["owner_id"] = [_("Unknown person.")]
    try:
        place = locate(lat, lng)
    except OutsideRegions:
        fields["lat"] = [_("The building must be inside the regency.")]
        place = None
    except ValidationFailed as exc:
        fields.update(exc.fields)
        place = None
    if fields:
        raise ValidationFailed(code="fires.sensor.invalid", fields=fields)
    assert place is not None
    secret = signing.new_secret()
    with transaction.atomic():
        sensor = Sensor.objects.create(
            code=code,
            name=name,
            kind=kind,
            building=building,
            address=_clean_text(address, field="address", maximum=300),
            lat=float(lat),
            lng=float(lng),
            desa_code=place.desa.code,
            desa_name=place.desa.name,
            kecamatan_code=place.kecamatan.code,
            kecamatan_name=place.kecamatan.name,
            agency_id=agency,
            owner=owner,
            secret_encrypted=crypto.encrypt(secret),
            heartbeat_seconds=beat,
            is_demo=is_demo,
        )
        _audit(actor, "sensor", "created", sensor, after={"code": code, "building": building})
    return SensorSecret(sensor, secret)


def _sensor_for_manager(actor: Any, code: str) -> Sensor:
    _require(actor, policy.MANAGE_SENSORS)
    sensor = Sensor.objects.select_for_update().filter(code=code).first()
    if sensor is None or not _sensor_allowed(actor, sensor.agency_id):
        raise NotFound(code="fires.sensor.not_found")
    return sensor


def sensor_rotate_secret(*, actor: Any, code: str) -> SensorSecret:
    with transaction.atomic():
        sensor = _sensor_for_manager(actor, code)
        secret = signing.new_secret()
        sensor.secret_encrypted = crypto.encrypt(secret)
        sensor.is_active = True
        sensor.version += 1
        sensor.save(update_fields=["secret_encrypted", "is_active", "version"])
        _audit(actor, "sensor", "rekeyed", sensor)
    return SensorSecret(sensor, secret)


def sensor_revoke(*, actor: Any, code: str) -> Sensor:
    with transaction.atomic():
        sensor = _sensor_for_manager(actor, code)
        if not sensor.is_active:
            raise Conflict(_("This sensor is already revoked."), code="fires.sensor.revoked")
        sensor.is_active = False
        sensor.online = False
        sensor.version += 1
        sensor.save(update_fields=["is_active", "online", "version"])
        _audit(actor, "sensor", "revoked", sensor)
    return sensor


@dataclass(frozen=True)
class Received:
    accepted: bool
    code: str = ""  # a stable error code when refused
    message: str = ""
    incident_ref: str = ""
    created: bool = False


REFUSAL_STATUS = {
    "sensor.message.not_json": 400,
    "sensor.message.invalid": 400,
    "sensor.message.too_large": 413,
    "sensor.credentials.missing": 401,
    "sensor.unknown": 401,
    "sensor.revoked": 403,
    "sensor.signature.bad": 401,
    "sensor.timestamp.stale": 409,
    "sensor.replay": 409,
    "sensor.topic_mismatch": 400,
}


def _refusal_text(code: str) -> str:
    texts = {
        "sensor.message.not_json": _("The message is not a JSON object."),
        "sensor.message.invalid": _("The message lacks a field or has one of the wrong type."),
        "sensor.message.too_large": _("The message is too large."),
        "sensor.credentials.missing": _("The message carries no signature."),
        "sensor.unknown": _("Unknown sensor."),
        "sensor.revoked": _("This sensor's access has been revoked."),
        "sensor.signature.bad": _("The signature does not match."),
        "sensor.timestamp.stale": _("The message's time is too far from now (replayed?)."),
        "sensor.replay": _("This message was already received."),
        "sensor.topic_mismatch": _("The topic names another sensor."),
    }
    return str(texts.get(code, _("Refused.")))


def _log_message(
    *,
    sensor: Sensor | None,
    claimed: str,
    channel: str,
    message_type: str,
    outcome: str,
    reason: str = "",
    detail: str = "",
    incident_ref: str = "",
    now: dt.datetime,
) -> None:
    SensorMessage.objects.create(
        sensor=sensor,
        claimed_code=claimed[:80],
        channel=channel,
        message_type=message_type[:12],
        outcome=outcome,
        reason=reason,
        detail=detail[:300],
        incident_ref=incident_ref,
        received_at=now,
    )


def sensor_message_receive(
    *, channel: str, raw: bytes, topic_code: str | None = None, now: dt.datetime | None = None
) -> Received:
    """Check and act on one sensor message (MQTT or webhook): shape, sensor, signature,
    freshness, nonce; then a heartbeat marks the sensor online and an alarm opens a fire
    incident on the 119 desk. Every message is logged with its outcome."""
    now = now or timezone.now()
    claimed = topic_code or ""
    sensor: Sensor | None = None
    message_type = ""
    try:
        message = signing.parse(raw)
        claimed = message.sensor
        message_type = message.type
        if topic_code is not None and topic_code != message.sensor:
            raise signing.BadMessage("sensor.topic_mismatch")
        sensor = Sensor.objects.filter(code=message.sensor).first()
        if sensor is None:
            raise signing.BadMessage("sensor.unknown")
        if not sensor.is_active:
            raise signing.BadMessage("sensor.revoked")
        if not signing.verify(crypto.decrypt(sensor.secret_encrypted), message):
            raise signing.BadMessage("sensor.signature.bad")
        if abs(now.timestamp() - message.ts) > settings.SENSOR_REPLAY_WINDOW_SECONDS:
            raise signing.BadMessage("sensor.timestamp.stale", f"ts={message.ts}")
        with transaction.atomic():
            try:
                with transaction.atomic():
                    SensorNonce.objects.create(sensor=sensor, nonce=message.nonce, seen_at=now)
            except IntegrityError:
                raise signing.BadMessage("sensor.replay", message.nonce) from None
            result = _sensor_accept(sensor, message, channel, now)
        return result
    except signing.BadMessage as exc:
        claimed = claimed or signing.claimed_sensor(raw)
        logger.warning(
            "sensor message refused: %s (claimed %r over %s) %s",
            exc.code,
            claimed[:80],
            channel,
            exc.detail,
        )
        _log_message(
            sensor=sensor,
            claimed=claimed,
            channel=channel,
            message_type=message_type,
            outcome=MessageOutcome.REFUSED,
            reason=exc.code,
            detail=exc.detail,
            now=now,
        )
        return Received(False, code=exc.code, message=_refusal_text(exc.code))


def _sensor_accept(
    sensor: Sensor, message: signing.Message, channel: str, now: dt.datetime
) -> Received:
    locked = Sensor.objects.select_for_update().get(pk=sensor.pk)
    was_offline = not locked.online and locked.offline_since is not None
    locked.online = True
    locked.last_seen_at = now
    locked.offline_since = None
    fields = ["online", "last_seen_at", "offline_since"]
    incident_ref = ""
    created = False
    if message.type == "alarm":
        detail = _("Alarm from sensor %(code)s (%(kind)s)") % {
            "code": locked.code,
            "kind": locked.get_kind_display(),
        }
        if message.value is not None:
            detail += f": {message.value:g}"
        incident, created = emergency_services.incident_from_sensor(
            sensor_code=locked.code,
            building=locked.building,
            address=locked.address,
            lat=locked.lat,
            lng=locked.lng,
            detail=detail,
            now=now,
        )
        incident_ref = incident.ref
        locked.last_alarm_at = now
        fields.append("last_alarm_at")
    locked.save(update_fields=fields)
    _log_message(
        sensor=locked,
        claimed=locked.code,
        channel=channel,
        message_type=message.type,
        outcome=MessageOutcome.ACCEPTED,
        incident_ref=incident_ref,
        detail="" if message.value is None else f"value={message.value:g}",
        now=now,
    )
    if was_offline:
        _audit(None, "sensor", "back_online", locked)
    return Received(True, incident_ref=incident_ref, created=created)


def sensors_check_offline(*, now: dt.datetime | None = None) -> int:
    """Mark sensors that missed `SENSOR_MISSED_HEARTBEATS` heartbeats offline and tell their
    owner (once per outage). Returns how many went offline."""
    now = now or timezone.now()
    count = 0
    candidates = Sensor.objects.filter(is_active=True, offline_since__isnull=True).exclude(
        last_seen_at__gt=now - dt.timedelta(seconds=30)
    )
    for sensor in candidates.order_by("pk"):
        limit = dt.timedelta(seconds=sensor.heartbeat_seconds * settings.SENSOR_MISSED_HEARTBEATS)
        seen = sensor.last_seen_at or sensor.created_at
        if now - seen <= limit:
            continue
        with transaction.atomic():
            locked = Sensor.objects.select_for_update().get(pk=sensor.pk)
            if locked.offline_since is not None or not locked.is_active:
                continue
            locked.online = False
            locked.offline_since = now
            locked.save(update_fields=["online", "offline_since"])
            _audit(None, "sensor", "offline", locked)
            recipients = _sensor_owners(locked)
            _alerts_create(
                kind=AlertKind.SENSOR_OFFLINE,
                key=f"sensor:{locked.code}:{now:%Y%m%d%H%M}",
                event=None,
                recipients=recipients,
                title=_("Sensor %(code)s in %(building)s is offline")
                % {"code": locked.code, "building": locked.building},
                body=_("No heartbeat since %(when)s. Check its power and network.")
                % {"when": _local(seen)},
                url=reverse("hotspots_kantor:sensors"),
                now=now,
            )
            count += 1
    return count


def _sensor_owners(sensor: Sensor) -> list[Any]:
    people: dict[int, Any] = {}
    if sensor.owner_id and sensor.owner and sensor.owner.is_active:
        people[sensor.owner.pk] = sensor.owner
    if sensor.agency_id:
        for user in staff_holding(roles=[Role.KEPALA_OPD], agency_id=sensor.agency_id):
            people.setdefault(user.pk, user)
    return [people[k] for k in sorted(people)]


def sensor_nonces_prune(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=2 * settings.SENSOR_REPLAY_WINDOW_SECONDS)
    deleted, _detail = SensorNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


# --- FIRMS area API -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FetchResult:
    configured: bool
    runs: list[ImportRun]
    message: str


def firms_fetch(*, now: dt.datetime | None = None) -> FetchResult:
    """Fetch the last `FIRMS_DAYS` days for the regency's bounding box from each of
    `FIRMS_SOURCES` and import them (re-fetched days add nothing). Without a MAP_KEY it says
    so and does nothing."""
    if not settings.FIRMS_MAP_KEY:
        message = "FIRMS_MAP_KEY is not set: hotspots are not fetched (set it, or import files)."
        logger.warning(message)
        return FetchResult(False, [], message)
    from kotacerdas.regions.selectors import village_extents

    extents = village_extents()
    if not extents:
        return FetchResult(True, [], "no regions imported")
    pad = 0.01
    west = min(e["min_lng"] for e in extents) - pad
    south = min(e["min_lat"] for e in extents) - pad
    east = max(e["max_lng"] for e in extents) + pad
    north = max(e["max_lat"] for e in extents) + pad
    runs: list[ImportRun] = []
    problems: list[str] = []
    for source in settings.FIRMS_SOURCES:
        url = firms.area_url(
            source=source, west=west, south=south, east=east, north=north, days=settings.FIRMS_DAYS
        )
        try:
            body = firms.fetch_area(url)
        except firms.FirmsUnavailable as exc:
            problems.append(f"{source}: {exc}")
            logger.warning("FIRMS fetch %s failed: %s", source, exc)
            continue
        if body.strip().count(b"\n") == 0:
            continue  # header only: no hotspots in the box
        run = hotspots_import(
            actor=None,
            source=ImportSource.FIRMS_API,
            data=body,
            filename=f"{source} {now or timezone.now():%Y-%m-%d %H:%M}",
            now=now,
        )
        runs.append(run)
        if run.outcome == ImportOutcome.REFUSED:
            problems.append(f"{source}: refused ({run.code}): {run.message}")
    message = "; ".join(problems) or f"{len(runs)} fetch(es) imported"
    return FetchResult(True, runs, message)


# --- Linking to the 119 desk ---------------------------------------------------------------------
def link_incident(*, ref: str, lat: float, lng: float, received_at: dt.datetime) -> int:
    """Link a 119 fire incident to the satellite events near it in space and time (both
    ways: the event lists the incident; the incident carries a link to the event)."""
    radius = float(settings.FIRES_LINK_RADIUS_M)
    span = dt.timedelta(hours=float(settings.FIRES_LINK_WINDOW_HOURS))
    d = radius / 111_000.0 * 2
    candidates = FireEvent.objects.filter(
        merged_into__isnull=True,
        last_detected_at__gte=received_at - span,
        first_detected_at__lte=received_at + span,
        max_lat__gte=lat - d,
        min_lat__lte=lat + d,
        max_lng__gte=lng - d,
        min_lng__lte=lng + d,
    ).order_by("pk")
    linked = 0
    for event in candidates:
        nearest = min(
            (
                haversine_m(lat, lng, h_lat, h_lng)
                for h_lat, h_lng in event.hotspots.values_list("lat", "lng")
            ),
            default=None,
        )
        if nearest is None or nearest > radius:
            continue
        _link(event, ref, nearest)
        linked += 1
    return linked


def _link(event: FireEvent, ref: str, distance_m: float) -> None:
    with transaction.atomic():
        _obj, created = EventIncident.objects.get_or_create(
            event=event,
            incident_ref=ref,
            defaults={"distance_m": round(distance_m, 1), "linked_at": timezone.now()},
        )
        if not created:
            return
        label = _("Satellite fire event %(ref)s, %(km).1f km away (%(n)d hotspots)") % {
            "ref": event.ref,
            "km": distance_m / 1000.0,
            "n": event.hotspot_count,
        }
        emergency_services.incident_link_add(ref=ref, label=label, url=_event_url(event))
        _audit(None, "event", "linked", event, after={"incident": ref})


def events_link_existing_incidents(event_ids: list[int]) -> int:
    """New events: link fire incidents received shortly before the satellite saw them."""
    radius = float(settings.FIRES_LINK_RADIUS_M)
    span = dt.timedelta(hours=float(settings.FIRES_LINK_WINDOW_HOURS))
    linked = 0
    for event in FireEvent.objects.filter(pk__in=event_ids, merged_into__isnull=True).order_by(
        "pk"
    ):
        d = radius / 111_000.0 * 2
        incidents = emergency_selectors.fire_incidents_near(
            min_lat=event.min_lat - d,
            max_lat=event.max_lat + d,
            min_lng=event.min_lng - d,
            max_lng=event.max_lng + d,
            since=event.first_detected_at - span,
            until=event.last_detected_at + span,
        )
        if not incidents:
            continue
        points = list(event.hotspots.values_list("lat", "lng"))
        for incident in incidents:
            nearest = min(haversine_m(incident["lat"], incident["lng"], a, b) for a, b in points)
            if nearest <= radius:
                _link(event, incident["ref"], nearest)
                linked += 1
    return linked
