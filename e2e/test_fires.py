"""Fire detection in the browser (issue 6's "done means"): a BPBD officer imports the real
Kalimantan 2022 FIRMS file and sees Kotim's hotspots and fire events on the map; a fresh
near-real-time file alerts Desa Ujung Pandaran, whose operator, on a phone, sees the alert and
answers the ground check with a photo; the officer's event page shows the answer. A building
sensor's alarm, published on the real MQTT broker, appears on the 119 board already open.

As in e2e/test_emergency.py: live_server is WSGI, so the 119 board's event stream is refused and
the board polls (every 5 s); staff arrive with a session that passed TOTP, except the desa
operator, who signs in on the phone with password and TOTP; the browsers ask for English.
Screenshots of every fire page at 360 and 1280 px are copied to docs/img/fires-<page>-<width>.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from kotacerdas.accounts import crypto
from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import AgencyFactory, otp_login
from kotacerdas.emergency.models import Incident
from kotacerdas.hotspots import selectors, services, signing
from kotacerdas.hotspots.models import (
    AlertStatus,
    Channel,
    CheckResult,
    CheckStatus,
    EventStatus,
    FireAlert,
    FireEvent,
    GroundCheck,
    Hotspot,
    ImportOutcome,
    ImportRun,
    ImportSource,
    MessageChannel,
    MessageOutcome,
    Sensor,
    SensorMessage,
)
from kotacerdas.regions.lookup import locate

from .conftest import BROWSER, DESKTOP, PHONE

pytestmark = BROWSER
PASSWORD = "kata-sandi-rahasia-1"  # the factories' password
DATA = Path(settings.BASE_DIR) / "data" / "hotspots"
KALIMANTAN = DATA / "firms_viirs_snpp_2022_kalimantan.csv"
UJUNG_PANDARAN = "62.02.11.2004"  # Desa Ujung Pandaran, Kecamatan Teluk Sampit
SAMPIT = (-2.5336, 112.9500)  # Kelurahan Sawahan, Kecamatan Mentawa Baru Ketapang
SEASON_2022 = ("2022-01-01", "2022-08-31")
NRT_HEADER = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,"
    "confidence,version,bright_ti5,frp,daynight"
)
# The 119 board's event stream: refused, so the board polls (see the module's note).
STREAMS = re.compile(r"^https?://[^/]+/(kantor/119|darurat/[^/]+)/stream/")
POLL_WAIT_MS = 15_000  # a 5 s poll, under load
DOCS_IMG = Path(settings.BASE_DIR) / "docs" / "img"


# --- Fixtures (as kotacerdas/hotspots/tests/conftest.py; that directory's conftest does not
# --- reach e2e/) -----------------------------------------------------------------------------
@pytest.fixture
def agencies(db: None) -> dict[str, Agency]:
    with open(Path(settings.BASE_DIR) / "data/agencies/agencies.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            AgencyFactory(code=row["code"], short_name=row["short_name"], name=row["name"])
    return {a.code: a for a in Agency.objects.all()}


@pytest.fixture
def mqtt_prefix(settings: Any) -> str:
    """A topic prefix of this test only (parallel workers never see each other's messages),
    set before the listener exists."""
    prefix = f"kce2e/{secrets.token_hex(4)}/sensors"
    settings.MQTT_TOPIC_PREFIX = prefix
    return prefix


@pytest.fixture
def mqtt_listener(mqtt_prefix: str, live_server: Any) -> Iterator[Any]:
    """The real listener (kotacerdas.hotspots.mqtt.Listener) in a thread of this process, on
    the broker at MQTT_URL: its database connection reaches live_server's test database."""
    import os

    from kotacerdas.hotspots.mqtt import Listener

    listener = Listener(client_id=f"kc-e2e-{secrets.token_hex(4)}")
    try:
        listener.start()
    except (OSError, TimeoutError) as exc:
        message = f"no MQTT broker at {settings.MQTT_URL} ({exc}): scripts/ensure-mosquitto.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield listener
    finally:
        listener.stop()


# --- Helpers -----------------------------------------------------------------------------------
def browser_page(
    new_page: Callable[..., Any], live_server: Any, viewport: dict[str, int], user: Any = None
) -> Any:
    """A page asking for English, with the event streams refused; signed in as `user` (a
    session that passed TOTP) when given."""
    page = new_page(viewport)
    cookies = [{"name": "django_language", "value": "en", "url": live_server.url}]
    if user is not None:
        client = Client()
        otp_login(client, user)
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        )
    page.context.add_cookies(cookies)
    page.context.route(STREAMS, lambda route: route.abort())
    return page


