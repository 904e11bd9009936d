"""The citizen's side of the 119 desk: the one-tap call pages (ambulance, fire), the live status
of a call (page, JSON, server-sent events) with its details form and cancel button, and "my
calls". Only the caller sees a call; every other role gets a 404 and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, connections
from django.test import AsyncClient, Client
from django.utils import timezone

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory
from kotacerdas.emergency import services
from kotacerdas.emergency.models import DesaAccess, Incident, IncidentStatus, Unit
from kotacerdas.regions.models import VILLAGE_LEVELS, Region

from .conftest import KUALA_KUAYAN, OUTSIDE_KOTIM, SAMPIT, SAMPIT_DESA

SAMPIT_KECAMATAN = "62.02.06"
REF_RE = r"[0-9]{4}-[2-9A-HJ-NP-Z]{6}"


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def signed_in(user: Any) -> Client:
    client = english(Client())
    client.force_login(user)
    return client


def as_json(client: Client) -> dict[str, str]:
    """Headers of the page script's fetch."""
    return {"HTTP_ACCEPT": "application/json"}


def call_post(**overrides: Any) -> dict[str, Any]:
    return {
        "idempotency_key": str(uuid.uuid4()),
        "lat": str(SAMPIT[0]),
        "lng": str(SAMPIT[1]),
        **overrides,
    }


def main_html(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def alert_texts(html: str) -> list[str]:
    box = re.search(r'<div class="emergency-alert"[^>]*>(.*?)</div>', html, re.S)
    return re.findall(r"<p>(.*?)</p>", box.group(1)) if box else []


def steps_of(html: str) -> list[tuple[str, str]]:
    """(step key, classes) of the status page's steps."""
    return [
        (key, classes.strip())
        for classes, key in re.findall(
            r'<li class="emergency-step([^"]*)" data-step="([a-z_]+)"', html
        )
    ]


def listed_refs(html: str) -> list[str]:
    return re.findall(rf'<li class="emergency-call-row" id="call-({REF_RE})"', html)


@pytest.fixture
def caller_client(caller: Any) -> Client:
    return signed_in(caller)


@pytest.fixture
def dispatched(
    fleet: dict[str, Unit], call: Callable[..., Incident], dispatcher: Any, make_crew: Any
) -> Callable[..., tuple[Incident, Unit, Any]]:
    """dispatched(at=SAMPIT, unit="AMB-01") -> (incident, unit, crew): a citizen's call the
    desk accepted and sent a unit to."""

    def make(at: tuple[float, float] = SAMPIT, unit: str = "AMB-01") -> tuple[Incident, Unit, Any]:
        incident = call("medis", at)
        services.incident_triage(actor=dispatcher, ref=incident.ref, priority="merah")
        services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=fleet[unit].pk)
        incident.refresh_from_db()
        return incident, fleet[unit], make_crew(fleet[unit])

    return make


# --- the call pages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "title"),
    [("/darurat/ambulans/", "Call an ambulance"), ("/darurat/kebakaran/", "Report a fire")],
)
def test_call_page_for_a_visitor_shows_119_and_sign_in(db: None, url: str, title: str) -> None:
    response = english(Client()).get(url)

    assert response.status_code == 200
    html = main_html(response)
    assert f"<h1>{title}</h1>" in html
    assert '<a class="emergency-phone" href="tel:119"' in html
    assert "<strong>119</strong>" in html
    login = "/akun/masuk/?next=" + url.replace("/", "%2F")
    assert f'<a class="button button-block" href="{login}">Sign in to call with one tap</a>' in html
    # No call button without an account.
    assert "data-emergency-call" not in html
    assert "idempotency_key" not in html
    assert "emergency-call.js" not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "button"),
    [("/darurat/ambulans/", "Call an ambulance"), ("/darurat/kebakaran/", "Report a fire")],
)
def test_call_page_for_a_citizen(caller_client: Client, url: str, button: str) -> None:
    first = caller_client.get(url)
    second = caller_client.get(url)

    assert first.status_code == 200
    html = main_html(first)
    assert (
        f'<button type="submit" class="emergency-button" data-call-button>{button}</button>' in html
    )
    assert f'action="{url}"' in html
    # The account's phone, a fresh request key per page view, the desa list for the fallback.
    assert "The desk will call you back at <strong>+6281234500001</strong>." in html
    keys = [
        re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', main_html(r)).group(1)  # type: ignore[union-attr]
        for r in (first, second)
    ]
    assert keys[0] != keys[1]
    assert all(uuid.UUID(k) for k in keys)
    assert f'<option value="{SAMPIT_DESA}">Sawahan</option>' in html
    assert '<optgroup label="Mentawa Baru Ketapang">' in html
    villages = Region.objects.filter(level__in=VILLAGE_LEVELS, code__startswith="62.02.").count()
    assert villages == 185
    assert html.count("<option value=") == villages + 1  # and "choose"
    assert '<a class="button button-ghost" href="tel:119">Call 119</a>' in html
    assert "dist/emergency-call.js" in first.content.decode()


