"""The outbox: everything sent outside a reply (reminders, broadcasts, reports) is first a row in
SQLite, then delivered by one sender at bulk priority through the shared rate limiter.

A row is `pending` until the sender claims it (`sending`, with the time of the claim), then
`sent`, `failed` (given up, with the error) or `cancelled`. Claiming, sending and recording happen
in three steps with no transaction held across the network call. Rows left `sending` longer than
the lease (a crash, a delivery that never recorded its result) are pending again at the sender's
next tick: at most the messages in flight then can be sent twice; none is lost. (kind, ref,
chat_id) is unique, so enqueuing the same message twice stores it once.

A chat that blocked the bot is unreachable: its pending rows are cancelled and nothing more is
queued for it until its user writes again (bot.store.users). Passing failures (network, time-outs,
flood waits) are retried with exponential backoff; permanent ones (a bad request, a chat not
found) fail at once with Telegram's description; anything unexpected fails the row with its error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.actions import Button, CopyMessage, Keyboard, Send
from bot.store.times import iso
from bot.store.users import set_unreachable

if TYPE_CHECKING:
    from bot.store.storage import Storage

log = logging.getLogger("zhicheng.outbox")

MAX_ATTEMPTS = 6
BACKOFF_FIRST = dt.timedelta(seconds=5)
BACKOFF_MAX = dt.timedelta(minutes=10)
BATCH = 30  # rows claimed at once: the bound on duplicates after a crash
LEASE = dt.timedelta(minutes=5)  # a claim older than this is given up and the row is pending again

Message = Send | CopyMessage


def encode(messages: Sequence[Message]) -> str:
    return json.dumps(
        [
            {"copy": [m.from_chat_id, m.message_id]}
            if isinstance(m, CopyMessage)
            else {"text": m.text, "keyboard": [[[b.label, b.data] for b in row] for row in m.keyboard or ()]}
            for m in messages
        ],
        ensure_ascii=False,
    )


def decode(payload: str) -> list[Message]:
    result: list[Message] = []
    for message in json.loads(payload):
        if "copy" in message:
            result.append(CopyMessage(*message["copy"]))
            continue
        keyboard: Keyboard | None = (
            tuple(tuple(Button(label, data) for label, data in row) for row in message["keyboard"]) or None
        )
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


def enqueue(
    db: sqlite3.Connection,
    *,
    kind: str,
    ref: str,
    chat_id: int,
    user_id: int | None,
    messages: Sequence[Message],
    not_before: dt.datetime,
    now: dt.datetime,
) -> bool:
    """Queue messages for a chat. False if the same (kind, ref, chat) was queued before or the chat
    is unreachable."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO outbox (kind, ref, chat_id, user_id, payload, not_before, status, created_at) "
        "SELECT ?, ?, ?, ?, ?, ?, 'pending', ? WHERE NOT EXISTS (SELECT 1 FROM unreachable_chats WHERE chat_id = ?)",
        (kind, ref, chat_id, user_id, encode(messages), iso(not_before), iso(now), chat_id),
    )
    return cursor.rowcount == 1


def enqueue_many(
    db: sqlite3.Connection,
    *,
    kind: str,
    ref: str,
    recipients: Sequence[tuple[int, int | None]],
    messages: Sequence[Message],
    not_before: dt.datetime,
    now: dt.datetime,
) -> None:
    """`enqueue` for many (chat id, user id) at once, in one statement: a broadcast's chunk."""
    payload, since, created = encode(messages), iso(not_before), iso(now)
    db.executemany(
        "INSERT OR IGNORE INTO outbox (kind, ref, chat_id, user_id, payload, not_before, status, created_at) "
        "SELECT ?, ?, ?, ?, ?, ?, 'pending', ? WHERE NOT EXISTS (SELECT 1 FROM unreachable_chats WHERE chat_id = ?)",
        [(kind, ref, chat, user, payload, since, created, chat) for chat, user in recipients],
    )


def is_unreachable(db: sqlite3.Connection, chat_id: int) -> bool:
    return db.execute("SELECT 1 FROM unreachable_chats WHERE chat_id = ?", (chat_id,)).fetchone() is not None


def requeue_expired(db: sqlite3.Connection, now: dt.datetime, lease: dt.timedelta = LEASE) -> int:
    """Rows claimed longer ago than the lease (or before claims were timed) are pending again."""
    cursor = db.execute(
        "UPDATE outbox SET status = 'pending', claimed_at = NULL "
        "WHERE status = 'sending' AND (claimed_at IS NULL OR claimed_at < ?)",
        (iso(now - lease),),
    )
    return cursor.rowcount


def claim(db: sqlite3.Connection, now: dt.datetime, limit: int = BATCH) -> list[OutboxRow]:
    """Mark up to `limit` due rows `sending` and return them, oldest first."""
    rows = db.execute(
        "SELECT id, kind, ref, chat_id, user_id, payload, attempts FROM outbox "
        "WHERE status = 'pending' AND not_before <= ? ORDER BY not_before, id LIMIT ?",
        (iso(now), limit),
    ).fetchall()
    claimed = [OutboxRow(r[0], r[1], r[2], r[3], r[4], decode(r[5]), r[6]) for r in rows]
    if claimed:
        db.executemany(
            "UPDATE outbox SET status = 'sending', claimed_at = ? WHERE id = ?", [(iso(now), row.id) for row in claimed]
        )
    return claimed


