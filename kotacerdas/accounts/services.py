"""Every write to accounts: a function per use case, atomic, audited, permission-checked."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from kotacerdas.core.errors import NotFound, PermissionDenied, ValidationFailed
from kotacerdas.core.services import audit_record, notification_send, snapshot
from kotacerdas.regions.selectors import Level, region_get

from . import crypto
from .dukcapil import get_adapter
from .identifiers import normalize_phone
from .models import Agency, ApiToken, CitizenProfile, Membership, Role, User
from .nik import check_kk, check_nik_matches, clean_digits, parse_nik
from .policy import (
    MANAGE_AGENCIES,
    MANAGE_OWN_TOKENS,
    MANAGE_STAFF,
    REQUIRES_AGENCY,
    REQUIRES_KECAMATAN,
    REQUIRES_VILLAGE,
    VIEW_CITIZEN_IDENTITY,
)
from .selectors import citizen_get, scope_for
from .tokens import token_generate

MAX_NAME = 150


def _require(actor: Any, perm: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_perm(perm):
        raise PermissionDenied()


def _village(code: str, field: str = "desa") -> Any:
    try:
        region = region_get(code=code)
    except NotFound:
        region = None
    if region is None or region.level not in (Level.DESA, Level.KELURAHAN):
        message = _("Choose a desa or kelurahan from the list.")
        raise ValidationFailed(message, code="regions.unknown", fields={field: [message]})
    return region


def _kecamatan_exists(code: str) -> bool:
    try:
        return region_get(code=code).level == Level.KECAMATAN
    except NotFound:
        return False


def nik_parse_for_signup(nik: str) -> Any:
    """The structural NIK checks (format, region, date) against this platform's region tree."""
    return parse_nik(
        nik, kecamatan_exists=_kecamatan_exists, region_root=settings.KOTACERDAS_REGION_ROOT
    )


# --- Citizens -----------------------------------------------------------------------------------
def citizen_profile_attach(
    *, user: User, nik: str, kk: str = "", birth_date: dt.date, sex: str, desa: Any
) -> CitizenProfile:
    """Validate and store a citizen identity for an existing user (NIK encrypted + keyed hash).
    Used by signup and by imports; raises ValidationFailed with field errors."""
    parts = parse_nik(
        nik, kecamatan_exists=_kecamatan_exists, region_root=settings.KOTACERDAS_REGION_ROOT
    )
    check_nik_matches(parts, birth_date=birth_date, sex=sex)
    # The same normalisation parse_nik used (any whitespace, dots, dashes): a NIK typed with a
    # tab or a no-break space must hash like the plain digits, or duplicates slip through.
    digits = clean_digits(nik)
    nik_hash = crypto.keyed_hash(digits, purpose="nik")
    if CitizenProfile.objects.filter(nik_hash=nik_hash).exists():
        raise _duplicate_nik()
    kk_digits = check_kk(kk) if kk.strip() else ""
    kecamatan_code = ".".join(desa.code.split(".")[:3])
    try:
        with transaction.atomic():
            return CitizenProfile.objects.create(
                user=user,
                nik_encrypted=crypto.encrypt(digits),
                nik_hash=nik_hash,
                nik_last4=digits[-4:],
                nik_region_prefix=digits[:4],
                kk_encrypted=crypto.encrypt(kk_digits) if kk_digits else "",
                kk_hash=crypto.keyed_hash(kk_digits, purpose="kk") if kk_digits else "",
                birth_date=birth_date,
                sex=sex,
                desa=desa,
                desa_code=desa.code,
                kecamatan_code=kecamatan_code,
            )
    except IntegrityError:  # a concurrent signup with the same NIK won the race
        raise _duplicate_nik() from None


def _duplicate_nik() -> ValidationFailed:
    message = _(
        "This NIK is already registered. Sign in with your account, or contact the service desk "
        "if you did not register it."
    )
    return ValidationFailed(message, code="accounts.nik.duplicate", fields={"nik": [message]})