def test_call_page_asks_for_a_phone_when_the_account_has_none(db: None) -> None:
    user = CitizenFactory(phone=None)
    client = signed_in(user)

    html = main_html(client.get("/darurat/ambulans/"))
    assert "Your account has no phone number" in html
    assert '<div class="field required">' in html

    response = client.post("/darurat/ambulans/", call_post())
    assert response.status_code == 422
    assert "Give a phone number the desk can call back." in main_html(response)
    assert not Incident.objects.exists()

    response = client.post("/darurat/ambulans/", call_post(phone="0812 3456 7890"))
    assert response.status_code == 302
    assert Incident.objects.get().caller_phone == "6281234567890"


def test_call_page_query_count(caller_client: Client, django_assert_num_queries: Any) -> None:
    caller_client.get("/darurat/ambulans/")  # the desa list is kept in the process
    # session, user, unread notifications
    with django_assert_num_queries(3):
        assert caller_client.get("/darurat/ambulans/").status_code == 200
    with django_assert_num_queries(0):
        assert english(Client()).get("/darurat/kebakaran/").status_code == 200


def test_five_identical_posts_are_one_call(caller: Any, caller_client: Client) -> None:
    data = call_post()

    responses = [caller_client.post("/darurat/ambulans/", data) for _ in range(5)]

    incident = Incident.objects.get()
    assert incident.caller == caller
    assert incident.kind == "medis"
    assert incident.source == "aplikasi"
    assert str(incident.idempotency_key) == data["idempotency_key"]
    assert (incident.desa_code, incident.desa_name) == (SAMPIT_DESA, "Sawahan")
    assert incident.caller_phone == "6281234500001"
    assert [(r.status_code, r["Location"]) for r in responses] == [
        (302, f"/darurat/{incident.ref}/")
    ] * 5


