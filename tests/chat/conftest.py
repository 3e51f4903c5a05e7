"""The real PTB Application on the offline Bot API and a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.settings import Settings
from tests.support.offline import Call, OfflineBotAPI, UpdateFactory, feed


@dataclass
class BotUnderTest:
    app: Any
    api: OfflineBotAPI
    updates: UpdateFactory
    db_path: Path
    extra: dict[str, Any] = field(default_factory=dict)  # what a fixture hands its tests (a seeded population)

    async def send(self, data: dict[str, Any]) -> list[Call]:
        """Deliver an update; return the Bot API calls it caused."""
        before = len(self.api.calls)
        await feed(self.app, data)
        return self.api.calls[before:]

    async def text(self, user_id: int, text: str, **kw: Any) -> list[Call]:
        return await self.send(self.updates.message(user_id, text, **kw))

    async def document(self, user_id: int, file_name: str, content: bytes, *, size: int | None = -1) -> list[Call]:
        """Send a file as a document; `size` is the file_size Telegram reports (default: its length,
        None: not reported)."""
        file_id = f"f{len(self.api.files) + 1}"
        self.api.files[file_id] = content
        reported = len(content) if size == -1 else size
        return await self.send(self.updates.document(user_id, file_id, file_name, reported))

    async def press(self, user_id: int, data: str, message: dict[str, Any] | None = None) -> list[Call]:
        return await self.send(self.updates.callback(user_id, data, message or self.last_keyboard_message(user_id)))

    def last_keyboard_message(self, chat_id: int) -> dict[str, Any] | None:
        for (chat, _), msg in sorted(self.api.messages.items(), key=lambda kv: kv[0][1], reverse=True):
            if chat == chat_id and msg.get("reply_markup"):
                return msg
        return None

    def buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label, callback data) of the newest message with a keyboard in the chat."""
        msg = self.last_keyboard_message(chat_id)
        if msg is None:
            return []
        markup = msg["reply_markup"]
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def start_bot(
    db_path: Path,
    api: OfflineBotAPI | None = None,
    updates: UpdateFactory | None = None,
    settings: dict[str, Any] | None = None,
    contact_ids: frozenset[int] = frozenset(),
    **options: Any,
) -> BotUnderTest:
    """Start the Application; pass the previous `updates` to go on with Telegram's update ids.
    `contact_ids` are the settings' contact persons; `settings` overrides other Settings fields;
    `options` go to build_application (rate_limit, concurrent_updates, clock, sender_interval)."""
    api = api or OfflineBotAPI()
    settings_ = Settings(
        **(
            {
                "token": "123456:TEST",
                "db_path": db_path,
                "api_base_url": "http://127.0.0.1:9/bot",
                "contact_ids": contact_ids,
            }
            | (settings or {})
        )
    )
    app = build_application(settings_, request=api, **({"rate_limit": False} | options))
    await app.initialize()
    await app.post_init(app)
    return BotUnderTest(app, api, updates or UpdateFactory(), db_path)


async def stop_bot(bot: BotUnderTest) -> None:
    await bot.app.post_shutdown(bot.app)
    await bot.app.shutdown()


@pytest.fixture
async def chat_bot(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    bot = await start_bot(tmp_path / "zhicheng.sqlite3")
    try:
        yield bot
    finally:
        await stop_bot(bot)


def texts(calls: list[Call]) -> list[str]:
    return [str(c.params.get("text", "")) for c in calls if c.method in ("sendMessage", "editMessageText")]
