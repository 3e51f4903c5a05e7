"""Reminders before each deadline: 7, 3 and 1 days before and on the day, at 10:00 in the notice's
time zone (conversations.season.reminder_schedule), to every applicant with a checklist who has
not turned them off.

The schedule is derived from the notice, so what lives in SQLite is its progress: each slot (a
deadline and a number of days before it) is `done` once every applicant's reminder for it is in
the outbox, or `skipped` when the bot was down past the grace window. Enqueuing is idempotent (the
outbox keeps one row per reminder and chat), so a crash part-way through a slot and the rerun that
follows lose none and duplicate none. The work runs in chunks, each in its own short transaction,
so interactive updates are never kept waiting for the whole run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot import outbox
from bot.actions import Send
from conversations.outcome import Outcome, evaluate
from conversations.season import REMINDER_OFFSETS, REMINDER_TIME, Reminder, notice_schedule
from knowledge.model import Notice

log = logging.getLogger("zhicheng.reminders")

DEFAULT_GRACE = dt.timedelta(hours=6)
CHUNK = 250  # applicants per transaction


async def m005_reminders(db: aiosqlite.Connection) -> None:
    await db.execute(
        """
        CREATE TABLE reminder_settings (
            user_id    INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
            enabled    INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    await db.execute(
        """
        CREATE TABLE reminder_slots (
            notice_id   TEXT NOT NULL,
            deadline_id TEXT NOT NULL,
            days_before INTEGER NOT NULL,
            send_at     TEXT NOT NULL,
            status      TEXT NOT NULL,      -- done, skipped
            enqueued    INTEGER NOT NULL DEFAULT 0,
            settled_at  TEXT NOT NULL,
            PRIMARY KEY (notice_id, deadline_id, days_before)
        )
        """
    )


def reminder_ref(notice_id: str, deadline_id: str, days_before: int) -> str:
    return f"{notice_id}:{deadline_id}:{days_before}"


async def reminders_enabled(db: aiosqlite.Connection, user_id: int) -> bool:
    rows = list(await db.execute_fetchall("SELECT enabled FROM reminder_settings WHERE user_id = ?", (user_id,)))
    return bool(rows[0][0]) if rows else True  # on by default


async def set_reminders(db: aiosqlite.Connection, user_id: int, enabled: bool, now: dt.datetime) -> None:
    """Turn a user's reminders on or off; off also withdraws the reminders still queued."""
    await db.execute(
        "INSERT INTO reminder_settings (user_id, enabled, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
        (user_id, int(enabled), now.astimezone(dt.UTC).isoformat(timespec="seconds")),
    )
    if not enabled:
        await db.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = 'reminders turned off' "
            "WHERE user_id = ? AND kind = 'reminder' AND status = 'pending'",
            (user_id,),
        )


@dataclass(frozen=True)
class Applicant:
    user_id: int
    chat_id: int
    locale: str | None
    answers: dict[str, str]
    ticks: frozenset[str]


# Renders one applicant's reminder: (notice, outcome, deadline id, today, ticks, locale) -> messages.
Render = Callable[[Notice, Outcome, str, dt.date, Collection[str], str | None], Sequence[Send]]


@dataclass
class RunReport:
    slots_done: list[str] = field(default_factory=list)
    slots_skipped: list[str] = field(default_factory=list)
    enqueued: int = 0
    applicants: int = 0


async def _settled(db: aiosqlite.Connection, notice_id: str) -> set[tuple[str, int]]:
    rows = await db.execute_fetchall(
        "SELECT deadline_id, days_before FROM reminder_slots WHERE notice_id = ?", (notice_id,)
    )
    return {(r[0], r[1]) for r in rows}