def test_five_identical_fetches_are_one_call(caller_client: Client) -> None:
    data = call_post()

    responses = [
        caller_client.post("/darurat/kebakaran/", data, **as_json(caller_client)) for _ in range(5)
    ]

    incident = Incident.objects.get()
    assert incident.kind == "kebakaran"
    url = f"/darurat/{incident.ref}/"
    assert [(r.status_code, r.json()) for r in responses] == [
        (201, {"ref": incident.ref, "url": url, "created": True})
    ] + [(200, {"ref": incident.ref, "url": url, "created": False})] * 4


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers (run with DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("emergency-portal-race")
def test_five_taps_at_once_are_one_call(caller: Any) -> None:
    """Five requests with the page's key at the same moment, each on its own connection: the
    unique (caller, key) constraint lets one insert and the others answer with its incident."""
    data = call_post()
    clients = [signed_in(caller) for _ in range(5)]
    barrier = threading.Barrier(len(clients), timeout=10)
    results: list[Any] = [None] * len(clients)

    def tap(i: int) -> None:
        try:
            barrier.wait()
            response = clients[i].post("/darurat/ambulans/", data, HTTP_ACCEPT="application/json")
            results[i] = (response.status_code, response.json()["ref"])
        except Exception as exc:  # pragma: no cover - shown in the assertion below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    incident = Incident.objects.get()
    assert sorted(results) == sorted([(201, incident.ref)] + [(200, incident.ref)] * 4)


def test_a_call_without_a_location_is_refused(caller_client: Client) -> None:
    response = caller_client.post("/darurat/ambulans/", call_post(lat="", lng=""))

    assert response.status_code == 422
    html = main_html(response)
    assert alert_texts(html) == ["Give the location: share GPS, drop a pin or choose the desa."]
    assert '<fieldset class="emergency-location has-error" data-call-location>' in html
    # The same request key comes back, so that the corrected form is still one call.
    sent = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', html)
    assert sent is not None

    fetched = caller_client.post(
        "/darurat/ambulans/", call_post(lat="", lng=""), **as_json(caller_client)
    )
    assert fetched.status_code == 422
    assert fetched.json() == {
        "error": {
            "code": "emergency.location.required",
            "message": "Give the location: share GPS, drop a pin or choose the desa.",
            "fields": {
                "location": ["Give the location: share GPS, drop a pin or choose the desa."]
            },
        }
    }
    assert not Incident.objects.exists()


def test_half_a_point_is_refused(caller_client: Client) -> None:
    response = caller_client.post("/darurat/ambulans/", call_post(lng=""), **as_json(caller_client))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "emergency.location.incomplete"
    assert not Incident.objects.exists()


def test_a_call_outside_kotim_is_refused(caller_client: Client) -> None:
    outside = call_post(lat=str(OUTSIDE_KOTIM[0]), lng=str(OUTSIDE_KOTIM[1]))
    message = "This location is outside Kotawaringin Timur. For emergencies elsewhere, call 112."

    response = caller_client.post("/darurat/ambulans/", outside)

    assert response.status_code == 422
    assert alert_texts(main_html(response)) == [message]
    fetched = caller_client.post("/darurat/ambulans/", outside, **as_json(caller_client))
    assert fetched.status_code == 422
    assert fetched.json()["error"]["code"] == "emergency.location.outside"
    assert fetched.json()["error"]["message"] == message
    assert not Incident.objects.exists()


def test_bad_input_is_a_field_error_not_a_500(caller_client: Client) -> None:
    response = caller_client.post(
        "/darurat/ambulans/", call_post(lat="abc"), **as_json(caller_client)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "emergency.form.invalid"
    assert response.json()["error"]["fields"] == {"lat": ["Enter a number."]}

    response = caller_client.post(
        "/darurat/ambulans/", call_post(desa_code="62.99", lat="", lng="")
    )
    assert response.status_code == 422
    assert "Select a valid choice." in main_html(response)

    response = caller_client.post(
        "/darurat/ambulans/", call_post(idempotency_key="not-a-key"), **as_json(caller_client)
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "emergency.idempotency_key.invalid",
        "message": "The request key is not valid; reload the page.",
    }
    assert not Incident.objects.exists()


def test_a_call_with_only_the_desa_goes_to_its_centre(caller_client: Client) -> None:
    response = caller_client.post(
        "/darurat/ambulans/", call_post(lat="", lng="", desa_code=SAMPIT_DESA)
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/darurat/{incident.ref}/"
    where = services.resolve_location(desa_code=SAMPIT_DESA)
    assert (incident.lat, incident.lng) == (where.lat, where.lng)
    assert (incident.desa_code, incident.kecamatan_code) == (SAMPIT_DESA, SAMPIT_KECAMATAN)


def test_a_visitor_cannot_post_a_call(db: None) -> None:
    client = english(Client())

    response = client.post("/darurat/ambulans/", call_post())
    assert response.status_code == 302
    assert response["Location"] == "/akun/masuk/?next=/darurat/ambulans/"
    fetched = client.post("/darurat/ambulans/", call_post(), **as_json(client))
    assert fetched.status_code == 401
    assert fetched.json()["error"]["code"] == "auth.required"
    assert not Incident.objects.exists()


# --- the status page -----------------------------------------------------------------------------
def test_status_page_of_a_new_call(call: Callable[..., Incident], caller_client: Client) -> None:
    incident = call("medis", SAMPIT)

    response = caller_client.get(f"/darurat/{incident.ref}/")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = main_html(response)
    assert f'<h1>Medical emergency <span class="emergency-ref">{incident.ref}</span></h1>' in html
    assert '<span class="tag tag-info" data-status-label>Received</span>' in html
    # The details form on top, then the steps, then cancelling.
    assert html.index('data-status-form="details"') < html.index("data-status-steps")
    assert html.index("data-status-steps") < html.index('data-status-form="cancel"')
    assert f'action="/darurat/{incident.ref}/rincian/"' in html
    assert "Is the patient conscious?" in html
    assert "Is the patient breathing?" in html
    assert steps_of(html) == [
        ("received", "is-done is-current"),
        ("accepted", ""),
        ("dispatched", ""),
        ("en_route", ""),
        ("on_scene", ""),
        ("transporting", ""),
        ("at_facility", ""),
        ("closed", ""),
    ]
    assert f'data-json-url="/darurat/{incident.ref}/status.json"' in html
    assert f'data-stream-url="/darurat/{incident.ref}/stream/"' in html


def test_status_page_of_a_fire_asks_other_questions(
    call: Callable[..., Incident], caller_client: Client
) -> None:
    incident = call("kebakaran", SAMPIT)

    html = main_html(caller_client.get(f"/darurat/{incident.ref}/"))

    assert "What is burning or what happened?" in html
    assert "How many people are hurt or trapped?" in html
    assert "Is the patient conscious?" not in html
    # A fire truck carries no patient: no transport steps.
    assert [k for k, _c in steps_of(html)] == [
        "received",
        "accepted",
        "dispatched",
        "en_route",
        "on_scene",
        "closed",
    ]


def test_status_json_follows_the_call(
    dispatched: Callable[..., tuple[Incident, Unit, Any]], caller_client: Client
) -> None:
    incident, unit, crew = dispatched()
    url = f"/darurat/{incident.ref}/status.json"

    state = caller_client.get(url).json()
    assert state["ref"] == incident.ref
    assert (state["status"], state["status_label"]) == ("ditugaskan", "Unit dispatched")
    assert state["unit"]["call_sign"] == "AMB-01"
    assert state["unit"]["station"] == unit.station.name
    assert state["eta_fixed"] is False
    minutes = max(1, round(state["eta_seconds"] / 60))
    assert state["eta_text"] == f"arrives in about {minutes} min"
    assert state["can_cancel"] is True
    assert [(s["key"], s["done"], s["current"], s["detail"]) for s in state["timeline"]] == [
        ("received", True, False, ""),
        ("accepted", True, False, ""),
        ("dispatched", True, True, "Unit AMB-01"),
        ("en_route", False, False, f"arrives in about {minutes} min"),
        ("on_scene", False, False, ""),
        ("transporting", False, False, ""),
        ("at_facility", False, False, ""),
        ("closed", False, False, ""),
    ]
    local = timezone.localtime(incident.received_at).strftime("%H:%M")
    assert state["timeline"][0]["time"] == local
    assert state["timeline"][0]["label"] == "Call received"
    # Nothing of the patient or of other callers.
    assert "caller_phone" not in state
    assert "details" not in state

    for step in ["diterima", "berangkat", "di_lokasi", "membawa_pasien"]:
        services.unit_step(actor=crew, unit_id=unit.pk, status=step)
    incident.refresh_from_db()
    destination = incident.assignments.get().destination
    assert destination is not None

    state = caller_client.get(url).json()
    assert state["status"] == "membawa_pasien"
    assert state["eta_seconds"] is None
    assert state["eta_text"] == ""
    assert state["can_cancel"] is False
    assert state["destination"] == destination.name
    assert [(s["key"], s["done"], s["detail"]) for s in state["timeline"]][3:7] == [
        ("en_route", True, ""),
        ("on_scene", True, ""),
        ("transporting", True, f"to {destination.name}"),
        ("at_facility", False, ""),
    ]
    html = main_html(caller_client.get(f"/darurat/{incident.ref}/"))
    assert 'data-status-form="cancel"' not in html  # the crew is with the caller
    assert f'<dd data-unit="destination">{destination.name}</dd>' in html

    for step in ["tiba_di_faskes", "tersedia"]:
        services.unit_step(actor=crew, unit_id=unit.pk, status=step)
    state = caller_client.get(url).json()
    assert (state["status"], state["is_open"]) == ("selesai", False)
    assert [s["key"] for s in state["timeline"] if s["done"]] == [
        "received",
        "accepted",
        "dispatched",
        "en_route",
        "on_scene",
        "transporting",
        "at_facility",
        "closed",
    ]
    assert not any(s["current"] for s in state["timeline"])
    html = main_html(caller_client.get(f"/darurat/{incident.ref}/"))
    assert 'data-status-form="details"' not in html
    assert '<span class="tag tag-ok" data-status-label>Closed</span>' in html


def test_status_shows_a_fixed_river_access_time(
    dispatched: Callable[..., tuple[Incident, Unit, Any]], caller_client: Client, call: Any
) -> None:
    desa = services.resolve_location(lat=KUALA_KUAYAN[0], lng=KUALA_KUAYAN[1]).desa_code
    DesaAccess.objects.create(desa_code=desa, minutes=95, mode="sungai")

    incident, _unit, _crew = dispatched(at=KUALA_KUAYAN, unit="AMB-01")  # from Sampit

    state = caller_client.get(f"/darurat/{incident.ref}/status.json").json()
    assert state["eta_fixed"] is True
    minutes = max(1, round(state["eta_seconds"] / 60))
    assert minutes >= 95
    assert state["eta_text"] == (
        f"about {minutes} min: a fixed access time by river, not a road estimate"
    )
    html = main_html(caller_client.get(f"/darurat/{incident.ref}/"))
    assert f'<p class="emergency-eta" data-status-eta>{state["eta_text"]}</p>' in html


def test_only_the_caller_sees_the_call(
    call: Callable[..., Incident], dispatcher: Any, staff_client: Callable[[Any], Client]
) -> None:
    incident = call("medis", SAMPIT)
    other = signed_in(CitizenFactory())
    desk = english(staff_client(dispatcher))

    for client in (other, desk):
        assert client.get(f"/darurat/{incident.ref}/").status_code == 404
        response = client.get(
            f"/darurat/{incident.ref}/status.json", HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    anonymous = english(Client())
    assert anonymous.get(f"/darurat/{incident.ref}/")["Location"] == (
        f"/akun/masuk/?next=/darurat/{incident.ref}/"
    )
    assert anonymous.get(f"/darurat/{incident.ref}/status.json").status_code == 404
    assert english(Client()).get("/darurat/2611-ZZZZZZ/status.json").status_code == 404


def test_status_query_counts_do_not_grow(
    dispatched: Callable[..., tuple[Incident, Unit, Any]],
    caller_client: Client,
    django_assert_num_queries: Any,
) -> None:
    incident, unit, crew = dispatched()
    page, data = f"/darurat/{incident.ref}/", f"/darurat/{incident.ref}/status.json"
    # session, user, unread notifications, incident, assignments (unit, station,
    # destination), access-time override, latest sequence
    with django_assert_num_queries(7):
        assert caller_client.get(page).status_code == 200
    # session, user, incident, assignments, access-time override, latest sequence
    with django_assert_num_queries(6):
        assert caller_client.get(data).status_code == 200
    # 20 more steps and positions of the unit, 20 more calls of the caller.
    services.unit_step(actor=crew, unit_id=unit.pk, status="diterima")
    for i in range(20):
        services.unit_report_position(
            actor=crew, unit_id=unit.pk, lat=SAMPIT[0] + i * 0.001, lng=SAMPIT[1]
        )
    for i in range(20):
        services.incident_call(
            actor=incident.caller,
            kind="kebakaran" if i % 2 else "medis",
            lat=SAMPIT[0],
            lng=SAMPIT[1],
            idempotency_key=uuid.uuid4(),
            now=timezone.now() + dt.timedelta(minutes=10 * (i + 1)),
        )
    with django_assert_num_queries(7):
        assert caller_client.get(page).status_code == 200
    with django_assert_num_queries(6):
        assert caller_client.get(data).status_code == 200


# --- the live stream -----------------------------------------------------------------------------
def _read_stream(user: Any, url: str, *, then: Callable[[], Any] | None = None) -> dict[str, Any]:
    """Open the stream as `user`: its status, content type and the events it sent (the test's
    database connection is used: async_to_sync runs the view's sync parts on this thread)."""

    async def run() -> dict[str, Any]:
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get(url)
        out: dict[str, Any] = {
            "status": response.status_code,
            "type": response.get("Content-Type"),
            "events": [],
        }
        if response.status_code != 200:
            return out
        async for chunk in response.streaming_content:
            out["events"].append(chunk.decode())
            if then is not None and len(out["events"]) == 1:
                await sync_to_async(then)()
            if len(out["events"]) == (2 if then else 1):
                break
        await response.streaming_content.aclose()
        return out

    return async_to_sync(run)()


def test_stream_sends_the_callers_changes(
    call: Callable[..., Incident], caller: Any, settings: Any
) -> None:
    settings.EMERGENCY_STREAM_POLL_SECONDS = 0.02
    settings.EMERGENCY_STREAM_MAX_SECONDS = 5
    incident = call("medis", SAMPIT)
    from kotacerdas.emergency import selectors

    seq = selectors.latest_seq()

    out = _read_stream(
        caller,
        f"/darurat/{incident.ref}/stream/",
        then=lambda: services.incident_add_details(actor=caller, ref=incident.ref, breathing="ya"),
    )

    assert out["status"] == 200
    assert out["type"] == "text/event-stream"
    assert out["events"][0] == (
        f'retry: 3000\nid: {seq}\nevent: change\ndata: {{"seq": {seq}}}\n\n'
    )
    new = selectors.latest_seq()
    assert new > seq
    assert out["events"][1] == (
        f"id: {new}\nevent: change\n"
        f"data: {json.dumps({'seq': new, 'incidents': [incident.pk], 'units': []})}\n\n"
    )


def test_stream_is_only_for_the_caller(
    call: Callable[..., Incident], dispatcher: Any, settings: Any
) -> None:
    settings.EMERGENCY_STREAM_MAX_SECONDS = 0.1
    incident = call("medis", SAMPIT)

    for user in (CitizenFactory(), dispatcher):
        out = _read_stream(user, f"/darurat/{incident.ref}/stream/")
        assert out["status"] == 404
    response = english(Client()).get(f"/darurat/{incident.ref}/stream/")
    assert response.status_code == 404


# --- details -------------------------------------------------------------------------------------
def test_details_form(call: Callable[..., Incident], caller_client: Client) -> None:
    incident = call("medis", SAMPIT)
    url = f"/darurat/{incident.ref}/rincian/"

    response = caller_client.post(
        url,
        {
            "details": "Bapak jatuh dari tangga, kepala berdarah.",
            "patients_count": "1",
            "conscious": "tidak",
            "breathing": "ya",
            "address": "Rumah kuning belakang masjid",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/darurat/{incident.ref}/"
    incident.refresh_from_db()
    assert (incident.patients_count, incident.conscious, incident.breathing) == (1, False, True)
    assert incident.address == "Rumah kuning belakang masjid"
    assert incident.priority == "merah"  # not conscious
    assert incident.details_encrypted
    assert "Bapak" not in incident.details_encrypted
    page = caller_client.get(f"/darurat/{incident.ref}/")
    html = main_html(page)
    assert "Thank you. The desk can read your answers now." in page.content.decode()
    assert '<h2 id="details-title">Add more details</h2>' in html
    assert "Bapak jatuh" not in html  # the caller's words are health data: not echoed back

    fetched = caller_client.post(url, {"patients_count": "2"}, **as_json(caller_client))
    assert fetched.status_code == 200
    assert fetched.json() == {"ref": incident.ref, "details_given": True}
    incident.refresh_from_db()
    assert incident.patients_count == 2
    assert incident.conscious is False


def test_details_form_refusals(call: Callable[..., Incident], caller_client: Client) -> None:
    incident = call("medis", SAMPIT)
    url = f"/darurat/{incident.ref}/rincian/"
    version = incident.version

    empty = caller_client.post(url, {"conscious": ""})
    assert empty.status_code == 422
    assert alert_texts(main_html(empty)) == ["Answer at least one question."]
    too_many = caller_client.post(url, {"patients_count": "500"}, **as_json(caller_client))
    assert too_many.status_code == 422
    assert too_many.json()["error"]["fields"] == {
        "patients_count": ["Ensure this value is less than or equal to 99."]
    }
    long = caller_client.post(url, {"details": "x" * 2001}, **as_json(caller_client))
    assert long.status_code == 422
    assert list(long.json()["error"]["fields"]) == ["details"]
    services.incident_cancel(actor=incident.caller, ref=incident.ref, reason="Sudah dibawa")
    closed = caller_client.post(url, {"patients_count": "1"}, **as_json(caller_client))
    assert closed.status_code == 409
    assert closed.json()["error"] == {
        "code": "emergency.incident.closed",
        "message": "This incident is already “Cancelled”.",
    }
    incident.refresh_from_db()
    assert incident.patients_count is None
    assert incident.version == version + 1


# --- cancelling ----------------------------------------------------------------------------------
def test_cancel_needs_a_reason(call: Callable[..., Incident], caller_client: Client) -> None:
    incident = call("medis", SAMPIT)
    url = f"/darurat/{incident.ref}/batal/"

    response = caller_client.post(url, {"reason": "  "})

    assert response.status_code == 422
    html = main_html(response)
    assert '<details open>\n    <summary id="cancel-title">' in html
    assert "This field is required." in html
    fetched = caller_client.post(url, {}, **as_json(caller_client))
    assert fetched.status_code == 422
    assert fetched.json()["error"]["code"] == "emergency.text.required"
    assert fetched.json()["error"]["fields"] == {"reason": ["This field is required."]}
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RECEIVED
    assert incident.cancelled_at is None


def test_cancel_with_a_reason(
    dispatched: Callable[..., tuple[Incident, Unit, Any]], caller_client: Client
) -> None:
    incident, unit, _crew = dispatched()

    response = caller_client.post(
        f"/darurat/{incident.ref}/batal/", {"reason": "Pasien sudah dibawa keluarga"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/darurat/{incident.ref}/"
    incident.refresh_from_db()
    unit.refresh_from_db()
    assert incident.status == IncidentStatus.CANCELLED
    assert incident.cancel_reason == "Pasien sudah dibawa keluarga"
    assert unit.status == "tersedia"  # released for the next call
    page = caller_client.get(f"/darurat/{incident.ref}/")
    assert "Your call was cancelled." in page.content.decode()
    html = main_html(page)
    assert '<span class="tag tag-danger" data-status-label>Cancelled</span>' in html
    assert steps_of(html)[-1] == ("cancelled", "is-done is-cancelled")
    assert "Pasien sudah dibawa keluarga" in html
    assert 'data-status-form="cancel"' not in html
    assert 'data-status-form="details"' not in html
    state = caller_client.get(f"/darurat/{incident.ref}/status.json").json()
    assert state["timeline"][-1]["detail"] == "Pasien sudah dibawa keluarga"
    assert "closed" not in [s["key"] for s in state["timeline"]]

    again = caller_client.post(
        f"/darurat/{incident.ref}/batal/", {"reason": "lagi"}, **as_json(caller_client)
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "emergency.incident.closed"


def test_cancel_by_fetch_and_after_the_crew_arrived(
    dispatched: Callable[..., tuple[Incident, Unit, Any]], caller_client: Client, settings: Any
) -> None:
    settings.EMERGENCY_DUPLICATE_CALL_SECONDS = 0  # a second, separate call below
    incident, unit, crew = dispatched()
    for step in ["diterima", "berangkat", "di_lokasi"]:
        services.unit_step(actor=crew, unit_id=unit.pk, status=step)

    response = caller_client.post(
        f"/darurat/{incident.ref}/batal/", {"reason": "Salah tekan"}, **as_json(caller_client)
    )

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "emergency.incident.crew_on_scene",
        "message": "The crew is already with you; tell them instead.",
    }
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ON_SCENE

    other, _u, _c = dispatched(unit="AMB-02")
    fetched = caller_client.post(
        f"/darurat/{other.ref}/batal/", {"reason": "Salah tekan"}, **as_json(caller_client)
    )
    assert fetched.status_code == 200
    assert fetched.json() == {"ref": other.ref, "cancelled": True}


# --- who may act on a call ---------------------------------------------------------------------
@pytest.fixture
def person(
    agencies: dict[str, Agency], make_staff: Callable[..., Any], staff_client: Any
) -> Callable[[str], Client]:
    """A signed-in client for every role (staff with a TOTP-verified session)."""

    def make(role: str) -> Client:
        if role == Role.WARGA:
            return signed_in(CitizenFactory())
        if role in (Role.OPERATOR_DESA, Role.KEPALA_DESA):
            user = make_staff(role, region_code=SAMPIT_DESA)
        elif role == Role.OPERATOR_KECAMATAN:
            user = make_staff(role, region_code=SAMPIT_KECAMATAN)
        elif role in (Role.PETUGAS_OPD, Role.KEPALA_OPD, Role.DISPATCHER):
            user = make_staff(role, agency=agencies["dinkes"])
        else:
            user = make_staff(role)
        return english(staff_client(user))

    return make


def _snapshot(incident: Incident) -> tuple[Any, ...]:
    incident.refresh_from_db()
    return (
        incident.status,
        incident.version,
        incident.patients_count,
        incident.cancel_reason,
        incident.details_encrypted,
    )


@pytest.mark.parametrize("role", ALL_ROLES)
def test_nobody_but_the_caller_reads_or_changes_a_call(
    role: str, call: Callable[..., Incident], person: Callable[[str], Client]
) -> None:
    incident = call("medis", SAMPIT)
    before = _snapshot(incident)
    client = person(role)
    base = f"/darurat/{incident.ref}"

    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/status.json").status_code == 404
    assert client.get(f"{base}/stream/").status_code == 404
    for url, data in (
        (f"{base}/rincian/", {"patients_count": "3", "details": "bukan pemanggil"}),
        (f"{base}/batal/", {"reason": "bukan pemanggil"}),
    ):
        assert client.post(url, data).status_code == 404
        assert client.post(url, data, HTTP_ACCEPT="application/json").status_code == 404
    assert _snapshot(incident) == before


# --- my calls ------------------------------------------------------------------------------------
def test_my_calls(call: Callable[..., Incident], caller: Any, caller_client: Client) -> None:
    mine = [call("medis", SAMPIT), call("kebakaran", SAMPIT)]
    other = call("medis", SAMPIT, user=CitizenFactory(phone="6281299990000"))

    response = caller_client.get("/darurat/saya/")

    assert response.status_code == 200
    html = main_html(response)
    assert listed_refs(html) == [mine[1].ref, mine[0].ref]
    assert other.ref not in html
    assert (
        f'<a href="/darurat/{mine[1].ref}/"><span class="emergency-ref">{mine[1].ref}</span> Fire</a>'
        in html
    )
    empty = signed_in(CitizenFactory()).get("/darurat/saya/")
    assert "You have not called 119 from here yet." in main_html(empty)
    assert english(Client()).get("/darurat/saya/")["Location"] == (
        "/akun/masuk/?next=/darurat/saya/"
    )


def test_my_calls_query_count_does_not_grow(
    call: Callable[..., Incident],
    caller: Any,
    caller_client: Client,
    settings: Any,
    django_assert_num_queries: Any,
) -> None:
    settings.EMERGENCY_DUPLICATE_CALL_SECONDS = 0
    call("medis", SAMPIT)
    # session, user, unread notifications, calls
    with django_assert_num_queries(4):
        assert len(listed_refs(main_html(caller_client.get("/darurat/saya/")))) == 1
    for i in range(20):
        call("kebakaran" if i % 2 else "medis", SAMPIT)
    with django_assert_num_queries(4):
        assert len(listed_refs(main_html(caller_client.get("/darurat/saya/")))) == 20
