"""/api/v1/reports through HTTP: exact content of each endpoint, every bad input with its stable
code, scoping (out of scope is a 404 that changes nothing), role matrices and query budgets."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from kotacerdas.accounts.models import ApiToken
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory
from kotacerdas.accounts.tokens import token_generate
from kotacerdas.core.models import AuditEvent, Notification
from kotacerdas.core.sla import WIB
from kotacerdas.reports import services
from kotacerdas.reports.models import (
    Category,
    EventKind,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportSupport,
    Status,
)

from .conftest import OUTSIDE_KOTIM, SAMPIT, SAMPIT_DESA, agency, jpeg_bytes, upload, verified

pytestmark = pytest.mark.django_db

BASE = "/api/v1/reports"
BAPEANG = (-2.666, 112.9304)  # Desa Bapeang, same kecamatan as SAMPIT
BAPEANG_DESA = "62.02.06.2006"
PALANGAN = (-2.3654, 112.74)  # Desa Palangan, Kecamatan Kota Besi
KECAMATAN = "62.02.06"  # Mentawa Baru Ketapang
DESCRIPTION = "Jalan berlubang besar di depan pasar, membahayakan pengendara."
AUTH_REQUIRED = {
    "error": {"code": "auth.required", "message": "Please sign in or send a valid token."}
}
FORBIDDEN = {"error": {"code": "forbidden", "message": "You are not allowed to do this."}}
NOT_FOUND = {"error": {"code": "reports.report.not_found", "message": "There is no such report."}}
CONFLICT = {
    "error": {
        "code": "reports.report.conflict",
        "message": "Someone else changed this report a moment ago. Reload the page to see what "
        "changed, then try again.",
    }
}


@pytest.fixture(autouse=True)
def _english(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Generator[None, None, None]:
    """Exact assertions are on the English msgids: every client carries the language cookie
    (one test checks the Indonesian default explicitly)."""
    from django.utils import translation

    original_init = Client.__init__

    def english_client(self: Client, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    monkeypatch.setattr(Client, "__init__", english_client)
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _frozen_ratelimit_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-ratelimit counts in fixed windows; its own clock stands still here."""
    import types

    import django_ratelimit.core

    monkeypatch.setattr(
        django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0)
    )


def iso(value: Any) -> Any:
    """A datetime as the API writes it."""
    return None if value is None else DjangoJSONEncoder().default(value)


def post_json(client: Client, path: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(path, data=json.dumps(body or {}), content_type="application/json", **extra)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def state() -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        list(Report.objects.order_by("pk").values()),
        list(ReportEvent.objects.order_by("pk").values_list("pk", flat=True)),
        AuditEvent.objects.filter(action__startswith="kotacerdas.reports.").count(),
        Notification.objects.count(),
        ReportPhoto.objects.count(),
        ReportSupport.objects.count(),
        media_files(),
    )


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "complaint",
        "category": "jalan-rusak",
        "description": DESCRIPTION,
        "lat": str(SAMPIT[0]),
        "lng": str(SAMPIT[1]),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def officer_client(pupr_officer: Any, staff_client: Callable[[Any], Client]) -> Client:
    return staff_client(pupr_officer)


def public_row(report: Report) -> dict[str, Any]:
    """A report as the public list shows it."""
    return {
        "ref": report.ref,
        "kind": report.kind,
        "title": report.title,
        "description": report.description,
        "category": {
            "code": report.category.code,
            "name": report.category.name,
            "name_en": report.category.name_en,
        },
        "status": report.status,
        "status_label": str(Status(report.status).label),
        "agency": {"code": report.agency.code, "short_name": report.agency.short_name},
        "desa_code": report.desa_code,
        "desa_name": report.desa_name,
        "kecamatan_code": report.kecamatan_code,
        "kecamatan_name": report.kecamatan_name,
        "lat": report.lat,
        "lng": report.lng,
        "location_approximate": report.location_approximate,
        "support_count": report.support_count,
        "created_at": iso(report.created_at),
        "updated_at": iso(report.updated_at),
    }


# --- Catalogue -----------------------------------------------------------------------------------
def test_category_list_and_detail(catalogue: None, django_assert_num_queries: Any):
    client = Client()
    with django_assert_num_queries(1):
        body = client.get(f"{BASE}/categories").json()
    expected_codes = list(
        Category.objects.filter(is_active=True)
        .order_by("order", "name")
        .values_list("code", flat=True)
    )
    assert [c["code"] for c in body] == expected_codes
    assert len(expected_codes) == 17
    road = next(c for c in body if c["code"] == "jalan-rusak")
    assert road == {
        "code": "jalan-rusak",
        "name": "Jalan rusak / berlubang",
        "name_en": "Damaged or potholed road",
        "description": "Jalan kabupaten yang rusak, berlubang, amblas atau retak.",
        "description_en": "Regency roads that are damaged, potholed, sunken or cracked.",
        "group": "Infrastruktur",
        "dimension": "living",
        "agency": {"code": "pupr", "short_name": "Dinas PUPR"},
        "handling_level": "agency",
        "sla_verify_days": 3,
        "sla_plan_days": 5,
        "sla_complete_days": 20,
        "attributes": [
            {
                "code": "road_size",
                "datatype": "singlevaluelist",
                "required": False,
                "description": "Seberapa besar kerusakannya?",
                "order": 1,
                "values": [
                    {"key": "kecil", "name": "Kecil (kurang dari 1 m)"},
                    {"key": "sedang", "name": "Sedang (1–5 m)"},
                    {"key": "besar", "name": "Besar (lebih dari 5 m)"},
                ],
            }
        ],
    }
    assert client.get(f"{BASE}/categories/jalan-rusak").json() == road
    assert [c["code"] for c in client.get(f"{BASE}/categories?q=lampu pju").json()] == [
        "lampu-jalan"
    ]

    # 20 more categories: still one query.
    for i in range(20):
        Category.objects.create(code=f"extra-{i}", name=f"Extra {i}", dimension="living",
                                agency=agency("pupr"))  # fmt: skip
    with django_assert_num_queries(1):
        assert len(client.get(f"{BASE}/categories").json()) == 37


