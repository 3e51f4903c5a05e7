"""SQLite storage through aiosqlite: WAL, migrations recorded in applied_migrations,
one transaction per update. Nothing is pickled; every value is a plain column."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.broadcasts import m007_broadcasts, m009_broadcast_progress
from bot.office import m006_contacts_and_audit
from bot.outbox import m004_outbox
from bot.reminders import m005_reminders
from bot.unanswered import m011_unanswered_questions
from bot.units import delete_user_rows as delete_unit_rows
from bot.units import m010_units_hr_invitations_links

Migration = Callable[[aiosqlite.Connection], Awaitable[None]]
PROCESSED_UPDATES_KEPT = 10_000


async def _script(db: aiosqlite.Connection, sql: str) -> None:
    """Run DDL statements inside the migration's transaction (executescript would commit it)."""
    for statement in sql.split(";"):
        if statement.strip():
            await db.execute(statement)


async def m001_users_interviews_answers_ticks(db: aiosqlite.Connection) -> None:
    await _script(db,
        """
        CREATE TABLE users (
            user_id     INTEGER PRIMARY KEY,
            chat_id     INTEGER NOT NULL,
            locale      TEXT,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE TABLE interviews (
            user_id          INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
            notice_id        TEXT NOT NULL,
            current_question TEXT,            -- NULL: finished (the outcome is shown)
            started          INTEGER NOT NULL DEFAULT 0,
            updated_at       TEXT NOT NULL
        );
        CREATE TABLE answers (
            user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            option_id   TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            PRIMARY KEY (user_id, question_id)
        );
        CREATE TABLE ticks (
            user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
            item_id     TEXT NOT NULL,
            ticked_at   TEXT NOT NULL,
            PRIMARY KEY (user_id, item_id)
        );
        """
    )


async def m002_processed_updates(db: aiosqlite.Connection) -> None:
    await _script(db,
        """
        CREATE TABLE processed_updates (
            update_id    INTEGER PRIMARY KEY,
            processed_at TEXT NOT NULL
        );
        """
    )


async def m003_pending_deletion(db: aiosqlite.Connection) -> None:
    await db.execute("ALTER TABLE users ADD COLUMN delete_requested_at TEXT")


async def m008_awaited_input(db: aiosqlite.Connection) -> None:
    """What the user's next typed message is for (a wizard's step) and the wizard's draft."""
    await db.execute("ALTER TABLE users ADD COLUMN awaiting TEXT")
    await db.execute("ALTER TABLE users ADD COLUMN awaiting_data TEXT")  # JSON


T = TypeVar("T")

