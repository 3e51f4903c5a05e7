"""One user's rows: the state the conversation needs, loaded in one query and saved as the
difference from what was loaded, inside the update's transaction (Storage.atomically)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field, replace
from typing import Any

from bot.store import summaries
from bot.store.times import iso, now_iso
from knowledge.model import Notice

PROCESSED_UPDATES_KEPT_FOR = dt.timedelta(days=2)  # Telegram redelivers an update within a day at most
TRIM_EVERY = 1000  # processed_updates is trimmed at every 1000th update id


@dataclass
class UserState:
    """Everything the conversation needs to know about one user."""

    user_id: int
    chat_id: int
    locale: str | None = None
    notice_id: str | None = None
    current_question: str | None = None
    started: bool = False
    answers: dict[str, str] = field(default_factory=dict)
    ticks: set[str] = field(default_factory=set)
    delete_requested_at: str | None = None  # /delete_me shown, awaiting its confirmation
    reminders_on: bool = True  # reminders before deadlines (on by default)
    awaiting: str | None = None  # the key of the input a feature awaits (Registry.on_awaited)
    awaiting_data: dict[str, Any] = field(default_factory=dict)  # that feature's draft (JSON)
    unreachable: bool = False  # the chat blocked the bot (bot.delivery.outbox); cleared when the user writes
    exists: bool = False

    def snapshot(self) -> UserState:
        """A copy to compare with after the update (what changed is what gets written)."""
        return replace(
            self,
            answers=dict(self.answers),
            ticks=set(self.ticks),
            awaiting_data=json.loads(json.dumps(self.awaiting_data)),
        )

    def await_input(self, key: str | None, **data: Any) -> None:
        """Wait for the input `key` (None: wait for nothing), with the feature's draft."""
        self.awaiting = key
        self.awaiting_data = dict(data) if key is not None else {}

    def interview_changed(self, before: UserState | None) -> bool:
        """Whether what the applicant summary is made of (notice, position, answers, ticks) changed."""
        if before is None:
            return True
        return (self.notice_id, self.current_question, self.started, self.answers, self.ticks) != (
            before.notice_id,
            before.current_question,
            before.started,
            before.answers,
            before.ticks,
        )


def summary(state: UserState, notice: Notice | None) -> summaries.Summary:
    """The applicant summary of this state under its notice (None: the notice is not loaded)."""
    assert state.notice_id is not None
    return summaries.summary_of(notice, state.notice_id, state.current_question is None, state.answers, state.ticks)


def first_time_update(db: sqlite3.Connection, update_id: int) -> bool:
    """Record an update id; False if it was processed before (a repeated delivery). Every
    TRIM_EVERY ids, the ids older than PROCESSED_UPDATES_KEPT_FOR are forgotten."""
    now = dt.datetime.now(dt.UTC)
    cur = db.execute(
        "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)", (update_id, iso(now))
    )
    if cur.rowcount == 0:
        return False
    if update_id % TRIM_EVERY == 0:
        db.execute("DELETE FROM processed_updates WHERE processed_at < ?", (iso(now - PROCESSED_UPDATES_KEPT_FOR),))
    return True


def load_user(db: sqlite3.Connection, user_id: int, chat_id: int) -> UserState:
    """The user's whole state in one query."""
    rows = db.execute(
        "SELECT u.locale, u.delete_requested_at, u.awaiting, u.awaiting_data, "
        "i.notice_id, i.current_question, i.started, "
        "(SELECT json_group_object(question_id, option_id) FROM answers a WHERE a.user_id = u.user_id), "
        "(SELECT json_group_array(item_id) FROM ticks t WHERE t.user_id = u.user_id), "
        "(SELECT enabled FROM reminder_settings r WHERE r.user_id = u.user_id), "
        "EXISTS (SELECT 1 FROM unreachable_chats c WHERE c.chat_id = u.chat_id) "
        "FROM users u LEFT JOIN interviews i ON i.user_id = u.user_id WHERE u.user_id = ?",
        (user_id,),
    ).fetchall()
    state = UserState(user_id=user_id, chat_id=chat_id)
    for (
        locale,
        delete_requested_at,
        awaiting,
        awaiting_data,
        notice_id,
        current,
        started,
        answers,
        ticks,
        reminders,
        unreachable,
    ) in rows:
        state.exists = True
        state.awaiting = awaiting
        state.awaiting_data = json.loads(awaiting_data) if awaiting_data else {}
        state.reminders_on = reminders is None or bool(reminders)
        state.locale, state.delete_requested_at = locale, delete_requested_at
        state.notice_id, state.current_question, state.started = notice_id, current, bool(started)
        state.answers = json.loads(answers) if answers else {}
        state.ticks = set(json.loads(ticks)) if ticks else set()
        state.unreachable = bool(unreachable)
    return state


