"""The back office: one role matrix per restricted page (refused writes change nothing), the
administrator's staff and agency flows with their audit events, the audit trail page, and the
query budgets of the list pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kotacerdas.accounts.models import Agency, ApiToken, Membership, User
from kotacerdas.accounts.tests.factories import (
    ALL_ROLES,
    AgencyFactory,
    CitizenFactory,
    StaffFactory,
)
from kotacerdas.core.models import AuditEvent

from .conftest import BAPEANG, MBK, PASSWORD, PRINCIPALS, counts

pytestmark = pytest.mark.django_db

STAFF_ROLES = [r for r in ALL_ROLES if r != "warga"]
ALLOWED_GET = {
    "/kantor/": set(STAFF_ROLES),
    "/kantor/staf/": {"kepala_opd", "admin"},
    "/kantor/staf/baru/": {"admin"},
    "/kantor/opd/": {"admin"},
    "/kantor/opd/baru/": {"admin"},
    "/kantor/warga/": {"operator_desa", "kepala_desa", "operator_kecamatan", "admin"},
    "/kantor/audit/": {"admin"},
    "/kantor/token/": set(STAFF_ROLES),
}


def login_redirect(path: str) -> str:
    from urllib.parse import urlencode

    return f"/akun/masuk/?{urlencode({'next': path})}"


def accounts_events() -> Any:
    return AuditEvent.objects.filter(action__startswith="kotacerdas.accounts.").order_by("id")


# --- Role matrix: pages -------------------------------------------------------------------------
@pytest.mark.parametrize("role", PRINCIPALS)
@pytest.mark.parametrize("path", list(ALLOWED_GET))
def test_page_role_matrix(path: str, role: str, principal: Any):
    _user, client = principal(role)
    before = counts()

    response = client.get(path)

    if role in ("anonymous", "unverified"):
        assert (response.status_code, response["Location"]) == (302, login_redirect(path))
    elif role in ALLOWED_GET[path]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "You are not allowed to open this page." in response.content.decode()
    assert counts() == before


def _staff_target(agency: Any) -> User:
    return StaffFactory(role="petugas_opd", agency=agency, username="target.pupr", full_name="Tari")


POSTS = {
    "staff-create": (
        "/kantor/staf/baru/",
        lambda t: {
            "username": "baru.staf",
            "full_name": "Staf Baru",
            "email": "",
            "phone": "",
            "password": PASSWORD,
        },
    ),
    "agency-create": (
        "/kantor/opd/baru/",
        lambda t: {
            "code": "bappeda",
            "short_name": "Bappeda",
            "name": "Bappeda",
            "is_active": "on",
        },
    ),
    "membership-grant": (
        "/kantor/staf/{user}/",
        lambda t: {"role": "dispatcher", "agency": "", "region": ""},
    ),
    "membership-revoke": ("/kantor/peran/{membership}/cabut/", lambda t: {}),
    "staff-deactivate": ("/kantor/staf/{user}/aktif/", lambda t: {"active": "0"}),
    "staff-reset-totp": ("/kantor/staf/{user}/reset-otp/", lambda t: {}),
}


@pytest.mark.parametrize("role", PRINCIPALS)
@pytest.mark.parametrize("action", list(POSTS))
def test_write_role_matrix(action: str, role: str, principal: Any, agency: Any):
    target = _staff_target(agency)
    membership = Membership.objects.get(user=target)
    _user, client = principal(role)
    path_template, data = POSTS[action]
    path = path_template.format(user=target.pk, membership=membership.pk)
    before = counts()
    devices = TOTPDevice.objects.count()

    response = client.post(path, data=data(target))

    if role == "admin":
        assert response.status_code == 302, response.content.decode()[:2000]
        assert counts() != before or TOTPDevice.objects.count() != devices
        return
    if role in ("anonymous", "unverified"):
        assert (response.status_code, response["Location"]) == (302, login_redirect(path))
    else:
        assert response.status_code == 403
    assert counts() == before
    assert TOTPDevice.objects.count() == devices
    assert not User.objects.filter(username="baru.staf").exists()
    assert not Agency.objects.filter(code="bappeda").exists()


@pytest.mark.parametrize("role", PRINCIPALS)
def test_token_create_role_matrix(role: str, principal: Any):
    _user, client = principal(role)
    before = ApiToken.objects.count()
    response = client.post("/kantor/token/", data={"name": "integrasi", "expires_in_days": "30"})
    if role in STAFF_ROLES:
        assert response.status_code == 200
        assert ApiToken.objects.count() == before + 1
    else:
        assert response.status_code == (302 if role in ("anonymous", "unverified") else 403)
        assert ApiToken.objects.count() == before


# --- Administrator flows -----------------------------------------------------------------------
@pytest.fixture
def admin_client(principal: Any) -> tuple[User, Client]:
    user, client = principal("admin")
    user.full_name = "Admin Kominfo"
    user.save()
    return user, client


def test_admin_creates_staff_then_grants_revokes_deactivates_and_resets(
    admin_client: Any, agency: Any
):
    admin, client = admin_client

    # 1. Create.
    response = client.post(
        "/kantor/staf/baru/",
        data={
            "username": "Budi.Santoso",
            "full_name": "  Budi   Santoso ",
            "email": "Budi@Example.test",
            "phone": "0812 3333 4444",
            "password": PASSWORD,
        },
    )
    budi = User.objects.get(username="budi.santoso")
    assert (response.status_code, response["Location"]) == (302, f"/kantor/staf/{budi.pk}/")
    assert (budi.full_name, budi.email, budi.phone) == (
        "Budi Santoso",
        "budi@example.test",
        "6281233334444",
    )
    assert budi.check_password(PASSWORD)
    created = accounts_events().get(action="kotacerdas.accounts.staff.created")
    assert (created.actor_id, created.object_id, created.before, created.after) == (
        admin.pk,
        str(budi.pk),
        None,
        {
            "username": "budi.santoso",
            "full_name": "Budi Santoso",
            "email": "budi@example.test",
            "phone": "6281233334444",
        },
    )
    # A new account has no role yet, but the administrator can open it.
    page = client.get(f"/kantor/staf/{budi.pk}/")
    assert page.status_code == 200
    assert "No roles yet." in page.content.decode()

    # 2. Grant.
    response = client.post(
        f"/kantor/staf/{budi.pk}/", data={"role": "operator_desa", "agency": "", "region": BAPEANG}
    )
    assert (response.status_code, response["Location"]) == (302, f"/kantor/staf/{budi.pk}/")
    membership = Membership.objects.get(user=budi)
    assert (membership.role, membership.region.code, membership.region_code, membership.agency) == (
        "operator_desa",
        BAPEANG,
        BAPEANG,
        None,
    )
    granted = accounts_events().get(action="kotacerdas.accounts.membership.granted")
    assert (granted.object_type, granted.object_id, granted.region_code, granted.before) == (
        "accounts.membership",
        str(membership.pk),
        BAPEANG,
        None,
    )
    assert granted.after == {
        "user": budi.pk,
        "role": "operator_desa",
        "agency": None,
        "region_code": BAPEANG,
        "is_active": True,
    }
    assert granted.object_repr == f"Village operator · {BAPEANG}"

    # The same role again is refused.
    before = counts()
    response = client.post(
        f"/kantor/staf/{budi.pk}/", data={"role": "operator_desa", "agency": "", "region": BAPEANG}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": ["The user already has this role here."]}
    assert counts() == before

    # 3. Revoke.
    response = client.post(f"/kantor/peran/{membership.pk}/cabut/")
    assert (response.status_code, response["Location"]) == (302, f"/kantor/staf/{budi.pk}/")
    membership.refresh_from_db()
    assert not membership.is_active
    revoked = accounts_events().get(action="kotacerdas.accounts.membership.revoked")
    assert (revoked.before["is_active"], revoked.after["is_active"]) == (True, False)
    # Revoking twice: the membership is no longer active, so it is not found.
    assert client.post(f"/kantor/peran/{membership.pk}/cabut/").status_code == 404

    # Granting it again reactivates the same row, with a before.
    client.post(
        f"/kantor/staf/{budi.pk}/", data={"role": "operator_desa", "agency": "", "region": BAPEANG}
    )
    assert Membership.objects.filter(user=budi).count() == 1
    regranted = accounts_events().filter(action="kotacerdas.accounts.membership.granted").last()
    assert (regranted.before["is_active"], regranted.after["is_active"]) == (False, True)

    # 4. Deactivate.
    response = client.post(f"/kantor/staf/{budi.pk}/aktif/", data={"active": "0"})
    assert (response.status_code, response["Location"]) == (302, f"/kantor/staf/{budi.pk}/")
    budi.refresh_from_db()
    assert not budi.is_active
    deactivated = accounts_events().get(action="kotacerdas.accounts.user.deactivated")
    assert (deactivated.before, deactivated.after) == ({"is_active": True}, {"is_active": False})
    client.post(f"/kantor/staf/{budi.pk}/aktif/", data={"active": "1"})
    budi.refresh_from_db()
    assert budi.is_active
    assert accounts_events().filter(action="kotacerdas.accounts.user.activated").count() == 1

    # 5. Reset the authenticator.
    TOTPDevice.objects.create(user=budi, name="default", confirmed=True)
    response = client.post(f"/kantor/staf/{budi.pk}/reset-otp/")
    assert (response.status_code, response["Location"]) == (302, f"/kantor/staf/{budi.pk}/")
    assert not TOTPDevice.objects.filter(user=budi).exists()
    reset = accounts_events().get(action="kotacerdas.accounts.otp.reset")
    assert (reset.actor_id, reset.object_id) == (admin.pk, str(budi.pk))

    assert list(accounts_events().values_list("action", flat=True)) == [
        "kotacerdas.accounts.staff.created",
        "kotacerdas.accounts.membership.granted",
        "kotacerdas.accounts.membership.revoked",
        "kotacerdas.accounts.membership.granted",
        "kotacerdas.accounts.user.deactivated",
        "kotacerdas.accounts.user.activated",
        "kotacerdas.accounts.otp.reset",
    ]


GRANT_ERRORS = {
    "desa-role-without-region": (
        {"role": "operator_desa", "agency": "", "region": ""},
        {"region": ["This role needs a region."]},
    ),
    "desa-role-with-a-kecamatan": (
        {"role": "operator_desa", "agency": "", "region": MBK},
        {"region": ["This role needs a desa or kelurahan."]},
    ),
    "kepala-desa-with-a-kecamatan": (
        {"role": "kepala_desa", "agency": "", "region": MBK},
        {"region": ["This role needs a desa or kelurahan."]},
    ),
    "kecamatan-role-with-a-desa": (
        {"role": "operator_kecamatan", "agency": "", "region": BAPEANG},
        {"region": ["This role needs a kecamatan."]},
    ),
    "kecamatan-role-without-region": (
        {"role": "operator_kecamatan", "agency": "", "region": ""},
        {"region": ["This role needs a region."]},
    ),
    "agency-role-without-agency": (
        {"role": "petugas_opd", "agency": "", "region": ""},
        {"agency": ["This role needs an agency."]},
    ),
    "unknown-region-code": (
        {"role": "operator_desa", "agency": "", "region": "62.02.06.2999"},
        {"region": ["Unknown region code."]},
    ),
    "not-a-region-code": (
        {"role": "operator_desa", "agency": "", "region": "Bapeang"},
        {"region": ["Unknown region code."]},
    ),
    "unknown-agency": (
        {"role": "petugas_opd", "agency": "tidak-ada", "region": ""},
        {
            "agency": [
                "Select a valid choice. tidak-ada is not one of the available choices.",
            ]
        },
    ),
    "citizen-role-is-not-offered": (
        {"role": "warga", "agency": "", "region": BAPEANG},
        {"role": ["Select a valid choice. warga is not one of the available choices."]},
    ),
}


@pytest.mark.parametrize(("data", "errors"), GRANT_ERRORS.values(), ids=GRANT_ERRORS.keys())
def test_grant_rules(data: dict, errors: dict, admin_client: Any, agency: Any):
    _admin, client = admin_client
    budi = StaffFactory(username="budi")
    before = counts()

    response = client.post(f"/kantor/staf/{budi.pk}/", data=data)

    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert counts() == before


def test_grants_that_fit_the_rules(admin_client: Any, agency: Any):
    _admin, client = admin_client
    budi = StaffFactory(username="budi")
    for data in (
        {"role": "operator_kecamatan", "agency": "", "region": MBK},
        {"role": "petugas_opd", "agency": "dinas-pupr", "region": ""},
        {"role": "kepala_desa", "agency": "", "region": "62.02.06.1001"},
        {"role": "dewan", "agency": "", "region": ""},
    ):
        assert client.post(f"/kantor/staf/{budi.pk}/", data=data).status_code == 302, data
    assert sorted(
        Membership.objects.filter(user=budi).values_list("role", "agency__code", "region_code")
    ) == [
        ("dewan", None, ""),
        ("kepala_desa", None, "62.02.06.1001"),
        ("operator_kecamatan", None, MBK),
        ("petugas_opd", "dinas-pupr", ""),
    ]


def test_admin_cannot_deactivate_themselves_or_drop_their_own_admin_role(admin_client: Any):
    admin, client = admin_client
    before = counts()

    response = client.post(f"/kantor/staf/{admin.pk}/aktif/", data={"active": "0"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "You cannot deactivate your own account."
    ]
    own = Membership.objects.get(user=admin, role="admin")
    response = client.post(f"/kantor/peran/{own.pk}/cabut/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "You cannot remove your own administrator role."
    ]

    admin.refresh_from_db()
    own.refresh_from_db()
    assert admin.is_active
    assert own.is_active
    assert counts() == before


def test_staff_create_refusals(admin_client: Any):
    _admin, client = admin_client
    StaffFactory(username="sudah.ada", email="ada@example.test")
    before = counts()
    cases = [
        ({"username": "sudah.ada"}, {"username": ["This username is taken."]}),
        (
            {"username": "x"},
            {"username": ["3 to 50 characters: lowercase letters, digits, dot, dash, underscore."]},
        ),
        (
            {"email": "ADA@example.test"},
            {"email": ["This e-mail address is already used by another account."]},
        ),
        ({"password": "password123"}, {"password": ["This password is too common."]}),
    ]
    for overrides, errors in cases:
        data = {
            "username": "baru",
            "full_name": "Staf Baru",
            "email": "",
            "phone": "",
            "password": PASSWORD,
        }
        data.update(overrides)
        response = client.post("/kantor/staf/baru/", data=data)
        assert response.status_code == 200
        assert response.context["form"].errors == errors, overrides
    assert counts() == before


def test_admin_creates_and_edits_an_agency(admin_client: Any):
    _admin, client = admin_client
    response = client.post(
        "/kantor/opd/baru/",
        data={
            "code": "Bappeda",
            "short_name": "Bappeda",
            "name": "Badan Perencanaan",
            "is_active": "on",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/kantor/opd/")
    bappeda = Agency.objects.get(code="bappeda")
    created = accounts_events().get(action="kotacerdas.accounts.agency.created")
    assert created.after == {
        "code": "bappeda",
        "name": "Badan Perencanaan",
        "short_name": "Bappeda",
        "is_active": True,
    }

    response = client.post(
        f"/kantor/opd/{bappeda.pk}/",
        data={"code": "bappeda", "short_name": "Bappeda", "name": "Badan Perencanaan Daerah"},
    )
    assert response.status_code == 302
    updated = accounts_events().get(action="kotacerdas.accounts.agency.updated")
    assert (updated.before["name"], updated.after["name"]) == (
        "Badan Perencanaan",
        "Badan Perencanaan Daerah",
    )
    assert (updated.before["is_active"], updated.after["is_active"]) == (True, False)

    before = counts()
    duplicate = client.post(
        "/kantor/opd/baru/", data={"code": "bappeda", "short_name": "B", "name": "B"}
    )
    assert duplicate.context["form"].errors == {"code": ["An agency with this code exists."]}
    assert client.get("/kantor/opd/999999/").status_code == 404
    assert counts() == before


# --- The audit trail page ----------------------------------------------------------------------
def test_audit_trail_reads_as_sentences_and_filters(admin_client: Any, agency: Any):
    admin, client = admin_client
    client.post(
        "/kantor/staf/baru/",
        data={
            "username": "budi",
            "full_name": "Budi Santoso",
            "email": "",
            "phone": "",
            "password": PASSWORD,
        },
    )
    budi = User.objects.get(username="budi")
    client.post(
        f"/kantor/staf/{budi.pk}/", data={"role": "operator_desa", "agency": "", "region": BAPEANG}
    )
    client.post(
        f"/kantor/staf/{budi.pk}/",
        data={"role": "operator_kecamatan", "agency": "", "region": "62.02.01"},
    )
    client.post(f"/kantor/staf/{budi.pk}/aktif/", data={"active": "0"})
    old = AuditEvent.objects.create(
        action="kotacerdas.accounts.agency.imported", actor_label="system"
    )
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))

    def sentences(query: str = "") -> list[str]:
        response = client.get(f"/kantor/audit/?{query}")
        assert response.status_code == 200
        return [
            row["sentence"]
            for row in response.context["rows"]
            if row["event"].action.startswith("kotacerdas.accounts.")
        ]

    assert sentences() == [
        "Admin Kominfo deactivated the account of Budi Santoso",
        "Admin Kominfo granted the role District operator · 62.02.01",
        f"Admin Kominfo granted the role Village operator · {BAPEANG}",
        "Admin Kominfo created the staff account Budi Santoso",
        "system imported the agency list",
    ]
    html = client.get("/kantor/audit/").content.decode()
    assert "Admin Kominfo deactivated the account of Budi Santoso" in html
    assert "<code>is_active</code>: <del>True</del> → <ins>False</ins>" in html

    assert sentences("action=kotacerdas.accounts.membership") == [
        "Admin Kominfo granted the role District operator · 62.02.01",
        f"Admin Kominfo granted the role Village operator · {BAPEANG}",
    ]
    assert sentences(f"object_type=accounts.user&object_id={budi.pk}") == [
        "Admin Kominfo deactivated the account of Budi Santoso",
        "Admin Kominfo created the staff account Budi Santoso",
    ]
    assert sentences("region=62.02.06") == [
        f"Admin Kominfo granted the role Village operator · {BAPEANG}"
    ]
    today = timezone.localdate().isoformat()
    assert sentences(f"since={today}&action=kotacerdas.accounts.agency") == []
    forty_days_ago = (timezone.now() - dt.timedelta(days=40)).date().isoformat()
    assert sentences(f"since={forty_days_ago}&until={forty_days_ago}") == [
        "system imported the agency list"
    ]
    assert sentences(f"actor={admin.pk}&action=kotacerdas.accounts.user") == [
        "Admin Kominfo deactivated the account of Budi Santoso"
    ]
    # A malformed date is ignored rather than an error.
    assert len(sentences("since=kemarin")) == 5


# --- Query budgets -------------------------------------------------------------------------------
def _more_citizens(n: int) -> None:
    for _ in range(n):
        CitizenFactory(identity__desa_code=BAPEANG)


def _more_staff(n: int, agency: Any) -> None:
    for i in range(n):
        StaffFactory(
            role="petugas_opd" if i % 2 else "operator_desa",
            agency=agency if i % 2 else None,
            region_code=None if i % 2 else BAPEANG,
        )


def _more_agencies(n: int) -> None:
    for _ in range(n):
        AgencyFactory()


def _more_events(n: int) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="kotacerdas.accounts.user.signed_in", actor_label="Someone", object_repr="x"
        )
        for _ in range(n)
    )


def _grow(grow: Any, n: int, agency: Any) -> None:
    if grow is _more_staff:
        grow(n, agency)
    else:
        grow(n)


BUDGETS = {
    # session, user, OTP device, memberships, unread notifications + the page's own queries
    "/kantor/warga/": (_more_citizens, 7),  # count, rows (user and desa joined)
    "/kantor/staf/": (_more_staff, 9),  # count, rows, memberships, agencies (prefetched)
    "/kantor/audit/": (_more_events, 7),  # count, rows (actor joined)
    "/kantor/opd/": (_more_agencies, 6),  # rows with the staff count annotated
}


@pytest.mark.parametrize("path", list(BUDGETS))
def test_list_page_query_budget(
    path: str, admin_client: Any, agency: Any, django_assert_num_queries: Any
):
    _admin, client = admin_client
    grow, budget = BUDGETS[path]
    _grow(grow, 3, agency)
    client.get(path)  # warm-up: the session's OTP device, the messages, the caches

    with django_assert_num_queries(budget):
        assert client.get(path).status_code == 200
    _grow(grow, 20, agency)
    with django_assert_num_queries(budget):
        response = client.get(path)
    assert response.status_code == 200
