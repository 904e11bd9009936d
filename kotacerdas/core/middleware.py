"""The platform's middleware.

Under ASGI, Django runs an async-capable middleware in async mode whenever the handler below it
is async; for Django's own MiddlewareMixin classes that means two thread hops per middleware per
request (measured: 32 hops and ~3 ms for /healthz). `SyncBoundaryMiddleware`, innermost, makes
the whole chain run synchronously in one worker thread: three hops per request in all. Our own
middleware works in both modes, so the chain can become fully async when Django's does."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from whitenoise.middleware import WhiteNoiseMiddleware as _WhiteNoiseMiddleware

from . import metrics
from .context import RequestMeta, reset_request_meta, set_request_meta

GetResponse = Callable[[HttpRequest], Any]


class DualModeMiddleware:
    """Base: subclasses implement `before(request)` (may return a response to short-circuit)
    and `after(request, response)`; both are cheap and never block on I/O."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def before(self, request: HttpRequest) -> Any:
        return None

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        return response

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        state = self.before(request)
        try:
            response = self.get_response(request)
        finally:
            self.finish(state)
        return self.after(request, response, state)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        state = self.before(request)
        try:
            response = await self.get_response(request)
        finally:
            self.finish(state)
        return self.after(request, response, state)

    def finish(self, state: Any) -> None:
        return None


def client_ip(request: HttpRequest) -> str | None:
    # Behind nginx the proxy sets X-Real-IP; REMOTE_ADDR otherwise. X-Forwarded-For is not
    # trusted (a client can forge it).
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware(DualModeMiddleware):
    """A request id (from X-Request-ID or new) and the client IP, for audit events and logs."""

    def before(self, request: HttpRequest) -> Any:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        return set_request_meta(RequestMeta(request_id=request_id, ip_address=client_ip(request)))

    def finish(self, state: Any) -> None:
        reset_request_meta(state)

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class MetricsMiddleware(DualModeMiddleware):
    def before(self, request: HttpRequest) -> Any:
        return time.perf_counter()

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        metrics.observe_request(
            method=request.method or "",
            route=route,
            status=response.status_code,
            seconds=time.perf_counter() - state,
        )
        return response


class ApiErrorShapeMiddleware(DualModeMiddleware):
    """Gives /api/ responses that Django or ninja produce outside our handlers (405 from the
    router's method check, 404 from the URL resolver) the platform's error format."""

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from .errors import error_response

            if response.status_code == 405:
                shaped = error_response(
                    405,
                    "method_not_allowed",
                    translation.gettext("This method is not allowed here."),
                )
                shaped["Allow"] = response.get("Allow", "")
            else:
                shaped = error_response(404, "not_found", translation.gettext("Not found."))
            return shaped
        return response


class LanguageMiddleware(DualModeMiddleware):
    """Bahasa Indonesia unless the person chose otherwise: the language cookie (set by the
    switcher), then the signed-in user's saved language, then LANGUAGE_CODE. Unlike Django's
    LocaleMiddleware the browser's Accept-Language is not used: many phones in Indonesia run in
    English, and the platform speaks Indonesian first."""

    @staticmethod
    def _allowed() -> set[str]:
        return {code for code, _name in settings.LANGUAGES}

    @staticmethod
    def _needs_user(request: HttpRequest, cookie_language: str, allowed: set[str]) -> bool:
        # The saved preference matters only without a cookie choice, and only a visitor with a
        # session can be signed in (no query for anonymous visitors).
        return cookie_language not in allowed and settings.SESSION_COOKIE_NAME in request.COOKIES

    @staticmethod
    def _choose(cookie_language: str, user: Any, allowed: set[str]) -> str:
        if cookie_language in allowed:
            return cookie_language
        saved = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        return saved if saved in allowed else settings.LANGUAGE_CODE

    def _activate(self, request: HttpRequest, language: str) -> str:
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return language

    def before(self, request: HttpRequest) -> Any:
        allowed = self._allowed()
        cookie_language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        user = (
            getattr(request, "user", None)
            if self._needs_user(request, cookie_language, allowed)
            else None
        )
        return self._activate(request, self._choose(cookie_language, user, allowed))

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        allowed = self._allowed()
        cookie_language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        user = (
            await request.auser() if self._needs_user(request, cookie_language, allowed) else None
        )
        state = self._activate(request, self._choose(cookie_language, user, allowed))
        response = await self.get_response(request)
        return self.after(request, response, state)

    def after(self, request: HttpRequest, response: HttpResponse, state: Any) -> HttpResponse:
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", state)
        return response


class WhiteNoiseMiddleware(_WhiteNoiseMiddleware):
    """WhiteNoise, usable in an async chain: the lookup is a dict access; only serving a file
    goes to a thread."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        super().__init__(get_response)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request: HttpRequest) -> Awaitable[HttpResponse] | HttpResponse:
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve)(static_file, request)
        return await self.get_response(request)


class SyncBoundaryMiddleware:
    """Innermost, sync-only: keeps the chain above it in sync mode under ASGI (see the module
    docstring). It does nothing else."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
