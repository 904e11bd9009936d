"""Signing in: citizens with phone or e-mail, staff with password then TOTP (or enrolment),
lockout after wrong passwords, safe redirects, logout."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kotacerdas.accounts import policy
from kotacerdas.accounts.models import User
from kotacerdas.accounts.tests.factories import CitizenFactory, StaffFactory
from kotacerdas.accounts.views import PENDING_KEY
from kotacerdas.core.models import AuditEvent

from .conftest import PASSWORD, counts

pytestmark = pytest.mark.django_db

LOGIN = "/akun/masuk/"
OTP = "/akun/masuk/otp/"
ENROL = "/akun/masuk/otp/daftar/"
WRONG_LOGIN = "The phone/e-mail/username or the password is wrong."
WRONG_CODE = "The code is wrong or has expired. Enter the current 6-digit code."
LOCKED = "Too many wrong passwords. For your safety this sign-in is locked for 30 minutes."


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A code valid at no step within the tolerance window."""
    near = set()
    for offset in range(-2, 3):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time() + offset * device.step
        near.add(f"{totp.token():06d}")
    return next(f"{c:06d}" for c in range(123456, 10**6) if f"{c:06d}" not in near)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def warga() -> User:
    user = CitizenFactory(phone="6281234567890", email="siti@example.test", full_name="Siti Aminah")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def officer(agency: Any) -> User:
    user = StaffFactory(
        role="petugas_opd", agency=agency, username="petugas.pupr", full_name="Rahmat Hidayat"
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, data={"username": username, "password": password, **extra})


# --- Citizens -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "0812-3456-7890",
        "+62 812 3456 7890",
        "+6281234567890",
        "6281234567890",
        "siti@example.test",
        "  Siti@Example.TEST ",
    ],
)
def test_citizen_signs_in_with_phone_in_any_format_or_email(client: Client, warga: User, typed):
    response = sign_in(client, typed)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.session["_auth_user_id"] == str(warga.pk)
    assert client.get("/akun/").status_code == 200
    event = AuditEvent.objects.get(action="kotacerdas.accounts.user.signed_in")
    assert (event.actor_id, event.after) == (warga.pk, {"staff": False})


def test_wrong_password_stays_on_the_page_with_an_error(client: Client, warga: User):
    before = counts()
    response = sign_in(client, "081234567890", "salah-kata-sandi")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [WRONG_LOGIN]
    assert WRONG_LOGIN in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert counts() == before


def test_unknown_user_gets_the_same_error(client: Client, warga: User):
    response = sign_in(client, "081299999999")
    assert response.context["form"].non_field_errors() == [WRONG_LOGIN]


def test_inactive_citizen_cannot_sign_in(client: Client, warga: User):
    warga.is_active = False
    warga.save()
    response = sign_in(client, "081234567890")
    assert response.context["form"].non_field_errors() == [WRONG_LOGIN]
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/akun/", "/akun/"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/steal", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_is_followed_only_within_the_site(client: Client, warga: User, next_url, location):
    response = sign_in(client, "081234567890", next=next_url)
    assert response["Location"] == location


def test_next_in_the_query_string_is_checked_too(client: Client, warga: User):
    response = client.post(
        f"{LOGIN}?next=https://evil.example",
        data={"username": "081234567890", "password": PASSWORD},
    )
    assert response["Location"] == "/"
    page = client.get(f"{LOGIN}?next=https://evil.example")
    assert page.context["next"] == ""
    assert '<input type="hidden" name="next" value="">' in page.content.decode()


# --- Staff: password, then TOTP ---------------------------------------------------------------
def test_staff_password_leads_to_the_otp_page_without_a_session(client: Client, officer: User):
    response = sign_in(client, "petugas.pupr")

    assert (response.status_code, response["Location"]) == (302, OTP)
    assert "_auth_user_id" not in client.session
    pending = client.session[PENDING_KEY]
    assert (pending["user"], pending["tries"], pending["next"]) == (officer.pk, 0, "")
    page = client.get(OTP)
    assert page.status_code == 200
    assert "Rahmat, enter the 6-digit code shown in your authenticator app." in (
        page.content.decode()
    )
    # Not yet signed in: the back office still sends to the sign-in page.
    assert client.get("/kantor/")["Location"] == "/akun/masuk/?next=%2Fkantor%2F"


def test_correct_code_signs_in_for_a_working_day(client: Client, officer: User):
    sign_in(client, "petugas.pupr")
    device = TOTPDevice.objects.get(user=officer)

    response = client.post(OTP, data={"otp_token": code_for(device)})

    assert (response.status_code, response["Location"]) == (302, "/kantor/")
    assert client.session["_auth_user_id"] == str(officer.pk)
    assert PENDING_KEY not in client.session
    assert client.session.get_expiry_age() == django_settings.STAFF_SESSION_AGE == 8 * 3600
    home = client.get("/kantor/")
    assert home.status_code == 200
    assert home.context["user"].is_verified()
    assert home.context["user"].has_perm(policy.BACKOFFICE)
    event = AuditEvent.objects.get(action="kotacerdas.accounts.user.signed_in")
    assert (event.actor_id, event.after) == (officer.pk, {"staff": True})


