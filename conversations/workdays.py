"""Working days as Chinese offices count them: official holidays and make-up working days (调休),
from the maintained chinese-calendar package. Years it has no data for fall back to Monday to
Friday, and say so (`official` is False), so that no date is presented as official when it is not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar


def has_official_calendar(day: dt.date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


@dataclass(frozen=True)
class WorkingPeriod:
    start: dt.date
    end: dt.date
    days: tuple[dt.date, ...]
    official: bool  # every day was checked against the official calendar


def latest_start(working_days: int, before: dt.date) -> WorkingPeriod:
    """The latest period of `working_days` working days, counted from its first day, that ends on a
    working day strictly before `before`."""
    days: list[dt.date] = []
    day = before
    while len(days) < working_days:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days.append(day)
    days.reverse()
    official = all(has_official_calendar(d) for d in (days[0], before))
    return WorkingPeriod(days[0], days[-1], tuple(days), official)


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days from `first` to `last`, both included."""
    count = 0
    day = first
    while day <= last:
        count += is_working_day(day)
        day += dt.timedelta(days=1)
    return count
