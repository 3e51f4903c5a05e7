"""The rate limiter's policy, run in virtual time: a fake clock that jumps to the next
sleeper's wake-up once every task is waiting. Counts and orders are asserted, never wall time."""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any

from telegram.error import RetryAfter

from bot.telegram.ratelimit import BULK, PriorityRateLimiter


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, *work: Awaitable[Any]) -> list[Any]:
        """Run the work to the end, moving the clock whenever all of it is asleep."""
        tasks = [asyncio.ensure_future(w) for w in work]
        while not all(t.done() for t in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers and not all(t.done() for t in tasks):
                wake, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                future.set_result(None)
        return [t.result() for t in tasks]


class Recorder:
    """Stands in for the Bot API call: notes when (virtual time) each request went out."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.sent: list[tuple[float, str, int]] = []
        self.retry_after: dict[str, int] = {}

    def request(
        self, limiter: PriorityRateLimiter, name: str, chat_id: int, args: Any, endpoint: str = "sendMessage"
    ) -> Awaitable[Any]:
        async def call() -> bool:
            if self.retry_after.get(name):
                seconds = self.retry_after.pop(name)
                raise RetryAfter(dt.timedelta(seconds=seconds))
            self.sent.append((self.time.now, name, chat_id))
            return True

        return limiter.process_request(call, (), {}, endpoint, {"chat_id": chat_id}, args)


def limiter_on(time: VirtualTime) -> PriorityRateLimiter:
    return PriorityRateLimiter(clock=time.clock, sleep=time.sleep)


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)


async def test_bulk_stays_within_thirty_a_second_overall_and_one_a_second_per_chat() -> None:
    time = VirtualTime()
    limiter = limiter_on(time)
    api = Recorder(time)
    work = [api.request(limiter, f"b{chat}-{n}", chat, BULK) for n in range(3) for chat in range(100)]
    await time.run(*work)
    assert len(api.sent) == 300
    assert most_in_one_second([t for t, _, _ in api.sent]) <= 30
    by_chat: dict[int, list[float]] = {}
    for t, _, chat in api.sent:
        by_chat.setdefault(chat, []).append(t)
    for times in by_chat.values():
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(sorted(times)))
    # It did send at the allowed pace, not slower: 300 messages need about 10 virtual seconds.
    assert api.sent[-1][0] <= 11.0


async def test_interactive_replies_never_wait_for_bulk_and_bulk_counts_them() -> None:
    time = VirtualTime()
    limiter = limiter_on(time)
    api = Recorder(time)
    bulk = [api.request(limiter, f"bulk{chat}", chat, BULK) for chat in range(120)]

    async def replies() -> None:
        await time.sleep(0.5)  # a user taps while the broadcast is under way
        for n in range(40):
            await api.request(limiter, f"reply{n}", 99_000 + n, None)

    await time.run(*bulk, replies())
    reply_times = [t for t, name, _ in api.sent if name.startswith("reply")]
    assert reply_times == [0.5] * 40  # sent the moment they were asked for, 40 in that second
    bulk_times = [t for t, name, _ in api.sent if name.startswith("bulk")]
    # The 40 replies filled the budget of their second (30 a second): bulk yielded it to them.
    assert sum(1 for t in bulk_times if 0.5 <= t < 1.5) == 0
    assert len(bulk_times) == 120


async def test_answers_to_button_presses_are_not_messages_and_leave_bulk_its_budget() -> None:
    time = VirtualTime()
    limiter = limiter_on(time)
    api = Recorder(time)
    bulk = [api.request(limiter, f"bulk{chat}", chat, BULK) for chat in range(60)]
    presses = [api.request(limiter, f"press{n}", 99_000 + n, None, "answerCallbackQuery") for n in range(200)]
    await time.run(*bulk, *presses)
    assert [t for t, name, _ in api.sent if name.startswith("press")] == [0.0] * 200
    bulk_times = sorted(t for t, name, _ in api.sent if name.startswith("bulk"))
    assert sum(1 for t in bulk_times if t < 1.0) == 30  # the full budget of the first second


async def test_a_reply_to_a_chat_holds_back_bulk_to_that_chat_for_a_second() -> None:
    time = VirtualTime()
    limiter = limiter_on(time)
    api = Recorder(time)
    await time.run(api.request(limiter, "reply", 1, None))
    await time.run(api.request(limiter, "bulk", 1, BULK), api.request(limiter, "other", 2, BULK))
    sent = {name: t for t, name, _ in api.sent}
    assert sent["reply"] == 0.0 and sent["other"] == 0.0 and sent["bulk"] >= 1.0


async def test_retry_after_pauses_everyone_then_interactive_goes_before_bulk() -> None:
    time = VirtualTime()
    limiter = limiter_on(time)
    api = Recorder(time)
    api.retry_after["first"] = 5

    async def later(name: str, args: Any, delay: float) -> None:
        await time.sleep(delay)
        await api.request(limiter, name, 3, args)

    await time.run(
        api.request(limiter, "first", 1, None),
        later("bulk", BULK, 1.0),
        later("reply", None, 2.0),
    )
    sent = {name: t for t, name, _ in api.sent}
    assert sent["first"] == 5.0  # tried again once Telegram's wait was over
    assert sent["reply"] == 5.0  # waited out the pause, nothing more
    assert sent["bulk"] >= 5.0
    order = [name for _, name, _ in api.sent]
    assert order.index("reply") < order.index("bulk")


async def test_retry_after_beyond_the_retries_is_raised() -> None:
    time = VirtualTime()
    limiter = PriorityRateLimiter(clock=time.clock, sleep=time.sleep, interactive_retries=0)
    api = Recorder(time)
    api.retry_after["once"] = 3
    try:
        await time.run(api.request(limiter, "once", 1, None))
    except RetryAfter:
        pass
    else:
        raise AssertionError("RetryAfter was swallowed")
    assert api.sent == []
