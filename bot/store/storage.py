"""SQLite storage: one connection (aiosqlite's thread), WAL, the numbered migrations of
bot/store/migrations, and one way in: `atomically(work)`, which runs `work(connection)` as one
transaction on the database thread in one round trip. Every query of the bot is a plain
synchronous function of a sqlite3.Connection (bot.store.users, bot.delivery.outbox …) called
inside such a transaction; nothing is pickled, every value is a plain column.

aiosqlite has no public call that runs a function on its thread; `atomically` uses its
`_execute` and `_conn`, which the pinned range of aiosqlite in pyproject.toml provides (tested by
tests/test_store.py). The public alternative, a transaction as a sequence of awaited statements,
costs a thread hop per statement while holding the storage lock: benchmarks/store.py prints both.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import aiosqlite

from bot.store.migrations import migrate

T = TypeVar("T")
P = ParamSpec("P")


def configure(connection: sqlite3.Connection) -> None:
    """The pragmas every connection of the bot uses."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=5000")


def in_transaction(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """work(connection) between BEGIN IMMEDIATE and COMMIT; rolled back if it raises."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = work(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


class Storage:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        # One connection: transactions (updates, jobs) take turns.
        self._lock = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._db is not None

    async def open(self) -> Storage:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._call(configure)
        await self._call(migrate)
        return self

    async def close(self) -> None:
        async with self._lock:
            if self._db is not None:
                await self._db.close()
                self._db = None

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """fn(connection) on the database thread, in one round trip."""
        db = self._db
        if db is None:
            raise RuntimeError("storage is not open")
        result: T = await db._execute(fn, db._conn)  # type: ignore[no-untyped-call]  # see the module's docstring
        return result

    async def atomically(
        self, work: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """work(connection, *args, **kwargs) in one transaction, on the database thread, in one round trip.

        Nothing else waits on the event loop while the transaction is open, so it lasts as long as
        the work itself, however busy the bot is. Keep `work` to the rows it needs: anything slow
        (rendering, population-wide computation) belongs before or after it.
        """
        async with self._lock:
            return await self._call(lambda connection: in_transaction(connection, lambda c: work(c, *args, **kwargs)))
