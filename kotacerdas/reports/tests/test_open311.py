"""The Open311 GeoReport v2 API at /open311/v2/: every endpoint in both formats, filing with an
API key, the spec's filters and errors, what is never shown, and query budgets."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from kotacerdas.core.sla import WIB
from kotacerdas.regions.errors import OutsideRegions
from kotacerdas.reports import open311, services
from kotacerdas.reports.models import Category, Report, Source, Status

from .conftest import OUTSIDE_KOTIM, SAMPIT, SAMPIT_DESA, agency, jpeg_bytes, upload, verified

DESCRIPTION = "Jalan berlubang besar di depan pasar, membahayakan pengendara."
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def url(name: str, fmt: str = "json", **kwargs: str) -> str:
    return reverse(f"open311:{name}", kwargs={"fmt": fmt, **kwargs})


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def xml_of(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(XML_DECLARATION)
    return ET.fromstring(response.content)  # noqa: S314 (our own output, under test)


def flat(element: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in element}


def as_xml_text(value: Any) -> str:
    """A JSON value as the XML rendering writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def errors(response: Any) -> list[dict[str, Any]]:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["service_request_id"] for item in response.json()]


@pytest.fixture
def api(admin_user: Any) -> SimpleNamespace:
    client, key = services.open311_client_create(
        actor=verified(admin_user), name="Aplikasi Lapor Warga", contact_email="dev@example.org"
    )
    return SimpleNamespace(client=client, key=key)


def form(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": key,
        "jurisdiction_id": "kotimkab.go.id",
        "service_code": "jalan-rusak",
        "lat": str(SAMPIT[0]),
        "long": str(SAMPIT[1]),
        "address_string": "Depan Pasar Sawahan",
        "email": "siti.rahma@example.org",
        "device_id": "tt222111",
        "account_id": "123456",
        "first_name": "Siti",
        "last_name": "Rahmawati",
        "phone": "081234567890",
        "description": DESCRIPTION,
        "media_url": "http://192.0.2.1/foto.jpg",
        "attribute[road_size]": "besar",
        **extra,
    }


def post_form(client: Client, payload: dict[str, Any], fmt: str = "json") -> Any:
    """application/x-www-form-urlencoded, as the spec sends it."""
    return client.post(
        url("requests", fmt),
        data=urlencode(payload, doseq=True),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )


def expected_item(report: Report, *, notes: str | None = None, media: str | None = None) -> dict:
    report.refresh_from_db()
    address = ", ".join(p for p in (report.address, report.desa_name, report.kecamatan_name) if p)
    return {
        "service_request_id": report.ref,
        "status": "closed" if report.status in (Status.COMPLETED, Status.CLOSED) else "open",
        "status_notes": notes,
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.agency.name,
        "service_notice": None,
        "requested_datetime": report.created_at.astimezone(WIB).isoformat(timespec="seconds"),
        "updated_datetime": report.updated_at.astimezone(WIB).isoformat(timespec="seconds"),
        "expected_datetime": report.completion_due_at.astimezone(WIB).isoformat(timespec="seconds"),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lng,
        "media_url": media,
    }


def at(report: Report, moment: dt.datetime) -> Report:
    Report.objects.filter(pk=report.pk).update(created_at=moment)
    report.refresh_from_db()
    return report


