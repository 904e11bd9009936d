"""Every write of the 119 desk: one function per use case.

Each checks who acts, validates, then changes rows in one transaction that also writes the
audit event and a `DeskEvent` (the live board's change feed); notifications go out after commit.

Locking: an action on an incident locks the incident row first, then the unit rows it touches
in pk order. Dispatching locks the unit and checks that it is available, and the partial unique
constraint "one open assignment per unit" is the last line: of two dispatchers sending one unit
at once, one succeeds and the other gets `emergency.unit.busy`.

The citizen's button is idempotent: the app sends a key with the call, and the same key (a
double tap, a retry on a bad connection) returns the same incident; so does a second call of the
same kind from the same citizen within `EMERGENCY_DUPLICATE_CALL_SECONDS` while the first is
open.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kotacerdas.accounts import crypto
from kotacerdas.accounts.identifiers import normalize_phone
from kotacerdas.accounts.selectors import scope_for
from kotacerdas.core.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from kotacerdas.core.refs import new_ref
from kotacerdas.core.services import audit_record, notification_send, snapshot
from kotacerdas.facilities.selectors import facility_get
from kotacerdas.regions.errors import OutsideRegions
from kotacerdas.regions.lookup import locate
from kotacerdas.regions.selectors import region_get

from . import policy, selectors, signals
from .models import (
    FIRE_COMPLAINTS,
    INCIDENT_PROGRESS,
    INCIDENT_STATUS_FOR_UNIT,
    RESCUE_COMPLAINTS,
    STEP_STAMP,
    UNIT_TRANSITIONS,
    Assignment,
    Capability,
    ChiefComplaint,
    DesaAccess,
    DeskEvent,
    EventKind,
    Incident,
    IncidentKind,
    IncidentStatus,
    Patient,
    Priority,
    Source,
    Station,
    Unit,
    UnitPosition,
    UnitStatus,
)

TEXT_MAX = 2000
REASON_MAX = 300
INCIDENT_AUDIT_FIELDS = ["status", "priority", "need", "chief_complaint", "desa_code"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- Helpers -------------------------------------------------------------------------------------
def _authed(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _require(actor: Any, perm: str) -> None:
    if not _authed(actor):
        raise AuthenticationRequired()
    if not actor.has_perm(perm):
        raise PermissionDenied()


def clean_text(value: Any, *, field: str, maximum: int = TEXT_MAX, required: bool = False) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    if required and not text:
        message = _("This field is required.")
        raise ValidationFailed(message, code="emergency.text.required", fields={field: [message]})
    if len(text) > maximum:
        message = _("Write at most %(n)d characters (now %(len)d).") % {
            "n": maximum,
            "len": len(text),
        }
        raise ValidationFailed(message, code="emergency.text.too_long", fields={field: [message]})
    return text


def clean_phone(value: Any, *, required: bool) -> str:
    raw = str(value or "").strip()
    if not raw:
        if required:
            message = _("Give a phone number the desk can call back.")
            raise ValidationFailed(
                message, code="emergency.phone.required", fields={"phone": [message]}
            )
        return ""
    phone = normalize_phone(raw)
    if not (phone.isdigit() and 6 <= len(phone) <= 15):
        message = _("Enter a phone number, e.g. 0812 3456 7890.")
        raise ValidationFailed(message, code="emergency.phone.invalid", fields={"phone": [message]})
    return phone


def _choice(value: Any, choices: Any, *, field: str, code: str) -> str:
    if value in choices.values:
        return str(value)
    message = _("Choose one of the options.")
    raise ValidationFailed(message, code=code, fields={field: [message]})


def _optional_bool(value: Any, *, field: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "ya", "yes", "on"}:
        return True
    if text in {"0", "false", "tidak", "no", "off"}:
        return False
    message = _("Answer yes or no.")
    raise ValidationFailed(message, code="emergency.answer.invalid", fields={field: [message]})


def _small_int(value: Any, *, field: str, maximum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= maximum:
        message = _("Enter a whole number from 0 to %(max)d.") % {"max": maximum}
        raise ValidationFailed(message, code="emergency.number.invalid", fields={field: [message]})
    return number


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    desa_code: str
    kecamatan_code: str
    approximate: bool
    desa_name: str = ""
    kecamatan_name: str = ""


def resolve_location(*, lat: Any = None, lng: Any = None, desa_code: str = "") -> Location:
    """A point in Kotim, or a desa's centre when only the desa is known (call-takers often hear
    only the village). No location at all, and a point outside the regency, are refused."""
    has_point = lat not in (None, "") and lng not in (None, "")
    if not has_point and not desa_code:
        message = _("Give the location: share GPS, drop a pin or choose the desa.")
        raise ValidationFailed(
            message, code="emergency.location.required", fields={"location": [message]}
        )
    if has_point:
        try:
            found = locate(lat, lng)
        except OutsideRegions as exc:
            message = _(
                "This location is outside Kotawaringin Timur. For emergencies elsewhere, call 112."
            )
            raise ValidationFailed(
                message, code="emergency.location.outside", fields={"location": [message]}
            ) from exc
        except ValidationFailed as exc:
            raise ValidationFailed(
                _("The coordinates are not valid."),
                code="emergency.location.invalid",
                fields=exc.fields,
            ) from exc
        return Location(
            float(lat),
            float(lng),
            found.desa.code,
            found.kecamatan.code,
            approximate=False,
            desa_name=found.desa.name,
            kecamatan_name=found.kecamatan.name,
        )
    try:
        region = region_get(code=desa_code)
    except NotFound:
        region = None
    if region is None or not region.is_village or region.lat is None or region.lng is None:
        message = _("Choose a desa or kelurahan of Kotawaringin Timur.")
        raise ValidationFailed(
            message, code="emergency.location.unknown_desa", fields={"desa_code": [message]}
        )
    try:
        kecamatan_name = region_get(code=region.parent_code).name
    except NotFound:
        kecamatan_name = ""
    return Location(
        region.lat,
        region.lng,
        region.code,
        region.parent_code,
        approximate=True,
        desa_name=region.name,
        kecamatan_name=kecamatan_name,
    )


def need_for(kind: str, priority: str, complaint: str = "") -> str:
    """The unit a call needs by default: the desk can change it."""
    if kind == IncidentKind.FIRE or complaint in FIRE_COMPLAINTS:
        return Capability.FIRE
    if kind == IncidentKind.RESCUE or complaint in RESCUE_COMPLAINTS:
        return Capability.RESCUE
    return Capability.ALS if priority == Priority.RED else Capability.BLS


def _event(*, incident: Incident | None = None, unit: Unit | None = None) -> None:
    now = timezone.now()
    if incident is not None:
        DeskEvent.objects.create(kind=EventKind.INCIDENT, incident=incident, created_at=now)
    if unit is not None:
        DeskEvent.objects.create(kind=EventKind.UNIT, unit=unit, created_at=now)


def _announce_fire(incident: Incident) -> None:
    """After commit, tell the modules above that a fire incident opened (see signals.py)."""
    if incident.kind != IncidentKind.FIRE:
        return
    payload = {
        "ref": incident.ref,
        "lat": incident.lat,
        "lng": incident.lng,
        "received_at": incident.received_at,
    }
    transaction.on_commit(
        lambda: signals.fire_incident_opened.send_robust(sender=Incident, **payload)
    )


def _audit(
    actor: Any, verb: str, target: Any, *, before: dict | None = None, after: dict | None = None
) -> None:
    entity = "incident" if isinstance(target, Incident) else type(target).__name__.lower()
    region = getattr(target, "desa_code", "")
    audit_record(
        actor=actor,
        action=f"kotacerdas.emergency.{entity}.{verb}",
        target=target,
        object_repr=str(target),
        region_code=region,
        before=before,
        after=after,
    )


def _notify_caller(incident: Incident, title: str, body: str = "") -> None:
    if incident.caller_id is None:
        return
    notification_send(
        recipient=incident.caller,
        kind="emergency.update",
        title=title,
        body=body,
        url=reverse("emergency:status", kwargs={"ref": incident.ref}),
        email=False,  # the status page is live; e-mail would arrive after the ambulance
    )


def _status_label(status: str) -> str:
    return str(IncidentStatus(status).label)


def _advance(incident: Incident, status: str) -> None:
    """Move the incident forward to `status` (never backwards: with two units, the first on
    scene decides)."""
    if INCIDENT_PROGRESS.index(status) > INCIDENT_PROGRESS.index(incident.status):
        incident.status = status


def _check_open(incident: Incident) -> None:
    if not incident.is_open:
        raise Conflict(
            _("This incident is already “%(status)s”.")
            % {"status": _status_label(incident.status)},
            code="emergency.incident.closed",
        )


def _check_version(incident: Incident, version: Any) -> None:
    if version in (None, ""):
        return
    try:
        seen = int(version)
    except (TypeError, ValueError):
        seen = -1
    if seen != incident.version:
        raise Conflict(
            _("Someone else changed this incident; look at it again."),
            code="emergency.incident.conflict",
        )


def _lock_incident_for_desk(*, actor: Any, ref: str) -> Incident:
    _require(actor, policy.DESK)
    incident = Incident.objects.select_for_update(of=("self",)).filter(ref=ref).first()
    if incident is None:
        raise NotFound(code="emergency.incident.not_found")
    return incident


def _save_details(incident: Incident, details: str) -> None:
    incident.details_encrypted = crypto.encrypt(details) if details else ""


def _raise_priority_for_vitals(incident: Incident) -> None:
    """Not conscious or not breathing is red, whatever the caller chose."""
    if incident.kind == IncidentKind.MEDICAL and (
        incident.conscious is False or incident.breathing is False
    ):
        incident.priority = Priority.RED
        if incident.need == Capability.BLS:
            incident.need = Capability.ALS


# --- Calls ---------------------------------------------------------------------------------------
def incident_call(
    *,
    actor: Any,
    kind: str,
    lat: Any = None,
    lng: Any = None,
    desa_code: str = "",
    phone: str = "",
    idempotency_key: Any = None,
    now: dt.datetime | None = None,
) -> tuple[Incident, bool]:
    """The portal's "Panggil ambulans" / "Lapor kebakaran" button: location and phone at once,
    details later. Returns (incident, created)."""
    if not _authed(actor):
        raise AuthenticationRequired()
    kind = _choice(kind, IncidentKind, field="kind", code="emergency.kind.invalid")
    key: uuid.UUID | None = None
    if idempotency_key not in (None, ""):
        try:
            key = uuid.UUID(str(idempotency_key))
        except ValueError as exc:
            raise ValidationFailed(
                _("The request key is not valid; reload the page."),
                code="emergency.idempotency_key.invalid",
            ) from exc
        existing = Incident.objects.filter(caller=actor, idempotency_key=key).first()
        if existing is not None:
            return existing, False
    phone_n = clean_phone(phone or getattr(actor, "phone", "") or "", required=True)
    where = resolve_location(lat=lat, lng=lng, desa_code=desa_code)
    now = now or timezone.now()
    window = dt.timedelta(seconds=settings.EMERGENCY_DUPLICATE_CALL_SECONDS)
    recent = (
        Incident.objects.filter(
            caller=actor,
            kind=kind,
            source=Source.APP,
            received_at__gte=now - window,
            status__in=selectors.OPEN_STATUS_VALUES,
        )
        .order_by("-received_at")
        .first()
    )
    if recent is not None:
        return recent, False
    priority = Priority.RED if kind == IncidentKind.FIRE else Priority.YELLOW
    incident = Incident(
        kind=kind,
        priority=priority,
        need=need_for(kind, priority),
        status=IncidentStatus.RECEIVED,
        source=Source.APP,
        caller=actor,
        caller_phone=phone_n,
        caller_name=(actor.get_full_name() or "")[:120],
        lat=where.lat,
        lng=where.lng,
        location_approximate=where.approximate,
        desa_code=where.desa_code,
        kecamatan_code=where.kecamatan_code,
        desa_name=where.desa_name,
        kecamatan_name=where.kecamatan_name,
        idempotency_key=key,
        received_at=now,
    )
    try:
        with transaction.atomic():
            for _attempt in range(5):
                incident.ref = new_ref(now)
                try:
                    with transaction.atomic():
                        incident.save()
                    break
                except IntegrityError:
                    if (
                        key is not None
                        and Incident.objects.filter(caller=actor, idempotency_key=key).exists()
                    ):
                        raise
                    incident.pk = None
            _audit(actor, "called", incident, after=snapshot(incident, INCIDENT_AUDIT_FIELDS))
            _event(incident=incident)
            _announce_fire(incident)
    except IntegrityError:
        # A concurrent request with the same key won: answer with its incident.
        existing = Incident.objects.filter(caller=actor, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return incident, True


def incident_add_details(
    *,
    actor: Any,
    ref: str,
    details: str = "",
    patients_count: Any = None,
    conscious: Any = None,
    breathing: Any = None,
    address: str = "",
) -> Incident:
    """The citizen's second screen, while help is already being arranged."""
    if not _authed(actor):
        raise AuthenticationRequired()
    details = clean_text(details, field="details")
    address = clean_text(address, field="address", maximum=300)
    count = _small_int(patients_count, field="patients_count", maximum=99)
    conscious_b = _optional_bool(conscious, field="conscious")
    breathing_b = _optional_bool(breathing, field="breathing")
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",)).filter(ref=ref, caller=actor).first()
        )
        if incident is None:
            raise NotFound(code="emergency.incident.not_found")
        _check_open(incident)
        before = snapshot(incident, INCIDENT_AUDIT_FIELDS)
        if details:
            _save_details(incident, details)
        if address:
            incident.address = address
        if count is not None:
            incident.patients_count = count
        if conscious_b is not None:
            incident.conscious = conscious_b
        if breathing_b is not None:
            incident.breathing = breathing_b
        _raise_priority_for_vitals(incident)
        incident.version += 1
        incident.save()
        _audit(
            actor,
            "details_added",
            incident,
            before=before,
            after=snapshot(incident, INCIDENT_AUDIT_FIELDS),
        )
        _event(incident=incident)
    return incident


