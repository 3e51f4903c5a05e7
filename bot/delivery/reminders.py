"""Reminders before each deadline: 7, 3 and 1 days before and on the day, at the reminder time in
the notice's time zone (conversations.season.reminder_schedule), to every applicant with a
checklist who has not turned them off and whose chat is reachable.

The schedule is derived from the notice, so what lives in SQLite is its progress: each slot (a
deadline and a number of days before it) is `done` once every applicant's reminder for it is in
the outbox, or `skipped` when the bot was down past the grace window. Enqueuing is idempotent (the
outbox keeps one row per reminder and chat), so a crash part-way through a slot and the rerun that
follows lose none and duplicate none. Each chunk is read in one short transaction, rendered off
the event loop, and queued in another, so interactive updates are never kept waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.chat.actions import Send
from bot.delivery import outbox
from bot.delivery.views import ReminderView
from bot.store.times import iso
from conversations.outcome import Outcome, evaluate
from conversations.season import REMINDER_OFFSETS, REMINDER_TIME, Reminder, notice_schedule
from knowledge.model import Notice

if TYPE_CHECKING:
    from bot.store.storage import Storage

log = logging.getLogger("zhicheng.reminders")

DEFAULT_GRACE = dt.timedelta(hours=6)
CHUNK = 250  # applicants per transaction


def reminder_ref(notice_id: str, deadline_id: str, days_before: int) -> str:
    return f"{notice_id}:{deadline_id}:{days_before}"


@dataclass(frozen=True)
class Applicant:
    user_id: int
    chat_id: int
    locale: str | None
    answers: dict[str, str]
    ticks: frozenset[str]


@dataclass
class RunReport:
    slots_done: list[str] = field(default_factory=list)
    slots_skipped: list[str] = field(default_factory=list)
    enqueued: int = 0
    applicants: int = 0


def settled_slots(db: sqlite3.Connection, notice_id: str) -> set[tuple[str, int]]:
    rows = db.execute("SELECT deadline_id, days_before FROM reminder_slots WHERE notice_id = ?", (notice_id,))
    return {(r[0], r[1]) for r in rows}


def settle_slot(
    db: sqlite3.Connection,
    notice_id: str,
    deadline_id: str,
    days_before: int,
    send_at: dt.datetime,
    status: str,
    enqueued: int,
    now: dt.datetime,
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO reminder_slots (notice_id, deadline_id, days_before, send_at, status, enqueued, "
        "settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (notice_id, deadline_id, days_before, send_at.isoformat(timespec="seconds"), status, enqueued, iso(now)),
    )


def applicants(db: sqlite3.Connection, notice_id: str, after_user: int, limit: int) -> list[Applicant]:
    """Finished interviews of the notice whose reminders are on and whose chat is reachable: one chunk."""
    rows = db.execute(
        "SELECT u.user_id, u.chat_id, u.locale, "
        "(SELECT json_group_object(question_id, option_id) FROM answers a WHERE a.user_id = u.user_id), "
        "(SELECT json_group_array(item_id) FROM ticks t WHERE t.user_id = u.user_id) "
        "FROM users u JOIN interviews i ON i.user_id = u.user_id "
        "LEFT JOIN reminder_settings r ON r.user_id = u.user_id "
        "WHERE i.notice_id = ? AND i.started = 1 AND i.current_question IS NULL "
        "AND COALESCE(r.enabled, 1) = 1 "
        "AND NOT EXISTS (SELECT 1 FROM unreachable_chats c WHERE c.chat_id = u.chat_id) "
        "AND u.user_id > ? ORDER BY u.user_id LIMIT ?",
        (notice_id, after_user, limit),
    )
    return [
        Applicant(
            r[0], r[1], r[2], json.loads(r[3]) if r[3] else {}, frozenset(json.loads(r[4])) if r[4] else frozenset()
        )
        for r in rows
    ]


def _outcome(notice: Notice, answers: Mapping[str, str]) -> Outcome | None:
    try:
        return evaluate(notice, answers)
    except ValueError:  # answers that no longer finish the interview (a changed knowledge file)
        return None


def render_chunk(
    notice: Notice, slot: Reminder, today: dt.date, chunk: Sequence[Applicant], render: ReminderView
) -> list[tuple[Applicant, Sequence[Send]]]:
    """The reminders of one chunk (CPU only: run off the event loop)."""
    rows = []
    for applicant in chunk:
        outcome = _outcome(notice, applicant.answers)
        if outcome is None or not outcome.has_checklist:
            continue  # turned away: no reminders
        if slot.deadline_id not in {d.id for d in outcome.deadlines}:
            continue
        rows.append((applicant, render(notice, outcome, slot.deadline_id, today, applicant.ticks, applicant.locale)))
    return rows


def _enqueue_rows(
    db: sqlite3.Connection, ref: str, rows: list[tuple[Applicant, Sequence[Send]]], now: dt.datetime
) -> int:
    return sum(
        outbox.enqueue(
            db, kind="reminder", ref=ref, chat_id=a.chat_id, user_id=a.user_id, messages=m, not_before=now, now=now
        )
        for a, m in rows
    )


async def run_due_reminders(
    storage: Storage,
    notices: Sequence[Notice],
    now: dt.datetime,
    render: ReminderView,
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
        settled = await storage.atomically(settled_slots, notice.id)
        for slot in notice_schedule(notice, offsets=offsets, at=at):
            key = (slot.deadline_id, slot.days_before)
            if key in settled or slot.send_at > now:
                continue
            name = reminder_ref(notice.id, *key)
            status, queued = "done", 0
            if now - slot.send_at > grace:
                status = "skipped"
                log.warning(
                    "reminder %s due at %s skipped: the bot was not running within the grace window of %s",
                    name,
                    slot.send_at.isoformat(),
                    grace,
                )
                report.slots_skipped.append(name)
            else:
                queued = await _enqueue_slot(storage, notice, slot, now, render, chunk, report)
                log.info("reminder %s queued for %d applicants", name, queued)
                report.slots_done.append(name)
            await storage.atomically(
                settle_slot, notice.id, slot.deadline_id, slot.days_before, slot.send_at, status, queued, now
            )
    return report


async def _enqueue_slot(
    storage: Storage,
    notice: Notice,
    slot: Reminder,
    now: dt.datetime,
    render: ReminderView,
    chunk: int,
    report: RunReport,
) -> int:
    today = slot.last_day - dt.timedelta(days=slot.days_before)
    ref = reminder_ref(notice.id, slot.deadline_id, slot.days_before)
    queued = 0
    after = 0
    while True:
        part = await storage.atomically(applicants, notice.id, after, chunk)
        if not part:
            return queued
        after = part[-1].user_id
        rows = await asyncio.to_thread(render_chunk, notice, slot, today, part, render)
        report.applicants += len(part)
        queued += await storage.atomically(_enqueue_rows, ref, rows, now)
        report.enqueued += len(rows)
