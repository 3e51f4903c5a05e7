"""A stop while a long run of reminders or a broadcast is being delivered: the batch in hand
finishes, the bot stops at once, and what was not sent is sent after the next start, once."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from pathlib import Path

from bot.chat.actions import Send
from bot.delivery import outbox
from bot.store.storage import Storage
from tests.chat.conftest import start_bot

RECIPIENTS = 120  # four seconds of sending at 30 a second: the stop comes after the first 30


async def _queue(db_path: Path) -> None:
    storage = await Storage(db_path).open()
    now = dt.datetime.now(dt.UTC)
    try:

        def queue(db: sqlite3.Connection) -> None:
            for chat in range(1, RECIPIENTS + 1):
                outbox.enqueue(
                    db,
                    kind="broadcast",
                    ref="b1",
                    chat_id=chat,
                    user_id=chat,
                    messages=[Send("通知")],
                    not_before=now,
                    now=now,
                )

        await storage.atomically(queue)
    finally:
        await storage.close()


def _statuses(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as db:
        return dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())


async def test_a_stop_in_the_middle_of_a_broadcast_is_prompt_and_the_rest_goes_out_after_the_restart(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "z.sqlite3"
    await _queue(db_path)
    bot = await start_bot(db_path, rate_limit=True, sender_interval=0.2)
    await bot.app.start()
    for _ in range(500):  # until the broadcast is well under way
        if sum(1 for c in bot.api.calls if c.method == "sendMessage") >= 30:
            break
        await asyncio.sleep(0.02)
    started = time.monotonic()
    await bot.app.stop()
    stop_seconds = time.monotonic() - started
    await bot.app.post_shutdown(bot.app)
    await bot.app.shutdown()
    sent_first = [c for c in bot.api.calls if c.method == "sendMessage"]
    assert stop_seconds < 3.0, f"the stop waited {stop_seconds:.1f} s for the broadcast"
    assert 0 < len(sent_first) < RECIPIENTS
    assert _statuses(db_path).get("sent", 0) == len(sent_first)

    again = await start_bot(db_path, rate_limit=True, sender_interval=0.2, updates=bot.updates)
    await again.app.start()
    for _ in range(300):
        if _statuses(db_path).get("sent", 0) == RECIPIENTS:
            break
        await asyncio.sleep(0.1)
    await again.app.stop()
    await again.app.post_shutdown(again.app)
    await again.app.shutdown()
    chats = [int(c.params["chat_id"]) for c in [*sent_first, *again.api.calls] if c.method == "sendMessage"]
    assert sorted(chats) == list(range(1, RECIPIENTS + 1))  # everyone once, nobody twice
