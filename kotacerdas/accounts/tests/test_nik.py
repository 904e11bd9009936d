"""NIK rules: structure, region, date (+40 for women), serial, agreement with the declared sex
and date of birth, masking."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kotacerdas.accounts.nik import (
    NikParts,
    check_kk,
    check_nik_matches,
    compose_nik,
    mask,
    parse_nik,
)
from kotacerdas.core.errors import ValidationFailed

TODAY = dt.date(2025, 12, 31)  # parse_nik picks the century relative to "today"
KNOWN_KECAMATAN = {"62.02.01", "62.02.06", "62.02.17"}


def _exists(code: str) -> bool:
    return code in KNOWN_KECAMATAN


def _parse(value: str) -> NikParts:
    return parse_nik(value, kecamatan_exists=_exists, region_root="62.02", today=TODAY)


def _error(value: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        _parse(value)
    return info.value


def test_a_mans_nik_parses():
    assert _parse("6202061508900001") == NikParts(
        province="62",
        kabupaten="02",
        kecamatan="06",
        birth_date=dt.date(1990, 8, 15),
        sex="L",
        serial="0001",
    )
    assert _parse("6202061508900001").kecamatan_code == "62.02.06"


def test_a_womans_nik_has_forty_added_to_the_day():
    parts = _parse("6202065508900002")
    assert (parts.birth_date, parts.sex, parts.serial) == (dt.date(1990, 8, 15), "P", "0002")


def test_separators_are_ignored():
    assert _parse("6202 0615 0890 0001") == _parse("62.02.06-150890-0001")


def test_day_71_is_the_31st_for_a_woman_and_72_is_no_date():
    parts = _parse("6202067101900003")
    assert (parts.birth_date, parts.sex) == (dt.date(1990, 1, 31), "P")
    error = _error("6202067201900003")
    assert error.code == "accounts.nik.date"
    assert error.fields == {"nik": ["Digits 7 to 12 of the NIK are not a real date of birth."]}


def test_two_digit_year_is_the_latest_not_in_the_future():
    assert _parse("6202060101250001").birth_date == dt.date(2025, 1, 1)
    assert _parse("6202060101260001").birth_date == dt.date(1926, 1, 1)


@pytest.mark.parametrize(
    "value",
    [
        "620206150890001",  # 15 digits
        "62020615089000011",  # 17 digits
        "62020615O8900001",  # a letter O
        "6202061508900001x",
        "",
        "abcdefghijklmnop",
    ],
)
def test_malformed_nik_is_refused(value):
    error = _error(value)
    assert error.code == "accounts.nik.format"
    assert error.message == "NIK must be exactly 16 digits."
    assert error.fields == {"nik": ["NIK must be exactly 16 digits."]}


@pytest.mark.parametrize(
    "value",
    [
        "6202063208900001",  # day 32
        "6202061513900001",  # month 13
        "6202063002900001",  # 30 February
        "6202060001900001",  # day 0
        "6202064008900001",  # day 40: neither a man's nor a woman's day
        "6202061500900001",  # month 0
    ],
)
def test_impossible_date_is_refused(value):
    assert _error(value).code == "accounts.nik.date"


def test_29_february_only_in_a_leap_year():
    assert _parse("6202062902880001").birth_date == dt.date(1988, 2, 29)
    assert _error("6202062902890001").code == "accounts.nik.date"


@pytest.mark.parametrize(
    "value",
    [
        "9902061508900001",  # province 99 does not exist
        "6200061508900001",  # kabupaten 00
        "6202001508900001",  # kecamatan 00
        "6202991508900001",  # inside Kotim's tree, but no such kecamatan
    ],
)
def test_region_part_is_refused(value):
    error = _error(value)
    assert error.code == "accounts.nik.region"
    assert error.fields == {"nik": ["The first 6 digits of the NIK are not a valid region code."]}


def test_a_nik_registered_in_another_kabupaten_is_plausible():
    # Jakarta Pusat (31.71): outside the platform's tree, the kecamatan is not looked up.
    parts = _parse("3171011508900001")
    assert (parts.kecamatan_code, parts.birth_date, parts.sex) == (
        "31.71.01",
        dt.date(1990, 8, 15),
        "L",
    )


def test_the_region_lookup_is_only_asked_inside_the_tree():
    asked: list[str] = []

    def exists(code: str) -> bool:
        asked.append(code)
        return True

    parse_nik("3171011508900001", kecamatan_exists=exists, region_root="62.02", today=TODAY)
    parse_nik("6202061508900001", kecamatan_exists=exists, region_root="62.02", today=TODAY)
    assert asked == ["62.02.06"]


@pytest.mark.parametrize(
    "value",
    [
        "62\uff10\uff12\uff10\uff16\uff11\uff15\uff10\uff18\uff19\uff10\uff10\uff10\uff10\uff11",
        "6202\u0660\u0666\u0661\u0665\u0660\u0668\u0669\u0660\u0660\u0660\u0660\u0661",
    ],
    ids=["fullwidth", "arabic-indic"],
)
def test_only_ascii_digits_count(value):
    # int() reads these as numbers, but they hash differently from the ASCII NIK: accepting
    # them would let the same NIK be registered twice.
    assert _error(value).code == "accounts.nik.format"


def test_any_whitespace_is_ignored_like_spaces():
    assert _parse("6202\t0615\u00a00890 0001") == _parse("6202061508900001")


def test_serial_0000_is_refused():
    error = _error("6202061508900000")
    assert error.code == "accounts.nik.format"
    assert error.message == "The last 4 digits of the NIK cannot be 0000."


def test_sex_mismatch_has_its_code_and_both_fields():
    woman = _parse("6202065508900001")
    with pytest.raises(ValidationFailed) as info:
        check_nik_matches(woman, birth_date=dt.date(1990, 8, 15), sex="L")
    message = "The NIK shows a woman's date (day + 40) but the sex chosen is male."
    assert info.value.code == "accounts.nik.sex_mismatch"
    assert info.value.fields == {"nik": [message], "sex": [message]}

    man = _parse("6202061508900001")
    with pytest.raises(ValidationFailed) as info:
        check_nik_matches(man, birth_date=dt.date(1990, 8, 15), sex="P")
    message = "The NIK shows a man's date but the sex chosen is female (day + 40 for women)."
    assert info.value.code == "accounts.nik.sex_mismatch"
    assert info.value.fields == {"nik": [message], "sex": [message]}


@pytest.mark.parametrize(
    "declared", [dt.date(1990, 8, 16), dt.date(1990, 9, 15), dt.date(1991, 8, 15)]
)
def test_birth_date_mismatch_has_its_code(declared):
    parts = _parse("6202061508900001")
    with pytest.raises(ValidationFailed) as info:
        check_nik_matches(parts, birth_date=declared, sex="L")
    message = "The date of birth does not match the date in the NIK."
    assert info.value.code == "accounts.nik.birth_date_mismatch"
    assert info.value.fields == {"nik": [message], "birth_date": [message]}


def test_matching_sex_and_date_pass():
    parts = _parse("6202065508900001")
    assert check_nik_matches(parts, birth_date=dt.date(1990, 8, 15), sex="P") is None
    # Only DDMMYY is in the NIK: the century of the declared date is not compared.
    assert check_nik_matches(parts, birth_date=dt.date(1890, 8, 15), sex="P") is None


def test_kk_number():
    assert check_kk("6202 0601 2345 0001") == "6202060123450001"
    with pytest.raises(ValidationFailed) as info:
        check_kk("123")
    assert (info.value.code, list(info.value.fields)) == ("accounts.kk.format", ["kk"])
    with pytest.raises(ValidationFailed) as info:
        check_kk("9902060123450001")
    assert info.value.code == "accounts.kk.format"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("6202061508900001", "6202********0001"),
        ("6202 0615 0890 1234", "6202********1234"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask(value, masked):
    assert mask(value) == masked


def test_compose_keeps_serials_1_to_9999_and_wraps_the_rest():
    day = dt.date(1990, 1, 1)
    assert compose_nik(kecamatan_code="62.02.06.1001", birth_date=day, sex="P", serial=1) == (
        "6202064101900001"
    )
    assert compose_nik(kecamatan_code="62.02.06", birth_date=day, sex="L", serial=9999) == (
        "6202060101909999"
    )
    assert compose_nik(kecamatan_code="62.02.06", birth_date=day, sex="L", serial=10000) == (
        "6202060101900001"
    )


@given(
    birth=st.dates(min_value=dt.date(1926, 1, 1), max_value=TODAY),
    sex=st.sampled_from(["L", "P"]),
    serial=st.integers(min_value=1, max_value=9999),
    kecamatan=st.sampled_from(sorted(KNOWN_KECAMATAN)),
)
def test_compose_then_parse_round_trips(birth, sex, serial, kecamatan):
    nik = compose_nik(kecamatan_code=kecamatan, birth_date=birth, sex=sex, serial=serial)
    parts = _parse(nik)
    assert parts == NikParts(
        province="62",
        kabupaten="02",
        kecamatan=kecamatan[-2:],
        birth_date=birth,
        sex=sex,
        serial=f"{serial:04d}",
    )
    check_nik_matches(parts, birth_date=birth, sex=sex)
    assert mask(nik) == f"6202********{serial:04d}"


@given(
    st.text(
        alphabet=st.characters(exclude_categories=("Nd",)),
        min_size=16,
        max_size=16,
    )
)
def test_any_sixteen_non_digits_are_a_format_error(value):
    with pytest.raises(ValidationFailed) as info:
        _parse(value)
    assert info.value.code == "accounts.nik.format"


@given(st.text(max_size=40))
def test_any_text_is_a_validation_error_or_a_nik(value):
    """Never another exception (IndexError, ValueError…) whatever is typed."""
    error = None
    try:
        parts = _parse(value)
    except ValidationFailed as exc:
        error = exc.code
    if error is None:
        assert len(parts.province + parts.kabupaten + parts.kecamatan + parts.serial) == 10
    else:
        assert error in {"accounts.nik.format", "accounts.nik.region", "accounts.nik.date"}
