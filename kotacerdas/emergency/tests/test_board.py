"""The dispatcher's live board (/kantor/119/): who opens it, what its JSON says (the offer, the
waiting count, the alarm when no unit can go), its query budget, the change stream, and the
desk's unit actions (in/out of service, a status heard on the radio) with their bad input."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections
from django.test import AsyncClient, Client
from django.urls import reverse

from kotacerdas.accounts.models import Agency, Role
from kotacerdas.accounts.tests.factories import (
    ALL_ROLES,
    CitizenFactory,
    StaffFactory,
    otp_login,
)
from kotacerdas.emergency import selectors, services
from kotacerdas.emergency.models import (
    Assignment,
    Capability,
    DeskEvent,
    Incident,
    IncidentStatus,
    Unit,
    UnitStatus,
)

from .conftest import KUALA_KUAYAN, SAMPIT, SAMPIT_DESA, verified

SAMPIT_KECAMATAN = "62.02.06"
BOARD = "emergency_kantor:board"
STATE = "emergency_kantor:board_state"
STREAM = "emergency_kantor:board_stream"
JSON = {"HTTP_ACCEPT": "application/json"}

WHO = [*ALL_ROLES, "unverified"]
LOGIN = {"warga", "unverified"}  # sent to sign in (staff permissions need TOTP)


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def person(agencies: dict[str, Agency], make_staff: Callable[..., Any]) -> Callable[[str], Any]:
    def make(who: str) -> Any:
        if who == "warga":
            return CitizenFactory()
        if who == "unverified":
            return StaffFactory(role=Role.DISPATCHER, agency=agencies["dinkes"])
        if who in (Role.OPERATOR_DESA, Role.KEPALA_DESA):
            return make_staff(who, region_code=SAMPIT_DESA)
        if who == Role.OPERATOR_KECAMATAN:
            return make_staff(who, region_code=SAMPIT_KECAMATAN)
        if who in (Role.PETUGAS_OPD, Role.KEPALA_OPD):
            # Dinkes' own officer and head: the head manages the fleet, not the desk.
            return make_staff(who, agency=agencies["dinkes"])
        return make_staff(who, agency=agencies["dinkes"] if who == Role.DISPATCHER else None)

    return make


@pytest.fixture
def client_of(person: Callable[[str], Any], staff_client: Callable[[Any], Client]) -> Any:
    def make(who: str) -> Client:
        user = person(who)
        if who in LOGIN:
            client = Client()
            client.force_login(user)  # a password sign-in, no TOTP
            return english(client)
        return english(staff_client(user))

    return make


@pytest.fixture
def desk(dispatcher: Any, staff_client: Callable[[Any], Client]) -> Client:
    return english(staff_client(dispatcher))


def test_the_matrix_covers_every_role() -> None:
    assert set(WHO) - {"unverified"} == set(ALL_ROLES)


def _snapshot() -> tuple[list[tuple[Any, ...]], int]:
    units = list(
        Unit.objects.order_by("pk").values_list("pk", "status", "version", "out_of_service_reason")
    )
    return units, DeskEvent.objects.count()


# --- Who opens the board ---------------------------------------------------------------------------
@pytest.mark.parametrize("who", WHO)
def test_board_roles(who: str, client_of: Any, fleet: dict[str, Unit], call: Any) -> None:
    incident = call("medis", SAMPIT)
    client = client_of(who)
    board = client.get(reverse(BOARD))
    state = client.get(reverse(STATE), **JSON)
    stream = client.get(reverse(STREAM))
    if who == Role.DISPATCHER:
        assert board.status_code == 200
        assert incident.ref in board.content.decode()
        assert state.status_code == 200
        assert state["Cache-Control"] == "no-store"
        assert [r["ref"] for r in state.json()["incidents"]] == [incident.ref]
        assert stream.status_code == 200
        assert stream["Content-Type"] == "text/event-stream"
        assert stream["Cache-Control"] == "no-cache, no-store"
    elif who in LOGIN:
        login = reverse("accounts:login")
        for response in (board, state, stream):
            assert response.status_code == 302
            assert response["Location"].startswith(login + "?next=")
    else:
        assert board.status_code == 403
        assert state.status_code == 403
        assert state.json() == {
            "error": {"code": "forbidden", "message": "You are not allowed to open this page."}
        }
        assert stream.status_code == 403
        assert incident.ref not in board.content.decode()


@pytest.mark.parametrize("who", WHO)
def test_unit_actions_roles(who: str, client_of: Any, fleet: dict[str, Unit], call: Any) -> None:
    """Only the desk takes units out of service or records their status; for everyone else
    nothing changes."""
    incident = call("medis", SAMPIT)
    dispatcher = verified(StaffFactory(role=Role.DISPATCHER, agency=fleet["AMB-01"].station.agency))
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=fleet["AMB-01"].pk)
    free, busy = fleet["AMB-03"], fleet["AMB-01"]
    before = _snapshot()
    client = client_of(who)
    out = client.post(
        reverse("emergency_kantor:unit_service", args=[free.pk]),
        {"in_service": "0", "reason": "Ban bocor"},
    )
    step = client.post(
        reverse("emergency_kantor:unit_status", args=[busy.pk]), {"status": "diterima"}
    )
    if who == Role.DISPATCHER:
        assert (out.status_code, out["Location"]) == (302, reverse(BOARD))
        assert (step.status_code, step["Location"]) == (302, reverse(BOARD))
        free.refresh_from_db()
        busy.refresh_from_db()
        assert (free.status, free.out_of_service_reason) == ("tidak_aktif", "Ban bocor")
        assert busy.status == "diterima"
        return
    expected = 302 if who in LOGIN else 403
    assert (out.status_code, step.status_code) == (expected, expected)
    assert _snapshot() == before


# --- The board's JSON ------------------------------------------------------------------------------
def test_state_empty(desk: Client, fleet: dict[str, Unit]) -> None:
    body = desk.get(reverse(STATE), **JSON).json()
    assert body["seq"] == selectors.latest_seq()
    assert body["incidents"] == []
    assert body["counts"] == {
        "open": 0,
        "waiting": 0,
        "no_unit": 0,
        "available": len(fleet),
        "busy": 0,
        "out_of_service": 0,
    }
    assert [u["call_sign"] for u in body["units"]] == sorted(fleet)
    amb = next(u for u in body["units"] if u["call_sign"] == "AMB-01")
    station = fleet["AMB-01"].station
    assert amb == {
        "id": fleet["AMB-01"].pk,
        "call_sign": "AMB-01",
        "capability": "ambulans_paramedis",
        "capability_label": "Ambulance with paramedic",
        "status": "tersedia",
        "status_label": "Available",
        "status_changed_at": fleet["AMB-01"].status_changed_at.isoformat(),
        "station": station.name,
        "lat": station.lat,
        "lng": station.lng,
        "position_at": None,
        "incident_ref": "",
        "out_of_service_reason": "",
        "version": 1,
    }


def test_state_after_a_call(desk: Client, fleet: dict[str, Unit], call: Any) -> None:
    incident = call("medis", SAMPIT)
    body = desk.get(reverse(STATE), **JSON).json()
    assert body["counts"] == {
        "open": 1,
        "waiting": 1,
        "no_unit": 0,
        "available": len(fleet),
        "busy": 0,
        "out_of_service": 0,
    }
    [row] = body["incidents"]
    best = selectors.recommend_units(incident=incident)[0]
    assert row["offer"] == {
        "unit_id": best.unit.pk,
        "call_sign": best.unit.call_sign,
        "eta_seconds": best.ranked.eta_seconds,
        "fixed": False,
        "exact": True,
    }
    # A yellow call needs any ambulance: the nearest is the puskesmas 600 m away.
    assert (best.unit.call_sign, best.unit.station.name) == ("AMB-05", "Puskesmas Baamang II")
    assert {k: row[k] for k in ("ref", "kind", "priority", "status", "need", "waiting")} == {
        "ref": incident.ref,
        "kind": "medis",
        "priority": "kuning",
        "status": "masuk",
        "need": "ambulans",
        "waiting": True,
    }
    assert (row["desa_code"], row["units"]) == (SAMPIT_DESA, [])
    assert row["received_at"] == incident.received_at.isoformat()

    # Dispatched: in progress with its unit, no longer waiting; the unit shows the incident.
    services.incident_dispatch(actor=desk_user(desk), ref=incident.ref, unit_id=best.unit.pk)
    body = desk.get(reverse(STATE), **JSON).json()
    [row] = body["incidents"]
    assert (row["waiting"], row["status"], row["offer"]) == (False, "ditugaskan", None)
    assert [(u["call_sign"], u["status"]) for u in row["units"]] == [
        (best.unit.call_sign, "ditugaskan")
    ]
    assert body["counts"]["waiting"] == 0
    assert body["counts"]["busy"] == 1
    unit = next(u for u in body["units"] if u["id"] == best.unit.pk)
    assert unit["incident_ref"] == incident.ref


def desk_user(client: Client) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return verified(user)


def test_one_click_dispatch_from_the_board(
    desk: Client, fleet: dict[str, Unit], call: Any, caller: Any
) -> None:
    """What the board's "Send" button does: post the offered unit to the incident's dispatch URL
    asking for JSON; the same unit offered elsewhere a moment later is refused with a message."""
    first = call("medis", SAMPIT)
    second = call("medis", SAMPIT, user=CitizenFactory(phone="6281234500002"))
    rows = {r["ref"]: r for r in desk.get(reverse(STATE), **JSON).json()["incidents"]}
    offered = rows[first.ref]["offer"]["unit_id"]
    assert rows[second.ref]["offer"]["unit_id"] != offered  # each waiting call its own unit
    sent = desk.post(
        reverse("emergency_kantor:incident_dispatch", args=[first.ref]),
        {"unit_id": offered, "next": reverse(BOARD)},
        **JSON,
    )
    assert sent.status_code == 200
    assert sent.json()["ok"] is True
    again = desk.post(
        reverse("emergency_kantor:incident_dispatch", args=[second.ref]),
        {"unit_id": offered},
        **JSON,
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "emergency.unit.busy"
    body = desk.get(reverse(STATE), **JSON).json()
    rows = {r["ref"]: r for r in body["incidents"]}
    assert [u["unit_id"] for u in rows[first.ref]["units"]] == [offered]
    assert rows[second.ref]["waiting"] is True
    assert rows[second.ref]["offer"]["unit_id"] != offered


def test_no_unit_when_every_capable_unit_is_out(
    desk: Client, fleet: dict[str, Unit], call: Any
) -> None:
    fire = call("kebakaran", SAMPIT)
    trucks = [u for u in fleet.values() if u.capability == Capability.FIRE]
    assert trucks
    for truck in trucks:
        response = desk.post(
            reverse("emergency_kantor:unit_service", args=[truck.pk]),
            {"in_service": "0", "reason": "Pompa rusak"},
            **JSON,
        )
        assert response.status_code == 200
    body = desk.get(reverse(STATE), **JSON).json()
    [row] = body["incidents"]
    assert (row["ref"], row["waiting"], row["offer"]) == (fire.ref, True, None)
    assert body["counts"]["waiting"] == 1
    assert body["counts"]["no_unit"] == 1
    assert body["counts"]["out_of_service"] == len(trucks)
    # The page raises the alarm (the banner is shown, not hidden).
    page = desk.get(reverse(BOARD)).content.decode()
    assert (
        '<p class="board-alarm" data-board-alarm role="alert">'
        "1 incident waits with no free unit.</p>" in page
    )
    assert "No free unit</span>" in page


def test_page_content(desk: Client, fleet: dict[str, Unit], call: Any) -> None:
    incident = call("medis", SAMPIT)
    page = desk.get(reverse(BOARD)).content.decode()
    best = selectors.recommend_units(incident=incident)[0].unit
    dispatch = reverse("emergency_kantor:incident_dispatch", args=[incident.ref])
    assert f'action="{dispatch}" data-board-action="dispatch"' in page
    assert f'<input type="hidden" name="unit_id" value="{best.pk}">' in page
    assert f'<button type="submit" class="button button-small">Send {best.call_sign}</button>' in (
        page
    )
    assert f'href="{reverse("emergency_kantor:call_new")}" accesskey="n">New call</a>' in page
    assert f'href="{reverse("emergency_kantor:incident_detail", args=[incident.ref])}"' in page
    assert '<p class="board-alarm" data-board-alarm role="alert" hidden>' in page
    assert 'id="board-state" type="application/json"' in page
    assert 'id="board-config" type="application/json"' in page
    assert "dist/emergency-board.js" in page
    assert "dist/emergency-board.css" in page
    # Every unit has a row; a free one can be taken out of service.
    assert page.count('class="board-row" data-key="') == len(fleet)
    assert (
        f'action="{reverse("emergency_kantor:unit_service", args=[best.pk])}" '
        'data-board-action="service"' in page
    )


def test_page_shows_the_steps_of_a_busy_unit(
    desk: Client, fleet: dict[str, Unit], call: Any
) -> None:
    incident = call("medis", SAMPIT)
    unit = fleet["AMB-03"]
    services.incident_dispatch(actor=desk_user(desk), ref=incident.ref, unit_id=unit.pk)
    page = desk.get(reverse(BOARD)).content.decode()
    status_url = reverse("emergency_kantor:unit_status", args=[unit.pk])
    assert (
        f'<form class="inline-form" method="post" action="{status_url}" '
        'data-board-action="status">' in page
    )
    assert '<input type="hidden" name="status" value="diterima">' in page
    assert '<input type="hidden" name="version" value="2">' in page
    assert "Job accepted</button>" in page
    # In progress, with its unit and the ETA from the dispatch.
    assert f'<tr class="board-row board-prio-kuning" data-key="{incident.ref}">' in page
    assert "<strong>AMB-03</strong>" in page


# --- Query budgets -------------------------------------------------------------------------------
def _more(dispatcher: Any, fleet: dict[str, Unit], n: int, offset: int) -> None:
    """n more open incidents (phone calls) and n more units, one of them sent."""
    station = fleet["AMB-01"].station
    for i in range(n):
        services.incident_record_call(
            actor=dispatcher,
            kind="medis",
            priority=["merah", "kuning", "hijau"][i % 3],
            chief_complaint="sesak_napas",
            caller_phone=f"08123450{offset + i:04d}",
            lat=SAMPIT[0] + i * 0.001,
            lng=SAMPIT[1],
        )
        Unit.objects.create(
            call_sign=f"TST-{offset + i:03d}", station=station, capability=Capability.BLS
        )
    waiting = Incident.objects.filter(status=IncidentStatus.ACCEPTED).order_by("pk").first()
    unit = Unit.objects.filter(status=UnitStatus.AVAILABLE, call_sign__startswith="TST").first()
    assert waiting is not None
    assert unit is not None
    services.incident_dispatch(actor=dispatcher, ref=waiting.ref, unit_id=unit.pk)


@pytest.mark.parametrize("page", [STATE, BOARD])
def test_query_count(
    page: str,
    desk: Client,
    dispatcher: Any,
    fleet: dict[str, Unit],
    call: Any,
    django_assert_num_queries: Any,
) -> None:
    call("medis", SAMPIT)
    _more(dispatcher, fleet, 1, 0)
    url = reverse(page)
    desk.get(url, **JSON)  # the session's first request warms nothing the count depends on
    expected = 9 if page == STATE else 10
    with django_assert_num_queries(expected):
        first = desk.get(url, **JSON)
    _more(dispatcher, fleet, 20, 100)
    with django_assert_num_queries(expected):
        second = desk.get(url, **JSON)
    if page == STATE:
        assert len(first.json()["incidents"]) == 2
        assert len(second.json()["incidents"]) == 22
        assert len(second.json()["units"]) == len(first.json()["units"]) + 20
    else:
        html = second.content.decode()
        assert html.count('class="board-row" data-key="') == len(fleet) + 21  # units
        assert html.count('<li class="board-card board-prio-') == 20  # waiting
        assert html.count('<tr class="board-row board-prio-') == 2  # in progress


# --- The stream ------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_stream_first_event_then_a_change(
    transactional_db: None,
    settings: Any,
    fleet: dict[str, Unit],
    dispatcher: Any,
    staff_client: Callable[[Any], Client],
) -> None:
    """The stream runs in another thread (its own connection, like the ASGI process): it says
    where the feed is, then reports a change committed by a service call; a reconnect with
    Last-Event-ID gets what it missed."""
    settings.EMERGENCY_STREAM_MAX_SECONDS = 1.5
    settings.EMERGENCY_STREAM_POLL_SECONDS = 0.05
    client = staff_client(dispatcher)
    seq = selectors.latest_seq()
    unit = fleet["AMB-03"]
    loop = asyncio.new_event_loop()

    async def next_chunk(chunks: Any) -> str:
        return (await asyncio.wait_for(anext(chunks), 5)).decode()

    async def rest(chunks: Any) -> list[str]:
        return [c.decode() async for c in chunks]

    try:
        response = client.get(reverse(STREAM))
        assert response.status_code == 200
        chunks = aiter(response.streaming_content)
        first = loop.run_until_complete(next_chunk(chunks))
        assert first == f'retry: 3000\nid: {seq}\nevent: change\ndata: {{"seq": {seq}}}\n\n'

        services.unit_set_service(
            actor=dispatcher, unit_id=unit.pk, in_service=False, reason="Servis rem"
        )
        change_seq = selectors.latest_seq()
        assert change_seq > seq
        change = loop.run_until_complete(next_chunk(chunks))
        assert change == (
            f"id: {change_seq}\nevent: change\n"
            f'data: {{"seq": {change_seq}, "incidents": [], "units": [{unit.pk}]}}\n\n'
        )
        # Nothing else happens: the stream ends after EMERGENCY_STREAM_MAX_SECONDS.
        assert loop.run_until_complete(rest(chunks)) == []

        # EventSource reconnects with the last id it saw: what came after is sent at once.
        again = client.get(reverse(STREAM), HTTP_LAST_EVENT_ID=str(seq))
        resumed = aiter(again.streaming_content)
        assert loop.run_until_complete(next_chunk(resumed)) == change
        loop.run_until_complete(rest(resumed))
    finally:
        # The stream's thread has its own connection: close it (the flush needs the database).
        loop.run_until_complete(sync_to_async(connections.close_all)())
        loop.close()


# --- Unit actions --------------------------------------------------------------------------------
def test_unit_out_of_service_and_back(desk: Client, fleet: dict[str, Unit]) -> None:
    unit = fleet["AMB-03"]
    url = reverse("emergency_kantor:unit_service", args=[unit.pk])
    response = desk.post(url, {"in_service": "0", "reason": "  Ban bocor "}, **JSON)
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["message"]) == (True, "AMB-03 is out of service.")
    assert (body["unit"]["status"], body["unit"]["out_of_service_reason"]) == (
        "tidak_aktif",
        "Ban bocor",
    )
    assert body["unit"]["version"] == 2
    unit.refresh_from_db()
    assert (unit.status, unit.out_of_service_reason) == ("tidak_aktif", "Ban bocor")

    # A plain form (no JavaScript): back to the board with the message.
    response = desk.post(url, {"in_service": "1", "next": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (302, reverse(BOARD))
    page = desk.get(reverse(BOARD)).content.decode()
    assert '<p class="message message-success">AMB-03 is back in service.</p>' in page
    unit.refresh_from_db()
    assert (unit.status, unit.out_of_service_reason) == ("tersedia", "")


def test_unit_service_bad_input(
    desk: Client, fleet: dict[str, Unit], call: Any, dispatcher: Any
) -> None:
    unit = fleet["AMB-03"]
    url = reverse("emergency_kantor:unit_service", args=[unit.pk])
    before = _snapshot()

    no_reason = desk.post(url, {"in_service": "0", "reason": " "}, **JSON)
    assert no_reason.status_code == 422
    assert no_reason.json() == {
        "error": {
            "code": "emergency.text.required",
            "message": "This field is required.",
            "fields": {"reason": ["This field is required."]},
        }
    }
    odd = desk.post(url, {"in_service": "maybe"}, **JSON)
    assert odd.status_code == 422
    assert odd.json()["error"]["code"] == "emergency.unit.in_service_invalid"
    assert odd.json()["error"]["message"] == "Choose whether the unit is in service."
    missing = desk.post(
        reverse("emergency_kantor:unit_service", args=[987654]), {"in_service": "1"}, **JSON
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "emergency.unit.not_found"
    assert desk.post(
        reverse("emergency_kantor:unit_service", args=[987654]), {"in_service": "1"}
    ).status_code == (404)
    assert desk.get(url).status_code == 405

    # Out of service while on a job: refused, with the reason why.
    incident = call("medis", SAMPIT)
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    before = _snapshot()
    busy = desk.post(url, {"in_service": "0", "reason": "Ban bocor"}, **JSON)
    assert busy.status_code == 422
    assert busy.json() == {
        "error": {
            "code": "emergency.unit.busy",
            "message": "The unit is on a job; it can change service only when it is free.",
        }
    }
    form = desk.post(url, {"in_service": "0", "reason": "Ban bocor"})
    assert (form.status_code, form["Location"]) == (302, reverse(BOARD))
    page = desk.get(reverse(BOARD)).content.decode()
    assert (
        '<p class="message message-error">'
        "The unit is on a job; it can change service only when it is free.</p>" in page
    )
    assert _snapshot() == before


def test_unit_status_steps(
    desk: Client, fleet: dict[str, Unit], call: Any, dispatcher: Any
) -> None:
    incident = call("medis", SAMPIT)
    unit = fleet["AMB-03"]
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    url = reverse("emergency_kantor:unit_status", args=[unit.pk])

    response = desk.post(url, {"status": "diterima", "version": "2"}, **JSON)
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["message"]) == (True, "AMB-03: Job accepted.")
    assert (body["unit"]["status"], body["unit"]["version"]) == ("diterima", 3)

    response = desk.post(url, {"status": "berangkat", "next": reverse(BOARD) + "?x=1"})
    assert (response.status_code, response["Location"]) == (302, reverse(BOARD) + "?x=1")
    incident.refresh_from_db()
    unit.refresh_from_db()
    assignment = Assignment.objects.get(unit=unit, cleared_at__isnull=True)
    assert unit.status == "berangkat"
    assert incident.status == "menuju_lokasi"
    assert assignment.acknowledged_at is not None
    assert assignment.en_route_at is not None
    page = desk.get(reverse(BOARD)).content.decode()
    assert '<p class="message message-success">AMB-03: En route.</p>' in page


def test_unit_status_bad_input(
    desk: Client, fleet: dict[str, Unit], call: Any, dispatcher: Any
) -> None:
    incident = call("medis", SAMPIT)
    unit = fleet["AMB-03"]
    services.incident_dispatch(actor=dispatcher, ref=incident.ref, unit_id=unit.pk)
    url = reverse("emergency_kantor:unit_status", args=[unit.pk])
    before = _snapshot()

    skip = desk.post(url, {"status": "di_lokasi"}, **JSON)
    assert skip.status_code == 422
    assert skip.json() == {
        "error": {
            "code": "emergency.unit.step_forbidden",
            "message": "A unit that is “Dispatched” cannot go to “On scene”.",
        }
    }
    form = desk.post(url, {"status": "tiba_di_faskes"})
    assert (form.status_code, form["Location"]) == (302, reverse(BOARD))
    page = desk.get(reverse(BOARD)).content.decode()
    assert (
        '<p class="message message-error">'
        "A unit that is “Dispatched” cannot go to “At health facility”.</p>" in page
    )

    unknown = desk.post(url, {"status": "terbang"}, **JSON)
    assert unknown.status_code == 422
    assert unknown.json()["error"] == {
        "code": "emergency.unit.status_invalid",
        "message": "Choose one of the options.",
        "fields": {"status": ["Choose one of the options."]},
    }
    stale = desk.post(url, {"status": "diterima", "version": "1"}, **JSON)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "emergency.unit.conflict"

    free = fleet["AMB-01"]
    idle = desk.post(
        reverse("emergency_kantor:unit_status", args=[free.pk]), {"status": "berangkat"}, **JSON
    )
    assert idle.status_code == 422
    assert idle.json()["error"]["message"] == "A unit that is “Available” cannot go to “En route”."
    assert _snapshot() == before


def test_far_incident_offer_is_a_unit_up_the_river(
    desk: Client, fleet: dict[str, Unit], call: Any
) -> None:
    """The offer is the unit nearest by travel time, not the first in the list."""
    incident = call("medis", KUALA_KUAYAN)
    [row] = desk.get(reverse(STATE), **JSON).json()["incidents"]
    best = selectors.recommend_units(incident=incident)[0].unit
    assert row["offer"]["call_sign"] == best.call_sign
    assert best.station != fleet["AMB-01"].station


def test_stream_under_asgi(dispatcher: Any, fleet: dict[str, Unit], person: Any) -> None:
    """Served by the ASGI handler (as in production): the same gate, then the events."""
    client = AsyncClient()
    otp_login(client, dispatcher)
    seq = selectors.latest_seq()

    async def first_chunk() -> tuple[int, str, str]:
        response = await client.get(reverse(STREAM), HTTP_ACCEPT="text/event-stream")
        chunks = aiter(response.streaming_content)
        first = (await anext(chunks)).decode()
        await chunks.aclose()
        return response.status_code, response["Content-Type"], first

    assert async_to_sync(first_chunk)() == (
        200,
        "text/event-stream",
        f'retry: 3000\nid: {seq}\nevent: change\ndata: {{"seq": {seq}}}\n\n',
    )
    officer = AsyncClient()
    otp_login(officer, person(Role.KEPALA_OPD))
    assert async_to_sync(officer.get)(reverse(STREAM)).status_code == 403
    anonymous = async_to_sync(AsyncClient().get)(reverse(STREAM))
    assert anonymous.status_code == 302
