"""Citizen signup through the service, the page and the API: what is stored (and what never
is), and that refused input writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from kotacerdas.accounts import crypto, services
from kotacerdas.accounts.models import CitizenProfile, Membership, Role, User
from kotacerdas.accounts.tests.factories import make_nik
from kotacerdas.core.errors import ValidationFailed
from kotacerdas.core.models import AuditEvent, Notification

from .conftest import BAPEANG, MBK, PASSWORD, counts, signup_data

pytestmark = pytest.mark.django_db

NIK = "6202064101900001"  # a woman born 1 January 1990, registered in Mentawa Baru Ketapang
SIGNUP_URL = "/api/v1/accounts/signup"


def api_payload(**overrides: Any) -> dict[str, Any]:
    data = signup_data()
    payload = {
        "nik": data["nik"],
        "full_name": data["full_name"],
        "birth_date": data["birth_date"].isoformat(),
        "sex": data["sex"],
        "desa": data["desa_code"],
        "phone": data["phone"],
        "email": data["email"],
        "password": data["password"],
    }
    payload.update(overrides)
    return payload


def form_data(**overrides: Any) -> dict[str, Any]:
    payload = api_payload()
    data = {
        "nik": payload["nik"],
        "full_name": payload["full_name"],
        "birth_date": payload["birth_date"],
        "sex": payload["sex"],
        "desa": payload["desa"],
        "kk": "",
        "phone": payload["phone"],
        "email": payload["email"],
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def post_api(client: Client, payload: dict[str, Any]) -> Any:
    return client.post(SIGNUP_URL, data=json.dumps(payload), content_type="application/json")


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def test_signup_data_uses_the_expected_nik():
    assert signup_data()["nik"] == NIK


# --- Success ------------------------------------------------------------------------------------
def test_service_signup_stores_the_nik_encrypted_and_hashed():
    user = services.citizen_signup(**signup_data(nik="6202 0641 0190 0001"))

    user.refresh_from_db()
    assert (user.username, user.full_name, user.phone, user.email, user.language) == (
        "warga.6281234567890",
        "Siti Rahmawati",
        "6281234567890",
        "siti@example.test",
        "id",
    )
    assert user.check_password(PASSWORD)
    profile = CitizenProfile.objects.get(user=user)
    assert profile.nik_encrypted != NIK
    assert crypto.decrypt(profile.nik_encrypted) == NIK
    assert profile.nik_hash == crypto.keyed_hash(NIK, purpose="nik")
    assert (profile.nik_region_prefix, profile.nik_last4) == ("6202", "0001")
    assert profile.nik_masked == "6202********0001"
    assert (profile.birth_date, profile.sex) == (dt.date(1990, 1, 1), "P")
    assert (profile.desa.code, profile.desa_code, profile.kecamatan_code) == (BAPEANG, BAPEANG, MBK)
    assert profile.dukcapil_status == "verified"
    assert profile.dukcapil_checked_at is not None
    assert (profile.kk_encrypted, profile.kk_hash) == ("", "")

    # The digits are nowhere in clear: not in any column of the profile or the user.
    assert NIK not in json.dumps(
        CitizenProfile.objects.filter(pk=profile.pk).values().get(), default=str
    )
    assert NIK not in json.dumps(User.objects.filter(pk=user.pk).values().get(), default=str)

    membership = Membership.objects.get(user=user)
    assert (
        membership.role,
        membership.region_id,
        membership.region_code,
        membership.agency_id,
    ) == (
        Role.WARGA,
        profile.desa_id,
        BAPEANG,
        None,
    )
    assert membership.is_active

    event = AuditEvent.objects.get(action="kotacerdas.accounts.citizen.registered")
    assert (event.actor_id, event.object_type, event.object_id, event.region_code) == (
        user.pk,
        "accounts.user",
        str(user.pk),
        BAPEANG,
    )
    assert event.before is None
    assert event.after == {"nik": "6202********0001", "desa": BAPEANG, "dukcapil": "verified"}
    assert NIK not in json.dumps([event.before, event.after, event.object_repr])

    notification = Notification.objects.get(recipient=user)
    assert (notification.kind, notification.title, notification.body, notification.url) == (
        "accounts.welcome",
        "Welcome to Kota Cerdas",
        "Your account is ready. You can now use the services of the regency.",
        "/",
    )


def test_service_signup_with_kk_stores_it_encrypted():
    user = services.citizen_signup(**signup_data(kk="6202-0601-2345-0001", email=""))
    profile = user.citizen
    assert crypto.decrypt(profile.kk_encrypted) == "6202060123450001"
    assert profile.kk_hash == crypto.keyed_hash("6202060123450001", purpose="kk")
    assert user.email is None


def test_signup_with_email_only_gets_an_email_username():
    user = services.citizen_signup(**signup_data(phone="", email="Siti@Example.TEST"))
    assert (user.username, user.phone, user.email) == (
        "warga.siti@example.test",
        None,
        "siti@example.test",
    )


def test_page_signup_signs_in_and_profile_shows_only_the_masked_nik(client: Client):
    response = client.post("/akun/daftar/", data=form_data(nik="6202 0641 0190 0001"))

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(phone="6281234567890")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.language == "en"  # the language the page was used in

    profile_page = client.get("/akun/")
    html = profile_page.content.decode()
    assert profile_page.status_code == 200
    assert '<dd class="nik" data-testid="nik">6202********0001</dd>' in html
    assert NIK not in html
    assert "6202 0641 0190 0001" not in html
    assert "Siti Rahmawati" in html


def test_api_signup_answers_201_with_the_masked_nik(client: Client):
    response = post_api(client, api_payload(language="en"))

    assert response.status_code == 201
    user = User.objects.get(phone="6281234567890")
    assert response.json() == {
        "id": user.pk,
        "full_name": "Siti Rahmawati",
        "nik_masked": "6202********0001",
        "desa_code": BAPEANG,
        "dukcapil_status": "verified",
    }
    assert NIK not in response.content.decode()
    assert user.language == "en"
    assert "_auth_user_id" not in client.session  # the API registers, it does not sign in


# --- Refused input: nothing written -------------------------------------------------------------
@pytest.fixture
def existing_citizen() -> User:
    return services.citizen_signup(
        **signup_data(phone="0811 1111 1111", email="ada@example.test", full_name="Ada Warga")
    )


REFUSED = {
    "duplicate-nik": (
        {"phone": "081299998888", "email": "baru@example.test"},
        "accounts.nik.duplicate",
        {
            "nik": [
                "This NIK is already registered. Sign in with your account, or contact the "
                "service desk if you did not register it."
            ]
        },
    ),
    "duplicate-phone-other-format": (
        {
            "nik": make_nik(desa_code=BAPEANG, birth_date=dt.date(1990, 1, 1), sex="P", serial=2),
            "phone": "+62 811-1111-1111",
            "email": "baru@example.test",
        },
        "accounts.contact.invalid",
        {"phone": ["This phone number is already used by another account."]},
    ),
    "duplicate-email-other-case": (
        {
            "nik": make_nik(desa_code=BAPEANG, birth_date=dt.date(1990, 1, 1), sex="P", serial=2),
            "phone": "081299998888",
            "email": "ADA@example.TEST",
        },
        "accounts.contact.invalid",
        {"email": ["This e-mail address is already used by another account."]},
    ),
    "unknown-desa": (
        {"desa": "62.02.06.2999"},
        "regions.unknown",
        {"desa": ["Choose a desa or kelurahan from the list."]},
    ),
    "kecamatan-as-desa": (
        {"desa": MBK},
        "regions.unknown",
        {"desa": ["Choose a desa or kelurahan from the list."]},
    ),
    "not-a-region-code": (
        {"desa": "Bapeang"},
        "regions.unknown",
        {"desa": ["Choose a desa or kelurahan from the list."]},
    ),
    "common-password": (
        {"password": "password123"},
        "accounts.password.weak",
        {"password": ["This password is too common."]},
    ),
    "numeric-password": (
        {"password": "5550123987"},
        "accounts.password.weak",
        {"password": ["This password is entirely numeric."]},
    ),
    "password-like-the-phone": (
        {"password": "6281234567890"},
        "accounts.password.weak",
        {
            "password": [
                "The password is too similar to the username.",
                "This password is entirely numeric.",
            ]
        },
    ),
    "short-password": (
        {"password": "Sawit-1"},
        "accounts.password.weak",
        {"password": ["This password is too short. It must contain at least 10 characters."]},
    ),
    "dukcapil-not-found": (
        {"nik": "6202064101909999"},
        "accounts.dukcapil.not_found",
        {"nik": ["Dukcapil has no record of this NIK. Check the number on your KTP."]},
    ),
    "dukcapil-name-mismatch": (
        {"full_name": "Tidak Sesuai Rahmawati"},
        "accounts.dukcapil.mismatch",
        {"nik": ["The name or date of birth does not match Dukcapil's record for this NIK."]},
    ),
    "nik-format": (
        {"nik": "620206410190001"},
        "accounts.nik.format",
        {"nik": ["NIK must be exactly 16 digits."]},
    ),
    "nik-unknown-kecamatan": (
        {"nik": "6202994101900001"},
        "accounts.nik.region",
        {"nik": ["The first 6 digits of the NIK are not a valid region code."]},
    ),
    "nik-sex-mismatch": (
        {"sex": "L"},
        "accounts.nik.sex_mismatch",
        {
            "nik": ["The NIK shows a woman's date (day + 40) but the sex chosen is male."],
            "sex": ["The NIK shows a woman's date (day + 40) but the sex chosen is male."],
        },
    ),
    "nik-birth-date-mismatch": (
        {"birth_date": "1990-01-02"},
        "accounts.nik.birth_date_mismatch",
        {
            "nik": ["The date of birth does not match the date in the NIK."],
            "birth_date": ["The date of birth does not match the date in the NIK."],
        },
    ),
    "no-contact": (
        {"phone": "", "email": ""},
        "accounts.contact.invalid",
        {"phone": ["Give a phone number or an e-mail address, so you can sign in."]},
    ),
    "bad-phone": (
        {"phone": "12345"},
        "accounts.contact.invalid",
        {"phone": ["Enter an Indonesian phone number, e.g. 0812 3456 7890."]},
    ),
    "bad-sex": (
        {"sex": "X"},
        "accounts.sex.invalid",
        {"sex": ["Choose male or female."]},
    ),
    "blank-name": (
        {"full_name": "   "},
        "accounts.name.invalid",
        {"full_name": ["Enter your full name (at most 150 characters)."]},
    ),
}


@pytest.mark.parametrize(("overrides", "code", "fields"), REFUSED.values(), ids=REFUSED.keys())
def test_api_signup_refusals_write_nothing(
    client: Client, existing_citizen: User, overrides: dict, code: str, fields: dict
):
    before = counts()
    response = post_api(client, api_payload(**overrides))

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["fields"]) == (code, fields)
    assert counts() == before


def test_api_refuses_over_long_name_with_field_error(client: Client):
    before = counts()
    response = post_api(client, api_payload(full_name="A" * 151))

    assert response.status_code == 422
    assert error_of(response) == {
        "code": "validation",
        "message": "Some fields are not valid.",
        "fields": {"full_name": ["At most 150 characters."]},
    }
    assert counts() == before


def test_api_refuses_ten_thousand_character_fields(client: Client):
    before = counts()
    huge = "9" * 10_000
    response = post_api(
        client,
        api_payload(nik=huge, full_name="x" * 10_000, email=huge, phone=huge, password=huge),
    )

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation"
    assert error["fields"] == {
        "nik": ["At most 20 characters."],
        "full_name": ["At most 150 characters."],
        "phone": ["At most 20 characters."],
        "email": ["At most 254 characters."],
        "password": ["At most 128 characters."],
    }
    assert counts() == before


def test_api_refuses_a_missing_field(client: Client):
    payload = api_payload()
    del payload["nik"]
    response = post_api(client, payload)
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"nik": ["This field is required."]}


def test_service_refusal_after_the_user_row_rolls_everything_back(existing_citizen: User):
    # The duplicate NIK is found after the new user row is written: the transaction must undo it.
    before = counts()
    with pytest.raises(ValidationFailed) as info:
        services.citizen_signup(**signup_data(phone="081299998888", email="baru@example.test"))
    assert info.value.code == "accounts.nik.duplicate"
    assert counts() == before
    assert not User.objects.filter(phone="6281299998888").exists()


def test_a_nik_typed_with_a_tab_is_still_a_duplicate(existing_citizen: User):
    with pytest.raises(ValidationFailed) as info:
        services.citizen_signup(
            **signup_data(nik="620206\t4101900001", phone="081299998888", email="")
        )
    assert info.value.code == "accounts.nik.duplicate"


def test_page_password_mismatch_writes_nothing(client: Client):
    before = counts()
    response = client.post("/akun/daftar/", data=form_data(password2=PASSWORD + "x"))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"password2": ["The two passwords are not the same."]}
    assert counts() == before
    assert "_auth_user_id" not in client.session


def test_page_shows_service_errors_on_their_fields(client: Client, existing_citizen: User):
    before = counts()
    response = client.post(
        "/akun/daftar/",
        data=form_data(
            phone="081299998888", email="", password1="password123", password2="password123"
        ),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"password1": ["This password is too common."]}
    response = client.post("/akun/daftar/", data=form_data(phone="081299998888", email=""))
    assert response.context["form"].errors == {
        "nik": [
            "This NIK is already registered. Sign in with your account, or contact the service "
            "desk if you did not register it."
        ]
    }
    assert counts() == before


def test_page_refuses_over_long_name(client: Client):
    before = counts()
    response = client.post("/akun/daftar/", data=form_data(full_name="A" * 151))
    assert response.context["form"].errors == {
        "full_name": ["Ensure this value has at most 150 characters (it has 151)."]
    }
    assert counts() == before


def test_signed_in_user_is_sent_home_from_the_signup_page(citizen_client: Client):
    response = citizen_client.get("/akun/daftar/")
    assert (response.status_code, response["Location"]) == (302, "/")


# --- Rate limit ---------------------------------------------------------------------------------
@pytest.fixture
def frozen_ratelimit_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-ratelimit counts in fixed windows; a window edge between two requests would reset
    the count. Its clock (only its own: the module's `time` name) stands still here."""
    import types

    import django_ratelimit.core

    monkeypatch.setattr(
        django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0)
    )


