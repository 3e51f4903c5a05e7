"""The outbox: everything sent outside a reply (reminders, broadcasts) is first a row in SQLite,
then delivered by one sender at bulk priority through the shared rate limiter.

A row is `pending` until the sender claims it (`sending`), then `sent`, `failed` (given up, with
the error) or `cancelled`. Claiming, sending and recording happen in three steps with no
transaction held across the network call. After a crash, rows left `sending` are pending again:
at most the messages in flight at the crash (one claimed batch) can be sent twice; none is lost.
(kind, ref, chat_id) is unique, so enqueuing the same message twice stores it once.

A chat that blocked the bot (403 Forbidden) is recorded as unreachable: its pending rows are
cancelled and nothing more is queued for it. Network errors are retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.actions import Button, CopyMessage, Keyboard, Send

log = logging.getLogger("zhicheng.outbox")

MAX_ATTEMPTS = 6
BACKOFF_FIRST = dt.timedelta(seconds=5)
BACKOFF_MAX = dt.timedelta(minutes=10)
BATCH = 30  # rows claimed at once: the bound on duplicates after a crash


async def m004_outbox(db: aiosqlite.Connection) -> None:
    await db.execute(
        """
        CREATE TABLE outbox (
            id          INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL,              -- reminder, broadcast
            ref         TEXT NOT NULL,              -- what the row belongs to (a reminder's key, a broadcast id)
            chat_id     INTEGER NOT NULL,
            user_id     INTEGER,
            payload     TEXT NOT NULL,              -- JSON: the messages to send
            not_before  TEXT NOT NULL,              -- ISO UTC
            status      TEXT NOT NULL DEFAULT 'pending',
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  TEXT,
            created_at  TEXT NOT NULL,
            sent_at     TEXT,
            UNIQUE (kind, ref, chat_id)
        )
        """
    )
    await db.execute("CREATE INDEX outbox_due ON outbox (status, not_before)")
    await db.execute("CREATE TABLE unreachable_chats (chat_id INTEGER PRIMARY KEY, since TEXT NOT NULL)")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


Message = Send | CopyMessage


def encode(messages: Sequence[Message]) -> str:
    return json.dumps(
        [{"copy": [m.from_chat_id, m.message_id]} if isinstance(m, CopyMessage)
         else {"text": m.text, "keyboard": [[[b.label, b.data] for b in row] for row in m.keyboard or ()]}
         for m in messages],
        ensure_ascii=False,
    )


def decode(payload: str) -> list[Message]:
    result: list[Message] = []
    for message in json.loads(payload):
        if "copy" in message:
            result.append(CopyMessage(*message["copy"]))
            continue
        keyboard: Keyboard | None = tuple(
            tuple(Button(label, data) for label, data in row) for row in message["keyboard"]
        ) or None
        result.append(Send(message["text"], keyboard))
    return result


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    ref: str
    chat_id: int
    user_id: int | None
    messages: list[Message]
    attempts: int


async def enqueue(
    db: aiosqlite.Connection,
    *,
    kind: str,
    ref: str,
    chat_id: int,
    user_id: int | None,
    messages: Sequence[Message],
    not_before: dt.datetime,
    now: dt.datetime,
    status: str = "pending",
) -> bool:
    """Queue messages for a chat (inside the caller's transaction). False if the same (kind, ref,
    chat) was queued before or the chat is unreachable."""
    if await is_unreachable(db, chat_id):
        return False
    cursor = await db.execute(
        "INSERT OR IGNORE INTO outbox (kind, ref, chat_id, user_id, payload, not_before, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (kind, ref, chat_id, user_id, encode(messages), _iso(not_before), status, _iso(now)),
    )
    return cursor.rowcount == 1


async def enqueue_many(
    db: aiosqlite.Connection,
    *,
    kind: str,
    ref: str,
    recipients: Sequence[tuple[int, int | None]],
    messages: Sequence[Message],
    not_before: dt.datetime,
    now: dt.datetime,
) -> None:
    """`enqueue` for many (chat id, user id) at once, in one statement: a broadcast's chunk."""
    payload, since, created = encode(messages), _iso(not_before), _iso(now)
    await db.executemany(
        "INSERT OR IGNORE INTO outbox (kind, ref, chat_id, user_id, payload, not_before, status, created_at) "
        "SELECT ?, ?, ?, ?, ?, ?, 'pending', ? WHERE NOT EXISTS (SELECT 1 FROM unreachable_chats WHERE chat_id = ?)",
        [(kind, ref, chat, user, payload, since, created, chat) for chat, user in recipients],
    )


async def is_unreachable(db: aiosqlite.Connection, chat_id: int) -> bool:
    rows = await db.execute_fetchall("SELECT 1 FROM unreachable_chats WHERE chat_id = ?", (chat_id,))
    return bool(list(rows))


async def recover(db: aiosqlite.Connection) -> int:
    """At start: rows a crash left `sending` are pending again. Returns how many."""
    cursor = await db.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    return cursor.rowcount


async def claim(db: aiosqlite.Connection, now: dt.datetime, limit: int = BATCH) -> list[OutboxRow]:
    """Mark up to `limit` due rows `sending` and return them, oldest first."""
    rows = await db.execute_fetchall(
        "SELECT id, kind, ref, chat_id, user_id, payload, attempts FROM outbox "
        "WHERE status = 'pending' AND not_before <= ? ORDER BY not_before, id LIMIT ?",
        (_iso(now), limit),
    )
    claimed = [OutboxRow(r[0], r[1], r[2], r[3], r[4], decode(r[5]), r[6]) for r in rows]
    if claimed:
        await db.executemany("UPDATE outbox SET status = 'sending' WHERE id = ?", [(row.id,) for row in claimed])
    return claimed


async def mark_sent(db: aiosqlite.Connection, row_id: int, now: dt.datetime) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?", (_iso(now), row_id)
    )