def _clean_contact(
    *, phone: str, email: str, exclude_user_id: int | None = None
) -> tuple[str | None, str | None]:
    errors: dict[str, list[str]] = {}
    phone_n = normalize_phone(phone) if phone.strip() else None
    email_n = email.strip().lower() or None
    if phone_n is not None and not (
        phone_n.startswith("62") and 10 <= len(phone_n) <= 15 and phone_n.isdigit()
    ):
        errors["phone"] = [_("Enter an Indonesian phone number, e.g. 0812 3456 7890.")]
    if email_n is not None:
        try:
            validate_email(email_n)
        except DjangoValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if phone_n is None and email_n is None:
        errors["phone"] = [_("Give a phone number or an e-mail address, so you can sign in.")]
    others = User.objects.exclude(pk=exclude_user_id) if exclude_user_id else User.objects.all()
    if phone_n and "phone" not in errors and others.filter(phone=phone_n).exists():
        errors["phone"] = [_("This phone number is already used by another account.")]
    if email_n and "email" not in errors and others.filter(email__iexact=email_n).exists():
        errors["email"] = [_("This e-mail address is already used by another account.")]
    if errors:
        raise ValidationFailed(code="accounts.contact.invalid", fields=errors)
    return phone_n, email_n


def citizen_signup(
    *,
    nik: str,
    kk: str = "",
    full_name: str,
    birth_date: dt.date,
    sex: str,
    desa_code: str,
    phone: str = "",
    email: str = "",
    password: str,
    language: str = "id",
) -> User:
    """Register a citizen: identity checked (NIK rules, Dukcapil), account, warga membership."""
    full_name = " ".join(full_name.split())
    if not full_name or len(full_name) > MAX_NAME:
        message = _("Enter your full name (at most %(n)s characters).") % {"n": MAX_NAME}
        raise ValidationFailed(
            message, code="accounts.name.invalid", fields={"full_name": [message]}
        )
    if sex not in ("L", "P"):
        raise ValidationFailed(
            code="accounts.sex.invalid", fields={"sex": [_("Choose male or female.")]}
        )
    desa = _village(desa_code)
    phone_n, email_n = _clean_contact(phone=phone, email=email)
    try:
        validate_password(
            password, User(full_name=full_name, email=email_n or "", username=phone_n or "")
        )
    except DjangoValidationError as exc:
        raise ValidationFailed(
            code="accounts.password.weak", fields={"password": list(exc.messages)}
        ) from None
    # Structural NIK checks before calling out to Dukcapil.
    parts = parse_nik(
        nik, kecamatan_exists=_kecamatan_exists, region_root=settings.KOTACERDAS_REGION_ROOT
    )
    check_nik_matches(parts, birth_date=birth_date, sex=sex)
    result = get_adapter().verify(nik=clean_digits(nik), full_name=full_name, birth_date=birth_date)
    if result.status in ("mismatch", "not_found"):
        message = (
            _("Dukcapil has no record of this NIK. Check the number on your KTP.")
            if result.status == "not_found"
            else _("The name or date of birth does not match Dukcapil's record for this NIK.")
        )
        raise ValidationFailed(
            message, code=f"accounts.dukcapil.{result.status}", fields={"nik": [message]}
        )

    with transaction.atomic():
        username = f"warga.{phone_n or email_n}"
        user = User(
            username=username[:150],
            full_name=full_name,
            phone=phone_n,
            email=email_n,
            language=language,
        )
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ValidationFailed(
                code="accounts.contact.invalid",
                fields={
                    "phone": [_("This phone number or e-mail is already used by another account.")]
                },
            ) from None
        profile = citizen_profile_attach(
            user=user, nik=nik, kk=kk, birth_date=birth_date, sex=sex, desa=desa
        )
        profile.dukcapil_status = "verified" if result.status == "match" else "pending"
        profile.dukcapil_checked_at = timezone.now()
        profile.save(update_fields=["dukcapil_status", "dukcapil_checked_at"])
        Membership.objects.create(user=user, role=Role.WARGA, region=desa, region_code=desa.code)
        audit_record(
            actor=user,
            action="kotacerdas.accounts.citizen.registered",
            target=user,
            region_code=desa.code,
            after={
                "nik": profile.nik_masked,
                "desa": desa.code,
                "dukcapil": profile.dukcapil_status,
            },
        )
        notification_send(
            recipient=user,
            kind="accounts.welcome",
            title=_("Welcome to Kota Cerdas"),
            body=_("Your account is ready. You can now use the services of the regency."),
            url="/",
        )
    return user


def citizen_nik_reveal(*, actor: Any, user_id: int) -> str:
    """The unmasked NIK, for roles that need it, within their region. Every read is audited."""
    _require(actor, VIEW_CITIZEN_IDENTITY)
    profile = citizen_get(actor=actor, user_id=user_id)
    if not scope_for(actor=actor, perm=VIEW_CITIZEN_IDENTITY).allows(region_code=profile.desa_code):
        raise NotFound(code="accounts.citizen.not_found")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="kotacerdas.accounts.citizen.nik_revealed",
            target=profile.user,
            region_code=profile.desa_code,
            after={"nik": profile.nik_masked},
        )
    return crypto.decrypt(profile.nik_encrypted)


