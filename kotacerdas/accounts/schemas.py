from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class SignupIn(Schema):
    nik: str = Field(max_length=20)
    kk: str = Field("", max_length=20)
    full_name: str = Field(max_length=150)
    birth_date: dt.date
    sex: str = Field(max_length=1, description="L (male) or P (female)")
    desa: str = Field(max_length=20, description="Kemendagri code of the desa/kelurahan")
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    password: str = Field(max_length=128)
    language: str = Field("id", max_length=8)


class MembershipOut(Schema):
    id: int
    role: str
    agency: str | None
    region_code: str


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str | None
    phone: str | None
    language: str
    nik_masked: str | None
    desa_code: str | None
    memberships: list[MembershipOut]


class SignupOut(Schema):
    id: int
    full_name: str
    nik_masked: str
    desa_code: str
    dukcapil_status: str


class CitizenOut(Schema):
    """Built from a CitizenProfile (with select_related("user"))."""

    id: int = Field(alias="user_id")
    full_name: str = Field(alias="user.full_name")
    nik_masked: str
    desa_code: str
    kecamatan_code: str
    sex: str
    dukcapil_status: str
    registered_at: dt.datetime = Field(alias="created_at")


class NikOut(Schema):
    nik: str


class AgencyOut(Schema):
    id: int
    code: str
    short_name: str
    name: str
    is_active: bool


class AgencyIn(Schema):
    code: str = Field(max_length=40)
    short_name: str = Field(max_length=60)
    name: str = Field(max_length=200)
    is_active: bool = True


class StaffOut(Schema):
    """Built from a User with prefetch_related("memberships__agency")."""

    id: int
    username: str
    full_name: str
    is_active: bool
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "id": m.pk,
                "role": m.role,
                "agency": m.agency.code if m.agency_id else None,
                "region_code": m.region_code,
            }
            for m in obj.memberships.all()
            if m.is_active
        ]


class MembershipIn(Schema):
    role: str = Field(max_length=24)
    agency: str = Field("", max_length=40)
    region: str = Field("", max_length=20)


class TokenIn(Schema):
    name: str = Field(max_length=100)
    expires_in_days: int | None = 90


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str
