"""Times as the database stores them: ISO 8601 in UTC to the second."""

from __future__ import annotations

import datetime as dt


def iso(moment: dt.datetime) -> str:
    """A moment as stored: 2021-10-20T02:00:00+00:00."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def now_iso() -> str:
    return iso(dt.datetime.now(dt.UTC))


def moment(value: str | None) -> dt.datetime | None:
    """A stored moment read back (None stays None)."""
    return dt.datetime.fromisoformat(value) if value else None