def incident_record_call(
    *,
    actor: Any,
    kind: str,
    priority: str,
    chief_complaint: str,
    caller_phone: str,
    caller_name: str = "",
    lat: Any = None,
    lng: Any = None,
    desa_code: str = "",
    address: str = "",
    details: str = "",
    patients_count: Any = None,
    conscious: Any = None,
    breathing: Any = None,
    need: str = "",
    now: dt.datetime | None = None,
) -> Incident:
    """A phone call recorded by a call-taker: accepted and triaged at once."""
    _require(actor, policy.DESK)
    kind = _choice(kind, IncidentKind, field="kind", code="emergency.kind.invalid")
    priority = _choice(priority, Priority, field="priority", code="emergency.priority.invalid")
    complaint = _choice(
        chief_complaint,
        ChiefComplaint,
        field="chief_complaint",
        code="emergency.complaint.invalid",
    )
    need = (
        _choice(need, Capability, field="need", code="emergency.need.invalid")
        if need
        else need_for(kind, priority, complaint)
    )
    phone_n = clean_phone(caller_phone, required=True)
    where = resolve_location(lat=lat, lng=lng, desa_code=desa_code)
    now = now or timezone.now()
    incident = Incident(
        kind=kind,
        priority=priority,
        need=need,
        status=IncidentStatus.ACCEPTED,
        source=Source.PHONE,
        chief_complaint=complaint,
        caller_phone=phone_n,
        caller_name=clean_text(caller_name, field="caller_name", maximum=120),
        call_taker=actor,
        lat=where.lat,
        lng=where.lng,
        location_approximate=where.approximate,
        address=clean_text(address, field="address", maximum=300),
        desa_code=where.desa_code,
        kecamatan_code=where.kecamatan_code,
        desa_name=where.desa_name,
        kecamatan_name=where.kecamatan_name,
        patients_count=_small_int(patients_count, field="patients_count", maximum=99),
        conscious=_optional_bool(conscious, field="conscious"),
        breathing=_optional_bool(breathing, field="breathing"),
        received_at=now,
        accepted_at=now,
    )
    _save_details(incident, clean_text(details, field="details"))
    _raise_priority_for_vitals(incident)
    with transaction.atomic():
        _save_with_ref(incident, now)
        _audit(actor, "recorded", incident, after=snapshot(incident, INCIDENT_AUDIT_FIELDS))
        _event(incident=incident)
        _announce_fire(incident)
    return incident


