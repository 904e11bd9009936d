"""The shape of Kemendagri region codes: `62` (provinsi), `62.02` (kabupaten; `62.71` and up
are kota), `62.02.06` (kecamatan), `62.02.06.1001` (village: a leading 1 is a kelurahan, 2 a
desa)."""

from __future__ import annotations

import re

from .models import Level

CODE_RE = re.compile(r"^\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?$")


def is_region_code(code: str) -> bool:
    return bool(CODE_RE.match(code))


def parent_code_of(code: str) -> str:
    """The code with its last segment cut off ("" for a province)."""
    return code.rpartition(".")[0]


def level_for_code(code: str) -> str | None:
    """The level a well-formed code implies, or None when the code says nothing valid."""
    if not is_region_code(code):
        return None
    parts = code.split(".")
    if len(parts) == 1:
        return Level.PROVINSI
    if len(parts) == 2:
        return Level.KOTA if int(parts[1]) >= 71 else Level.KABUPATEN
    if len(parts) == 3:
        return Level.KECAMATAN
    return {"1": Level.KELURAHAN, "2": Level.DESA}.get(parts[3][0])
