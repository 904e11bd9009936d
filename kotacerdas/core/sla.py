"""The working-day clock for service-level deadlines.

Working days are Monday to Friday in WIB, except Indonesian public holidays and, by default,
the government's collective leave days (cuti bersama), both from the maintained `holidays`
library (category "government" holds cuti bersama). A deadline of N working days from a moment
ends at the close of the Nth working day after the day the clock started.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

WIB = ZoneInfo("Asia/Jakarta")


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> frozenset[dt.date]:
    categories = (
        ("public", "government")
        if getattr(settings, "SLA_COUNT_CUTI_BERSAMA", True)
        else ("public",)
    )
    days = holidays.country_holidays("ID", years=year, categories=categories)
    return frozenset(days.keys())


def holiday_name(day: dt.date) -> str | None:
    categories = ("public", "government")
    return holidays.country_holidays(
        "ID", years=day.year, categories=categories, language="id"
    ).get(day)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays_for(day.year)


def _local_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        raise ValueError("SLA clock needs an aware datetime")
    return moment.astimezone(WIB).date()


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The deadline: the end (23:59:59.999999 WIB) of the `days`-th working day after `start`'s
    day. With days=0, the end of `start`'s own day if that is a working day, else of the next."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = _local_date(start)
    if days == 0:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return dt.datetime.combine(day, dt.time.max, tzinfo=WIB)


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole working days strictly after `start`'s day up to and including `end`'s day."""
    a, b = _local_date(start), _local_date(end)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count = 0
    day = a
    while day < b:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return sign * count
