"""Reads of accounts data, and the scoping every app's selectors use.

Scoping is fail-closed: an actor without a membership that grants the permission sees nothing,
and a record outside the actor's scope is `NotFound`, exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Model, Q, QuerySet

from kotacerdas.core.errors import NotFound
from kotacerdas.regions.selectors import within_q

from .backends import active_memberships
from .models import Agency, ApiToken, CitizenProfile, Membership, Role, User
from .policy import (
    AGENCY_SCOPED,
    MANAGE_STAFF,
    REGENCY_WIDE,
    REGION_SCOPED,
    ROLE_PERMISSIONS,
    VIEW_CITIZENS,
    VIEW_STAFF,
)

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Grant:
    """One membership's reach for a permission: an agency and/or a region subtree (None: any)."""

    agency_id: int | None
    region_code: str | None


@dataclass(frozen=True)
class Scope:
    grants: tuple[Grant, ...]

    @property
    def is_empty(self) -> bool:
        return not self.grants

    @property
    def everything(self) -> bool:
        return any(g.agency_id is None and g.region_code is None for g in self.grants)

    def allows(self, *, region_code: str = "", agency_id: int | None = None) -> bool:
        for g in self.grants:
            if g.agency_id is not None and g.agency_id != agency_id:
                continue
            if g.region_code is not None and not (
                region_code == g.region_code or region_code.startswith(g.region_code + ".")
            ):
                continue
            return True
        return False


def scope_for(*, actor: Any, perm: str) -> Scope:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_perm(perm):
        return Scope(())
    grants: list[Grant] = []
    for m in active_memberships(actor):
        if perm not in ROLE_PERMISSIONS.get(m.role, frozenset()):
            continue
        if m.role in REGENCY_WIDE:
            grants.append(Grant(None, None))
        elif m.role in REGION_SCOPED:
            if m.region_code:  # a region role without a region reaches nothing
                grants.append(Grant(None, m.region_code))
        elif m.role in AGENCY_SCOPED and m.agency_id is not None:
            grants.append(Grant(m.agency_id, m.region_code or None))
    return Scope(tuple(grants))


def scope_queryset(
    queryset: QuerySet[M],
    *,
    actor: Any,
    perm: str,
    region_field: str | None = None,
    agency_field: str | None = None,
) -> QuerySet[M]:
    """Filter any queryset to what the actor's memberships allow for `perm`. A grant that
    constrains a dimension the records don't have (e.g. an agency grant on citizens) matches
    nothing."""
    scope = scope_for(actor=actor, perm=perm)
    parts: list[Q] = []
    for g in scope.grants:
        part = Q()
        if g.agency_id is not None:
            if agency_field is None:
                continue
            part &= Q(**{agency_field: g.agency_id})
        if g.region_code is not None:
            if region_field is None:
                continue
            part &= within_q(region_field, g.region_code)
        if not part:
            return queryset  # regency-wide grant
        parts.append(part)
    if not parts:
        return queryset.none()
    combined = parts[0]
    for p in parts[1:]:
        combined |= p
    return queryset.filter(combined)