def test_unknown_and_inactive_category_is_404(catalogue: None):
    Category.objects.filter(code="sampah").update(is_active=False)
    for code in ("tidak-ada", "sampah"):
        response = Client().get(f"{BASE}/categories/{code}")
        assert (response.status_code, response.json()) == (
            404,
            {
                "error": {
                    "code": "reports.category.not_found",
                    "message": "There is no such report category.",
                }
            },
        )
    assert "sampah" not in [c["code"] for c in Client().get(f"{BASE}/categories").json()]


# --- Public list ---------------------------------------------------------------------------------
def test_public_list_shows_only_public_reports_without_reporter(
    file_report: Callable[..., Any], pupr_officer: Any
):
    public = file_report(title="Lubang di Jalan Tidar")
    file_report(is_confidential=True, title="Rahasia")
    rejected = file_report(title="Ditolak")
    services.report_reject(
        actor=verified(pupr_officer), ref=rejected.ref, version=1, reason="Bukan kewenangan kami."
    )
    anonymous = file_report(is_anonymous=True, title="Tanpa nama")

    response = Client().get(BASE)

    assert response.status_code == 200
    public.refresh_from_db()
    anonymous.refresh_from_db()
    assert response.json() == {"count": 2, "items": [public_row(anonymous), public_row(public)]}
    assert public_row(public)["title"] == "Lubang di Jalan Tidar"


def test_public_list_filters(file_report: Callable[..., Any], pupr_officer: Any):
    road = file_report(title="Jalan")
    lamp = file_report(category_code="lampu-jalan", title="Lampu", lat=BAPEANG[0], lng=BAPEANG[1])
    aspiration = file_report(
        kind="aspiration", category_code="lainnya", title="Taman kota", lat=PALANGAN[0],
        lng=PALANGAN[1], description="Mohon dibangun taman bermain anak di kecamatan ini.",
    )  # fmt: skip
    services.report_verify(actor=verified(pupr_officer), ref=road.ref, version=1)
    today = road.created_at.astimezone(WIB).date()

    def refs(query: str) -> list[str]:
        response = Client().get(f"{BASE}?{query}")
        assert response.status_code == 200, response.json()
        return [r["ref"] for r in response.json()["items"]]

    assert refs("kind=aspiration") == [aspiration.ref]
    assert refs("category=lampu-jalan") == [lamp.ref]
    assert refs("status=diverifikasi") == [road.ref]
    assert refs("status=open") == [aspiration.ref, lamp.ref, road.ref]
    assert refs("status=closed") == []
    assert refs("kecamatan=62.02.01") == [aspiration.ref]
    assert refs(f"desa={BAPEANG_DESA}") == [lamp.ref]
    assert refs("search=taman") == [aspiration.ref]
    assert refs(f"search={road.ref}") == [road.ref]
    assert refs(f"date_from={today}&date_to={today}") == [aspiration.ref, lamp.ref, road.ref]
    assert refs("date_from=2020-01-01&date_to=2020-01-31") == []


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("kind=petition", {"kind": ["Choose one of the allowed values."]}),
        ("status=lost", {"status": ["Choose one of the allowed values."]}),
        ("date_from=13-01-2026", {"date_from": ["Enter a date as YYYY-MM-DD."]}),
        ("date_from=2026-02-01&date_to=2026-01-01", {"date_to": ["The end date is before the start date."]}),
    ],
)  # fmt: skip
def test_public_list_bad_filter_is_422(catalogue: None, query: str, fields: dict[str, Any]):
    response = Client().get(f"{BASE}?{query}")
    assert response.status_code == 422
    assert response.json() == {
        "error": {"code": "reports.filter.invalid", "message": "Some fields are not valid.",
                  "fields": fields}
    }  # fmt: skip


def test_public_list_pagination_limit(catalogue: None):
    response = Client().get(f"{BASE}?limit=500")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"limit": ["Must be between 1 and 200."]}


def test_public_list_query_count_does_not_grow(
    file_report: Callable[..., Any], django_assert_num_queries: Any
):
    file_report()
    client = Client()
    # count, the page with categories and agencies
    with django_assert_num_queries(2):
        assert client.get(BASE).json()["count"] == 1
    for _ in range(20):
        file_report()
    with django_assert_num_queries(2):
        assert len(client.get(BASE).json()["items"]) == 21


# --- Detail --------------------------------------------------------------------------------------
@pytest.fixture
def handled(file_report: Callable[..., Any], pupr_officer: Any) -> Report:
    """A report with a photo, verified, asked about (reporter only) and escalated (staff
    only), filed by a citizen with a phone number."""
    reporter = CitizenFactory(full_name="Siti Pelapor", email="siti@example.test",
                              phone="6281234567890")  # fmt: skip
    report = file_report(actor=reporter, photos=[upload(jpeg_bytes())], title="Lubang besar")
    officer = verified(pupr_officer)
    report = services.report_verify(actor=officer, ref=report.ref, version=1, message="Benar.")
    report = services.report_ask(
        actor=officer, ref=report.ref, version=report.version, question="Di sisi mana jalannya?"
    )
    assert report.due_at is not None
    services.reports_escalate(now=report.due_at + dt.timedelta(days=7))
    report.refresh_from_db()
    return report


