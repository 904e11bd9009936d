"""The demo: agencies, one account per role, and generated citizens for the indicators.

Everything here is generated with a fixed seed and marked `is_demo`; no real person is in it.
Passwords and TOTP secrets are random, printed once, and written to var/demo-accounts.txt
(mode 600) so a newcomer who missed the output can still sign in.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from kotacerdas.regions.selectors import region_villages

from . import services
from .models import Membership, Role, User
from .nik import compose_nik

AGENCIES_CSV = Path(__file__).resolve().parents[2] / "data" / "agencies" / "agencies.csv"

# (username, full name, role, agency code, region code)
DEMO_STAFF = [
    ("admin", "Admin Diskominfo (demo)", Role.ADMIN, "diskominfo", ""),
    ("dewan", "Anggota Dewan Smart City (demo)", Role.DEWAN, "", ""),
    ("kepala.pupr", "Kepala Dinas PUPR (demo)", Role.KEPALA_OPD, "pupr", ""),
    ("petugas.pupr", "Petugas Dinas PUPR (demo)", Role.PETUGAS_OPD, "pupr", ""),
    ("dispatcher", "Dispatcher PSC 119 (demo)", Role.DISPATCHER, "dinkes", ""),
    ("kepala.dinkes", "Kepala Dinas Kesehatan (demo)", Role.KEPALA_OPD, "dinkes", ""),
    ("kepala.damkar", "Kepala Dinas Damkar (demo)", Role.KEPALA_OPD, "damkar", ""),
    ("awak.murjani", "Awak Ambulans RSUD dr. Murjani (demo)", Role.PETUGAS_OPD, "rsud-murjani", ""),
    ("awak.damkar", "Awak Mobil Damkar Sampit (demo)", Role.PETUGAS_OPD, "damkar", ""),
    ("kepala.bpbd", "Kepala Pelaksana BPBD (demo)", Role.KEPALA_OPD, "bpbd", ""),
    ("petugas.bpbd", "Petugas TRC BPBD (demo)", Role.PETUGAS_OPD, "bpbd", ""),
    (
        "operator.ujungpandaran",
        "Operator Desa Ujung Pandaran (demo)",
        Role.OPERATOR_DESA,
        "",
        "62.02.11.2004",
    ),
    (
        "operator.mbk",
        "Operator Kecamatan MB Ketapang (demo)",
        Role.OPERATOR_KECAMATAN,
        "",
        "62.02.06",
    ),
    ("operator.bapeang", "Operator Desa Bapeang (demo)", Role.OPERATOR_DESA, "", "62.02.06.2006"),
    ("kades.bapeang", "Kepala Desa Bapeang (demo)", Role.KEPALA_DESA, "", "62.02.06.2006"),
]
DEMO_CITIZEN_PHONE = "081200000001"
DEMO_CITIZEN_DESA = "62.02.06.2006"
GENERATED_CITIZENS = 300

_GIVEN = [
    "Ahmad",
    "Budi",
    "Siti",
    "Nur",
    "Dewi",
    "Rizky",
    "Agus",
    "Sri",
    "Yanti",
    "Hendra",
    "Rina",
    "Fajar",
    "Wahyu",
    "Lestari",
    "Eka",
    "Putri",
    "Dian",
    "Andi",
    "Ratna",
    "Joko",
    "Indah",
    "Bayu",
    "Fitri",
    "Rahmat",
    "Ayu",
    "Hadi",
    "Nanda",
    "Yusuf",
    "Maya",
    "Teguh",
]
_FAMILY = [
    "Saputra",
    "Wijaya",
    "Hidayat",
    "Lestari",
    "Pratama",
    "Santoso",
    "Kurniawan",
    "Rahman",
    "Utami",
    "Setiawan",
    "Nugroho",
    "Permata",
    "Syahputra",
    "Anggraini",
    "Firmansyah",
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str
    totp_secret: str = ""


def _password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def demo_exists() -> bool:
    return User.objects.filter(is_demo=True, username="admin").exists()


@transaction.atomic
def seed(*, citizens: int = GENERATED_CITIZENS, seed_value: int = 20261123) -> list[DemoAccount]:
    services.agency_import(actor=None, path=AGENCIES_CSV, demo=True)
    accounts: list[DemoAccount] = []
    for username, full_name, role, agency_code, region_code in DEMO_STAFF:
        password = _password()
        user = User(
            username=username,
            full_name=full_name,
            is_demo=True,
            email=f"{username}@demo.kotacerdas.invalid",
        )
        user.set_password(password)
        user.save()
        services.membership_create(
            actor=None, user_id=user.pk, role=role, agency_code=agency_code, region_code=region_code
        )
        device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        accounts.append(DemoAccount(username, role.value, password, secret))

    # One citizen who can sign in (with the phone number), and generated citizens for figures.
    password = _password()
    warga = User(
        username="warga.demo",
        full_name="Warga Demo",
        phone="62" + DEMO_CITIZEN_PHONE[1:],
        email="warga@demo.kotacerdas.invalid",
        is_demo=True,
    )
    warga.set_password(password)
    warga.save()
    _attach(warga, DEMO_CITIZEN_DESA, dt.date(1990, 5, 17), "P", 1)
    accounts.append(DemoAccount(DEMO_CITIZEN_PHONE, Role.WARGA.value, password))

    rng = random.Random(seed_value)
    villages = list(region_villages())
    # Weighted toward Sampit (kecamatan 62.02.06 and 62.02.07), where most people live.
    weights = [6 if v["code"].startswith(("62.02.06.", "62.02.07.")) else 1 for v in villages]
    for i in range(citizens):
        desa = rng.choices(villages, weights=weights)[0]
        sex = rng.choice("LP")
        birth = dt.date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28))
        user = User(
            username=f"warga.gen{i:04d}",
            full_name=f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
            is_demo=True,
        )
        user.set_unusable_password()
        user.save()
        _attach(user, desa["code"], birth, sex, i + 2)
    return accounts


def _attach(user: User, desa_code: str, birth: dt.date, sex: str, serial: int) -> None:
    from kotacerdas.regions.selectors import region_get

    desa = region_get(code=desa_code)
    nik = compose_nik(kecamatan_code=desa_code, birth_date=birth, sex=sex, serial=serial)
    services.citizen_profile_attach(user=user, nik=nik, birth_date=birth, sex=sex, desa=desa)
    Membership.objects.create(user=user, role=Role.WARGA, region=desa, region_code=desa_code)


def write_accounts_file(path: Path, accounts: list[DemoAccount], issuer: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Kota Cerdas demo accounts (generated; not real people). Keep this file private.",
        "# Staff sign in with password, then the TOTP code: add the secret to an authenticator app,",
        "# or print the current code with:  .venv/bin/python manage.py demo_totp USERNAME",
        "",
    ]
    for a in accounts:
        line = f"{a.role:<20} {a.username:<18} password: {a.password}"
        if a.totp_secret:
            line += f"  totp-secret: {a.totp_secret}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