def incident_from_sensor(
    *,
    sensor_code: str,
    building: str,
    address: str,
    lat: float,
    lng: float,
    detail: str = "",
    now: dt.datetime | None = None,
) -> tuple[Incident, bool]:
    """A building sensor's alarm (already authenticated by the caller): a red fire incident
    waiting for the desk at the building's location. While the sensor's incident is open, a
    repeated alarm returns it instead of opening another (a partial unique constraint holds
    that against concurrent alarms). Returns (incident, created)."""
    now = now or timezone.now()
    existing = Incident.objects.filter(
        sensor_code=sensor_code, closed_at__isnull=True, cancelled_at__isnull=True
    ).first()
    if existing is not None:
        return existing, False
    where = resolve_location(lat=lat, lng=lng)
    incident = Incident(
        kind=IncidentKind.FIRE,
        priority=Priority.RED,
        need=need_for(IncidentKind.FIRE, Priority.RED),
        status=IncidentStatus.RECEIVED,
        source=Source.SENSOR,
        sensor_code=sensor_code,
        caller_name=clean_text(building, field="building", maximum=120),
        lat=where.lat,
        lng=where.lng,
        location_approximate=where.approximate,
        address=clean_text(address, field="address", maximum=300),
        desa_code=where.desa_code,
        kecamatan_code=where.kecamatan_code,
        desa_name=where.desa_name,
        kecamatan_name=where.kecamatan_name,
        received_at=now,
    )
    _save_details(incident, clean_text(detail, field="details"))
    try:
        with transaction.atomic():
            _save_with_ref(incident, now)
            _audit(None, "sensor_alarm", incident, after=snapshot(incident, INCIDENT_AUDIT_FIELDS))
            _event(incident=incident)
            _announce_fire(incident)
    except IntegrityError:
        existing = Incident.objects.filter(
            sensor_code=sensor_code, closed_at__isnull=True, cancelled_at__isnull=True
        ).first()
        if existing is None:
            raise
        return existing, False
    return incident, True


