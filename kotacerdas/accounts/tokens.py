"""Personal access tokens: random, shown once, stored as SHA-256 (a token has 256 bits of
entropy, so a fast hash is enough; no salt or KDF is needed)."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_]{20,120}$")


def token_generate() -> tuple[str, str, str]:
    """(token, prefix, hash)."""
    body = secrets.token_urlsafe(32).replace("-", "_")
    token = f"{settings.API_TOKEN_PREFIX}{body}"
    return token, token[:10], token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_well_formed(token: str) -> bool:
    return bool(_TOKEN_RE.match(token)) and token.startswith(settings.API_TOKEN_PREFIX)
