"""Encryption at rest and keyed hashing for personal identifiers (NIK, KK).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, through MultiFernet so keys can be
rotated: the first key of FIELD_ENCRYPTION_KEYS encrypts, all of them decrypt
(`manage.py rotate_pii_keys` re-encrypts with the newest). Exact lookup (duplicate NIK) uses
HMAC-SHA256 under PII_HASH_KEY, so the database alone does not reveal a NIK by brute force over
the 16-digit space.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return _current().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _current().rotate(token.encode()).decode()


def keyed_hash(value: str, *, purpose: str) -> str:
    key = settings.PII_HASH_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