def detail_for(client: Client, ref: str) -> dict[str, Any]:
    response = client.get(f"{BASE}/{ref}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_public_detail_exact(handled: Report):
    photo = ReportPhoto.objects.get(report=handled)
    created, verified_event = ReportEvent.objects.filter(report=handled).order_by("pk")[:2]

    body = detail_for(Client(), handled.ref)

    assert body == {
        **public_row(handled),
        "address": "",
        "attributes": {},
        "is_anonymous": False,
        "is_confidential": False,
        "awaiting_citizen": True,
        "version": 4,
        "due_at": iso(handled.due_at),
        "completion_due_at": iso(handled.completion_due_at),
        "verified_at": iso(handled.verified_at),
        "completed_at": None,
        "closed_at": None,
        "completed_within_sla": None,
        "rating": None,
        "rating_comment": "",
        "council_response": "",
        "council_responded_at": None,
        "escalation_level": None,
        "sla": None,
        "photos": [
            {
                "id": photo.pk, "stage": "before", "width": 1200, "height": 900,
                "url": f"/laporan/{handled.ref}/foto/{photo.pk}/",
                "thumbnail_url": f"/laporan/{handled.ref}/foto/{photo.pk}/kecil/",
            }
        ],
        "timeline": [
            {
                "kind": "created", "from_status": "", "to_status": "baru", "message": "",
                "actor_label": "Reporter", "agency": None, "is_public": True,
                "created_at": iso(created.created_at),
            },
            {
                "kind": "status", "from_status": "baru", "to_status": "diverifikasi",
                "message": "Benar.", "actor_label": "Dinas PUPR", "agency": None,
                "is_public": True, "created_at": iso(verified_event.created_at),
            },
        ],
        "reporter": None,
        "viewer": {"is_reporter": False, "is_staff": False, "can_handle": False},
    }  # fmt: skip


def test_reporter_detail_shows_questions_not_internal_events(handled: Report):
    body = detail_for(signed_in(handled.reporter), handled.ref)

    assert [(e["kind"], e["message"]) for e in body["timeline"]] == [
        ("created", ""),
        ("status", "Benar."),
        ("question", "Di sisi mana jalannya?"),
    ]
    assert body["reporter"] is None
    assert (body["escalation_level"], body["sla"]) == (None, None)
    assert body["viewer"] == {"is_reporter": True, "is_staff": False, "can_handle": False}


def test_officer_detail_shows_everything_and_the_reporter(handled: Report, officer_client: Client):
    body = detail_for(officer_client, handled.ref)

    assert [(e["kind"], e["is_public"]) for e in body["timeline"]] == [
        ("created", True),
        ("status", True),
        ("question", False),
        ("escalated", False),
    ]
    assert body["reporter"] == {
        "user_id": handled.reporter_id,
        "name": "Siti Pelapor",
        "email": "siti@example.test",
        "phone": "6281234567890",
    }
    assert (body["escalation_level"], body["sla"]) == (1, "on_time")
    assert body["viewer"] == {"is_reporter": False, "is_staff": True, "can_handle": True}


def test_detail_with_a_bearer_token_is_the_officer_view(handled: Report, pupr_officer: Any):
    token, prefix, digest = token_generate()
    ApiToken.objects.create(user=pupr_officer, name="app", prefix=prefix, token_hash=digest)

    body = detail_for_token(handled.ref, token)

    assert body["viewer"] == {"is_reporter": False, "is_staff": True, "can_handle": True}
    assert body["reporter"]["name"] == "Siti Pelapor"


def detail_for_token(ref: str, token: str) -> dict[str, Any]:
    response = Client().get(f"{BASE}/{ref}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return response.json()


def test_anonymous_report_hides_the_reporter_even_from_officers(
    file_report: Callable[..., Any], officer_client: Client
):
    report = file_report(is_anonymous=True)
    body = detail_for(officer_client, report.ref)
    assert body["reporter"] is None
    assert body["is_anonymous"] is True
    assert body["viewer"]["is_staff"] is True


def test_confidential_report_is_404_for_the_public_and_other_citizens(
    file_report: Callable[..., Any], officer_client: Client
):
    report = file_report(is_confidential=True)
    for client in (Client(), signed_in(CitizenFactory())):
        response = client.get(f"{BASE}/{report.ref}")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert detail_for(signed_in(report.reporter), report.ref)["is_confidential"] is True
    assert detail_for(officer_client, report.ref)["viewer"]["can_handle"] is True


def test_unknown_report_is_404(catalogue: None):
    response = Client().get(f"{BASE}/2601-ZZZZZZ")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_detail_query_count_does_not_grow(
    handled: Report,
    file_report: Callable[..., Any],
    officer_client: Client,
    django_assert_num_queries: Any,
):
    public, reporter = Client(), signed_in(handled.reporter)
    public.get(f"{BASE}/{handled.ref}")  # warm the region index and the session
    # report, timeline, photos
    with django_assert_num_queries(3):
        public.get(f"{BASE}/{handled.ref}")
    # + session, user, memberships (no staff grants: no scope queries)
    with django_assert_num_queries(6):
        reporter.get(f"{BASE}/{handled.ref}")
    # + the OTP device, and for each of VIEW and HANDLE the escalation agency and a check
    with django_assert_num_queries(11):
        officer_client.get(f"{BASE}/{handled.ref}")

    for i in range(20):
        shown = bool(i % 2)  # half progress notes for everyone, half internal notes
        ReportEvent.objects.create(
            report=handled, kind=EventKind.PROGRESS if shown else EventKind.NOTE,
            message=f"catatan {i}", is_public=shown, visible_to_reporter=shown,
            created_at=handled.updated_at,
        )  # fmt: skip
        ReportPhoto.objects.create(report=handled, stage="after", image=f"x/{i}.jpg",
                                   thumbnail=f"x/{i}-t.jpg", width=1, height=1, size_bytes=1)  # fmt: skip
        file_report()

    with django_assert_num_queries(3):
        body = public.get(f"{BASE}/{handled.ref}").json()
    assert (len(body["photos"]), len(body["timeline"])) == (21, 12)
    with django_assert_num_queries(6):
        assert len(reporter.get(f"{BASE}/{handled.ref}").json()["timeline"]) == 13
    with django_assert_num_queries(11):
        assert len(officer_client.get(f"{BASE}/{handled.ref}").json()["timeline"]) == 24


# --- Map and nearby ------------------------------------------------------------------------------
def test_map_cells_and_points(file_report: Callable[..., Any], django_assert_num_queries: Any):
    a = file_report(title="A")
    b = file_report(title="B", lat=SAMPIT[0] + 0.0005, lng=SAMPIT[1])
    c = file_report(title="C", lat=PALANGAN[0], lng=PALANGAN[1])
    file_report(title="Secret", is_confidential=True)
    sawahan = {"lat": round((a.lat + b.lat) / 2, 5), "lng": SAMPIT[1], "count": 2, "open": 2}

    # The whole regency: one cell per desa, in desa code order (Palangan, then Sawahan).
    cells = Client().get(f"{BASE}/map").json()
    assert cells == {
        "cells": [{"lat": PALANGAN[0], "lng": PALANGAN[1], "count": 1, "open": 1}, sawahan]
    }
    with django_assert_num_queries(0):  # a minute in the per-process cache
        assert Client().get(f"{BASE}/map").json() == cells
    assert Client().get(f"{BASE}/map?kind=aspiration").json() == {"cells": []}

    # Zoomed in: the reports themselves.
    bbox = "-2.54,112.94,-2.52,112.96"
    with django_assert_num_queries(1):
        points = Client().get(f"{BASE}/map?bbox={bbox}&zoom=15").json()
    assert sorted(points["points"], key=lambda p: p["title"]) == [
        {"ref": r.ref, "title": r.title, "status": "baru", "kind": "complaint", "lat": r.lat,
         "lng": r.lng, "url": f"/laporan/{r.ref}/"}
        for r in (a, b)
    ]  # fmt: skip
    assert c.ref not in json.dumps(points)

    # A bbox while zoomed out: grid cells inside it.
    with django_assert_num_queries(1):
        assert Client().get(f"{BASE}/map?bbox={bbox}&zoom=10").json() == {"cells": [sawahan]}
    for _ in range(20):
        file_report()
    with django_assert_num_queries(1):
        grid = Client().get(f"{BASE}/map?bbox={bbox}&zoom=10").json()
    assert [cell["count"] for cell in grid["cells"]] == [22]
    with django_assert_num_queries(1):
        assert len(Client().get(f"{BASE}/map?bbox={bbox}&zoom=15").json()["points"]) == 22


@pytest.mark.parametrize(
    "bbox", ["1,2,3", "a,b,c,d", "-2.5,112,-2.6,113", "-2.6,113,-2.5,112", "-95,0,0,1", "nan,0,1,1"]
)
def test_map_bad_bbox_is_422(catalogue: None, bbox: str):
    response = Client().get(f"{BASE}/map?bbox={bbox}&zoom=14")
    message = "Give the map area as south,west,north,east in degrees."
    assert (response.status_code, response.json()) == (
        422,
        {"error": {"code": "reports.map.bbox", "message": message, "fields": {"bbox": [message]}}},
    )


def test_nearby_open_reports(file_report: Callable[..., Any], pupr_officer: Any):
    near = file_report(title="Dekat", lat=SAMPIT[0] + 0.0003, lng=SAMPIT[1])  # ~33 m
    nearest = file_report(title="Paling dekat", lat=SAMPIT[0], lng=SAMPIT[1] + 0.0001)  # ~11 m
    file_report(title="Jauh", lat=SAMPIT[0] + 0.002, lng=SAMPIT[1])  # ~220 m
    file_report(title="Lain", category_code="lampu-jalan")
    file_report(title="Rahasia", is_confidential=True)
    closed = file_report(title="Ditolak")
    services.report_reject(actor=verified(pupr_officer), ref=closed.ref, version=1,
                           reason="Laporan ganda, sudah ada.")  # fmt: skip

    response = Client().get(f"{BASE}/nearby?category=jalan-rusak&lat={SAMPIT[0]}&lng={SAMPIT[1]}")

    assert response.status_code == 200
    body = response.json()
    assert [(r["ref"], r["title"]) for r in body] == [
        (nearest.ref, "Paling dekat"),
        (near.ref, "Dekat"),
    ]
    assert body[0] == {
        "ref": nearest.ref, "title": "Paling dekat", "kind": "complaint", "status": "baru",
        "status_label": "New", "lat": nearest.lat, "lng": nearest.lng, "support_count": 0,
        "created_at": iso(nearest.created_at), "distance_m": body[0]["distance_m"],
        "url": f"/laporan/{nearest.ref}/",
    }  # fmt: skip
    assert 10.0 < body[0]["distance_m"] < 12.0
    assert 32.0 < body[1]["distance_m"] < 35.0


def test_nearby_bad_input(catalogue: None):
    unknown = Client().get(f"{BASE}/nearby?category=tidak-ada&lat=-2.5&lng=112.9")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (
        422,
        "reports.category.unknown",
    )
    bad = Client().get(f"{BASE}/nearby?category=jalan-rusak&lat=abc&lng=200")
    assert bad.status_code == 422
    assert bad.json()["error"] == {
        "code": "validation",
        "message": "Some fields are not valid.",
        "fields": {"lat": ["Enter a number."], "lng": ["Enter a longitude between -180 and 180."]},
    }


# --- Filing --------------------------------------------------------------------------------------
def test_file_a_report_with_photos(citizen: Any, catalogue: None):
    client = signed_in(citizen)
    response = client.post(
        BASE,
        data=form(
            title="Lubang di Jl. Tidar",
            address="Depan pasar",
            attributes=json.dumps({"road_size": "besar"}),
            photos=[upload(jpeg_bytes(), "a.jpg"), upload(jpeg_bytes(2000, 1000), "b.jpg")],
        ),
    )

    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    body = response.json()
    assert (report.reporter, report.source, report.desa_code) == (citizen, "api", SAMPIT_DESA)
    assert body["ref"] == report.ref
    assert (body["title"], body["address"], body["attributes"]) == (
        "Lubang di Jl. Tidar",
        "Depan pasar",
        {"road_size": "besar"},
    )
    assert [(p["width"], p["height"]) for p in body["photos"]] == [(1200, 900), (1600, 800)]
    assert body["viewer"] == {"is_reporter": True, "is_staff": False, "can_handle": False}
    assert body["reporter"] is None
    assert [e["kind"] for e in body["timeline"]] == ["created"]
    assert len(media_files()) == 4  # two photos, two thumbnails


def test_file_a_report_with_a_bearer_token(citizen: Any, catalogue: None):
    token, prefix, digest = token_generate()
    ApiToken.objects.create(user=citizen, name="app", prefix=prefix, token_hash=digest)

    response = Client().post(BASE, data=form(), HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 201
    assert Report.objects.get().reporter == citizen
    assert AuditEvent.objects.get(action="kotacerdas.reports.report.created").actor == citizen


def test_filing_without_authentication_is_401(catalogue: None):
    before = state()
    for extra in ({}, {"HTTP_AUTHORIZATION": "Bearer kc_not_a_real_token_at_all"}):
        response = Client().post(BASE, data=form(photos=[upload(jpeg_bytes())]), **extra)
        assert (response.status_code, response.json()) == (401, AUTH_REQUIRED)
    assert state() == before


def test_errors_are_indonesian_by_default(catalogue: None, citizen: Any):
    anonymous, signed = Client(), signed_in(citizen)
    for client in (anonymous, signed):
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]

    refused = anonymous.post(BASE, data=form())
    invalid = signed.post(BASE, data=form(kind="petisi"))

    assert refused.json() == {
        "error": {"code": "auth.required", "message": "Silakan masuk atau kirim token yang valid."}
    }
    assert invalid.json()["error"]["message"] == "Beberapa isian belum valid."


def text_file() -> Any:
    return upload(b"bukan foto, hanya teks biasa\n" * 20, "foto.jpg")


@pytest.mark.parametrize(
    ("overrides", "status", "code", "fields"),
    [
        ({"photos": [text_file()]}, 422, "reports.photo.not_image",
         {"photos": ["This file is not a photo. Attach a JPEG, PNG or WebP image."]}),
        ({"photos": [upload(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "scan.pdf", "application/pdf")]},
         422, "reports.photo.not_image",
         {"photos": ["This file is not a photo. Attach a JPEG, PNG or WebP image."]}),
        ({"photos": [upload(jpeg_bytes(64, 64)) for _ in range(4)]}, 422, "reports.photo.too_many",
         {"photos": ["Attach at most 3 photos."]}),
        ({"lat": str(OUTSIDE_KOTIM[0]), "lng": str(OUTSIDE_KOTIM[1])}, 422, "regions.outside", None),
        ({"description": ""}, 422, "reports.description.invalid",
         {"description": ["Write at least 10 characters."]}),
        ({"description": "   \x00\x01  "}, 422, "reports.description.invalid",
         {"description": ["Write at least 10 characters."]}),
        ({"description": "x" * 10_000}, 422, "reports.description.invalid",
         {"description": ["Write at most 5000 characters (now 10000)."]}),
        ({"category": "tidak-ada"}, 422, "reports.category.unknown",
         {"category": ["There is no such report category."]}),
        ({"kind": "petisi"}, 422, "reports.report.invalid",
         {"kind": ["Choose one of the allowed values."]}),
        ({"attributes": "[1, 2]"}, 422, "reports.attributes.invalid",
         {"attributes": ['Give the answers as a JSON object: {"code": value}.']}),
        ({"attributes": json.dumps({"road_size": "raksasa"})}, 422, "reports.attributes.invalid",
         {"attribute[road_size]": ["Choose one of the allowed values."]}),
        ({"lat": "utara"}, 422, "validation", {"lat": ["Enter a number."]}),
        ({"lat": None}, 422, "validation", {"lat": ["This field is required."]}),
    ],
)  # fmt: skip
def test_filing_bad_input(
    citizen: Any,
    catalogue: None,
    overrides: dict[str, Any],
    status: int,
    code: str,
    fields: dict[str, Any] | None,
):
    before = state()

    response = signed_in(citizen).post(BASE, data=form(**overrides))

    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert error.get("fields") == fields
    assert state() == before


def test_filing_a_photo_over_the_limit(citizen: Any, catalogue: None, settings: Any):
    settings.REPORTS_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    big = jpeg_bytes(64, 64) + os.urandom(2 * 1024 * 1024)  # a JPEG followed by 2 MB of noise
    before = state()

    response = signed_in(citizen).post(BASE, data=form(photos=[upload(big)]))

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "reports.photo.too_large",
        "message": "A photo may be at most 2 MB.",
        "fields": {"photos": ["A photo may be at most 2 MB."]},
    }
    assert state() == before


def test_filing_a_real_20_mb_upload_is_refused_quickly(citizen: Any, catalogue: None):
    import time

    big = upload(jpeg_bytes(64, 64) + b"\0" * (20 * 1024 * 1024), "besar.jpg")
    before = state()
    started = time.monotonic()

    response = signed_in(citizen).post(BASE, data=form(photos=[big]))

    assert time.monotonic() - started < 5
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "reports.photo.too_large",
    )
    assert response.json()["error"]["message"] == "A photo may be at most 10 MB."
    assert state() == before


