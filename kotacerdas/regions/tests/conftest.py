from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from kotacerdas.regions import lookup

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "regions"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    # Assertions are on the English msgids; the Indonesian catalogue is tested where it is made.
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_lookup_check() -> Iterator[None]:
    # A test may import other data inside its (rolled back) transaction: make the next
    # lookup compare its index with the database again.
    lookup.invalidate()
    yield
    lookup.invalidate()


@pytest.fixture
def region_dir(tmp_path: Path) -> Path:
    """A writable copy of data/regions."""
    target = tmp_path / "regions"
    shutil.copytree(DATA_DIR, target)
    return target
