"""The adapter's actions added for the office (bot.app.perform on the offline Bot API): a sent
message's id recorded in SQLite, a photo, a chat's command menu that Telegram refuses, and the
sender at a paid budget (two workers) delivering each message once."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.chat.actions import Send, SendPhoto, SetCommands
from bot.delivery import broadcasts
from bot.delivery.sender import OutboxSender, concurrency_for
from bot.features import REGISTRY
from bot.store.population import Audience
from bot.store.storage import Storage
from bot.telegram.perform import perform
from tests.chat.conftest import start_bot, stop_bot
from tests.support.applicants import Seeded, path, seed
from tests.support.offline import OfflineBotAPI

NOW = dt.datetime(2021, 10, 12, 2, 0, tzinfo=dt.UTC)


class RefusingMenus(OfflineBotAPI):
    """Telegram refuses a chat scope for a user who never opened the bot's chat."""

    def answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> tuple[bool, Any]:
        if method in ("setMyCommands", "deleteMyCommands") and params.get("scope"):
            return False, "Bad Request: chat not found"
        return super().answer(method, params, files)


async def test_a_sent_messages_id_is_recorded_in_its_own_transaction(tmp_path: Path) -> None:
    bot = await start_bot(tmp_path / "z.sqlite3")
    storage: Storage = bot.app.bot_data.chat.storage
    try:

        def remember(db: sqlite3.Connection, message_id: int) -> None:
            db.execute(
                "INSERT INTO audit_log (at, actor_id, action, detail) VALUES ('-', 1, 'seen', ?)", (str(message_id),)
            )

        await perform(bot.app.bot, 77, [Send("进度", on_sent=remember), Send("其他")], storage=storage)
        [first, _] = bot.api.sent("sendMessage")
        sent_id = next(m["message_id"] for (chat, _), m in bot.api.messages.items() if m["text"] == "进度")
        assert await storage.atomically(lambda db: db.execute("SELECT detail FROM audit_log").fetchall()) == [
            (str(sent_id),)
        ]
        assert first.params["text"] == "进度"
    finally:
        await stop_bot(bot)


async def test_a_photo_is_sent_and_a_refused_command_menu_does_not_stop_the_rest(tmp_path: Path) -> None:
    bot = await start_bot(tmp_path / "z.sqlite3", api=RefusingMenus())
    try:
        bot.api.clear()  # the default menu set at start
        await perform(
            bot.app.bot,
            77,
            [
                SetCommands(555, frozenset({"contact"})),
                SetCommands(556),
                SendPhoto("chart.png", b"\x89PNG\r\n\x1a\n....", "统计图"),
                Send("好"),
            ],
            registry=REGISTRY,
        )
        methods = [c.method for c in bot.api.calls]
        assert methods == ["setMyCommands", "deleteMyCommands", "sendPhoto", "sendMessage"]
        [photo] = bot.api.sent("sendPhoto")
        assert photo.params["caption"] == "统计图" and "parse_mode" not in photo.params
    finally:
        await stop_bot(bot)


@pytest.mark.parametrize(("budget", "expected"), [(30, (1, 30)), (1000, (2, 200)), (100, (2, 30))])
def test_the_sender_keeps_more_in_flight_only_above_telegrams_30_a_second(
    budget: int, expected: tuple[int, int]
) -> None:
    assert concurrency_for(budget) == expected


async def test_at_a_paid_budget_two_workers_deliver_each_message_once(tmp_path: Path) -> None:
    bot = await start_bot(tmp_path / "z.sqlite3", bulk_per_second=1000, sender_interval=0)
    storage: Storage = bot.app.bot_data.chat.storage
    try:
        people = [Seeded(5000 + i, path("junior", "eligible", i)) for i in range(450)]
        await storage.atomically(lambda db: seed(db, people))
        await storage.atomically(
            broadcasts.create,
            author_id=1,
            author_chat=None,
            audience=Audience(),
            messages=[Send("缴费通知")],
            at=NOW,
            now=NOW,
            recipients=450,
        )
        sender: OutboxSender = bot.app.bot_data.sender
        assert (sender.workers, sender.batch) == (2, 200)
        await sender.tick()
        chats = sorted(c.params["chat_id"] for c in bot.api.sent("sendMessage") if c.params["text"] == "缴费通知")
        assert chats == [p.chat_id for p in people]
        assert (await storage.atomically(broadcasts.get, 1)).status == "done"  # type: ignore[union-attr]
    finally:
        await stop_bot(bot)