def test_script_tags_are_returned_verbatim(citizen: Any, catalogue: None):
    text = '<script>alert("x")</script> <img src=x onerror=alert(1)> Jalan rusak & berlubang'

    response = signed_in(citizen).post(BASE, data=form(description=text, title="<b>judul</b>"))

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert (body["description"], body["title"]) == (text, "<b>judul</b>")
    assert Report.objects.get().description == text
    listed = Client().get(BASE).json()["items"][0]
    assert (listed["description"], listed["title"]) == (text, "<b>judul</b>")


def test_filing_is_rate_limited(citizen: Any, catalogue: None, settings: Any):
    settings.REPORTS_RATE_USER = "2/m"
    client = signed_in(citizen)
    assert [client.post(BASE, data=form()).status_code for _ in range(2)] == [201, 201]
    before = state()

    response = client.post(BASE, data=form())

    assert response.status_code == 429
    assert response.json() == {
        "error": {
            "code": "reports.rate_limited",
            "message": "Too many attempts. Please wait a moment and try again.",
        }
    }
    assert state() == before


# --- Mine ----------------------------------------------------------------------------------------
def test_mine_lists_own_reports_only(
    citizen: Any, file_report: Callable[..., Any], django_assert_num_queries: Any
):
    own = file_report(actor=citizen, is_confidential=True, is_anonymous=True)
    file_report()  # someone else's
    client = signed_in(citizen)
    client.get(f"{BASE}/mine")

    # session, user, count, page
    with django_assert_num_queries(4):
        body = client.get(f"{BASE}/mine").json()

    own.refresh_from_db()
    assert body == {
        "count": 1,
        "items": [
            {
                **public_row(own),
                "is_anonymous": True,
                "is_confidential": True,
                "awaiting_citizen": False,
                "version": 1,
                "rating": None,
            }
        ],
    }
    for _ in range(20):
        file_report(actor=citizen)
    with django_assert_num_queries(4):
        assert client.get(f"{BASE}/mine").json()["count"] == 21


