"""The whole report loop in a phone-sized browser: a citizen files a report with a photo, an
officer verifies and forwards it, the other agency completes it with an "after" photo, the
citizen confirms and rates it, and the public page shows it without personal data.

Officers arrive signed in (a session that passed TOTP, as e2e/test_accounts.py drives through
the sign-in pages); the citizen signs in through the page.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import CitizenFactory, StaffFactory, otp_login
from kotacerdas.reports import services
from kotacerdas.reports.models import Report, Status

from .conftest import BROWSER, DESKTOP, PHONE

pytestmark = BROWSER
PASSWORD = "kata-sandi-rahasia-1"
SAMPIT = {"latitude": -2.5336, "longitude": 112.9500}  # Kelurahan Sawahan, Sampit


@pytest.fixture
def catalogue(db: None, tmp_path: Path) -> None:
    import csv

    settings.MEDIA_ROOT = str(tmp_path / "media")
    with open(Path(settings.BASE_DIR) / "data/agencies/agencies.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            Agency.objects.get_or_create(
                code=row["code"], defaults={"name": row["name"], "short_name": row["short_name"]}
            )
    services.catalogue_import(path=Path(settings.BASE_DIR) / "data/reports/catalogue.json")


def photo(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> Path:
    """A phone photo carrying a GPS position in its EXIF (which must never come out)."""
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"
    exif[0x8825] = {1: "S", 2: (2.0, 32.0, 1.0), 3: "E", 4: (112.0, 57.0, 0.0)}
    path = tmp_path / name
    Image.new("RGB", (1600, 1200), colour).save(path, "JPEG", exif=exif.tobytes())
    return path


def signed_in_page(new_page: Any, live_server: Any, user: Any, viewport: dict[str, int]) -> Any:
    """A page whose browser holds a verified staff session of `user`."""
    client = Client()
    otp_login(client, user)
    page = new_page(viewport)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def wait_status(report: Report, status: str, seconds: float = 15) -> None:
    """The page posted and redirected; the database says where the report is now."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        report.refresh_from_db()
        if report.status == status or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert report.status == status


def overflowing(page: Any) -> list[str]:
    """Elements wider than the viewport (a page must not scroll sideways on a phone)."""
    return page.evaluate(
        """() => {
          const w = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= w) return [];
          return Array.from(document.querySelectorAll('body *'))
            .filter(el => el.getBoundingClientRect().right > w + 1 && !el.closest('.table-scroll, .leaflet-container, .sidenav ul'))
            .slice(0, 5).map(el => el.tagName + '.' + el.className);
        }"""
    )


def jpeg_without_exif(body: bytes) -> bool:
    with Image.open(io.BytesIO(body)) as img:
        return img.format == "JPEG" and len(img.getexif()) == 0


