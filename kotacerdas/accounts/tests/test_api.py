"""/api/v1/accounts beyond signup: the caller's account, staff, memberships and agencies (role
matrices that also assert nothing changed), pagination limits and query budgets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kotacerdas.accounts.models import Agency, Membership
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory, StaffFactory
from kotacerdas.core.models import AuditEvent

from .conftest import BAPEANG, PRINCIPALS, counts

pytestmark = pytest.mark.django_db

FORBIDDEN = {"error": {"code": "forbidden", "message": "You are not allowed to do this."}}
AUTH_REQUIRED = {
    "error": {"code": "auth.required", "message": "Please sign in or send a valid token."}
}


def post_json(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(payload), content_type="application/json")


def test_me_for_a_citizen(citizen_client: Client, citizen: Any):
    citizen.phone = "6281234567890"
    citizen.save()
    membership = Membership.objects.create(
        user=citizen,
        role="warga",
        region=citizen.citizen.desa,
        region_code=citizen.citizen.desa_code,
    )
    body = citizen_client.get("/api/v1/accounts/me").json()
    assert body == {
        "id": citizen.pk,
        "username": citizen.username,
        "full_name": citizen.full_name,
        "email": citizen.email,
        "phone": "6281234567890",
        "language": "id",
        "nik_masked": citizen.citizen.nik_masked,
        "desa_code": "62.02.06.1001",
        "memberships": [
            {"id": membership.pk, "role": "warga", "agency": None, "region_code": "62.02.06.1001"}
        ],
    }


def test_me_for_an_officer(principal: Any, agency: Any):
    _user, client = principal("petugas_opd")
    body = client.get("/api/v1/accounts/me").json()
    assert (body["nik_masked"], body["desa_code"]) == (None, None)
    assert [(m["role"], m["agency"]) for m in body["memberships"]] == [
        ("petugas_opd", "dinas-pupr")
    ]


def test_me_needs_authentication(client: Client):
    response = client.get("/api/v1/accounts/me")
    assert (response.status_code, response.json()) == (401, AUTH_REQUIRED)


def test_agency_list_is_public(client: Client, agency: Any, other_agency: Any):
    Agency.objects.create(code="lama", name="Dinas Lama", short_name="Lama", is_active=False)
    body = client.get("/api/v1/accounts/agencies").json()
    assert [(a["code"], a["short_name"]) for a in body] == [
        ("dinas-pupr", "Dinas PUPR"),
        ("dinkes", "Dinkes"),
    ]


# --- Role matrices ------------------------------------------------------------------------------
@pytest.mark.parametrize("role", PRINCIPALS)
def test_staff_api_role_matrix(role: str, principal: Any, other_agency: Any):
    StaffFactory(role="petugas_opd", agency=other_agency, full_name="Dani Dinkes")
    user, client = principal(role)
    response = client.get("/api/v1/accounts/staff")
    if role == "anonymous":
        assert (response.status_code, response.json()) == (401, AUTH_REQUIRED)
        return
    names = [s["full_name"] for s in response.json()["items"]]
    if role == "admin":
        assert "Dani Dinkes" in names
        assert user.full_name in names
    elif role == "kepala_opd":
        assert names == [user.full_name]  # Dinkes staff are another agency's
    else:
        assert names == []


@pytest.mark.parametrize("role", PRINCIPALS)
def test_membership_grant_api_role_matrix(role: str, principal: Any):
    target = StaffFactory(username="target")
    _user, client = principal(role)
    before = counts()

    response = post_json(
        client,
        f"/api/v1/accounts/staff/{target.pk}/memberships",
        {"role": "operator_desa", "region": BAPEANG},
    )

    if role == "admin":
        membership = Membership.objects.get(user=target)
        assert (response.status_code, response.json()) == (
            201,
            {"id": membership.pk, "role": "operator_desa", "agency": None, "region_code": BAPEANG},
        )
        return
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert response.json() == (AUTH_REQUIRED if role == "anonymous" else FORBIDDEN)
    assert counts() == before


@pytest.mark.parametrize("role", PRINCIPALS)
def test_membership_revoke_api_role_matrix(role: str, principal: Any, agency: Any):
    target = StaffFactory(role="petugas_opd", agency=agency, username="target")
    membership = Membership.objects.get(user=target)
    _user, client = principal(role)
    before = counts()

    response = client.delete(f"/api/v1/accounts/memberships/{membership.pk}")

    membership.refresh_from_db()
    if role == "admin":
        assert response.status_code == 204
        assert not membership.is_active
        return
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert membership.is_active
    assert counts() == before


@pytest.mark.parametrize("role", PRINCIPALS)
def test_agency_create_api_role_matrix(role: str, principal: Any):
    _user, client = principal(role)
    before = counts()

    response = post_json(
        client,
        "/api/v1/accounts/agencies",
        {"code": "bappeda", "short_name": "Bappeda", "name": "Badan Perencanaan"},
    )

    if role == "admin":
        agency = Agency.objects.get(code="bappeda")
        assert (response.status_code, response.json()) == (
            201,
            {
                "id": agency.pk,
                "code": "bappeda",
                "short_name": "Bappeda",
                "name": "Badan Perencanaan",
                "is_active": True,
            },
        )
        return
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert counts() == before


@pytest.mark.parametrize("role", PRINCIPALS)
def test_agency_update_api_role_matrix(role: str, principal: Any, other_agency: Any):
    _user, client = principal(role)
    before = counts()
    response = client.put(
        "/api/v1/accounts/agencies/dinkes",
        data=json.dumps(
            {"code": "dinkes", "short_name": "Dinkes", "name": "Dinas Kesehatan Kotim"}
        ),
        content_type="application/json",
    )
    other_agency.refresh_from_db()
    if role == "admin":
        assert response.status_code == 200
        assert other_agency.name == "Dinas Kesehatan Kotim"
        assert AuditEvent.objects.filter(action="kotacerdas.accounts.agency.updated").count() == 1
        return
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert other_agency.name == "Dinas Kesehatan"
    assert counts() == before


def test_unknown_agency_is_a_404(principal: Any):
    _user, client = principal("admin")
    response = client.put(
        "/api/v1/accounts/agencies/tidak-ada",
        data=json.dumps({"code": "x1", "short_name": "X", "name": "X"}),
        content_type="application/json",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "accounts.agency.not_found",
    )


def test_membership_grant_api_field_errors(principal: Any):
    target = StaffFactory(username="target")
    _user, client = principal("admin")
    response = post_json(
        client,
        f"/api/v1/accounts/staff/{target.pk}/memberships",
        {"role": "operator_kecamatan", "region": "62.02.99"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "accounts.membership.invalid",
        "message": "Some fields are not valid.",
        "fields": {"region": ["Unknown region code."]},
    }
    response = post_json(
        client, f"/api/v1/accounts/staff/{target.pk}/memberships", {"role": "raja"}
    )
    assert response.json()["error"]["code"] == "accounts.role.unknown"
    response = post_json(client, "/api/v1/accounts/staff/999999/memberships", {"role": "dewan"})
    assert (response.status_code, response.json()["error"]["code"]) == (
        404,
        "accounts.staff.not_found",
    )


# --- Pagination -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("limit=201", "limit", "Must be between 1 and 200."),
        ("limit=0", "limit", "Must be between 1 and 200."),
        ("offset=-1", "offset", "Must be at least 0."),
        ("limit=banyak", "limit", "Enter a number."),
    ],
)
def test_pagination_limits(principal: Any, query: str, field: str, message: str):
    _user, client = principal("admin")
    for path in ("/api/v1/accounts/citizens", "/api/v1/accounts/staff"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {field: [message]}


def test_pagination_pages_through_citizens(principal: Any):
    _user, client = principal("admin")
    for _ in range(3):
        CitizenFactory(identity__desa_code=BAPEANG)
    everyone = client.get("/api/v1/accounts/citizens?limit=200").json()
    page = client.get("/api/v1/accounts/citizens?limit=2&offset=1").json()
    assert page["count"] == everyone["count"] == 3
    assert page["items"] == everyone["items"][1:3]


# --- Query budgets ------------------------------------------------------------------------------
def test_citizen_api_query_budget(principal: Any, django_assert_num_queries: Any):
    _user, client = principal("operator_kecamatan")
    for _ in range(3):
        CitizenFactory(identity__desa_code=BAPEANG)
    client.get("/api/v1/accounts/citizens")
    # session, user, OTP device, memberships, count, rows (user joined)
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/accounts/citizens").json()["items"]) == 3
    for _ in range(20):
        CitizenFactory(identity__desa_code=BAPEANG)
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/accounts/citizens").json()["items"]) == 23


def test_staff_api_query_budget(principal: Any, agency: Any, django_assert_num_queries: Any):
    _user, client = principal("admin")
    for _ in range(3):
        StaffFactory(role="petugas_opd", agency=agency)
    client.get("/api/v1/accounts/staff")
    # session, user, OTP device, memberships, count, rows, memberships, agencies
    with django_assert_num_queries(8):
        assert len(client.get("/api/v1/accounts/staff").json()["items"]) == 4
    for i in range(20):
        StaffFactory(
            role="operator_desa" if i % 2 else "petugas_opd",
            agency=None if i % 2 else agency,
            region_code=BAPEANG if i % 2 else None,
        )
    with django_assert_num_queries(8):
        assert len(client.get("/api/v1/accounts/staff").json()["items"]) == 24


def test_every_role_is_known_to_the_matrix():
    assert set(ALL_ROLES) == {
        "warga",
        "operator_desa",
        "kepala_desa",
        "operator_kecamatan",
        "petugas_opd",
        "kepala_opd",
        "dispatcher",
        "dewan",
        "admin",
    }
