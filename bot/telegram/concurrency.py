"""Updates of different chats run concurrently; the updates of one chat run one at a time, in
the order Telegram delivered them.

PTB's update fetcher starts one task per update, in arrival order, and hands each to the
update processor. `PerChatUpdateProcessor` chains the updates of a chat (or, with no chat, of
a user): each waits for the one before it of the same chat, then for a free processing slot.
An update waiting behind its own chat holds no slot, so one chat with a slow Bot API or a
burst of taps never keeps other chats waiting.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own limit counts waiting updates too; ours counts only the ones being handled.
QUEUED_UPDATES_LIMIT = 100_000
DEFAULT_CONCURRENT_UPDATES = 256


def order_key(update: object) -> int | None:
    """The chat whose updates must keep their order (the user's, outside a chat); None: no order."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most `max_concurrent` updates handled at once; one chat's updates strictly in order."""

    def __init__(self, max_concurrent: int = DEFAULT_CONCURRENT_UPDATES) -> None:
        super().__init__(QUEUED_UPDATES_LIMIT)
        self.max_concurrent = max_concurrent
        self._slots = asyncio.Semaphore(max_concurrent)
        # The last update of each chat not yet finished: the next one of that chat waits for it.
        self._tails: dict[int, asyncio.Future[None]] = {}

    @property
    def waiting_chats(self) -> int:
        """Chats with an update being handled or waiting (0 when idle)."""
        return len(self._tails)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = order_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        # Everything up to the first await runs when PTB starts the update's task, in arrival order.
        previous = self._tails.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._slots:
                await coroutine
        finally:
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()  # cancelled before its turn: never started
            if previous is not None and not previous.done():
                # cancelled while waiting: the next update of the chat still waits for the one before
                previous.add_done_callback(lambda _: self._finish(key, done))
            else:
                self._finish(key, done)

    def _finish(self, key: int, done: asyncio.Future[None]) -> None:
        if not done.done():
            done.set_result(None)
        if self._tails.get(key) is done:
            del self._tails[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
