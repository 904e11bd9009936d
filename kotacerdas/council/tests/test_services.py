from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kotacerdas.accounts import policy as accounts_policy
from kotacerdas.accounts.tests.factories import ALL_ROLES, AgencyFactory
from kotacerdas.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kotacerdas.council import policy, selectors, services
from kotacerdas.council.models import Program, ProgramTarget

from .conftest import council_events, scope_for

pytestmark = pytest.mark.django_db


def test_policy_strings_match_accounts_policy():
    assert policy.VIEW_DASHBOARD == accounts_policy.VIEW_COUNCIL_DASHBOARD
    assert policy.CHANGE_PROGRAM == accounts_policy.CHANGE_PROGRAM


def _verified(user):
    user.is_verified = lambda: True
    return user


def test_program_create_writes_audit_with_after(admin_user, dinkes):
    program = services.program_create(
        actor=_verified(admin_user),
        code="ambulans-gratis",
        name="  Layanan Ambulans Gratis  ",
        dimension="living",
        owner_agency=dinkes,
        description="Ambulans gratis 119.",
        status="running",
        is_quick_win=True,
    )

    program.refresh_from_db()
    assert (program.code, program.name, program.owner_agency_id) == (
        "ambulans-gratis",
        "Layanan Ambulans Gratis",
        dinkes.pk,
    )
    event = council_events().get()
    assert event.action == "kotacerdas.council.program.created"
    assert (event.object_type, event.object_id) == ("council.program", str(program.pk))
    assert event.actor_id == admin_user.pk
    assert event.before is None
    assert event.after == {
        "code": "ambulans-gratis",
        "name": "Layanan Ambulans Gratis",
        "dimension": "living",
        "description": "Ambulans gratis 119.",
        "owner_agency": dinkes.pk,
        "status": "running",
        "is_quick_win": True,
        "is_demo": False,
    }


def test_program_create_validation_fields(admin_user, dinkes, make_program):
    make_program("taken")
    inactive: Any = AgencyFactory(code="old-opd", is_active=False)
    actor = _verified(admin_user)

    with pytest.raises(ValidationFailed) as exc:
        services.program_create(
            actor=actor, code="taken", name="", dimension="moon", owner_agency=dinkes
        )
    assert set(exc.value.fields) == {"code", "name", "dimension"}
    assert exc.value.fields["code"] == ["Masterplan program with this Code already exists."]

    with pytest.raises(ValidationFailed) as exc:
        services.program_create(
            actor=actor, code="baru", name="X", dimension="living", owner_agency=dinkes
        )
    assert exc.value.fields == {"code": ["This code is reserved; choose another."]}

    with pytest.raises(ValidationFailed) as exc:
        services.program_create(
            actor=actor, code="new-one", name="X", dimension="living", owner_agency=inactive
        )
    assert exc.value.fields == {"owner_agency": ["Choose an active agency."]}
    assert Program.objects.count() == 1
    assert council_events().count() == 0


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != "admin"])
def test_services_refuse_roles_without_change_program(role, make_staff, make_program, dinkes):
    actor = _verified(make_staff(role, **scope_for(role, dinkes)))
    program = make_program("p1", year=2026)
    before = list(ProgramTarget.objects.values())

    with pytest.raises(PermissionDenied):
        services.program_create(
            actor=actor, code="p2", name="P2", dimension="living", owner_agency=dinkes
        )
    with pytest.raises(PermissionDenied):
        services.program_update(actor=actor, program=program, data={"name": "Changed"})
    with pytest.raises(PermissionDenied):
        services.program_target_set(
            actor=actor, program=program, year=2026, indicator="x", unit="y", target=1,
            realisation=None,
        )  # fmt: skip

    program.refresh_from_db()
    assert program.name == "Program p1"
    assert Program.objects.count() == 1
    assert list(ProgramTarget.objects.values()) == before
    assert council_events().count() == 0


def test_unverified_admin_is_refused(admin_user, make_program, dinkes):
    program = make_program("p1")
    with pytest.raises(PermissionDenied):
        services.program_update(actor=admin_user, program=program, data={"name": "Changed"})
    with pytest.raises(PermissionDenied):
        services.program_update(actor=None, program=program, data={"name": "Changed"})
    assert Program.objects.get().name == "Program p1"
    assert council_events().count() == 0