def incident_link_add(*, ref: str, label: str, url: str) -> bool:
    """Attach a link from another module (e.g. a satellite fire event) to an incident, once.
    Shown on the desk's incident page; returns False when it was already there."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).filter(ref=ref).first()
        if incident is None:
            raise NotFound(code="emergency.incident.not_found")
        links = list(incident.links or [])
        if any(link.get("url") == url for link in links):
            return False
        links.append({"label": str(label)[:200], "url": str(url)[:300]})
        incident.links = links
        incident.save(update_fields=["links"])
        _event(incident=incident)
    return True


def _save_with_ref(incident: Incident, now: dt.datetime) -> None:
    for _attempt in range(5):
        incident.ref = new_ref(now)
        try:
            with transaction.atomic():
                incident.save()
            return
        except IntegrityError:
            incident.pk = None
    raise Conflict(_("Please try again."), code="emergency.ref.exhausted")


def incident_triage(
    *,
    actor: Any,
    ref: str,
    version: Any = None,
    priority: str | None = None,
    chief_complaint: str | None = None,
    need: str | None = None,
    address: str | None = None,
    details: str | None = None,
    patients_count: Any = None,
    conscious: Any = None,
    breathing: Any = None,
    lat: Any = None,
    lng: Any = None,
    desa_code: str = "",
) -> Incident:
    """The desk takes (accepts) a call from the app and triages it, or corrects the triage of
    any open incident. Fields left as None keep their value."""
    with transaction.atomic():
        incident = _lock_incident_for_desk(actor=actor, ref=ref)
        _check_open(incident)
        _check_version(incident, version)
        before = snapshot(incident, INCIDENT_AUDIT_FIELDS)
        if priority is not None:
            incident.priority = _choice(
                priority, Priority, field="priority", code="emergency.priority.invalid"
            )
        if chief_complaint is not None:
            incident.chief_complaint = _choice(
                chief_complaint,
                ChiefComplaint,
                field="chief_complaint",
                code="emergency.complaint.invalid",
            )
        if need:
            incident.need = _choice(need, Capability, field="need", code="emergency.need.invalid")
        elif priority is not None or chief_complaint is not None:
            incident.need = need_for(incident.kind, incident.priority, incident.chief_complaint)
        if address is not None:
            incident.address = clean_text(address, field="address", maximum=300)
        if details is not None:
            _save_details(incident, clean_text(details, field="details"))
        if patients_count not in (None, ""):
            incident.patients_count = _small_int(patients_count, field="patients_count", maximum=99)
        if conscious not in (None, ""):
            incident.conscious = _optional_bool(conscious, field="conscious")
        if breathing not in (None, ""):
            incident.breathing = _optional_bool(breathing, field="breathing")
        if lat not in (None, "") or desa_code:
            where = resolve_location(lat=lat, lng=lng, desa_code=desa_code)
            incident.lat, incident.lng = where.lat, where.lng
            incident.desa_code, incident.kecamatan_code = where.desa_code, where.kecamatan_code
            incident.desa_name, incident.kecamatan_name = where.desa_name, where.kecamatan_name
            incident.location_approximate = where.approximate
        _raise_priority_for_vitals(incident)
        verb = "triaged"
        if incident.status == IncidentStatus.RECEIVED:
            incident.status = IncidentStatus.ACCEPTED
            incident.accepted_at = timezone.now()
            incident.call_taker = actor
            verb = "accepted"
        incident.version += 1
        incident.save()
        _audit(
            actor, verb, incident, before=before, after=snapshot(incident, INCIDENT_AUDIT_FIELDS)
        )
        _event(incident=incident)
        if verb == "accepted":
            transaction.on_commit(
                lambda: _notify_caller(
                    incident,
                    _("119 has received your call %(ref)s") % {"ref": incident.ref},
                    _("A unit is being arranged. Keep your phone on."),
                )
            )
    return incident


# --- Dispatch ------------------------------------------------------------------------------------
def incident_dispatch(
    *,
    actor: Any,
    ref: str,
    unit_id: Any,
    destination_id: Any = None,
    version: Any = None,
) -> Assignment:
    """Send one unit. Refused when the incident is closed or cancelled, when the unit is not
    free (someone sent it first), or when it cannot serve the call."""
    try:
        unit_pk = int(unit_id)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            _("Choose a unit."),
            code="emergency.unit.required",
            fields={"unit": [_("Choose a unit.")]},
        ) from exc
    with transaction.atomic():
        incident = _lock_incident_for_desk(actor=actor, ref=ref)
        _check_open(incident)
        _check_version(incident, version)
        unit = (
            Unit.objects.select_for_update(of=("self",))
            .select_related("station")
            .filter(pk=unit_pk)
            .first()
        )
        if unit is None:
            raise NotFound(_("This unit does not exist."), code="emergency.unit.not_found")
        if unit.status != UnitStatus.AVAILABLE:
            raise Conflict(
                _("%(unit)s is not available (%(status)s): choose another unit.")
                % {"unit": unit.call_sign, "status": UnitStatus(unit.status).label},
                code="emergency.unit.busy",
            )
        from .dispatching import is_fallback, serves

        if not (
            serves(unit.capability, incident.need) or is_fallback(unit.capability, incident.need)
        ):
            raise ValidationFailed(
                _("%(unit)s (%(capability)s) cannot answer a call that needs “%(need)s”.")
                % {
                    "unit": unit.call_sign,
                    "capability": Capability(unit.capability).label,
                    "need": Capability(incident.need).label,
                },
                code="emergency.unit.incapable",
            )
        destination = None
        if destination_id not in (None, ""):
            try:
                destination = facility_get(facility_id=int(destination_id))
                if destination.kind != "health":  # a school is no destination for a patient
                    raise NotFound()
            except (TypeError, ValueError, NotFound) as exc:
                raise ValidationFailed(
                    _("Choose a health facility from the list."),
                    code="emergency.destination.invalid",
                    fields={"destination": [_("Choose a health facility from the list.")]},
                ) from exc
        elif incident.kind == IncidentKind.MEDICAL:
            options = selectors.recommend_facilities(incident=incident, limit=1)
            destination = options[0].facility if options else None
        estimate = selectors.estimate_for_unit(incident=incident, unit=unit)
        now = timezone.now()
        before = snapshot(incident, INCIDENT_AUDIT_FIELDS)
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    incident=incident,
                    unit=unit,
                    dispatched_by=actor,
                    destination=destination,
                    eta_seconds=estimate.eta_seconds if estimate else None,
                    eta_fixed=bool(estimate and estimate.fixed),
                    dispatched_at=now,
                )
        except IntegrityError as exc:
            raise Conflict(
                _("%(unit)s was just sent elsewhere: choose another unit.")
                % {"unit": unit.call_sign},
                code="emergency.unit.busy",
            ) from exc
        unit.status = UnitStatus.DISPATCHED
        unit.status_changed_at = now
        unit.version += 1
        unit.save(update_fields=["status", "status_changed_at", "version"])
        if incident.accepted_at is None:
            incident.accepted_at = now
            incident.call_taker = incident.call_taker or actor
        if incident.status == IncidentStatus.RECEIVED:
            incident.status = IncidentStatus.ACCEPTED
        incident.dispatched_at = incident.dispatched_at or now
        _advance(incident, IncidentStatus.DISPATCHED)
        incident.version += 1
        incident.save()
        _audit(
            actor,
            "dispatched",
            incident,
            before=before,
            after={**snapshot(incident, INCIDENT_AUDIT_FIELDS), "unit": unit.call_sign},
        )
        _event(incident=incident, unit=unit)
        crew = list(unit.crew.filter(is_active=True))

        def notify() -> None:
            eta_min = max(1, round(assignment.eta_seconds / 60)) if assignment.eta_seconds else None
            _notify_caller(
                incident,
                _("%(unit)s is on its way") % {"unit": unit.call_sign},
                _("Estimated arrival in %(min)d minutes.") % {"min": eta_min} if eta_min else "",
            )
            for member in crew:
                notification_send(
                    recipient=member,
                    kind="emergency.job",
                    title=_("New job %(ref)s for %(unit)s")
                    % {"ref": incident.ref, "unit": unit.call_sign},
                    url=reverse("emergency_crew:home"),
                    email=False,
                )

        transaction.on_commit(notify)
    return assignment


def assignment_release(*, actor: Any, assignment_id: Any, reason: str) -> Assignment:
    """The desk recalls a unit that has not reached the scene (a closer unit got there, the call
    was a duplicate). The incident waits again if no other unit is on it."""
    _require(actor, policy.DESK)
    reason = clean_text(reason, field="reason", maximum=REASON_MAX, required=True)
    with transaction.atomic():
        ref = (
            Assignment.objects.filter(pk=int(assignment_id))
            .values_list("incident__ref", flat=True)
            .first()
            if str(assignment_id).isdigit()
            else None
        )
        if ref is None:
            raise NotFound(code="emergency.assignment.not_found")
        incident = _lock_incident_for_desk(actor=actor, ref=ref)
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("unit")
            .get(pk=assignment_id)
        )
        if assignment.cleared_at is not None:
            raise Conflict(_("This unit was already released."), code="emergency.assignment.closed")
        if assignment.on_scene_at is not None:
            raise ValidationFailed(
                _("The unit is already on scene; it clears itself from the crew page."),
                code="emergency.assignment.on_scene",
            )
        unit = Unit.objects.select_for_update(of=("self",)).get(pk=assignment.unit_id)
        now = timezone.now()
        _release(assignment, unit, reason, now)
        _after_unit_left(incident, now)
        _audit(actor, "unit_released", incident, after={"unit": unit.call_sign, "reason": reason})
        _event(incident=incident, unit=unit)
    return assignment


def _release(assignment: Assignment, unit: Unit, reason: str, now: dt.datetime) -> None:
    assignment.cleared_at = now
    assignment.released_reason = reason
    assignment.save(update_fields=["cleared_at", "released_reason"])
    unit.status = UnitStatus.AVAILABLE
    unit.status_changed_at = now
    unit.version += 1
    unit.save(update_fields=["status", "status_changed_at", "version"])


def _after_unit_left(incident: Incident, now: dt.datetime) -> None:
    """After a unit cleared or was released: close the incident when the last crew cleared from
    the scene, or put it back in the queue when nobody reached it."""
    open_assignments = list(
        incident.assignments.filter(cleared_at__isnull=True).select_related("unit")
    )
    if open_assignments:
        # What the units still on it are doing now.
        incident.status = max(
            (
                INCIDENT_STATUS_FOR_UNIT.get(a.unit.status, IncidentStatus.DISPATCHED)
                for a in open_assignments
            ),
            key=INCIDENT_PROGRESS.index,
        )
    elif incident.on_scene_at is not None:
        incident.status = IncidentStatus.CLOSED
        incident.closed_at = now
    else:
        incident.status = IncidentStatus.ACCEPTED
    incident.version += 1
    incident.save()


def incident_cancel(*, actor: Any, ref: str, reason: str) -> Incident:
    """Cancel an open incident with a reason: the desk any time, the caller before a crew is on
    scene. Units on it are released."""
    if not _authed(actor):
        raise AuthenticationRequired()
    reason = clean_text(reason, field="reason", maximum=REASON_MAX, required=True)
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).filter(ref=ref).first()
        is_desk = actor.has_perm(policy.DESK)
        if incident is None or not (is_desk or incident.caller_id == actor.pk):
            raise NotFound(code="emergency.incident.not_found")
        _check_open(incident)
        if not is_desk and incident.on_scene_at is not None:
            raise ValidationFailed(
                _("The crew is already with you; tell them instead."),
                code="emergency.incident.crew_on_scene",
            )
        now = timezone.now()
        before = snapshot(incident, INCIDENT_AUDIT_FIELDS)
        open_assignments = list(
            incident.assignments.filter(cleared_at__isnull=True).order_by("unit_id")
        )
        units = {
            u.pk: u
            for u in Unit.objects.select_for_update(of=("self",))
            .filter(pk__in=[a.unit_id for a in open_assignments])
            .order_by("pk")
        }
        for assignment in open_assignments:
            unit = units[assignment.unit_id]
            _release(assignment, unit, _("Incident cancelled"), now)
            _event(unit=unit)
        incident.status = IncidentStatus.CANCELLED
        incident.cancelled_at = now
        incident.cancel_reason = reason
        incident.version += 1
        incident.save()
        _audit(
            actor,
            "cancelled",
            incident,
            before=before,
            after={**snapshot(incident, INCIDENT_AUDIT_FIELDS), "reason": reason},
        )
        _event(incident=incident)
        if is_desk:
            transaction.on_commit(
                lambda: _notify_caller(
                    incident,
                    _("Your call %(ref)s was closed by 119") % {"ref": incident.ref},
                    reason,
                )
            )
    return incident


def incident_close(*, actor: Any, ref: str, note: str = "") -> Incident:
    """The desk closes an incident no unit is on (advice by phone, handled by others)."""
    note = clean_text(note, field="note", maximum=REASON_MAX)
    with transaction.atomic():
        incident = _lock_incident_for_desk(actor=actor, ref=ref)
        _check_open(incident)
        if incident.assignments.filter(cleared_at__isnull=True).exists():
            raise ValidationFailed(
                _("Units are still on this incident; they close it when they clear."),
                code="emergency.incident.units_active",
            )
        before = snapshot(incident, INCIDENT_AUDIT_FIELDS)
        incident.status = IncidentStatus.CLOSED
        incident.closed_at = timezone.now()
        incident.accepted_at = incident.accepted_at or incident.closed_at
        incident.version += 1
        incident.save()
        _audit(
            actor,
            "closed",
            incident,
            before=before,
            after={**snapshot(incident, INCIDENT_AUDIT_FIELDS), "note": note},
        )
        _event(incident=incident)
    return incident


# --- Crew ----------------------------------------------------------------------------------------
def _lock_unit_for_crew(*, actor: Any, unit_id: Any) -> Unit:
    """The unit, locked, if the actor is its crew (or the desk, recording a status heard on the
    radio). Anyone else gets 404, as if it did not exist."""
    if not _authed(actor):
        raise AuthenticationRequired()
    if not str(unit_id).isdigit():
        raise NotFound(code="emergency.unit.not_found")
    unit = Unit.objects.select_for_update(of=("self",)).filter(pk=int(unit_id)).first()
    is_desk = actor.has_perm(policy.DESK)
    is_crew = (
        unit is not None and actor.has_perm(policy.CREW) and unit.crew.filter(pk=actor.pk).exists()
    )
    if unit is None or not (is_desk or is_crew):
        raise NotFound(_("This is not your unit."), code="emergency.unit.not_found")
    return unit


def unit_step(*, actor: Any, unit_id: Any, status: str, version: Any = None) -> Unit:
    """The crew's next status (berangkat → tiba di lokasi → membawa pasien → tiba di faskes →
    tersedia). Each step stamps its time on the assignment and, the first time, on the
    incident. Skipping steps is refused."""
    status = _choice(status, UnitStatus, field="status", code="emergency.unit.status_invalid")
    with transaction.atomic():
        # The incident is locked first (as every incident action does), then the unit.
        ref = (
            Assignment.objects.filter(
                unit_id=unit_id if str(unit_id).isdigit() else 0, cleared_at__isnull=True
            )
            .values_list("incident__ref", flat=True)
            .first()
        )
        incident = (
            Incident.objects.select_for_update(of=("self",)).filter(ref=ref).first()
            if ref
            else None
        )
        unit = _lock_unit_for_crew(actor=actor, unit_id=unit_id)
        if version not in (None, "") and str(version) != str(unit.version):
            raise Conflict(
                _("The unit's status changed meanwhile; look at it again."),
                code="emergency.unit.conflict",
            )
        if status not in UNIT_TRANSITIONS.get(unit.status, frozenset()):
            raise ValidationFailed(
                _("A unit that is “%(current)s” cannot go to “%(target)s”.")
                % {
                    "current": UnitStatus(unit.status).label,
                    "target": UnitStatus(status).label,
                },
                code="emergency.unit.step_forbidden",
            )
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .filter(unit=unit, cleared_at__isnull=True)
            .first()
        )
        if assignment is None or incident is None or assignment.incident_id != incident.pk:
            raise Conflict(_("This unit has no job."), code="emergency.unit.no_job")
        now = timezone.now()
        stamp = STEP_STAMP[status]
        setattr(assignment, stamp, now)
        assignment.save(update_fields=[stamp])
        before = snapshot(incident, INCIDENT_AUDIT_FIELDS)
        unit.status = status
        unit.status_changed_at = now
        unit.version += 1
        unit.save(update_fields=["status", "status_changed_at", "version"])
        if status == UnitStatus.AVAILABLE:
            _after_unit_left(incident, now)
        else:
            incident_stamp = stamp if stamp != "acknowledged_at" else None
            if incident_stamp and getattr(incident, incident_stamp) is None:
                setattr(incident, incident_stamp, now)
                if incident_stamp == "on_scene_at":
                    incident.response_seconds = max(
                        0, round((now - incident.received_at).total_seconds())
                    )
            _advance(incident, INCIDENT_STATUS_FOR_UNIT[status])
            incident.version += 1
            incident.save()
        _audit(
            actor,
            f"unit_{status}",
            incident,
            before=before,
            after={**snapshot(incident, INCIDENT_AUDIT_FIELDS), "unit": unit.call_sign},
        )
        _event(incident=incident, unit=unit)
        message = _CALLER_MESSAGES.get(status)
        if message is not None:
            title = str(message) % {"unit": unit.call_sign}
            transaction.on_commit(lambda: _notify_caller(incident, title))
    return unit


# What the caller is told (in-app) at each crew step; the status page shows every step anyway.
_CALLER_MESSAGES: dict[str, Any] = {
    UnitStatus.EN_ROUTE: gettext_lazy("%(unit)s has left and is on its way to you"),
    UnitStatus.ON_SCENE: gettext_lazy("%(unit)s has arrived"),
    UnitStatus.AT_FACILITY: gettext_lazy("%(unit)s has reached the health facility"),
}


def unit_report_position(
    *, actor: Any, unit_id: Any, lat: Any, lng: Any, accuracy_m: Any = None
) -> Unit:
    """A crew phone's periodic position. A position far outside the regency is refused (a
    phone with a broken GPS, or a fake): units do drive to Palangka Raya, so some distance
    outside is believed."""
    try:
        lat_f, lng_f = float(lat), float(lng)
        if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            _("The coordinates are not valid."), code="emergency.position.invalid"
        ) from exc
    if (
        selectors.distance_outside_regency_m(lat_f, lng_f)
        > settings.EMERGENCY_POSITION_MAX_OUTSIDE_M
    ):
        raise ValidationFailed(
            _("This position is far outside Kotawaringin Timur; check the phone's GPS."),
            code="emergency.position.outside",
        )
    accuracy: float | None = None
    if accuracy_m not in (None, ""):
        try:
            accuracy = max(0.0, float(accuracy_m))
        except (TypeError, ValueError):
            accuracy = None
    with transaction.atomic():
        unit = _lock_unit_for_crew(actor=actor, unit_id=unit_id)
        now = timezone.now()
        unit.lat, unit.lng, unit.position_at = lat_f, lng_f, now
        unit.save(update_fields=["lat", "lng", "position_at"])
        UnitPosition.objects.create(
            unit=unit, lat=lat_f, lng=lng_f, accuracy_m=accuracy, recorded_at=now
        )
        _event(unit=unit)
    return unit


def unit_set_service(*, actor: Any, unit_id: Any, in_service: bool, reason: str = "") -> Unit:
    """Take a free unit out of service (repair, no crew) or back in (the desk, or the fleet's
    managers for their agency)."""
    if not _authed(actor):
        raise AuthenticationRequired()
    reason = clean_text(reason, field="reason", maximum=200, required=not in_service)
    with transaction.atomic():
        if not str(unit_id).isdigit():
            raise NotFound(code="emergency.unit.not_found")
        unit = (
            Unit.objects.select_for_update(of=("self",))
            .select_related("station")
            .filter(pk=int(unit_id))
            .first()
        )
        allowed = unit is not None and (
            actor.has_perm(policy.DESK)
            or scope_for(actor=actor, perm=policy.MANAGE_FLEET).allows(
                agency_id=unit.station.agency_id
            )
        )
        if unit is None or not allowed:
            raise NotFound(code="emergency.unit.not_found")
        target = UnitStatus.AVAILABLE if in_service else UnitStatus.OUT_OF_SERVICE
        if unit.status == target:
            return unit
        if unit.status not in (UnitStatus.AVAILABLE, UnitStatus.OUT_OF_SERVICE):
            raise ValidationFailed(
                _("The unit is on a job; it can change service only when it is free."),
                code="emergency.unit.busy",
            )
        before = snapshot(unit, ["status", "out_of_service_reason"])
        unit.status = target
        unit.out_of_service_reason = "" if in_service else reason
        unit.status_changed_at = timezone.now()
        unit.version += 1
        unit.save(update_fields=["status", "out_of_service_reason", "status_changed_at", "version"])
        _audit(
            actor,
            "in_service" if in_service else "out_of_service",
            unit,
            before=before,
            after=snapshot(unit, ["status", "out_of_service_reason"]),
        )
        _event(unit=unit)
    return unit


# --- Patients (health data) ----------------------------------------------------------------------
@dataclass(frozen=True)
class PatientView:
    id: int
    name: str
    nik: str
    age_years: int | None
    sex: str
    condition: str


def _can_see_patients(actor: Any, incident: Incident) -> bool:
    if actor.has_perm(policy.VIEW_PATIENT):
        return True
    return (
        actor.has_perm(policy.CREW)
        and incident.assignments.filter(unit__crew=actor, cleared_at__isnull=True).exists()
    )


def _incident_for_patients(*, actor: Any, ref: str, lock: bool) -> Incident:
    if not _authed(actor):
        raise AuthenticationRequired()
    qs = Incident.objects.filter(ref=ref)
    incident = (qs.select_for_update(of=("self",)) if lock else qs).first()
    if incident is None or not _can_see_patients(actor, incident):
        raise NotFound(code="emergency.incident.not_found")
    return incident


def patients_read(*, actor: Any, ref: str) -> list[PatientView]:
    """Decrypted patient details for the desk and the assigned crew. Every read is audited
    (who read whose health data, when)."""
    incident = _incident_for_patients(actor=actor, ref=ref, lock=False)
    patients = list(incident.patients.all())
    out = [
        PatientView(
            id=p.pk,
            name=crypto.decrypt(p.name_encrypted) if p.name_encrypted else "",
            nik=crypto.decrypt(p.nik_encrypted) if p.nik_encrypted else "",
            age_years=p.age_years,
            sex=p.sex,
            condition=crypto.decrypt(p.condition_encrypted) if p.condition_encrypted else "",
        )
        for p in patients
    ]
    details = crypto.decrypt(incident.details_encrypted) if incident.details_encrypted else ""
    if patients or details:
        audit_record(
            actor=actor,
            action="kotacerdas.emergency.patient.viewed",
            target=incident,
            object_repr=incident.ref,
            region_code=incident.desa_code,
            after={"patients": len(patients)},
        )
    return out


def incident_details_read(*, actor: Any, ref: str) -> str:
    """The caller's own words (health data): the desk and the assigned crew; audited with the
    patients' read."""
    incident = _incident_for_patients(actor=actor, ref=ref, lock=False)
    return crypto.decrypt(incident.details_encrypted) if incident.details_encrypted else ""


