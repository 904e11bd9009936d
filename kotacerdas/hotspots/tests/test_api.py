"""/api/v1/fires through HTTP: each endpoint with its scoping, error codes and statuses, query
budgets of the lists, bearer tokens, and the sensors' webhook (signed messages, every refusal
logged)."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from kotacerdas.accounts.models import Agency, ApiToken
from kotacerdas.accounts.tests.factories import CitizenFactory
from kotacerdas.accounts.tokens import token_generate
from kotacerdas.emergency.models import Incident
from kotacerdas.hotspots import services, signing
from kotacerdas.hotspots.models import (
    EventIncident,
    FireEvent,
    GroundCheck,
    Hotspot,
    ImportRun,
    Sensor,
    SensorMessage,
)

from .conftest import (
    NRT_HEADER,
    SAMPIT,
    UJUNG_PANDARAN,
    message,
    nrt_file,
    nrt_row,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/fires"
AUTH_REQUIRED = {
    "error": {"code": "auth.required", "message": "Please sign in or send a valid token."}
}
FORBIDDEN = {"error": {"code": "forbidden", "message": "You are not allowed to do this."}}
EVENT_NOT_FOUND = {"error": {"code": "fires.event.not_found", "message": "Not found."}}
YEAR_2022 = {"start": "2022-01-01", "end": "2022-12-31"}


@pytest.fixture(autouse=True)
def _english(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Generator[None, None, None]:
    """Exact assertions are on the English msgids: every client carries the language cookie."""
    from django.utils import translation

    original_init = Client.__init__

    def english_client(self: Client, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    monkeypatch.setattr(Client, "__init__", english_client)
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def post_json(client: Client, path: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(path, data=json.dumps(body or {}), content_type="application/json", **extra)


def jpeg() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 90, 30)).save(buf, "JPEG")
    return SimpleUploadedFile("cek.jpg", buf.getvalue(), content_type="image/jpeg")


def csv_upload(data: bytes, name: str = "firms.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def up_event(kalimantan_2022: ImportRun) -> FireEvent:
    """A 2022 event in Desa Ujung Pandaran (the desa operator's desa)."""
    event = (
        FireEvent.objects.filter(desa_code=UJUNG_PANDARAN, merged_into__isnull=True)
        .order_by("pk")
        .first()
    )
    assert event is not None
    return event


@pytest.fixture
def bpbd(bpbd_officer: Any, staff_client: Callable[[Any], Client]) -> Client:
    return staff_client(bpbd_officer)


@pytest.fixture
def desa(desa_operator: Any, staff_client: Callable[[Any], Client]) -> Client:
    return staff_client(desa_operator)


@pytest.fixture
def other_desa(other_desa_operator: Any, staff_client: Callable[[Any], Client]) -> Client:
    return staff_client(other_desa_operator)


@pytest.fixture
def assigned(up_event: FireEvent, bpbd_officer: Any) -> GroundCheck:
    return services.check_assign(
        actor=bpbd_officer, ref=up_event.ref, desa_code=UJUNG_PANDARAN, instructions="Cek lokasi"
    )


# --- Authentication and capability ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/map?start=2022-01-01&end=2022-01-31"),
        ("get", "/events"),
        ("get", "/events/KBK-1"),
        ("post", "/events/KBK-1/status"),
        ("post", "/events/KBK-1/checks"),
        ("get", "/checks"),
        ("post", "/checks/1/result"),
        ("post", "/checks/1/cancel"),
        ("post", "/imports"),
        ("get", "/imports"),
        ("get", "/imports/1"),
        ("get", "/sensors"),
        ("post", "/sensors"),
        ("post", "/sensors/x1/rotate"),
        ("post", "/sensors/x1/revoke"),
        ("get", "/sensors/x1/messages"),
    ],
)
def test_everything_but_the_webhook_needs_a_sign_in(db: None, method: str, path: str):
    response = getattr(Client(), method)(BASE + path)
    assert (response.status_code, response.json()) == (401, AUTH_REQUIRED)


def test_a_citizen_holds_no_fire_capability(kalimantan_2022: ImportRun):
    client = Client()
    client.force_login(CitizenFactory())
    for path in ("/map?start=2022-01-01&end=2022-01-31", "/events", "/checks", "/imports"):
        response = client.get(BASE + path)
        assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_an_unverified_staff_session_holds_nothing(bpbd_officer: Any, up_event: FireEvent):
    client = Client()
    client.force_login(bpbd_officer)  # password only, no TOTP
    response = client.get(f"{BASE}/events")
    assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_a_bearer_token_works_without_csrf(bpbd_officer: Any, up_event: FireEvent):
    token, prefix, digest = token_generate()
    ApiToken.objects.create(user=bpbd_officer, name="sipongi", prefix=prefix, token_hash=digest)
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listed = client.get(f"{BASE}/events", **auth)
    assert listed.status_code == 200
    assert listed.json()["count"] == FireEvent.objects.filter(merged_into__isnull=True).count()
    moved = post_json(
        client, f"{BASE}/events/{up_event.ref}/status", {"status": "ditangani"}, **auth
    )
    assert (moved.status_code, moved.json()["status"]) == (200, "ditangani")
    bad = client.get(f"{BASE}/events", HTTP_AUTHORIZATION="Bearer kc_not_a_real_token")
    assert (bad.status_code, bad.json()) == (401, AUTH_REQUIRED)


