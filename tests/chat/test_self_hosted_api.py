"""TELEGRAM_API_BASE_URL: the bot polls a self-hosted Bot API server (here an emulator on
127.0.0.1) over real HTTP with python-telegram-bot's own network layer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import build_application
from bot.settings import Settings
from tests.chat.emulator import BotAPIEmulator
from tests.support.offline import UpdateFactory


async def test_the_bot_long_polls_a_bot_api_server_at_the_configured_base_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with BotAPIEmulator() as emulator:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:EMULATED")
        monkeypatch.setenv("ZHICHENG_LOG_SALT", "salt-of-the-emulated-bot")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", emulator.base_url)
        monkeypatch.setenv("ZHICHENG_DB", str(tmp_path / "z.sqlite3"))
        settings = Settings.load()
        app = build_application(settings)
        await app.initialize()
        await app.post_init(app)
        await app.updater.start_polling(poll_interval=0.0, timeout=0)
        await app.start()
        try:
            emulator.pending.put(UpdateFactory().message(9, "/start"))
            for _ in range(250):
                if any("第1题" in str(c.params.get("text")) for c in emulator.api.sent("sendMessage")):
                    break
                await asyncio.sleep(0.02)
            sent = [str(c.params.get("text")) for c in emulator.api.sent("sendMessage")]
            assert any("第1题" in t for t in sent)
            assert all(p.startswith("/bot123456:EMULATED/") for p in emulator.paths)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_shutdown(app)
            await app.shutdown()