def citizen_contact_update(*, actor: Any, phone: str, email: str, language: str) -> User:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    phone_n, email_n = _clean_contact(phone=phone, email=email, exclude_user_id=actor.pk)
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(fields={"language": [_("Choose one of the allowed values.")]})
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        before = snapshot(user, ["phone", "email", "language"])
        user.phone, user.email, user.language = phone_n, email_n, language
        user.save(update_fields=["phone", "email", "language"])
        audit_record(
            actor=actor,
            action="kotacerdas.accounts.user.contact_updated",
            target=user,
            before=before,
            after=snapshot(user, ["phone", "email", "language"]),
        )
    return user


# --- Staff and agencies ------------------------------------------------------------------------
def _clean_username(username: str) -> str:
    import re

    username = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,49}", username):
        raise ValidationFailed(
            code="accounts.username.invalid",
            fields={
                "username": [
                    _("3 to 50 characters: lowercase letters, digits, dot, dash, underscore.")
                ]
            },
        )
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(
            code="accounts.username.taken", fields={"username": [_("This username is taken.")]}
        )
    return username


def staff_create(
    *, actor: Any, username: str, full_name: str, email: str = "", phone: str = "", password: str
) -> User:
    """Create a staff account. The new officer enrols TOTP at first sign-in."""
    _require(actor, MANAGE_STAFF)
    username = _clean_username(username)
    full_name = " ".join(full_name.split())
    if not full_name or len(full_name) > MAX_NAME:
        raise ValidationFailed(
            code="accounts.name.invalid",
            fields={
                "full_name": [
                    _("Enter the full name (at most %(n)s characters).") % {"n": MAX_NAME}
                ]
            },
        )
    phone_n = normalize_phone(phone) if phone.strip() else None
    email_n = email.strip().lower() or None
    if email_n:
        try:
            validate_email(email_n)
        except DjangoValidationError:
            raise ValidationFailed(fields={"email": [_("Enter a valid e-mail address.")]}) from None
        if User.objects.filter(email__iexact=email_n).exists():
            raise ValidationFailed(
                fields={"email": [_("This e-mail address is already used by another account.")]}
            )
    try:
        validate_password(password, User(username=username, full_name=full_name))
    except DjangoValidationError as exc:
        raise ValidationFailed(
            code="accounts.password.weak", fields={"password": list(exc.messages)}
        ) from None
    with transaction.atomic():
        user = User(username=username, full_name=full_name, email=email_n, phone=phone_n)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise ValidationFailed(
                code="accounts.username.taken", fields={"username": [_("This username is taken.")]}
            ) from None
        audit_record(
            actor=actor,
            action="kotacerdas.accounts.staff.created",
            target=user,
            after=snapshot(user, ["username", "full_name", "email", "phone"]),
        )
    return user


def user_set_active(*, actor: Any, user_id: int, active: bool) -> User:
    _require(actor, MANAGE_STAFF)
    if actor.pk == user_id and not active:
        raise ValidationFailed(
            _("You cannot deactivate your own account."), code="accounts.staff.self"
        )
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(code="accounts.staff.not_found")
        before = snapshot(user, ["is_active"])
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action=f"kotacerdas.accounts.user.{'activated' if active else 'deactivated'}",
            target=user,
            before=before,
            after=snapshot(user, ["is_active"]),
        )
    return user


AGENCY_FIELDS = ["code", "name", "short_name", "is_active"]