# --- The map --------------------------------------------------------------------------------------
def test_the_map(
    kalimantan_2022: ImportRun,
    desa: Client,
    django_assert_max_num_queries: Callable[..., Any],
):
    with django_assert_max_num_queries(8):
        response = desa.get(f"{BASE}/map", YEAR_2022)
    assert response.status_code == 200
    data = response.json()
    assert (data["start"], data["end"]) == ("2022-01-01", "2022-12-31")
    assert len(data["hotspots"]) == Hotspot.objects.count() == 61
    assert {e["ref"] for e in data["events"]} == set(
        FireEvent.objects.filter(hotspots__isnull=False).values_list("ref", flat=True)
    )
    assert all(len(h) == 6 for h in data["hotspots"])
    again = desa.get(f"{BASE}/map", YEAR_2022, HTTP_IF_NONE_MATCH=response["ETag"])
    assert (again.status_code, again.content) == (304, b"")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "2022-01-01"},
        {"start": "x", "end": "2022-01-02"},
        {"start": "2022-01-01", "end": "2023-12-31"},
    ],
)
def test_the_map_refuses_bad_periods(desa: Client, params: dict[str, str]):
    response = desa.get(f"{BASE}/map", params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "fires.range.invalid"


# --- Events ---------------------------------------------------------------------------------------
def test_the_event_list_is_scoped(
    up_event: FireEvent,
    assigned: GroundCheck,
    bpbd: Client,
    desa: Client,
    other_desa: Client,
    pupr_officer: Any,
    staff_client: Callable[[Any], Client],
    django_assert_max_num_queries: Callable[..., Any],
):
    live = FireEvent.objects.filter(merged_into__isnull=True)
    with django_assert_max_num_queries(8):
        everything = bpbd.get(f"{BASE}/events", {"limit": 100})
    assert everything.status_code == 200
    body = everything.json()
    assert body["count"] == live.count() == len(body["items"]) > 10
    # Most recently active first.
    expected = list(live.order_by("-last_detected_at", "-pk").values_list("ref", flat=True))
    assert [e["ref"] for e in body["items"]] == expected
    row = next(e for e in body["items"] if e["ref"] == up_event.ref)
    assert row["open_check"]["id"] == assigned.pk
    assert row["open_check"]["assignee_region_code"] == UJUNG_PANDARAN
    assert row["status_label"] == "New"
    assert row["version"] == up_event.version
    # A desa operator: their desa only.
    mine = desa.get(f"{BASE}/events").json()
    assert {e["desa_code"] for e in mine["items"]} == {UJUNG_PANDARAN}
    assert mine["count"] == live.filter(desa_code=UJUNG_PANDARAN).count()
    # Another desa without 2022 hotspots, and an agency that has nothing to do with fires.
    assert other_desa.get(f"{BASE}/events").json() == {"items": [], "count": 0}
    assert staff_client(pupr_officer).get(f"{BASE}/events").json() == {"items": [], "count": 0}


def test_the_event_list_filters(up_event: FireEvent, bpbd: Client):
    kecamatan = up_event.kecamatan_code
    body = bpbd.get(f"{BASE}/events", {"kecamatan": kecamatan, "limit": 100}).json()
    assert (
        body["count"]
        == FireEvent.objects.filter(merged_into__isnull=True, kecamatan_code=kecamatan).count()
    )
    assert {e["kecamatan_code"] for e in body["items"]} == {kecamatan}
    assert bpbd.get(f"{BASE}/events", {"status": "padam"}).json()["count"] == 0
    august = bpbd.get(f"{BASE}/events", {"start": "2022-08-01", "end": "2022-08-31"}).json()
    assert august["count"] > 0
    for event in august["items"]:
        assert event["last_detected_at"] >= "2022-07-31"
        assert event["first_detected_at"] < "2022-09-01"
    bad = bpbd.get(f"{BASE}/events", {"status": "terbakar"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "fires.filter.invalid")
    half = bpbd.get(f"{BASE}/events", {"start": "2022-08-01"})
    assert (half.status_code, half.json()["error"]["code"]) == (422, "fires.range.invalid")
    too_big = bpbd.get(f"{BASE}/events", {"limit": 10_000})
    assert too_big.status_code == 422


def test_an_event_in_detail(
    up_event: FireEvent,
    assigned: GroundCheck,
    desa_operator: Any,
    bpbd: Client,
    desa: Client,
    django_assert_max_num_queries: Callable[..., Any],
):
    services.check_submit(
        actor=desa_operator,
        check_id=assigned.pk,
        result="api",
        note="Api di kebun",
        photo=jpeg(),
        lat=-3.1,
        lng=112.9,
    )
    EventIncident.objects.create(
        event=up_event, incident_ref="119-0001", distance_m=812.345, linked_at=up_event.created_at
    )
    with django_assert_max_num_queries(9):
        response = bpbd.get(f"{BASE}/events/{up_event.ref}")
    assert response.status_code == 200
    event = response.json()
    up_event.refresh_from_db()
    assert event["ref"] == up_event.ref
    assert (event["status"], event["check_result"]) == ("dicek_lapangan", "api")
    assert event["hotspot_count"] == up_event.hotspot_count == len(event["hotspots"])
    assert event["open_check"] is None
    assert event["merged_into"] is None
    [check] = event["checks"]
    assert check["id"] == assigned.pk
    assert check["note"] == "Api di kebun"
    assert check["result"] == "api"
    assert check["checked_by"]["id"] == desa_operator.pk
    assert check["photo_url"] == f"/kantor/karhutla/cek/{assigned.pk}/foto/"
    assert check["thumbnail_url"] == f"/kantor/karhutla/cek/{assigned.pk}/foto-kecil/"
    assert "photo" not in check  # URLs only, never the bytes
    assert event["incidents"] == [
        {"ref": "119-0001", "distance_m": 812.3, "linked_at": event["incidents"][0]["linked_at"]}
    ]
    hotspot = Hotspot.objects.filter(event=up_event).order_by("acquired_at", "pk").first()
    assert hotspot is not None
    assert (event["hotspots"][0]["lat"], event["hotspots"][0]["lng"]) == (hotspot.lat, hotspot.lng)
    # The desa operator sees their own event too.
    assert desa.get(f"{BASE}/events/{up_event.ref}").status_code == 200


def test_an_event_outside_ones_area_is_not_found(
    up_event: FireEvent, other_desa: Client, bpbd: Client
):
    response = other_desa.get(f"{BASE}/events/{up_event.ref}")
    assert (response.status_code, response.json()) == (404, EVENT_NOT_FOUND)
    missing = bpbd.get(f"{BASE}/events/KBK-000000")
    assert (missing.status_code, missing.json()) == (404, EVENT_NOT_FOUND)


def test_moving_an_event(up_event: FireEvent, bpbd: Client, desa: Client):
    path = f"{BASE}/events/{up_event.ref}/status"
    bad = post_json(bpbd, path, {"status": "terbakar", "version": up_event.version})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "fires.status.invalid")
    assert bad.json()["error"]["fields"] == {"status": ["Unknown status."]}
    skip = post_json(bpbd, path, {"status": "padam", "version": up_event.version})
    assert (skip.status_code, skip.json()["error"]["code"]) == (409, "fires.event.transition")
    stale = post_json(bpbd, path, {"status": "ditangani", "version": up_event.version + 5})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "fires.event.changed")
    up_event.refresh_from_db()
    assert up_event.status == "baru"
    moved = post_json(
        bpbd, path, {"status": "ditangani", "version": up_event.version, "note": "OK"}
    )
    assert moved.status_code == 200
    assert (moved.json()["status"], moved.json()["version"]) == ("ditangani", up_event.version + 1)
    up_event.refresh_from_db()
    assert up_event.status == "ditangani"
    assert up_event.handled_at is not None
    # A desa operator may not move events (no hotspots.manage).
    refused = post_json(desa, path, {"status": "padam"})
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    missing_field = post_json(bpbd, path, {})
    assert (missing_field.status_code, missing_field.json()["error"]["code"]) == (422, "validation")