def save_user(
    db: sqlite3.Connection, state: UserState, before: UserState | None = None, summary: summaries.Summary | None = None
) -> None:
    """Write what changed since `before` (everything when there is no `before`), and the applicant
    summary when one is given (bot.store.summaries)."""
    now = now_iso()

    def row(s: UserState) -> tuple[object, ...]:
        draft = json.dumps(s.awaiting_data, ensure_ascii=False, sort_keys=True) if s.awaiting_data else None
        return (s.chat_id, s.locale, s.delete_requested_at, s.awaiting, draft)

    user = row(state)
    old = row(before) if before is not None else None
    if user != old:
        db.execute(
            "INSERT INTO users (user_id, chat_id, locale, delete_requested_at, awaiting, awaiting_data, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET "
            "chat_id = excluded.chat_id, locale = excluded.locale, "
            "delete_requested_at = excluded.delete_requested_at, awaiting = excluded.awaiting, "
            "awaiting_data = excluded.awaiting_data, updated_at = excluded.updated_at",
            (state.user_id, *user, now, now),
        )
    if before is not None and before.unreachable and not state.unreachable:
        set_reachable(db, state.chat_id)
    reminders_changed = state.reminders_on != (before.reminders_on if before is not None else True)
    if reminders_changed:
        db.execute(
            "INSERT INTO reminder_settings (user_id, enabled, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
            (state.user_id, int(state.reminders_on), now),
        )
        if not state.reminders_on:  # withdraw the reminders already queued
            db.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = 'reminders turned off' "
                "WHERE user_id = ? AND kind = 'reminder' AND status = 'pending'",
                (state.user_id,),
            )
    interview = (state.notice_id, state.current_question, state.started)
    if state.notice_id is not None and (
        before is None or interview != (before.notice_id, before.current_question, before.started)
    ):
        db.execute(
            "INSERT INTO interviews (user_id, notice_id, current_question, started, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET notice_id = excluded.notice_id, "
            "current_question = excluded.current_question, started = excluded.started, "
            "updated_at = excluded.updated_at",
            (state.user_id, state.notice_id, state.current_question, int(state.started), now),
        )
    old_answers = before.answers if before is not None else {}
    if before is None or (old_answers and not state.answers):
        db.execute("DELETE FROM answers WHERE user_id = ?", (state.user_id,))
        old_answers = {}
    removed = [(state.user_id, q) for q in old_answers.keys() - state.answers.keys()]
    if removed:
        db.executemany("DELETE FROM answers WHERE user_id = ? AND question_id = ?", removed)
    changed = [(state.user_id, q, o, now) for q, o in state.answers.items() if old_answers.get(q) != o]
    if changed:
        db.executemany(
            "INSERT OR REPLACE INTO answers (user_id, question_id, option_id, answered_at) VALUES (?, ?, ?, ?)",
            changed,
        )
    old_ticks = before.ticks if before is not None else set()
    if before is None:
        db.execute("DELETE FROM ticks WHERE user_id = ?", (state.user_id,))
    unticked = [(state.user_id, item) for item in old_ticks - state.ticks]
    if unticked:
        db.executemany("DELETE FROM ticks WHERE user_id = ? AND item_id = ?", unticked)
    ticked = [(state.user_id, item, now) for item in state.ticks - old_ticks]
    if ticked:
        db.executemany("INSERT OR IGNORE INTO ticks (user_id, item_id, ticked_at) VALUES (?, ?, ?)", ticked)
    if summary is not None:
        summaries.write(db, state.user_id, state.chat_id, summary)


# Every table with a user's rows, and its column naming the user.
USER_ROWS = (
    ("answers", "user_id"),
    ("ticks", "user_id"),
    ("interviews", "user_id"),
    ("reminder_settings", "user_id"),
    ("outbox", "user_id"),
    ("applicant_summaries", "user_id"),
    ("applicant_units", "user_id"),
    ("unit_hr", "user_id"),
    ("upload_years", "user_id"),
    ("users", "user_id"),
)


def delete_user(db: sqlite3.Connection, user_id: int) -> None:
    """Delete every row of a user: answers, ticks, interview, summary, reminder setting, queued
    messages, the link to a unit, HR rights and the years confirmed after checks of uploads."""
    for table, column in USER_ROWS:
        db.execute(f"DELETE FROM {table} WHERE {column} = ?", (user_id,))


def set_reachable(db: sqlite3.Connection, chat_id: int) -> None:
    """The user wrote to the bot again, or Telegram reported it unblocked."""
    db.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (chat_id,))


def set_unreachable(db: sqlite3.Connection, chat_id: int, now: dt.datetime) -> None:
    """The user blocked the bot: record it and cancel everything still queued for the chat."""
    db.execute("INSERT OR IGNORE INTO unreachable_chats (chat_id, since) VALUES (?, ?)", (chat_id, iso(now)))
    db.execute(
        "UPDATE outbox SET status = 'cancelled', last_error = 'unreachable' "
        "WHERE chat_id = ? AND status IN ('pending', 'sending')",
        (chat_id,),
    )


def locale_of(db: sqlite3.Connection, user_id: int) -> str | None:
    row = db.execute("SELECT locale FROM users WHERE user_id = ?", (user_id,)).fetchone()
    return str(row[0]) if row and row[0] else None
