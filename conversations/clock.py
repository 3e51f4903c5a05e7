"""The one clock everything reads: the real time, or a time set for demonstrations and tests that
runs on from the moment it was set (`--now 2021-10-13T09:59:30+08:00`)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo


class ClockError(ValueError):
    """A time that cannot be used to set the clock."""


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 moment with its UTC offset, for example 2021-10-13T09:59:30+08:00."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClockError(f"'{text}' is not an ISO 8601 time such as 2021-10-13T09:59:30+08:00") from exc
    if moment.tzinfo is None:
        raise ClockError(f"'{text}' has no UTC offset; write it as 2021-10-13T09:59:30+08:00")
    return moment


def local_today(moment: dt.datetime, timezone: str) -> dt.date:
    """The date of `moment` where the notice's deadlines are reckoned (its time zone)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


class Clock:
    """Aware UTC time. Set to a moment, it runs on from there at the real pace."""

    def __init__(self, start: dt.datetime | None = None, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._start = start.astimezone(dt.UTC) if start is not None else None
        self._started_at = monotonic()

    @property
    def is_set(self) -> bool:
        return self._start is not None

    def now(self) -> dt.datetime:
        if self._start is None:
            return dt.datetime.now(dt.UTC)
        return self._start + dt.timedelta(seconds=self._monotonic() - self._started_at)

    def today(self, timezone: str) -> dt.date:
        """Today's date where the notice's deadlines are reckoned (Asia/Shanghai)."""
        return local_today(self.now(), timezone)

    def __call__(self) -> dt.datetime:
        return self.now()
