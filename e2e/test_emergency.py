"""The 119 desk in the browser (issue 5's "done means"): a citizen calls an ambulance from a
phone, the dispatcher sees the call appear on the live board opened before it and sends the
recommended unit with one click, the crew walks its statuses on the phone page, the citizen's
page shows each step, and the response time lands in the performance figures.

pytest-django's live_server is WSGI: a server-sent-event stream would only come back buffered
after minutes (holding a server thread), so the browsers here refuse the stream URLs and the
pages run on their polling fallback (every 5 s: the board and the citizen's page; 10 s: the
crew page) — "keeps working when the stream drops". Nothing is reloaded by the test.

Staff arrive signed in (a session that passed TOTP, as e2e/test_accounts.py drives through the
sign-in pages); the citizen signs in through the page. The browsers ask for English
(django_language=en) so that the assertions read the msgids.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import AgencyFactory, CitizenFactory, otp_login
from kotacerdas.emergency import demo, selectors, services
from kotacerdas.emergency.models import Assignment, Incident, Unit, UnitStatus
from kotacerdas.emergency.tests.conftest import KUALA_KUAYAN, SAMPIT, SAMPIT_DESA, verified

from .conftest import BROWSER, DESKTOP, PHONE

pytestmark = BROWSER
PASSWORD = "kata-sandi-rahasia-1"  # the factories' password
GPS_SAMPIT = {"latitude": SAMPIT[0], "longitude": SAMPIT[1]}  # Kelurahan Sawahan
MENTAWA_BARU_KETAPANG = SAMPIT_DESA[:8]  # 62.02.06
# The event streams (board and caller): refused, so the pages poll (see the module's note).
STREAMS = re.compile(r"^https?://[^/]+/(kantor/119|darurat/[^/]+)/stream/")
POLL_WAIT_MS = 15_000  # a 5 s poll, under load


# --- Fixtures (as kotacerdas/emergency/tests/conftest.py; that directory's conftest does not
# --- reach e2e/) -----------------------------------------------------------------------------
@pytest.fixture
def agencies(db: None) -> dict[str, Agency]:
    with open(Path(settings.BASE_DIR) / "data/agencies/agencies.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            AgencyFactory(code=row["code"], short_name=row["short_name"], name=row["name"])
    return {a.code: a for a in Agency.objects.all()}


@pytest.fixture
def fleet(agencies: dict[str, Agency]) -> dict[str, Unit]:
    """The demo fleet (demo.seed_fleet): ambulances at RSUD dr. Murjani and every puskesmas,
    Damkar trucks at the demo posts."""
    demo.seed_fleet()
    return {u.call_sign: u for u in Unit.objects.select_related("station__agency")}


# --- Helpers -----------------------------------------------------------------------------------
def browser_page(
    new_page: Callable[..., Any],
    live_server: Any,
    viewport: dict[str, int],
    user: Any = None,
    *,
    staff: bool = True,
) -> Any:
    """A page asking for English, with the event streams refused; signed in as `user` when
    given (staff: a session that passed TOTP; a citizen: a password session)."""
    page = new_page(viewport)
    cookies = [{"name": "django_language", "value": "en", "url": live_server.url}]
    if user is not None:
        client = Client()
        if staff:
            otp_login(client, user)
        else:
            client.force_login(user)
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


def with_gps(page: Any, live_server: Any) -> Any:
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(GPS_SAMPIT)
    return page


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


def step(page: Any, key: str) -> Any:
    """One step of the citizen's timeline."""
    return page.locator(f"[data-status-steps] [data-step={key}]")


