"""Broadcasts of the contact persons: a message (formatted text, or a copy of a message or
document) to an audience, now or at a set time, delivered through the outbox at bulk priority.

A broadcast is `scheduled` until its time, then `queued` (one outbox row per recipient, in chunks
of short transactions; queuing again after a crash adds no row twice), then `done` when no row is
pending, or `cancelled` (its pending rows are cancelled with it). The chat wizard and the command
line (`zhicheng-bot broadcast`) both create broadcasts here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot import outbox
from bot.office import audit
from bot.population import Audience, load_applicants, select
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


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


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


def _broadcast(row: Sequence[Any]) -> Broadcast:
    return Broadcast(row[0], row[1], row[2], dt.datetime.fromisoformat(row[3]), Audience.from_json(row[4]),
                     outbox.decode(row[5]), row[6], row[7], row[8])


_COLUMNS = "id, author_id, author_chat, scheduled_at, audience, payload, status, recipients, progress_message"


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
        "INSERT INTO broadcasts (author_id, author_chat, created_at, scheduled_at, audience, payload, status) "
        "VALUES (?, ?, ?, ?, ?, ?, 'scheduled')",
        (author_id, author_chat, _iso(now), _iso(at), audience.to_json(), outbox.encode(messages)),
    )
    broadcast_id = int(cursor.lastrowid or 0)
    await audit(db, author_id, "broadcast.create", now, recipients=recipients, broadcast=broadcast_id,
                audience=json.loads(audience.to_json()), scheduled_at=_iso(at))
    return broadcast_id


async def get(db: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    rows = list(await db.execute_fetchall(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)))
    return _broadcast(rows[0]) if rows else None


async def listing(db: aiosqlite.Connection, limit: int = 20) -> list[Broadcast]:
    rows = await db.execute_fetchall(f"SELECT {_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))
    return [_broadcast(r) for r in rows]


async def set_progress_message(db: aiosqlite.Connection, broadcast_id: int, message_id: int) -> None:
    await db.execute("UPDATE broadcasts SET progress_message = ? WHERE id = ?", (message_id, broadcast_id))


async def cancel(db: aiosqlite.Connection, broadcast_id: int, actor_id: int, now: dt.datetime) -> int:
    """Cancel a broadcast and withdraw its messages not yet sent. Returns how many were withdrawn."""
    await db.execute(
        "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status IN ('scheduled', 'queued')",
        (broadcast_id,),
    )
    cursor = await db.execute(
        "UPDATE outbox SET status = 'cancelled', last_error = 'broadcast cancelled' "
        "WHERE kind = 'broadcast' AND ref = ? AND status = 'pending'",
        (str(broadcast_id),),
    )
    await audit(db, actor_id, "broadcast.cancel", now, broadcast=broadcast_id, withdrawn=cursor.rowcount)
    return cursor.rowcount


async def progress(db: aiosqlite.Connection, broadcast_id: int) -> dict[str, int]:
    """The broadcast's rows by status: sent, failed, pending (waiting), sending, cancelled."""
    rows = await db.execute_fetchall(
        "SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' AND ref = ? GROUP BY status",
        (str(broadcast_id),),
    )
    return {status: count for status, count in rows}


async def queue_due(
    transaction: Callable[[], Any],
    notices: Mapping[str, Notice],
    now: dt.datetime,
    *,
    chunk: int = CHUNK,
) -> list[int]:
    """Queue every broadcast whose time has come: one outbox row per recipient. Returns their ids."""
    async with transaction() as db:
        rows = await db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ? ORDER BY id",
            (_iso(now),),
        )
    queued = []
    for broadcast in [_broadcast(r) for r in rows]:
        async with transaction() as db:
            recipients = select(await load_applicants(db, notices), broadcast.audience)
        for start in range(0, len(recipients), chunk):
            async with transaction() as db:
                current = await get(db, broadcast.id)
                if current is None or current.status != "scheduled":
                    break  # cancelled meanwhile
                for a in recipients[start : start + chunk]:
                    await outbox.enqueue(db, kind="broadcast", ref=str(broadcast.id), chat_id=a.chat_id,
                                         user_id=a.user_id, messages=broadcast.messages, not_before=now, now=now)
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