def is_staff(user: Any) -> bool:
    """Holds any active role other than citizen (then TOTP is required)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(m.role != Role.WARGA for m in active_memberships(user))


# --- Citizens -----------------------------------------------------------------------------------
def citizen_list(*, actor: Any, search: str = "") -> QuerySet[CitizenProfile]:
    qs = CitizenProfile.objects.select_related("user", "desa").order_by("user__full_name", "pk")
    qs = scope_queryset(qs, actor=actor, perm=VIEW_CITIZENS, region_field="desa_code")
    if search:
        from .crypto import keyed_hash
        from .nik import clean_digits

        digits = clean_digits(search)
        if len(digits) == 16 and digits.isdigit():
            qs = qs.filter(nik_hash=keyed_hash(digits, purpose="nik"))
        else:
            qs = qs.filter(Q(user__full_name__icontains=search) | Q(user__phone__contains=search))
    return qs


def citizen_get(*, actor: Any, user_id: int) -> CitizenProfile:
    profile = citizen_list(actor=actor).filter(user_id=user_id).first()
    if profile is None:
        raise NotFound(code="accounts.citizen.not_found")
    return profile


def own_profile(*, actor: Any) -> CitizenProfile | None:
    if actor is None or not actor.is_authenticated:
        return None
    return CitizenProfile.objects.select_related("desa").filter(user=actor).first()


# --- Staff, agencies, memberships -------------------------------------------------------------
def staff_list(*, actor: Any, search: str = "", agency_id: int | None = None) -> QuerySet[User]:
    """Users holding staff roles: administrators see all; agency heads their agency's staff."""
    if (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.has_perm(MANAGE_STAFF)
    ):
        scope = Scope((Grant(None, None),))
    else:
        scope = scope_for(actor=actor, perm=VIEW_STAFF)
    if scope.is_empty:
        return User.objects.none()
    staff_memberships = Membership.objects.exclude(role=Role.WARGA)
    if not scope.everything:
        q = Q(pk__in=[])
        for g in scope.grants:
            part = Q(agency_id=g.agency_id) if g.agency_id is not None else Q()
            if g.region_code is not None:
                part &= within_q("region_code", g.region_code)
            q |= part
        staff_memberships = staff_memberships.filter(q)
    qs = User.objects.filter(pk__in=staff_memberships.values("user_id")).order_by("full_name", "pk")
    if agency_id:
        qs = qs.filter(memberships__agency_id=agency_id).distinct()
    if search:
        qs = qs.filter(Q(full_name__icontains=search) | Q(username__icontains=search))
    return qs


def staff_get(*, actor: Any, user_id: int) -> User:
    user = staff_list(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound(code="accounts.staff.not_found")
    return user


def membership_list(*, user: User) -> QuerySet[Membership]:
    return user.memberships.select_related("agency", "region").order_by("-is_active", "role")


def agency_list(*, active_only: bool = True) -> QuerySet[Agency]:
    qs = Agency.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def agency_get(*, code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise NotFound(code="accounts.agency.not_found")
    return agency


def agency_by_codes(*, codes: list[str]) -> dict[str, Agency]:
    return {a.code: a for a in Agency.objects.filter(code__in=codes)}


def api_token_list(*, actor: Any) -> QuerySet[ApiToken]:
    if actor is None or not actor.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=actor)


# --- Aggregates for indicators -----------------------------------------------------------------
def citizens_per_kecamatan() -> list[dict[str, Any]]:
    return list(
        CitizenProfile.objects.filter(user__is_active=True)
        .values("kecamatan_code")
        .annotate(n=Count("pk"))
        .order_by("kecamatan_code")
    )


def active_staff_per_agency() -> list[dict[str, Any]]:
    return list(
        Membership.objects.filter(is_active=True, user__is_active=True, agency__isnull=False)
        .exclude(role=Role.WARGA)
        .values("agency__code", "agency__short_name")
        .annotate(n=Count("user_id", distinct=True))
        .order_by("agency__short_name")
    )


def staff_holding(
    *, roles: list[str], agency_id: int | None = None, region_code: str | None = None
) -> QuerySet[User]:
    """Active users holding one of `roles` (optionally in an agency, or over a region: their
    membership's region contains `region_code`). For routing alerts, not for listing."""
    memberships = Membership.objects.filter(is_active=True, role__in=roles)
    if agency_id is not None:
        memberships = memberships.filter(agency_id=agency_id)
    if region_code is not None:
        parts = region_code.split(".")
        ancestors = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
        memberships = memberships.filter(region_code__in=ancestors)
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by("pk")


def demo_citizens() -> QuerySet[User]:
    """The generated demo citizens (for other apps' demo data)."""
    return User.objects.filter(is_demo=True, citizen__isnull=False).order_by("pk")
