"""Who sees which citizens and staff, through the selector, the page and the API; out of scope
is a 404 exactly like a missing record; reading a full NIK is allowed to few and always audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kotacerdas.accounts import crypto, selectors
from kotacerdas.accounts.models import Membership, Role, User
from kotacerdas.accounts.policy import VIEW_CITIZENS
from kotacerdas.accounts.selectors import Grant, Scope, scope_for, scope_queryset
from kotacerdas.accounts.tests.factories import ALL_ROLES, AgencyFactory, StaffFactory
from kotacerdas.core.models import AuditEvent

from .conftest import BAPEANG, KOTA_BESI_DESA, MBH, PRINCIPALS

pytestmark = pytest.mark.django_db

BAPEANG_NAMES = ["Ani Bapeang", "Budi Bapeang"]
KECAMATAN_NAMES = ["Ani Bapeang", "Budi Bapeang", "Citra Mentawa"]
ALL_NAMES = ["Ani Bapeang", "Budi Bapeang", "Citra Mentawa", "Dodi Kotabesi"]
SEES = {
    "operator_desa": BAPEANG_NAMES,
    "kepala_desa": BAPEANG_NAMES,
    "operator_kecamatan": KECAMATAN_NAMES,
    "admin": ALL_NAMES,
}
REVEALS = {"operator_desa", "operator_kecamatan", "admin"}
NOT_FOUND = {"error": {"code": "accounts.citizen.not_found", "message": "Not found."}}


def verified(user: Any) -> Any:
    """The user as a TOTP-verified session presents it to selectors."""
    if user is not None:
        user.is_verified = lambda: True
    return user


def actor_for(role: str, principal: Any) -> Any:
    user, _client = principal(role)
    if role == "anonymous":
        return AnonymousUser()
    if role == "unverified":
        return user
    return verified(user)


def names(profiles: Any) -> list[str]:
    return [p.user.full_name for p in profiles]


# --- Citizens: selector, page, API --------------------------------------------------------------
@pytest.mark.parametrize("role", PRINCIPALS)
def test_citizen_list_selector(role: str, principal: Any, citizens_by_region: Any):
    actor = actor_for(role, principal)
    assert names(selectors.citizen_list(actor=actor)) == SEES.get(role, [])


def test_citizen_list_selector_without_an_actor_is_empty(citizens_by_region: Any):
    assert list(selectors.citizen_list(actor=None)) == []


@pytest.mark.parametrize("role", PRINCIPALS)
def test_citizen_list_page(role: str, principal: Any, citizens_by_region: Any):
    _user, client = principal(role)
    response = client.get("/kantor/warga/")

    if role in ("anonymous", "unverified"):
        assert (response.status_code, response["Location"]) == (
            302,
            "/akun/masuk/?next=%2Fkantor%2Fwarga%2F",
        )
    elif role in SEES:
        assert response.status_code == 200
        assert names(response.context["page"]) == SEES[role]
        html = response.content.decode()
        for name in ALL_NAMES:
            assert (name in html) == (name in SEES[role]), name
    else:
        assert response.status_code == 403
        assert "Dodi Kotabesi" not in response.content.decode()


@pytest.mark.parametrize("role", PRINCIPALS)
def test_citizen_list_api(role: str, principal: Any, citizens_by_region: Any):
    _user, client = principal(role)
    response = client.get("/api/v1/accounts/citizens")

    if role == "anonymous":
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "auth.required"
        return
    assert response.status_code == 200
    body = response.json()
    expected = SEES.get(role, [])
    assert [c["full_name"] for c in body["items"]] == expected
    assert body["count"] == len(expected)


def test_citizen_api_item_shape(principal: Any, citizens_by_region: Any):
    _user, client = principal("operator_desa")
    ani = citizens_by_region[BAPEANG][0]
    item = client.get("/api/v1/accounts/citizens").json()["items"][0]
    assert item == {
        "id": ani.pk,
        "full_name": "Ani Bapeang",
        "nik_masked": ani.citizen.nik_masked,
        "desa_code": BAPEANG,
        "kecamatan_code": "62.02.06",
        "sex": ani.citizen.sex,
        "dukcapil_status": "unchecked",
        "registered_at": item["registered_at"],
    }
    assert item["nik_masked"].startswith("6202********")
    assert crypto.decrypt(ani.citizen.nik_encrypted) not in str(item)


def test_citizen_search_by_name_and_by_full_nik(principal: Any, citizens_by_region: Any):
    user, _client = principal("admin")
    actor = verified(user)
    budi = citizens_by_region[BAPEANG][1]
    nik = crypto.decrypt(budi.citizen.nik_encrypted)
    assert names(selectors.citizen_list(actor=actor, search="budi")) == ["Budi Bapeang"]
    assert names(selectors.citizen_list(actor=actor, search=nik)) == ["Budi Bapeang"]
    spaced = f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}"
    assert names(selectors.citizen_list(actor=actor, search=spaced)) == ["Budi Bapeang"]
    # A partial NIK finds nothing: the NIK is not stored searchably.
    assert names(selectors.citizen_list(actor=actor, search=nik[:10])) == []


def test_search_does_not_widen_the_scope(principal: Any, citizens_by_region: Any):
    user, _client = principal("operator_desa")
    dodi = citizens_by_region[KOTA_BESI_DESA][0]
    nik = crypto.decrypt(dodi.citizen.nik_encrypted)
    assert list(selectors.citizen_list(actor=verified(user), search=nik)) == []
    assert list(selectors.citizen_list(actor=verified(user), search="Dodi")) == []


# --- Out of scope is 404, with nothing in the body ----------------------------------------------
@pytest.mark.parametrize("desa", [MBH, KOTA_BESI_DESA, "missing"])
def test_officer_asking_for_another_regions_citizen_gets_404(
    desa: str, principal: Any, citizens_by_region: Any
):
    _user, client = principal("operator_desa")
    if desa == "missing":
        target_id, name = 999_999, "nobody"
    else:
        target = citizens_by_region[desa][0]
        target_id, name = target.pk, target.full_name
    before = AuditEvent.objects.count()

    page = client.get(f"/kantor/warga/{target_id}/")
    page_post = client.post(f"/kantor/warga/{target_id}/")
    api = client.get(f"/api/v1/accounts/citizens/{target_id}")
    reveal = client.post(f"/api/v1/accounts/citizens/{target_id}/nik")

    assert page.status_code == page_post.status_code == 404
    assert name not in page.content.decode()
    assert name not in page_post.content.decode()
    assert (api.status_code, api.json()) == (404, NOT_FOUND)
    assert (reveal.status_code, reveal.json()) == (404, NOT_FOUND)
    assert AuditEvent.objects.count() == before


def test_own_region_citizen_detail_page(principal: Any, citizens_by_region: Any):
    _user, client = principal("operator_desa")
    ani = citizens_by_region[BAPEANG][0]
    response = client.get(f"/kantor/warga/{ani.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<dd class="nik">{ani.citizen.nik_masked}</dd>' in html
    assert crypto.decrypt(ani.citizen.nik_encrypted) not in html
    assert "Show full NIK (recorded)" in html


def test_citizen_detail_api(principal: Any, citizens_by_region: Any):
    _user, client = principal("operator_kecamatan")
    citra = citizens_by_region[MBH][0]
    body = client.get(f"/api/v1/accounts/citizens/{citra.pk}").json()
    assert (body["id"], body["full_name"], body["desa_code"]) == (citra.pk, "Citra Mentawa", MBH)


# --- NIK reveal -------------------------------------------------------------------------------
@pytest.mark.parametrize("role", PRINCIPALS)
def test_nik_reveal_api(role: str, principal: Any, citizens_by_region: Any):
    user, client = principal(role)
    ani = citizens_by_region[BAPEANG][0]
    nik = crypto.decrypt(ani.citizen.nik_encrypted)

    first = client.post(f"/api/v1/accounts/citizens/{ani.pk}/nik")
    second = client.post(f"/api/v1/accounts/citizens/{ani.pk}/nik")

    events = AuditEvent.objects.filter(action="kotacerdas.accounts.citizen.nik_revealed")
    if role in REVEALS:
        assert (first.status_code, first.json()) == (200, {"nik": nik})
        assert second.json() == {"nik": nik}
        assert events.count() == 2  # every read
        event = events.first()
        assert (event.actor_id, event.object_type, event.object_id, event.region_code) == (
            user.pk,
            "accounts.user",
            str(ani.pk),
            BAPEANG,
        )
        assert event.after == {"nik": ani.citizen.nik_masked}
        assert nik not in str(event.after)
    else:
        expected = {"anonymous": 401}.get(role, 403)
        assert first.status_code == second.status_code == expected
        assert first.json()["error"]["code"] == (
            "auth.required" if expected == 401 else "forbidden"
        )
        assert nik not in first.content.decode()
        assert events.count() == 0


@pytest.mark.parametrize("role", PRINCIPALS)
def test_nik_reveal_page(role: str, principal: Any, citizens_by_region: Any):
    _user, client = principal(role)
    ani = citizens_by_region[BAPEANG][0]
    nik = crypto.decrypt(ani.citizen.nik_encrypted)

    response = client.post(f"/kantor/warga/{ani.pk}/")

    events = AuditEvent.objects.filter(action="kotacerdas.accounts.citizen.nik_revealed")
    if role in REVEALS:
        assert response.status_code == 200
        assert f'<strong data-testid="nik-revealed">{nik}</strong>' in response.content.decode()
        assert events.count() == 1
    else:
        if role in ("anonymous", "unverified"):
            assert response.status_code == 302
        else:
            # kepala_desa may see the citizen but not the full NIK; others not even the page.
            assert response.status_code == 403
        assert nik not in response.content.decode()
        assert events.count() == 0


def test_kepala_desa_sees_the_page_without_the_reveal_button(principal: Any, citizens_by_region):
    _user, client = principal("kepala_desa")
    ani = citizens_by_region[BAPEANG][0]
    html = client.get(f"/kantor/warga/{ani.pk}/").content.decode()
    assert "Ani Bapeang" in html
    assert "Show full NIK (recorded)" not in html


# --- Staff list scoping -------------------------------------------------------------------------
@pytest.fixture
def staff_of_two_agencies(agency: Any, other_agency: Any) -> dict[str, User]:
    return {
        "pupr_officer": StaffFactory(role="petugas_opd", agency=agency, full_name="Putu PUPR"),
        "dinkes_officer": StaffFactory(
            role="petugas_opd", agency=other_agency, full_name="Dani Dinkes"
        ),
        "dinkes_head": StaffFactory(
            role="kepala_opd", agency=other_agency, full_name="Hana Dinkes"
        ),
        "operator": StaffFactory(
            role="operator_desa", region_code=BAPEANG, full_name="Oki Operator"
        ),
    }


def test_kepala_opd_sees_only_their_agencys_staff(
    principal: Any, staff_of_two_agencies: Any, citizens_by_region: Any
):
    user, client = principal("kepala_opd")
    user.full_name = "Kepala PUPR"
    user.save()

    expected = ["Kepala PUPR", "Putu PUPR"]
    assert [u.full_name for u in selectors.staff_list(actor=verified(user))] == expected
    page = client.get("/kantor/staf/")
    assert [u.full_name for u in page.context["page"]] == expected
    assert "Dani Dinkes" not in page.content.decode()
    api = client.get("/api/v1/accounts/staff").json()
    assert [s["full_name"] for s in api["items"]] == expected
    # Another agency's officer by id is a 404, like a missing one.
    dinkes = staff_of_two_agencies["dinkes_officer"]
    assert client.get(f"/kantor/staf/{dinkes.pk}/").status_code == 404
    assert client.get("/kantor/staf/999999/").status_code == 404


def test_admin_sees_all_staff_and_no_citizens_in_the_staff_list(
    principal: Any, staff_of_two_agencies: Any, citizens_by_region: Any
):
    user, client = principal("admin")
    user.full_name = "Admin Kominfo"
    user.save()
    expected = sorted(["Admin Kominfo", "Putu PUPR", "Dani Dinkes", "Hana Dinkes", "Oki Operator"])

    assert [u.full_name for u in selectors.staff_list(actor=verified(user))] == expected
    api = client.get("/api/v1/accounts/staff").json()
    assert [s["full_name"] for s in api["items"]] == expected
    hana = next(s for s in api["items"] if s["full_name"] == "Hana Dinkes")
    assert hana["memberships"] == [
        {
            "id": Membership.objects.get(user__full_name="Hana Dinkes").pk,
            "role": "kepala_opd",
            "agency": "dinkes",
            "region_code": "",
        }
    ]


@pytest.mark.parametrize("role", PRINCIPALS)
def test_staff_list_selector_by_role(role: str, principal: Any, staff_of_two_agencies: Any):
    actor = actor_for(role, principal)
    result = list(selectors.staff_list(actor=actor))
    if role == "admin":
        assert len(result) == 5
    elif role == "kepala_opd":
        assert {u.full_name for u in result} == {actor.full_name, "Putu PUPR"}
    else:
        assert result == []


def test_a_revoked_membership_grants_nothing(principal: Any, citizens_by_region: Any):
    user, client = principal("operator_kecamatan")
    Membership.objects.filter(user=user).update(is_active=False)
    assert list(selectors.citizen_list(actor=verified(User.objects.get(pk=user.pk)))) == []
    assert client.get("/kantor/warga/").status_code == 403


def test_a_region_role_without_a_region_reaches_nothing(citizens_by_region: Any):
    user = verified(StaffFactory(role="operator_desa"))
    assert scope_for(actor=user, perm=VIEW_CITIZENS) == Scope(())
    assert list(selectors.citizen_list(actor=user)) == []


def test_two_memberships_add_up(citizens_by_region: Any):
    user = StaffFactory(role="operator_desa", region_code=BAPEANG)
    Membership.objects.create(
        user=user, role=Role.OPERATOR_DESA, region_id=None, region_code=KOTA_BESI_DESA
    )
    assert names(selectors.citizen_list(actor=verified(user))) == [
        "Ani Bapeang",
        "Budi Bapeang",
        "Dodi Kotabesi",
    ]


def test_scope_queryset_agency_grant_on_records_without_agency_matches_nothing(
    agency: Any, citizens_by_region: Any
):
    # A hypothetical agency-scoped holder of VIEW_CITIZENS: citizens have no agency dimension.
    user = verified(StaffFactory(role="kepala_opd", agency=agency))
    user._kc_role_perms = {VIEW_CITIZENS}
    from kotacerdas.accounts import policy

    original = policy.ROLE_PERMISSIONS[Role.KEPALA_OPD]
    policy.ROLE_PERMISSIONS[Role.KEPALA_OPD] = original | {VIEW_CITIZENS}
    try:
        qs = scope_queryset(
            selectors.CitizenProfile.objects.all(),
            actor=user,
            perm=VIEW_CITIZENS,
            region_field="desa_code",
        )
        assert list(qs) == []
    finally:
        policy.ROLE_PERMISSIONS[Role.KEPALA_OPD] = original


# --- Scope.allows -------------------------------------------------------------------------------
def test_scope_allows_a_region_subtree_only():
    scope = Scope((Grant(None, "62.02.06"),))
    assert scope.allows(region_code="62.02.06")
    assert scope.allows(region_code="62.02.06.2006")
    assert not scope.allows(region_code="62.02.060")
    assert not scope.allows(region_code="62.02.01.2003")
    assert not scope.allows(region_code="62.02")
    assert not scope.allows(region_code="")
    assert not scope.everything
    assert not scope.is_empty


def test_scope_allows_an_agency_anywhere_but_not_another_agency():
    scope = Scope((Grant(7, None),))
    assert scope.allows(agency_id=7)
    assert scope.allows(agency_id=7, region_code="62.02.01")
    assert not scope.allows(agency_id=8)
    assert not scope.allows(agency_id=None)


def test_scope_allows_agency_and_region_together():
    scope = Scope((Grant(7, "62.02.06"),))
    assert scope.allows(agency_id=7, region_code="62.02.06.1001")
    assert not scope.allows(agency_id=7, region_code="62.02.01")
    assert not scope.allows(agency_id=8, region_code="62.02.06.1001")


def test_empty_and_regency_wide_scopes():
    assert Scope(()).is_empty
    assert not Scope(()).allows(region_code="62.02.06")
    wide = Scope((Grant(None, None),))
    assert wide.everything
    assert wide.allows(region_code="")
    assert wide.allows(region_code="31.71", agency_id=3)


def test_any_grant_is_enough():
    scope = Scope((Grant(None, "62.02.01"), Grant(None, "62.02.06.2006")))
    assert scope.allows(region_code="62.02.01.2003")
    assert scope.allows(region_code="62.02.06.2006")
    assert not scope.allows(region_code="62.02.06.1001")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_scope_for_each_role(role: str, principal: Any):
    actor = actor_for(role, principal)
    agency_id = AgencyFactory(code="dinas-pupr").pk
    expected = {
        "operator_desa": Scope((Grant(None, BAPEANG),)),
        "kepala_desa": Scope((Grant(None, BAPEANG),)),
        "operator_kecamatan": Scope((Grant(None, "62.02.06"),)),
        "admin": Scope((Grant(None, None),)),
    }.get(role, Scope(()))
    assert scope_for(actor=actor, perm=VIEW_CITIZENS) == expected
    if role == "kepala_opd":
        from kotacerdas.accounts.policy import VIEW_STAFF

        assert scope_for(actor=actor, perm=VIEW_STAFF) == Scope((Grant(agency_id, None),))
