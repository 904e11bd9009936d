"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over the reports app.

Every endpoint answers in XML or JSON by the suffix of its path (`services.xml`,
`requests.json`), as the spec requires, and so do its errors: `[{"code", "description"}]` or
`<errors><error>…</error></errors>`, with the HTTP status the spec names (404 for what does not
exist, 403 for a missing or wrong api_key, 400 for everything else a client got wrong). Reads
show what the public sees (`selectors.public_reports`: never confidential, never rejected) and
never a reporter's identity or contact; a filing needs an API key issued in the back office and
goes through `services.report_create`, the same door as the portal's.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kotacerdas.core import sla
from kotacerdas.core.errors import NotFound, ServiceError

from . import ratelimits, selectors, services
from .models import (
    OPEN311_CLOSED,
    Kind,
    PhotoStage,
    Report,
    ReportEvent,
    ReportPhoto,
    Source,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's shape last changed; discovery reports the later of this and the last
# change to the catalogue (the spec's signal for clients to refresh cached service lists).
CHANGESET = "2026-11-23T00:00:00Z"
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_RESULTS = 1000  # the spec's ceiling for one GET requests
# What one GET requests returns unless the client asks for more with `page_size` (an extension
# many GeoReport servers offer, with `page`): a thousand full requests is 600 KB and a third
# of a second of server time on a phone's connection; a hundred is what a map or list shows.
DEFAULT_PAGE_SIZE = 100
REQUESTS_CACHE_SECONDS = 30

# XML element names of list items (the JSON↔XML "Spark convention" of the spec).
_XML_ITEM = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all (ElementTree escapes the rest).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_W3C = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?"
)
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
# Our field names as an Open311 client knows them.
_FIELD_NAMES = {"lng": "long", "category": "service_code", "photos": "media"}


# --- Documents, errors and rendering --------------------------------------------------------------
@dataclass(frozen=True)
class Document:
    """A response body: `root` is the XML root element; `data` a dict (its fields are the
    root's children) or, with `item`, a list of dicts (one `item` element each)."""

    root: str
    data: Any
    item: str = ""
    status: int = 200


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        self.status = status
        self.descriptions = descriptions
        super().__init__(status, *descriptions)

    def document(self) -> Document:
        errors = [{"code": self.status, "description": d} for d in self.descriptions]
        return Document("errors", errors, item="error", status=self.status)

    @classmethod
    def from_service_error(cls, exc: ServiceError) -> Open311Error:
        """A service's refusal in Open311's terms: 404 stays, 401/403 are the api_key's
        403, 429 stays (clients should back off), anything else is the spec's 400."""
        status = {401: 403, 403: 403, 404: 404, 429: 429}.get(exc.status, 400)
        descriptions = [
            message if name == "__all__" else f"{_FIELD_NAMES.get(name, name)}: {message}"
            for name, messages in exc.fields.items()
            for message in messages
        ]
        return cls(status, *(descriptions or [exc.message]))