def test_mine_needs_authentication(catalogue: None):
    response = Client().get(f"{BASE}/mine")
    assert (response.status_code, response.json()) == (401, AUTH_REQUIRED)


# --- Reporter's actions --------------------------------------------------------------------------
def test_support_once_per_person(file_report: Callable[..., Any], citizen: Any):
    report = file_report()
    client = signed_in(citizen)

    first = post_json(client, f"{BASE}/{report.ref}/support")
    again = post_json(client, f"{BASE}/{report.ref}/support")

    assert first.json() == {"ref": report.ref, "counted": True, "support_count": 1}
    assert again.json() == {"ref": report.ref, "counted": False, "support_count": 1}
    assert ReportSupport.objects.get().user == citizen
    own = post_json(signed_in(report.reporter), f"{BASE}/{report.ref}/support")
    assert (own.status_code, own.json()["error"]["code"]) == (422, "reports.support.own_report")
    anonymous = post_json(Client(), f"{BASE}/{report.ref}/support")
    assert anonymous.status_code == 401
    assert Report.objects.get(pk=report.pk).support_count == 1


def test_support_of_a_confidential_report_is_404(file_report: Callable[..., Any], citizen: Any):
    report = file_report(is_confidential=True)
    before = state()
    response = post_json(signed_in(citizen), f"{BASE}/{report.ref}/support")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert state() == before