# --- Ground checks --------------------------------------------------------------------------------
def test_assigning_a_ground_check(
    up_event: FireEvent,
    bpbd: Client,
    bpbd_officer: Any,
    desa: Client,
    pupr_officer: Any,
    staff_client: Callable[[Any], Client],
):
    path = f"{BASE}/events/{up_event.ref}/checks"
    neither = post_json(bpbd, path, {"instructions": "x"})
    assert (neither.status_code, neither.json()["error"]["code"]) == (422, "fires.check.assignee")
    not_desa = post_json(bpbd, path, {"desa_code": "62.02.11"})
    assert (not_desa.status_code, not_desa.json()["error"]["code"]) == (
        422,
        "fires.check.desa_invalid",
    )
    created = post_json(bpbd, path, {"desa_code": UJUNG_PANDARAN, "instructions": "Bawa GPS"})
    assert created.status_code == 201
    check = created.json()
    assert check["event"] == up_event.ref
    assert check["status"] == "ditugaskan"
    assert check["assignee_region_code"] == UJUNG_PANDARAN
    assert check["assignee_region_name"]
    assert check["instructions"] == "Bawa GPS"
    assert check["assigned_by"] == {"id": bpbd_officer.pk, "name": bpbd_officer.full_name}
    assert GroundCheck.objects.get(pk=check["id"]).event == up_event
    second = post_json(bpbd, path, {"desa_code": UJUNG_PANDARAN})
    assert (second.status_code, second.json()["error"]["code"]) == (
        409,
        "fires.check.already_assigned",
    )
    assert GroundCheck.objects.count() == 1
    assert post_json(desa, path, {"desa_code": UJUNG_PANDARAN}).status_code == 403
    outside = post_json(staff_client(pupr_officer), path, {"desa_code": UJUNG_PANDARAN})
    assert (outside.status_code, outside.json()) == (404, EVENT_NOT_FOUND)