def patient_save(
    *,
    actor: Any,
    ref: str,
    patient_id: Any = None,
    name: str = "",
    nik: str = "",
    age_years: Any = None,
    sex: str = "",
    condition: str = "",
) -> Patient:
    """Add or correct a patient (the desk, or the crew with the patient)."""
    name = clean_text(name, field="name", maximum=120)
    nik_digits = re.sub(r"\D", "", str(nik or ""))
    if nik and len(nik_digits) != 16:
        message = _("A NIK has 16 digits.")
        raise ValidationFailed(
            message, code="emergency.patient.nik_invalid", fields={"nik": [message]}
        )
    age = _small_int(age_years, field="age_years", maximum=130)
    if sex not in ("", "L", "P"):
        message = _("Choose one of the options.")
        raise ValidationFailed(
            message, code="emergency.patient.sex_invalid", fields={"sex": [message]}
        )
    condition = clean_text(condition, field="condition")
    with transaction.atomic():
        incident = _incident_for_patients(actor=actor, ref=ref, lock=True)
        if patient_id not in (None, ""):
            patient = incident.patients.filter(
                pk=patient_id if str(patient_id).isdigit() else 0
            ).first()
            if patient is None:
                raise NotFound(code="emergency.patient.not_found")
            verb = "updated"
        else:
            patient = Patient(incident=incident)
            verb = "added"
        patient.name_encrypted = crypto.encrypt(name) if name else ""
        patient.nik_encrypted = crypto.encrypt(nik_digits) if nik_digits else ""
        patient.nik_last4 = nik_digits[-4:] if nik_digits else ""
        patient.age_years = age
        patient.sex = sex
        patient.condition_encrypted = crypto.encrypt(condition) if condition else ""
        patient.save()
        # The audit names the incident, never the patient's data.
        audit_record(
            actor=actor,
            action=f"kotacerdas.emergency.patient.{verb}",
            target=incident,
            object_repr=incident.ref,
            region_code=incident.desa_code,
        )
        _event(incident=incident)
    return patient