def _xml_put(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if value is None:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_put(element, key, child)
    elif isinstance(value, list):
        for child in value:
            _xml_put(element, _XML_ITEM[tag], child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _XML_INVALID.sub("", str(value))


def render(doc: Document, fmt: str) -> HttpResponse:
    if fmt == "xml":
        root = ET.Element(doc.root)
        if doc.item:
            for entry in doc.data:
                _xml_put(root, doc.item, entry)
        else:
            for key, value in doc.data.items():
                _xml_put(root, key, value)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
    else:
        body = json.dumps(doc.data, ensure_ascii=False)
    return HttpResponse(body.encode(), status=doc.status, content_type=CONTENT_TYPES[fmt])


@contextmanager
def _language(request: HttpRequest) -> Iterator[str]:
    """The site's language (Indonesian unless the visitor chose otherwise), or `?locale=`."""
    wanted = request.GET.get("locale", "")[:2].lower()
    if wanted in {code for code, _name in settings.LANGUAGES}:
        with translation.override(wanted):
            yield wanted
    else:
        yield (translation.get_language() or settings.LANGUAGE_CODE)[:2]


def _check_jurisdiction(request: HttpRequest) -> None:
    """jurisdiction_id is optional (we serve one jurisdiction) but must be ours when given."""
    given = request.GET.get("jurisdiction_id", "")
    if request.method == "POST":
        given = request.POST.get("jurisdiction_id", "") or given
    given = given.strip()
    if given and given.lower() != settings.OPEN311_JURISDICTION_ID.lower():
        raise Open311Error(
            404,
            _("jurisdiction_id %(given)s was not found; this endpoint serves %(ours)s.")
            % {"given": given[:100], "ours": settings.OPEN311_JURISDICTION_ID},
        )


def endpoint(*methods: str) -> Callable[[Callable[..., Document]], Callable[..., HttpResponse]]:
    """An Open311 view: `fmt` from the path picks the format; errors in the spec's shape; the
    jurisdiction checked; CSRF-exempt (the api_key authenticates a POST, not a cookie)."""
    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def decorate(view: Callable[..., Document]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, fmt: str = "json", **kwargs: Any) -> HttpResponse:
            with _language(request) as language:
                try:
                    if request.method not in allowed:
                        raise Open311Error(405, _("This method is not allowed here."))
                    _check_jurisdiction(request)
                    doc = view(request, language=language, **kwargs)
                except Open311Error as exc:
                    doc = exc.document()
                except ServiceError as exc:
                    doc = Open311Error.from_service_error(exc).document()
                response = render(doc, fmt)
            if doc.status == 405:
                response["Allow"] = ", ".join(allowed)
            if request.method in ("GET", "HEAD"):
                response["Access-Control-Allow-Origin"] = "*"
            return response

        return wrapper

    return decorate


# --- Formatting helpers ------------------------------------------------------------------------------
def _w3c(moment: dt.datetime | None) -> str | None:
    """A datetime as the spec writes it: W3C/ISO 8601 with its offset, here WIB (+07:00)."""
    if moment is None:
        return None
    return moment.astimezone(sla.WIB).isoformat(timespec="seconds")


def parse_w3c(value: str, *, name: str, end_of_day: bool = False) -> dt.datetime | None:
    """A W3C datetime from a query string (None when empty). A bare date means that day in
    WIB (its last moment for an end bound); a time without an offset is WIB too. A `+` that a
    client forgot to encode arrives as a space and is read as `+`."""
    text = value.strip()
    if not text:
        return None
    text = re.sub(r"(T[\d:.,]+) (\d{2}:?\d{2})$", r"\1+\2", text.upper())
    found = _W3C.fullmatch(text)
    try:
        if found is None:
            raise ValueError(text)
        year, month, day, hour, minute, second, fraction, zone = found.groups()
        if hour is None:
            start = dt.datetime(int(year), int(month), int(day), tzinfo=sla.WIB)
            return start + dt.timedelta(days=1, microseconds=-1) if end_of_day else start
        tz: dt.tzinfo = sla.WIB
        if zone == "Z":
            tz = dt.UTC
        elif zone:
            digits = zone[1:].replace(":", "")
            if int(digits[2:]) > 59:
                raise ValueError(zone)
            offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            tz = dt.timezone(-offset if zone[0] == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:
        raise Open311Error(
            400,
            _(
                "%(name)s “%(value)s” is not a valid date and time; use the W3C format, "
                "e.g. 2026-11-01T00:00:00+07:00."
            )
            % {"name": name, "value": value[:40]},
        ) from None


def _csv(params: QueryDict, name: str) -> list[str]:
    """A parameter that may be comma-delimited and/or declared several times."""
    return [part.strip() for value in params.getlist(name) for part in value.split(",")][
        :MAX_RESULTS
    ]


# --- Discovery and services -------------------------------------------------------------------------
@endpoint("GET")
def discovery(request: HttpRequest, *, language: str) -> Document:
    latest = selectors.category_list(active_only=False).aggregate(latest=Max("updated_at"))
    changeset = CHANGESET
    if latest["latest"] is not None:
        catalogue = latest["latest"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        changeset = max(changeset, catalogue)
    home = request.build_absolute_uri(reverse("core:home"))
    return Document(
        "discovery",
        {
            "changeset": changeset,
            "contact": _("Kota Cerdas %(region)s, run by Diskominfo: %(url)s")
            % {"region": settings.KOTACERDAS_REGION_NAME, "url": home},
            "key_service": _(
                "API keys for apps that file reports are issued by the platform's "
                "administrators (Diskominfo); ask through %(url)s"
            )
            % {"url": home},
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": request.build_absolute_uri(reverse("open311:root")),
                    "changeset": changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@endpoint("GET")
def service_list(request: HttpRequest, *, language: str) -> Document:
    return Document(
        "services",
        [
            {
                "service_code": category.code,
                "service_name": category.display_name(language),
                "description": category.display_description(language),
                "metadata": bool(category.attributes),
                "type": "realtime",
                "keywords": ", ".join(category.keywords.split()),
                "group": category.group,
            }
            for category in selectors.category_list()
        ],
        item="service",
    )


def _attribute(spec: dict[str, Any], position: int, language: str) -> dict[str, Any]:
    description = spec.get("description", "")
    if language == "en":
        description = spec.get("description_en") or description
    return {
        "variable": True,
        "code": spec.get("code", ""),
        "datatype": spec.get("datatype", "string"),
        "required": bool(spec.get("required")),
        "datatype_description": spec.get("datatype_description") or None,
        "order": int(spec.get("order") or position),
        "description": description,
        "values": [
            {"key": str(value.get("key", "")), "name": str(value.get("name", ""))}
            for value in spec.get("values", [])
        ],
    }


@endpoint("GET")
def service_definition(request: HttpRequest, *, service_code: str, language: str) -> Document:
    try:
        category = selectors.category_get(code=service_code)
    except NotFound:
        raise Open311Error(404, _("service_code not found")) from None
    specs = list(category.attributes or [])
    attributes = [_attribute(spec, i, language) for i, spec in enumerate(specs, start=1)]
    attributes.sort(key=lambda a: a["order"])
    return Document("service_definition", {"service_code": category.code, "attributes": attributes})


# --- Service requests -------------------------------------------------------------------------------
def _public_requests() -> QuerySet[Report]:
    """Public reports with what the listing shows, in one query: the latest public timeline
    message and the first photo as subqueries, and only the columns the listing prints (a
    hundred rows of everything cost more in row decoding than the query itself)."""
    latest_note = (
        ReportEvent.objects.filter(report=OuterRef("pk"), is_public=True)
        .exclude(message="")
        .order_by("-created_at", "-pk")
        .values("message")[:1]
    )
    first_photo = (
        ReportPhoto.objects.filter(report=OuterRef("pk"), stage=PhotoStage.BEFORE)
        .order_by("pk")
        .values("pk")[:1]
    )
    return (
        selectors.public_reports()
        .only(*LISTED_FIELDS)
        .annotate(open311_notes=Subquery(latest_note), open311_photo=Subquery(first_photo))
    )


LISTED_FIELDS = (
    "ref",
    "status",
    "description",
    "created_at",
    "updated_at",
    "completion_due_at",
    "address",
    "desa_name",
    "kecamatan_name",
    "lat",
    "lng",
    "category__code",
    "category__name",
    "category__name_en",
    "agency__name",
)


def _media_url(request: HttpRequest, report: Report) -> str | None:
    photo_id = getattr(report, "open311_photo", None)
    if photo_id is None:
        return None
    try:
        path = reverse("reports:photo", kwargs={"ref": report.ref, "photo_id": photo_id})
    except NoReverseMatch:  # the portal's photo view is not installed
        return None
    return request.build_absolute_uri(path)


def _request_item(request: HttpRequest, report: Report, language: str) -> dict[str, Any]:
    # Deliberately nothing about who reported: no name, e-mail, phone, account or title.
    place = (report.address, report.desa_name, report.kecamatan_name)
    return {
        "service_request_id": report.ref,
        "status": "closed" if report.status in OPEN311_CLOSED else "open",
        "status_notes": getattr(report, "open311_notes", None) or None,
        "service_name": report.category.display_name(language),
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.agency.name,
        "service_notice": None,
        "requested_datetime": _w3c(report.created_at),
        "updated_datetime": _w3c(report.updated_at),
        "expected_datetime": _w3c(report.completion_due_at),
        "address": ", ".join(part for part in place if part),
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lng,
        "media_url": _media_url(request, report),
    }


def _filtered(qs: QuerySet[Report], params: QueryDict) -> QuerySet[Report]:
    codes = [code for code in _csv(params, "service_code") if code]
    if codes:
        qs = qs.filter(category__code__in=codes)
    statuses = {status.lower() for status in _csv(params, "status") if status}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status must be open or closed (comma-separated for both)."))
    if statuses == {"open"}:
        qs = qs.exclude(status__in=OPEN311_CLOSED)
    elif statuses == {"closed"}:
        qs = qs.filter(status__in=OPEN311_CLOSED)
    start = parse_w3c(params.get("start_date", ""), name="start_date")
    end = parse_w3c(params.get("end_date", ""), name="end_date", end_of_day=True)
    if start is None and end is None:
        start = timezone.now() - DEFAULT_WINDOW
    if start is not None and end is not None and end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    return qs


def _requests_get(request: HttpRequest, language: str) -> Document:
    ids = [ref.upper() for ref in _csv(request.GET, "service_request_id") if ref]
    qs = _public_requests()
    # The spec: a list of service_request_id overrides every other argument.
    qs = qs.filter(ref__in=ids) if ids else _filtered(qs, request.GET)
    size, page = _paging(request.GET)
    start = (page - 1) * size
    # Searches (not lookups of given ids) are the same for every client: kept half a minute,
    # like the portal's list. A client asking for the requests it filed gets them fresh.
    key = ""
    if not ids:
        query = sorted((k, v) for k, values in request.GET.lists() for v in values)
        digest = hashlib.sha256(repr((request.get_host(), language, query)).encode())
        key = "open311:requests:" + digest.hexdigest()[:32]
        cached = caches["aggregates"].get(key)
        if isinstance(cached, Document):
            return cached
    document = Document(
        "service_requests",
        [_request_item(request, report, language) for report in qs[start : start + size]],
        item="request",
    )
    if key:
        caches["aggregates"].set(key, document, REQUESTS_CACHE_SECONDS)
    return document


def _paging(data: QueryDict) -> tuple[int, int]:
    """(page_size, page) from the extension parameters; 400 when they are not numbers in range."""

    def number(name: str, default: int, high: int) -> int:
        raw = data.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= high:
            raise Open311Error(
                400,
                _("%(name)s must be a whole number from 1 to %(max)d.")
                % {"name": name, "max": high},
            )
        return int(raw)

    return number("page_size", DEFAULT_PAGE_SIZE, MAX_RESULTS), number("page", 1, 10_000)


def _attributes(data: QueryDict) -> dict[str, Any]:
    """attribute[code]=value, and attribute[code][]=v1&attribute[code][]=v2 for a list."""
    out: dict[str, Any] = {}
    for key in data:
        found = _ATTRIBUTE.fullmatch(key)
        if found is None:
            continue
        values = data.getlist(key)
        out[found.group(1)] = values if found.group(2) or len(values) > 1 else values[0]
    return out


def _requests_post(request: HttpRequest) -> Document:
    data = request.POST
    key = data.get("api_key", "") or request.GET.get("api_key", "")
    client = selectors.open311_client_by_key(key=key.strip())
    if client is None:
        raise Open311Error(403, _("api_key is missing or not valid."))
    services.open311_client_touch(client=client)
    ratelimits.check_filing(request, key_suffix=f":{client.pk}")

    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    lat, lng = data.get("lat", "").strip(), data.get("long", "").strip()
    if not lat or not lng:
        raise Open311Error(
            400,
            _(
                "lat and long are required: this service places a request by its coordinates "
                "only (address_string and address_id alone are not enough)."
            ),
        )
    email = data.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise Open311Error(400, "email: " + _("Enter a valid e-mail address.")) from None
    name = " ".join(
        part
        for part in (data.get("first_name", "").strip(), data.get("last_name", "").strip())
        if part
    )
    contact = {"name": name, "email": email, "phone": data.get("phone", "").strip()}
    media = request.FILES.get("media")
    # device_id, account_id and media_url are accepted and not kept: we never fetch a URL a
    # client gives, and a device or account id of another system identifies nobody here.
    try:
        report = services.report_create(
            actor=None,
            data=services.NewReport(
                kind=Kind.COMPLAINT,
                category_code=code,
                description=data.get("description", ""),
                lat=lat,
                lng=lng,
                address=data.get("address_string", ""),
                is_anonymous=not any(contact.values()),
                attributes=_attributes(data),
            ),
            photos=[media] if media is not None else None,
            source=Source.OPEN311,
            open311_client=client,
            contact=contact,
        )
    except ServiceError as exc:
        if exc.code == "reports.category.unknown":
            raise Open311Error(400, _("service_code not found")) from None
        raise
    notice = " ".join(
        (
            _("Report %(ref)s received") % {"ref": report.ref} + ".",
            _("We will verify it within %(n)d working days.")
            % {"n": report.category.sla_verify_days},
        )
    )
    return Document(
        "service_requests",
        [
            {
                "service_request_id": report.ref,
                "token": str(report.token),
                "service_notice": notice,
                "account_id": None,
            }
        ],
        item="request",
        status=201,
    )


@endpoint("GET", "POST")
def service_requests(request: HttpRequest, *, language: str) -> Document:
    if request.method == "POST":
        return _requests_post(request)
    return _requests_get(request, language)


@endpoint("GET")
def service_request(request: HttpRequest, *, service_request_id: str, language: str) -> Document:
    report = _public_requests().filter(ref=service_request_id.upper()).first()
    if report is None:
        raise Open311Error(404, _("service_request_id not found"))
    return Document("service_requests", [_request_item(request, report, language)], item="request")


@endpoint("GET")
def token(request: HttpRequest, *, token: str, language: str) -> Document:
    try:
        value = uuid.UUID(token)
    except ValueError:
        value = None
    ref = (
        Report.objects.filter(token=value, source=Source.OPEN311)
        .values_list("ref", flat=True)
        .first()
        if value is not None
        else None
    )
    if ref is None:
        raise Open311Error(404, _("token not found"))
    return Document(
        "service_requests", [{"service_request_id": ref, "token": str(value)}], item="request"
    )


@csrf_exempt
def fallback(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Anything else under /open311/v2/: a 404 in the spec's format (XML when asked so)."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    with _language(request):
        discovery_url = request.build_absolute_uri(
            reverse("open311:discovery", kwargs={"fmt": "xml"})
        )
        doc = Open311Error(
            404,
            _("Not found. The endpoints of this API are listed at %(url)s")
            % {"url": discovery_url},
        ).document()
        response = render(doc, fmt)
    if request.method in ("GET", "HEAD"):
        response["Access-Control-Allow-Origin"] = "*"
    return response
