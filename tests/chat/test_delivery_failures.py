"""How delivery meets what goes wrong, through the real Application, the outbox sender and the
offline Bot API: a user who blocked and unblocked the bot, a permanent error, a delivery that
raises something unexpected, a claim whose lease expired."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.chat.actions import Action, Send
from bot.delivery import broadcasts, outbox
from bot.store.population import Audience
from bot.store.storage import Storage
from conversations.clock import Clock, parse_moment
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.chat.test_interview_end_to_end import ANSWERS, USER, answer_all
from tests.support.applicants import Seeded, path, seed
from tests.support.clock import SteppedClock
from tests.support.offline import OfflineBotAPI

DAY = 86_400.0
CONTACT = 9001
LOST_CHAT = 31_337  # a chat Telegram no longer knows


class LostChat(OfflineBotAPI):
    """Telegram answers 400 for a chat it does not know."""

    def answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> tuple[bool, Any]:
        if str(params.get("chat_id")) == str(LOST_CHAT):
            return False, "Bad Request: chat not found"
        return super().answer(method, params, files)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    """A bot on 2021年10月12日 09:00 (Beijing) whose clock the test moves; the sender runs by hand."""
    stepped = SteppedClock()
    clock = Clock(parse_moment("2021-10-12T09:00:00+08:00"), monotonic=stepped)
    b = await start_bot(
        tmp_path / "z.sqlite3", api=LostChat(), clock=clock, sender_interval=0, contact_ids=frozenset({CONTACT})
    )
    b.extra["stepped"] = stepped
    b.extra["clock"] = clock
    try:
        yield b
    finally:
        await stop_bot(b)


def at(bot: BotUnderTest, moment: str) -> None:
    """Move the bot's clock forward to `moment` (Beijing time)."""
    clock: Clock = bot.extra["clock"]
    bot.extra["stepped"].now += (parse_moment(moment) - clock.now()).total_seconds()


def storage_of(bot: BotUnderTest) -> Storage:
    return bot.app.bot_data.chat.storage