def agency_save(
    *,
    actor: Any,
    code: str,
    name: str,
    short_name: str,
    is_active: bool = True,
    agency_id: int | None = None,
) -> Agency:
    """Create (agency_id None) or update an agency."""
    _require(actor, MANAGE_AGENCIES)
    import re

    errors: dict[str, list[str]] = {}
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", code):
        errors["code"] = [_("2 to 40 characters: lowercase letters, digits and dashes.")]
    if not name.strip() or len(name) > 200:
        errors["name"] = [_("Enter a name (at most 200 characters).")]
    if not short_name.strip() or len(short_name) > 60:
        errors["short_name"] = [_("Enter a short name (at most 60 characters).")]
    if errors:
        raise ValidationFailed(code="accounts.agency.invalid", fields=errors)
    with transaction.atomic():
        others = Agency.objects.filter(code=code)
        if agency_id is not None:
            others = others.exclude(pk=agency_id)
        if others.exists():
            raise ValidationFailed(
                code="accounts.agency.duplicate",
                fields={"code": [_("An agency with this code exists.")]},
            )
        if agency_id is None:
            agency = Agency.objects.create(
                code=code, name=name.strip(), short_name=short_name.strip(), is_active=is_active
            )
            audit_record(
                actor=actor,
                action="kotacerdas.accounts.agency.created",
                target=agency,
                after=snapshot(agency, AGENCY_FIELDS),
            )
            return agency
        existing = Agency.objects.select_for_update().filter(pk=agency_id).first()
        if existing is None:
            raise NotFound(code="accounts.agency.not_found")
        agency = existing
        before = snapshot(agency, AGENCY_FIELDS)
        agency.code, agency.name, agency.short_name, agency.is_active = (
            code,
            name.strip(),
            short_name.strip(),
            is_active,
        )
        agency.save()
        audit_record(
            actor=actor,
            action="kotacerdas.accounts.agency.updated",
            target=agency,
            before=before,
            after=snapshot(agency, AGENCY_FIELDS),
        )
        return agency


def agency_import(*, actor: Any, path: Path, demo: bool = False) -> tuple[int, int]:
    """Load agencies from a CSV (code, short_name, name). Idempotent: (created, updated).
    actor None is the system (the demo seed); a person needs manage_agencies."""
    if actor is not None:
        _require(actor, MANAGE_AGENCIES)
    created = updated = 0
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    missing = {"code", "short_name", "name"} - set(rows[0].keys() if rows else [])
    if missing:
        raise ValidationFailed(
            _("Missing columns: %(cols)s") % {"cols": ", ".join(sorted(missing))},
            code="accounts.agency.import_columns",
        )
    with transaction.atomic():
        for row in rows:
            agency = Agency.objects.filter(code=row["code"]).first()
            if agency is None:
                agency = Agency.objects.create(
                    code=row["code"], short_name=row["short_name"], name=row["name"], is_demo=demo
                )
                created += 1
            elif (agency.short_name, agency.name) != (row["short_name"], row["name"]):
                agency.short_name, agency.name = row["short_name"], row["name"]
                agency.save(update_fields=["short_name", "name"])
                updated += 1
        if created or updated:
            audit_record(
                actor=actor,
                action="kotacerdas.accounts.agency.imported",
                object_type="accounts.agency",
                after={"created": created, "updated": updated, "file": path.name},
            )
    return created, updated


MEMBERSHIP_FIELDS = ["user", "role", "agency", "region_code", "is_active"]


def membership_create(
    *, actor: Any, user_id: int, role: str, agency_code: str = "", region_code: str = ""
) -> Membership:
    """Give a user a role in an agency and/or region. actor None: the system (demo seed)."""
    if actor is not None:
        _require(actor, MANAGE_STAFF)
    if role not in Role.values:
        raise ValidationFailed(
            code="accounts.role.unknown", fields={"role": [_("Choose one of the allowed values.")]}
        )
    errors: dict[str, list[str]] = {}
    agency = None
    if agency_code:
        agency = Agency.objects.filter(code=agency_code, is_active=True).first()
        if agency is None:
            errors["agency"] = [_("Unknown agency.")]
    elif role in REQUIRES_AGENCY:
        errors["agency"] = [_("This role needs an agency.")]
    region = None
    if region_code:
        try:
            region = region_get(code=region_code)
        except NotFound:
            errors["region"] = [_("Unknown region code.")]
    if region is not None:
        if role in REQUIRES_VILLAGE and region.level not in (Level.DESA, Level.KELURAHAN):
            errors["region"] = [_("This role needs a desa or kelurahan.")]
        if role in REQUIRES_KECAMATAN and region.level != Level.KECAMATAN:
            errors["region"] = [_("This role needs a kecamatan.")]
    elif "region" not in errors and (role in REQUIRES_VILLAGE or role in REQUIRES_KECAMATAN):
        errors["region"] = [_("This role needs a region.")]
    if errors:
        raise ValidationFailed(code="accounts.membership.invalid", fields=errors)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(code="accounts.staff.not_found")
        existing = Membership.objects.filter(
            user=user, role=role, agency=agency, region=region
        ).first()
        if existing is not None and existing.is_active:
            raise ValidationFailed(
                _("The user already has this role here."), code="accounts.membership.duplicate"
            )
        if existing is not None:
            before = snapshot(existing, MEMBERSHIP_FIELDS)
            existing.is_active = True
            existing.save(update_fields=["is_active"])
            membership = existing
        else:
            before = None
            membership = Membership.objects.create(
                user=user,
                role=role,
                agency=agency,
                region=region,
                region_code=region.code if region else "",
            )
        audit_record(
            actor=actor,
            action="kotacerdas.accounts.membership.granted",
            target=membership,
            region_code=membership.region_code,
            before=before,
            after=snapshot(membership, MEMBERSHIP_FIELDS),
        )
    return membership