@pytest.fixture
def completed(file_report: Callable[..., Any], pupr_officer: Any) -> Report:
    report = file_report()
    officer = verified(pupr_officer)
    report = services.report_verify(actor=officer, ref=report.ref, version=1)
    return services.report_complete(
        actor=officer, ref=report.ref, version=report.version, message="Sudah ditambal semua."
    )


def test_reporter_answers_confirms_and_rates(
    file_report: Callable[..., Any], pupr_officer: Any, completed: Report
):
    asked = file_report(actor=completed.reporter)
    asked = services.report_ask(actor=verified(pupr_officer), ref=asked.ref, version=1,
                                question="Di sisi mana?")  # fmt: skip
    client = signed_in(completed.reporter)

    answer = post_json(client, f"{BASE}/{asked.ref}/answer", {"message": "Sisi kiri jalan."})
    assert answer.status_code == 200
    assert answer.json()["awaiting_citizen"] is False
    assert answer.json()["timeline"][-1]["kind"] == "answer"
    assert answer.json()["timeline"][-1]["message"] == "Sisi kiri jalan."

    confirm = post_json(client, f"{BASE}/{completed.ref}/confirm")
    assert (confirm.status_code, confirm.json()["status"]) == (200, "ditutup")

    rate = post_json(client, f"{BASE}/{completed.ref}/rate", {"rating": 5, "comment": "Cepat"})
    assert rate.status_code == 200
    assert (rate.json()["rating"], rate.json()["rating_comment"]) == (5, "Cepat")
    twice = post_json(client, f"{BASE}/{completed.ref}/rate", {"rating": 1})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "reports.rating.done")
    bad = post_json(client, f"{BASE}/{asked.ref}/rate", {"rating": 6})
    assert (bad.status_code, bad.json()["error"]) == (
        422,
        {
            "code": "reports.rating.invalid",
            "message": "Give a rating from 1 to 5.",
            "fields": {"rating": ["Give a rating from 1 to 5."]},
        },
    )


def test_reporter_disputes(completed: Report):
    client = signed_in(completed.reporter)
    short = post_json(client, f"{BASE}/{completed.ref}/dispute", {"reason": "Belum"})
    assert short.json()["error"]["fields"] == {"reason": ["Write at least 10 characters."]}

    response = post_json(
        client, f"{BASE}/{completed.ref}/dispute", {"reason": "Lubangnya masih ada di sana."}
    )

    assert (response.status_code, response.json()["status"]) == (200, "dibuka_kembali")
    assert response.json()["timeline"][-1]["kind"] == "disputed"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("answer", {"message": "Saya ubah."}),
        ("confirm", {}),
        ("dispute", {"reason": "Belum selesai sama sekali."}),
        ("rate", {"rating": 1}),
    ],
)
def test_a_citizen_touching_someone_elses_report_gets_404(
    completed: Report, citizen: Any, action: str, body: dict[str, Any]
):
    before = state()
    response = post_json(signed_in(citizen), f"{BASE}/{completed.ref}/{action}", body)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert state() == before