async def mark_unreachable(db: aiosqlite.Connection, chat_id: int, now: dt.datetime) -> None:
    """The user blocked the bot: record it and cancel everything still queued for the chat."""
    await db.execute("INSERT OR IGNORE INTO unreachable_chats (chat_id, since) VALUES (?, ?)", (chat_id, _iso(now)))
    await db.execute(
        "UPDATE outbox SET status = 'cancelled', last_error = 'unreachable' "
        "WHERE chat_id = ? AND status IN ('pending', 'sending')",
        (chat_id,),
    )


async def mark_reachable(db: aiosqlite.Connection, chat_id: int) -> None:
    """The user wrote to the bot again."""
    await db.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (chat_id,))


async def mark_retry(db: aiosqlite.Connection, row: OutboxRow, error: str, now: dt.datetime) -> bool:
    """A passing failure: try again later with exponential backoff; give up after MAX_ATTEMPTS.
    Returns True if the row will be tried again."""
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        await mark_failed(db, row.id, error, attempts)
        return False
    delay = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
    await db.execute(
        "UPDATE outbox SET status = 'pending', attempts = ?, last_error = ?, not_before = ? WHERE id = ?",
        (attempts, error[:500], _iso(now + delay), row.id),
    )
    return True


async def mark_failed(db: aiosqlite.Connection, row_id: int, error: str, attempts: int | None = None) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, attempts = COALESCE(?, attempts + 1) WHERE id = ?",
        (error[:500], attempts, row_id),
    )


async def next_due(db: aiosqlite.Connection) -> dt.datetime | None:
    rows = list(await db.execute_fetchall("SELECT MIN(not_before) FROM outbox WHERE status = 'pending'"))
    value = rows[0][0] if rows else None
    return dt.datetime.fromisoformat(value) if value else None


async def counts(db: aiosqlite.Connection, kind: str | None = None) -> dict[str, int]:
    """Rows by status (of one kind, or all)."""
    sql = "SELECT status, COUNT(*) FROM outbox" + (" WHERE kind = ?" if kind else "") + " GROUP BY status"
    rows = await db.execute_fetchall(sql, (kind,) if kind else ())
    return {status: count for status, count in rows}


async def _apply(db: aiosqlite.Connection, row: OutboxRow, result: str, error: str, now: dt.datetime) -> str:
    """Write one delivery's result; returns what it counts as (a retry given up is 'failed')."""
    if result == "unreachable":
        await mark_unreachable(db, row.chat_id, now)
    elif result == "retry":
        return "retry" if await mark_retry(db, row, error, now) else "failed"
    elif result == "failed":
        await mark_failed(db, row.id, error)
    else:
        await mark_sent(db, row.id, now)
    return result


# What a delivery attempt can end in, as the sender sees it.
Delivery = Callable[[OutboxRow], Awaitable[None]]


class Unreachable(Exception):
    """The chat cannot be reached any more (the user blocked the bot)."""


class PassingFailure(Exception):
    """Try again later (network error, time-out)."""


class PermanentFailure(Exception):
    """Do not try again (the request itself is wrong)."""


async def deliver_due(
    transaction: Callable[[], Any],
    deliver: Delivery,
    clock: Callable[[], dt.datetime],
    *,
    limit: int = BATCH,
) -> dict[str, int]:
    """Claim one batch of due rows, deliver them concurrently (the rate limiter paces them) and
    record each result. `transaction` opens a storage transaction (Storage.transaction);
    `deliver` raises Unreachable, PassingFailure or PermanentFailure. Returns counts by result."""
    async with transaction() as db:
        rows = await claim(db, clock(), limit)
    results = {"sent": 0, "retry": 0, "failed": 0, "unreachable": 0}
    done: list[tuple[OutboxRow, str, str]] = []  # (row, result, error) not yet recorded
    recording = asyncio.Lock()

    async def record(row: OutboxRow, result: str, error: str = "") -> None:
        """Record the result; results that arrive while one transaction writes go in the next
        (a group commit: one transaction per reply when sending is slow, few when it is fast)."""
        done.append((row, result, error))
        async with recording:
            if not done:
                return  # recorded by the transaction before
            taken = done[:]
            done.clear()
            async with transaction() as db:
                for row_done, outcome, problem in taken:
                    results[await _apply(db, row_done, outcome, problem, clock())] += 1

    async def one(row: OutboxRow) -> None:
        try:
            await deliver(row)
        except Unreachable:
            await record(row, "unreachable")
        except PassingFailure as exc:
            await record(row, "retry", str(exc) or type(exc).__name__)
        except PermanentFailure as exc:
            await record(row, "failed", str(exc) or type(exc).__name__)
        else:
            await record(row, "sent")

    await asyncio.gather(*(one(row) for row in rows))
    return results
