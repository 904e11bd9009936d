from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from kotacerdas.core.errors import NotFound, PermissionDenied, permission_denied

from .backends import is_verified
from .policy import BACKOFFICE


def staff_view(
    perm: str = BACKOFFICE,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A back-office page: signed in, TOTP-verified, holding `perm`. Otherwise the sign-in page
    (with ?next=) or the 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not is_verified(user):
                return redirect(
                    f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
                )
            if not user.has_perm(perm):
                return permission_denied(request)
            # Services and selectors speak the platform's errors; a page answers them as the
            # 404 page (out of scope looks exactly like missing) or the 403 page, not a 500.
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                return permission_denied(request)

        return wrapped

    return decorator
