"""What one update costs the store, the way the bot runs it and the way aiosqlite's public API
would.

The update is an answer tapped by one of 1,000 stored applicants: record its update id, load the
user (one query), save the changed answer, the interview's position and the applicant summary.

- one round trip: `Storage.atomically`, the whole transaction one function on aiosqlite's thread
  (its private `_execute`; aiosqlite is pinned to the range that has it). This is the bot's way,
  before issue 16 and after it.
- awaited statements: the same statements, each awaited through aiosqlite's public API between
  BEGIN IMMEDIATE and COMMIT, under the same lock: every statement is a hop to the database thread
  and back to the event loop, and the lock (every other update waits for it) is held across them.

Printed: microseconds per update with one update at a time, updates per second with 50 at once,
and how long each update holds the lock. A benchmark, not a test.

Run:  .venv/bin/python benchmarks/store.py [--updates 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log  # noqa: E402

from bot.store.storage import Storage, in_transaction  # noqa: E402
from bot.store.times import now_iso  # noqa: E402
from bot.store.users import first_time_update, load_user, save_user, summary  # noqa: E402
from tests.support.applicants import NOTICE, Seeded, path, seed  # noqa: E402

USERS = 1000
LOAD = (  # the query of bot.store.users.load_user
    "SELECT u.locale, u.delete_requested_at, u.awaiting, u.awaiting_data, i.notice_id, i.current_question, i.started, "
    "(SELECT json_group_object(question_id, option_id) FROM answers a WHERE a.user_id = u.user_id), "
    "(SELECT json_group_array(item_id) FROM ticks t WHERE t.user_id = u.user_id), "
    "(SELECT enabled FROM reminder_settings r WHERE r.user_id = u.user_id), "
    "EXISTS (SELECT 1 FROM unreachable_chats c WHERE c.chat_id = u.chat_id) "
    "FROM users u LEFT JOIN interviews i ON i.user_id = u.user_id WHERE u.user_id = ?"
)


def one_update(db: sqlite3.Connection, update_id: int, user_id: int, option: str) -> None:
    """The bot's update: the store's own functions inside one transaction."""
    first_time_update(db, update_id)
    state = load_user(db, user_id, user_id)
    before = state.snapshot()
    state.answers["awards"] = option
    save_user(db, state, before, summary(state, NOTICE))


async def one_update_awaited(storage: Storage, update_id: int, user_id: int, option: str) -> float:
    """The same statements through aiosqlite's public API; returns the seconds the lock was held."""
    db = storage._db
    assert db is not None
    async with storage._lock:
        held = time.perf_counter()
        await db.execute("BEGIN IMMEDIATE")
        await db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, processed_at) VALUES (?, ?)", (update_id, now_iso())
        )
        [row] = await db.execute_fetchall(LOAD, (user_id,))
        answers = json.loads(row[7]) | {"awards": option}
        now = now_iso()
        await db.execute(
            "INSERT OR REPLACE INTO answers (user_id, question_id, option_id, answered_at) VALUES (?, 'awards', ?, ?)",
            (user_id, option, now),
        )
        await db.execute("UPDATE interviews SET updated_at = ? WHERE user_id = ?", (now, user_id))
        await db.execute(
            "UPDATE applicant_summaries SET level = ?, updated_at = ? WHERE user_id = ?",
            (answers.get("level"), now, user_id),
        )
        await db.execute("COMMIT")
        return time.perf_counter() - held


async def measure(db_path: Path, updates: int) -> dict[str, Any]:
    storage = await Storage(db_path).open()
    result: dict[str, Any] = {}
    try:
        options = ["yes", "no"]
        counter = iter(range(1, 10**9))

        async def private(i: int) -> float:
            """Storage.atomically, timed from taking the lock to giving it back."""
            update_id, user, option = next(counter), 1 + i % USERS, options[i % 2]
            async with storage._lock:
                held = time.perf_counter()
                await storage._call(lambda db: in_transaction(db, lambda c: one_update(c, update_id, user, option)))
                return time.perf_counter() - held

        async def public(i: int) -> float:
            return await one_update_awaited(storage, next(counter), 1 + i % USERS, options[i % 2])

        for name, run in (("one round trip", private), ("awaited statements", public)):
            await run(0)  # warm up
            started = time.perf_counter()
            for i in range(updates):
                await run(i)
            sequential = (time.perf_counter() - started) / updates * 1e6
            held: list[float] = []

            async def worker(w: int, run: Any = run, held: list[float] = held) -> None:
                for i in range(w, updates, 50):
                    held.append(await run(i))

            started = time.perf_counter()
            await asyncio.gather(*(worker(w) for w in range(50)))
            concurrent = updates / (time.perf_counter() - started)
            result[name] = (sequential, concurrent, statistics.median(held) * 1e6)
    finally:
        await storage.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhicheng-store-") as folder:
        db_path = Path(folder) / "store.sqlite3"

        async def populate() -> None:
            storage = await Storage(db_path).open()
            await storage.atomically(
                seed, [Seeded(u, path("associate_senior", "eligible", u)) for u in range(1, USERS + 1)]
            )
            await storage.close()

        asyncio.run(populate())
        log(f"{USERS:,} applicants stored; {args.updates:,} updates each way")
        result = asyncio.run(measure(db_path, args.updates))
    print(f"One update (an answer: update id, load, save with the summary) on a store of {USERS:,} applicants:")
    for name, (sequential, concurrent, held) in result.items():
        print(
            f"  {name:<20} {sequential:7.0f} µs per update alone   {concurrent:7.0f} updates/s with 50 at once   "
            f"lock held {held:6.0f} µs (median, 50 at once)"
        )


if __name__ == "__main__":
    main()