def test_api_signup_is_rate_limited(client: Client, settings: Any, frozen_ratelimit_clock: None):
    settings.RATELIMIT_SIGNUP = "2/m"
    for serial, phone in ((1, "081200000011"), (2, "081200000022")):
        nik = make_nik(desa_code=BAPEANG, birth_date=dt.date(1990, 1, 1), sex="P", serial=serial)
        assert post_api(client, api_payload(nik=nik, phone=phone, email="")).status_code == 201
    before = counts()

    nik = make_nik(desa_code=BAPEANG, birth_date=dt.date(1990, 1, 1), sex="P", serial=3)
    response = post_api(client, api_payload(nik=nik, phone="081200000033", email=""))

    assert response.status_code == 429
    assert error_of(response) == {
        "code": "rate_limited",
        "message": "Too many attempts. Please wait a moment and try again.",
    }
    assert counts() == before


def test_page_signup_is_rate_limited(client: Client, settings: Any, frozen_ratelimit_clock: None):
    settings.RATELIMIT_SIGNUP = "2/m"
    client.post("/akun/daftar/", data=form_data(password2="x"))
    client.post("/akun/daftar/", data=form_data(password2="y"))
    before = counts()

    response = client.post("/akun/daftar/", data=form_data())

    assert response.status_code == 429
    assert "Too many attempts. Please wait a moment and try again." in response.content.decode()
    assert counts() == before