# --- The whole call ----------------------------------------------------------------------------
def test_a_call_from_a_phone_to_the_figures(
    fleet: dict[str, Unit],
    agencies: dict[str, Agency],
    make_staff: Callable[..., Any],
    new_page: Callable[..., Any],
    screenshot: Any,
    live_server: Any,
) -> None:
    caller = CitizenFactory(full_name="Siti Rahmawati", phone="6281234500001")
    dispatcher = make_staff(Role.DISPATCHER, agency=agencies["dinkes"], full_name="Dewi Desk")

    # --- The dispatcher's board is open before the call: nothing waits.
    desk = browser_page(new_page, live_server, DESKTOP, dispatcher)
    desk.goto("/kantor/119/")
    expect(desk.locator("h1")).to_have_text("119 desk")
    expect(desk.locator("[data-list=waiting] [data-empty]")).to_have_text("No incident is waiting.")
    expect(desk.locator("[data-count=open]")).to_have_text("0")
    expect(desk.locator("[data-count=available]")).to_have_text(
        str(sum(u.status == UnitStatus.AVAILABLE for u in fleet.values()))
    )
    # The stream is refused (WSGI): the board says it polls.
    expect(desk.locator("[data-board-live]")).to_have_attribute("data-state", "polling")

    # --- The citizen opens the ambulance page on a phone, signs in, and taps the big button.
    phone = with_gps(browser_page(new_page, live_server, PHONE), live_server)
    phone.goto("/darurat/ambulans/")
    expect(phone.locator("h1")).to_have_text("Call an ambulance")
    expect(phone.locator("a.emergency-phone")).to_have_attribute("href", "tel:119")
    phone.get_by_role("link", name="Sign in to call with one tap").click()
    phone.fill("input[name=username]", caller.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.locator("form:has(input[name=password]) [type=submit]").click()
    expect(phone).to_have_url(live_server.url + "/darurat/ambulans/")
    # GPS found the caller in Sawahan; the call-back number is the account's.
    expect(phone.locator("[data-call-place]")).to_contain_text("Sawahan")
    expect(phone.locator("[data-call-place]")).to_contain_text("Mentawa Baru Ketapang")
    expect(phone.locator(".emergency-phone-field")).to_contain_text("+6281234500001")
    screenshot(phone, "citizen-call")
    phone.locator("[data-call-button]").click()
    expect(phone).to_have_url(re.compile(re.escape(live_server.url) + r"/darurat/\d{4}-\w{6}/$"))
    incident = Incident.objects.get()
    ref = incident.ref
    assert (incident.caller_id, incident.kind, incident.desa_code, incident.caller_phone) == (
        caller.pk,
        "medis",
        SAMPIT_DESA,
        "6281234500001",
    )
    assert not incident.location_approximate  # the GPS point, not the desa's centre
    expect(phone.locator("h1")).to_contain_text(ref)
    expect(step(phone, "received")).to_have_class(re.compile(r"\bis-done\b"))
    expect(step(phone, "dispatched")).not_to_have_class(re.compile(r"\bis-done\b"))

    # --- The board shows the call without a reload.
    card = desk.locator(f"[data-list=waiting] [data-key='{ref}']")
    expect(card).to_be_visible(timeout=POLL_WAIT_MS)
    expect(card).to_contain_text("Sawahan")
    expect(card).to_contain_text("Mentawa Baru Ketapang")
    expect(desk.locator("[data-count=open]")).to_have_text("1")

    # --- The citizen tells what happened (not conscious) while help is arranged.
    details = phone.locator("form[data-status-form=details]")
    details.locator("textarea[name=details]").fill("Bapak jatuh dari motor, tidak sadar.")
    details.locator("input[name=conscious][value=tidak]").check()
    details.locator("input[name=breathing][value=ya]").check()
    details.locator("[type=submit]").click()
    expect(phone.locator("[data-form-done]")).to_have_text("Thank you. The desk can read it now.")
    wait_until(
        lambda: Incident.objects.filter(pk=incident.pk, priority="merah").exists(),
        "the red priority",
    )
    incident.refresh_from_db()
    assert incident.conscious is False
    recommended = selectors.recommend_units(incident=incident)[0].unit
    assert recommended.capability == "ambulans_paramedis"  # an unconscious patient

    # --- The board updates the card (unconscious, the paramedic ambulance offered); one click.
    expect(card.locator(".tag-danger")).to_have_text("unconscious", timeout=POLL_WAIT_MS)
    offer = card.locator("form[data-board-action=dispatch]")
    expect(offer).to_have_attribute("data-unit", recommended.call_sign, timeout=POLL_WAIT_MS)
    screenshot(desk, "board-call")
    offer.get_by_role("button", name=f"Send {recommended.call_sign}").click()
    wait_until(
        lambda: Assignment.objects.filter(incident=incident, unit=recommended).exists(),
        "the dispatch",
    )
    assignment = Assignment.objects.select_related("destination").get(incident=incident)
    assert assignment.destination is not None
    facility = assignment.destination.name
    active = desk.locator(f"[data-list=active] [data-key='{ref}']")
    expect(active).to_contain_text(recommended.call_sign)
    expect(card).to_have_count(0)
    expect(desk.locator("[data-list=waiting] [data-empty]")).to_be_visible()

    # --- The citizen's page shows the unit on its way.
    expect(step(phone, "dispatched")).to_have_class(
        re.compile(r"\bis-done\b"), timeout=POLL_WAIT_MS
    )
    expect(step(phone, "dispatched")).to_contain_text(f"Unit {recommended.call_sign}")
    expect(phone.locator("[data-status-unit] [data-unit=call_sign]")).to_have_text(
        recommended.call_sign
    )
    expect(phone.locator("[data-status-unit] [data-unit=destination]")).to_have_text(facility)
    screenshot(phone, "citizen-dispatched")

    # --- The crew, on its phone, walks the statuses with the big button.
    crew_user = make_staff(Role.PETUGAS_OPD, agency=recommended.station.agency, full_name="Awak")
    recommended.crew.add(crew_user)
    crew = with_gps(browser_page(new_page, live_server, PHONE, crew_user), live_server)
    crew.goto("/kantor/awak/")
    expect(crew).to_have_url(f"{live_server.url}/kantor/awak/unit/{recommended.pk}/")
    expect(crew.locator("h1")).to_have_text(recommended.call_sign)
    expect(crew.locator("#crew-job-title")).to_contain_text(ref)
    expect(crew.locator(".crew-place")).to_contain_text("Sawahan")
    expect(crew.locator(".crew-details")).to_contain_text("tidak sadar")  # the caller's words
    expect(crew.locator("#crew-destination")).to_contain_text(facility)
    screenshot(crew, "crew-job")

    walk = [
        # (unit status, the big button, the unit's status label, the citizen's step, its text)
        ("diterima", "Accept the job", "Job accepted", None, None),
        ("berangkat", "Depart: en route", "En route", "en_route", "Unit on the way"),
        ("di_lokasi", "Arrived on scene", "On scene", "on_scene", "Unit on scene"),
        (
            "membawa_pasien",
            "Transporting the patient",
            "Transporting patient",
            "transporting",
            f"to {facility}",
        ),
        (
            "tiba_di_faskes",
            "Arrived at the health facility",
            "At health facility",
            "at_facility",
            facility,
        ),
        ("tersedia", "Job done: available", "Available", "closed", "Closed"),
    ]
    for status, button, label, citizen_step, citizen_text in walk:
        big = crew.locator("form[data-crew-step] .crew-step").first
        expect(big).to_have_text(button)
        big.click()
        expect(crew.locator("#crew-unit-status")).to_have_text(label)
        wait_until(
            lambda s=status: Unit.objects.filter(pk=recommended.pk, status=s).exists(), status
        )
        if citizen_step is not None:
            done = step(phone, citizen_step)
            expect(done).to_have_class(re.compile(r"\bis-done\b"), timeout=POLL_WAIT_MS)
            expect(done).to_contain_text(citizen_text)
        if status == "di_lokasi":
            screenshot(crew, "crew-on-scene")
    expect(crew.locator(".crew-idle")).to_contain_text("No job now.")

    # --- The citizen's page, never reloaded, shows the whole call closed.
    expect(phone.locator("[data-status-label]")).to_have_text("Closed")
    for key in ("received", "dispatched", "en_route", "on_scene", "at_facility", "closed"):
        expect(step(phone, key)).to_have_class(re.compile(r"\bis-done\b"))
    expect(phone.locator("[data-status-open]").first).to_be_hidden()
    screenshot(phone, "citizen-closed")

    # --- The board lets the incident go and has the unit back.
    expect(active).to_have_count(0, timeout=POLL_WAIT_MS)
    expect(desk.locator("[data-count=open]")).to_have_text("0")
    unit_row = desk.locator(f"[data-list=units] [data-key='{recommended.pk}']")
    expect(unit_row.locator(".board-ustatus")).to_have_text("Available")

    # --- The response time lands in the figures.
    incident.refresh_from_db()
    assert incident.status == "selesai"
    assert incident.response_seconds is not None
    assert incident.response_seconds == round(
        (incident.on_scene_at - incident.received_at).total_seconds()
    )
    minutes = f"{round(incident.response_seconds / 60, 1):.1f}"  # as the page rounds
    desk.goto("/kantor/119/kinerja/")
    expect(desk.locator("h1")).to_have_text("119 performance")
    row = desk.locator(f"[id='kecamatan-{MENTAWA_BARU_KETAPANG}']")
    expect(row.locator("th")).to_have_text("Mentawa Baru Ketapang")
    expect(row.locator("td").nth(0)).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text(minutes)
    expect(row.locator("td").nth(2)).to_have_text(minutes)  # one call: p90 = median
    expect(desk.locator("#stat-median .stat-value")).to_contain_text(minutes)
    expect(desk.locator("#stat-calls .stat-value")).to_have_text("1")
    expect(desk.locator(f"[id='util-{recommended.call_sign}']")).to_be_visible()
    screenshot(desk, "performance")


# --- Every page at phone and desktop width -----------------------------------------------------
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_119_pages_at_phone_and_desktop_width(
    fleet: dict[str, Unit],
    agencies: dict[str, Agency],
    make_staff: Callable[..., Any],
    new_page: Callable[..., Any],
    screenshot: Any,
    live_server: Any,
    viewport: dict[str, int],
) -> None:
    """No 119 page scrolls sideways (the crew and the callers are on phones; the board and
    the forms must still work on one); screenshots to look at."""
    caller = CitizenFactory(phone="6281234500001")
    dispatcher = verified(make_staff(Role.DISPATCHER, agency=agencies["dinkes"]))
    # One call on its way (dispatched, en route), one waiting far up the river.
    moving, _ = services.incident_call(actor=caller, kind="medis", lat=SAMPIT[0], lng=SAMPIT[1])
    services.incident_add_details(
        actor=caller,
        ref=moving.ref,
        conscious="tidak",
        details="Bapak jatuh dari motor di depan Pasar Mentaya, tidak sadar.",
        address="Depan toko emas, Jl. Ahmad Yani",
    )
    unit = selectors.recommend_units(incident=Incident.objects.get(pk=moving.pk))[0].unit
    services.incident_dispatch(actor=dispatcher, ref=moving.ref, unit_id=unit.pk)
    crew_user = make_staff(Role.PETUGAS_OPD, agency=unit.station.agency)
    unit.crew.add(crew_user)
    for status in ("diterima", "berangkat"):
        services.unit_step(actor=verified(crew_user), unit_id=unit.pk, status=status)
    waiting, _ = services.incident_call(
        actor=CitizenFactory(phone="6281234500002"),
        kind="kebakaran",
        lat=KUALA_KUAYAN[0],
        lng=KUALA_KUAYAN[1],
    )

    def visit(page: Any, path: str, label: str, heading: str) -> None:
        page.goto(path)
        expect(page.locator("h1")).to_contain_text(heading)
        assert overflowing(page) == [], path
        screenshot(page, label)

    citizen = with_gps(
        browser_page(new_page, live_server, viewport, caller, staff=False), live_server
    )
    visit(citizen, "/darurat/ambulans/", "call", "Call an ambulance")
    expect(citizen.locator("[data-call-place]")).to_contain_text("Sawahan")
    assert overflowing(citizen) == []
    visit(citizen, "/darurat/kebakaran/", "fire", "Report a fire")
    visit(citizen, f"/darurat/{moving.ref}/", "status", moving.ref)
    expect(citizen.locator("[data-unit=call_sign]")).to_have_text(unit.call_sign)
    expect(citizen.locator("[data-status-eta]")).to_contain_text("min")
    visit(citizen, "/darurat/saya/", "mine", "My emergency calls")
    expect(citizen.locator("body")).to_contain_text(moving.ref)

    crew = with_gps(browser_page(new_page, live_server, viewport, crew_user), live_server)
    visit(crew, f"/kantor/awak/unit/{unit.pk}/", "crew", unit.call_sign)
    expect(crew.locator(".crew-step").first).to_have_text("Arrived on scene")

    desk = browser_page(new_page, live_server, viewport, dispatcher)
    visit(desk, "/kantor/119/", "board", "119 desk")
    expect(desk.locator(f"[data-list=waiting] [data-key='{waiting.ref}']")).to_be_visible()
    expect(desk.locator(f"[data-list=active] [data-key='{moving.ref}']")).to_contain_text(
        unit.call_sign
    )
    assert overflowing(desk) == []  # after the script rendered the board and its map
    visit(desk, "/kantor/119/panggilan/", "call-form", "Record a phone call")
    visit(desk, f"/kantor/119/insiden/{moving.ref}/", "incident", moving.ref)
    expect(desk.locator("body")).to_contain_text("tidak sadar")  # the desk reads the details
    visit(desk, "/kantor/119/insiden/", "incidents", "Call history")
    visit(desk, "/kantor/119/kinerja/", "performance", "119 performance")
