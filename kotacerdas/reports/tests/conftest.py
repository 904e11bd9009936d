"""Fixtures of the reports tests: the default catalogue (with the agencies it routes to),
officers of each kind, and a `file_report` helper that files through the service."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image

from kotacerdas.accounts.models import Role
from kotacerdas.accounts.tests.factories import AgencyFactory, CitizenFactory
from kotacerdas.reports import services
from kotacerdas.reports.services import NewReport

CATALOGUE = Path(settings.BASE_DIR) / "data" / "reports" / "catalogue.json"
# A point in Sampit (Kelurahan Sawahan, Kecamatan Mentawa Baru Ketapang).
SAMPIT = (-2.5336, 112.9500)
SAMPIT_DESA = "62.02.06.1007"
OUTSIDE_KOTIM = (-6.2000, 106.8166)  # Jakarta


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def catalogue(db: None) -> None:
    """The agencies the catalogue routes to, then the catalogue itself."""
    import csv

    with open(
        Path(settings.BASE_DIR) / "data" / "agencies" / "agencies.csv", encoding="utf-8"
    ) as f:
        for row in csv.DictReader(f):
            AgencyFactory(code=row["code"], short_name=row["short_name"], name=row["name"])
    services.catalogue_import(path=CATALOGUE)


def agency(code: str) -> Any:
    from kotacerdas.accounts.models import Agency

    return Agency.objects.get(code=code)


@pytest.fixture
def pupr_officer(catalogue: None, make_staff: Callable[..., Any]) -> Any:
    return make_staff(Role.PETUGAS_OPD, agency=agency("pupr"))


@pytest.fixture
def pupr_head(catalogue: None, make_staff: Callable[..., Any]) -> Any:
    return make_staff(Role.KEPALA_OPD, agency=agency("pupr"))


@pytest.fixture
def dishub_officer(catalogue: None, make_staff: Callable[..., Any]) -> Any:
    return make_staff(Role.PETUGAS_OPD, agency=agency("dishub"))


@pytest.fixture
def admin_user(catalogue: None, make_staff: Callable[..., Any]) -> Any:
    return make_staff(Role.ADMIN, agency=agency("diskominfo"))


def verified(user: Any) -> Any:
    """The user as a TOTP-verified session sees it (staff permissions apply)."""
    user.is_verified = lambda: True
    return user


def jpeg_bytes(width: int = 1200, height: int = 900, *, exif_gps: bool = False) -> bytes:
    img = Image.new("RGB", (width, height), (200, 120, 40))
    buf = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "DemoCam"  # Make
        gps = {1: "S", 2: (2.0, 32.0, 1.0), 3: "E", 4: (112.0, 57.0, 0.0)}
        exif[0x8825] = gps
        img.save(buf, "JPEG", exif=exif.tobytes())
    else:
        img.save(buf, "JPEG")
    return buf.getvalue()


def upload(data: bytes, name: str = "foto.jpg", content_type: str = "image/jpeg") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def file_report(catalogue: None) -> Callable[..., Any]:
    """file_report(actor=None, **NewReport fields, photos=[...]) -> Report (a new citizen files
    a complaint about a road in Sampit unless told otherwise)."""

    def make(*, actor: Any = None, photos: list[Any] | None = None, **fields: Any) -> Any:
        actor = actor or CitizenFactory()
        data = {
            "kind": "complaint",
            "category_code": "jalan-rusak",
            "description": "Jalan berlubang besar di depan pasar, membahayakan pengendara.",
            "lat": SAMPIT[0],
            "lng": SAMPIT[1],
            **fields,
        }
        return services.report_create(actor=actor, data=NewReport(**data), photos=photos)

    return make
