"""Fixtures of the accounts tests: principals by role, English messages, counts of what a
refused request must not change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from typing import Any

import pytest
from django.test import Client

from kotacerdas.accounts.models import Agency, ApiToken, CitizenProfile, Membership, User
from kotacerdas.accounts.tests.factories import ALL_ROLES, CitizenFactory, make_nik
from kotacerdas.core.models import AuditEvent, Notification

BAPEANG = "62.02.06.2006"  # desa in Mentawa Baru Ketapang
MBH = "62.02.06.1001"  # kelurahan Mentawa Baru Hulu, same kecamatan
MBK = "62.02.06"  # kecamatan Mentawa Baru Ketapang
KOTA_BESI = "62.02.01"  # another kecamatan
KOTA_BESI_DESA = "62.02.01.2003"  # Palangan, in Kota Besi
PASSWORD = "Kebun-Sawit-Sampit-2024"

# Every principal of the role matrices: the roles, nobody, and an administrator who has not
# passed TOTP (who must hold nothing).
PRINCIPALS = [*ALL_ROLES, "anonymous", "unverified"]


@pytest.fixture(autouse=True)
def _english(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Generator[None, None, None]:
    """Exact assertions are on the English msgids; the Indonesian catalogue comes later.

    Pages pick the language from the language cookie, then the signed-in user's saved language
    (Indonesian by default), so every test client carries the cookie a person sets with the
    language switch; code outside a request runs under override("en")."""
    from django.utils import translation

    original_init = Client.__init__

    def english_client(self: Client, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    monkeypatch.setattr(Client, "__init__", english_client)
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _otp_throttle_off(settings: Any) -> None:
    # django-otp's throttle (1 s, 2 s, 4 s… after a wrong code) would make tests that enter
    # several codes depend on the clock; test_login.py checks the throttle explicitly.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def counts() -> dict[str, int]:
    """Rows a refused write must leave untouched."""
    return {
        "users": User.objects.count(),
        "profiles": CitizenProfile.objects.count(),
        "memberships": Membership.objects.count(),
        "active_memberships": Membership.objects.filter(is_active=True).count(),
        "active_users": User.objects.filter(is_active=True).count(),
        "agencies": Agency.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "tokens": ApiToken.objects.count(),
    }


@pytest.fixture
def principal(
    make_staff: Callable[..., Any], agency: Any, staff_client: Callable[[Any], Client]
) -> Callable[[str], tuple[Any, Client]]:
    """principal(role) -> (user or None, client). Region roles sit in Bapeang / Mentawa Baru
    Ketapang, agency roles in Dinas PUPR; "unverified" is an administrator without TOTP."""

    def make(role: str) -> tuple[Any, Client]:
        if role == "anonymous":
            return None, Client()
        if role == "unverified":
            user = make_staff("admin", username="admin.unverified")
            client = Client()
            client.force_login(user)
            return user, client
        kwargs: dict[str, Any] = {"username": f"{role.replace('_', '.')}.test"}
        if role in ("operator_desa", "kepala_desa", "warga"):
            kwargs["region_code"] = BAPEANG
        elif role == "operator_kecamatan":
            kwargs["region_code"] = MBK
        elif role in ("petugas_opd", "kepala_opd"):
            kwargs["agency"] = agency
        user = make_staff(role, **kwargs)
        return user, staff_client(user)

    return make


@pytest.fixture
def citizens_by_region(db: None) -> dict[str, list[User]]:
    """Two citizens in Bapeang, one in Mentawa Baru Hulu (same kecamatan), one in Kota Besi."""
    return {
        BAPEANG: [
            CitizenFactory(full_name="Ani Bapeang", identity__desa_code=BAPEANG),
            CitizenFactory(full_name="Budi Bapeang", identity__desa_code=BAPEANG),
        ],
        MBH: [CitizenFactory(full_name="Citra Mentawa", identity__desa_code=MBH)],
        KOTA_BESI_DESA: [
            CitizenFactory(full_name="Dodi Kotabesi", identity__desa_code=KOTA_BESI_DESA)
        ],
    }


def signup_data(**overrides: Any) -> dict[str, Any]:
    """Valid signup input (service keyword arguments) for a woman born 1 Jan 1990 in Bapeang."""
    data: dict[str, Any] = {
        "nik": make_nik(desa_code=BAPEANG, birth_date=dt.date(1990, 1, 1), sex="P", serial=1),
        "full_name": "Siti Rahmawati",
        "birth_date": dt.date(1990, 1, 1),
        "sex": "P",
        "desa_code": BAPEANG,
        "phone": "081234567890",
        "email": "siti@example.test",
        "password": PASSWORD,
    }
    data.update(overrides)
    return data