# --- The race: two signups of one NIK at the same moment -------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_signups_of_one_nik_make_one_account(monkeypatch: pytest.MonkeyPatch):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs two concurrent writers; SQLite serialises whole-database writes, so there "
            "is no race to lose (run with DATABASE_URL=postgres://...)"
        )
    # Both signups pass the "is this NIK registered?" look-up before either inserts: the unique
    # index on nik_hash is what must decide.
    barrier = threading.Barrier(2, timeout=10)
    original = crypto.keyed_hash

    def keyed_hash_then_wait(value: str, *, purpose: str) -> str:
        digest = original(value, purpose=purpose)
        if purpose == "nik":
            barrier.wait()
        return digest

    monkeypatch.setattr(crypto, "keyed_hash", keyed_hash_then_wait)
    results: dict[str, Any] = {}

    def sign_up(phone: str) -> None:
        try:
            results[phone] = services.citizen_signup(**signup_data(phone=phone, email=""))
        except Exception as exc:
            results[phone] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=sign_up, args=(p,)) for p in ("081211110001", "081211110002")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [r for r in results.values() if isinstance(r, User)]
    losers = [r for r in results.values() if not isinstance(r, User)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    assert isinstance(losers[0], ValidationFailed), repr(losers[0])
    assert losers[0].code == "accounts.nik.duplicate"
    assert list(User.objects.values_list("pk", flat=True)) == [winners[0].pk]
    assert CitizenProfile.objects.get().user_id == winners[0].pk
    assert Membership.objects.get().user_id == winners[0].pk
    assert AuditEvent.objects.filter(action="kotacerdas.accounts.citizen.registered").count() == 1
