"""Open311 GeoReport v2, mounted at /open311/v2/. Every resource takes its format as a suffix
(`.json` or `.xml`), as the spec requires; anything else under the prefix is a 404 (or 405)
in the spec's error format."""

from django.urls import path, re_path

from . import open311

app_name = "open311"
_FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    path("", open311.fallback, name="root"),
    re_path(r"^discovery" + _FORMAT, open311.discovery, name="discovery"),
    re_path(r"^services" + _FORMAT, open311.service_list, name="services"),
    re_path(
        r"^services/(?P<service_code>[-\w]+)" + _FORMAT,
        open311.service_definition,
        name="service",
    ),
    re_path(r"^requests" + _FORMAT, open311.service_requests, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[-\w]+)" + _FORMAT,
        open311.service_request,
        name="request",
    ),
    re_path(r"^tokens/(?P<token>[-\w]+)" + _FORMAT, open311.token, name="token"),
    re_path(r"^.*$", open311.fallback, name="fallback"),
]
