"""The back-office report pages (/kantor/laporan/): who sees and does what, the officers'
actions through the pages (conflicts, forbidden moves, photos), the catalogue, Open311 keys,
the Council's agenda, the map data and the query budgets."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve, reverse
from pytest_django.asserts import assertRedirects

from kotacerdas.accounts.models import Role
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory, StaffFactory
from kotacerdas.reports import services
from kotacerdas.reports.models import (
    Category,
    EventKind,
    Open311Client,
    PhotoStage,
    ReplyTemplate,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportPolicy,
    Status,
)

from .conftest import SAMPIT_DESA, agency, jpeg_bytes, upload, verified

pytestmark = pytest.mark.django_db

SAMPIT_KECAMATAN = "62.02.06"
OTHER_DESA = "62.02.01.2003"  # Palangan, Kecamatan Kota Besi
OTHER_KECAMATAN = "62.02.01"
# One report per handling level, all filed in SAMPIT_DESA.
CATEGORIES = {"jalan-rusak": "pupr", "jalan-desa": "dpmd", "layanan-desa": "dpmd"}
LEVELS = {"jalan-rusak": "agency", "jalan-desa": "kecamatan", "layanan-desa": "desa"}

# Who opens the pages: every role of ALL_ROLES, plus the same roles outside the reports' scope
# and a staff session that has not passed TOTP.
WHO = [
    "warga",
    "operator_desa",
    "operator_desa_other",
    "kepala_desa",
    "operator_kecamatan",
    "operator_kecamatan_other",
    "petugas_opd",
    "petugas_opd_other",
    "kepala_opd",
    "dispatcher",
    "dewan",
    "admin",
    "unverified",
]
SEES: dict[str, set[str]] = {
    "operator_desa": set(CATEGORIES),
    "kepala_desa": set(CATEGORIES),
    "operator_kecamatan": set(CATEGORIES),
    "petugas_opd": {"jalan-rusak"},
    "kepala_opd": {"jalan-rusak"},
    "admin": set(CATEGORIES),
}
HANDLES: dict[str, set[str]] = {
    "operator_desa": {"layanan-desa"},
    "kepala_desa": {"layanan-desa"},
    "operator_kecamatan": {"layanan-desa", "jalan-desa"},
    "petugas_opd": {"jalan-rusak"},
    "kepala_opd": {"jalan-rusak"},
    "admin": set(CATEGORIES),
}
LOGIN = {"warga", "unverified"}  # sent to sign in
NO_PERMISSION = {"dispatcher", "dewan"}  # 403


def test_the_matrix_covers_every_role() -> None:
    covered = {w.removesuffix("_other") for w in WHO if w != "unverified"}
    assert covered == set(ALL_ROLES)


def expected_view(who: str, category: str) -> int:
    if who in LOGIN:
        return 302
    if who in NO_PERMISSION:
        return 403
    return 200 if category in SEES.get(who, set()) else 404


def expected_action(who: str, category: str) -> int:
    if who in LOGIN:
        return 302
    if who in NO_PERMISSION:
        return 403
    if category not in SEES.get(who, set()):
        return 404
    return 302 if category in HANDLES[who] else 403


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def person(catalogue: None, make_staff: Callable[..., Any]) -> Callable[[str], Any]:
    def make(who: str) -> Any:
        if who == "warga":
            return CitizenFactory()
        if who == "unverified":
            return StaffFactory(role=Role.PETUGAS_OPD, agency=agency("pupr"))
        if who in ("operator_desa", "kepala_desa"):
            return make_staff(who, region_code=SAMPIT_DESA)
        if who == "operator_desa_other":
            return make_staff(Role.OPERATOR_DESA, region_code=OTHER_DESA)
        if who == "operator_kecamatan":
            return make_staff(who, region_code=SAMPIT_KECAMATAN)
        if who == "operator_kecamatan_other":
            return make_staff(Role.OPERATOR_KECAMATAN, region_code=OTHER_KECAMATAN)
        if who in ("petugas_opd", "kepala_opd"):
            return make_staff(who, agency=agency("pupr"))
        if who == "petugas_opd_other":
            return make_staff(Role.PETUGAS_OPD, agency=agency("dishub"))
        if who == "admin":
            return make_staff(Role.ADMIN, agency=agency("diskominfo"))
        return make_staff(who)

    return make


@pytest.fixture
def client_of(person: Callable[[str], Any], staff_client: Callable[[Any], Client]) -> Any:
    def make(who: str) -> Client:
        user = person(who)
        if who in LOGIN:
            client = Client()
            client.force_login(user)  # signed in, but no TOTP-verified staff session
            return english(client)
        return english(staff_client(user))

    return make


@pytest.fixture
def admin(admin_user: Any) -> Any:
    return verified(admin_user)


@pytest.fixture
def admin_client(admin_user: Any, staff_client: Callable[[Any], Client]) -> Client:
    return english(staff_client(admin_user))


@pytest.fixture
def officer_client(pupr_officer: Any, staff_client: Callable[[Any], Client]) -> Client:
    return english(staff_client(pupr_officer))


@pytest.fixture
def reports(file_report: Callable[..., Any]) -> dict[str, Report]:
    return {code: file_report(category_code=code) for code in CATEGORIES}


def _refs(html: str, prefix: str = "report-") -> list[str]:
    return re.findall(rf'<tr id="{prefix}([0-9]{{4}}-[0-9A-Z]{{6}})"', html)


def _state(report: Report) -> tuple[Any, ...]:
    report.refresh_from_db()
    return (
        report.status,
        report.version,
        report.agency_id,
        report.awaiting_citizen,
        ReportEvent.objects.filter(report=report).count(),
    )


# --- Role matrices -------------------------------------------------------------------------------
@pytest.mark.parametrize("who", WHO)
def test_queue_role_matrix(who: str, client_of: Any, reports: dict[str, Report]) -> None:
    client = client_of(who)
    response = client.get("/kantor/laporan/")
    if who in LOGIN:
        assert response.status_code == 302
        assert response["Location"] == "/akun/masuk/?next=%2Fkantor%2Flaporan%2F"
        return
    if who in NO_PERMISSION:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    shown = set(_refs(response.content.decode()))
    assert shown == {reports[c].ref for c in SEES.get(who, set())}


@pytest.mark.parametrize("who", WHO)
def test_detail_role_matrix(who: str, client_of: Any, reports: dict[str, Report]) -> None:
    client = client_of(who)
    for code, report in reports.items():
        response = client.get(f"/kantor/laporan/{report.ref}/")
        assert response.status_code == expected_view(who, code), code
        if response.status_code == 200:
            html = response.content.decode()
            assert f"<code>{report.ref}</code>" in html
            # The forms are offered exactly to those who may act.
            assert ('id="action-verify"' in html) == (code in HANDLES[who]), code


PAYLOADS: dict[str, dict[str, str]] = {
    "verify": {"message": "Laporan valid, segera ditindaklanjuti."},
    "reject": {"reason": "Bukan kewenangan pemerintah kabupaten."},
    "forward": {"agency": "dishub", "note": "Mohon ditangani Dishub."},
    "ask": {"question": "Di mana tepatnya lokasinya?"},
    "progress": {"message": "Dijadwalkan minggu depan."},
    "complete": {"message": "Sudah diperbaiki dan ditambal."},
}
AFTER: dict[str, str] = {
    "verify": Status.VERIFIED,
    "reject": Status.REJECTED,
    "forward": Status.FORWARDED,
    "ask": Status.NEW,
    "progress": Status.IN_PROGRESS,
    "complete": Status.COMPLETED,
}


@pytest.mark.parametrize("action", list(PAYLOADS))
@pytest.mark.parametrize("who", WHO)
def test_action_role_matrix(
    who: str, action: str, client_of: Any, reports: dict[str, Report], admin: Any
) -> None:
    client = client_of(who)
    for code, report in reports.items():
        if action in ("progress", "complete"):
            report = services.report_verify(actor=admin, ref=report.ref, version=report.version)
        before = _state(report)
        response = client.post(
            f"/kantor/laporan/{report.ref}/{action}/",
            {"version": report.version, **PAYLOADS[action]},
        )
        expected = expected_action(who, code)
        assert response.status_code == expected, (code, response.status_code)
        if expected != 302 or who in LOGIN:
            assert _state(report) == before, code  # nothing changed
            continue
        status, version, _agency, awaiting, events = _state(report)
        assert (status, version, events) == (AFTER[action], before[1] + 1, before[4] + 1), code
        assert awaiting is (action == "ask")
        sees_after = who == "admin" or who.startswith("operator_") or who == "kepala_desa"
        target = (
            "/kantor/laporan/"
            if action == "forward" and not sees_after
            else f"/kantor/laporan/{report.ref}/"
        )
        assert response["Location"] == target, code


@pytest.mark.parametrize("who", WHO)
def test_other_pages_role_matrix(who: str, client_of: Any, catalogue: None) -> None:
    client = client_of(who)
    pages = {
        "/kantor/laporan/kinerja/": {"kepala_opd", "admin"},
        "/kantor/laporan/katalog/": {"admin"},
        "/kantor/laporan/katalog/baru/": {"admin"},
        "/kantor/laporan/katalog/jalan-rusak/": {"admin"},
        "/kantor/laporan/katalog/kebijakan/": {"admin"},
        "/kantor/laporan/katalog/template/baru/": {"admin"},
        "/kantor/laporan/open311/": {"admin"},
        "/kantor/laporan/agenda/": {"dewan", "admin"},
        "/kantor/laporan/peta.json": set(SEES) | {w for w in WHO if w.endswith("_other")},
    }
    for url, allowed in pages.items():
        response = client.get(url)
        expected = 302 if who in LOGIN else 200 if who in allowed else 403
        assert response.status_code == expected, url


@pytest.mark.parametrize("who", WHO)
def test_admin_posts_role_matrix(who: str, client_of: Any, catalogue: None) -> None:
    client = client_of(who)
    client_row, _key = services.open311_client_create(
        actor=verified(StaffFactory(role=Role.ADMIN)), name="Lapor App", contact_email="a@b.id"
    )
    before = (
        list(Category.objects.order_by("pk").values()),
        list(ReplyTemplate.objects.order_by("pk").values()),
        ReportPolicy.objects.count(),
        list(Open311Client.objects.order_by("pk").values()),
    )
    road, other = Category.objects.get(code="jalan-rusak"), Category.objects.get(code="lainnya")
    posts = {
        "/kantor/laporan/katalog/baru/": (
            _category_payload(other, code="pohon-tumbang", name="Pohon tumbang"),
            302,
        ),
        "/kantor/laporan/katalog/jalan-rusak/": (_category_payload(road, name="Diubah"), 302),
        "/kantor/laporan/katalog/kebijakan/": (
            {
                "aspiration_threshold": "3",
                "reopen_window_days": "7",
                "escalate_to_head_after_days": "0",
                "escalate_to_central_after_days": "2",
            },
            302,
        ),
        "/kantor/laporan/katalog/template/baru/": ({"title": "Judul", "body": "Isi balasan."}, 302),
        "/kantor/laporan/open311/": ({"name": "Baru", "contact_email": "x@y.id"}, 200),
        f"/kantor/laporan/open311/{client_row.pk}/cabut/": ({}, 302),
    }
    for url, (data, admin_status) in posts.items():
        response = client.post(url, data)
        if who == "admin":
            assert response.status_code == admin_status, url
        else:
            assert response.status_code == (302 if who in LOGIN else 403), url
    after = (
        list(Category.objects.order_by("pk").values()),
        list(ReplyTemplate.objects.order_by("pk").values()),
        ReportPolicy.objects.count(),
        list(Open311Client.objects.order_by("pk").values()),
    )
    if who != "admin":
        assert after == before
        return
    assert Category.objects.get(code="jalan-rusak").name == "Diubah"
    assert Category.objects.filter(code="pohon-tumbang").exists()
    assert ReportPolicy.objects.get(pk=1).aspiration_threshold == 3
    assert ReplyTemplate.objects.filter(title="Judul").exists()
    assert [(c.name, c.revoked_at is None) for c in Open311Client.objects.order_by("pk")] == [
        ("Lapor App", False),
        ("Baru", True),
    ]


def test_kepala_opd_sees_the_performance_of_their_agency_only(
    client_of: Any, file_report: Callable[..., Any], admin: Any
) -> None:
    file_report(category_code="jalan-rusak")
    file_report(category_code="lampu-jalan")  # dishub
    pupr = agency("pupr")
    response = client_of("kepala_opd").get("/kantor/laporan/kinerja/")
    html = response.content.decode()
    assert re.findall(r'<tr id="agency-(\d+)"', html) == [str(pupr.pk)]
    admin_rows = client_of("admin").get("/kantor/laporan/kinerja/").content.decode()
    both = sorted([agency("dishub"), pupr], key=lambda a: a.short_name)
    assert re.findall(r'<tr id="agency-(\d+)"', admin_rows) == [str(a.pk) for a in both]


# --- The detail page -----------------------------------------------------------------------------
def test_detail_shows_the_reporter_to_handlers_but_never_an_anonymous_one(
    officer_client: Client, file_report: Callable[..., Any]
) -> None:
    named = CitizenFactory(full_name="Siti Aminah", phone="081234567890")
    hidden = CitizenFactory(full_name="Budi Santoso", phone="081298765432")
    open_report = file_report(actor=named)
    anonymous = file_report(actor=hidden, is_anonymous=True)

    html = officer_client.get(f"/kantor/laporan/{open_report.ref}/").content.decode()
    assert '<dd data-reporter="shown">Siti Aminah</dd>' in html
    assert "081234567890" in html

    html = officer_client.get(f"/kantor/laporan/{anonymous.ref}/").content.decode()
    assert '<dd data-reporter="anonymous">Anonymous</dd>' in html
    assert "Budi Santoso" not in html
    assert "081298765432" not in html
    assert hidden.email not in html


def test_detail_shows_answers_timeline_and_audit_for_admins(
    admin_client: Client, file_report: Callable[..., Any], admin: Any
) -> None:
    report = file_report(attributes={"road_size": "besar"})
    services.report_verify(actor=admin, ref=report.ref, version=1, message="Valid")
    services.report_ask(actor=admin, ref=report.ref, version=2, question="Lebar lubangnya?")
    html = admin_client.get(f"/kantor/laporan/{report.ref}/").content.decode()
    assert "<dt>Seberapa besar kerusakannya?</dt><dd>Besar (lebih dari 5 m)</dd>" in html
    assert re.findall(r'<li data-event="(\w+)"', html) == ["created", "status", "question"]
    assert "reporter and handlers only" in html  # the question is not public
    sentences = re.findall(r"<td>([^<]+ the report [^<]+|[^<]+ a question)</td>", html)
    name = admin.get_full_name()
    assert sentences == [
        f"{name} asked the reporter of {report.ref} a question",
        f"{name} verified the report {report.ref}",
        f"{report.reporter.get_full_name()} filed the report {report.ref}",
    ]


def test_officers_do_not_see_the_audit_trail(
    officer_client: Client, file_report: Callable[..., Any]
) -> None:
    report = file_report()
    html = officer_client.get(f"/kantor/laporan/{report.ref}/").content.decode()
    assert 'id="h-audit"' not in html


def test_detail_offers_the_actions_the_flow_allows(
    officer_client: Client, file_report: Callable[..., Any], pupr_officer: Any
) -> None:
    officer = verified(pupr_officer)
    report = file_report()

    def offered() -> list[str]:
        html = officer_client.get(f"/kantor/laporan/{report.ref}/").content.decode()
        return re.findall(
            r'<form method="post" action="[^"]+" class="card action-form" id="action-(\w+)"', html
        )

    assert offered() == ["verify", "reject", "forward", "ask"]
    services.report_verify(actor=officer, ref=report.ref, version=1)
    assert offered() == ["forward", "ask", "progress", "complete"]
    services.report_complete(actor=officer, ref=report.ref, version=2, message="Sudah beres semua.")
    assert offered() == []


def test_reply_templates_fill_the_textarea(
    officer_client: Client, file_report: Callable[..., Any]
) -> None:
    report = file_report()
    html = officer_client.get(f"/kantor/laporan/{report.ref}/").content.decode()
    body = ReplyTemplate.objects.get(title="Terima kasih, sedang diverifikasi").body
    assert (
        '<select id="id_verify_message_template" data-reply-template="id_verify_message">' in html
    )
    assert f'<option value="{body}">Terima kasih, sedang diverifikasi</option>' in html
    assert '<noscript><details class="reply-templates">' in html


def test_action_pages_and_refs_do_not_clash() -> None:
    for path, name in [
        ("/kantor/laporan/kinerja/", "performance"),
        ("/kantor/laporan/katalog/", "catalogue"),
        ("/kantor/laporan/open311/", "open311_clients"),
        ("/kantor/laporan/agenda/", "agenda"),
        ("/kantor/laporan/peta.json", "map_data"),
        ("/kantor/laporan/2611-ABC234/", "detail"),
        ("/kantor/laporan/2611-ABC234/complete/", "complete"),
    ]:
        assert resolve(path).url_name == name
    assert reverse("reports_kantor:detail", kwargs={"ref": "2611-ABC234"}) == (
        "/kantor/laporan/2611-ABC234/"
    )


def test_unknown_refs_are_404(admin_client: Client, catalogue: None) -> None:
    assert admin_client.get("/kantor/laporan/2611-ZZZZZZ/").status_code == 404
    response = admin_client.post("/kantor/laporan/2611-ZZZZZZ/verify/", {"version": 1})
    assert response.status_code == 404
    assert admin_client.get("/kantor/laporan/2611-ZZZZZ1/").status_code == 404  # not a ref
    assert admin_client.get("/kantor/laporan/2611-ZZZZZZ/verify/").status_code == 405


def test_an_invalid_post_for_an_action_no_longer_offered_says_so(
    officer_client: Client, file_report: Callable[..., Any], pupr_officer: Any
) -> None:
    report = file_report()
    services.report_verify(actor=verified(pupr_officer), ref=report.ref, version=1)
    response = officer_client.post(f"/kantor/laporan/{report.ref}/reject/", {"reason": "x"})
    assert response.status_code == 422
    assert (
        '<div class="message message-error" role="alert" data-error-code=""><p>'
        "This action is not possible in the report&#x27;s current state.</p>"
    ) in response.content.decode()


# --- Actions through the pages --------------------------------------------------------------------
def test_two_officers_at_once_the_second_gets_a_conflict(
    file_report: Callable[..., Any],
    pupr_officer: Any,
    make_staff: Callable[..., Any],
    staff_client: Callable[[Any], Client],
) -> None:
    first = english(staff_client(pupr_officer))
    second = english(staff_client(make_staff(Role.PETUGAS_OPD, agency=agency("pupr"))))
    report = file_report()
    seen = report.version
    response = first.post(
        f"/kantor/laporan/{report.ref}/verify/", {"version": seen, "message": "Valid."}
    )
    assertRedirects(response, f"/kantor/laporan/{report.ref}/", fetch_redirect_response=False)
    response = second.post(
        f"/kantor/laporan/{report.ref}/reject/",
        {"version": seen, "reason": "Laporan ganda dengan yang lain."},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert (
        "Someone else changed this report a moment ago. Reload the page to see what changed, "
        "then try again."
    ) in html
    assert '<span class="tag tag-info" data-status="diverifikasi">Verified</span>' in html
    report.refresh_from_db()
    assert (report.status, report.version) == (Status.VERIFIED, seen + 1)
    assert list(report.events.values_list("kind", "to_status")) == [
        (EventKind.CREATED, Status.NEW),
        (EventKind.STATUS, Status.VERIFIED),
    ]


def test_the_conflict_keeps_the_text_against_the_fresh_version(
    officer_client: Client, file_report: Callable[..., Any], pupr_officer: Any
) -> None:
    report = file_report()
    services.report_verify(actor=verified(pupr_officer), ref=report.ref, version=1)
    response = officer_client.post(
        f"/kantor/laporan/{report.ref}/progress/", {"version": 1, "message": "Sedang dikerjakan."}
    )
    assert response.status_code == 409
    html = response.content.decode()
    form = html[html.index('id="action-progress"') :]
    assert '<input type="hidden" name="version" value="2"' in form
    assert "Sedang dikerjakan.</textarea>" in form


@pytest.mark.parametrize(
    ("prepare", "action", "data", "message"),
    [
        (
            "new",
            "complete",
            {"message": "Sudah diperbaiki semua."},
            "Verify the report before completing it.",
        ),
        (
            "verified",
            "reject",
            {"reason": "Tidak sesuai ketentuan."},
            "A verified report cannot be rejected any more; complete it with a reply.",
        ),
        (
            "new",
            "progress",
            {"message": "Dijadwalkan besok."},
            "Verify the report before recording progress.",
        ),
        (
            "completed",
            "forward",
            {"agency": "dishub", "note": "Ke Dishub saja."},
            "A report that is “Completed” cannot become “Forwarded”.",
        ),
    ],
)
def test_a_move_the_flow_forbids_shows_a_clear_message(
    prepare: str,
    action: str,
    data: dict[str, str],
    message: str,
    officer_client: Client,
    file_report: Callable[..., Any],
    pupr_officer: Any,
) -> None:
    officer = verified(pupr_officer)
    report = file_report()
    if prepare in ("verified", "completed"):
        report = services.report_verify(actor=officer, ref=report.ref, version=1)
    if prepare == "completed":
        report = services.report_complete(
            actor=officer, ref=report.ref, version=report.version, message="Selesai dikerjakan."
        )
    before = _state(report)
    response = officer_client.post(
        f"/kantor/laporan/{report.ref}/{action}/", {"version": report.version, **data}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert (
        '<div class="message message-error" role="alert" '
        f'data-error-code="reports.status.transition_forbidden"><p>{message}</p>'
    ) in html.replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert _state(report) == before


def test_field_errors_show_on_the_form(
    officer_client: Client, file_report: Callable[..., Any]
) -> None:
    report = file_report()
    response = officer_client.post(
        f"/kantor/laporan/{report.ref}/reject/", {"version": 1, "reason": "Pendek"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    form = html[html.index('id="action-reject"') :]
    assert "Write at least 10 characters." in form
    assert Report.objects.get(pk=report.pk).status == Status.NEW


def test_complete_stores_after_photos(
    officer_client: Client, file_report: Callable[..., Any], pupr_officer: Any
) -> None:
    report = file_report(photos=[upload(jpeg_bytes())])
    services.report_verify(actor=verified(pupr_officer), ref=report.ref, version=1)
    response = officer_client.post(
        f"/kantor/laporan/{report.ref}/complete/",
        {
            "version": 2,
            "message": "Lubang sudah ditambal aspal.",
            "photos": [upload(jpeg_bytes(), "a.jpg"), upload(jpeg_bytes(800, 600), "b.jpg")],
        },
    )
    assertRedirects(response, f"/kantor/laporan/{report.ref}/", fetch_redirect_response=False)
    assert list(
        ReportPhoto.objects.filter(report=report).order_by("pk").values_list("stage", "width")
    ) == [(PhotoStage.BEFORE, 1200), (PhotoStage.AFTER, 1200), (PhotoStage.AFTER, 800)]
    html = officer_client.get(f"/kantor/laporan/{report.ref}/").content.decode()
    before_pk, *after_pks = (
        ReportPhoto.objects.filter(report=report).order_by("pk").values_list("pk", flat=True)
    )
    stages = re.findall(r'<ul class="photo-grid" data-stage="(\w+)">(.*?)</ul>', html, re.S)
    links = {
        stage: re.findall(r'<a href="([^"]+)" data-photo="\d+"><img src="([^"]+)"', body)
        for stage, body in stages
    }
    base = f"/laporan/{report.ref}/foto"
    assert links == {
        "before": [(f"{base}/{before_pk}/", f"{base}/{before_pk}/kecil/")],
        "after": [(f"{base}/{pk}/", f"{base}/{pk}/kecil/") for pk in after_pks],
    }
    assert officer_client.get(f"{base}/{after_pks[0]}/kecil/").status_code == 200


def test_complete_refuses_a_file_that_is_not_a_photo(
    officer_client: Client, file_report: Callable[..., Any], pupr_officer: Any
) -> None:
    report = file_report()
    services.report_verify(actor=verified(pupr_officer), ref=report.ref, version=1)
    response = officer_client.post(
        f"/kantor/laporan/{report.ref}/complete/",
        {
            "version": 2,
            "message": "Lubang sudah ditambal aspal.",
            "photos": [upload(b"not an image", "x.jpg")],
        },
    )
    assert response.status_code == 422
    report.refresh_from_db()
    assert report.status == Status.VERIFIED
    assert not ReportPhoto.objects.filter(report=report).exists()


def test_forward_moves_the_report_and_the_officer_goes_back_to_the_queue(
    officer_client: Client, file_report: Callable[..., Any]
) -> None:
    report = file_report()
    response = officer_client.post(
        f"/kantor/laporan/{report.ref}/forward/",
        {"version": 1, "agency": "dishub", "note": "Lampu jalan, ke Dishub."},
    )
    assertRedirects(response, "/kantor/laporan/", fetch_redirect_response=False)
    report.refresh_from_db()
    assert (report.status, report.agency.code) == (Status.FORWARDED, "dishub")
    assert officer_client.get(f"/kantor/laporan/{report.ref}/").status_code == 404


# --- Queue filters and the map ---------------------------------------------------------------------
def test_queue_filters_search_and_badges(
    admin_client: Client, file_report: Callable[..., Any], admin: Any
) -> None:
    road = file_report(title="Jalan Tjilik Riwut berlubang")
    lamp = file_report(category_code="lampu-jalan", title="Lampu padam")
    services.report_verify(actor=admin, ref=lamp.ref, version=1)
    Report.objects.filter(pk=road.pk).update(due_at=road.created_at.replace(year=2020))

    def refs(query: str) -> list[str]:
        response = admin_client.get(f"/kantor/laporan/?{query}")
        assert response.status_code == 200
        return _refs(response.content.decode())

    assert refs("") == [road.ref, lamp.ref]  # overdue first
    assert refs("status=diverifikasi") == [lamp.ref]
    assert refs("status=open&category=jalan-rusak") == [road.ref]
    assert refs("status=closed") == []
    assert refs(f"q={lamp.ref}") == [lamp.ref]
    assert refs("q=tjilik") == [road.ref]
    assert refs("sla=overdue") == [road.ref]
    assert refs(f"agency={agency('dishub').pk}") == [lamp.ref]
    assert refs(f"kecamatan={SAMPIT_KECAMATAN}&kind=complaint") == [road.ref, lamp.ref]
    html = admin_client.get("/kantor/laporan/").content.decode()
    row = html[html.index(f'id="report-{road.ref}"') :]
    assert '<span class="tag sla-overdue" data-sla="overdue">Overdue</span>' in row[:2000]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=kemarin", "Enter a date as YYYY-MM-DD."),
        ("date_from=2026-02-01&date_to=2026-01-01", "The end date is before the start date."),
        ("status=hilang", "Choose one of the allowed values."),
        ("sla=soon", "Choose one of the allowed values."),
        ("agency=pupr", "Choose one of the allowed values."),
    ],
)
def test_invalid_filters_show_an_error(
    query: str, message: str, admin_client: Client, file_report: Callable[..., Any]
) -> None:
    file_report()
    response = admin_client.get(f"/kantor/laporan/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Some filters are not valid; correct them to see the reports." in html
    assert _refs(html) == []
    response = admin_client.get(f"/kantor/laporan/peta.json?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reports.filter.invalid"


def test_map_toggle_and_points(
    officer_client: Client, file_report: Callable[..., Any], dishub_officer: Any
) -> None:
    road = file_report()
    file_report(category_code="lampu-jalan")  # dishub's: not in the officer's scope
    html = officer_client.get("/kantor/laporan/?view=map&status=open").content.decode()
    assert (
        '<div class="map reports-map" data-reports-map '
        'data-url="/kantor/laporan/peta.json?status=open"'
    ) in html
    assert '<script src="/static/dist/reports-map.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/dist/reports-map.css">' in html
    assert 'data-boundaries-url="/api/v1/regions/geojson?level=kecamatan&amp;parent=62.02"' in html
    response = officer_client.get("/kantor/laporan/peta.json?status=open")
    assert response.json() == {
        "points": [
            {
                "ref": road.ref,
                "title": road.title,
                "status": "baru",
                "kind": "complaint",
                "lat": road.lat,
                "lng": road.lng,
                "url": f"/kantor/laporan/{road.ref}/",
            }
        ],
        "cells": [{"lat": road.lat, "lng": road.lng, "count": 1, "open": 1}],
    }
    assert officer_client.get("/kantor/laporan/peta.json?status=closed").json() == {
        "points": [],
        "cells": [],
    }
    inside = "bbox=-2.54,112.94,-2.53,112.96"
    assert [
        p["ref"] for p in officer_client.get(f"/kantor/laporan/peta.json?{inside}").json()["points"]
    ] == [road.ref]
    outside = "bbox=-2.40,112.94,-2.39,112.96"
    assert officer_client.get(f"/kantor/laporan/peta.json?{outside}").json()["points"] == []
    response = officer_client.get("/kantor/laporan/peta.json?bbox=1,2,3")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reports.map.bbox"


def test_map_aggregates_when_there_are_many(
    admin_client: Client,
    file_report: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    from kotacerdas.reports import views_kantor

    monkeypatch.setattr(views_kantor, "MAP_POINT_LIMIT", 2)
    for _i in range(3):
        file_report()
    file_report(lat=-2.40, lng=112.99)
    with django_assert_num_queries(6):
        body = admin_client.get("/kantor/laporan/peta.json").json()
    assert sorted((c["count"], c["open"]) for c in body["cells"]) == [(1, 1), (3, 3)]
    assert set(body) == {"cells"}


# --- Catalogue -----------------------------------------------------------------------------------
def _category_payload(category: Category, **over: Any) -> dict[str, Any]:
    import json

    data = {
        "name": category.name,
        "name_en": category.name_en,
        "description": category.description,
        "description_en": category.description_en,
        "group": category.group,
        "keywords": category.keywords,
        "dimension": category.dimension,
        "agency": category.agency.code,
        "handling_level": category.handling_level,
        "sla_verify_days": category.sla_verify_days,
        "sla_plan_days": category.sla_plan_days,
        "sla_complete_days": category.sla_complete_days,
        "attributes": json.dumps(category.attributes),
        "order": category.order,
        **over,
    }
    if category.is_active:
        data["is_active"] = "on"
    return data


def test_catalogue_edit_changes_routing(
    admin_client: Client, file_report: Callable[..., Any]
) -> None:
    category = Category.objects.get(code="jalan-rusak")
    response = admin_client.get("/kantor/laporan/katalog/jalan-rusak/")
    assert '<option value="pupr" selected>' in response.content.decode()
    response = admin_client.post(
        "/kantor/laporan/katalog/jalan-rusak/",
        _category_payload(category, agency="dishub", handling_level="kecamatan", sla_verify_days=2),
    )
    assertRedirects(response, "/kantor/laporan/katalog/", fetch_redirect_response=False)
    category.refresh_from_db()
    assert (category.agency.code, category.handling_level, category.sla_verify_days) == (
        "dishub", "kecamatan", 2,
    )  # fmt: skip
    report = file_report()
    assert (report.agency.code, report.handling_level) == ("dishub", "kecamatan")


@pytest.mark.parametrize(
    "attributes",
    ["{not json", '{"code": "x"}', '[{"code": "Bad Code"}]', '[{"code": "a", "datatype": "x"}]'],
)
def test_invalid_attributes_json_shows_an_error(admin_client: Client, attributes: str) -> None:
    category = Category.objects.get(code="jalan-rusak")
    before = list(Category.objects.filter(pk=category.pk).values())
    response = admin_client.post(
        "/kantor/laporan/katalog/jalan-rusak/",
        _category_payload(category, attributes=attributes, name="Diubah"),
    )
    assert response.status_code == 422
    assert (
        "Extra questions must be a JSON list of {code, datatype, required, description, "
        "values} objects."
    ) in response.content.decode()
    assert list(Category.objects.filter(pk=category.pk).values()) == before


def test_category_create_and_a_taken_code(admin_client: Client) -> None:
    template = Category.objects.get(code="lainnya")
    payload = _category_payload(template, code="pohon-tumbang", name="Pohon tumbang")
    payload["attributes"] = '[{"code": "diameter", "datatype": "number", "description": "cm"}]'
    response = admin_client.post("/kantor/laporan/katalog/baru/", payload)
    assertRedirects(response, "/kantor/laporan/katalog/", fetch_redirect_response=False)
    created = Category.objects.get(code="pohon-tumbang")
    assert (created.name, created.agency.code, created.attributes) == (
        "Pohon tumbang",
        "diskominfo",
        [{"code": "diameter", "datatype": "number", "description": "cm"}],
    )
    response = admin_client.post("/kantor/laporan/katalog/baru/", payload)
    assert response.status_code == 422
    assert "This code is already used." in response.content.decode()


def test_reply_template_create_and_edit(admin_client: Client) -> None:
    response = admin_client.post(
        "/kantor/laporan/katalog/template/baru/",
        {"category": "jalan-rusak", "title": "Sudah dijadwalkan", "body": "Perbaikan dijadwalkan."},
    )
    assertRedirects(response, "/kantor/laporan/katalog/", fetch_redirect_response=False)
    template = ReplyTemplate.objects.get(title="Sudah dijadwalkan")
    assert (template.category.code, template.is_active) == ("jalan-rusak", False)
    response = admin_client.post(
        f"/kantor/laporan/katalog/template/{template.pk}/",
        {
            "category": "",
            "title": "Dijadwalkan",
            "body": "Perbaikan minggu ini.",
            "is_active": "on",
        },
    )
    assertRedirects(response, "/kantor/laporan/katalog/", fetch_redirect_response=False)
    template.refresh_from_db()
    assert (template.category, template.title, template.is_active) == (None, "Dijadwalkan", True)
    assert admin_client.get("/kantor/laporan/katalog/template/999999/").status_code == 404


def test_policy_update(admin_client: Client) -> None:
    payload = {
        "aspiration_threshold": "40",
        "reopen_window_days": "10",
        "escalate_to_head_after_days": "1",
        "escalate_to_central_after_days": "3",
    }
    response = admin_client.post("/kantor/laporan/katalog/kebijakan/", payload)
    assertRedirects(response, "/kantor/laporan/katalog/", fetch_redirect_response=False)
    row = ReportPolicy.objects.get(pk=1)
    assert (
        row.aspiration_threshold,
        row.reopen_window_days,
        row.escalate_to_head_after_days,
        row.escalate_to_central_after_days,
    ) == (40, 10, 1, 3)
    html = admin_client.get("/kantor/laporan/katalog/").content.decode()
    assert '<dd data-policy="aspiration_threshold">40</dd>' in html
    response = admin_client.post(
        "/kantor/laporan/katalog/kebijakan/", {**payload, "reopen_window_days": "0"}
    )
    assert response.status_code == 422
    assert ReportPolicy.objects.get(pk=1).reopen_window_days == 10


# --- Open311 keys ---------------------------------------------------------------------------------
def test_open311_key_is_shown_once_and_revoke_works(admin_client: Client) -> None:
    response = admin_client.post(
        "/kantor/laporan/open311/", {"name": "Aplikasi Warga", "contact_email": "dev@warga.id"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    key = re.search(r'<code class="secret" data-testid="new-key">([^<]+)</code>', html)
    assert key is not None
    client_row = Open311Client.objects.get(name="Aplikasi Warga")
    assert key[1].startswith(client_row.key_prefix)
    html = admin_client.get("/kantor/laporan/open311/").content.decode()
    assert key[1] not in html
    assert f"<td><code>{client_row.key_prefix}…</code></td>" in html
    assert "/open311/v2/discovery.json" in html

    response = admin_client.post(f"/kantor/laporan/open311/{client_row.pk}/cabut/")
    assertRedirects(response, "/kantor/laporan/open311/", fetch_redirect_response=False)
    client_row.refresh_from_db()
    assert client_row.revoked_at is not None
    assert services.selectors.open311_client_by_key(key=key[1]) is None
    assert admin_client.post("/kantor/laporan/open311/999999/cabut/").status_code == 404


def test_open311_invalid_email(admin_client: Client) -> None:
    response = admin_client.post(
        "/kantor/laporan/open311/", {"name": "Aplikasi", "contact_email": "bukan-email"}
    )
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in response.content.decode()
    assert not Open311Client.objects.exists()


# --- The Council's agenda -------------------------------------------------------------------------
def _aspiration_with_supports(
    file_report: Callable[..., Any], admin: Any, supports: int, title: str = "Taman kota"
) -> Report:
    report = file_report(
        kind="aspiration",
        category_code="lainnya",
        title=title,
        description="Mohon dibangun taman kota di kecamatan ini.",
    )
    services.report_verify(actor=admin, ref=report.ref, version=1)
    for _i in range(supports):
        services.report_support(actor=CitizenFactory(), ref=report.ref)
    report.refresh_from_db()
    return report


def test_agenda_shows_supported_aspirations_and_records_responses(
    client_of: Any, file_report: Callable[..., Any], admin: Any
) -> None:
    services.policy_update(actor=admin, values={"aspiration_threshold": 2})
    on_agenda = _aspiration_with_supports(file_report, admin, 2)
    below = _aspiration_with_supports(file_report, admin, 1, title="Air mancur")
    dewan = client_of("dewan")
    html = dewan.get("/kantor/laporan/agenda/").content.decode()
    assert re.findall(r'<article class="card agenda-item" id="aspiration-([^"]+)"', html) == [
        on_agenda.ref
    ]
    assert below.ref not in html

    response = dewan.post(
        f"/kantor/laporan/agenda/{on_agenda.ref}/",
        {"response": "Dewan akan membahasnya pada rapat bulan depan."},
    )
    assertRedirects(response, "/kantor/laporan/agenda/", fetch_redirect_response=False)
    event = ReportEvent.objects.filter(report=on_agenda).latest("pk")
    assert (event.kind, event.message) == (
        EventKind.COUNCIL,
        "Dewan akan membahasnya pada rapat bulan depan.",
    )
    html = dewan.get("/kantor/laporan/agenda/").content.decode()
    assert re.findall(r'id="aspiration-([^"]+)"', html) == [on_agenda.ref]
    assert 'class="card agenda-item is-answered"' in html

    response = dewan.post(f"/kantor/laporan/agenda/{below.ref}/", {"response": "Pendek"})
    assert response.status_code == 422


# --- Query budgets ------------------------------------------------------------------------------
def test_queue_query_count(
    officer_client: Client, file_report: Callable[..., Any], django_assert_num_queries: Any
) -> None:
    file_report()
    with django_assert_num_queries(10):
        response = officer_client.get("/kantor/laporan/")
    assert len(_refs(response.content.decode())) == 1
    for _i in range(20):
        file_report()
    with django_assert_num_queries(10):
        response = officer_client.get("/kantor/laporan/")
    assert len(_refs(response.content.decode())) == 21


def test_detail_query_count(
    admin_client: Client,
    file_report: Callable[..., Any],
    admin: Any,
    django_assert_num_queries: Any,
) -> None:
    report = file_report(photos=[upload(jpeg_bytes(320, 240))])
    url = f"/kantor/laporan/{report.ref}/"
    with django_assert_num_queries(13):
        admin_client.get(url)
    for i in range(10):
        report = services.report_ask(
            actor=admin, ref=report.ref, version=report.version, question=f"Pertanyaan {i}?"
        )
        report = services.report_forward(
            actor=admin,
            ref=report.ref,
            version=report.version,
            agency_code=["dishub", "pupr"][i % 2],
            note=f"Disposisi {i}",
        )
    ReplyTemplate.objects.bulk_create(
        ReplyTemplate(title=f"T{i}", body=f"Isi {i}") for i in range(20)
    )
    with django_assert_num_queries(13):
        response = admin_client.get(url)
    assert len(re.findall(r'<li data-event="', response.content.decode())) == 21


def test_performance_query_count(
    client_of: Any, file_report: Callable[..., Any], django_assert_num_queries: Any
) -> None:
    client = client_of("admin")

    def overdue_report(category_code: str) -> None:
        report = file_report(category_code=category_code)
        Report.objects.filter(pk=report.pk).update(due_at=report.created_at.replace(year=2020))

    overdue_report("jalan-rusak")
    with django_assert_num_queries(8):
        client.get("/kantor/laporan/kinerja/")
    for i in range(20):
        overdue_report(["jalan-rusak", "lampu-jalan", "sampah"][i % 3])
    with django_assert_num_queries(8):
        response = client.get("/kantor/laporan/kinerja/")
    html = response.content.decode()
    assert len(re.findall(r'<tr id="overdue-', html)) == 21
    assert len(re.findall(r'<tr id="agency-', html)) == 3


def test_catalogue_query_count(admin_client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(8):
        admin_client.get("/kantor/laporan/katalog/")
    pupr = agency("pupr")
    Category.objects.bulk_create(
        Category(code=f"extra-{i}", name=f"Extra {i}", dimension="living", agency=pupr)
        for i in range(20)
    )
    ReplyTemplate.objects.bulk_create(
        ReplyTemplate(title=f"T{i}", body=f"Isi {i}", category=Category.objects.first())
        for i in range(20)
    )
    with django_assert_num_queries(8):
        response = admin_client.get("/kantor/laporan/katalog/")
    html = response.content.decode()
    assert len(re.findall(r'<tr id="category-', html)) == 37
    assert len(re.findall(r'<tr id="template-', html)) == 27


def test_agenda_query_count(
    client_of: Any, file_report: Callable[..., Any], admin: Any, django_assert_num_queries: Any
) -> None:
    services.policy_update(actor=admin, values={"aspiration_threshold": 1})
    _aspiration_with_supports(file_report, admin, 1)
    client = client_of("dewan")
    with django_assert_num_queries(8):
        client.get("/kantor/laporan/agenda/")
    for i in range(20):
        report = _aspiration_with_supports(file_report, admin, 1, title=f"Aspirasi {i}")
        if i % 2:
            services.aspiration_respond(
                actor=admin, ref=report.ref, response="Sudah dibahas dalam rapat."
            )
    with django_assert_num_queries(8):
        response = client.get("/kantor/laporan/agenda/")
    assert len(re.findall(r'class="card agenda-item', response.content.decode())) == 21


def test_open311_list_query_count(
    admin_client: Client, admin: Any, django_assert_num_queries: Any
) -> None:
    services.open311_client_create(actor=admin, name="App 0", contact_email="a0@b.id")
    with django_assert_num_queries(6):
        admin_client.get("/kantor/laporan/open311/")
    for i in range(1, 21):
        services.open311_client_create(actor=admin, name=f"App {i}", contact_email=f"a{i}@b.id")
    with django_assert_num_queries(6):
        response = admin_client.get("/kantor/laporan/open311/")
    assert len(re.findall(r'<tr id="client-', response.content.decode())) == 21
