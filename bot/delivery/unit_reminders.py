"""Reminders to the units' HR before the latest day on which the unit's publicity (五（二）, at
least 5 working days) can start: 7, 3 and 1 days before it and on the day, at the reminder time,
to every HR officer of a unit who has not turned reminders off, through the outbox at bulk
priority like the applicants' reminders (bot.delivery.reminders).

Each slot is recorded in reminder_slots under the deadline id `unit:<working-day date id>`, so a
slot is queued once; the outbox keeps one row per unit, slot and chat, so a rerun after a crash
adds none twice. A slot the bot was down for longer than the grace window is skipped with a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.delivery import outbox
from bot.delivery.reminders import settle_slot
from bot.delivery.views import UnitReminderView
from conversations.season import REMINDER_OFFSETS, REMINDER_TIME, WorkingDayDateStatus, working_day_dates
from conversations.unit_duties import PUBLICITY_DATE
from knowledge.model import Notice

if TYPE_CHECKING:
    from bot.store.storage import Storage

log = logging.getLogger("zhicheng.unit_reminders")
KIND = "unit_reminder"


def slot_id(date_id: str) -> str:
    return f"unit:{date_id}"


def officers(db: sqlite3.Connection) -> list[tuple[int, str, int, int, str | None]]:
    """(unit id, unit name, user id, chat id, locale) of every HR officer whose reminders are on."""
    rows = db.execute(
        "SELECT h.unit_id, u.name, h.user_id, h.chat_id, us.locale FROM unit_hr h JOIN units u ON u.id = h.unit_id "
        "LEFT JOIN users us ON us.user_id = h.user_id LEFT JOIN reminder_settings r ON r.user_id = h.user_id "
        "WHERE h.revoked_at IS NULL AND COALESCE(r.enabled, 1) = 1 ORDER BY h.unit_id, h.user_id"
    )
    return [(int(r[0]), str(r[1]), int(r[2]), int(r[3]), r[4]) for r in rows]


def unit_counts(db: sqlite3.Connection, notice_id: str) -> dict[int, tuple[int, int]]:
    """Unit id -> (applicants linked, of them finished under the notice with a checklist: those the
    unit publicises), for every unit with an HR officer."""
    rows = db.execute(
        "SELECT l.unit_id, COUNT(*), COALESCE(SUM(s.notice_id = ? AND s.finished = 1 AND s.items > 0), 0) "
        "FROM applicant_units l LEFT JOIN applicant_summaries s ON s.user_id = l.user_id "
        "WHERE l.unit_id IN (SELECT unit_id FROM unit_hr WHERE revoked_at IS NULL) GROUP BY l.unit_id",
        (notice_id,),
    )
    return {int(unit): (int(linked), int(needing)) for unit, linked, needing in rows}


def _is_settled(db: sqlite3.Connection, notice_id: str, key: str, offset: int) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM reminder_slots WHERE notice_id = ? AND deadline_id = ? AND days_before = ?",
            (notice_id, key, offset),
        ).fetchone()
        is not None
    )


async def run_due_unit_reminders(
    storage: Storage,
    notices: Sequence[Notice],
    now: dt.datetime,
    render: UnitReminderView,
    *,
    grace: dt.timedelta,
    offsets: Sequence[int] = REMINDER_OFFSETS,
    at: dt.time = REMINDER_TIME,
) -> list[str]:
    """Queue the HR reminders that have fallen due; returns the refs of the slots settled."""
    settled_now = []
    for notice in notices:
        zone = ZoneInfo(notice.info.timezone)
        dates = [d for d in working_day_dates(notice, None, now.astimezone(zone).date()) if d.id == PUBLICITY_DATE]
        for offset in sorted(set(offsets), reverse=True):
            for date in dates:
                send_at = dt.datetime.combine(date.day - dt.timedelta(days=offset), at, zone).astimezone(dt.UTC)
                key = slot_id(date.id)
                if send_at > now or await storage.atomically(_is_settled, notice.id, key, offset):
                    continue
                status, queued = "done", 0
                if now - send_at > grace:
                    status = "skipped"
                    log.warning(
                        "unit reminder %s:%s:%s due at %s skipped: the bot was not running within the "
                        "grace window of %s",
                        notice.id,
                        key,
                        offset,
                        send_at.isoformat(),
                        grace,
                    )
                else:
                    queued = await storage.atomically(_enqueue, notice, date, offset, now, render)
                    log.info("unit reminder %s:%s:%s queued for %d HR officers", notice.id, key, offset, queued)
                await storage.atomically(settle_slot, notice.id, key, offset, send_at, status, queued, now)
                settled_now.append(f"{notice.id}:{key}:{offset}")
    return settled_now


def _enqueue(
    db: sqlite3.Connection,
    notice: Notice,
    date: WorkingDayDateStatus,
    offset: int,
    now: dt.datetime,
    render: UnitReminderView,
) -> int:
    """One message per HR officer (a unit has a few; counts are one aggregate query)."""
    today = date.day - dt.timedelta(days=offset)
    shown = next(d for d in working_day_dates(notice, None, today) if d.id == date.id)
    counts = unit_counts(db, notice.id)
    queued = 0
    for unit_id, unit_name, user_id, chat_id, locale in officers(db):
        linked, needing = counts.get(unit_id, (0, 0))
        message = render(notice, shown, unit_id, unit_name, linked, needing, locale)
        ref = f"{notice.id}:{date.id}:{offset}:{unit_id}"
        queued += outbox.enqueue(
            db, kind=KIND, ref=ref, chat_id=chat_id, user_id=user_id, messages=[message], not_before=now, now=now
        )
    return queued
