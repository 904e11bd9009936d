from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "facilities"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def facility_dir(tmp_path: Path) -> Path:
    target = tmp_path / "facilities"
    shutil.copytree(DATA_DIR, target)
    return target
