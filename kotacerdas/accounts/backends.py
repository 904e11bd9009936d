from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .identifiers import normalize_login
from .models import User
from .policy import ROLE_PERMISSIONS


def is_verified(user: Any) -> bool:
    """True when the session passed TOTP (django-otp sets is_verified) or the request was
    authenticated by an API token (which the token auth marks verified)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


class AccountBackend(ModelBackend):
    """Sign-in by username, e-mail or phone; permissions from active memberships."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        user = User.objects.filter(username=normalize_login(username)).first()
        if user is None:
            ident = normalize_login(username)
            user = (
                User.objects.filter(email__iexact=ident).first()
                if "@" in ident
                else User.objects.filter(phone=ident).first()
            )
        if user is None:
            User().set_password(password)  # same time as a real check (no user enumeration)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def _role_permissions(self, user_obj: Any) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        cache = getattr(user_obj, "_kc_role_perms", None)
        if cache is None:
            roles = {m.role for m in active_memberships(user_obj)}
            cache = set().union(*(ROLE_PERMISSIONS.get(r, frozenset()) for r in roles))
            user_obj._kc_role_perms = cache
        # Staff permissions need a TOTP-verified session (or an API token).
        return cache if is_verified(user_obj) else set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None:
            return set()
        return self._role_permissions(user_obj)

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)


def active_memberships(user: Any) -> list[Any]:
    """The user's active memberships, loaded once per request and kept on the user object."""
    cached = getattr(user, "_kc_memberships", None)
    if cached is None:
        cached = list(user.memberships.filter(is_active=True).select_related("agency", "region"))
        user._kc_memberships = cached
    return cached
