from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import metrics
from .context import RequestMeta, reset_request_meta, set_request_meta


def client_ip(request: HttpRequest) -> str | None:
    # Behind nginx the proxy sets X-Real-IP; REMOTE_ADDR otherwise. X-Forwarded-For is not
    # trusted (a client can forge it).
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_meta(RequestMeta(request_id=request_id, ip_address=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            reset_request_meta(token)
        response["X-Request-ID"] = request_id
        return response


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        metrics.observe_request(
            method=request.method or "",
            route=route,
            status=response.status_code,
            seconds=time.perf_counter() - start,
        )
        return response


class ApiErrorShapeMiddleware:
    """Gives /api/ responses that Django or ninja produce outside our handlers (405 from the
    router's method check, 404 from the URL resolver) the platform's error format."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from django.utils.translation import gettext as _

            from .errors import error_response

            if response.status_code == 405:
                shaped = error_response(
                    405, "method_not_allowed", _("This method is not allowed here.")
                )
                shaped["Allow"] = response.get("Allow", "")
            else:
                shaped = error_response(404, "not_found", _("Not found."))
            return shaped
        return response


class LanguageMiddleware:
    """Bahasa Indonesia unless the person chose otherwise: the language cookie (set by the
    switcher), then the signed-in user's saved language, then LANGUAGE_CODE. Unlike Django's
    LocaleMiddleware the browser's Accept-Language is not used: many phones in Indonesia run in
    English, and the platform speaks Indonesian first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        allowed = {code for code, _name in settings.LANGUAGES}
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in allowed:
            user = getattr(request, "user", None)
            saved = (
                getattr(user, "language", "") if user is not None and user.is_authenticated else ""
            )
            language = saved if saved in allowed else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
