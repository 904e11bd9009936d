"""/api/v1/accounts: signup, the caller's own account, citizens (scoped), agencies, staff,
memberships and personal access tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited
from ninja import Router, Status
from ninja.pagination import paginate
from ninja.security import SessionAuth

from kotacerdas.core.api_support import ERROR_RESPONSES, Pagination
from kotacerdas.core.errors import RateLimited

from . import selectors, services
from .api_auth import API_AUTH
from .models import Membership, User
from .schemas import (
    AgencyIn,
    AgencyOut,
    CitizenOut,
    MembershipIn,
    MembershipOut,
    MeOut,
    NikOut,
    SignupIn,
    SignupOut,
    StaffOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)

router = Router()
ERRORS = ERROR_RESPONSES


def _membership_out(m: Membership) -> MembershipOut:
    return MembershipOut(
        id=m.pk,
        role=m.role,
        agency=m.agency.code if m.agency is not None else None,
        region_code=m.region_code,
    )


@router.post("/signup", response={201: SignupOut, **ERRORS}, auth=None)
def signup(request: HttpRequest, payload: SignupIn) -> Status:
    """Register a citizen. Rate-limited per IP."""
    if is_ratelimited(
        request,
        group="signup",
        key="ip",
        rate=settings.RATELIMIT_SIGNUP,
        method="POST",
        increment=True,
    ):
        raise RateLimited()
    user = services.citizen_signup(
        nik=payload.nik,
        kk=payload.kk,
        full_name=payload.full_name,
        birth_date=payload.birth_date,
        sex=payload.sex,
        desa_code=payload.desa,
        phone=payload.phone,
        email=payload.email,
        password=payload.password,
        language=payload.language,
    )
    p = user.citizen
    return Status(
        201,
        SignupOut(
            id=user.pk,
            full_name=user.full_name,
            nik_masked=p.nik_masked,
            desa_code=p.desa_code,
            dukcapil_status=p.dukcapil_status,
        ),
    )


@router.get("/me", response={200: MeOut, **ERRORS}, auth=API_AUTH)
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert isinstance(user, User)
    profile = selectors.own_profile(actor=user)
    return MeOut(
        id=user.pk,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        phone=user.phone,
        language=user.language,
        nik_masked=profile.nik_masked if profile else None,
        desa_code=profile.desa_code if profile else None,
        memberships=[
            _membership_out(m) for m in selectors.membership_list(user=user).filter(is_active=True)
        ],
    )


@router.get("/citizens", response={200: list[CitizenOut], **ERRORS}, auth=API_AUTH)
@paginate(Pagination)
def citizen_list(request: HttpRequest, q: str = "") -> Any:
    """Citizens in the caller's region (operators of desa/kecamatan, administrators)."""
    return selectors.citizen_list(actor=request.user, search=q[:100])


@router.get("/citizens/{user_id}", response={200: CitizenOut, **ERRORS}, auth=API_AUTH)
def citizen_get(request: HttpRequest, user_id: int) -> Any:
    return selectors.citizen_get(actor=request.user, user_id=user_id)


@router.post("/citizens/{user_id}/nik", response={200: NikOut, **ERRORS}, auth=API_AUTH)
def citizen_nik(request: HttpRequest, user_id: int) -> NikOut:
    """The full NIK, for roles that need it; every call is recorded in the audit trail."""
    return NikOut(nik=services.citizen_nik_reveal(actor=request.user, user_id=user_id))


@router.get("/agencies", response=list[AgencyOut], auth=None)
def agency_list(request: HttpRequest) -> Any:
    return list(selectors.agency_list())


@router.post("/agencies", response={201: AgencyOut, **ERRORS}, auth=API_AUTH)
def agency_create(request: HttpRequest, payload: AgencyIn) -> Status:
    return Status(201, services.agency_save(actor=request.user, **payload.dict()))


@router.put("/agencies/{code}", response={200: AgencyOut, **ERRORS}, auth=API_AUTH)
def agency_update(request: HttpRequest, code: str, payload: AgencyIn) -> Any:
    from .policy import MANAGE_AGENCIES

    if not request.user.has_perm(MANAGE_AGENCIES):
        from kotacerdas.core.errors import PermissionDenied

        raise PermissionDenied()
    agency = selectors.agency_get(code=code)
    return services.agency_save(actor=request.user, agency_id=agency.pk, **payload.dict())


@router.get("/staff", response={200: list[StaffOut], **ERRORS}, auth=API_AUTH)
@paginate(Pagination)
def staff_list(request: HttpRequest, q: str = "") -> Any:
    return selectors.staff_list(actor=request.user, search=q[:100]).prefetch_related(
        "memberships__agency"
    )


@router.post("/staff/{user_id}/memberships", response={201: MembershipOut, **ERRORS}, auth=API_AUTH)
def membership_create(request: HttpRequest, user_id: int, payload: MembershipIn) -> Status:
    m = services.membership_create(
        actor=request.user,
        user_id=user_id,
        role=payload.role,
        agency_code=payload.agency,
        region_code=payload.region,
    )
    return Status(201, _membership_out(m))


@router.delete("/memberships/{membership_id}", response={204: None, **ERRORS}, auth=API_AUTH)
def membership_revoke(request: HttpRequest, membership_id: int) -> Status:
    services.membership_revoke(actor=request.user, membership_id=membership_id)
    return Status(204, None)


# Tokens are managed from a TOTP-verified session only (never with a token).
@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, auth=SessionAuth())
def token_list(request: HttpRequest) -> Any:
    return list(selectors.api_token_list(actor=request.user))


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, auth=SessionAuth())
def token_create(request: HttpRequest, payload: TokenIn) -> Status:
    row, token = services.api_token_create(
        actor=request.user, name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(
        201,
        TokenCreatedOut(
            id=row.pk,
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=None,
            revoked_at=None,
            token=token,
        ),
    )


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, auth=SessionAuth())
def token_revoke(request: HttpRequest, token_id: int) -> Status:
    services.api_token_revoke(actor=request.user, token_id=token_id)
    return Status(204, None)
