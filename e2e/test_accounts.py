"""What a person sees: a citizen signing up on a phone, an officer signing in with TOTP, the
language switch."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from e2e.conftest import BROWSER, DESKTOP, PHONE
from kotacerdas.accounts.tests.factories import AgencyFactory, StaffFactory, make_nik

pytestmark = BROWSER

PASSWORD = "Kebun-Sawit-Sampit-2024"


def test_citizen_signs_up_on_a_phone(new_page: Any, screenshot: Any, live_server: Any) -> None:
    nik = make_nik(desa_code="62.02.06.1001", birth_date=dt.date(1990, 1, 1), sex="P", serial=1)
    assert nik.startswith("620206410190")  # kecamatan 62.02.06, day 1 + 40 (a woman), 01, 90
    masked = nik[:4] + "*" * 8 + nik[-4:]  # e.g. 6202********0001
    page = new_page(PHONE)
    page.goto("/akun/daftar/")
    expect(page.locator("input[name=birth_date]")).to_have_attribute("type", "date")
    screenshot(page, "empty")

    page.fill("input[name=nik]", nik)
    page.fill("input[name=full_name]", "Siti Rahmawati")
    page.fill("input[name=birth_date]", "1990-01-01")
    page.select_option("select[name=sex]", "P")
    page.select_option("select[name=desa]", "62.02.06.1001")
    page.fill("input[name=phone]", "081234567890")
    page.fill("input[name=email]", "siti.rahmawati@example.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    screenshot(page, "filled")
    page.locator("form:has(input[name=nik]) [type=submit]").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("body")).to_contain_text("Halo, Siti")
    screenshot(page, "home")

    page.goto("/akun/")
    expect(page.locator("body")).to_contain_text(masked)
    expect(page.locator("body")).not_to_contain_text(nik)
    screenshot(page, "profile")


def test_signup_errors_are_shown_in_indonesian(new_page: Any, screenshot: Any) -> None:
    page = new_page(PHONE)
    page.goto("/akun/daftar/")
    page.fill("input[name=nik]", "12345")
    page.fill("input[name=full_name]", "Budi")
    page.fill("input[name=birth_date]", "1990-01-01")
    page.select_option("select[name=sex]", "L")
    page.select_option("select[name=desa]", "62.02.06.1001")
    page.fill("input[name=phone]", "081234567891")
    page.fill("input[name=email]", "budi@example.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD + "x")
    # The browser's own checks (pattern/minlength) must not hide the server's messages.
    page.evaluate("document.querySelector('form:has(input[name=nik])').noValidate = true")
    page.locator("form:has(input[name=nik]) [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/akun/daftar/$"))
    expect(page.locator("body")).to_contain_text("NIK")
    screenshot(page, "errors")


def totp_now(device: Any) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: Any) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    near = set()
    for offset in (-2, -1, 0, 1, 2):
        totp.time = dt.datetime.now(tz=dt.UTC).timestamp() + offset * device.step
        near.add(totp.token())
    return next(f"{c:06d}" for c in range(123456, 10**6) if c not in near)


def test_officer_signs_in_with_totp(new_page: Any, screenshot: Any, live_server: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    agency = AgencyFactory(
        code="dinas-pupr", short_name="Dinas PUPR", name="Dinas Pekerjaan Umum dan Penataan Ruang"
    )
    officer = StaffFactory(
        role="petugas_opd", agency=agency, username="petugas.pupr", full_name="Rahmat Hidayat"
    )
    officer.set_password(PASSWORD)
    officer.save()
    device = TOTPDevice.objects.get(user=officer, confirmed=True)

    page = new_page(DESKTOP)
    page.goto("/akun/masuk/")
    page.fill("input[name=username]", "petugas.pupr")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page).to_have_url(live_server.url + "/akun/masuk/otp/")
    screenshot(page, "otp")

    page.fill("input[name=otp_token]", wrong_code(device))
    page.locator("form:has(input[name=otp_token]) [type=submit]").click()
    expect(page).to_have_url(live_server.url + "/akun/masuk/otp/")
    expect(page.locator("input[name=otp_token]")).to_be_visible()
    expect(page.locator(".errorlist, [role=alert], .error, .errors").first).to_be_visible()
    screenshot(page, "otp-wrong")

    # django-otp throttles a device for 1 s after a failure (doubling with each further one).
    page.wait_for_timeout(1500)
    page.fill("input[name=otp_token]", totp_now(device))
    page.locator("form:has(input[name=otp_token]) [type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/kantor/$"))
    screenshot(page, "kantor")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_language_switch(new_page: Any, screenshot: Any, viewport: dict[str, int]) -> None:
    page = new_page(viewport)
    page.goto("/")
    sign_in = page.locator("header").get_by_text(re.compile(r"^\s*(Masuk|Sign in)\s*$"))
    expect(sign_in.first).to_have_text(re.compile(r"Masuk"))
    expect(page.locator("html")).to_have_attribute("lang", "id")
    screenshot(page, "id")

    with page.expect_navigation():
        page.select_option("header select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(sign_in.first).to_have_text(re.compile(r"Sign in"))
    screenshot(page, "en")

    with page.expect_navigation():
        page.select_option("header select[name=language]", "id")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(sign_in.first).to_have_text(re.compile(r"Masuk"))