def sign_in_with_totp(page: Any, live_server: Any, user: Any) -> None:
    """Through the sign-in pages: password, then the authenticator's code."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.goto("/akun/masuk/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page).to_have_url(live_server.url + "/akun/masuk/otp/")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.fill("input[name=otp_token]", f"{totp.token():0{device.digits}d}")
    page.locator("form:has(input[name=otp_token]) [type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/kantor/$"))


def wait_until(check: Callable[[], bool], what: str, seconds: float = 15) -> None:
    """The page posted; the database says when it landed."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


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


def hotspot_pixels(page: Any) -> int:
    """Pixels of the map's canvas (Leaflet's preferCanvas) painted in a hotspot colour: yellow,
    orange or red (static/src/fires-map.js CONF_COLOURS)."""
    return page.evaluate(
        """() => {
          const colours = [[0xf5, 0xc4, 0x00], [0xf0, 0x7c, 0x00], [0xd0, 0x1c, 0x1c]];
          let n = 0;
          document.querySelectorAll('#fires-map .leaflet-overlay-pane canvas, [data-event-map] .leaflet-overlay-pane canvas').forEach((c) => {
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < data.length; i += 4) {
              if (data[i + 3] < 200) continue;
              if (colours.some(([r, g, b]) => Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 && Math.abs(data[i + 2] - b) < 12)) n++;
            }
          });
          return n;
        }"""
    )


def nrt_file(points: list[tuple[float, float, dt.datetime]], confidence: str = "n") -> bytes:
    """A FIRMS near-real-time (VIIRS 2.0NRT) file; times are written in UTC."""
    rows = [NRT_HEADER]
    for lat, lng, when in points:
        t = when.astimezone(dt.UTC)
        rows.append(
            f"{lat:.6f},{lng:.6f},331.2,0.39,0.36,{t:%Y-%m-%d},{t:%H%M},N,VIIRS,"
            f"{confidence},2.0NRT,291.4,6.3,D"
        )
    return ("\n".join(rows) + "\n").encode()


def fresh_points_in_ujung_pandaran() -> list[tuple[float, float, dt.datetime]]:
    """Two hotspots of the last hours a few tens of metres from one the 2022 import placed in
    Desa Ujung Pandaran (so they are surely in that desa)."""
    known = Hotspot.objects.filter(desa_code=UJUNG_PANDARAN, approximate=False).order_by("pk")
    anchor = known.first()
    assert anchor is not None, "the 2022 import placed no hotspot in Ujung Pandaran"
    now = timezone.now()
    return [
        (anchor.lat + 0.0003, anchor.lng + 0.0002, now - dt.timedelta(hours=3)),  # ~40 m
        (anchor.lat - 0.0002, anchor.lng + 0.0004, now - dt.timedelta(hours=1)),  # ~50 m
    ]


def jpeg(path: Path) -> Path:
    """A photo as a phone takes it: a JPEG with something in it (smoke over a field)."""
    image = Image.new("RGB", (1200, 900), (92, 128, 60))
    draw = ImageDraw.Draw(image)
    for y in range(0, 450, 6):
        shade = 150 + y // 6
        draw.rectangle((0, y, 1199, y + 5), fill=(shade, shade, shade))
    draw.ellipse((500, 520, 700, 640), fill=(230, 90, 20))
    image.save(path, "JPEG", quality=85)
    return path


def docs_screenshot(screenshot: Callable[[Any, str], Path], page: Any, name: str) -> Path:
    """The conftest's full-page screenshot, copied to docs/img/fires-<name>-<width>.png."""
    taken = screenshot(page, name)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    target = DOCS_IMG / f"fires-{name}-{page.viewport_size['width']}.png"
    shutil.copyfile(taken, target)
    return target


def import_bytes(data: bytes, *, name: str, actor: Any = None) -> ImportRun:
    source = ImportSource.UPLOAD if actor is not None else ImportSource.COMMAND
    return services.hotspots_import(
        actor=actor, source=source, upload=io.BytesIO(data), filename=name
    )