# --- Discovery ----------------------------------------------------------------------------------
def test_discovery_json_and_xml(client: Client, catalogue: None) -> None:
    latest = Category.objects.aggregate(m=Max("updated_at"))["m"]
    changeset = max(
        "2026-11-23T00:00:00Z", latest.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    english(client)
    response = client.get(url("discovery"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == {
        "changeset": changeset,
        "contact": "Kota Cerdas Kabupaten Kotawaringin Timur, run by Diskominfo: "
        "http://testserver/",
        "key_service": "API keys for apps that file reports are issued by the platform's "
        "administrators (Diskominfo); ask through http://testserver/",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "http://testserver/open311/v2/",
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }

    root = xml_of(client.get(url("discovery", "xml")))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    assert root.findtext("changeset") == changeset
    endpoints = root.findall("endpoints/endpoint")
    assert len(endpoints) == 1
    assert endpoints[0].findtext("url") == "http://testserver/open311/v2/"
    assert endpoints[0].findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoints[0].findtext("type") == "production"
    assert [f.text for f in endpoints[0].findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_discovery_changeset_follows_the_catalogue(client: Client, catalogue: None) -> None:
    Category.objects.filter(code="jembatan").update(
        updated_at=dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    assert client.get(url("discovery")).json()["changeset"] == "2027-01-02T03:04:05Z"


# --- Services -----------------------------------------------------------------------------------
def test_services_list_json_and_xml(client: Client, catalogue: None) -> None:
    Category.objects.filter(code="jembatan").update(is_active=False)
    response = client.get(url("services"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    active = list(Category.objects.filter(is_active=True).order_by("order", "name"))
    assert [s["service_code"] for s in body] == [c.code for c in active]
    assert "jembatan" not in [s["service_code"] for s in body]
    assert body[0] == {
        "service_code": "jalan-rusak",
        "service_name": "Jalan rusak / berlubang",
        "description": "Jalan kabupaten yang rusak, berlubang, amblas atau retak.",
        "metadata": True,
        "type": "realtime",
        "keywords": "jalan, lubang, aspal, rusak, retak, amblas, road, pothole",
        "group": "Infrastruktur",
    }
    by_code = {s["service_code"]: s for s in body}
    assert by_code["drainase-banjir"]["metadata"] is False

    root = xml_of(client.get(url("services", "xml")))
    assert root.tag == "services"
    services_xml = root.findall("service")
    assert len(services_xml) == len(body)
    for element, item in zip(services_xml, body, strict=True):
        assert flat(element) == {k: as_xml_text(v) for k, v in item.items()}


def test_services_in_english_with_locale(client: Client, catalogue: None) -> None:
    body = client.get(url("services"), {"locale": "en"}).json()
    assert body[0]["service_name"] == "Damaged or potholed road"
    assert body[0]["description"] == "Regency roads that are damaged, potholed, sunken or cracked."


def test_services_query_count_constant(
    client: Client, catalogue: None, django_assert_num_queries: Callable[..., Any]
) -> None:
    with django_assert_num_queries(1):
        first = client.get(url("services"))
    pupr = agency("pupr")
    for i in range(20):
        Category.objects.create(
            code=f"tambahan-{i}", name=f"Tambahan {i}", dimension="governance", agency=pupr
        )
    with django_assert_num_queries(1):
        second = client.get(url("services"))
    assert len(second.json()) == len(first.json()) + 20


def test_service_definition_json_and_xml(client: Client, catalogue: None) -> None:
    response = client.get(url("service", service_code="jalan-rusak"))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "service_code": "jalan-rusak",
        "attributes": [
            {
                "variable": True,
                "code": "road_size",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 1,
                "description": "Seberapa besar kerusakannya?",
                "values": [
                    {"key": "kecil", "name": "Kecil (kurang dari 1 m)"},
                    {"key": "sedang", "name": "Sedang (1–5 m)"},
                    {"key": "besar", "name": "Besar (lebih dari 5 m)"},
                ],
            }
        ],
    }

    root = xml_of(client.get(url("service", "xml", service_code="jalan-rusak")))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "jalan-rusak"
    attributes = root.findall("attributes/attribute")
    assert len(attributes) == 1
    attribute = attributes[0]
    expected = body["attributes"][0]
    assert [c.tag for c in attribute] == list(expected)
    for key in ("variable", "code", "datatype", "required", "datatype_description", "order"):
        assert (attribute.findtext(key) or "") == as_xml_text(expected[key])
    assert [flat(v) for v in attribute.findall("values/value")] == expected["values"]


def test_service_definition_without_attributes(client: Client, catalogue: None) -> None:
    assert client.get(url("service", service_code="drainase-banjir")).json() == {
        "service_code": "drainase-banjir",
        "attributes": [],
    }
    root = xml_of(client.get(url("service", "xml", service_code="drainase-banjir")))
    attributes = root.find("attributes")
    assert attributes is not None
    assert list(attributes) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_unknown_code(client: Client, catalogue: None, fmt: str) -> None:
    english(client)
    response = client.get(url("service", fmt, service_code="tidak-ada"))
    assert response.status_code == 404
    if fmt == "json":
        assert errors(response) == [{"code": 404, "description": "service_code not found"}]
    else:
        root = xml_of(response)
        assert root.tag == "errors"
        assert [flat(e) for e in root.findall("error")] == [
            {"code": "404", "description": "service_code not found"}
        ]


# --- Filing -------------------------------------------------------------------------------------
def test_post_form_encoded_files_a_report(client: Client, api: SimpleNamespace) -> None:
    english(client)
    response = post_form(client, form(api.key))
    assert response.status_code == 201, response.content
    assert "Access-Control-Allow-Origin" not in response
    report = Report.objects.get()
    assert response.json() == [
        {
            "service_request_id": report.ref,
            "token": str(report.token),
            "service_notice": f"Report {report.ref} received. We will verify it within "
            f"{report.category.sla_verify_days} working days.",
            "account_id": None,
        }
    ]
    assert report.source == Source.OPEN311
    assert report.open311_client == api.client
    assert report.reporter is None
    assert report.kind == "complaint"
    assert report.category.code == "jalan-rusak"
    assert report.description == DESCRIPTION
    assert report.address == "Depan Pasar Sawahan"
    assert report.desa_code == SAMPIT_DESA
    assert report.attributes == {"road_size": "besar"}
    assert (report.contact_name, report.contact_email, report.contact_phone) == (
        "Siti Rahmawati",
        "siti.rahma@example.org",
        "081234567890",
    )
    assert report.is_anonymous is False
    assert report.photos.count() == 0  # media_url is neither fetched nor kept
    api.client.refresh_from_db()
    assert api.client.last_used_at is not None

    client.cookies.pop("django_language")  # the default language again: Indonesian names
    listed = client.get(url("requests"))
    assert listed.json() == [expected_item(report)]
    one = client.get(url("request", service_request_id=report.ref))
    assert one.status_code == 200
    assert one.json() == [expected_item(report)]
    assert one.json()[0]["address"] == (
        f"Depan Pasar Sawahan, {report.desa_name}, {report.kecamatan_name}"
    )
    assert one.json()[0]["requested_datetime"].endswith("+07:00")
    for body in (listed.content, one.content, client.get(url("requests", "xml")).content):
        for secret in (b"Siti", b"Rahmawati", b"siti.rahma@example.org", b"081234567890"):
            assert secret not in body

    token = client.get(url("token", token=str(report.token)))
    assert token.json() == [{"service_request_id": report.ref, "token": str(report.token)}]
    root = xml_of(client.get(url("token", "xml", token=str(report.token))))
    assert [flat(r) for r in root.findall("request")] == [
        {"service_request_id": report.ref, "token": str(report.token)}
    ]


def test_post_xml_response(client: Client, api: SimpleNamespace) -> None:
    response = post_form(client, form(api.key), fmt="xml")
    assert response.status_code == 201
    report = Report.objects.get()
    root = xml_of(response)
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [c.tag for c in request] == [
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    ]
    assert request.findtext("service_request_id") == report.ref
    assert request.findtext("token") == str(report.token)
    assert request.findtext("account_id") == ""


def test_post_multipart_with_media_strips_exif(
    client: Client, api: SimpleNamespace, settings: Any
) -> None:
    response = client.post(
        url("requests"), data={**form(api.key), "media": upload(jpeg_bytes(exif_gps=True))}
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    photo = report.photos.get()
    assert photo.stage == "before"
    with photo.image.open("rb") as f, Image.open(io.BytesIO(f.read())) as img:
        assert img.format == "JPEG"
        assert "exif" not in img.info
        assert dict(img.getexif()) == {}
    item = client.get(url("request", service_request_id=report.ref)).json()[0]
    expected = "http://testserver" + reverse(
        "reports:photo", kwargs={"ref": report.ref, "photo_id": photo.pk}
    )
    assert item["media_url"] == expected


def test_post_media_that_is_not_a_photo(client: Client, api: SimpleNamespace) -> None:
    english(client)
    response = client.post(
        url("requests"),
        data={**form(api.key), "media": upload(b"%PDF-1.4 not an image", "x.jpg")},
    )
    assert response.status_code == 400
    assert errors(response) == [
        {
            "code": 400,
            "description": "media: This file is not a photo. Attach a JPEG, PNG or WebP image.",
        }
    ]
    assert Report.objects.count() == 0


def test_post_without_any_contact_is_anonymous(client: Client, api: SimpleNamespace) -> None:
    payload = form(api.key)
    for name in ("email", "first_name", "last_name", "phone"):
        del payload[name]
    assert post_form(client, payload).status_code == 201
    report = Report.objects.get()
    assert report.is_anonymous is True
    assert (report.contact_name, report.contact_email, report.contact_phone) == ("", "", "")


def test_post_multivaluelist_attribute(client: Client, api: SimpleNamespace) -> None:
    Category.objects.filter(code="jalan-rusak").update(
        attributes=[
            {
                "code": "sisi",
                "datatype": "multivaluelist",
                "required": True,
                "description": "Sisi jalan",
                "values": [{"key": "kiri", "name": "Kiri"}, {"key": "kanan", "name": "Kanan"}],
            }
        ]
    )
    payload = form(api.key)
    del payload["attribute[road_size]"]
    payload["attribute[sisi][]"] = ["kiri", "kanan"]
    assert post_form(client, payload).status_code == 201
    assert Report.objects.get().attributes == {"sisi": ["kiri", "kanan"]}


def test_post_is_csrf_exempt(api: SimpleNamespace) -> None:
    client = Client(enforce_csrf_checks=True)
    assert post_form(client, form(api.key)).status_code == 201


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_without_api_key_writes_nothing(
    client: Client, api: SimpleNamespace, fmt: str
) -> None:
    english(client)
    payload = form(api.key)
    del payload["api_key"]
    before = Report.objects.count()
    response = post_form(client, payload, fmt=fmt)
    assert response.status_code == 403
    assert Report.objects.count() == before
    expected = {"code": 403, "description": "api_key is missing or not valid."}
    if fmt == "json":
        assert errors(response) == [expected]
    else:
        root = xml_of(response)
        assert root.tag == "errors"
        assert [flat(e) for e in root.findall("error")] == [
            {k: str(v) for k, v in expected.items()}
        ]


@pytest.mark.parametrize("case", ["wrong", "revoked"])
def test_post_with_wrong_or_revoked_key(
    client: Client, api: SimpleNamespace, admin_user: Any, case: str
) -> None:
    english(client)
    key = api.key
    if case == "wrong":
        key = api.key[:-4] + "XXXX"
    else:
        services.open311_client_revoke(actor=verified(admin_user), client_id=api.client.pk)
    response = post_form(client, form(key))
    assert response.status_code == 403
    assert errors(response) == [{"code": 403, "description": "api_key is missing or not valid."}]
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"service_code": "tidak-ada"}, "service_code not found"),
        ({"service_code": ""}, "service_code is required."),
        ({"description": ""}, "description: Write at least 10 characters."),
        ({"description": "Rusak."}, "description: Write at least 10 characters."),
        (
            {"attribute[road_size]": "raksasa"},
            "attribute[road_size]: Choose one of the allowed values.",
        ),
        ({"email": "bukan-email"}, "email: Enter a valid e-mail address."),
        ({"lat": "utara"}, "lat: Enter a latitude between -90 and 90."),
        (
            {"lat": "", "long": ""},
            "lat and long are required: this service places a request by its coordinates "
            "only (address_string and address_id alone are not enough).",
        ),
    ],
)
def test_post_invalid_is_400(
    client: Client, api: SimpleNamespace, change: dict[str, str], description: str
) -> None:
    english(client)
    response = post_form(client, {**form(api.key), **change})
    assert response.status_code == 400
    assert errors(response) == [{"code": 400, "description": description}]
    assert Report.objects.count() == 0


def test_post_outside_kotim_is_400_in_indonesian(client: Client, api: SimpleNamespace) -> None:
    lat, lng = OUTSIDE_KOTIM
    response = post_form(client, form(api.key, lat=str(lat), long=str(lng)))
    assert response.status_code == 400
    with translation.override("id"):
        message = OutsideRegions(lat, lng).message
    assert errors(response) == [{"code": 400, "description": message}]
    assert Report.objects.count() == 0


def test_post_rate_limited_per_key(client: Client, api: SimpleNamespace, settings: Any) -> None:
    settings.REPORTS_RATE_IP = "1/h"
    assert post_form(client, form(api.key)).status_code == 201
    response = post_form(client, form(api.key))
    assert response.status_code == 429
    [error] = errors(response)
    assert error["code"] == 429
    assert Report.objects.count() == 1


# --- Listing ------------------------------------------------------------------------------------
@pytest.fixture
def listed(file_report: Callable[..., Any], pupr_officer: Any) -> SimpleNamespace:
    """Reports at known times: open, completed, another category, one outside the default
    window, and two never shown (confidential, rejected)."""
    officer = verified(pupr_officer)
    now = timezone.now()
    open_one = at(file_report(), now - dt.timedelta(hours=1))
    done = at(file_report(), now - dt.timedelta(hours=2))
    done = services.report_verify(
        actor=officer, ref=done.ref, version=done.version, message="Sudah dicek petugas."
    )
    done = services.report_complete(
        actor=officer,
        ref=done.ref,
        version=done.version,
        message="Lubang sudah ditambal dan diaspal ulang.",
    )
    other = at(
        file_report(category_code="lampu-jalan", description="Lampu jalan mati sejak seminggu."),
        now - dt.timedelta(hours=3),
    )
    old = at(file_report(), dt.datetime(2026, 8, 1, 10, 0, tzinfo=WIB))
    confidential = at(file_report(is_confidential=True), now - dt.timedelta(minutes=5))
    rejected = file_report()
    services.report_reject(
        actor=officer,
        ref=rejected.ref,
        version=rejected.version,
        reason="Bukan jalan kabupaten, laporan ditolak.",
    )
    return SimpleNamespace(
        open=open_one,
        done=done,
        other=other,
        old=old,
        confidential=confidential,
        rejected=rejected,
    )


def test_requests_default_window_newest_first(client: Client, listed: SimpleNamespace) -> None:
    response = client.get(url("requests"), {"jurisdiction_id": "kotimkab.go.id"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert refs(response) == [listed.open.ref, listed.done.ref, listed.other.ref]
    body = response.json()
    assert body[1] == expected_item(listed.done, notes="Lubang sudah ditambal dan diaspal ulang.")
    assert body[1]["status"] == "closed"
    assert body[0]["status"] == "open"

    root = xml_of(client.get(url("requests", "xml")))
    assert root.tag == "service_requests"
    assert [flat(r) for r in root.findall("request")] == [
        {k: as_xml_text(v) for k, v in item.items()} for item in body
    ]


def test_requests_pages(
    client: Client, listed: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open311, "DEFAULT_PAGE_SIZE", 2)
    everything = refs(client.get(url("requests"), {"page_size": "1000"}))
    assert len(everything) > 2
    assert refs(client.get(url("requests"))) == everything[:2]
    assert refs(client.get(url("requests"), {"page": "2"})) == everything[2:4]
    assert refs(client.get(url("requests"), {"page_size": "1", "page": "2"})) == everything[1:2]


@pytest.mark.parametrize(
    "params", [{"page_size": "1001"}, {"page_size": "0"}, {"page": "x"}, {"page_size": "-5"}]
)
def test_requests_bad_paging_is_a_400(client: Client, params: dict[str, str]) -> None:
    response = client.get(url("requests"), params)
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_requests_status_notes_are_the_latest_public_message(
    client: Client, file_report: Callable[..., Any], pupr_officer: Any
) -> None:
    officer = verified(pupr_officer)
    report = file_report()
    report = services.report_verify(
        actor=officer, ref=report.ref, version=report.version, message="Sudah dicek petugas."
    )
    services.report_ask(
        actor=officer,
        ref=report.ref,
        version=report.version,
        question="Di sisi mana lubangnya? (pertanyaan internal)",
    )
    [item] = client.get(url("request", service_request_id=report.ref)).json()
    assert item["status_notes"] == "Sudah dicek petugas."
    assert b"pertanyaan internal" not in client.get(url("requests")).content


def test_confidential_and_rejected_never_shown(client: Client, listed: SimpleNamespace) -> None:
    hidden = [listed.confidential.ref, listed.rejected.ref]
    assert refs(client.get(url("requests"), {"start_date": "2026-01-01T00:00:00Z"})) == [
        listed.open.ref,
        listed.done.ref,
        listed.other.ref,
        listed.old.ref,
    ]
    assert refs(client.get(url("requests"), {"service_request_id": ",".join(hidden)})) == []
    for ref in hidden:
        for fmt in ("json", "xml"):
            response = client.get(url("request", fmt, service_request_id=ref))
            assert response.status_code == 404
    english(client)
    assert errors(client.get(url("request", service_request_id=hidden[0]))) == [
        {"code": 404, "description": "service_request_id not found"}
    ]


def test_requests_by_service_request_id_ignores_other_filters(
    client: Client, listed: SimpleNamespace
) -> None:
    params = {
        "service_request_id": f"{listed.old.ref},{listed.done.ref.lower()}",
        "status": "open",
        "service_code": "lampu-jalan",
        "start_date": "kemarin",
    }
    assert refs(client.get(url("requests"), params)) == [listed.done.ref, listed.old.ref]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, ["open", "other"]),
        ({"status": "closed"}, ["done"]),
        ({"status": "open,closed"}, ["open", "done", "other"]),
        ({"status": "OPEN"}, ["open", "other"]),
        ({"service_code": "lampu-jalan"}, ["other"]),
        ({"service_code": "jalan-rusak,lampu-jalan", "status": "open"}, ["open", "other"]),
        ({"service_code": "tidak-ada"}, []),
        (
            {"start_date": "2026-07-31T00:00:00Z", "end_date": "2026-08-02T00:00:00Z"},
            ["old"],
        ),
        (
            {"start_date": "2026-08-01T10:00:00+07:00", "end_date": "2026-08-01T03:00:00Z"},
            ["old"],
        ),
        # An unencoded "+" arrives as a space.
        ({"start_date": "2026-08-01T10:00:01 07:00"}, ["open", "done", "other"]),
        ({"start_date": "2026-08-01", "end_date": "2026-08-01"}, ["old"]),
        ({"end_date": "2026-08-31T00:00:00Z"}, ["old"]),
        ({"start_date": "2026-08-02T00:00:00Z", "end_date": "2026-09-01T00:00:00Z"}, []),
    ],
)
def test_requests_filters(
    client: Client, listed: SimpleNamespace, params: dict[str, str], expected: list[str]
) -> None:
    assert refs(client.get(url("requests"), params)) == [
        getattr(listed, name).ref for name in expected
    ]


@pytest.mark.parametrize("name", ["start_date", "end_date"])
@pytest.mark.parametrize(
    "value", ["2026-13-01", "kemarin", "2026-11-01T25:00", "2026-11-01T00:00:00+07:99"]
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_malformed_dates(
    client: Client, catalogue: None, name: str, value: str, fmt: str
) -> None:
    english(client)
    response = client.get(url("requests", fmt), {name: value})
    assert response.status_code == 400
    description = (
        f"{name} “{value}” is not a valid date and time; use the W3C format, "
        "e.g. 2026-11-01T00:00:00+07:00."
    )
    if fmt == "json":
        assert errors(response) == [{"code": 400, "description": description}]
    else:
        assert [flat(e) for e in xml_of(response).findall("error")] == [
            {"code": "400", "description": description}
        ]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"status": "pending"}, "status must be open or closed (comma-separated for both)."),
        (
            {"start_date": "2026-11-02T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
            "end_date is before start_date.",
        ),
    ],
)
def test_requests_other_bad_filters(
    client: Client, catalogue: None, params: dict[str, str], description: str
) -> None:
    english(client)
    response = client.get(url("requests"), params)
    assert response.status_code == 400
    assert errors(response) == [{"code": 400, "description": description}]


