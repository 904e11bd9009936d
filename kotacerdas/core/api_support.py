"""What every router shares: the error format, pagination with a hard maximum, auth classes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination

from .errors import PermissionDenied, ServiceError, error_response


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    error: ErrorBody


def _loc_to_field(loc: list[Any]) -> str:
    # ninja locations look like ["query", "lat"] or ["body", "payload", "nik"].
    parts = [str(p) for p in loc if p not in ("query", "body", "path", "payload", "form")]
    return ".".join(parts) or "__all__"


def _validation_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "float_parsing", "int_type", "float_type"):
        return _("Enter a number.")
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(limit)s.") % {"limit": ctx.get("le", ctx.get("lt"))}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(limit)s.") % {"limit": ctx.get("ge", ctx.get("gt"))}
    if kind == "string_too_long":
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return _("Enter a valid date (YYYY-MM-DD).")
    if kind == "enum" or kind == "literal_error":
        return _("Choose one of the allowed values.")
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    return _("This value is not valid.")


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ServiceError)
    def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            fields.setdefault(_loc_to_field(list(err.get("loc", []))), []).append(
                _validation_message(err)
            )
        return error_response(422, "validation", _("Some fields are not valid."), fields)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "auth.required", _("Please sign in or send a valid token."))

    @api.exception_handler(AuthorizationError)
    def authz_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(403, "forbidden", _("You are not allowed to do this."))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", _("Not found."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {
            400: "bad_request",
            401: "auth.required",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            429: "rate_limited",
        }
        return error_response(exc.status_code, codes.get(exc.status_code, "error"), str(exc))


class Pagination(LimitOffsetPagination):
    """limit/offset with the platform's hard maximum (NINJA_PAGINATION_MAX_LIMIT)."""

    class Input(Schema):
        limit: int = settings.NINJA_PAGINATION_PER_PAGE
        offset: int = 0

    def paginate_queryset(  # type: ignore[override]
        self, queryset: Any, pagination: Any, **params: Any
    ) -> Any:
        from .errors import ValidationFailed

        limit, offset = pagination.limit, pagination.offset
        if limit < 1 or limit > settings.NINJA_PAGINATION_MAX_LIMIT:
            raise ValidationFailed(
                fields={
                    "limit": [
                        _("Must be between 1 and %(max)s.")
                        % {"max": settings.NINJA_PAGINATION_MAX_LIMIT}
                    ]
                }
            )
        if offset < 0:
            raise ValidationFailed(fields={"offset": [_("Must be at least 0.")]})
        return {
            "items": queryset[offset : offset + limit],
            "count": self._items_count(queryset),
        }


# The error answers an endpoint may document (`response={200: Out, **ERROR_RESPONSES}`).
ERROR_RESPONSES: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)


def api_actor(request: HttpRequest) -> Any:
    """The caller: a bearer token's user (verified like a TOTP session) or the session's user;
    AnonymousUser on public endpoints."""
    auth = getattr(request, "auth", None)
    return auth if auth is not None else request.user


def api_actor_holding(request: HttpRequest, *perms: str) -> Any:
    """The caller, if they hold one of `perms`: otherwise 403 (scoping inside is a 404)."""
    actor = api_actor(request)
    if not any(actor.has_perm(p) for p in perms):
        raise PermissionDenied()
    return actor