def test_a_check_for_one_officer(
    up_event: FireEvent,
    bpbd: Client,
    bpbd_head: Any,
    desa: Client,
    staff_client: Callable[[Any], Client],
):
    path = f"{BASE}/events/{up_event.ref}/checks"
    for nobody in (999999, CitizenFactory().pk):
        refused = post_json(bpbd, path, {"user_id": nobody})
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            422,
            "fires.check.user_invalid",
        )
    created = post_json(bpbd, path, {"user_id": bpbd_head.pk})
    assert created.status_code == 201
    assert created.json()["assignee_user"] == {"id": bpbd_head.pk, "name": bpbd_head.full_name}
    assert created.json()["assignee_region_code"] == ""
    # It is the officer's to answer, not the desa's.
    assert [c["id"] for c in staff_client(bpbd_head).get(f"{BASE}/checks").json()["items"]] == [
        created.json()["id"]
    ]
    assert desa.get(f"{BASE}/checks").json()["count"] == 0


def test_ones_ground_checks(
    assigned: GroundCheck,
    desa: Client,
    other_desa: Client,
    kecamatan_operator: Any,
    staff_client: Callable[[Any], Client],
    django_assert_max_num_queries: Callable[..., Any],
):
    with django_assert_max_num_queries(6):
        response = desa.get(f"{BASE}/checks")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["id"] == assigned.pk
    assert body["items"][0]["instructions"] == "Cek lokasi"
    assert body["items"][0]["photo_url"] is None
    assert other_desa.get(f"{BASE}/checks").json() == {"items": [], "count": 0}
    one = desa.get(f"{BASE}/checks/{assigned.pk}")
    assert (one.status_code, one.json()["id"]) == (200, assigned.pk)
    hidden = other_desa.get(f"{BASE}/checks/{assigned.pk}")
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "fires.check.not_found")
    # The kecamatan's operator may answer a check of a desa of the kecamatan.
    assert staff_client(kecamatan_operator).get(f"{BASE}/checks").json()["count"] == 1


def test_the_check_list_query_count_does_not_grow(
    kalimantan_2022: ImportRun,
    bpbd_officer: Any,
    desa: Client,
    django_assert_max_num_queries: Callable[..., Any],
):
    events = FireEvent.objects.filter(desa_code=UJUNG_PANDARAN, merged_into__isnull=True)
    assert events.count() >= 2
    for event in events:
        services.check_assign(actor=bpbd_officer, ref=event.ref, desa_code=UJUNG_PANDARAN)
    with django_assert_max_num_queries(6):
        body = desa.get(f"{BASE}/checks").json()
    assert body["count"] == events.count() == len(body["items"])