MIGRATIONS: tuple[Migration, ...] = (
    m001_users_interviews_answers_ticks,
    m002_processed_updates,
    m003_pending_deletion,
    m004_outbox,
    m005_reminders,
    m006_contacts_and_audit,
    m007_broadcasts,
    m008_awaited_input,
    m009_broadcast_progress,
    m010_units_hr_invitations_links,
    m011_unanswered_questions,
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
    exists: bool = False

    def snapshot(self) -> UserState:
        """A copy to compare with after the update (what changed is what gets written)."""
        return replace(self, answers=dict(self.answers), ticks=set(self.ticks),
                       awaiting_data=json.loads(json.dumps(self.awaiting_data)))

    def await_input(self, key: str | None, **data: Any) -> None:
        """Wait for the input `key` (None: wait for nothing), with the feature's draft."""
        self.awaiting = key
        self.awaiting_data = dict(data) if key is not None else {}


# --- one user's rows, on a sqlite3 connection inside a transaction (the database thread) ---


def first_time_update(db: sqlite3.Connection, update_id: int) -> bool:
    """Record an update id; False if it was processed before (a repeated delivery)."""
    cur = db.execute(
        "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)", (update_id, _now())
    )
    if cur.rowcount == 0:
        return False
    if update_id % 1000 == 0:
        db.execute(
            "DELETE FROM processed_updates WHERE update_id < ?", (update_id - PROCESSED_UPDATES_KEPT,)
        )
    return True


def load_user(db: sqlite3.Connection, user_id: int, chat_id: int) -> UserState:
    """The user's whole state in one query."""
    rows = db.execute(
        "SELECT u.locale, u.delete_requested_at, u.awaiting, u.awaiting_data, "
        "i.notice_id, i.current_question, i.started, "
        "(SELECT json_group_object(question_id, option_id) FROM answers a WHERE a.user_id = u.user_id), "
        "(SELECT json_group_array(item_id) FROM ticks t WHERE t.user_id = u.user_id), "
        "(SELECT enabled FROM reminder_settings r WHERE r.user_id = u.user_id) "
        "FROM users u LEFT JOIN interviews i ON i.user_id = u.user_id WHERE u.user_id = ?",
        (user_id,),
    ).fetchall()
    state = UserState(user_id=user_id, chat_id=chat_id)
    for locale, delete_requested_at, awaiting, awaiting_data, notice_id, current, started, answers, ticks, \
            reminders in rows:
        state.exists = True
        state.awaiting = awaiting
        state.awaiting_data = json.loads(awaiting_data) if awaiting_data else {}
        state.reminders_on = reminders is None or bool(reminders)
        state.locale, state.delete_requested_at = locale, delete_requested_at
        state.notice_id, state.current_question, state.started = notice_id, current, bool(started)
        state.answers = json.loads(answers) if answers else {}
        state.ticks = set(json.loads(ticks)) if ticks else set()
    return state


def save_user(db: sqlite3.Connection, state: UserState, before: UserState | None = None) -> None:
    """Write what changed since `before` (everything when there is no `before`)."""
    now = _now()
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
    reminders_changed = state.reminders_on != (before.reminders_on if before is not None else True)
    if reminders_changed:
        db.execute(
            "INSERT INTO reminder_settings (user_id, enabled, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
            (state.user_id, int(state.reminders_on), now),
        )
        if not state.reminders_on:  # withdraw the reminders already queued
            db.execute("UPDATE outbox SET status = 'cancelled', last_error = 'reminders turned off' "
                       "WHERE user_id = ? AND kind = 'reminder' AND status = 'pending'", (state.user_id,))
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


def delete_user(db: sqlite3.Connection, user_id: int) -> None:
    """Delete every row of a user: answers, ticks, interview, reminder setting, queued messages, the
    link to a unit and HR rights."""
    for table in ("answers", "ticks", "interviews", "reminder_settings", "outbox", "users"):
        db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
    delete_unit_rows(db, user_id)


class Storage:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        # One connection: transactions (updates, jobs) take turns.
        self._lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> Storage:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._db.execute("PRAGMA busy_timeout=5000")
        await self.migrate()
        return self

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded, each in its own transaction."""
        db = self.db
        await db.execute(
            "CREATE TABLE IF NOT EXISTS applied_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        async with db.execute("SELECT name FROM applied_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        applied = []
        for migration in MIGRATIONS:
            if migration.__name__ in done:
                continue
            await db.execute("BEGIN IMMEDIATE")
            try:
                await migration(db)
                await db.execute("INSERT INTO applied_migrations VALUES (?, ?)", (migration.__name__, _now()))
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            applied.append(migration.__name__)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            db = self.db
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            else:
                await db.execute("COMMIT")

    # --- the operations below run inside a transaction opened by the caller ---

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        """fn(connection, *args) on the database thread, in one round trip."""
        db = self.db
        result: T = await db._execute(fn, db._conn, *args)  # type: ignore[no-untyped-call]  # aiosqlite's own thread and connection
        return result

    async def first_time_update(self, update_id: int) -> bool:
        """Record an update id; False if it was processed before (a repeated delivery)."""
        return await self._run(first_time_update, update_id)

    async def load_user(self, user_id: int, chat_id: int) -> UserState:
        """The user's whole state in one query."""
        return await self._run(load_user, user_id, chat_id)

    async def save_user(self, state: UserState, before: UserState | None = None) -> None:
        """Write what changed since `before` (everything when there is no `before`)."""
        await self._run(save_user, state, before)

    async def delete_user(self, user_id: int) -> None:
        """Delete every row of a user (see delete_user)."""
        await self._run(delete_user, user_id)

    async def atomically(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """work(connection) in one transaction, run on the database thread in one round trip.

        The functions of this module (load_user, save_user …) are what `work` calls. Nothing
        else waits on the event loop while the transaction is open, so it lasts as long as
        the work itself, however busy the bot is.
        """

        def in_transaction(connection: sqlite3.Connection) -> T:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

        async with self._lock:
            return await self._run(in_transaction)