async def _applicants(db: aiosqlite.Connection, notice_id: str, after_user: int, limit: int) -> list[Applicant]:
    """Finished interviews of the notice whose reminders are on and whose chat is reachable."""
    rows = await db.execute_fetchall(
        "SELECT u.user_id, u.chat_id, u.locale, "
        "(SELECT json_group_object(question_id, option_id) FROM answers a WHERE a.user_id = u.user_id), "
        "(SELECT json_group_array(item_id) FROM ticks t WHERE t.user_id = u.user_id) "
        "FROM users u JOIN interviews i ON i.user_id = u.user_id "
        "LEFT JOIN reminder_settings r ON r.user_id = u.user_id "
        "WHERE i.notice_id = ? AND i.started = 1 AND i.current_question IS NULL "
        "AND COALESCE(r.enabled, 1) = 1 "
        "AND u.chat_id NOT IN (SELECT chat_id FROM unreachable_chats) "
        "AND u.user_id > ? ORDER BY u.user_id LIMIT ?",
        (notice_id, after_user, limit),
    )
    return [Applicant(r[0], r[1], r[2], json.loads(r[3]) if r[3] else {},
                      frozenset(json.loads(r[4])) if r[4] else frozenset()) for r in rows]


def _outcome(notice: Notice, answers: Mapping[str, str]) -> Outcome | None:
    try:
        return evaluate(notice, answers)
    except ValueError:  # answers that no longer finish the interview (a changed knowledge file)
        return None


async def run_due_reminders(
    transaction: Callable[[], Any],
    notices: Sequence[Notice],
    now: dt.datetime,
    render: Render,
    *,
    grace: dt.timedelta = DEFAULT_GRACE,
    offsets: Sequence[int] = REMINDER_OFFSETS,
    at: dt.time = REMINDER_TIME,
    chunk: int = CHUNK,
) -> RunReport:
    """Queue every reminder that has fallen due and is not settled yet; skip, with a log line, the
    slots whose time passed more than `grace` ago. Safe to call at any time and any number of times."""
    report = RunReport()
    for notice in notices:
        async with transaction() as db:
            settled = await _settled(db, notice.id)
        for slot in notice_schedule(notice, offsets=offsets, at=at):
            key = (slot.deadline_id, slot.days_before)
            if key in settled or slot.send_at > now:
                continue
            name = reminder_ref(notice.id, *key)
            if now - slot.send_at > grace:
                async with transaction() as db:
                    await _settle(db, notice.id, slot, "skipped", 0, now)
                log.warning("reminder %s due at %s skipped: the bot was not running within the grace window of %s",
                            name, slot.send_at.isoformat(), grace)
                report.slots_skipped.append(name)
                continue
            queued = await _enqueue_slot(transaction, notice, slot, now, render, chunk, report)
            async with transaction() as db:
                await _settle(db, notice.id, slot, "done", queued, now)
            log.info("reminder %s queued for %d applicants", name, queued)
            report.slots_done.append(name)
    return report


async def _enqueue_slot(
    transaction: Callable[[], Any],
    notice: Notice,
    slot: Reminder,
    now: dt.datetime,
    render: Render,
    chunk: int,
    report: RunReport,
) -> int:
    today = slot.last_day - dt.timedelta(days=slot.days_before)
    ref = reminder_ref(notice.id, slot.deadline_id, slot.days_before)
    queued = 0
    after = 0
    while True:
        async with transaction() as db:
            applicants = await _applicants(db, notice.id, after, chunk)
        if not applicants:
            return queued
        after = applicants[-1].user_id
        rows = []
        for applicant in applicants:
            outcome = _outcome(notice, applicant.answers)
            if outcome is None or not outcome.has_checklist:
                continue  # turned away: no reminders
            if slot.deadline_id not in {d.id for d in outcome.deadlines}:
                continue
            rows.append((applicant, render(notice, outcome, slot.deadline_id, today, applicant.ticks,
                                           applicant.locale)))
        report.applicants += len(applicants)
        async with transaction() as db:
            for applicant, messages in rows:
                if await outbox.enqueue(db, kind="reminder", ref=ref, chat_id=applicant.chat_id,
                                        user_id=applicant.user_id, messages=messages, not_before=now, now=now):
                    queued += 1
        report.enqueued += len(rows)
        await asyncio.sleep(0)  # let interactive updates in between chunks


async def _settle(db: aiosqlite.Connection, notice_id: str, slot: Reminder, status: str, enqueued: int,
                  now: dt.datetime) -> None:
    await db.execute(
        "INSERT OR IGNORE INTO reminder_slots (notice_id, deadline_id, days_before, send_at, status, enqueued, "
        "settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (notice_id, slot.deadline_id, slot.days_before, slot.send_at.isoformat(timespec="seconds"), status,
         enqueued, now.astimezone(dt.UTC).isoformat(timespec="seconds")),
    )