# --- From the file to the ground check ---------------------------------------------------------
def test_fire_season_from_file_to_ground_check(
    agencies: dict[str, Agency],
    make_staff: Callable[..., Any],
    new_page: Callable[..., Any],
    screenshot: Any,
    live_server: Any,
    tmp_path: Path,
) -> None:
    officer = make_staff(Role.PETUGAS_OPD, agency=agencies["bpbd"], full_name="Bayu BPBD")
    operator = make_staff(
        Role.OPERATOR_DESA,
        region_code=UJUNG_PANDARAN,
        username="operator.ujungpandaran",
        full_name="Nur Operator",
        email="op.up@example.test",
    )

    # --- The BPBD officer uploads the Kalimantan 2022 archive file through the form.
    desk = browser_page(new_page, live_server, DESKTOP, officer)
    desk.goto("/kantor/karhutla/impor/")
    expect(desk.locator("h1")).to_have_text("Hotspot imports")
    expect(desk.locator("#import-form")).to_be_visible()
    desk.locator("#import-form input[type=file][name=file]").set_input_files(str(KALIMANTAN))
    desk.locator("#import-form").get_by_role("button", name="Import").click()
    expect(desk).to_have_url(
        re.compile(re.escape(live_server.url) + r"/kantor/karhutla/impor/\d+/$")
    )
    run = ImportRun.objects.get()
    assert (run.outcome, run.source, run.actor_id, run.filename) == (
        ImportOutcome.DONE,
        ImportSource.UPLOAD,
        officer.pk,
        KALIMANTAN.name,
    )
    assert run.rows_new == 61
    assert run.events_new > 0
    expect(desk.locator("[data-rows-new]")).to_have_text("61")
    expect(desk.locator("[data-rows-total]")).to_have_text(str(run.rows_total))
    expect(desk.locator("[data-events-new]")).to_have_text(str(run.events_new))
    expect(desk.locator(".fires-run")).to_have_attribute("data-outcome", "selesai")
    expect(desk.locator("body")).to_contain_text("61 new hotspot(s) in the regency")
    assert Hotspot.objects.count() == 61
    # Archive data never alerts anyone.
    assert not FireAlert.objects.exists()

    # --- The map of the 2022 season: events listed, hotspots drawn.
    start, end = SEASON_2022
    season = selectors.map_data(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end))
    assert len(season["hotspots"]) == 61
    assert season["events"]
    desk.goto(f"/kantor/karhutla/?start={start}&end={end}")
    expect(desk.locator("h1")).to_have_text("Fire detection")
    expect(desk.locator(".fires-map-status")).to_contain_text(
        f"{len(season['hotspots'])} hotspot(s) and {len(season['events'])} event(s)"
    )
    expect(desk.locator("#fires-map .leaflet-overlay-pane canvas")).to_have_count(1)
    # Leaflet paints the markers on a canvas (preferCanvas): look for their colours on it.
    wait_until(lambda: hotspot_pixels(desk) > 0, "hotspots drawn on the map", 10)
    rows = desk.locator(".fires-col-events tr[data-ref]")
    expect(rows.first).to_be_visible()
    assert rows.count() == min(100, len(season["events"]))
    expect(
        desk.locator(f".fires-col-events tr[data-desa='{UJUNG_PANDARAN}']").first
    ).to_be_visible()
    expect(desk.locator(f".fires-by-desa tr[data-desa='{UJUNG_PANDARAN}']")).to_be_visible()
    expect(desk.locator(".fires-by-desa tfoot td").last).to_have_text("61")

    # --- A near-real-time file with two fresh hotspots in Ujung Pandaran.
    points = fresh_points_in_ujung_pandaran()
    nrt = tmp_path / "FIRMS_SUOMI_VIIRS_C2_SouthEast_Asia_24h.csv"
    nrt.write_bytes(nrt_file(points))
    desk.goto("/kantor/karhutla/impor/")
    desk.locator("#import-form input[type=file][name=file]").set_input_files(str(nrt))
    desk.locator("#import-form").get_by_role("button", name="Import").click()
    expect(desk).to_have_url(
        re.compile(re.escape(live_server.url) + r"/kantor/karhutla/impor/\d+/$")
    )
    expect(desk.locator("[data-rows-new]")).to_have_text("2")
    expect(desk.locator("[data-events-new]")).to_have_text("1")
    event = FireEvent.objects.get(last_detected_at__gte=timezone.now() - dt.timedelta(days=1))
    assert (event.desa_code, event.status, event.hotspot_count) == (
        UJUNG_PANDARAN,
        EventStatus.NEW,
        2,
    )
    assert event.alertable
    assert event.alerted_at is not None
    # The operator is alerted in the app (and by e-mail through the task queue).
    alerts = FireAlert.objects.filter(event=event, recipient=operator)
    assert {a.channel for a in alerts} >= {Channel.IN_APP, Channel.EMAIL}
    assert alerts.get(channel=Channel.IN_APP).status == AlertStatus.SENT

    # --- The map (latest week, the default) lists the new event; the officer opens it.
    desk.goto("/kantor/karhutla/")
    row = desk.locator(f".fires-col-events tr[data-ref='{event.ref}']")
    expect(row).to_contain_text(event.desa_name)
    expect(row.locator("[data-state]")).to_have_attribute("data-state", "baru")
    expect(desk.locator(".fires-map-status")).to_contain_text("2 hotspot(s) and 1 event(s)")
    row.get_by_role("link", name=event.ref).click()
    expect(desk).to_have_url(f"{live_server.url}/kantor/karhutla/kejadian/{event.ref}/")
    expect(desk.locator("h1")).to_contain_text(event.ref)
    expect(desk.locator("[data-hotspot-count]")).to_have_text("2")
    expect(desk.locator(".fires-event-summary [data-state]")).to_have_attribute(
        "data-state", "baru"
    )
    # The alerts sent are listed on the event.
    expect(desk.locator("#alerts")).to_contain_text("Nur Operator")

    # --- It asks the desa to check on the ground.
    form = desk.locator("#assign-form")
    expect(form.locator("input[name=to][value=desa]")).to_be_checked()
    expect(form.locator("select[name=desa_code]")).to_have_value(UJUNG_PANDARAN)
    form.locator("textarea[name=instructions]").fill("Cek kebun sawit di belakang pantai.")
    form.get_by_role("button", name="Assign the ground check").click()
    expect(desk.locator(".messages")).to_contain_text(
        f"Ground check of {event.ref} assigned to {event.desa_name}"
    )
    expect(desk.locator(".fires-event-summary [data-open-check]")).to_be_visible()
    check = GroundCheck.objects.get(event=event)
    assert (check.status, check.assignee_region_code, check.assigned_by_id) == (
        CheckStatus.ASSIGNED,
        UJUNG_PANDARAN,
        officer.pk,
    )

    # --- The desa operator, on a phone, signs in and sees the alert and the request.
    phone = browser_page(new_page, live_server, PHONE)
    sign_in_with_totp(phone, live_server, operator)
    phone.goto("/notifikasi/")
    expect(phone.locator("h1")).to_have_text("Notifications")
    notes = phone.locator(".notification-list")
    expect(notes).to_contain_text(f"Fire event in {event.desa_name}, {event.kecamatan_name}")
    request_link = notes.get_by_role("link", name=f"Ground check requested: {event.ref}")
    expect(request_link).to_be_visible()
    docs_screenshot(screenshot, phone, "alert")
    request_link.click()
    expect(phone).to_have_url(f"{live_server.url}/kantor/karhutla/cek/{check.pk}/")
    expect(phone.locator("h1")).to_contain_text(event.ref)
    expect(phone.locator("body")).to_contain_text("Cek kebun sawit di belakang pantai.")

    # --- The answer, standing at the fire: "Fire", a photo, a note; the phone's position.
    phone.context.grant_permissions(["geolocation"], origin=live_server.url)
    phone.context.set_geolocation({"latitude": points[1][0], "longitude": points[1][1]})
    phone.reload()
    answer = phone.locator("#answer-form")
    expect(answer.locator("input[name=lat]")).to_have_value(f"{points[1][0]:.6f}")
    # (The big buttons' CSS puts an emoji before the label: "🔥 Fire" and "✓ No fire".)
    answer.get_by_role("radio", name=re.compile(r"^\W*Fire$")).check()
    expect(answer.get_by_role("radio", name=re.compile(r"No fire$"))).not_to_be_checked()
    answer.locator("input[type=file][name=photo]").set_input_files(str(jpeg(tmp_path / "cek.jpg")))
    expect(answer.locator("[data-photo-preview]")).to_be_visible()
    answer.locator("textarea[name=note]").fill(
        "Api kecil di lahan gambut, warga sudah memadamkan sebagian."
    )
    screenshot(phone, "operator-check-form")
    answer.get_by_role("button", name="Send the answer").click()
    wait_until(
        lambda: GroundCheck.objects.filter(pk=check.pk, status=CheckStatus.DONE).exists(),
        "the ground check's answer",
    )
    expect(phone.locator(".messages")).to_contain_text(
        f"Thank you. Your ground check of {event.ref} was sent: Fire."
    )
    # Back on "My ground checks": nothing waits, the answer is listed; it opens with the photo.
    expect(phone).to_have_url(f"{live_server.url}/kantor/karhutla/cek/")
    expect(phone.locator("h1")).to_have_text("My ground checks")
    expect(phone.locator("main")).to_contain_text("No ground check is waiting for you.")
    answered_link = phone.get_by_role("link", name=re.compile(re.escape(event.ref)))
    expect(answered_link).to_have_count(1)
    screenshot(phone, "operator-checks-done")
    answered_link.click()
    expect(phone).to_have_url(f"{live_server.url}/kantor/karhutla/cek/{check.pk}/")
    done = phone.locator("[data-answer]")
    expect(done.locator("[data-result]")).to_have_attribute("data-result", "api")
    expect(done.locator("[data-result]")).to_have_text("Fire")
    expect(done.locator("[data-note]")).to_contain_text("Api kecil di lahan gambut")
    photo = done.locator("img")
    expect(photo).to_be_visible()
    phone.wait_for_function(
        "(el) => el.complete && el.naturalWidth > 0", arg=photo.element_handle()
    )
    expect(phone.locator("#answer-form")).to_have_count(0)
    docs_screenshot(screenshot, phone, "check-answered")

    check.refresh_from_db()
    event.refresh_from_db()
    assert (check.result, check.checked_by_id) == (CheckResult.FIRE, operator.pk)
    assert check.note.startswith("Api kecil")
    assert (round(check.lat, 5), round(check.lng, 5)) == (
        round(points[1][0], 5),
        round(points[1][1], 5),
    )
    assert check.photo
    assert check.thumbnail
    assert (event.status, event.check_result) == (EventStatus.CHECKED, CheckResult.FIRE)
    assert event.checked_at is not None

    # --- The officer's event page shows the answer and the photo.
    desk.reload()
    expect(desk.locator(".fires-event-summary [data-state]")).to_have_attribute(
        "data-state", "dicek_api"
    )
    expect(desk.locator(".fires-event-summary [data-state]")).to_have_text("Ground-checked: fire")
    answered = desk.locator(f"#check-{check.pk}")
    expect(answered).to_have_attribute("data-check-status", "selesai")
    expect(answered.locator("[data-result]")).to_have_attribute("data-result", "api")
    thumb = answered.locator("img")
    expect(thumb).to_be_visible()
    desk.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=thumb.element_handle())
    docs_screenshot(screenshot, desk, "event-checked")


