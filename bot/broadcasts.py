"""Broadcasts of the contact persons: a message (formatted text, or a copy of a message or
document) to an audience, now or at a set time, delivered through the outbox at bulk priority.

A broadcast is `scheduled` until its time, then `queued` (one outbox row per recipient, in chunks
of short transactions; queuing again after a crash adds no row twice), then `done` when no row is
pending, or `cancelled` (its pending rows are cancelled with it). The chat wizard and the command
line (`zhicheng-bot broadcast`) both create broadcasts here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot import outbox
from bot.office import audit, audit_sync
from bot.population import Audience, applicant_rows, applicants_of, select
from knowledge.model import Notice

CHUNK = 500


async def m007_broadcasts(db: aiosqlite.Connection) -> None:
    await db.execute(
        """
        CREATE TABLE broadcasts (
            id            INTEGER PRIMARY KEY,
            author_id     INTEGER NOT NULL,
            author_chat   INTEGER,
            created_at    TEXT NOT NULL,
            scheduled_at  TEXT NOT NULL,
            audience      TEXT NOT NULL,   -- JSON (bot.population.Audience)
            payload       TEXT NOT NULL,   -- JSON (bot.outbox.encode)
            status        TEXT NOT NULL,   -- scheduled, queued, done, cancelled
            recipients    INTEGER,
            progress_message INTEGER       -- the author's message that shows progress, edited in place
        )
        """
    )


async def m009_broadcast_progress(db: aiosqlite.Connection) -> None:
    """Whether the progress message shows the broadcast's end (done or cancelled) yet."""
    await db.execute("ALTER TABLE broadcasts ADD COLUMN progress_final INTEGER NOT NULL DEFAULT 0")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


OPEN = ("scheduled", "queued")  # the states a broadcast can still be cancelled in


@dataclass(frozen=True)
class Broadcast:
    id: int
    author_id: int
    author_chat: int | None
    scheduled_at: dt.datetime
    audience: Audience
    messages: list[outbox.Message]
    status: str
    recipients: int | None
    progress_message: int | None
    created_at: dt.datetime | None = None
    progress_final: bool = False


@dataclass(frozen=True)
class Tally:
    """A broadcast's outbox rows as its author sees them."""

    sent: int = 0
    failed: int = 0  # given up, or the chat blocked the bot
    waiting: int = 0  # pending or being sent
    withdrawn: int = 0  # cancelled with the broadcast

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.waiting + self.withdrawn


def _broadcast(row: Sequence[Any]) -> Broadcast:
    return Broadcast(row[0], row[1], row[2], dt.datetime.fromisoformat(row[3]), Audience.from_json(row[4]),
                     outbox.decode(row[5]), row[6], row[7], row[8], dt.datetime.fromisoformat(row[9]), bool(row[10]))


# The SQL below is shared by the async functions (sender, command line) and their *_sync twins
# (the chat's steps, inside the update's transaction).
_COLUMNS = ("id, author_id, author_chat, scheduled_at, audience, payload, status, recipients, progress_message, "
            "created_at, progress_final")
_INSERT = ("INSERT INTO broadcasts (author_id, author_chat, created_at, scheduled_at, audience, payload, status) "
           "VALUES (?, ?, ?, ?, ?, ?, 'scheduled')")
_GET = f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?"
_LISTING = f"SELECT {_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?"
_SET_PROGRESS = "UPDATE broadcasts SET progress_message = ? WHERE id = ?"
_CANCEL = f"UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status IN {OPEN}"
_WITHDRAW = ("UPDATE outbox SET status = 'cancelled', last_error = 'broadcast cancelled' "
             "WHERE kind = 'broadcast' AND ref = ? AND status = 'pending'")
_TALLY = (
    "SELECT CASE WHEN status IN ('pending', 'sending') THEN 'waiting' WHEN status = 'sent' THEN 'sent' "
    "WHEN status = 'failed' OR last_error = 'unreachable' THEN 'failed' ELSE 'withdrawn' END, COUNT(*) "
    "FROM outbox WHERE kind = 'broadcast' AND ref = ? GROUP BY 1"
)


