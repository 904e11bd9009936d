"""The permission strings the fire app checks are the ones accounts.policy grants."""

from __future__ import annotations

from kotacerdas.accounts import policy as accounts_policy
from kotacerdas.accounts.models import Role
from kotacerdas.hotspots import policy


def test_permission_strings_match() -> None:
    assert accounts_policy.FIRES_VIEW == policy.VIEW
    assert accounts_policy.FIRES_MANAGE == policy.MANAGE
    assert accounts_policy.FIRES_GROUND_CHECK == policy.GROUND_CHECK
    assert accounts_policy.FIRES_MANAGE_SENSORS == policy.MANAGE_SENSORS


def test_every_fire_permission_is_granted_and_none_is_unknown() -> None:
    ours = {policy.VIEW, policy.MANAGE, policy.GROUND_CHECK, policy.MANAGE_SENSORS}
    granted = {p for p in accounts_policy.ALL_PERMISSIONS if p.startswith("hotspots.")}
    assert granted == ours
    names = {n for n in dir(accounts_policy) if n.startswith("FIRES_")}
    assert {getattr(accounts_policy, n) for n in names} == ours


def test_who_holds_what() -> None:
    holds = {
        role: {p for p in perms if p.startswith("hotspots.")}
        for role, perms in accounts_policy.ROLE_PERMISSIONS.items()
    }
    assert holds[Role.WARGA] == set()
    assert holds[Role.DISPATCHER] == {policy.VIEW}
    assert holds[Role.DEWAN] == {policy.VIEW}
    for role in (Role.OPERATOR_DESA, Role.KEPALA_DESA, Role.OPERATOR_KECAMATAN):
        assert holds[role] == {policy.VIEW, policy.GROUND_CHECK}
    assert holds[Role.PETUGAS_OPD] == {policy.VIEW, policy.GROUND_CHECK, policy.MANAGE}
    assert holds[Role.KEPALA_OPD] == {
        policy.VIEW,
        policy.GROUND_CHECK,
        policy.MANAGE,
        policy.MANAGE_SENSORS,
    }
    assert holds[Role.ADMIN] == {policy.VIEW, policy.MANAGE, policy.MANAGE_SENSORS}