def test_the_whole_report_loop_on_a_phone(
    catalogue: None, new_page: Any, screenshot: Any, live_server: Any, tmp_path: Path
) -> None:
    citizen = CitizenFactory(full_name="Siti Rahmawati", phone="081234567890")
    citizen.set_password(PASSWORD)
    citizen.save()
    pupr = StaffFactory(
        role=Role.PETUGAS_OPD, agency=Agency.objects.get(code="pupr"), full_name="Rahmat PUPR"
    )
    dishub = StaffFactory(
        role=Role.PETUGAS_OPD, agency=Agency.objects.get(code="dishub"), full_name="Dewi Dishub"
    )

    # --- The citizen files a report with a photo, from the phone's location.
    page = new_page(PHONE)
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(SAMPIT)
    page.goto("/akun/masuk/?next=/laporan/baru/")
    page.fill("input[name=username]", citizen.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page).to_have_url(live_server.url + "/laporan/baru/")
    page.fill("[data-category-filter]", "lubang")
    expect(page.locator("#id_category")).to_have_value("jalan-rusak")
    expect(page.locator("[data-attributes-for=jalan-rusak]")).to_be_visible()
    expect(page.locator("[data-attributes-for=lampu-jalan]")).to_be_hidden()
    page.select_option("select[name='attribute[road_size]']", "besar")
    page.fill(
        "textarea[name=description]",
        "Jalan berlubang besar di depan pasar, sudah dua motor jatuh minggu ini.",
    )
    page.locator("[data-pin-locate]").click()
    expect(page.locator("[data-pin-place]")).to_contain_text("Sawahan")
    page.set_input_files("#id_photos", str(photo(tmp_path, "lubang.jpg", (120, 90, 60))))
    screenshot(page, "citizen-form")
    page.locator("#report-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/laporan/\d{4}-\w{6}/$"))
    report = Report.objects.get()
    expect(page.locator("body")).to_contain_text(report.ref)
    assert (report.desa_code, report.agency.code, report.attributes) == (
        "62.02.06.1007",
        "pupr",
        {"road_size": "besar"},
    )
    assert report.photos.count() == 1
    screenshot(page, "citizen-filed")

    # --- The PUPR officer verifies it and forwards it to Dishub (disposisi).
    officer = signed_in_page(new_page, live_server, pupr, PHONE)
    officer.goto("/kantor/laporan/")
    officer.get_by_role("link", name=report.ref).first.click()
    expect(officer).to_have_url(f"{live_server.url}/kantor/laporan/{report.ref}/")
    expect(officer.locator("body")).to_contain_text("Siti Rahmawati")  # not anonymous
    screenshot(officer, "officer-detail")
    officer.locator("#action-verify [type=submit]").click()
    expect(officer.locator("#action-verify")).to_have_count(0)
    wait_status(report, Status.VERIFIED)
    officer.select_option("#action-forward select[name=agency]", "dishub")
    officer.fill("#action-forward textarea[name=note]", "Lampu dan rambu di lokasi: Dishub.")
    officer.locator("#action-forward [type=submit]").click()
    wait_status(report, Status.FORWARDED)
    assert report.agency.code == "dishub"

    # --- The Dishub officer completes it with an "after" photo.
    other = signed_in_page(new_page, live_server, dishub, PHONE)
    other.goto(f"/kantor/laporan/{report.ref}/")
    other.fill("#action-progress textarea[name=message]", "Dijadwalkan perbaikan besok pagi.")
    other.locator("#action-progress [type=submit]").click()
    wait_status(report, Status.IN_PROGRESS)
    other.fill("#action-complete textarea[name=message]", "Lubang sudah ditambal dengan aspal.")
    other.set_input_files(
        "#action-complete input[name=photos]", str(photo(tmp_path, "sesudah.jpg", (60, 60, 60)))
    )
    other.locator("#action-complete [type=submit]").click()
    expect(other.locator("#action-complete")).to_have_count(0)
    wait_status(report, Status.COMPLETED)
    screenshot(other, "officer-completed")
    assert report.photos.filter(stage="after").count() == 1

    # --- The citizen confirms and rates it.
    page.goto(f"/laporan/{report.ref}/")
    expect(page.locator("body")).to_contain_text("Lubang sudah ditambal dengan aspal.")
    page.locator("form[action$='/konfirmasi/'] [type=submit]").click()
    wait_status(report, Status.CLOSED)
    page.locator("label[for=rating-5]").click()
    page.fill("form:has(input[name=rating]) textarea", "Cepat ditangani, terima kasih.")
    page.locator("form:has(input[name=rating]) [type=submit]").click()
    report.refresh_from_db()
    assert (report.status, report.rating) == (Status.CLOSED, 5)
    screenshot(page, "citizen-closed")

    # --- The public sees it, its timeline and its photos, without personal data.
    public = new_page(PHONE)
    public.goto("/laporan/")
    public.get_by_role("link", name=report.title).first.click()
    expect(public).to_have_url(f"{live_server.url}/laporan/{report.ref}/")
    body = public.locator("body")
    for text in ("Dishub", "Lubang sudah ditambal dengan aspal.", "Cepat ditangani"):
        expect(body).to_contain_text(text)
    for private in ("Siti Rahmawati", "081234567890", citizen.email, "Rahmat PUPR", "Dewi Dishub"):
        expect(body).not_to_contain_text(private)
    for img in public.locator("img[src*='/foto/']").all()[:2]:
        response = public.request.get(live_server.url + img.get_attribute("src"))
        assert response.status == 200
        assert jpeg_without_exif(response.body())
    screenshot(public, "public")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_pages_at_phone_and_desktop_width(
    catalogue: None, new_page: Any, screenshot: Any, live_server: Any, viewport: dict[str, int]
) -> None:
    """The module's main pages render without errors at both widths (screenshots to look at)."""
    from kotacerdas.reports import demo

    citizens = [CitizenFactory() for _ in range(3)]
    list(demo.generate(n=60, seed=11, reporters=citizens))
    admin = StaffFactory(role=Role.ADMIN, agency=Agency.objects.get(code="diskominfo"))
    page = new_page(viewport)
    for path, label in (("/laporan/", "list"), ("/aspirasi/", "aspirations")):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert overflowing(page) == []
        screenshot(page, label)
    first = Report.objects.filter(is_confidential=False).exclude(status="ditolak").first()
    assert first is not None
    page.goto(f"/laporan/{first.ref}/")
    expect(page.locator("h1")).to_contain_text(first.title)
    assert overflowing(page) == []
    screenshot(page, "detail")

    staff = signed_in_page(new_page, live_server, admin, viewport)
    for path, label in (
        ("/kantor/laporan/", "queue"),
        ("/kantor/laporan/kinerja/", "performance"),
        ("/kantor/laporan/katalog/", "catalogue"),
        ("/kantor/laporan/agenda/", "agenda"),
        (f"/kantor/laporan/{first.ref}/", "kantor-detail"),
    ):
        staff.goto(path)
        expect(staff.locator("h1")).to_be_visible()
        assert overflowing(staff) == [], path
        screenshot(staff, label)