def test_staff_next_survives_the_otp_step_but_not_to_another_site(client: Client, officer: User):
    sign_in(client, "petugas.pupr", next="/kantor/token/")
    device = TOTPDevice.objects.get(user=officer)
    assert client.post(OTP, data={"otp_token": code_for(device)})["Location"] == "/kantor/token/"

    other = Client()
    sign_in(other, "petugas.pupr", next="https://evil.example/")
    device.refresh_from_db()
    device.last_t = -1  # the same 30-second code may be entered again in this test
    device.save()
    assert other.post(OTP, data={"otp_token": code_for(device)})["Location"] == "/kantor/"


def test_wrong_code_stays_on_the_page(client: Client, officer: User):
    sign_in(client, "petugas.pupr")
    device = TOTPDevice.objects.get(user=officer)

    response = client.post(OTP, data={"otp_token": wrong_code_for(device)})

    assert response.status_code == 200
    assert response.context["form"].errors == {"otp_token": [WRONG_CODE]}
    assert "_auth_user_id" not in client.session
    assert client.session[PENDING_KEY]["tries"] == 1
    # The right code afterwards still works.
    assert client.post(OTP, data={"otp_token": code_for(device)})["Location"] == "/kantor/"


def test_a_code_that_is_not_six_digits_is_a_form_error(client: Client, officer: User):
    sign_in(client, "petugas.pupr")
    response = client.post(OTP, data={"otp_token": "12345"})
    assert response.context["form"].errors == {
        "otp_token": ["Ensure this value has at least 6 characters (it has 5)."]
    }
    assert client.session[PENDING_KEY]["tries"] == 0


def test_five_wrong_codes_go_back_to_the_sign_in_page(client: Client, officer: User):
    sign_in(client, "petugas.pupr")
    device = TOTPDevice.objects.get(user=officer)
    for _ in range(4):
        assert client.post(OTP, data={"otp_token": wrong_code_for(device)}).status_code == 200

    response = client.post(OTP, data={"otp_token": wrong_code_for(device)}, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert messages_of(response) == ["Too many wrong codes. Sign in again."]
    assert PENDING_KEY not in client.session
    assert "_auth_user_id" not in client.session
    # Even the right code is useless now: the password step must be done again.
    again = client.post(OTP, data={"otp_token": code_for(device)})
    assert again["Location"] == LOGIN


def test_django_otp_throttle_answers_without_checking_the_code(
    client: Client, officer: User, settings: Any
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    sign_in(client, "petugas.pupr")
    device = TOTPDevice.objects.get(user=officer)
    client.post(OTP, data={"otp_token": wrong_code_for(device)})

    response = client.post(OTP, data={"otp_token": code_for(device)})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "otp_token": [
            "Too many wrong codes in a row. Wait a few seconds, then enter the current code."
        ]
    }
    assert "_auth_user_id" not in client.session


def test_an_expired_pending_sign_in_goes_back_to_the_login_page(client: Client, officer: User):
    sign_in(client, "petugas.pupr")
    device = TOTPDevice.objects.get(user=officer)
    session = client.session
    session[PENDING_KEY] = {**session[PENDING_KEY], "at": time.time() - 301}
    session.save()

    response = client.post(OTP, data={"otp_token": code_for(device)}, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert messages_of(response) == ["Your sign-in expired. Please sign in again."]
    assert "_auth_user_id" not in client.session
    assert PENDING_KEY not in client.session


def test_otp_page_without_a_password_step_goes_to_login(client: Client):
    assert client.get(OTP)["Location"] == LOGIN
    assert client.get(ENROL)["Location"] == LOGIN


# --- Staff without an authenticator: enrolment ---------------------------------------------------
def test_staff_without_a_device_enrols_then_is_signed_in(client: Client, officer: User):
    TOTPDevice.objects.filter(user=officer).delete()

    assert sign_in(client, "petugas.pupr")["Location"] == ENROL
    page = client.get(ENROL)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=officer)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert not device.confirmed
    assert page.context["secret"] == secret
    assert f'<code class="secret" data-secret="{secret}">{secret}</code>' in html
    assert '<div class="qr" aria-hidden="true"><svg' in html
    # Reloading the page keeps the same secret (the pending device is reused).
    assert client.get(ENROL).context["secret"] == secret

    response = client.post(ENROL, data={"otp_token": code_for(device)})

    assert (response.status_code, response["Location"]) == (302, "/kantor/")
    device = TOTPDevice.objects.get(user=officer)
    assert device.confirmed
    assert client.session["_auth_user_id"] == str(officer.pk)
    assert client.get("/kantor/").status_code == 200
    events = AuditEvent.objects.filter(action__startswith="kotacerdas.accounts.").order_by("id")
    assert list(events.values_list("action", "actor_id", "object_id")) == [
        ("kotacerdas.accounts.otp.enrolled", officer.pk, str(officer.pk)),
        ("kotacerdas.accounts.user.signed_in", officer.pk, str(officer.pk)),
    ]


def test_enrolment_refuses_a_wrong_code(client: Client, officer: User):
    TOTPDevice.objects.filter(user=officer).delete()
    sign_in(client, "petugas.pupr")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=officer)

    response = client.post(ENROL, data={"otp_token": wrong_code_for(device)})

    assert response.status_code == 200
    assert response.context["form"].errors == {"otp_token": ["Wrong or expired code."]}
    device.refresh_from_db()
    assert not device.confirmed
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action__startswith="kotacerdas.accounts.").exists()


