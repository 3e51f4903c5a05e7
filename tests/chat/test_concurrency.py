"""Many users at once through the real Application's update queue (as polling and webhooks
deliver them), on the offline Bot API with random delays: different chats run concurrently,
each chat's updates strictly in arrival order, and a slow or failing chat holds up no one."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Chat, Message, Update, User
from telegram.error import TimedOut

from bot.chat.texts import gettext
from bot.telegram.concurrency import PerChatUpdateProcessor
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot
from tests.chat.test_interview_end_to_end import ANSWERS
from tests.support import buttons as callbacks
from tests.support.offline import OfflineBotAPI

RECORDED = gettext("zh_Hans", "Recorded")
GUARD_SECONDS = 120  # only to end a hung test; nothing is asserted about time


async def deliver(bot: BotUnderTest, updates: list[dict[str, Any]]) -> None:
    """Put updates on the Application's queue, the way the updater or a webhook does."""
    for data in updates:
        await bot.app.update_queue.put(Update.de_json(data, bot.app.bot))


async def until(condition: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD_SECONDS
    while not condition():
        assert loop.time() < deadline, "the bot stopped handling updates"
        await asyncio.sleep(0.01)


def idle(bot: BotUnderTest) -> Callable[[], bool]:
    return lambda: bot.app.update_queue.empty() and bot.app.update_processor.current_concurrent_updates == 0


def stored_answers(db: Path) -> dict[int, dict[str, str]]:
    result: dict[int, dict[str, str]] = defaultdict(dict)
    with sqlite3.connect(db) as conn:
        for user_id, question_id, option_id in conn.execute("SELECT user_id, question_id, option_id FROM answers"):
            result[user_id][question_id] = option_id
    return result


def finished(db: Path) -> set[int]:
    with sqlite3.connect(db) as conn:
        return {u for (u,) in conn.execute("SELECT user_id FROM interviews WHERE current_question IS NULL")}


def question_number(text: str) -> int | None:
    """The number in 第N题 of a question message."""
    if not text.startswith("第") or "题" not in text:
        return None
    return int(text[1 : text.index("题")])


async def started(bot: BotUnderTest, users: list[int]) -> dict[int, dict[str, Any]]:
    """Every user sends /start; returns each user's question message (the one the buttons edit)."""
    await deliver(bot, [bot.updates.message(u, "/start") for u in users])
    await until(idle(bot))
    origins = {}
    for u in users:
        origin = bot.last_keyboard_message(u)
        assert origin is not None
        origins[u] = origin
    return origins


def interleaved(
    bot: BotUnderTest, origins: dict[int, dict[str, Any]], rng: random.Random
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every user's taps through the whole interview, users interleaved at random, each user's in
    order; and which user each callback query id belongs to."""
    pending = {u: [callbacks.answer(q, o) for q, o in ANSWERS] for u in origins}
    updates: list[dict[str, Any]] = []
    owner: dict[str, int] = {}
    while pending:
        user = rng.choice(sorted(pending))
        data = pending[user].pop(0)
        if not pending[user]:
            del pending[user]
        update = bot.updates.callback(user, data, origins[user])
        owner[update["callback_query"]["id"]] = user
        updates.append(update)
    return updates, owner


async def test_a_hundred_users_interleaved_each_in_order_none_lost_none_twice(tmp_path: Path) -> None:
    api = OfflineBotAPI(jitter=0.02, seed=7)
    bot = await start_bot(tmp_path / "z.sqlite3", api=api)
    await bot.app.start()
    try:
        users = list(range(5001, 5101))
        origins = await started(bot, users)
        api.clear()
        updates, owner = interleaved(bot, origins, random.Random(11))
        await deliver(bot, updates)
        await until(idle(bot))
    finally:
        await bot.app.stop()
        await stop_bot(bot)

    # Every tap answered exactly once, as "Recorded": none lost, none twice, none out of turn
    # (a tap handled before the one it follows would have met another question: "expired").
    toasts: dict[int, list[str]] = defaultdict(list)
    for call in api.sent("answerCallbackQuery"):
        toasts[owner[call.params["callback_query_id"]]].append(str(call.params.get("text")))
    assert toasts == {u: [RECORDED] * len(ANSWERS) for u in users}
    # The question message of each chat went through the questions in order, ending with the last answered.
    numbers: dict[int, list[int]] = defaultdict(list)
    for call in api.sent("editMessageText"):
        number = question_number(str(call.params["text"]))
        if number is not None:
            numbers[int(call.params["chat_id"])].append(number)
    for u in users:
        assert numbers[u] == [*range(2, len(ANSWERS) + 1), len(ANSWERS)]
    assert stored_answers(bot.db_path) == {u: dict(ANSWERS) for u in users}
    assert finished(bot.db_path) == set(users)
    assert len(api.sent("sendDocument")) == len(users)


async def test_a_chat_whose_bot_api_calls_hang_holds_up_no_one_else(tmp_path: Path) -> None:
    slow = 6000
    gate = asyncio.Event()
    slow_queries: set[str] = set()

    async def hold_the_slow_chat(method: str, params: dict[str, Any]) -> None:
        if params.get("chat_id") == slow or params.get("callback_query_id") in slow_queries:
            await gate.wait()

    api = OfflineBotAPI(jitter=0.01, seed=3, before_call=hold_the_slow_chat)
    # Few processing slots: the slow chat's queued taps must not take them.
    bot = await start_bot(tmp_path / "z.sqlite3", api=api, concurrent_updates=4)
    await bot.app.start()
    try:
        others = list(range(6001, 6021))
        origins = await started(bot, others)
        await deliver(bot, [bot.updates.message(slow, "/start")])
        slow_taps = [bot.updates.callback(slow, callbacks.answer(q, o)) for q, o in ANSWERS[:10]]
        slow_queries.update(t["callback_query"]["id"] for t in slow_taps)
        await deliver(bot, slow_taps)
        updates, _ = interleaved(bot, origins, random.Random(5))
        await deliver(bot, updates)
        await until(lambda: finished(bot.db_path) >= set(others) and len(api.sent("sendDocument")) == len(others))
        # Everyone else is through the whole interview while the slow chat still waits on its /start reply.
        assert not gate.is_set()
        assert not api.sent("answerCallbackQuery") or all(
            c.params["callback_query_id"] not in slow_queries for c in api.sent("answerCallbackQuery")
        )
        assert stored_answers(bot.db_path).get(slow, {}) == {}
        gate.set()
        await until(idle(bot))
    finally:
        gate.set()
        await bot.app.stop()
        await stop_bot(bot)
    # Once its Bot API answered, the slow chat's taps were handled, in order.
    assert stored_answers(bot.db_path)[slow] == dict(ANSWERS[:10])


async def test_bot_api_timeouts_in_one_chat_leave_the_others_and_its_answers_intact(tmp_path: Path) -> None:
    failing = 7000
    failing_queries: set[str] = set()

    async def time_out_the_failing_chat(method: str, params: dict[str, Any]) -> None:
        if params.get("chat_id") == failing or params.get("callback_query_id") in failing_queries:
            raise TimedOut("offline Bot API: no answer")

    api = OfflineBotAPI(jitter=0.01, seed=9)
    bot = await start_bot(tmp_path / "z.sqlite3", api=api)
    errors: list[BaseException | None] = []

    async def spy(update: object, context: Any) -> None:
        errors.append(context.error)

    bot.app.add_error_handler(spy)
    await bot.app.start()
    try:
        others = list(range(7001, 7011))
        origins = await started(bot, [*others, failing])
        api.before_call = time_out_the_failing_chat
        taps = [bot.updates.callback(failing, callbacks.answer(q, o), origins[failing]) for q, o in ANSWERS[:3]]
        failing_queries.update(t["callback_query"]["id"] for t in taps)
        updates, _ = interleaved(bot, {u: origins[u] for u in others}, random.Random(2))
        await deliver(bot, [*taps, *updates])
        await until(idle(bot))
    finally:
        await bot.app.stop()
        await stop_bot(bot)
    assert finished(bot.db_path) >= set(others)
    assert errors and all(isinstance(e, TimedOut) for e in errors)
    # The replies were lost on the way, the answers were not: they are stored, in order.
    assert stored_answers(bot.db_path)[failing] == dict(ANSWERS[:3])


async def test_an_update_cancelled_while_waiting_does_not_let_the_next_of_its_chat_overtake() -> None:
    processor = PerChatUpdateProcessor(8)
    chat = Chat(5, "private")
    update = Update(1, message=Message(1, dt.datetime.now(dt.UTC), chat, from_user=User(5, "u", False)))
    first_may_end = asyncio.Event()
    order: list[str] = []

    async def work(name: str, hold: asyncio.Event | None = None) -> None:
        order.append(f"{name} start")
        if hold is not None:
            await hold.wait()
        order.append(f"{name} end")

    first = asyncio.create_task(processor.do_process_update(update, work("A", first_may_end)))
    second = asyncio.create_task(processor.do_process_update(update, work("B")))
    third = asyncio.create_task(processor.do_process_update(update, work("C")))
    await asyncio.sleep(0)
    second.cancel()  # B is cancelled while it waits behind A
    await asyncio.gather(second, return_exceptions=True)
    for _ in range(5):
        await asyncio.sleep(0)
    assert order == ["A start"]  # C still waits for A
    first_may_end.set()
    await asyncio.gather(first, third)
    assert order == ["A start", "A end", "C start", "C end"]
    assert processor.waiting_chats == 0
