"""Normalising how people type their sign-in names and phone numbers."""

from __future__ import annotations

import re

_PHONE_CHARS = re.compile(r"[\s\-().]")


def normalize_phone(value: str) -> str:
    """Indonesian mobile numbers in one form: 08xx…, +628xx… and 628xx… become 628xx…"""
    digits = _PHONE_CHARS.sub("", value.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


def looks_like_phone(value: str) -> bool:
    return bool(re.fullmatch(r"\+?[\d\s\-().]{8,20}", value.strip()))


def normalize_login(value: str) -> str:
    value = value.strip()
    if "@" in value:
        return value.lower()
    if looks_like_phone(value):
        return normalize_phone(value)
    return value
