"""Writes of the council app: masterplan programs and their yearly targets.

Each service checks the actor's permission first, validates, and changes rows in one
transaction with an audit event (before/after). Two editors racing on the same program or
target are serialised by a row lock on the program, and an editor who saw an older version
(`expected_updated_at`) gets a Conflict instead of silently overwriting the other's work.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kotacerdas.core.errors import Conflict, PermissionDenied, ValidationFailed
from kotacerdas.core.services import audit_record, snapshot

from .models import Program, ProgramStatus, ProgramTarget
from .policy import CHANGE_PROGRAM
from .selectors import YEAR_MAX, YEAR_MIN

if TYPE_CHECKING:
    from kotacerdas.accounts.models import Agency

PROGRAM_AUDIT_FIELDS = [
    "code",
    "name",
    "dimension",
    "description",
    "owner_agency",
    "status",
    "is_quick_win",
    "is_demo",
]
PROGRAM_EDITABLE_FIELDS = frozenset(PROGRAM_AUDIT_FIELDS) - {"code"}
# Path segments of the back office beside /kantor/program/<code>/.
RESERVED_CODES = frozenset({"baru"})
TARGET_AUDIT_FIELDS = ["year", "indicator", "unit", "target", "realisation"]

# DecimalField(max_digits=14, decimal_places=2): twelve digits before the point.
_AMOUNT_LIMIT = Decimal(10) ** 12
_CENT = Decimal("0.01")


def _require(actor: Any, perm: str) -> None:
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied()


def _version(value: dt.datetime) -> dt.datetime:
    # The API's JSON encoder writes datetimes to the millisecond, so a version a client read
    # back from the API compares at that precision.
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _version_errors(expected: dt.datetime | None, errors: dict[str, list[str]]) -> None:
    if expected is not None and expected.tzinfo is None:
        errors["expected_updated_at"] = [_("Give the time with its time zone.")]


def _check_version(current: dt.datetime | None, expected: dt.datetime | None) -> None:
    if expected is None:
        return
    if current is None or _version(current) != _version(expected):
        raise Conflict(code="council.program.conflict")


def _full_clean(instance: Any, *, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        fields = {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
        raise ValidationFailed(fields=fields) from exc


def _owner_agency_check(owner_agency: Agency | None) -> None:
    if owner_agency is None or not owner_agency.is_active:
        raise ValidationFailed(fields={"owner_agency": [_("Choose an active agency.")]})


def program_create(
    *,
    actor: Any,
    code: str,
    name: str,
    dimension: str,
    owner_agency: Agency,
    description: str = "",
    status: str = ProgramStatus.PLANNED,
    is_quick_win: bool = False,
    is_demo: bool = False,
) -> Program:
    _require(actor, CHANGE_PROGRAM)
    _owner_agency_check(owner_agency)
    program = Program(
        code=(code or "").strip(),
        name=(name or "").strip(),
        dimension=dimension,
        description=(description or "").strip(),
        owner_agency=owner_agency,
        status=status,
        is_quick_win=is_quick_win,
        is_demo=is_demo,
    )
    if program.code in RESERVED_CODES:
        raise ValidationFailed(fields={"code": [_("This code is reserved; choose another.")]})
    with transaction.atomic():
        _full_clean(program)  # includes the code's uniqueness
        program.save()
        audit_record(
            actor=actor,
            action="kotacerdas.council.program.created",
            target=program,
            after=snapshot(program, PROGRAM_AUDIT_FIELDS),
        )
    return program


def program_update(
    *,
    actor: Any,
    program: Program,
    data: dict[str, Any],
    expected_updated_at: dt.datetime | None = None,
) -> Program:
    """Change a program's editable fields (everything but its code, which URLs and the API
    use). Nothing changed: nothing is written and no event is recorded."""
    _require(actor, CHANGE_PROGRAM)
    unknown = set(data) - PROGRAM_EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            fields={name: [_("This field cannot be changed.")] for name in sorted(unknown)}
        )
    if "owner_agency" in data:
        _owner_agency_check(data["owner_agency"])
    errors: dict[str, list[str]] = {}
    _version_errors(expected_updated_at, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        _check_version(locked.updated_at, expected_updated_at)
        before = snapshot(locked, PROGRAM_AUDIT_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        after = snapshot(locked, PROGRAM_AUDIT_FIELDS)
        if after == before:
            return locked
        _full_clean(locked, exclude=["code"])
        locked.save()
        audit_record(
            actor=actor,
            action="kotacerdas.council.program.updated",
            target=locked,
            before=before,
            after=after,
        )
    return locked


def _amount(value: Any, *, field: str, required: bool, errors: dict[str, list[str]]) -> Any:
    if value is None or value == "":
        if required:
            errors[field] = [_("This field is required.")]
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter a number.")]
        return None
    if not amount.is_finite():
        errors[field] = [_("Enter a number.")]
    elif amount < 0:
        errors[field] = [_("Must be at least 0.")]
    elif amount >= _AMOUNT_LIMIT:
        errors[field] = [_("This number is too large.")]
    elif amount != amount.quantize(_CENT):
        errors[field] = [_("At most two decimal places.")]
    else:
        return amount.quantize(_CENT)  # the stored scale, so equal values snapshot equally
    return None


def program_target_set(
    *,
    actor: Any,
    program: Program,
    year: int,
    indicator: str,
    unit: str,
    target: Decimal | float | int | str,
    realisation: Decimal | float | int | str | None,
    expected_updated_at: dt.datetime | None = None,
) -> ProgramTarget:
    """Set a program's target and realisation for one year (creating the year's row when it
    is new). `expected_updated_at` is the version of the year's row the editor saw."""
    _require(actor, CHANGE_PROGRAM)
    errors: dict[str, list[str]] = {}
    if not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = [
            _("Must be between %(min)s and %(max)s.") % {"min": YEAR_MIN, "max": YEAR_MAX}
        ]
    indicator = (indicator or "").strip()
    unit = (unit or "").strip()
    if not indicator:
        errors["indicator"] = [_("This field is required.")]
    elif len(indicator) > 200:
        errors["indicator"] = [_("At most %(n)s characters.") % {"n": 200}]
    if not unit:
        errors["unit"] = [_("This field is required.")]
    elif len(unit) > 40:
        errors["unit"] = [_("At most %(n)s characters.") % {"n": 40}]
    target_value = _amount(target, field="target", required=True, errors=errors)
    realisation_value = _amount(realisation, field="realisation", required=False, errors=errors)
    _version_errors(expected_updated_at, errors)
    if errors:
        raise ValidationFailed(fields=errors)

    with transaction.atomic():
        # The program row is the lock for all of its targets: two editors of the same year
        # queue here, and the second one's version check below sees the first one's write.
        locked = Program.objects.select_for_update().get(pk=program.pk)
        row = ProgramTarget.objects.filter(program=locked, year=year).first()
        if row is None:
            if expected_updated_at is not None:
                raise Conflict(code="council.program.conflict")
            row = ProgramTarget(program=locked, year=year)
            before = None
        else:
            _check_version(row.updated_at, expected_updated_at)
            before = snapshot(row, TARGET_AUDIT_FIELDS)
        row.indicator, row.unit = indicator, unit
        row.target, row.realisation = target_value, realisation_value
        after = snapshot(row, TARGET_AUDIT_FIELDS)
        if before is not None and after == before:
            return row
        row.save()
        audit_record(
            actor=actor,
            action="kotacerdas.council.program.target_set",
            target=locked,
            before=before,
            after=after,
        )
    return row