def _created(author_id: int, at: dt.datetime, now: dt.datetime, audience: Audience,
             broadcast_id: int) -> tuple[str, dict[str, Any]]:
    """The audit entry of a new broadcast: sent now ("broadcast.create") or later ("broadcast.schedule")."""
    action = "broadcast.schedule" if at > now else "broadcast.create"
    return action, {"broadcast": broadcast_id, "audience": json.loads(audience.to_json()), "scheduled_at": _iso(at)}


async def create(
    db: aiosqlite.Connection,
    *,
    author_id: int,
    author_chat: int | None,
    audience: Audience,
    messages: Sequence[outbox.Message],
    at: dt.datetime,
    now: dt.datetime,
    recipients: int,
) -> int:
    """Store a broadcast to be queued at `at` (now or later) and audit it. Returns its id."""
    cursor = await db.execute(
        _INSERT, (author_id, author_chat, _iso(now), _iso(at), audience.to_json(), outbox.encode(messages)))
    broadcast_id = int(cursor.lastrowid or 0)
    action, detail = _created(author_id, at, now, audience, broadcast_id)
    await audit(db, author_id, action, now, recipients=recipients, **detail)
    return broadcast_id


def create_sync(db: sqlite3.Connection, *, author_id: int, author_chat: int | None, audience: Audience,
                messages: Sequence[outbox.Message], at: dt.datetime, now: dt.datetime, recipients: int) -> int:
    cursor = db.execute(
        _INSERT, (author_id, author_chat, _iso(now), _iso(at), audience.to_json(), outbox.encode(messages)))
    broadcast_id = int(cursor.lastrowid or 0)
    action, detail = _created(author_id, at, now, audience, broadcast_id)
    audit_sync(db, author_id, action, now, recipients=recipients, **detail)
    return broadcast_id