def membership_revoke(*, actor: Any, membership_id: int) -> Membership:
    _require(actor, MANAGE_STAFF)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(pk=membership_id, is_active=True).first()
        )
        if membership is None:
            raise NotFound(code="accounts.membership.not_found")
        if membership.user_id == actor.pk and membership.role == Role.ADMIN:
            raise ValidationFailed(
                _("You cannot remove your own administrator role."), code="accounts.membership.self"
            )
        before = snapshot(membership, MEMBERSHIP_FIELDS)
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="kotacerdas.accounts.membership.revoked",
            target=membership,
            region_code=membership.region_code,
            before=before,
            after=snapshot(membership, MEMBERSHIP_FIELDS),
        )
    return membership


# --- TOTP ---------------------------------------------------------------------------------------
def totp_device_pending(*, user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_device_confirm(*, user: User, token: str) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        raise ValidationFailed(
            _("The code is wrong or has expired. Enter the current 6-digit code."),
            code="accounts.otp.invalid",
            fields={"otp_token": [_("Wrong or expired code.")]},
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=user, action="kotacerdas.accounts.otp.enrolled", target=user)
    return device


def totp_device_reset(*, actor: Any, user_id: int) -> None:
    """An administrator resets an officer's authenticator (lost phone); they enrol again."""
    _require(actor, MANAGE_STAFF)
    with transaction.atomic():
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise NotFound(code="accounts.staff.not_found")
        TOTPDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action="kotacerdas.accounts.otp.reset", target=user)


# --- API tokens ---------------------------------------------------------------------------------
def api_token_create(
    *, actor: Any, name: str, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Returns the row and the token; the token is shown once and only its hash is kept."""
    _require(actor, MANAGE_OWN_TOKENS)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed(
            code="accounts.token.invalid",
            fields={"name": [_("Enter a name (at most 100 characters).")]},
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= 366:
        raise ValidationFailed(
            code="accounts.token.invalid",
            fields={"expires_in_days": [_("Between 1 and 366 days.")]},
        )
    token, prefix, digest = token_generate()
    now = timezone.now()
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=prefix,
            token_hash=digest,
            expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
        )
        audit_record(
            actor=actor,
            action="kotacerdas.accounts.token.created",
            target=row,
            after={"name": name, "prefix": prefix, "expires_at": row.expires_at},
        )
    return row, token


def api_token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    with transaction.atomic():
        row = (
            ApiToken.objects.select_for_update()
            .filter(pk=token_id, user=actor, revoked_at__isnull=True)
            .first()
        )
        if row is None:
            raise NotFound(code="accounts.token.not_found")
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="kotacerdas.accounts.token.revoked", target=row)
    return row


def login_recorded(*, user: User, staff: bool) -> None:
    """Audit a completed sign-in (for staff: after TOTP)."""
    with transaction.atomic():
        audit_record(
            actor=user,
            action="kotacerdas.accounts.user.signed_in",
            target=user,
            after={"staff": staff},
        )


def citizen_identity_reencrypt(*, batch: int = 500) -> int:
    """Re-encrypt every stored NIK/KK under the newest key (key rotation). System operation."""
    count = 0
    qs = CitizenProfile.objects.order_by("pk")
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last)[:batch])
        if not rows:
            break
        for row in rows:
            row.nik_encrypted = crypto.rotate(row.nik_encrypted)
            if row.kk_encrypted:
                row.kk_encrypted = crypto.rotate(row.kk_encrypted)
        CitizenProfile.objects.bulk_update(rows, ["nik_encrypted", "kk_encrypted"])
        count += len(rows)
        last = rows[-1].pk
    if count:
        audit_record(
            actor=None,
            action="kotacerdas.accounts.pii.reencrypted",
            object_type="accounts.citizenprofile",
            after={"count": count},
        )
    return count
