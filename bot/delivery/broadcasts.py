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
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.delivery import outbox
from bot.store import population
from bot.store.audit import audit
from bot.store.population import Audience
from bot.store.population import Tally as Tally  # a broadcast's figures, counted as /stats counts them
from bot.store.times import iso

if TYPE_CHECKING:
    from bot.store.storage import Storage

KIND = "broadcast"  # the outbox kind of a broadcast's messages
CHUNK = 500
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


def _broadcast(row: Sequence[Any]) -> Broadcast:
    return Broadcast(
        row[0],
        row[1],
        row[2],
        dt.datetime.fromisoformat(row[3]),
        Audience.from_json(row[4]),
        outbox.decode(row[5]),
        row[6],
        row[7],
        row[8],
        dt.datetime.fromisoformat(row[9]),
        bool(row[10]),
    )


_COLUMNS = (
    "id, author_id, author_chat, scheduled_at, audience, payload, status, recipients, progress_message, "
    "created_at, progress_final"
)
_INSERT = (
    "INSERT INTO broadcasts (author_id, author_chat, created_at, scheduled_at, audience, payload, status) "
    "VALUES (?, ?, ?, ?, ?, ?, 'scheduled')"
)
_GET = f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?"
_LISTING = f"SELECT {_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?"
_SET_PROGRESS = "UPDATE broadcasts SET progress_message = ? WHERE id = ?"
_CANCEL = "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status IN ('scheduled', 'queued')"
_WITHDRAW = (
    "UPDATE outbox SET status = 'cancelled', last_error = 'broadcast cancelled' "
    "WHERE kind = 'broadcast' AND ref = ? AND status = 'pending'"
)


def _created(at: dt.datetime, now: dt.datetime, audience: Audience, broadcast_id: int) -> tuple[str, dict[str, Any]]:
    """The audit entry of a new broadcast: sent now ("broadcast.create") or later ("broadcast.schedule")."""
    action = "broadcast.schedule" if at > now else "broadcast.create"
    return action, {"broadcast": broadcast_id, "audience": json.loads(audience.to_json()), "scheduled_at": iso(at)}


def create(
    db: sqlite3.Connection,
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
    cursor = db.execute(
        _INSERT, (author_id, author_chat, iso(now), iso(at), audience.to_json(), outbox.encode(messages))
    )
    broadcast_id = int(cursor.lastrowid or 0)
    action, detail = _created(at, now, audience, broadcast_id)
    audit(db, author_id, action, now, recipients=recipients, **detail)
    return broadcast_id


def get(db: sqlite3.Connection, broadcast_id: int) -> Broadcast | None:
    row = db.execute(_GET, (broadcast_id,)).fetchone()
    return _broadcast(row) if row else None


def listing(db: sqlite3.Connection, limit: int = 20) -> list[Broadcast]:
    return [_broadcast(r) for r in db.execute(_LISTING, (limit,))]


def set_progress_message(db: sqlite3.Connection, broadcast_id: int, message_id: int) -> None:
    db.execute("UPDATE broadcasts SET progress_message = ? WHERE id = ?", (message_id, broadcast_id))


def set_progress_final(db: sqlite3.Connection, broadcast_id: int) -> None:
    db.execute("UPDATE broadcasts SET progress_final = 1 WHERE id = ?", (broadcast_id,))


def showing_progress(db: sqlite3.Connection) -> list[Broadcast]:
    """Broadcasts whose progress message the sender keeps up to date: those being sent, and
    those ended (done, cancelled) whose message does not show the end yet."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE progress_message IS NOT NULL AND author_chat IS NOT NULL "
        "AND (status = 'queued' OR (status IN ('done', 'cancelled') AND progress_final = 0)) ORDER BY id"
    )
    return [_broadcast(r) for r in rows]


def cancel(db: sqlite3.Connection, broadcast_id: int, actor_id: int, now: dt.datetime) -> int | None:
    """Cancel a broadcast that is still scheduled or queued and withdraw its messages not yet sent;
    returns how many were withdrawn, or None if it is not open (done, cancelled before, unknown), in
    which case nothing changes and nothing is audited."""
    if db.execute(_CANCEL, (broadcast_id,)).rowcount != 1:
        return None
    withdrawn = db.execute(_WITHDRAW, (str(broadcast_id),)).rowcount
    audit(db, actor_id, "broadcast.cancel", now, broadcast=broadcast_id, withdrawn=withdrawn)
    return withdrawn


def progress(db: sqlite3.Connection, broadcast_id: int) -> dict[str, int]:
    """The broadcast's rows by status: sent, failed, pending (waiting), sending, cancelled."""
    rows = db.execute(
        "SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' AND ref = ? GROUP BY status", (str(broadcast_id),)
    )
    return {status: n for status, n in rows}


def tally(db: sqlite3.Connection, broadcast_id: int) -> Tally:
    """The broadcast's rows by outcome, counted as /stats counts them (bot.store.population.OUTCOME)."""
    return population.tally(db, KIND, str(broadcast_id))


def due(db: sqlite3.Connection, now: dt.datetime) -> list[Broadcast]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ? ORDER BY id", (iso(now),)
    )
    return [_broadcast(r) for r in rows]


def _queue_chunk(
    db: sqlite3.Connection,
    broadcast: Broadcast,
    contact_ids: Collection[int],
    after_user: int,
    chunk: int,
    now: dt.datetime,
) -> int | None:
    """Queue the next chunk of recipients after `after_user`; returns the last user id queued, or
    None when there are no more (or the broadcast was cancelled meanwhile)."""
    current = get(db, broadcast.id)
    if current is None or current.status != "scheduled":
        return None
    part = population.recipients(db, broadcast.audience, contact_ids, after_user=after_user, limit=chunk)
    if not part:
        return None
    outbox.enqueue_many(
        db, kind=KIND, ref=str(broadcast.id), recipients=part, messages=broadcast.messages, not_before=now, now=now
    )
    return part[-1][1]


def _mark_queued(db: sqlite3.Connection, broadcast_id: int) -> bool:
    cursor = db.execute(
        "UPDATE broadcasts SET status = 'queued', recipients = "
        "(SELECT COUNT(*) FROM outbox WHERE kind = 'broadcast' AND ref = ?) WHERE id = ? AND status = 'scheduled'",
        (str(broadcast_id), broadcast_id),
    )
    return cursor.rowcount == 1


async def queue_due(
    storage: Storage, now: dt.datetime, *, chunk: int = CHUNK, contact_ids: Collection[int] = ()
) -> list[int]:
    """Queue every broadcast whose time has come: one outbox row per recipient (contact persons,
    `contact_ids` of the settings and those added in the chat, are no recipients), a chunk per
    short transaction. Returns their ids."""
    queued = []
    for broadcast in await storage.atomically(due, now):
        after: int | None = 0
        while after is not None:
            after = await storage.atomically(_queue_chunk, broadcast, contact_ids, after, chunk, now)
        if await storage.atomically(_mark_queued, broadcast.id):
            queued.append(broadcast.id)
    return queued


def settle(db: sqlite3.Connection) -> list[int]:
    """Mark queued broadcasts with nothing left to send as done. Returns their ids."""
    rows = db.execute(
        "SELECT id FROM broadcasts b WHERE status = 'queued' AND NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.kind = 'broadcast' AND o.ref = CAST(b.id AS TEXT) "
        "AND o.status IN ('pending', 'sending'))"
    )
    done = [r[0] for r in rows]
    if done:
        db.executemany("UPDATE broadcasts SET status = 'done' WHERE id = ?", [(i,) for i in done])
    return done