async def get(db: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    rows = list(await db.execute_fetchall(_GET, (broadcast_id,)))
    return _broadcast(rows[0]) if rows else None


def get_sync(db: sqlite3.Connection, broadcast_id: int) -> Broadcast | None:
    row = db.execute(_GET, (broadcast_id,)).fetchone()
    return _broadcast(row) if row else None


async def listing(db: aiosqlite.Connection, limit: int = 20) -> list[Broadcast]:
    return [_broadcast(r) for r in await db.execute_fetchall(_LISTING, (limit,))]


def listing_sync(db: sqlite3.Connection, limit: int = 20) -> list[Broadcast]:
    return [_broadcast(r) for r in db.execute(_LISTING, (limit,))]


async def set_progress_message(db: aiosqlite.Connection, broadcast_id: int, message_id: int) -> None:
    await db.execute(_SET_PROGRESS, (message_id, broadcast_id))


def set_progress_message_sync(db: sqlite3.Connection, broadcast_id: int, message_id: int) -> None:
    db.execute(_SET_PROGRESS, (message_id, broadcast_id))


_SET_FINAL = "UPDATE broadcasts SET progress_final = 1 WHERE id = ?"


async def set_progress_final(db: aiosqlite.Connection, broadcast_id: int) -> None:
    await db.execute(_SET_FINAL, (broadcast_id,))


def set_progress_final_sync(db: sqlite3.Connection, broadcast_id: int) -> None:
    db.execute(_SET_FINAL, (broadcast_id,))


async def showing_progress(db: aiosqlite.Connection) -> list[Broadcast]:
    """Broadcasts whose progress message the sender keeps up to date: those being sent, and
    those ended (done, cancelled) whose message does not show the end yet."""
    rows = await db.execute_fetchall(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE progress_message IS NOT NULL AND author_chat IS NOT NULL "
        "AND (status = 'queued' OR (status IN ('done', 'cancelled') AND progress_final = 0)) ORDER BY id")
    return [_broadcast(r) for r in rows]


async def cancel(db: aiosqlite.Connection, broadcast_id: int, actor_id: int, now: dt.datetime) -> int:
    """Cancel a broadcast and withdraw its messages not yet sent. Returns how many were withdrawn."""
    await db.execute(_CANCEL, (broadcast_id,))
    cursor = await db.execute(_WITHDRAW, (str(broadcast_id),))
    await audit(db, actor_id, "broadcast.cancel", now, broadcast=broadcast_id, withdrawn=cursor.rowcount)
    return cursor.rowcount


def cancel_sync(db: sqlite3.Connection, broadcast_id: int, actor_id: int, now: dt.datetime) -> int | None:
    """Cancel a broadcast that is still scheduled or queued; None if it is not (done, cancelled
    before, unknown), in which case nothing changes and nothing is audited."""
    if db.execute(_CANCEL, (broadcast_id,)).rowcount != 1:
        return None
    withdrawn = db.execute(_WITHDRAW, (str(broadcast_id),)).rowcount
    audit_sync(db, actor_id, "broadcast.cancel", now, broadcast=broadcast_id, withdrawn=withdrawn)
    return withdrawn


async def progress(db: aiosqlite.Connection, broadcast_id: int) -> dict[str, int]:
    """The broadcast's rows by status: sent, failed, pending (waiting), sending, cancelled."""
    rows = await db.execute_fetchall(
        "SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' AND ref = ? GROUP BY status",
        (str(broadcast_id),),
    )
    return {status: count for status, count in rows}


async def tally(db: aiosqlite.Connection, broadcast_id: int) -> Tally:
    return Tally(**{k: v for k, v in await db.execute_fetchall(_TALLY, (str(broadcast_id),))})


def tally_sync(db: sqlite3.Connection, broadcast_id: int) -> Tally:
    return Tally(**{k: v for k, v in db.execute(_TALLY, (str(broadcast_id),))})


async def queue_due(
    transaction: Callable[[], Any],
    notices: Mapping[str, Notice],
    now: dt.datetime,
    *,
    chunk: int = CHUNK,
    contact_ids: Collection[int] = (),
) -> list[int]:
    """Queue every broadcast whose time has come: one outbox row per recipient (contact persons,
    `contact_ids` of the settings and those added in the chat, are no recipients). Returns their ids."""
    async with transaction() as db:
        rows = await db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ? ORDER BY id",
            (_iso(now),),
        )
    queued = []
    for broadcast in [_broadcast(r) for r in rows]:
        async with transaction() as db:
            rows = await applicant_rows(db)
        # Outcomes are worked out off the event loop and outside the transaction: replies go on meanwhile.
        recipients = select(await asyncio.to_thread(applicants_of, rows, notices, contact_ids), broadcast.audience)
        for start in range(0, len(recipients), chunk):
            async with transaction() as db:
                current = await get(db, broadcast.id)
                if current is None or current.status != "scheduled":
                    break  # cancelled meanwhile
                part = recipients[start : start + chunk]
                await outbox.enqueue_many(db, kind="broadcast", ref=str(broadcast.id),
                                          recipients=[(a.chat_id, a.user_id) for a in part],
                                          messages=broadcast.messages, not_before=now, now=now)
        async with transaction() as db:
            cursor = await db.execute(
                "UPDATE broadcasts SET status = 'queued', recipients = "
                "(SELECT COUNT(*) FROM outbox WHERE kind = 'broadcast' AND ref = ?) "
                "WHERE id = ? AND status = 'scheduled'",
                (str(broadcast.id), broadcast.id),
            )
        if cursor.rowcount:
            queued.append(broadcast.id)
    return queued


async def settle(db: aiosqlite.Connection) -> list[int]:
    """Mark queued broadcasts with nothing left to send as done. Returns their ids."""
    rows = await db.execute_fetchall(
        "SELECT id FROM broadcasts b WHERE status = 'queued' AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.kind = 'broadcast' AND o.ref = CAST(b.id AS TEXT) "
        "AND o.status IN ('pending', 'sending'))"
    )
    done = [r[0] for r in rows]
    if done:
        await db.executemany("UPDATE broadcasts SET status = 'done' WHERE id = ?", [(i,) for i in done])
    return done
