"""The one error vocabulary of the platform.

Services raise `ServiceError` subclasses carrying a stable dotted code and a translatable
message; the API renders them as {"error": {"code", "message", "fields"}}, pages as form or
page errors. "Not allowed" and "does not exist" are the same `NotFound` so that an actor can't
learn what exists outside their scope.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class ServiceError(Exception):
    status = 400
    code = "invalid"
    default_message: Any = gettext_lazy("The request could not be processed.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.message = str(message if message is not None else self.default_message)
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class ValidationFailed(ServiceError):
    status = 422
    code = "validation"
    default_message = gettext_lazy("Some fields are not valid.")


class NotFound(ServiceError):
    status = 404
    code = "not_found"
    default_message = gettext_lazy("Not found.")


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"
    default_message = gettext_lazy("You are not allowed to do this.")


class AuthenticationRequired(ServiceError):
    status = 401
    code = "auth.required"
    default_message = gettext_lazy("Please sign in first.")


class Conflict(ServiceError):
    status = 409
    code = "conflict"
    default_message = gettext_lazy("This was changed by someone else; reload and try again.")


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"
    default_message = gettext_lazy("Too many attempts. Please wait a moment and try again.")


def error_response(
    status: int, code: str, message: str, fields: dict | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return JsonResponse({"error": body}, status=status)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


# --- Page handlers (handler400/403/404/500 in urls.py) ---------------------------------------
def _page(request: HttpRequest, status: int, code: str, title: str, message: str) -> HttpResponse:
    if _wants_json(request):
        return error_response(status, code, message)
    return render(
        request,
        "core/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request, 400, "bad_request", _("Bad request"), _("The request was not understood.")
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request, 403, "forbidden", _("Access denied"), _("You are not allowed to open this page.")
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request,
        404,
        "not_found",
        _("Page not found"),
        _("The page you are looking for does not exist or has moved."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context processors: the failure may be in them.
    if _wants_json(request):
        return error_response(500, "server_error", _("Something went wrong on our side."))
    from django.template import loader

    html = loader.get_template("core/500.html").render({})
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(
        request,
        403,
        "csrf",
        _("Form expired"),
        _("The form had expired. Go back, reload the page and try again."),
    )


def ratelimited_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(
        request, 429, RateLimited.code, _("Too many attempts"), str(RateLimited.default_message)
    )
