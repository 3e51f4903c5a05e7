"""Reminders to the units' HR before the latest day on which the unit's publicity (五（二）, at
least 5 working days) can start: 7, 3 and 1 days before it and on the day, at the reminder time,
to every HR officer of a unit who has not turned reminders off, through the outbox at bulk
priority like the applicants' reminders (bot.reminders).

Each slot is recorded in reminder_slots under the deadline id `unit:<working-day date id>`, so a
slot is queued once; the outbox keeps one row per unit, slot and chat, so a rerun after a crash
adds none twice. A slot the bot was down for longer than the grace window is skipped with a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot import callbacks, outbox
from bot.actions import Button, Send
from bot.population import load_applicants
from bot.registry import N_
from bot.texts import gettext, message
from conversations.season import REMINDER_OFFSETS, REMINDER_TIME, WorkingDayDateStatus, working_day_dates
from conversations.unit_duties import PUBLICITY_DATE
from knowledge.model import Notice

log = logging.getLogger("zhicheng.unit_reminders")
KIND = "unit_reminder"
UNIT_LABEL = N_("🏢 My unit's applicants")


def slot_id(date_id: str) -> str:
    return f"unit:{date_id}"


async def _officers(db: aiosqlite.Connection) -> list[tuple[int, str, int, int, str | None]]:
    """(unit id, unit name, user id, chat id, locale) of every HR officer whose reminders are on."""
    rows = await db.execute_fetchall(
        "SELECT h.unit_id, u.name, h.user_id, h.chat_id, us.locale FROM unit_hr h JOIN units u ON u.id = h.unit_id "
        "LEFT JOIN users us ON us.user_id = h.user_id LEFT JOIN reminder_settings r ON r.user_id = h.user_id "
        "WHERE h.revoked_at IS NULL AND COALESCE(r.enabled, 1) = 1 ORDER BY h.unit_id, h.user_id"
    )
    return [(int(r[0]), str(r[1]), int(r[2]), int(r[3]), r[4]) for r in rows]


def reminder_message(notice: Notice, date: WorkingDayDateStatus, unit_id: int, unit_name: str, linked: int,
                     needing: int, locale: str | None) -> Send:
    loc = locale or "zh_Hans"
    text = message("unit_reminder", loc, notice=notice, date=date, unit_name=unit_name, linked=linked,
                   needing=needing)
    return Send(text, ((Button(gettext(loc, UNIT_LABEL), callbacks.button("un", unit_id)),),))


async def run_due_unit_reminders(
    transaction: Callable[[], Any],
    notices: Sequence[Notice],
    now: dt.datetime,
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
                async with transaction() as db:
                    done = list(await db.execute_fetchall(
                        "SELECT 1 FROM reminder_slots WHERE notice_id = ? AND deadline_id = ? AND days_before = ?",
                        (notice.id, key, offset)))
                if done or send_at > now:
                    continue
                status = "done"
                queued = 0
                if now - send_at > grace:
                    status = "skipped"
                    log.warning("unit reminder %s:%s:%s due at %s skipped: the bot was not running within the "
                                "grace window of %s", notice.id, key, offset, send_at.isoformat(), grace)
                else:
                    queued = await _enqueue(transaction, notice, date, offset, now)
                    log.info("unit reminder %s:%s:%s queued for %d HR officers", notice.id, key, offset, queued)
                async with transaction() as db:
                    await db.execute(
                        "INSERT OR IGNORE INTO reminder_slots (notice_id, deadline_id, days_before, send_at, status, "
                        "enqueued, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (notice.id, key, offset, send_at.isoformat(timespec="seconds"), status, queued,
                         now.astimezone(dt.UTC).isoformat(timespec="seconds")))
                settled_now.append(f"{notice.id}:{key}:{offset}")
    return settled_now


async def _enqueue(transaction: Callable[[], Any], notice: Notice, date: WorkingDayDateStatus, offset: int,
                   now: dt.datetime) -> int:
    today = date.day - dt.timedelta(days=offset)
    shown = next(d for d in working_day_dates(notice, None, today) if d.id == date.id)
    queued = 0
    async with transaction() as db:
        officers = await _officers(db)
        counts: dict[int, tuple[int, int]] = {}
        for unit_id in {o[0] for o in officers}:
            applicants = await load_applicants(db, {notice.id: notice}, unit_id=unit_id)
            linked = len(list(await db.execute_fetchall(
                "SELECT 1 FROM applicant_units WHERE unit_id = ?", (unit_id,))))
            needing = sum(1 for a in applicants if a.items)  # finished, with a checklist: the unit publicises
            counts[unit_id] = (linked, needing)
        for unit_id, unit_name, user_id, chat_id, locale in officers:
            linked, needing = counts[unit_id]
            text = reminder_message(notice, shown, unit_id, unit_name, linked, needing, locale)
            ref = f"{notice.id}:{date.id}:{offset}:{unit_id}"
            if await outbox.enqueue(db, kind=KIND, ref=ref, chat_id=chat_id, user_id=user_id, messages=[text],
                                    not_before=now, now=now):
                queued += 1
    return queued