def test_answering_a_ground_check(
    up_event: FireEvent, assigned: GroundCheck, desa: Client, other_desa: Client, desa_operator: Any
):
    path = f"{BASE}/checks/{assigned.pk}/result"
    no_photo = desa.post(path, {"result": "api", "note": "x"})
    assert (no_photo.status_code, no_photo.json()["error"]["code"]) == (
        422,
        "fires.check.photo_required",
    )
    bad_result = desa.post(path, {"result": "mungkin", "photo": jpeg()})
    assert (bad_result.status_code, bad_result.json()["error"]["code"]) == (
        422,
        "fires.check.result_invalid",
    )
    not_photo = desa.post(path, {"result": "api", "photo": csv_upload(b"a,b\n")})
    assert (not_photo.status_code, not_photo.json()["error"]["code"]) == (
        422,
        "fires.photo.not_image",
    )
    elsewhere = other_desa.post(path, {"result": "api", "photo": jpeg()})
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (
        404,
        "fires.check.not_found",
    )
    assigned.refresh_from_db()
    assert assigned.status == "ditugaskan"
    assert not assigned.photo
    answered = desa.post(
        path,
        {
            "result": "bukan_api",
            "note": "Hanya asap sampah",
            "lat": "-3.1",
            "lng": "112.9",
            "photo": jpeg(),
        },
    )
    assert answered.status_code == 200, answered.json()
    check = answered.json()
    assert (check["status"], check["result"], check["note"]) == (
        "selesai",
        "bukan_api",
        "Hanya asap sampah",
    )
    assert (check["lat"], check["lng"]) == (-3.1, 112.9)
    assert check["checked_by"]["id"] == desa_operator.pk
    assert check["photo_url"] == f"/kantor/karhutla/cek/{assigned.pk}/foto/"
    up_event.refresh_from_db()
    assert (up_event.status, up_event.check_result) == ("dicek_lapangan", "bukan_api")
    again = desa.post(path, {"result": "api", "photo": jpeg()})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "fires.check.closed")


def test_cancelling_a_ground_check(assigned: GroundCheck, bpbd: Client, desa: Client):
    path = f"{BASE}/checks/{assigned.pk}/cancel"
    assert post_json(desa, path, {"reason": "x"}).status_code == 403
    cancelled = post_json(bpbd, path, {"reason": "Salah desa"})
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["note"]) == ("dibatalkan", "Salah desa")
    again = post_json(bpbd, path, {"reason": "x"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "fires.check.closed")
    missing = post_json(bpbd, f"{BASE}/checks/999999/cancel", {})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "fires.check.not_found")
    # The event may get a new check now.
    again_assigned = post_json(
        bpbd, f"{BASE}/events/{assigned.event.ref}/checks", {"desa_code": UJUNG_PANDARAN}
    )
    assert again_assigned.status_code == 201


# --- Imports --------------------------------------------------------------------------------------
def test_importing_a_file(
    db: None,
    bpbd: Client,
    bpbd_officer: Any,
    django_assert_max_num_queries: Callable[..., Any],
):
    when = dt.datetime(2022, 8, 20, 13, 0, tzinfo=dt.UTC)
    data = nrt_file([nrt_row(*SAMPIT, when, confidence="h"), nrt_row(-6.2, 106.8, when)])
    created = bpbd.post(f"{BASE}/imports", {"file": csv_upload(data)})
    assert created.status_code == 201, created.json()
    run = created.json()
    assert (run["outcome"], run["rows_total"], run["rows_new"], run["rows_outside"]) == (
        "selesai",
        2,
        1,
        1,
    )
    assert run["file_format"] == "nrt"
    assert run["filename"] == "firms.csv"
    assert run["actor"] == {"id": bpbd_officer.pk, "name": bpbd_officer.full_name}
    assert Hotspot.objects.count() == 1
    again = bpbd.post(f"{BASE}/imports", {"file": csv_upload(data)})
    assert again.status_code == 201
    assert (again.json()["rows_new"], again.json()["rows_duplicate"]) == (0, 1)
    assert Hotspot.objects.count() == 1
    with django_assert_max_num_queries(6):
        listed = bpbd.get(f"{BASE}/imports")
    assert [r["id"] for r in listed.json()["items"]] == [again.json()["id"], run["id"]]
    one = bpbd.get(f"{BASE}/imports/{run['id']}")
    assert one.status_code == 200
    assert one.json()["rows_new"] == 1


def test_a_file_with_bad_rows_is_refused_whole(db: None, bpbd: Client):
    when = dt.datetime(2022, 8, 20, 13, 0, tzinfo=dt.UTC)
    good = nrt_row(*SAMPIT, when)
    data = (
        "\n".join(
            [
                NRT_HEADER,
                good,
                good.replace(f"{SAMPIT[0]:.6f}", "-95.000000"),
                good.replace(",n,", ",zz,"),
            ]
        )
        + "\n"
    ).encode()
    refused = bpbd.post(f"{BASE}/imports", {"file": csv_upload(data)})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "fires.import.rows_invalid"
    assert error["error_count"] == 2
    assert [(r["row"], r["column"]) for r in error["rows"]] == [(3, "latitude"), (4, "confidence")]
    assert all(r["message"] for r in error["rows"])
    assert Hotspot.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.outcome == "ditolak"
    # The refused run keeps its report.
    detail = bpbd.get(f"{BASE}/imports/{run.pk}").json()
    assert detail["outcome"] == "ditolak"
    assert detail["error_count"] == 2
    assert [e["row"] for e in detail["errors"]] == [3, 4]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "fires.import.empty"),
        (b"lat,lon,when\n1,2,3\n", "fires.import.columns_missing"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "fires.import.not_csv"),
    ],
)
def test_unreadable_files_are_422(db: None, bpbd: Client, data: bytes, code: str):
    refused = bpbd.post(f"{BASE}/imports", {"file": csv_upload(data)})
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert (error["code"], error["rows"], error["error_count"]) == (code, [], 0)
    assert error["message"]
    assert Hotspot.objects.count() == 0
    assert ImportRun.objects.get().code == code