# --- Fleet ---------------------------------------------------------------------------------------
def _fleet_allows(actor: Any, agency_id: int) -> bool:
    return scope_for(actor=actor, perm=policy.MANAGE_FLEET).allows(agency_id=agency_id)


def station_save(
    *,
    actor: Any,
    code: str,
    name: str,
    agency_id: int,
    lat: Any,
    lng: Any,
    facility_id: int | None = None,
    access_minutes: Any = 0,
    is_active: bool = True,
    is_demo: bool = False,
) -> Station:
    """Create or change a station (administrators; agency heads for their agency)."""
    if actor is not None:
        _require(actor, policy.MANAGE_FLEET)
        if not _fleet_allows(actor, agency_id):
            raise NotFound(code="emergency.station.not_found")
    code = clean_text(code, field="code", maximum=40, required=True).lower()
    name = clean_text(name, field="name", maximum=200, required=True)
    where = resolve_location(lat=lat, lng=lng)
    minutes = _small_int(access_minutes, field="access_minutes", maximum=600) or 0
    from kotacerdas.accounts.selectors import agency_list

    if not agency_list(active_only=False).filter(pk=agency_id).exists():
        message = _("Choose an agency.")
        raise ValidationFailed(
            message, code="emergency.station.agency_invalid", fields={"agency": [message]}
        )
    if facility_id is not None:
        try:
            facility_get(facility_id=int(facility_id))
        except (TypeError, ValueError, NotFound) as exc:
            message = _("Choose a facility from the list.")
            raise ValidationFailed(
                message, code="emergency.station.facility_invalid", fields={"facility": [message]}
            ) from exc
    with transaction.atomic():
        station = Station.objects.select_for_update().filter(code=code).first()
        if (
            station is not None
            and actor is not None
            and not _fleet_allows(actor, station.agency_id)
        ):
            raise NotFound(code="emergency.station.not_found")
        created = station is None
        station = station or Station(code=code)
        before = (
            None
            if created
            else snapshot(station, ["name", "agency", "access_minutes", "is_active"])
        )
        station.name = name
        station.agency_id = agency_id
        station.facility_id = facility_id
        station.lat, station.lng = where.lat, where.lng
        station.desa_code, station.kecamatan_code = where.desa_code, where.kecamatan_code
        station.access_minutes = minutes
        station.is_active = is_active
        station.is_demo = is_demo
        station.save()
        _audit(
            actor,
            "created" if created else "updated",
            station,
            before=before,
            after=snapshot(station, ["name", "agency", "access_minutes", "is_active"]),
        )
    return station


