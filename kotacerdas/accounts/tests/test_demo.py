"""The demo seed and demo_totp, the indicators accounts registers, and re-encryption with a new
key (rotate_pii_keys)."""

from __future__ import annotations

import base64
import io
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from kotacerdas.accounts import crypto
from kotacerdas.accounts.demo import DEMO_STAFF
from kotacerdas.accounts.models import Agency, CitizenProfile, Membership, Role, User
from kotacerdas.accounts.tests.factories import CitizenFactory, StaffFactory
from kotacerdas.core import indicators
from kotacerdas.core.models import AuditEvent

from .conftest import BAPEANG, KOTA_BESI_DESA, MBH

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_seed_demo_creates_one_account_per_role_and_a_private_accounts_file(var_dir: Path):
    output = run("seed_demo", "--force", "--citizens", "20")

    accounts_file = var_dir / "demo-accounts.txt"
    assert stat.S_IMODE(accounts_file.stat().st_mode) == 0o600
    text = accounts_file.read_text()
    assert text in output  # printed once, the same as the file
    staff_roles = {Role(role).value for _u, _n, role, _a, _r in DEMO_STAFF}
    assert staff_roles | {"warga"} == {r.value for r in Role}
    for username, _name, role, _agency, _region in DEMO_STAFF:
        user = User.objects.get(username=username)
        assert user.is_demo
        assert list(user.memberships.values_list("role", flat=True)) == [role.value]
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        line = next(line for line in text.splitlines() if f" {username} " in line)
        secret = re.search(r"totp-secret: (\S+)", line).group(1)
        password = re.search(r"password: (\S+)", line).group(1)
        assert user.check_password(password)
        padded = secret + "=" * (-len(secret) % 8)
        assert base64.b32decode(padded) == device.bin_key
    warga = User.objects.get(username="warga.demo")
    assert warga.phone == "6281200000001"
    assert warga.citizen.desa_code == BAPEANG
    assert CitizenProfile.objects.filter(user__is_demo=True).count() == 21
    assert Membership.objects.filter(role="warga").count() == 21
    assert Agency.objects.filter(is_demo=True).exists()

    before = (
        User.objects.count(),
        CitizenProfile.objects.count(),
        TOTPDevice.objects.count(),
        Membership.objects.count(),
        Agency.objects.count(),
    )
    second = run("seed_demo", "--force", "--citizens", "20")
    assert "Demo accounts already exist" in second
    assert before == (
        User.objects.count(),
        CitizenProfile.objects.count(),
        TOTPDevice.objects.count(),
        Membership.objects.count(),
        Agency.objects.count(),
    )
    assert accounts_file.read_text() == text


def test_seed_demo_does_nothing_without_demo_mode(var_dir: Path, settings: Any):
    settings.KOTACERDAS_DEMO = False
    assert "nothing seeded" in run("seed_demo")
    assert not User.objects.filter(is_demo=True).exists()
    assert not (var_dir / "demo-accounts.txt").exists()


def test_demo_totp_prints_a_code_that_verifies(var_dir: Path):
    run("seed_demo", "--force", "--citizens", "0")
    code = run("demo_totp", "admin").strip()
    assert re.fullmatch(r"\d{6}", code)
    device = TOTPDevice.objects.get(user__username="admin")
    assert device.verify_token(code)


def test_demo_totp_refuses_non_demo_users(make_staff: Any):
    StaffFactory(role="admin", username="admin.asli")
    with pytest.raises(CommandError, match=r"No demo staff account with that username\."):
        run("demo_totp", "admin.asli")
    with pytest.raises(CommandError):
        run("demo_totp", "tidak.ada")


def test_demo_citizen_can_sign_in_with_the_printed_phone(var_dir: Path, client: Any):
    run("seed_demo", "--force", "--citizens", "0")
    line = next(
        line
        for line in (var_dir / "demo-accounts.txt").read_text().splitlines()
        if line.startswith("warga")
    )
    phone, password = re.search(r"warga\s+(\S+)\s+password: (\S+)", line).groups()
    response = client.post("/akun/masuk/", data={"username": phone, "password": password})
    assert (response.status_code, response["Location"]) == (302, "/")


# --- Indicators --------------------------------------------------------------------------------
def test_citizens_per_kecamatan_lists_every_kecamatan_with_exact_counts():
    CitizenFactory(identity__desa_code=BAPEANG)
    CitizenFactory(identity__desa_code=MBH)
    CitizenFactory(identity__desa_code=KOTA_BESI_DESA)
    gone = CitizenFactory(identity__desa_code=KOTA_BESI_DESA)
    gone.is_active = False
    gone.save()

    result = indicators.get("accounts.citizens_per_kecamatan").compute()

    rows = {row.code: (row.label, row.value) for row in result.rows}
    assert len(result.rows) == 17
    assert rows["62.02.06"] == ("Mentawa Baru Ketapang", 2)
    assert rows["62.02.01"] == ("Kota Besi", 1)
    assert sum(value for _label, value in rows.values()) == 3
    assert result.total == 3
    assert [row.label for row in result.rows] == sorted(row.label for row in result.rows)
    assert rows["62.02.17"] == ("Telaga Antang", 0)


def test_staff_per_agency_counts_active_officers_once(agency: Any, other_agency: Any):
    a = StaffFactory(role="petugas_opd", agency=agency)
    Membership.objects.create(user=a, role="kepala_opd", agency=agency)
    StaffFactory(role="kepala_opd", agency=agency)
    StaffFactory(role="petugas_opd", agency=other_agency)
    revoked = StaffFactory(role="petugas_opd", agency=other_agency)
    revoked.memberships.update(is_active=False)
    inactive = StaffFactory(role="petugas_opd", agency=other_agency)
    inactive.is_active = False
    inactive.save()

    result = indicators.get("accounts.staff_per_agency").compute()

    assert [(r.code, r.label, r.value) for r in result.rows] == [
        ("dinas-pupr", "Dinas PUPR", 2),
        ("dinkes", "Dinkes", 1),
    ]
    assert result.total == 3


# --- Key rotation -------------------------------------------------------------------------------
def test_rotate_pii_keys_reencrypts_with_the_new_key(settings: Any):
    citizen = CitizenFactory(identity__kk="6202060123450001")
    nik = crypto.decrypt(citizen.citizen.nik_encrypted)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    crypto._fernet.cache_clear()
    try:
        output = run("rotate_pii_keys")
        assert output == "Re-encrypted 1 citizen identities.\n"

        settings.FIELD_ENCRYPTION_KEYS = [new_key]
        crypto._fernet.cache_clear()
        profile = CitizenProfile.objects.get(pk=citizen.citizen.pk)
        assert crypto.decrypt(profile.nik_encrypted) == nik
        assert crypto.decrypt(profile.kk_encrypted) == "6202060123450001"
        assert profile.nik_hash == crypto.keyed_hash(nik, purpose="nik")  # hash key unchanged

        settings.FIELD_ENCRYPTION_KEYS = [old_key]
        crypto._fernet.cache_clear()
        with pytest.raises(InvalidToken):
            crypto.decrypt(profile.nik_encrypted)
    finally:
        crypto._fernet.cache_clear()
    event = AuditEvent.objects.get(action="kotacerdas.accounts.pii.reencrypted")
    assert event.after == {"count": 1}
    assert nik not in str(event.after)