def test_a_file_too_large_is_refused(db: None, bpbd: Client, settings: Any):
    settings.FIRES_IMPORT_MAX_BYTES = 1024 * 1024
    rows = [nrt_row(*SAMPIT, dt.datetime(2022, 8, 20, 13, 0, tzinfo=dt.UTC))] * 14_000
    data = nrt_file(rows)
    assert len(data) > 1024 * 1024
    refused = bpbd.post(f"{BASE}/imports", {"file": csv_upload(data)})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "fires.import.too_large"
    assert Hotspot.objects.count() == 0


def test_an_import_without_a_file(db: None, bpbd: Client):
    refused = bpbd.post(f"{BASE}/imports", {})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "fires.import.empty"


def test_imports_are_for_regency_wide_managers(
    db: None, desa: Client, pupr_officer: Any, staff_client: Callable[[Any], Client]
):
    data = nrt_file([nrt_row(*SAMPIT, dt.datetime(2022, 8, 20, 13, 0, tzinfo=dt.UTC))])
    assert desa.post(f"{BASE}/imports", {"file": csv_upload(data)}).status_code == 403
    pupr = staff_client(pupr_officer)
    refused = pupr.post(f"{BASE}/imports", {"file": csv_upload(data)})
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    assert pupr.get(f"{BASE}/imports").json() == {"items": [], "count": 0}
    assert Hotspot.objects.count() == 0
    assert ImportRun.objects.count() == 0


def test_an_import_of_another_scope_is_not_found(kalimantan_2022: ImportRun, bpbd: Client):
    missing = bpbd.get(f"{BASE}/imports/999999")
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        404,
        "fires.import.not_found",
    )


# --- Sensors --------------------------------------------------------------------------------------
def sensor_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "pasar-mentaya-01",
        "name": "Detektor asap los ikan",
        "building": "Pasar Mentaya",
        "lat": SAMPIT[0],
        "lng": SAMPIT[1],
        "kind": "asap",
        "heartbeat_seconds": 300,
    }
    body.update(overrides)
    return body


def webhook(body: bytes, client: Client | None = None) -> Any:
    return (client or Client(enforce_csrf_checks=True)).post(
        f"{BASE}/sensors/webhook", data=body, content_type="application/json"
    )


