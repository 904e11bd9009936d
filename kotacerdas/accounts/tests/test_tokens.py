"""Personal access tokens: created from a verified session only, shown once, stored as SHA-256;
a bearer token authenticates the API as its owner; malformed, unknown, revoked or expired
tokens are a 401."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kotacerdas.accounts import services
from kotacerdas.accounts.models import ApiToken
from kotacerdas.accounts.tokens import token_well_formed
from kotacerdas.core.models import AuditEvent

from .conftest import counts

pytestmark = pytest.mark.django_db

AUTH_REQUIRED = {
    "error": {"code": "auth.required", "message": "Please sign in or send a valid token."}
}


def verified(user: Any) -> Any:
    user.is_verified = lambda: True
    return user


def bearer(token: str) -> Client:
    return Client(headers={"authorization": f"Bearer {token}"})


@pytest.fixture
def officer_token(principal: Any) -> tuple[Any, str]:
    user, _client = principal("petugas_opd")
    _row, token = services.api_token_create(actor=verified(user), name="integrasi")
    return user, token


def test_page_shows_the_token_once_and_stores_only_its_hash(principal: Any):
    user, client = principal("dispatcher")

    response = client.post("/kantor/token/", data={"name": "SIMRS", "expires_in_days": "30"})

    token = response.context["new_token"]
    html = response.content.decode()
    assert f'<code class="secret" data-testid="new-token">{token}</code>' in html
    assert token_well_formed(token)
    row = ApiToken.objects.get(user=user)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:10]
    assert row.name == "SIMRS"
    # expires_at is computed just before the row's created_at: within a second of 30 days.
    assert abs(row.expires_at - row.created_at - dt.timedelta(days=30)) < dt.timedelta(seconds=1)
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert token not in stored
    event = AuditEvent.objects.get(action="kotacerdas.accounts.token.created")
    assert token not in json.dumps(event.after)
    assert event.after["prefix"] == token[:10]

    again = client.get("/kantor/token/").content.decode()
    assert token not in again
    assert f"<code>{token[:10]}…</code>" in again


def test_api_creates_a_token_from_a_verified_session(principal: Any):
    user, client = principal("admin")
    response = client.post(
        "/api/v1/accounts/tokens",
        data=json.dumps({"name": "dashboard", "expires_in_days": 7}),
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    row = ApiToken.objects.get(user=user)
    assert body == {
        "id": row.pk,
        "name": "dashboard",
        "prefix": body["token"][:10],
        "created_at": body["created_at"],
        "expires_at": body["expires_at"],
        "last_used_at": None,
        "revoked_at": None,
        "token": body["token"],
    }
    assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    listed = client.get("/api/v1/accounts/tokens").json()
    assert [t["id"] for t in listed] == [row.pk]
    assert "token" not in listed[0]


@pytest.mark.parametrize("role", ["anonymous", "unverified", "warga"])
def test_a_token_needs_a_verified_staff_session(role: str, principal: Any):
    _user, client = principal(role)
    if role == "warga":
        client = Client()
        from kotacerdas.accounts.tests.factories import CitizenFactory

        client.force_login(CitizenFactory())
    before = counts()
    response = client.post(
        "/api/v1/accounts/tokens",
        data=json.dumps({"name": "x"}),
        content_type="application/json",
    )
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert counts() == before


def test_token_authenticates_me_and_marks_it_used(officer_token: Any):
    user, token = officer_token
    response = bearer(token).get("/api/v1/accounts/me")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["username"]) == (user.pk, user.username)
    assert ApiToken.objects.get(user=user).last_used_at is not None


def test_an_admins_token_grants_admin_api_access(principal: Any):
    admin, _client = principal("admin")
    _row, token = services.api_token_create(actor=verified(admin), name="ops")
    response = bearer(token).get("/api/v1/accounts/staff")
    assert response.status_code == 200
    assert [s["username"] for s in response.json()["items"]] == [admin.username]


def test_token_cannot_create_or_list_tokens(officer_token: Any):
    _user, token = officer_token
    client = bearer(token)
    before = counts()
    created = client.post(
        "/api/v1/accounts/tokens", data=json.dumps({"name": "x"}), content_type="application/json"
    )
    assert (created.status_code, created.json()) == (401, AUTH_REQUIRED)
    assert client.get("/api/v1/accounts/tokens").status_code == 401
    assert counts() == before


def _expire(token: str) -> None:
    now = timezone.now()
    ApiToken.objects.filter(token_hash=hashlib.sha256(token.encode()).hexdigest()).update(
        created_at=now - dt.timedelta(days=10), expires_at=now - dt.timedelta(seconds=1)
    )


def _revoke(token: str) -> None:
    row = ApiToken.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
    services.api_token_revoke(actor=row.user, token_id=row.pk)


def _deactivate_owner(token: str) -> None:
    row = ApiToken.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
    row.user.is_active = False
    row.user.save()


@pytest.mark.parametrize(
    "spoil",
    ["malformed", "unknown", "revoked", "expired", "owner-deactivated", "empty", "no-prefix"],
)
def test_bad_tokens_are_401(spoil: str, officer_token: Any):
    _user, token = officer_token
    if spoil == "malformed":
        sent = "kc_ ada spasi; dan-tanda!"
    elif spoil == "unknown":
        sent = "kc_" + "A" * 43
    elif spoil == "empty":
        sent = ""
    elif spoil == "no-prefix":
        sent = token[3:]
    else:
        {"revoked": _revoke, "expired": _expire, "owner-deactivated": _deactivate_owner}[spoil](
            token
        )
        sent = token
    response = bearer(sent).get("/api/v1/accounts/me")
    assert (response.status_code, response.json()) == (401, AUTH_REQUIRED)


def test_revoke_through_the_page_and_the_api(principal: Any):
    user, client = principal("dewan")
    row1, token1 = services.api_token_create(actor=verified(user), name="satu")
    row2, token2 = services.api_token_create(actor=verified(user), name="dua")

    assert client.post(f"/kantor/token/{row1.pk}/cabut/")["Location"] == "/kantor/token/"
    assert client.delete(f"/api/v1/accounts/tokens/{row2.pk}").status_code == 204

    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    assert bearer(token1).get("/api/v1/accounts/me").status_code == 401
    assert bearer(token2).get("/api/v1/accounts/me").status_code == 401
    assert AuditEvent.objects.filter(action="kotacerdas.accounts.token.revoked").count() == 2
    # Twice is a 404; so is someone else's token.
    assert client.post(f"/kantor/token/{row1.pk}/cabut/").status_code == 404
    other, _c = principal("admin")
    row3, _t = services.api_token_create(actor=verified(other), name="milik admin")
    assert client.delete(f"/api/v1/accounts/tokens/{row3.pk}").status_code == 404
    assert ApiToken.objects.get(pk=row3.pk).revoked_at is None


def test_token_validation(principal: Any):
    _user, client = principal("admin")
    response = client.post(
        "/api/v1/accounts/tokens",
        data=json.dumps({"name": "x", "expires_in_days": 400}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"expires_in_days": ["Between 1 and 366 days."]}
    response = client.post(
        "/api/v1/accounts/tokens",
        data=json.dumps({"name": "   "}),
        content_type="application/json",
    )
    assert response.json()["error"]["fields"] == {
        "name": ["Enter a name (at most 100 characters)."]
    }
    assert not ApiToken.objects.exists()


def test_pagination_hard_maximum_with_a_token(principal: Any):
    admin, _client = principal("admin")
    _row, token = services.api_token_create(actor=verified(admin), name="ops")
    response = bearer(token).get("/api/v1/accounts/citizens?limit=201")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "validation",
        "message": "Some fields are not valid.",
        "fields": {"limit": ["Must be between 1 and 200."]},
    }