# --- A building sensor's alarm over MQTT --------------------------------------------------------
def test_sensor_alarm_over_mqtt_reaches_the_desk(
    agencies: dict[str, Agency],
    make_staff: Callable[..., Any],
    new_page: Callable[..., Any],
    screenshot: Any,
    live_server: Any,
    mqtt_prefix: str,
    mqtt_listener: Any,
) -> None:
    from kotacerdas.hotspots.mqtt import publish

    code = f"pasar-{secrets.token_hex(3)}"
    secret = signing.new_secret()
    place = locate(*SAMPIT)
    sensor = Sensor.objects.create(
        code=code,
        name="Detektor asap lantai 2",
        building="Pasar Keramat Sampit",
        address="Jl. Ahmad Yani",
        lat=SAMPIT[0],
        lng=SAMPIT[1],
        desa_code=place.desa.code,
        desa_name=place.desa.name,
        kecamatan_code=place.kecamatan.code,
        kecamatan_name=place.kecamatan.name,
        agency_id=agencies["damkar"].pk,
        secret_encrypted=crypto.encrypt(secret),
    )
    dispatcher = make_staff(Role.DISPATCHER, agency=agencies["dinkes"], full_name="Dewi Desk")

    # --- The board is open before the alarm: nothing waits.
    desk = browser_page(new_page, live_server, DESKTOP, dispatcher)
    desk.goto("/kantor/119/")
    expect(desk.locator("h1")).to_have_text("119 desk")
    expect(desk.locator("[data-list=waiting] [data-empty]")).to_be_visible()
    expect(desk.locator("[data-board-live]")).to_have_attribute("data-state", "polling")

    # --- The detector publishes a signed alarm on the real broker.
    published = time.monotonic()
    payload = signing.signed_message(
        secret, code, "alarm", int(time.time()), secrets.token_hex(8), 87.5
    )
    publish(f"{mqtt_prefix}/{code}/alarm", payload)
    wait_until(
        lambda: Incident.objects.filter(sensor_code=code).exists(), "the sensor's incident", 10
    )
    incident = Incident.objects.get(sensor_code=code)
    assert (incident.kind, incident.priority, incident.source, incident.caller_name) == (
        "kebakaran",
        "merah",
        "sensor",
        "Pasar Keramat Sampit",
    )
    log = SensorMessage.objects.get(sensor=sensor)
    assert (log.channel, log.outcome, log.incident_ref) == (
        MessageChannel.MQTT,
        MessageOutcome.ACCEPTED,
        incident.ref,
    )

    # --- The open board shows it at its next poll, without a reload.
    card = desk.locator(f"[data-list=waiting] [data-key='{incident.ref}']")
    expect(card).to_be_visible(timeout=POLL_WAIT_MS)
    waited = time.monotonic() - published
    assert waited < POLL_WAIT_MS / 1000, f"the alarm took {waited:.1f} s to reach the board"
    expect(card).to_contain_text(incident.ref)
    expect(card.locator(".tag-danger", has_text="sensor alarm")).to_be_visible()
    expect(card).to_contain_text("Pasar Keramat Sampit")
    expect(card).to_contain_text(place.desa.name)
    expect(desk.locator("[data-count=open]")).to_have_text("1")
    docs_screenshot(screenshot, desk, "board-sensor-alarm")
    sensor.refresh_from_db()
    assert sensor.online
    assert sensor.last_alarm_at is not None