def unit_save(
    *,
    actor: Any,
    call_sign: str,
    station_id: int,
    capability: str,
    plate: str = "",
    is_demo: bool = False,
) -> Unit:
    """Create or change a unit."""
    call_sign = clean_text(call_sign, field="call_sign", maximum=20, required=True).upper()
    capability = _choice(
        capability, Capability, field="capability", code="emergency.capability.invalid"
    )
    with transaction.atomic():
        station = Station.objects.filter(pk=station_id).first()
        if station is None or (
            actor is not None
            and not (
                actor.has_perm(policy.MANAGE_FLEET) and _fleet_allows(actor, station.agency_id)
            )
        ):
            raise NotFound(code="emergency.station.not_found")
        unit = Unit.objects.select_for_update().filter(call_sign=call_sign).first()
        if (
            unit is not None
            and actor is not None
            and not _fleet_allows(actor, unit.station.agency_id)
        ):
            raise NotFound(code="emergency.unit.not_found")
        created = unit is None
        unit = unit or Unit(call_sign=call_sign, status_changed_at=timezone.now())
        before = None if created else snapshot(unit, ["station", "capability", "plate"])
        unit.station = station
        unit.capability = capability
        unit.plate = clean_text(plate, field="plate", maximum=20)
        unit.is_demo = is_demo
        unit.save()
        _audit(
            actor,
            "created" if created else "updated",
            unit,
            before=before,
            after=snapshot(unit, ["station", "capability", "plate"]),
        )
        _event(unit=unit)
    return unit