def test_enrolment_page_sends_staff_with_a_device_to_the_code_page(client: Client, officer: User):
    sign_in(client, "petugas.pupr")
    assert client.get(ENROL)["Location"] == OTP


# --- Unverified sessions hold nothing ----------------------------------------------------------
def test_an_unverified_staff_session_has_no_staff_permissions(make_staff: Any):
    admin = make_staff("admin")
    client = Client()
    client.force_login(admin)

    response = client.get("/kantor/")

    assert (response.status_code, response["Location"]) == (302, "/akun/masuk/?next=%2Fkantor%2F")
    user = client.get("/akun/").context["user"]
    assert not user.is_verified()
    assert not user.has_perm(policy.BACKOFFICE)
    assert not user.has_perm(policy.MANAGE_STAFF)
    assert user.get_all_permissions() == set()


# --- Lockout after wrong passwords -------------------------------------------------------------
def test_ten_wrong_passwords_lock_the_sign_in(client: Client, warga: User):
    for attempt in range(1, 10):
        response = sign_in(client, "081234567890", f"salah-{attempt}")
        assert response.status_code == 200, attempt
        assert response.context["form"].non_field_errors() == [WRONG_LOGIN]

    tenth = sign_in(client, "081234567890", "salah-10")
    assert tenth.status_code == 429
    eleventh = sign_in(client, "081234567890", PASSWORD)  # even the right password

    assert eleventh.status_code == 429
    html = eleventh.content.decode()
    assert "<h1>Sign-in locked</h1>" in html
    assert LOCKED in html
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="kotacerdas.accounts.user.signed_in").exists()


def test_lockout_cannot_be_dodged_by_typing_the_phone_differently(client: Client, warga: User):
    for attempt in range(10):
        sign_in(client, "081234567890", f"salah-{attempt}")

    for typed in ("+6281234567890", "0812 3456 7890", "6281234567890"):
        response = sign_in(client, typed, PASSWORD)
        assert response.status_code == 429, typed
        assert "_auth_user_id" not in client.session


def test_lockout_page_is_in_the_language_of_the_cookie(warga: User):
    client = Client()
    assert client.cookies["django_language"].value == "en"  # as the language switch sets it
    for attempt in range(10):
        sign_in(client, "siti@example.test", f"salah-{attempt}")
    response = sign_in(client, "siti@example.test")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert response["Content-Language"] == "en"


def test_without_a_cookie_a_signed_in_user_gets_their_saved_language(warga: User):
    warga.language = "en"
    warga.save()
    client = Client()
    del client.cookies["django_language"]
    client.force_login(warga)
    assert client.get("/akun/")["Content-Language"] == "en"
    warga.language = "id"
    warga.save()
    assert client.get("/akun/")["Content-Language"] == "id"


def test_staff_lockout_applies_before_the_otp_step(client: Client, officer: User):
    for attempt in range(10):
        sign_in(client, "petugas.pupr", f"salah-{attempt}")
    response = sign_in(client, "petugas.pupr")
    assert response.status_code == 429
    assert PENDING_KEY not in client.session


# --- Logout -----------------------------------------------------------------------------------
def test_logout_is_post_only(citizen_client: Client, citizen: User):
    assert citizen_client.get("/akun/keluar/").status_code == 405
    assert citizen_client.session["_auth_user_id"] == str(citizen.pk)

    response = citizen_client.post("/akun/keluar/")

    assert (response.status_code, response["Location"]) == (302, "/")
    assert "_auth_user_id" not in citizen_client.session


def test_profile_needs_a_session(client: Client):
    assert client.get("/akun/")["Location"] == "/akun/masuk/?next=/akun/"


def test_profile_updates_contact_and_language(citizen_client: Client, citizen: User):
    old_email = citizen.email
    response = citizen_client.post(
        "/akun/", data={"phone": "0812 7777 6666", "email": "BARU@example.test", "language": "en"}
    )
    assert (response.status_code, response["Location"]) == (302, "/akun/")
    assert response.cookies["django_language"].value == "en"
    citizen.refresh_from_db()
    assert (citizen.phone, citizen.email, citizen.language) == (
        "6281277776666",
        "baru@example.test",
        "en",
    )
    event = AuditEvent.objects.get(action="kotacerdas.accounts.user.contact_updated")
    assert event.before == {"phone": None, "email": old_email, "language": "id"}
    assert event.after == {"phone": "6281277776666", "email": "baru@example.test", "language": "en"}