def rows(bot: BotUnderTest, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(bot.db_path) as conn:
        return conn.execute(sql, params).fetchall()


def reminders_to(bot: BotUnderTest, chat_id: int, since: int = 0) -> list[str]:
    """The reminders sent to the chat, among the Bot API calls from `since` on."""
    return [
        str(c.params["text"])
        for c in bot.api.calls[since:]
        if c.method == "sendMessage" and c.params["chat_id"] == chat_id and "提醒" in str(c.params["text"])
    ]


async def tick(bot: BotUnderTest) -> None:
    sender = bot.app.bot_data.sender
    assert sender is not None
    await sender.tick()


async def test_a_user_who_blocked_and_then_unblocked_the_bot_gets_the_next_reminder(bot: BotUnderTest) -> None:
    await bot.text(USER, "/start")
    await answer_all(bot, ANSWERS)
    await bot.send(bot.updates.my_chat_member(USER, "kicked"))
    assert rows(bot, "SELECT chat_id FROM unreachable_chats") == [(USER,)]
    at(bot, "2021-10-13T10:00:30+08:00")  # 7 days before the online deadline
    await tick(bot)
    assert not reminders_to(bot, USER)  # blocked: nothing is even queued
    await bot.send(bot.updates.my_chat_member(USER, "member"))
    assert rows(bot, "SELECT chat_id FROM unreachable_chats") == []
    at(bot, "2021-10-17T10:00:30+08:00")  # 3 days before
    await tick(bot)
    [reminder] = reminders_to(bot, USER)
    assert "2021年10月20日" in reminder


async def test_a_chat_found_blocked_by_a_403_is_reachable_again_once_its_user_writes(bot: BotUnderTest) -> None:
    await bot.text(USER, "/start")
    await answer_all(bot, ANSWERS)
    bot.api.blocked.add(USER)
    at(bot, "2021-10-13T10:00:30+08:00")
    await tick(bot)
    assert rows(bot, "SELECT chat_id FROM unreachable_chats") == [(USER,)]
    assert rows(bot, "SELECT status, last_error FROM outbox WHERE chat_id = ?", USER) == [
        ("cancelled", "unreachable: Forbidden: bot was blocked by the user")
    ]
    bot.api.blocked.clear()
    assert texts(await bot.text(USER, "/deadlines"))  # the user writes to the bot again
    assert rows(bot, "SELECT chat_id FROM unreachable_chats") == []
    at(bot, "2021-10-17T10:00:30+08:00")
    before = len(bot.api.calls)
    await tick(bot)
    [reminder] = reminders_to(bot, USER, since=before)
    assert "还有3天" in reminder


async def test_chat_not_found_fails_at_once_with_telegrams_description(bot: BotUnderTest) -> None:
    now = bot.extra["clock"].now()
    await storage_of(bot).atomically(
        outbox.enqueue,
        kind="broadcast",
        ref="7",
        chat_id=LOST_CHAT,
        user_id=None,
        messages=[Send("通知")],
        not_before=now,
        now=now,
    )
    await tick(bot)
    attempts = [c for c in bot.api.calls if c.method == "sendMessage" and c.params["chat_id"] == LOST_CHAT]
    assert len(attempts) == 1  # not retried as if it were a passing network error
    assert rows(bot, "SELECT status, attempts, last_error FROM outbox WHERE chat_id = ?", LOST_CHAT) == [
        ("failed", 1, "Chat not found")
    ]  # Telegram's description, as PTB words it


async def test_an_unexpected_error_in_a_delivery_fails_its_row_and_the_broadcast_still_settles_and_reports(
    bot: BotUnderTest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    people = [Seeded(5000 + i, path("junior", "eligible", i)) for i in range(3)]
    storage = storage_of(bot)
    await storage.atomically(seed, people)
    await storage.atomically(
        broadcasts.create,
        author_id=CONTACT,
        author_chat=CONTACT,
        audience=Audience(),
        messages=[Send("请按时提交")],
        at=bot.extra["clock"].now(),
        now=bot.extra["clock"].now(),
        recipients=3,
    )
    sender = bot.app.bot_data.sender
    assert sender is not None
    sending: Callable[[int, Sequence[Action]], Awaitable[None]] = sender.transport

    async def with_a_bug(chat_id: int, actions: Sequence[Action]) -> None:
        if chat_id == 5001:
            raise KeyError("a bug in the code that sends")
        await sending(chat_id, actions)

    sender.transport = with_a_bug
    await tick(bot)
    assert rows(bot, "SELECT status FROM broadcasts") == [("done",)]
    failed = rows(bot, "SELECT chat_id, status, last_error FROM outbox WHERE kind = 'broadcast' AND status != 'sent'")
    assert [(chat, status) for chat, status, _ in failed] == [(5001, "failed")]
    assert "unexpected error" in failed[0][2] and "KeyError" in failed[0][2]
    [report] = [c for c in bot.api.sent("sendMessage") if c.params["chat_id"] == CONTACT]
    assert "失败 1" in str(report.params["text"]) or "失败：1" in str(report.params["text"]), report.params["text"]
    assert sum("failed unexpectedly" in r.getMessage() for r in caplog.records) == 1  # logged once


async def test_a_claimed_row_whose_lease_expired_is_delivered_once(bot: BotUnderTest) -> None:
    storage = storage_of(bot)
    clock: Clock = bot.extra["clock"]
    now = clock.now()
    await storage.atomically(
        outbox.enqueue,
        kind="broadcast",
        ref="9",
        chat_id=777,
        user_id=None,
        messages=[Send("通知")],
        not_before=now,
        now=now,
    )
    [claimed] = await storage.atomically(outbox.claim, now)  # a delivery that never recorded its result
    assert claimed.chat_id == 777
    bot.extra["stepped"].now += 60
    await tick(bot)
    assert not bot.api.sent("sendMessage")  # within the lease: left alone
    bot.extra["stepped"].now += outbox.LEASE.total_seconds()
    await tick(bot)
    await tick(bot)
    assert [c.params["chat_id"] for c in bot.api.sent("sendMessage")] == [777]
    assert rows(bot, "SELECT status FROM outbox") == [("sent",)]


def test_the_lease_outlasts_a_batch_at_the_slowest_bot_api() -> None:
    """A batch of BATCH rows at Telegram's 30 a second, 200 ms away, takes seconds: the lease that
    re-queues a claim must be far longer, or a slow delivery would be sent twice."""
    assert dt.timedelta(seconds=outbox.BATCH / 30 + 0.2) * 20 <= outbox.LEASE
