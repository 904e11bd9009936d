import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kotacerdas.core.sla import add_working_days, holiday_name, is_working_day, working_days_between

WIB = ZoneInfo("Asia/Jakarta")


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=WIB)


def test_weekends_are_not_working_days() -> None:
    assert is_working_day(dt.date(2026, 11, 20))  # Friday
    assert not is_working_day(dt.date(2026, 11, 21))  # Saturday
    assert not is_working_day(dt.date(2026, 11, 22))  # Sunday


def test_public_holidays_come_from_the_holidays_library() -> None:
    assert not is_working_day(dt.date(2026, 8, 17))  # Hari Kemerdekaan, a Monday
    assert holiday_name(dt.date(2026, 8, 17)) is not None
    assert not is_working_day(dt.date(2026, 12, 25))  # Christmas, a Friday


def test_three_working_days_skip_weekend() -> None:
    # Thursday 19 Nov 2026 + 3 working days: Fri 20, Mon 23, Tue 24.
    deadline = add_working_days(at(2026, 11, 19), 3)
    assert deadline.date() == dt.date(2026, 11, 24)
    assert deadline.tzinfo == WIB
    assert (deadline.hour, deadline.minute) == (23, 59)


def test_deadline_skips_a_holiday() -> None:
    # Friday 14 Aug 2026 + 1 working day: Monday 17 Aug is Independence Day, so Tuesday 18.
    assert add_working_days(at(2026, 8, 14), 1).date() == dt.date(2026, 8, 18)


def test_clock_uses_wib_day_not_utc_day() -> None:
    # 20:00 UTC on Friday is already Saturday 03:00 in WIB.
    start = dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC)
    assert add_working_days(start, 1).date() == dt.date(2026, 11, 23)


def test_zero_days_on_a_weekend_rolls_to_monday() -> None:
    assert add_working_days(at(2026, 11, 21), 0).date() == dt.date(2026, 11, 23)


def test_working_days_between_is_signed() -> None:
    assert working_days_between(at(2026, 11, 19), at(2026, 11, 24)) == 3
    assert working_days_between(at(2026, 11, 24), at(2026, 11, 19)) == -3
    assert working_days_between(at(2026, 11, 21), at(2026, 11, 22)) == 0


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_working_days(dt.datetime(2026, 11, 19), 1)