def test_program_update_audits_before_and_after(admin_user, make_program, dinkes):
    program = make_program("p1")
    other: Any = AgencyFactory(code="dlh", short_name="DLH", name="Dinas Lingkungan Hidup")

    updated = services.program_update(
        actor=_verified(admin_user),
        program=program,
        data={"name": "Renamed", "owner_agency": other, "status": "at_risk"},
        expected_updated_at=program.updated_at,
    )

    assert (updated.name, updated.owner_agency_id, updated.status) == (
        "Renamed",
        other.pk,
        "at_risk",
    )
    event = council_events().get()
    assert event.action == "kotacerdas.council.program.updated"
    assert {k: (event.before[k], event.after[k]) for k in event.after if event.before[k] != event.after[k]} == {
        "name": ("Program p1", "Renamed"),
        "owner_agency": (dinkes.pk, other.pk),
        "status": ("running", "at_risk"),
    }  # fmt: skip


def test_program_update_without_changes_writes_nothing(admin_user, make_program):
    program = make_program("p1")
    stamp = program.updated_at
    services.program_update(
        actor=_verified(admin_user), program=program, data={"name": "Program p1"}
    )
    program.refresh_from_db()
    assert program.updated_at == stamp
    assert council_events().count() == 0


def test_program_update_refuses_code_and_unknown_fields(admin_user, make_program):
    program = make_program("p1")
    with pytest.raises(ValidationFailed) as exc:
        services.program_update(
            actor=_verified(admin_user), program=program, data={"code": "x", "secret": 1}
        )
    assert exc.value.fields == {
        "code": ["This field cannot be changed."],
        "secret": ["This field cannot be changed."],
    }


def test_program_update_stale_version_conflicts(admin_user, make_program):
    program = make_program("p1")
    seen = program.updated_at
    actor = _verified(admin_user)
    services.program_update(
        actor=actor, program=program, data={"name": "First"}, expected_updated_at=seen
    )

    with pytest.raises(Conflict) as exc:
        services.program_update(
            actor=actor, program=program, data={"name": "Second"}, expected_updated_at=seen
        )
    assert exc.value.code == "council.program.conflict"
    assert exc.value.status == 409
    assert Program.objects.get().name == "First"
    assert council_events().count() == 1


def test_target_set_creates_then_updates_with_audit(admin_user, make_program):
    program = make_program("p1")
    actor = _verified(admin_user)

    row = services.program_target_set(
        actor=actor, program=program, year=2026, indicator=" Trips ", unit="trips",
        target="1200", realisation=None,
    )  # fmt: skip
    assert (row.year, row.indicator, row.target, row.realisation) == (
        2026,
        "Trips",
        Decimal("1200.00"),
        None,
    )

    row = services.program_target_set(
        actor=actor, program=program, year=2026, indicator="Trips", unit="trips",
        target=Decimal("1200"), realisation=Decimal("900.5"), expected_updated_at=row.updated_at,
    )  # fmt: skip
    assert row.realisation == Decimal("900.50")
    assert row.percent == 75.0

    created, changed = council_events().order_by("id")
    assert created.action == changed.action == "kotacerdas.council.program.target_set"
    assert created.object_id == changed.object_id == str(program.pk)
    assert created.before is None
    assert created.after == {
        "year": 2026, "indicator": "Trips", "unit": "trips", "target": "1200.00", "realisation": None,
    }  # fmt: skip
    assert changed.before == created.after
    assert changed.after == {
        "year": 2026, "indicator": "Trips", "unit": "trips", "target": "1200.00",
        "realisation": "900.50",
    }  # fmt: skip

    # The same values again: nothing written.
    services.program_target_set(
        actor=actor, program=program, year=2026, indicator="Trips", unit="trips",
        target=1200, realisation="900.50",
    )  # fmt: skip
    assert council_events().count() == 2


