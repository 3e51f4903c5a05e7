"""The bot's one rate limiter: replies to a user's own action go first, bulk sending fills
what is left of Telegram's budget.

Policy (README, "Rate limits"):

- Interactive requests (the default: every reply, edit and callback answer) are sent at once.
  They are never throttled below Telegram's own limits: a user waits for nothing but the
  network. They still count against the overall budget, so bulk sending sees them.
- Bulk requests (``rate_limit_args={"priority": "bulk"}``: reminders, broadcasts) are sent at
  most `bulk_per_second` (30) a second overall, counting the interactive messages of that
  second (sent, copied, forwarded or edited; not answers to button presses), and at most
  one a second per chat (`bulk_chat_interval`). While interactive requests are waiting for
  their turn (after a flood wait), bulk requests wait behind them.
- A RetryAfter from Telegram pauses every request for the time Telegram asks, then the request
  is tried again (interactive up to `interactive_retries` times, bulk up to `bulk_retries`).

The clock and sleep are injectable so tests can run the policy in virtual time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger("zhicheng.ratelimit")

Priority = Literal["interactive", "bulk"]
BULK: dict[str, Any] = {"priority": "bulk"}
WINDOW = 1.0  # seconds over which the overall budget is counted
MESSAGE_ENDPOINT_PREFIXES = ("send", "copy", "forward", "edit")
JSON = bool | dict[str, Any] | list[dict[str, Any]]


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return float(value.total_seconds() if isinstance(value, dt.timedelta) else value)


def counts_as_message(endpoint: str) -> bool:
    """Whether a request counts against the budget of messages: sending, copying, forwarding or
    editing one. Answers to button presses, commands menus and the like are not messages."""
    return endpoint.lower().startswith(MESSAGE_ENDPOINT_PREFIXES)


def priority_of(rate_limit_args: object) -> Priority:
    if isinstance(rate_limit_args, dict) and rate_limit_args.get("priority") == "bulk":
        return "bulk"
    return "interactive"


class PriorityRateLimiter(BaseRateLimiter[dict[str, Any]]):
    def __init__(
        self,
        *,
        bulk_per_second: int = 30,
        bulk_chat_interval: float = 1.0,
        interactive_retries: int = 1,
        bulk_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bulk_per_second = bulk_per_second
        self.bulk_chat_interval = bulk_chat_interval
        self.interactive_retries = interactive_retries
        self.bulk_retries = bulk_retries
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()  # when each request of the last WINDOW was let through
        self._chat_sent: dict[object, float] = {}  # when a chat last received anything
        self._paused_until = 0.0  # a RetryAfter from Telegram
        self._interactive_waiting = 0
        self._bulk_turn = asyncio.Lock()  # bulk requests take the overall budget one at a time
        self._chat_turns: dict[object, tuple[asyncio.Lock, int]] = {}  # bulk of one chat: one at a time

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    # --- bookkeeping ---

    def _prune(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - WINDOW:
            self._sent.popleft()
        if len(self._chat_sent) > 4096:
            for chat, at in list(self._chat_sent.items()):
                if at <= now - self.bulk_chat_interval:
                    del self._chat_sent[chat]

    def _record(self, chat: object) -> None:
        now = self.clock()
        self._sent.append(now)
        if chat is not None:
            self._chat_sent[chat] = now

    async def _wait_out_pause(self) -> None:
        while (left := self._paused_until - self.clock()) > 0:
            await self.sleep(left)

    # --- the two priorities ---

    async def _interactive_turn(self, chat: object, counted: bool) -> None:
        self._interactive_waiting += 1
        try:
            await self._wait_out_pause()
        finally:
            self._interactive_waiting -= 1
        if counted:
            self._record(chat)

    async def _bulk_turn_for(self, chat: object) -> None:
        chat_turn, users = self._chat_turns.get(chat, (asyncio.Lock(), 0))
        self._chat_turns[chat] = (chat_turn, users + 1)
        try:
            await self._bulk_turn_in_chat(chat, chat_turn)
        finally:
            chat_turn, users = self._chat_turns[chat]
            if users <= 1:
                del self._chat_turns[chat]
            else:
                self._chat_turns[chat] = (chat_turn, users - 1)

    async def _bulk_turn_in_chat(self, chat: object, chat_turn: asyncio.Lock) -> None:
        async with chat_turn:
            while True:
                last = self._chat_sent.get(chat)
                wait_chat = 0.0 if last is None else last + self.bulk_chat_interval - self.clock()
                if wait_chat > 0:
                    await self.sleep(wait_chat)
                    continue
                async with self._bulk_turn:
                    while True:
                        await self._wait_out_pause()
                        if self._interactive_waiting:
                            await self.sleep(0.05)  # interactive requests go first
                            continue
                        now = self.clock()
                        self._prune(now)
                        if len(self._sent) >= self.bulk_per_second:
                            await self.sleep(self._sent[0] + WINDOW - now)
                            continue
                        break
                    last = self._chat_sent.get(chat)  # an interactive reply may have gone meanwhile
                    if last is not None and last + self.bulk_chat_interval > self.clock():
                        continue
                    self._record(chat)
                    return

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> JSON:
        priority = priority_of(rate_limit_args)
        chat = data.get("chat_id")
        retries = self.bulk_retries if priority == "bulk" else self.interactive_retries
        for attempt in range(retries + 1):
            if priority == "bulk":
                await self._bulk_turn_for(chat)
            else:
                await self._interactive_turn(chat, counts_as_message(endpoint))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc)
                self._paused_until = max(self._paused_until, self.clock() + wait)
                log.warning("%s: Telegram asks to wait %.0f s (%s, attempt %d)", endpoint, wait, priority, attempt + 1)
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")