# --- Officers' actions ---------------------------------------------------------------------------
def test_officer_flow_through_the_api(
    file_report: Callable[..., Any], officer_client: Client, dishub_officer: Any,
    staff_client: Callable[[Any], Client],
):  # fmt: skip
    report = file_report()
    url = f"{BASE}/{report.ref}"

    verified_ = post_json(officer_client, f"{url}/verify", {"version": 1, "message": "Valid"})
    assert verified_.status_code == 200, verified_.json()
    assert (verified_.json()["status"], verified_.json()["version"]) == ("diverifikasi", 2)
    assert verified_.json()["viewer"] == {"is_reporter": False, "is_staff": True,
                                          "can_handle": True}  # fmt: skip

    asked = post_json(officer_client, f"{url}/ask", {"version": 2, "question": "Ukurannya?"})
    assert (asked.json()["awaiting_citizen"], asked.json()["version"]) == (True, 3)
    assert asked.json()["timeline"][-1] == {
        **asked.json()["timeline"][-1],
        "kind": "question", "message": "Ukurannya?", "is_public": False,
    }  # fmt: skip

    progress = post_json(officer_client, f"{url}/progress", {"version": 3, "message": "Besok"})
    assert (progress.json()["status"], progress.json()["version"]) == ("diproses", 4)

    forwarded = post_json(
        officer_client, f"{url}/forward", {"version": 4, "agency": "dishub", "note": "Ke Dishub"}
    )
    assert forwarded.status_code == 200
    body = forwarded.json()
    # The report left PUPR's scope: the forwarding officer now sees the public view.
    assert (body["status"], body["agency"]["code"]) == ("didisposisikan", "dishub")
    assert body["viewer"] == {"is_reporter": False, "is_staff": False, "can_handle": False}
    assert body["timeline"][-1]["agency"] == "dishub"

    dishub = staff_client(dishub_officer)
    done = dishub.post(
        f"{url}/complete",
        data={"version": 5, "message": "Sudah diperbaiki.", "photos": [upload(jpeg_bytes())]},
    )
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["completed_within_sla"]) == ("selesai", True)
    assert [p["stage"] for p in done.json()["photos"]] == ["after"]
    assert list(
        AuditEvent.objects.filter(action__startswith="kotacerdas.reports.report.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "kotacerdas.reports.report.created",
        "kotacerdas.reports.report.verified",
        "kotacerdas.reports.report.question_asked",
        "kotacerdas.reports.report.progressed",
        "kotacerdas.reports.report.forwarded",
        "kotacerdas.reports.report.completed",
    ]


def test_officer_rejects(file_report: Callable[..., Any], officer_client: Client):
    report = file_report()
    response = post_json(
        officer_client,
        f"{BASE}/{report.ref}/reject",
        {"version": 1, "reason": "Di luar kewenangan kabupaten."},
    )
    assert (response.status_code, response.json()["status"]) == (200, "ditolak")
    # Rejected reports are not public, but its handlers still see it.
    assert response.json()["viewer"]["is_staff"] is True
    assert Client().get(f"{BASE}/{report.ref}").status_code == 404


def test_officer_action_with_a_bearer_token(file_report: Callable[..., Any], pupr_officer: Any):
    report = file_report()
    token, prefix, digest = token_generate()
    ApiToken.objects.create(user=pupr_officer, name="app", prefix=prefix, token_hash=digest)

    response = post_json(
        Client(), f"{BASE}/{report.ref}/verify", {"version": 1},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="kotacerdas.reports.report.verified")
    assert event.actor == pupr_officer


def test_forbidden_transition_is_422(file_report: Callable[..., Any], officer_client: Client):
    report = file_report()
    post_json(officer_client, f"{BASE}/{report.ref}/verify", {"version": 1})
    before = state()

    again = post_json(officer_client, f"{BASE}/{report.ref}/verify", {"version": 2})

    assert again.status_code == 422
    assert again.json() == {
        "error": {
            "code": "reports.status.transition_forbidden",
            "message": "A report that is “Verified” cannot become “Verified”.",
        }
    }
    reject = post_json(
        officer_client, f"{BASE}/{report.ref}/reject", {"version": 2, "reason": "Sudah terlambat."}
    )
    assert (reject.status_code, reject.json()["error"]["code"]) == (
        422,
        "reports.status.transition_forbidden",
    )
    assert state() == before


def test_stale_version_is_409(file_report: Callable[..., Any], officer_client: Client):
    report = file_report()
    post_json(officer_client, f"{BASE}/{report.ref}/verify", {"version": 1})
    before = state()

    stale = post_json(officer_client, f"{BASE}/{report.ref}/progress",
                      {"version": 1, "message": "Dijadwalkan"})  # fmt: skip

    assert (stale.status_code, stale.json()) == (409, CONFLICT)
    assert state() == before


def test_officer_of_another_agency_gets_404(
    file_report: Callable[..., Any], dishub_officer: Any, staff_client: Callable[[Any], Client]
):
    report = file_report()
    client = staff_client(dishub_officer)
    before = state()

    for action, body in (
        ("verify", {"version": 1}),
        ("reject", {"version": 1, "reason": "Bukan urusan kami."}),
        ("forward", {"version": 1, "agency": "dishub", "note": "Ambil alih"}),
        ("ask", {"version": 1, "question": "Di mana?"}),
        ("progress", {"version": 1, "message": "Dikerjakan"}),
    ):
        response = post_json(client, f"{BASE}/{report.ref}/{action}", body)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), action
    done = client.post(
        f"{BASE}/{report.ref}/complete", data={"version": 1, "message": "Sudah selesai semua."}
    )
    assert (done.status_code, done.json()) == (404, NOT_FOUND)
    assert client.get(f"{BASE}/{report.ref}").json()["viewer"]["is_staff"] is False
    assert state() == before


@pytest.mark.parametrize(
    ("action", "body", "fields"),
    [
        ("verify", {}, {"version": ["This field is required."]}),
        ("verify", {"version": "x"}, {"version": ["Enter a number."]}),
        ("reject", {"version": 1, "reason": "Tidak"}, {"reason": ["Write at least 10 characters."]}),
        ("forward", {"version": 1, "agency": "tidak-ada", "note": "Ke sana"},
         {"agency": ["Choose an agency from the list."]}),
        ("ask", {"version": 1, "question": ""}, {"question": ["Write at least 5 characters."]}),
    ],
)  # fmt: skip
def test_officer_bad_input_is_422(
    file_report: Callable[..., Any],
    officer_client: Client,
    action: str,
    body: dict[str, Any],
    fields: dict[str, Any],
):
    report = file_report()
    before = state()
    response = post_json(officer_client, f"{BASE}/{report.ref}/{action}", body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == fields
    assert state() == before


def test_complete_with_a_bad_photo_writes_nothing(
    file_report: Callable[..., Any], officer_client: Client
):
    report = file_report()
    post_json(officer_client, f"{BASE}/{report.ref}/verify", {"version": 1})
    before = state()

    response = officer_client.post(
        f"{BASE}/{report.ref}/complete",
        data={"version": 2, "message": "Sudah diperbaiki.", "photos": [text_file()]},
    )

    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "reports.photo.not_image",
    )
    assert state() == before


