"""The citizen portal pages of reports and aspirations: list and map, filing, the reporter's
own actions, photos and who may see what."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from kotacerdas.accounts.tests.factories import CitizenFactory
from kotacerdas.reports import services
from kotacerdas.reports.models import (
    EventKind,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportPolicy,
    ReportSupport,
    Source,
    Status,
)

from .conftest import OUTSIDE_KOTIM, SAMPIT, SAMPIT_DESA, jpeg_bytes, upload, verified

# A point in Desa Pondok Damar, Kecamatan Mentaya Hilir Utara (not Sampit's kecamatan).
PONDOK_DAMAR = (-2.59343, 112.54065)
SAMPIT_KECAMATAN = "62.02.06"
OTHER_KECAMATAN = "62.02.07"
METRES_PER_DEGREE_LAT = 111_195.0


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed_refs(response: Any) -> list[str]:
    return re.findall(
        r'<li class="report-card" id="report-([0-9A-Z-]+)"', response.content.decode()
    )


def completed(report: Report, officer: Any) -> Report:
    officer = verified(officer)
    report = services.report_verify(actor=officer, ref=report.ref, version=report.version)
    return services.report_complete(
        actor=officer, ref=report.ref, version=report.version, message="Sudah diperbaiki semua."
    )


def filing(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "complaint",
        "category": "jalan-rusak",
        "description": "Jalan berlubang besar di depan pasar, membahayakan pengendara.",
        "lat": str(SAMPIT[0]),
        "lng": str(SAMPIT[1]),
        **overrides,
    }


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the public list ---------------------------------------------------------------------------------
def test_list_shows_public_reports_only(file_report, pupr_officer):
    public = file_report(title="Lubang di Jalan Tidar")
    confidential = file_report(is_confidential=True, title="Rahasia")
    rejected = file_report(title="Ditolak")
    services.report_reject(
        actor=verified(pupr_officer),
        ref=rejected.ref,
        version=rejected.version,
        reason="Bukan wewenang pemerintah daerah.",
    )

    response = Client().get("/laporan/")

    assert response.status_code == 200
    assert listed_refs(response) == [public.ref]
    html = response.content.decode()
    assert "Lubang di Jalan Tidar" in html
    assert confidential.ref not in html
    assert "Rahasia" not in html
    assert rejected.ref not in html


def test_list_card_content(file_report):
    report = file_report(title="Lubang besar", photos=[upload(jpeg_bytes())])
    Report.objects.filter(pk=report.pk).update(support_count=3)
    photo = report.photos.get()

    html = english(Client()).get("/laporan/").content.decode()

    assert f'<span class="report-ref">{report.ref}</span>' in html
    assert '<span class="tag tag-info">New</span>' in html
    assert f'<a href="/laporan/{report.ref}/">Lubang besar</a>' in html
    assert "Damaged or potholed road · Sawahan, Mentawa Baru Ketapang" in html
    assert f'src="/laporan/{report.ref}/foto/{photo.pk}/kecil/"' in html
    assert "3 supports" in html


def test_list_paginates_newest_first(file_report):
    reports = [file_report() for _ in range(21)]
    first = Client().get("/laporan/")
    second = Client().get("/laporan/?page=2")
    newest_first = [r.ref for r in reversed(reports)]
    assert listed_refs(first) == newest_first[:20]
    assert listed_refs(second) == newest_first[20:]


def test_list_filters(file_report, pupr_officer):
    road = file_report()
    rubbish = file_report(category_code="sampah")
    elsewhere = file_report(lat=PONDOK_DAMAR[0], lng=PONDOK_DAMAR[1])
    idea = file_report(kind="aspiration", category_code="lainnya")
    done = completed(file_report(), pupr_officer)
    Report.objects.filter(pk=road.pk).update(created_at=dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC))
    Report.objects.filter(pk=rubbish.pk).update(
        created_at=dt.datetime(2025, 3, 20, 9, tzinfo=dt.UTC)
    )
    client = Client()

    def refs(query: str) -> set[str]:
        response = client.get(f"/laporan/?{query}")
        assert response.status_code == 200
        assert "form-errors" not in response.content.decode()
        return set(listed_refs(response))

    assert refs("category=sampah") == {rubbish.ref}
    assert refs("kind=aspiration") == {idea.ref}
    assert refs(f"kecamatan={OTHER_KECAMATAN}") == {elsewhere.ref}
    assert refs(f"kecamatan={SAMPIT_KECAMATAN}&category=jalan-rusak") == {road.ref, done.ref}
    assert refs("status=selesai") == {done.ref}
    assert refs("status=closed") == {done.ref}
    assert refs("status=open") == {road.ref, rubbish.ref, elsewhere.ref, idea.ref}
    assert refs("date_from=2025-03-01&date_to=2025-03-15") == {road.ref}
    assert refs("date_from=2025-03-01&date_to=2025-03-31") == {road.ref, rubbish.ref}


def test_list_bad_filters_show_errors_not_500(file_report):
    report = file_report()
    client = english(Client())

    response = client.get("/laporan/?date_from=2025-13-45&category=jalan-rusak")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a date as YYYY-MM-DD." in html
    assert "Some filters were not valid and were ignored." in html
    assert listed_refs(response) == [report.ref]  # the valid filter still applies

    response = client.get("/laporan/?date_from=2025-03-10&date_to=2025-03-01&status=nope")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The end date is before the start date." in html
    assert "Select a valid choice. nope is not one of the available choices." in html
    assert listed_refs(response) == [report.ref]


def test_list_query_count_does_not_grow(file_report, django_assert_num_queries):
    from django.core.cache import caches

    file_report(photos=[upload(jpeg_bytes(200, 150))])
    client = Client()
    # categories, kecamatan, count, page, first photos
    with django_assert_num_queries(5):
        assert len(listed_refs(client.get("/laporan/"))) == 1
    for _ in range(20):
        file_report(photos=[upload(jpeg_bytes(200, 150))])
    caches["aggregates"].clear()
    with django_assert_num_queries(5):
        assert len(listed_refs(client.get("/laporan/"))) == 20
    # The count is kept a minute and the cards half a minute: the next view only builds the
    # filter form's choices (categories, kecamatan).
    with django_assert_num_queries(2):
        assert len(listed_refs(client.get("/laporan/"))) == 20


def test_list_page_is_full_while_the_count_is_a_minute_old(file_report):
    from kotacerdas.reports import selectors
    from kotacerdas.reports.views import PublicPaginator

    file_report()
    assert selectors.public_report_count(filters=None) == 1  # kept a minute
    for _ in range(3):
        file_report()
    assert selectors.public_report_count(filters=None) == 1
    page = PublicPaginator(selectors.public_reports(), 20, filters=None).get_page(1)
    assert len(page.object_list) == 4


def test_list_shows_a_new_report_within_half_a_minute(file_report):
    from django.core.cache import caches

    file_report()
    client = Client()
    assert len(listed_refs(client.get("/laporan/"))) == 1
    new = file_report()
    assert new.ref not in listed_refs(client.get("/laporan/"))  # the cards are kept 30 s
    caches["aggregates"].clear()  # ... as if they expired
    assert new.ref in listed_refs(client.get("/laporan/"))


# --- the map data --------------------------------------------------------------------------------------
def test_map_data_cells_and_points(file_report, pupr_officer):
    near = file_report(title="Lubang A")
    other = file_report(title="Lubang B", lat=SAMPIT[0] + 0.001)
    file_report(is_confidential=True)
    done = completed(file_report(lat=SAMPIT[0] - 0.001), pupr_officer)
    client = Client()

    response = client.get("/laporan/peta.json")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    [cell] = response.json()["cells"]
    assert (cell["count"], cell["open"]) == (3, 2)
    assert abs(cell["lat"] - SAMPIT[0]) < 0.001
    assert abs(cell["lng"] - SAMPIT[1]) < 0.001

    south, west, north, east = (
        SAMPIT[0] - 0.01,
        SAMPIT[1] - 0.01,
        SAMPIT[0] + 0.01,
        SAMPIT[1] + 0.01,
    )
    response = client.get(f"/laporan/peta.json?bbox={south},{west},{north},{east}&zoom=15")
    points = sorted(response.json()["points"], key=lambda p: p["lat"])
    assert points == [
        {
            "ref": r.ref,
            "title": r.title,
            "status": r.status,
            "kind": "complaint",
            "lat": r.lat,
            "lng": r.lng,
            "url": f"/laporan/{r.ref}/",
        }
        for r in (done, near, other)
    ]
    # Zoomed out, a bbox still gives cells; the filters of the list apply.
    response = client.get(f"/laporan/peta.json?bbox={south},{west},{north},{east}&zoom=9")
    assert [c["count"] for c in response.json()["cells"]] == [3]
    response = client.get("/laporan/peta.json?status=selesai")
    assert [c["count"] for c in response.json()["cells"]] == [1]
    outside = client.get("/laporan/peta.json?bbox=-6.3,106.7,-6.1,106.9&zoom=15")
    assert outside.json() == {"points": []}


@pytest.mark.parametrize(
    "bbox", ["1,2,3", "a,b,c,d", "-2,112,-3,113", "nan,112,-2,113", "-95,112,-2,113"]
)
def test_map_data_bad_bbox_is_400(db, bbox):
    response = Client().get(f"/laporan/peta.json?bbox={bbox}&zoom=14")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reports.map.bbox"


def test_map_data_bad_filter_is_400(db):
    response = Client().get("/laporan/peta.json?date_from=kemarin")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reports.filter.invalid"
    assert list(response.json()["error"]["fields"]) == ["date_from"]


def test_map_data_query_count_does_not_grow(file_report, django_assert_num_queries):
    from django.core.cache import caches

    file_report()
    client = Client()
    bbox = f"{SAMPIT[0] - 0.5},{SAMPIT[1] - 0.5},{SAMPIT[0] + 0.5},{SAMPIT[1] + 0.5}"
    # The regency's cells are kept a minute in a per-process cache: one aggregate query, then
    # none.
    caches["aggregates"].clear()
    with django_assert_num_queries(1):
        client.get("/laporan/peta.json")
    with django_assert_num_queries(0):
        client.get("/laporan/peta.json")
    with django_assert_num_queries(1):
        client.get(f"/laporan/peta.json?bbox={bbox}&zoom=14")
    for i in range(20):
        file_report(lat=SAMPIT[0] + i * 0.0001)
    caches["aggregates"].clear()
    with django_assert_num_queries(1):
        assert client.get("/laporan/peta.json").json()["cells"][0]["count"] == 21
    with django_assert_num_queries(1):
        assert len(client.get(f"/laporan/peta.json?bbox={bbox}&zoom=14").json()["points"]) == 21


# --- detail and who sees it ----------------------------------------------------------------------------
def test_detail_public_hides_the_reporter(file_report):
    reporter = CitizenFactory(full_name="Siti Rahmawati Nurhaliza", phone="+6281234567890")
    report = file_report(actor=reporter, address="Depan Pasar Mentaya")

    response = english(Client()).get(f"/laporan/{report.ref}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert report.ref in html
    assert report.title in html
    assert "Depan Pasar Mentaya" in html
    assert "Sawahan, kecamatan Mentawa Baru Ketapang" in html
    assert "Siti Rahmawati Nurhaliza" not in html
    assert reporter.email not in html
    assert "6281234567890" not in html
    assert f'data-lat="{SAMPIT[0]}" data-lng="{SAMPIT[1]}"' in html  # never "-2,5336"


def test_detail_of_a_confidential_report(file_report, citizen):
    report = file_report(is_confidential=True)
    url = f"/laporan/{report.ref}/"

    assert Client().get(url).status_code == 404
    assert signed_in(citizen).get(url).status_code == 404
    response = english(signed_in(report.reporter)).get(url)
    assert response.status_code == 200
    assert "Confidential: only you and the officers handling it can see this report." in (
        response.content.decode()
    )


def test_detail_timeline_and_question(file_report, pupr_officer):
    report = file_report()
    officer = verified(pupr_officer)
    report = services.report_verify(actor=officer, ref=report.ref, version=report.version)
    services.report_ask(
        actor=officer, ref=report.ref, version=report.version, question="Di sisi mana lubangnya?"
    )

    public = english(Client()).get(f"/laporan/{report.ref}/").content.decode()
    own = english(signed_in(report.reporter)).get(f"/laporan/{report.ref}/").content.decode()

    assert "<strong>Filed</strong>" in public
    assert "<strong>Status changed</strong>" in public
    assert '<span class="tag">Verified</span>' in public
    assert "Di sisi mana lubangnya?" not in public  # questions are between officer and reporter
    assert "Di sisi mana lubangnya?" in own
    assert "An officer asked you a question." in own
    assert f'action="/laporan/{report.ref}/jawab/"' in own
    assert "/jawab/" not in public


def test_detail_script_in_description_is_escaped(catalogue, citizen_client):
    response = citizen_client.post(
        "/laporan/baru/",
        filing(description="<script>alert('x')</script> jalan rusak parah sekali"),
    )
    report = Report.objects.get()
    assert response.status_code == 302

    html = citizen_client.get(f"/laporan/{report.ref}/").content.decode()

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; jalan rusak parah sekali" in html
    assert "<script>alert(" not in html


def test_unknown_or_malformed_ref_is_404(db):
    client = Client()
    assert client.get("/laporan/2501-ZZZZZZ/").status_code == 404
    assert client.get("/laporan/2501-zzzzzz/").status_code == 404
    assert client.get("/laporan/bukan-laporan/").status_code == 404


def test_detail_query_count_does_not_grow(file_report, citizen, django_assert_num_queries):
    report = file_report(photos=[upload(jpeg_bytes(200, 150))])
    reporter_client = signed_in(report.reporter)
    public_client = Client()
    # public: report, timeline, photos
    with django_assert_num_queries(3):
        assert public_client.get(f"/laporan/{report.ref}/").status_code == 200
    # reporter: session, user, unread notifications, report, staff scope (memberships),
    # timeline, photos
    with django_assert_num_queries(7):
        assert reporter_client.get(f"/laporan/{report.ref}/").status_code == 200
    now = timezone.now()
    ReportEvent.objects.bulk_create(
        ReportEvent(report=report, kind=EventKind.PROGRESS, message=f"Langkah {i}", created_at=now)
        for i in range(20)
    )
    for _ in range(20):
        services.report_support(actor=CitizenFactory(), ref=report.ref)
    with django_assert_num_queries(3):
        html = public_client.get(f"/laporan/{report.ref}/").content.decode()
    assert html.count("Langkah ") == 20
    with django_assert_num_queries(7):
        assert reporter_client.get(f"/laporan/{report.ref}/").status_code == 200


# --- photos ------------------------------------------------------------------------------------------------
def test_photo_of_a_public_report(file_report):
    report = file_report(photos=[upload(jpeg_bytes(exif_gps=True))])
    photo = report.photos.get()
    client = Client()

    for url in (
        f"/laporan/{report.ref}/foto/{photo.pk}/",
        f"/laporan/{report.ref}/foto/{photo.pk}/kecil/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "public, max-age=3600"
        image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info


def test_photo_of_a_confidential_report(file_report, citizen):
    report = file_report(is_confidential=True, photos=[upload(jpeg_bytes())])
    photo = report.photos.get()
    url = f"/laporan/{report.ref}/foto/{photo.pk}/"

    assert Client().get(url).status_code == 404
    assert Client().get(url + "kecil/").status_code == 404
    assert signed_in(citizen).get(url).status_code == 404
    own = signed_in(report.reporter).get(url)
    assert own.status_code == 200
    assert own["Cache-Control"] == "private, max-age=600"


def test_photo_of_another_report_is_404(file_report):
    report = file_report()
    other = file_report(photos=[upload(jpeg_bytes())])
    photo = other.photos.get()
    assert Client().get(f"/laporan/{report.ref}/foto/{photo.pk}/").status_code == 404


# --- filing through the page -----------------------------------------------------------------------------
def test_create_requires_sign_in(db):
    response = Client().get("/laporan/baru/")
    assert response.status_code == 302
    assert response["Location"] == "/akun/masuk/?next=/laporan/baru/"


def test_create_page_renders(catalogue, citizen_client):
    response = english(citizen_client).get("/laporan/baru/?kind=aspiration")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="Infrastruktur">' in html
    assert 'value="jalan-rusak" data-search="' in html
    assert 'value="aspiration" required id="id_kind_1" checked' in html
    assert 'accept="image/*" multiple' in html
    assert 'capture="environment"' in html
    assert 'data-report-pin data-form="report-form"' in html
    assert "/static/dist/reports-map" in html


def test_create_with_a_photo(catalogue, citizen, citizen_client):
    payload = filing(
        title="Lubang di Jalan Tidar",
        address="Depan toko emas",
        photos=upload(jpeg_bytes(exif_gps=True)),
        is_anonymous="on",
    )

    response = english(citizen_client).post("/laporan/baru/", payload)

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/laporan/{report.ref}/"
    assert (report.reporter, report.source, report.kind) == (citizen, Source.PORTAL, "complaint")
    assert (report.title, report.address, report.desa_code) == (
        "Lubang di Jalan Tidar",
        "Depan toko emas",
        SAMPIT_DESA,
    )
    assert (report.is_anonymous, report.is_confidential) == (True, False)
    assert report.photos.count() == 1
    page = citizen_client.get(response["Location"]).content.decode()
    assert f"Thank you. Your report was received with number {report.ref}." in page


def test_create_with_three_photos_from_two_inputs(catalogue, citizen_client):
    photos = [upload(jpeg_bytes(300, 200), name=f"{i}.jpg") for i in range(3)]
    response = citizen_client.post("/laporan/baru/", filing(photos=photos))
    assert response.status_code == 302
    assert Report.objects.get().photos.count() == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"photos": "text"},
            "This file is not a photo. Attach a JPEG, PNG or WebP image.",
        ),
        ({"photos": "big"}, "A photo may be at most 1 MB."),
        ({"photos": "four"}, "Attach at most 3 photos."),
        (
            {"lat": str(OUTSIDE_KOTIM[0]), "lng": str(OUTSIDE_KOTIM[1])},
            "The point -6.20000, 106.81660 is not in any desa or kelurahan of "
            "Kabupaten Kotawaringin Timur.",
        ),
        ({"lat": "", "lng": ""}, "Drop a pin on the map or use your location."),
        ({"lat": "-95", "lng": "112.95"}, "Enter a latitude between -90 and 90."),
        ({"description": ""}, "Describe the problem or your idea."),
        ({"description": "Rusak"}, "Write at least 10 characters."),
        ({"description": "x" * 10_000}, "Write at most 5000 characters (now 10000)."),
        ({"category": "tidak-ada"}, "There is no such report category."),
        ({"category": ""}, "Choose a category."),
        ({"kind": "gosip"}, "Select a valid choice. gosip is not one of the available choices."),
    ],
)
def test_create_bad_input_writes_nothing(catalogue, citizen_client, settings, overrides, message):
    settings.REPORTS_PHOTO_MAX_BYTES = 1024 * 1024
    photo = overrides.get("photos")
    if photo == "text":
        overrides["photos"] = upload(b"this is not a picture at all", name="foto.jpg")
    elif photo == "big":
        overrides["photos"] = upload(b"\xff" * (1024 * 1024 + 1), name="besar.jpg")
    elif photo == "four":
        overrides["photos"] = [upload(jpeg_bytes(64, 64), name=f"{i}.jpg") for i in range(4)]

    response = english(citizen_client).post("/laporan/baru/", filing(**overrides))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert Report.objects.count() == 0
    assert ReportPhoto.objects.count() == 0
    assert media_files() == []


def test_create_rejects_a_real_20_mb_photo(catalogue, citizen_client):
    assert settings.REPORTS_PHOTO_MAX_BYTES == 10 * 1024 * 1024
    huge = upload(b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024), name="besar.jpg")

    response = english(citizen_client).post("/laporan/baru/", filing(photos=huge))

    assert response.status_code == 422
    assert "A photo may be at most 10 MB." in response.content.decode()
    assert Report.objects.count() == 0
    assert media_files() == []


def test_create_rate_limit(catalogue, citizen, citizen_client):
    for _ in range(10):
        assert citizen_client.post("/laporan/baru/", filing()).status_code == 302

    response = english(citizen_client).post("/laporan/baru/", filing())

    assert response.status_code == 429
    assert "You have sent many reports in a short time." in response.content.decode()
    assert Report.objects.filter(reporter=citizen).count() == 10


# --- nearby duplicates and support ------------------------------------------------------------------------
def test_nearby_lists_reports_within_100_m(file_report, citizen_client):
    near = file_report()
    far = file_report(lat=SAMPIT[0] + 300 / METRES_PER_DEGREE_LAT)
    other_category = file_report(category_code="sampah")
    lat = SAMPIT[0] + 50 / METRES_PER_DEGREE_LAT

    response = english(citizen_client).get(
        f"/laporan/sekitar/?category=jalan-rusak&lat={lat}&lng={SAMPIT[1]}"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'id="nearby-([0-9A-Z-]+)"', html) == [near.ref]
    assert far.ref not in html
    assert other_category.ref not in html
    assert "about 50 m away" in html
    assert f'hx-post="/laporan/{near.ref}/dukung/"' in html


@pytest.mark.parametrize(
    "query", ["", "category=jalan-rusak", "category=jalan-rusak&lat=x&lng=1", "lat=1&lng=2"]
)
def test_nearby_with_incomplete_input_is_empty(file_report, query):
    file_report()
    response = Client().get(f"/laporan/sekitar/?{query}")
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_support_twice_counts_once(file_report, citizen, citizen_client):
    report = file_report()
    url = f"/laporan/{report.ref}/dukung/"

    first = citizen_client.post(url)
    second = english(citizen_client).post(url, follow=True)

    assert first.status_code == 302
    assert first["Location"] == f"/laporan/{report.ref}/"
    assert f"You already support {report.ref}." in second.content.decode()
    report.refresh_from_db()
    assert report.support_count == 1
    assert ReportSupport.objects.filter(report=report).count() == 1


def test_support_through_htmx(file_report, citizen_client):
    report = file_report()
    response = english(citizen_client).post(
        f"/laporan/{report.ref}/dukung/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Thank you, your support is counted" in response.content.decode()
    report.refresh_from_db()
    assert report.support_count == 1


def test_support_through_htmx_when_signed_out(file_report):
    report = file_report()
    response = Client().post(f"/laporan/{report.ref}/dukung/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/akun/masuk/?next=%2Flaporan%2F{report.ref}%2F"
    report.refresh_from_db()
    assert report.support_count == 0


def test_support_own_report_is_a_message(file_report):
    report = file_report()
    response = english(signed_in(report.reporter)).post(
        f"/laporan/{report.ref}/dukung/", follow=True
    )
    assert "You filed this report yourself." in response.content.decode()
    report.refresh_from_db()
    assert report.support_count == 0


def test_support_needs_sign_in_and_post(file_report):
    report = file_report()
    response = Client().post(f"/laporan/{report.ref}/dukung/")
    assert response.status_code == 302
    assert response["Location"] == f"/akun/masuk/?next=/laporan/{report.ref}/"
    assert Client().get(f"/laporan/{report.ref}/dukung/").status_code == 405
    report.refresh_from_db()
    assert report.support_count == 0


def test_support_of_a_confidential_report_is_404(file_report, citizen_client):
    report = file_report(is_confidential=True)
    assert citizen_client.post(f"/laporan/{report.ref}/dukung/").status_code == 404
    assert ReportSupport.objects.count() == 0


# --- the reporter's actions --------------------------------------------------------------------------------
ACTIONS = {
    "jawab": {"message": "Lubangnya di sisi kiri jalan."},
    "konfirmasi": {},
    "sanggah": {"reason": "Lubangnya masih ada dan makin besar."},
    "nilai": {"rating": "5", "comment": "Cepat"},
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_another_citizen_cannot_act_on_a_report(file_report, pupr_officer, citizen, action):
    report = completed(file_report(), pupr_officer)
    before = (report.status, report.rating, report.version, report.events.count())

    response = signed_in(citizen).post(f"/laporan/{report.ref}/{action}/", ACTIONS[action])

    assert response.status_code == 404
    report.refresh_from_db()
    assert (report.status, report.rating, report.version, report.events.count()) == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_reporter_actions_are_post_only(file_report, action):
    report = file_report()
    response = signed_in(report.reporter).get(f"/laporan/{report.ref}/{action}/")
    assert response.status_code == 405


def test_reporter_answers_a_question(file_report, pupr_officer):
    report = file_report()
    officer = verified(pupr_officer)
    report = services.report_verify(actor=officer, ref=report.ref, version=report.version)
    services.report_ask(actor=officer, ref=report.ref, version=report.version, question="Di mana?")
    client = english(signed_in(report.reporter))

    response = client.post(f"/laporan/{report.ref}/jawab/", ACTIONS["jawab"], follow=True)

    assert "Your answer was sent to the officers." in response.content.decode()
    report.refresh_from_db()
    assert report.awaiting_citizen is False
    assert report.events.filter(kind=EventKind.ANSWER).get().message == (
        "Lubangnya di sisi kiri jalan."
    )


def test_reporter_confirms(file_report, pupr_officer):
    report = completed(file_report(), pupr_officer)
    client = english(signed_in(report.reporter))
    page = client.get(f"/laporan/{report.ref}/").content.decode()
    assert "Is the problem solved?" in page
    assert "Rate the handling" in page

    response = client.post(f"/laporan/{report.ref}/konfirmasi/", follow=True)

    assert "Thank you for confirming. The report is closed." in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.CLOSED


def test_reporter_disputes_within_the_window(file_report, pupr_officer):
    report = completed(file_report(), pupr_officer)
    client = english(signed_in(report.reporter))

    response = client.post(f"/laporan/{report.ref}/sanggah/", ACTIONS["sanggah"], follow=True)

    assert "The report was reopened." in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.REOPENED


def test_reporter_dispute_after_the_window_is_refused(file_report, pupr_officer):
    report = completed(file_report(), pupr_officer)
    ReportPolicy.objects.update_or_create(pk=1, defaults={"reopen_window_days": 7})
    Report.objects.filter(pk=report.pk).update(completed_at=timezone.now() - dt.timedelta(days=8))
    client = english(signed_in(report.reporter))
    assert "No, reopen it" not in client.get(f"/laporan/{report.ref}/").content.decode()

    response = client.post(f"/laporan/{report.ref}/sanggah/", ACTIONS["sanggah"], follow=True)

    assert "The time to dispute this result has passed" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.COMPLETED


def test_reporter_dispute_needs_a_reason(file_report, pupr_officer):
    report = completed(file_report(), pupr_officer)
    response = english(signed_in(report.reporter)).post(
        f"/laporan/{report.ref}/sanggah/", {"reason": "Belum"}, follow=True
    )
    assert "Write at least 10 characters." in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.COMPLETED


def test_reporter_rates(file_report, pupr_officer):
    report = completed(file_report(), pupr_officer)
    client = english(signed_in(report.reporter))

    response = client.post(f"/laporan/{report.ref}/nilai/", {"rating": "4", "comment": "Oke"})
    again = client.post(f"/laporan/{report.ref}/nilai/", {"rating": "1"}, follow=True)

    assert response.status_code == 302
    assert "You have already rated this report." in again.content.decode()
    report.refresh_from_db()
    assert (report.rating, report.rating_comment) == (4, "Oke")


@pytest.mark.parametrize("rating", ["0", "6", "lima", ""])
def test_reporter_rating_out_of_range(file_report, pupr_officer, rating):
    report = completed(file_report(), pupr_officer)
    response = english(signed_in(report.reporter)).post(
        f"/laporan/{report.ref}/nilai/", {"rating": rating}, follow=True
    )
    assert "Give a rating from 1 to 5." in response.content.decode()
    report.refresh_from_db()
    assert report.rating is None


def test_rating_before_completion_is_refused(file_report):
    report = file_report()
    response = english(signed_in(report.reporter)).post(
        f"/laporan/{report.ref}/nilai/", {"rating": "5"}, follow=True
    )
    assert "You can rate the service once the report is completed." in response.content.decode()


# --- my reports and aspirations -------------------------------------------------------------------------------
def test_mine_lists_own_reports_with_the_question_badge(file_report, citizen, pupr_officer):
    own = file_report(actor=citizen)
    secret = file_report(actor=citizen, is_confidential=True)
    file_report()  # someone else's
    officer = verified(pupr_officer)
    own = services.report_verify(actor=officer, ref=own.ref, version=own.version)
    services.report_ask(actor=officer, ref=own.ref, version=own.version, question="Di mana?")

    response = english(signed_in(citizen)).get("/laporan/saya/")

    assert listed_refs(response) == [secret.ref, own.ref]
    html = response.content.decode()
    assert html.count("Question for you") == 1
    assert html.count('<span class="tag tag-muted">Confidential</span>') == 1


def test_mine_requires_sign_in(db):
    response = Client().get("/laporan/saya/")
    assert response.status_code == 302
    assert response["Location"] == "/akun/masuk/?next=/laporan/saya/"


def test_mine_query_count_does_not_grow(file_report, citizen, django_assert_num_queries):
    file_report(actor=citizen)
    client = signed_in(citizen)
    # session, user, unread notifications, count, page, first photos
    with django_assert_num_queries(6):
        assert len(listed_refs(client.get("/laporan/saya/"))) == 1
    for _ in range(20):
        file_report(actor=citizen)
    with django_assert_num_queries(6):
        assert len(listed_refs(client.get("/laporan/saya/"))) == 20


def _aspiration(file_report: Any, **fields: Any) -> Report:
    return file_report(kind="aspiration", category_code="lainnya", **fields)


def test_aspirations_by_support_and_agenda(file_report, pupr_officer, citizen, admin_user):
    ReportPolicy.objects.update_or_create(pk=1, defaults={"aspiration_threshold": 2})
    low = _aspiration(file_report, title="Taman baca")
    high = _aspiration(file_report, title="Jalur sepeda")
    file_report(title="Keluhan biasa")  # a complaint: not listed
    officer = verified(admin_user)
    high = services.report_verify(actor=officer, ref=high.ref, version=high.version)
    for user in (CitizenFactory(), citizen):
        services.report_support(actor=user, ref=high.ref)
    client = english(signed_in(citizen))

    html = client.get("/aspirasi/").content.decode()

    ordered = re.findall(r'id="aspiration-([0-9A-Z-]+)"', html)
    assert ordered == [high.ref, low.ref]
    assert re.findall(r'id="agenda-([0-9A-Z-]+)"', html) == [high.ref]
    assert "Waiting for the Council" in html
    assert "goes on the agenda of the Smart City Council" in html
    assert "2 supports" in html
    # the signed-in citizen supports `high` already and may support `low`
    assert f'action="/laporan/{low.ref}/dukung/"' in html
    assert f'action="/laporan/{high.ref}/dukung/"' not in html
    assert "You support this" in html

    response = client.post(f"/laporan/{low.ref}/dukung/", {"next": "/aspirasi/#aspiration-x"})
    assert response["Location"] == "/aspirasi/#aspiration-x"
    response = client.post(f"/laporan/{low.ref}/dukung/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/laporan/{low.ref}/"


def test_aspirations_query_count_does_not_grow(file_report, citizen, django_assert_num_queries):
    _aspiration(file_report)
    client = signed_in(citizen)
    # session, user, policy, aspirations, agenda (with its own policy read), own supports,
    # unread notifications
    with django_assert_num_queries(8):
        assert client.get("/aspirasi/").status_code == 200
    for _ in range(20):
        _aspiration(file_report)
    with django_assert_num_queries(8):
        html = client.get("/aspirasi/").content.decode()
    assert len(re.findall(r'id="aspiration-', html)) == 21


def test_council_response_on_the_detail(file_report, make_staff):
    from kotacerdas.accounts.models import Role

    report = _aspiration(file_report)
    council = verified(make_staff(Role.DEWAN))
    services.aspiration_respond(
        actor=council, ref=report.ref, response="Akan dibahas pada rapat komisi bulan depan."
    )
    html = english(Client()).get(f"/laporan/{report.ref}/").content.decode()
    assert "The Council's response" in html
    assert "Akan dibahas pada rapat komisi bulan depan." in html


def test_create_asks_the_categorys_extra_questions(catalogue, citizen_client):
    page = citizen_client.get("/laporan/baru/").content.decode()
    # jalan-rusak asks how large the damage is; lampu-jalan for the pole number.
    assert 'data-attributes-for="jalan-rusak"' in page
    assert 'name="attribute[road_size]"' in page
    assert 'name="attribute[pole_number]"' in page

    response = citizen_client.post(
        "/laporan/baru/",
        filing(**{"attribute[road_size]": "besar", "attribute[pole_number]": "PJU-12"}),
    )
    report = Report.objects.get()
    assert response.status_code == 302
    # Only the chosen category's answers are kept.
    assert report.attributes == {"road_size": "besar"}


def test_create_refuses_an_answer_outside_the_list(catalogue, citizen_client):
    response = english(citizen_client).post(
        "/laporan/baru/", filing(**{"attribute[road_size]": "raksasa"})
    )
    assert response.status_code == 422
    assert "Choose one of the allowed values." in response.content.decode()
    assert Report.objects.count() == 0
    # What was posted is shown again.
    assert 'value="besar"' in response.content.decode()
