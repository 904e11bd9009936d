"""API authentication: the session cookie (pages' own scripts, CSRF-checked) or a bearer
personal access token (integrations)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken
from .tokens import token_hash, token_well_formed


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token_well_formed(token):
            return None
        row = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        now = timezone.now()
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return None
        # Touch at most once a minute: a busy integration must not write on every call.
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        user = row.user
        # A token was issued from a TOTP-verified session: requests carrying it count as
        # verified for staff permissions.
        user.is_verified = lambda: True  # type: ignore[attr-defined]
        request.user = user
        return user


API_AUTH = [TokenAuth(), SessionAuth()]