# --- Queue ---------------------------------------------------------------------------------------
def test_queue_content_and_filters(
    file_report: Callable[..., Any], officer_client: Client, pupr_officer: Any
):
    road = file_report(title="Jalan")
    file_report(category_code="lampu-jalan", title="Lampu (Dishub)")
    bridge = file_report(category_code="jembatan", title="Jembatan", is_confidential=True)
    Report.objects.filter(pk=bridge.pk).update(due_at=road.created_at)  # overdue
    bridge.refresh_from_db()

    body = officer_client.get(f"{BASE}/queue").json()

    assert body["count"] == 2
    assert [r["ref"] for r in body["items"]] == [bridge.ref, road.ref]  # most urgent first
    road.refresh_from_db()
    assert body["items"][1] == {
        **public_row(road),
        "handling_level": "agency",
        "is_anonymous": False,
        "is_confidential": False,
        "awaiting_citizen": False,
        "escalation_level": 0,
        "version": 1,
        "due_at": iso(road.due_at),
        "sla": "on_time",
    }
    assert body["items"][0]["sla"] == "overdue"
    assert [r["ref"] for r in officer_client.get(f"{BASE}/queue?sla=overdue").json()["items"]] == [
        bridge.ref
    ]
    assert [r["ref"] for r in officer_client.get(f"{BASE}/queue?category=jalan-rusak").json()[
        "items"]] == [road.ref]  # fmt: skip
    assert officer_client.get(f"{BASE}/queue?agency=dishub").json()["count"] == 0
    bad = officer_client.get(f"{BASE}/queue?sla=late&agency=nope")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "reports.filter.invalid")
    bad_agency = officer_client.get(f"{BASE}/queue?agency=nope")
    assert bad_agency.json()["error"]["fields"] == {"agency": ["Choose an agency from the list."]}


def test_queue_query_count_does_not_grow(
    file_report: Callable[..., Any], officer_client: Client, django_assert_num_queries: Any
):
    file_report()
    officer_client.get(f"{BASE}/queue")
    # session, user, OTP device, memberships, escalation agency, count, page
    with django_assert_num_queries(7):
        assert officer_client.get(f"{BASE}/queue").json()["count"] == 1
    for i in range(20):
        file_report(category_code="jembatan" if i % 2 else "jalan-rusak")
    with django_assert_num_queries(7):
        assert len(officer_client.get(f"{BASE}/queue").json()["items"]) == 21


def queue_scope_for(role: str) -> dict[str, Any]:
    if role in ("warga", "operator_desa", "kepala_desa"):
        return {"region_code": SAMPIT_DESA}
    if role == "operator_kecamatan":
        return {"region_code": KECAMATAN}
    if role in ("petugas_opd", "kepala_opd"):
        return {"agency": agency("pupr")}
    return {}


QUEUE_SEES = {"operator_desa", "kepala_desa", "operator_kecamatan", "petugas_opd", "kepala_opd",
              "admin"}  # fmt: skip
VERIFY_ALLOWED = {"petugas_opd", "kepala_opd", "admin"}
# Region staff may view the report but not act on an agency-level category: 404, not 403.
VERIFY_OUT_OF_SCOPE = {"operator_desa", "kepala_desa", "operator_kecamatan"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_queue_role_matrix(
    role: str,
    file_report: Callable[..., Any],
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
):
    report = file_report()
    client = staff_client(make_staff(role, **queue_scope_for(role)))
    before = state()

    response = client.get(f"{BASE}/queue")

    if role in QUEUE_SEES:
        assert response.status_code == 200
        assert [r["ref"] for r in response.json()["items"]] == [report.ref]
    else:
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert state() == before  # a read: nothing changes for anyone


@pytest.mark.parametrize("role", ALL_ROLES)
def test_verify_role_matrix(
    role: str,
    file_report: Callable[..., Any],
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
):
    report = file_report()
    client = staff_client(make_staff(role, **queue_scope_for(role)))
    before = state()

    response = post_json(client, f"{BASE}/{report.ref}/verify", {"version": 1})

    if role in VERIFY_ALLOWED:
        assert response.status_code == 200
        assert Report.objects.get(pk=report.pk).status == Status.VERIFIED
        return
    if role in VERIFY_OUT_OF_SCOPE:
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    else:
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert state() == before


def test_queue_and_verify_need_authentication(file_report: Callable[..., Any]):
    report = file_report()
    before = state()
    assert Client().get(f"{BASE}/queue").json() == AUTH_REQUIRED
    response = post_json(Client(), f"{BASE}/{report.ref}/verify", {"version": 1})
    assert (response.status_code, response.json()) == (401, AUTH_REQUIRED)
    assert state() == before


def test_unverified_staff_session_holds_nothing(file_report: Callable[..., Any], pupr_officer):
    report = file_report()
    client = signed_in(pupr_officer)  # password only, no TOTP
    before = state()
    assert client.get(f"{BASE}/queue").status_code == 403
    response = post_json(client, f"{BASE}/{report.ref}/verify", {"version": 1})
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert state() == before


def test_openapi_documents_the_reports_endpoints(catalogue: None):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = {p for p in schema["paths"] if p.startswith("/api/v1/reports")}
    assert paths == {
        "/api/v1/reports", "/api/v1/reports/categories", "/api/v1/reports/categories/{code}",
        "/api/v1/reports/map", "/api/v1/reports/nearby", "/api/v1/reports/mine",
        "/api/v1/reports/queue", "/api/v1/reports/{ref}", "/api/v1/reports/{ref}/support",
        "/api/v1/reports/{ref}/answer", "/api/v1/reports/{ref}/confirm",
        "/api/v1/reports/{ref}/dispute", "/api/v1/reports/{ref}/rate",
        "/api/v1/reports/{ref}/verify", "/api/v1/reports/{ref}/reject",
        "/api/v1/reports/{ref}/forward", "/api/v1/reports/{ref}/ask",
        "/api/v1/reports/{ref}/progress", "/api/v1/reports/{ref}/complete",
    }  # fmt: skip
    create = schema["paths"]["/api/v1/reports"]["post"]
    assert "multipart/form-data" in create["requestBody"]["content"]
    assert set(create["responses"]) >= {"201", "401", "422", "429"}
