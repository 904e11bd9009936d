"""NIK (Nomor Induk Kependudukan) and KK number rules.

A NIK is 16 digits: 2 province + 2 kabupaten/kota + 2 kecamatan of registration, then the date
of birth as DDMMYY with 40 added to the day for women, then a 4-digit serial (0001-9999).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kotacerdas.core.errors import ValidationFailed

# Province codes of the Kemendagri tree (38 provinces, including the 2022 Papua provinces).
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "21",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "51",
        "52",
        "53",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "81",
        "82",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    }
)
# ASCII digits only: `\d` would also take e.g. fullwidth or Arabic-Indic digits, which int()
# reads as numbers but which hash differently, so the same NIK could be registered twice.
_SIXTEEN = re.compile(r"\A[0-9]{16}\Z")


@dataclass(frozen=True)
class NikParts:
    province: str
    kabupaten: str
    kecamatan: str
    birth_date: dt.date
    sex: str  # "L" or "P"
    serial: str

    @property
    def kecamatan_code(self) -> str:
        """The dotted Kemendagri code of the kecamatan of registration (e.g. 62.02.06)."""
        return f"{self.province}.{self.kabupaten}.{self.kecamatan}"


def _fail(code: str, message: str, field: str = "nik") -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={field: [message]})


def clean_digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def _century(yy: int, today: dt.date) -> int:
    # A two-digit year is the most recent one not in the future.
    year = 2000 + yy
    return year if year <= today.year else 1900 + yy


def parse_nik(
    value: str,
    *,
    kecamatan_exists: Callable[[str], bool] | None = None,
    region_root: str = "",
    today: dt.date | None = None,
) -> NikParts:
    """Parse and check a NIK's structure. `kecamatan_exists` is asked only for codes inside the
    platform's own region tree (`region_root`): a NIK registered elsewhere in Indonesia is
    plausible as long as its province code exists."""
    nik = clean_digits(value)
    if not _SIXTEEN.match(nik):
        raise _fail("accounts.nik.format", _("NIK must be exactly 16 digits."))
    province, kabupaten, kecamatan = nik[0:2], nik[2:4], nik[4:6]
    if province not in PROVINCE_CODES or kabupaten == "00" or kecamatan == "00":
        raise _fail(
            "accounts.nik.region",
            _("The first 6 digits of the NIK are not a valid region code."),
        )
    kecamatan_code = f"{province}.{kabupaten}.{kecamatan}"
    if (
        kecamatan_exists is not None
        and region_root
        and kecamatan_code.startswith(region_root + ".")
        and not kecamatan_exists(kecamatan_code)
    ):
        raise _fail(
            "accounts.nik.region",
            _("The first 6 digits of the NIK are not a valid region code."),
        )
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "P" if day > 40 else "L"
    if day > 40:
        day -= 40
    today = today or dt.date.today()
    try:
        birth = dt.date(_century(yy, today), month, day)
    except ValueError:
        raise _fail(
            "accounts.nik.date", _("Digits 7 to 12 of the NIK are not a real date of birth.")
        ) from None
    if nik[12:16] == "0000":
        raise _fail("accounts.nik.format", _("The last 4 digits of the NIK cannot be 0000."))
    return NikParts(province, kabupaten, kecamatan, birth, sex, nik[12:16])


def check_nik_matches(parts: NikParts, *, birth_date: dt.date, sex: str) -> None:
    """The NIK's date part must agree with the declared sex and date of birth."""
    if parts.sex != sex:
        message = (
            _("The NIK shows a woman's date (day + 40) but the sex chosen is male.")
            if parts.sex == "P"
            else _("The NIK shows a man's date but the sex chosen is female (day + 40 for women).")
        )
        raise ValidationFailed(
            message, code="accounts.nik.sex_mismatch", fields={"nik": [message], "sex": [message]}
        )
    if (parts.birth_date.day, parts.birth_date.month, parts.birth_date.year % 100) != (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    ):
        message = _("The date of birth does not match the date in the NIK.")
        raise ValidationFailed(
            message,
            code="accounts.nik.birth_date_mismatch",
            fields={"nik": [message], "birth_date": [message]},
        )


def check_kk(value: str) -> str:
    kk = clean_digits(value)
    if not _SIXTEEN.match(kk):
        raise _fail("accounts.kk.format", _("KK number must be exactly 16 digits."), field="kk")
    if kk[0:2] not in PROVINCE_CODES:
        raise _fail(
            "accounts.kk.format",
            _("The first digits of the KK number are not a valid region code."),
            field="kk",
        )
    return kk


def mask(value: str) -> str:
    """6202********0001: region prefix and last four digits only."""
    digits = clean_digits(value)
    if len(digits) != 16:
        return "*" * len(digits)
    return f"{digits[:4]}********{digits[-4:]}"


def compose_nik(*, kecamatan_code: str, birth_date: dt.date, sex: str, serial: int) -> str:
    """A NIK of the right shape for generated (demo/test) people: the kecamatan's digits, the
    birth date as DDMMYY (+40 on the day for women), a serial 0001-9999."""
    area = "".join(kecamatan_code.split(".")[:3])
    day = birth_date.day + (40 if sex == "P" else 0)
    # 1-9999 are kept as given; anything else wraps into that range (never 0000).
    number = (serial - 1) % 9999 + 1
    return f"{area}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{number:04d}"