@pytest.mark.parametrize(
    "path",
    [
        url("discovery"),
        url("services"),
        url("service", service_code="jalan-rusak"),
        url("requests"),
        url("token", token="d6f1d2a4-3b0e-4d2b-9a53-8a5e2b0f7d11"),
    ],
)
def test_wrong_jurisdiction_is_404(client: Client, catalogue: None, path: str) -> None:
    english(client)
    response = client.get(path, {"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404
    assert errors(response) == [
        {
            "code": 404,
            "description": "jurisdiction_id sfgov.org was not found; this endpoint serves "
            "kotimkab.go.id.",
        }
    ]


def test_wrong_jurisdiction_on_post_writes_nothing(client: Client, api: SimpleNamespace) -> None:
    response = post_form(client, form(api.key, jurisdiction_id="sfgov.org"))
    assert response.status_code == 404
    assert Report.objects.count() == 0


def test_unknown_token_is_404(client: Client, listed: SimpleNamespace) -> None:
    # A portal report's token is no Open311 token.
    for token in (str(listed.open.token), "bukan-token"):
        assert client.get(url("token", token=token)).status_code == 404


def test_no_reporter_data_in_output(client: Client, listed: SimpleNamespace) -> None:
    reporter = listed.open.reporter
    assert reporter is not None
    for path in (
        url("requests"),
        url("requests", "xml"),
        url("request", service_request_id=listed.open.ref),
        url("request", "xml", service_request_id=listed.open.ref),
    ):
        body = client.get(path).content.decode()
        for secret in (reporter.full_name, reporter.email, reporter.username):
            assert secret not in body


def test_requests_query_count_constant(
    client: Client,
    file_report: Callable[..., Any],
    pupr_officer: Any,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    officer = verified(pupr_officer)
    small = jpeg_bytes(160, 120)
    first = file_report(photos=[upload(small)])
    services.report_verify(actor=officer, ref=first.ref, version=first.version, message="Dicek.")
    # One query: the photo and the latest public note are subqueries.
    with django_assert_num_queries(1):
        assert len(client.get(url("requests")).json()) == 1
    with django_assert_num_queries(1):
        assert client.get(url("request", service_request_id=first.ref)).status_code == 200
    for i in range(20):
        report = file_report(photos=[upload(small)] if i % 2 else None)
        if i % 3 == 0:
            services.report_verify(
                actor=officer, ref=report.ref, version=report.version, message=f"Dicek {i}."
            )
    from django.core.cache import caches

    caches["aggregates"].clear()  # searches are kept half a minute
    with django_assert_num_queries(1):
        assert len(client.get(url("requests")).json()) == 21
    with django_assert_num_queries(0):  # the same search in XML: from the cache
        assert len(xml_of(client.get(url("requests", "xml"))).findall("request")) == 21


def test_requests_searches_are_kept_half_a_minute_but_ids_are_fresh(
    client: Client, file_report: Callable[..., Any]
) -> None:
    from django.core.cache import caches

    first = file_report()
    assert refs(client.get(url("requests"))) == [first.ref]
    second = file_report()
    assert refs(client.get(url("requests"))) == [first.ref]  # kept
    assert refs(client.get(url("requests"), {"service_request_id": second.ref})) == [second.ref]
    caches["aggregates"].clear()  # as if half a minute passed
    assert refs(client.get(url("requests"))) == [second.ref, first.ref]


# --- Shape of every answer ----------------------------------------------------------------------
def test_xml_is_well_formed_everywhere(client: Client, api: SimpleNamespace) -> None:
    created = post_form(client, form(api.key), fmt="xml")
    report = Report.objects.get()
    answers = {
        "discovery": client.get(url("discovery", "xml")),
        "services": client.get(url("services", "xml")),
        "service_definition": client.get(url("service", "xml", service_code="jalan-rusak")),
        "service_requests": client.get(url("requests", "xml")),
        "request": client.get(url("request", "xml", service_request_id=report.ref)),
        "token": client.get(url("token", "xml", token=str(report.token))),
        "post": created,
        "error_400": client.get(url("requests", "xml"), {"start_date": "kemarin"}),
        "error_404": client.get("/open311/v2/tidak-ada.xml"),
        "error_405": client.delete(url("requests", "xml")),
    }
    roots = {name: xml_of(response).tag for name, response in answers.items()}
    assert roots == {
        "discovery": "discovery",
        "services": "services",
        "service_definition": "service_definition",
        "service_requests": "service_requests",
        "request": "service_requests",
        "token": "service_requests",
        "post": "service_requests",
        "error_400": "errors",
        "error_404": "errors",
        "error_405": "errors",
    }


def test_script_in_description_is_escaped_in_xml_and_plain_in_json(
    client: Client, file_report: Callable[..., Any]
) -> None:
    text = "<script>alert('x')</script> Jalan berlubang & tergenang air."
    report = file_report(description=text)
    [item] = client.get(url("request", service_request_id=report.ref)).json()
    assert item["description"] == text
    raw = client.get(url("request", "xml", service_request_id=report.ref)).content
    assert b"<script>" not in raw
    assert b"&lt;script&gt;alert('x')&lt;/script&gt; Jalan berlubang &amp; tergenang air." in raw
    assert ET.fromstring(raw).findtext("request/description") == text  # noqa: S314


def test_unknown_paths_and_methods(client: Client, catalogue: None) -> None:
    english(client)
    for path in ("/open311/v2/", "/open311/v2/services.csv", "/open311/v2/discovery"):
        response = client.get(path)
        assert response.status_code == 404
        assert errors(response) == [
            {
                "code": 404,
                "description": "Not found. The endpoints of this API are listed at "
                "http://testserver/open311/v2/discovery.xml",
            }
        ]
    xml = client.get("/open311/v2/tidak/ada.xml")
    assert xml.status_code == 404
    assert xml_of(xml).findtext("error/code") == "404"

    response = client.put(url("requests"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, HEAD"
    assert errors(response) == [{"code": 405, "description": "This method is not allowed here."}]
    response = client.post(url("services"))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert json.loads(response.content)[0]["code"] == 405