def test_registering_rekeying_and_revoking_a_sensor(
    agencies: dict[str, Agency],
    bpbd_head: Any,
    staff_client: Callable[[Any], Client],
    django_assert_max_num_queries: Callable[..., Any],
):
    head = staff_client(bpbd_head)
    created = post_json(head, f"{BASE}/sensors", sensor_body(agency_id=agencies["bpbd"].pk))
    assert created.status_code == 201, created.json()
    body = created.json()
    secret = body["secret"]
    assert len(secret) > 30
    sensor = body["sensor"]
    assert (sensor["code"], sensor["is_active"], sensor["online"]) == (
        "pasar-mentaya-01",
        True,
        False,
    )
    assert sensor["desa_code"] == "62.02.06.1007"
    assert "secret" not in sensor
    assert "secret_encrypted" not in sensor
    # The secret signs the sensor's messages.
    assert webhook(message(secret, "pasar-mentaya-01", "heartbeat")).status_code == 202
    duplicate = post_json(head, f"{BASE}/sensors", sensor_body(agency_id=agencies["bpbd"].pk))
    assert duplicate.status_code == 422
    assert duplicate.json()["error"]["code"] == "fires.sensor.invalid"
    assert "code" in duplicate.json()["error"]["fields"]
    outside = post_json(
        head,
        f"{BASE}/sensors",
        sensor_body(code="jakarta-1", lat=-6.2, lng=106.8, agency_id=agencies["bpbd"].pk),
    )
    assert outside.status_code == 422
    assert "lat" in outside.json()["error"]["fields"]
    other_agency = post_json(
        head, f"{BASE}/sensors", sensor_body(code="pupr-1", agency_id=agencies["pupr"].pk)
    )
    assert other_agency.status_code == 422
    assert "agency_id" in other_agency.json()["error"]["fields"]

    with django_assert_max_num_queries(7):
        listed = head.get(f"{BASE}/sensors")
    assert [s["code"] for s in listed.json()["items"]] == ["pasar-mentaya-01"]
    assert listed.json()["items"][0]["online"] is True
    assert head.get(f"{BASE}/sensors/pasar-mentaya-01").json()["code"] == "pasar-mentaya-01"

    rotated = post_json(head, f"{BASE}/sensors/pasar-mentaya-01/rotate")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != secret
    old = webhook(message(secret, "pasar-mentaya-01", "heartbeat"))
    assert (old.status_code, old.json()["error"]["code"]) == (401, "sensor.signature.bad")
    assert webhook(message(new_secret, "pasar-mentaya-01", "heartbeat")).status_code == 202

    revoked = post_json(head, f"{BASE}/sensors/pasar-mentaya-01/revoke")
    assert (revoked.status_code, revoked.json()["is_active"]) == (200, False)
    again = post_json(head, f"{BASE}/sensors/pasar-mentaya-01/revoke")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "fires.sensor.revoked")
    refused = webhook(message(new_secret, "pasar-mentaya-01", "alarm"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "sensor.revoked")

    with django_assert_max_num_queries(8):
        log = head.get(f"{BASE}/sensors/pasar-mentaya-01/messages")
    items = log.json()["items"]
    assert [(m["outcome"], m["reason"]) for m in items] == [
        ("ditolak", "sensor.revoked"),
        ("diterima", ""),
        ("ditolak", "sensor.signature.bad"),
        ("diterima", ""),
    ]
    assert all(m["channel"] == "http" and m["sensor"] == "pasar-mentaya-01" for m in items)


def test_sensor_management_is_scoped(
    make_sensor: Callable[..., tuple[Sensor, str]],
    agencies: dict[str, Agency],
    bpbd_head: Any,
    desa: Client,
    fires_admin: Any,
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
):
    from kotacerdas.accounts.models import Role

    make_sensor("damkar-1", agency_id=agencies["damkar"].pk)
    make_sensor("bpbd-1", agency_id=agencies["bpbd"].pk)
    head = staff_client(bpbd_head)
    # The BPBD head sees the whole regency's fires (so every sensor) but manages BPBD's only.
    assert post_json(head, f"{BASE}/sensors/damkar-1/revoke").status_code == 404
    assert post_json(head, f"{BASE}/sensors/bpbd-1/revoke").status_code == 200
    admin = staff_client(fires_admin)
    assert [s["code"] for s in admin.get(f"{BASE}/sensors").json()["items"]] == [
        "bpbd-1",
        "damkar-1",
    ]
    assert post_json(admin, f"{BASE}/sensors/damkar-1/rotate").status_code == 200
    # A desa operator: no sensors, and may not register one.
    assert desa.get(f"{BASE}/sensors").json() == {"items": [], "count": 0}
    assert post_json(desa, f"{BASE}/sensors", sensor_body()).status_code == 403
    missing = desa.get(f"{BASE}/sensors/damkar-1/messages")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "fires.sensor.not_found")
    pupr_head = staff_client(make_staff(Role.KEPALA_OPD, agency=agencies["pupr"]))
    assert pupr_head.get(f"{BASE}/sensors").json()["count"] == 0


# --- The webhook ----------------------------------------------------------------------------------
def refusals() -> list[tuple[str, str, str]]:
    return list(
        SensorMessage.objects.filter(outcome="ditolak")
        .order_by("pk")
        .values_list("claimed_code", "reason", "channel")
    )


def test_an_alarm_opens_a_fire_incident(make_sensor: Callable[..., tuple[Sensor, str]]):
    sensor, secret = make_sensor("pasar-uji-01", building="Pasar Uji Sampit")
    response = webhook(message(secret, sensor.code, "alarm", value=61.5))
    assert response.status_code == 202
    incident = Incident.objects.get(sensor_code=sensor.code)
    assert response.json() == {"accepted": True, "incident": incident.ref}
    assert (incident.source, incident.kind, incident.priority) == ("sensor", "kebakaran", "merah")
    assert (incident.lat, incident.lng) == pytest.approx((sensor.lat, sensor.lng), abs=1e-4)
    assert incident.desa_code == sensor.desa_code
    sensor.refresh_from_db()
    assert sensor.online
    assert sensor.last_alarm_at is not None
    logged = SensorMessage.objects.get()
    assert (logged.outcome, logged.channel, logged.incident_ref, logged.message_type) == (
        "diterima",
        "http",
        incident.ref,
        "alarm",
    )
    # A second alarm while the incident is open joins it.
    again = webhook(message(secret, sensor.code, "alarm"))
    assert again.json() == {"accepted": True, "incident": incident.ref}
    assert Incident.objects.filter(sensor_code=sensor.code).count() == 1
    beat = webhook(message(secret, sensor.code, "heartbeat"))
    assert (beat.status_code, beat.json()) == (202, {"accepted": True, "incident": None})