# --- Every fire page at phone and desktop width ------------------------------------------------
@pytest.fixture
def fire_season(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> dict[str, Any]:
    """The 2022 archive imported by the BPBD officer, a fresh event in Ujung Pandaran with a
    ground check assigned to the desa, and a Damkar building sensor with its message log."""
    officer = make_staff(Role.PETUGAS_OPD, agency=agencies["bpbd"], full_name="Bayu BPBD")
    operator = make_staff(Role.OPERATOR_DESA, region_code=UJUNG_PANDARAN, full_name="Nur Operator")
    officer.is_verified = lambda: True
    import_bytes(KALIMANTAN.read_bytes(), name=KALIMANTAN.name, actor=officer)
    import_bytes(nrt_file(fresh_points_in_ujung_pandaran()), name="nrt_24h.csv", actor=officer)
    event = FireEvent.objects.get(last_detected_at__gte=timezone.now() - dt.timedelta(days=1))
    check = services.check_assign(
        actor=officer,
        ref=event.ref,
        desa_code=UJUNG_PANDARAN,
        instructions="Cek kebun sawit di belakang pantai; temui Pak RT 03.",
    )
    place = locate(*SAMPIT)
    secret = signing.new_secret()
    Sensor.objects.create(
        code="pasar-keramat-01",
        name="Detektor asap lantai 2",
        building="Pasar Keramat Sampit",
        address="Jl. Ahmad Yani",
        lat=SAMPIT[0],
        lng=SAMPIT[1],
        desa_code=place.desa.code,
        desa_name=place.desa.name,
        kecamatan_code=place.kecamatan.code,
        kecamatan_name=place.kecamatan.name,
        agency_id=agencies["damkar"].pk,
        secret_encrypted=crypto.encrypt(secret),
    )
    # Its log: a heartbeat accepted, a message with a wrong signature refused.
    for key in (secret, signing.new_secret()):
        raw = signing.signed_message(
            key, "pasar-keramat-01", "heartbeat", int(time.time()), secrets.token_hex(8)
        )
        services.sensor_message_receive(channel=MessageChannel.HTTP, raw=raw)
    # Sensors are managed by the owner agency's head (Damkar's here).
    damkar_head = make_staff(Role.KEPALA_OPD, agency=agencies["damkar"], full_name="Kepala Damkar")
    return {
        "officer": officer,
        "operator": operator,
        "damkar_head": damkar_head,
        "event": event,
        "check": check,
    }


def refused_file() -> bytes:
    """An NRT file with three bad rows among good ones: the whole file is refused."""
    good = nrt_file([(-2.9, 112.95, timezone.now() - dt.timedelta(hours=2))]).decode()
    lines = good.strip().split("\n")
    lines += [
        "-2.91,abc,331.2,0.39,0.36,2024-08-01,0612,N,VIIRS,n,2.0NRT,291.4,6.3,D",
        "-2.92,112.96,331.2,0.39,0.36,2024-13-45,0612,N,VIIRS,n,2.0NRT,291.4,6.3,D",
        "-2.93,112.97,331.2,0.39,0.36,2024-08-01,0612,N,VIIRS,maybe,2.0NRT,291.4,6.3,D",
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_fire_pages_at_phone_and_desktop_width(
    fire_season: dict[str, Any],
    new_page: Callable[..., Any],
    screenshot: Any,
    live_server: Any,
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    """No fire page scrolls sideways (the desa answers on a phone; the officers may look on
    one too); screenshots for the docs and to look at."""
    event, check = fire_season["event"], fire_season["check"]
    problems: dict[str, list[str]] = {}

    def visit(page: Any, path: str, name: str, heading: str) -> None:
        page.goto(path)
        expect(page.locator("h1")).to_contain_text(heading)
        settle(page)
        problems[name] = overflowing(page)
        docs_screenshot(screenshot, page, name)

    def settle(page: Any) -> None:
        if page.locator("#fires-map, [data-event-map]").count():
            expect(page.locator(".leaflet-container").first).to_be_visible()
            page.wait_for_load_state("networkidle")

    officer = browser_page(new_page, live_server, viewport, fire_season["officer"])
    visit(officer, "/kantor/karhutla/", "map", "Fire detection")
    expect(officer.locator(".fires-map-status")).to_contain_text("2 hotspot(s)")
    start, end = SEASON_2022
    visit(officer, f"/kantor/karhutla/?start={start}&end={end}", "map-2022", "Fire detection")
    expect(officer.locator(".fires-map-status")).to_contain_text("61 hotspot(s)")
    visit(officer, f"/kantor/karhutla/kejadian/{event.ref}/", "event", event.ref)
    expect(officer.locator("[data-open-check]").first).to_be_visible()

    # The imports page with a refused file's per-row report.
    officer.goto("/kantor/karhutla/impor/")
    bad = tmp_path / "firms_bad_rows.csv"
    bad.write_bytes(refused_file())
    officer.locator("#import-form input[type=file][name=file]").set_input_files(str(bad))
    officer.locator("#import-form").get_by_role("button", name="Import").click()
    expect(officer.locator("[role=alert]").first).to_contain_text("The file was refused")
    expect(officer.locator(".fires-row-errors tbody tr")).to_have_count(3)
    problems["import-refused"] = overflowing(officer)
    docs_screenshot(screenshot, officer, "import-refused")
    visit(officer, "/kantor/karhutla/impor/", "imports", "Hotspot imports")
    expect(officer.locator(".fires-runs tr[data-outcome=ditolak]")).to_have_count(1)

    head = browser_page(new_page, live_server, viewport, fire_season["damkar_head"])
    visit(head, "/kantor/karhutla/sensor/", "sensors", "Fire sensors")
    expect(head.locator("tr[data-sensor=pasar-keramat-01]")).to_contain_text("Pasar Keramat")

    operator = browser_page(new_page, live_server, viewport, fire_season["operator"])
    visit(operator, f"/kantor/karhutla/cek/{check.pk}/", "check", event.ref)
    expect(operator.locator("input[type=file][name=photo]")).to_be_attached()

    public = browser_page(new_page, live_server, viewport)
    visit(public, "/titik-panas/", "public-map", "Hotspot map")
    expect(public.locator(".fires-map-status")).to_contain_text("2 hotspot(s) and 1 event(s)")
    # Nothing of the response reaches the public: no instructions, people or photos.
    expect(public.locator("main")).not_to_contain_text("Cek kebun sawit")
    expect(public.locator("main")).not_to_contain_text("Nur Operator")
    expect(public.locator("main img")).to_have_count(0)

    assert {k: v for k, v in problems.items() if v} == {}