def mark_sent(db: sqlite3.Connection, row_id: int, now: dt.datetime) -> None:
    db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?", (iso(now), row_id)
    )


def mark_retry(db: sqlite3.Connection, row: OutboxRow, error: str, now: dt.datetime) -> bool:
    """A passing failure: try again later with exponential backoff; give up after MAX_ATTEMPTS.
    Returns True if the row will be tried again."""
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        mark_failed(db, row.id, error, attempts)
        return False
    delay = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
    db.execute(
        "UPDATE outbox SET status = 'pending', attempts = ?, last_error = ?, not_before = ? WHERE id = ?",
        (attempts, error[:500], iso(now + delay), row.id),
    )
    return True


def mark_failed(db: sqlite3.Connection, row_id: int, error: str, attempts: int | None = None) -> None:
    db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, attempts = COALESCE(?, attempts + 1) WHERE id = ?",
        (error[:500], attempts, row_id),
    )


def next_due(db: sqlite3.Connection) -> dt.datetime | None:
    value = db.execute("SELECT MIN(not_before) FROM outbox WHERE status = 'pending'").fetchone()[0]
    return dt.datetime.fromisoformat(value) if value else None


def counts(db: sqlite3.Connection, kind: str | None = None) -> dict[str, int]:
    """Rows by status (of one kind, or all)."""
    sql = "SELECT status, COUNT(*) FROM outbox" + (" WHERE kind = ?" if kind else "") + " GROUP BY status"
    return {status: n for status, n in db.execute(sql, (kind,) if kind else ())}


class Unreachable(Exception):
    """The chat cannot be reached any more (the user blocked the bot)."""


class PassingFailure(Exception):
    """Try again later (network error, time-out, flood wait)."""


class PermanentFailure(Exception):
    """Do not try again (the request itself is wrong: a chat not found, a message too long …)."""


# One delivery attempt: sends the row's messages; raises Unreachable, PassingFailure or PermanentFailure.
Delivery = Callable[[OutboxRow], Awaitable[None]]
RESULTS = ("sent", "retry", "failed", "unreachable")


def _apply(db: sqlite3.Connection, row: OutboxRow, result: str, error: str, now: dt.datetime) -> str:
    """Write one delivery's result; returns what it counts as (a retry given up is 'failed')."""
    if result == "unreachable":
        set_unreachable(db, row.chat_id, now)  # this row and every other pending one of the chat: cancelled
        if error:
            db.execute("UPDATE outbox SET last_error = ? WHERE id = ?", (f"unreachable: {error}"[:500], row.id))
    elif result == "retry":
        return "retry" if mark_retry(db, row, error, now) else "failed"
    elif result == "failed":
        mark_failed(db, row.id, error)
    else:
        mark_sent(db, row.id, now)
    return result


async def deliver_due(
    storage: Storage, deliver: Delivery, clock: Callable[[], dt.datetime], *, limit: int = BATCH
) -> dict[str, int]:
    """Claim one batch of due rows, deliver them concurrently (the rate limiter paces them) and
    record each result. Returns counts by result."""
    rows = await storage.atomically(claim, clock(), limit)
    results = dict.fromkeys(RESULTS, 0)
    done: list[tuple[OutboxRow, str, str]] = []  # (row, result, error) not yet recorded
    recording = asyncio.Lock()

    def write(db: sqlite3.Connection, taken: list[tuple[OutboxRow, str, str]]) -> None:
        for row, outcome, problem in taken:
            results[_apply(db, row, outcome, problem, clock())] += 1

    async def record(row: OutboxRow, result: str, error: str = "") -> None:
        """Record the result; results that arrive while one transaction writes go in the next
        (a group commit: one transaction per reply when sending is slow, few when it is fast)."""
        done.append((row, result, error))
        async with recording:
            if not done:
                return  # recorded by the transaction before
            taken = done[:]
            done.clear()
            await storage.atomically(write, taken)

    async def one(row: OutboxRow) -> None:
        try:
            await deliver(row)
        except Unreachable as exc:
            await record(row, "unreachable", str(exc))
        except PassingFailure as exc:
            await record(row, "retry", str(exc) or type(exc).__name__)
        except PermanentFailure as exc:
            await record(row, "failed", str(exc) or type(exc).__name__)
        except asyncio.CancelledError:
            raise  # a stop: the row stays claimed, and is pending again once its lease expires
        except Exception as exc:  # a bug, not Telegram: fail the row, once, and say so
            log.exception("outbox row %d (%s %s) failed unexpectedly", row.id, row.kind, row.ref)
            await record(row, "failed", f"unexpected error: {exc!r}")
        else:
            await record(row, "sent")

    await asyncio.gather(*(one(row) for row in rows))
    return results