def test_target_set_stale_version_conflicts_and_keeps_first_write(admin_user, make_program):
    program = make_program("p1", year=2026, target="100", realisation="10")
    seen = ProgramTarget.objects.get().updated_at
    actor = _verified(admin_user)
    kwargs = {
        "actor": actor,
        "program": program,
        "year": 2026,
        "indicator": "Trips",
        "unit": "trips",
    }
    services.program_target_set(**kwargs, target=100, realisation=20, expected_updated_at=seen)

    with pytest.raises(Conflict):
        services.program_target_set(**kwargs, target=100, realisation=30, expected_updated_at=seen)
    # A version for a year that has no row yet is stale too (someone removed or never made it).
    with pytest.raises(Conflict):
        services.program_target_set(
            **{**kwargs, "year": 2027}, target=1, realisation=None, expected_updated_at=seen
        )

    assert ProgramTarget.objects.get().realisation == Decimal("20.00")
    assert council_events().count() == 1


def test_target_set_version_compares_at_millisecond_precision(admin_user, make_program):
    program = make_program("p1", year=2026)
    row = ProgramTarget.objects.get()
    as_api_sends_it = row.updated_at.replace(microsecond=row.updated_at.microsecond // 1000 * 1000)
    services.program_target_set(
        actor=_verified(admin_user), program=program, year=2026, indicator="Trips", unit="trips",
        target=5, realisation=None, expected_updated_at=as_api_sends_it,
    )  # fmt: skip
    assert ProgramTarget.objects.get().target == Decimal("5.00")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"target": -1}, {"target": ["Must be at least 0."]}),
        ({"realisation": "-0.01"}, {"realisation": ["Must be at least 0."]}),
        ({"target": "abc"}, {"target": ["Enter a number."]}),
        ({"target": "NaN"}, {"target": ["Enter a number."]}),
        ({"target": "1.005"}, {"target": ["At most two decimal places."]}),
        ({"target": "1000000000000"}, {"target": ["This number is too large."]}),
        ({"target": None}, {"target": ["This field is required."]}),
        ({"year": 1999}, {"year": ["Must be between 2000 and 2100."]}),
        ({"indicator": " ", "unit": ""}, {"indicator": ["This field is required."], "unit": ["This field is required."]}),
        ({"unit": "x" * 41}, {"unit": ["At most 40 characters."]}),
        ({"expected_updated_at": dt.datetime(2026, 1, 1)}, {"expected_updated_at": ["Give the time with its time zone."]}),
    ],
)  # fmt: skip
def test_target_set_validation(admin_user, make_program, changes, fields):
    program = make_program("p1", year=2026)
    before = list(ProgramTarget.objects.values())
    kwargs = {
        "year": 2026, "indicator": "Trips", "unit": "trips", "target": 10, "realisation": None,
        **changes,
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.program_target_set(actor=_verified(admin_user), program=program, **kwargs)
    assert exc.value.fields == fields
    assert exc.value.status == 422
    assert list(ProgramTarget.objects.values()) == before
    assert council_events().count() == 0


def test_program_list_filters_and_year_target(make_program, this_year):
    make_program(
        "a", name="Alpha", dimension="living", year=this_year, target="10", realisation="5"
    )
    make_program("b", name="Beta", dimension="economy", year=this_year - 1)
    make_program("c", name="Gamma", dimension="living")

    rows = [
        (p.code, p.year_target.year if p.year_target else None) for p in selectors.program_list()
    ]
    assert rows == [("b", None), ("a", this_year), ("c", None)]
    last_year = [
        (p.code, p.year_target and p.year_target.year)
        for p in selectors.program_list(year=this_year - 1)
    ]
    assert last_year == [("b", this_year - 1), ("a", None), ("c", None)]
    assert [p.code for p in selectors.program_list(dimension="living")] == ["a", "c"]

    with pytest.raises(ValidationFailed) as exc:
        selectors.program_list(dimension="moon", year=1800)
    assert exc.value.fields == {
        "dimension": ["Choose one of the allowed values."],
        "year": ["Must be between 2000 and 2100."],
    }


def test_program_list_query_count_does_not_grow(make_program, this_year, django_assert_num_queries):
    make_program("a", year=this_year)
    with django_assert_num_queries(2):
        rows = [(p.owner_agency.code, p.year_target) for p in selectors.program_list()]
    assert len(rows) == 1
    for i in range(20):
        make_program(f"more-{i}", year=this_year)
    with django_assert_num_queries(2):
        rows = [(p.owner_agency.code, p.year_target) for p in selectors.program_list()]
    assert len(rows) == 21


def test_program_get_unknown_is_not_found():
    with pytest.raises(NotFound) as exc:
        selectors.program_get(code="nope")
    assert exc.value.code == "council.program.not_found"