def unit_crew_set(*, actor: Any, unit_id: int, user_ids: Iterable[int]) -> Unit:
    """Who crews a unit (agency officers of the unit's agency)."""
    from kotacerdas.accounts.selectors import staff_holding

    with transaction.atomic():
        unit = Unit.objects.select_for_update().select_related("station").filter(pk=unit_id).first()
        if unit is None or (
            actor is not None
            and not (
                actor.has_perm(policy.MANAGE_FLEET) and _fleet_allows(actor, unit.station.agency_id)
            )
        ):
            raise NotFound(code="emergency.unit.not_found")
        wanted = set(user_ids)
        eligible = set(
            staff_holding(roles=["petugas_opd"], agency_id=unit.station.agency_id)
            .filter(pk__in=wanted)
            .values_list("pk", flat=True)
        )
        if wanted - eligible:
            message = _("Crew must be officers of the unit's agency.")
            raise ValidationFailed(
                message, code="emergency.crew.invalid", fields={"crew": [message]}
            )
        before = sorted(unit.crew.values_list("pk", flat=True))
        unit.crew.set(sorted(wanted))
        _audit(actor, "crew_set", unit, before={"crew": before}, after={"crew": sorted(wanted)})
    return unit


def desa_access_save(
    *,
    actor: Any,
    desa_code: str,
    minutes: Any,
    mode: str = "sungai",
    note: str = "",
    is_demo: bool = False,
) -> DesaAccess | None:
    """Set (minutes > 0) or remove (0) a desa's fixed access time (administrators)."""
    if actor is not None:
        _require(actor, policy.MANAGE_FLEET)
        if not scope_for(actor=actor, perm=policy.MANAGE_FLEET).everything:
            raise PermissionDenied()
    where = resolve_location(desa_code=desa_code)
    value = _small_int(minutes, field="minutes", maximum=1440) or 0
    with transaction.atomic():
        row = DesaAccess.objects.select_for_update().filter(desa_code=where.desa_code).first()
        before = snapshot(row, ["minutes", "mode"]) if row else None
        if value == 0:
            if row is not None:
                row.delete()
                audit_record(
                    actor=actor,
                    action="kotacerdas.emergency.desa_access.removed",
                    object_type="emergency.desaaccess",
                    object_id=where.desa_code,
                    object_repr=where.desa_code,
                    region_code=where.desa_code,
                    before=before,
                )
            return None
        row = row or DesaAccess(desa_code=where.desa_code)
        row.minutes = value
        row.mode = clean_text(mode, field="mode", maximum=20) or "sungai"
        row.note = clean_text(note, field="note", maximum=200)
        row.is_demo = is_demo
        row.save()
        audit_record(
            actor=actor,
            action="kotacerdas.emergency.desa_access.saved",
            target=row,
            object_repr=where.desa_code,
            region_code=where.desa_code,
            before=before,
            after=snapshot(row, ["minutes", "mode"]),
        )
    return row


def desk_events_prune(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Drop change-feed rows nobody follows any more (a day old)."""
    deleted, _rows = DeskEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
