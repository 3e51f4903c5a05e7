"""The webhook deployment: Telegram posts updates to our HTTPS endpoint with a secret token.
Served by PTB's own webhook server on 127.0.0.1; the Bot API side is the offline stand-in."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import httpx

from tests.chat.conftest import start_bot, stop_bot
from tests.support.offline import OfflineBotAPI, UpdateFactory

SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(condition, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_updates_posted_with_the_secret_are_answered_and_others_refused(tmp_path: Path) -> None:
    api = OfflineBotAPI()
    bot = await start_bot(tmp_path / "z.sqlite3", api)
    port = free_port()
    app = bot.app
    await app.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="zhicheng", webhook_url="https://bot.example.invalid/zhicheng",
        secret_token=SECRET,
    )
    await app.start()
    try:
        set_webhook = api.sent("setWebhook")
        assert set_webhook and set_webhook[-1].params["secret_token"] == SECRET
        update = UpdateFactory().message(77, "/start")
        url = f"http://127.0.0.1:{port}/zhicheng"
        async with httpx.AsyncClient() as client:
            refused = await client.post(url, content=json.dumps(update),
                                        headers={"Content-Type": "application/json",
                                                 "X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert refused.status_code == 403
            await asyncio.sleep(0.2)
            assert not api.sent("sendMessage")
            accepted = await client.post(url, content=json.dumps(update),
                                         headers={"Content-Type": "application/json",
                                                  "X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert accepted.status_code == 200
        assert await wait_for(lambda: any("第1题" in str(c.params.get("text")) for c in api.sent("sendMessage")))
    finally:
        await app.updater.stop()
        await app.stop()
        await stop_bot(bot)