def test_a_signed_in_session_is_not_needed_nor_used(
    make_sensor: Callable[..., tuple[Sensor, str]], bpbd: Client
):
    sensor, _secret = make_sensor()
    forged = message("not-the-secret", sensor.code, "alarm")
    response = webhook(forged, client=bpbd)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "sensor.signature.bad")
    assert Incident.objects.count() == 0


def test_every_webhook_refusal(make_sensor: Callable[..., tuple[Sensor, str]]):
    sensor, secret = make_sensor("pasar-uji-01")
    revoked, revoked_secret = make_sensor("pasar-lama-02", is_active=False)
    now = int(time.time())
    replayed = message(secret, sensor.code, "alarm", nonce="nonce-sekali-saja")
    assert webhook(replayed).status_code == 202
    no_sig = json.loads(message(secret, sensor.code, "alarm"))
    del no_sig["sig"]
    cases = [
        (b"<alarm/>", 400, "sensor.message.not_json"),
        (b'["sensor"]', 400, "sensor.message.not_json"),
        (
            json.dumps(
                {"sensor": sensor.code, "type": "fire", "ts": now, "nonce": "abcdefgh", "sig": "00"}
            ).encode(),
            400,
            "sensor.message.invalid",
        ),
        (json.dumps(no_sig).encode(), 401, "sensor.credentials.missing"),
        (message(secret, "tidak-dikenal", "alarm"), 401, "sensor.unknown"),
        (message("salah-rahasia", sensor.code, "alarm"), 401, "sensor.signature.bad"),
        (replayed, 409, "sensor.replay"),
        (message(secret, sensor.code, "alarm", ts=now - 3600), 409, "sensor.timestamp.stale"),
        (message(revoked_secret, revoked.code, "alarm"), 403, "sensor.revoked"),
        (b"{" + b" " * 5000 + b"}", 413, "sensor.message.too_large"),
    ]
    for body, status, code in cases:
        response = webhook(body)
        assert response.status_code == status, (code, response.json())
        error = response.json()["error"]
        assert error["code"] == code
        assert error["message"]
    # One incident (the first alarm), and every refusal logged with its reason.
    assert Incident.objects.count() == 1
    assert [r[1] for r in refusals()] == [code for _b, _s, code in cases]
    assert {r[2] for r in refusals()} == {"http"}
    logged = dict(
        SensorMessage.objects.filter(outcome="ditolak").values_list("reason", "claimed_code")
    )
    assert logged["sensor.unknown"] == "tidak-dikenal"
    assert logged["sensor.revoked"] == revoked.code
    assert SensorMessage.objects.get(reason="sensor.signature.bad").sensor == sensor


def test_a_webhook_without_credentials(make_sensor: Callable[..., tuple[Sensor, str]]):
    sensor, _secret = make_sensor()
    body = json.dumps(
        {"sensor": sensor.code, "type": "alarm", "ts": int(time.time()), "nonce": "abcdefgh12"}
    ).encode()
    response = webhook(body)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "sensor.credentials.missing",
            "message": "The message carries no signature.",
        }
    }
    # Logged (the message is refused before the sender's claim is read).
    assert [(reason, channel) for _c, reason, channel in refusals()] == [
        ("sensor.credentials.missing", "http")
    ]
    assert Incident.objects.count() == 0


def test_the_webhook_takes_only_post(db: None):
    assert Client().get(f"{BASE}/sensors/webhook").status_code == 405


def test_the_openapi_document_lists_the_fire_endpoints(db: None):
    doc = Client().get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/v1/fires/map",
        "/api/v1/fires/events",
        "/api/v1/fires/events/{ref}",
        "/api/v1/fires/checks/{check_id}/result",
        "/api/v1/fires/imports",
        "/api/v1/fires/sensors/webhook",
    ):
        assert path in paths
    assert "security" not in paths["/api/v1/fires/sensors/webhook"]["post"]


def test_signing_reference_matches_the_webhook(make_sensor: Callable[..., tuple[Sensor, str]]):
    """A device that builds the canonical string by hand (as documented) is accepted."""
    import hashlib
    import hmac

    sensor, secret = make_sensor()
    ts = int(time.time())
    canonical = f"v1|{sensor.code}|alarm|{ts}|abcdef123456|61.5".encode()
    sig = hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()
    body = json.dumps(
        {
            "sensor": sensor.code,
            "type": "alarm",
            "ts": ts,
            "nonce": "abcdef123456",
            "value": 61.5,
            "sig": sig,
        }
    ).encode()
    assert webhook(body).status_code == 202
    assert signing.sign(secret, sensor.code, "alarm", ts, "abcdef123456", 61.5) == sig
