"""Reference numbers people read out over the phone: year and month (WIB), a dash, and six
characters of an alphabet without 0/O and 1/I, e.g. `2611-K7QX3M`."""

from __future__ import annotations

import datetime as dt
import random
import secrets

from .sla import WIB

REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REF_PATTERN = r"[0-9]{4}-[2-9A-HJ-NP-Z]{6}"


def new_ref(now: dt.datetime, *, rng: random.Random | None = None) -> str:
    """A new reference for something created at `now` (`rng` only for seeded demo data)."""
    choice = rng.choice if rng is not None else secrets.choice
    body = "".join(choice(REF_ALPHABET) for _ in range(6))
    return f"{now.astimezone(WIB):%y%m}-{body}"
