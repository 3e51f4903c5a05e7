"""The bot's own HTTP client for the Bot API (bot.telegram.http_client, aiohttp): the whole
interview over real HTTP to a Bot API stand-in on 127.0.0.1 (tests/support/http_api.py), with
its texts checked as Telegram checks them; a file uploaded and one downloaded; time-outs,
unreachable servers and a rejected token as PTB's own exceptions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot.app import build_application
from bot.settings import Settings
from bot.telegram.http_client import AiohttpRequest
from tests.support import buttons
from tests.support.http_api import BotAPIServer, BotSide
from tests.support.offline import OfflineBotAPI, UpdateFactory

TOKEN = "123456:TRANSPORT"


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(delay=0.0)
    await stand_in.start()
    stand_in.side(TOKEN, OfflineBotAPI())  # records every call and checks texts and buttons
    try:
        yield stand_in
    finally:
        await stand_in.stop()


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for the condition (each turn of the loop looks again), failing after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the bot did not answer in time"
        await asyncio.sleep(0.01)


def keyboard_of(side: BotSide, chat_id: int) -> dict[str, Any]:
    """The newest message with buttons in the chat."""
    return max(
        (m for (chat, _), m in side.api.messages.items() if chat == chat_id and m.get("reply_markup")),
        key=lambda m: int(m["message_id"]),
    )


async def test_an_applicant_goes_through_the_interview_over_http(server: BotAPIServer, tmp_path: Path) -> None:
    side = server.sides[TOKEN]
    answers: list[tuple[str, bool, Any]] = []
    server.listener = lambda token, method, params, ok, result, at: answers.append((method, ok, result))
    settings = Settings(token=TOKEN, db_path=tmp_path / "z.sqlite3", api_base_url=server.base_url)
    app = build_application(settings)
    assert isinstance(app.bot.request, AiohttpRequest)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    await app.start()
    updates = UpdateFactory()
    user = 4242
    try:
        side.push(updates.message(user, "/start"))
        await until(lambda: any(m.get("reply_markup") for (c, _), m in side.api.messages.items() if c == user))
        path = next(iter(app.bot_data.chat.interview.paths())).items()
        for question_id, option_id in path:
            edits = len(side.api.sent("editMessageText"))
            side.push(updates.callback(user, buttons.answer(question_id, option_id), keyboard_of(side, user)))
            await until(lambda edits=edits: len(side.api.sent("editMessageText")) > edits)
        await until(lambda: bool(side.api.sent("sendDocument")))
    finally:
        await app.updater.stop()
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()
    assert [a for a in answers if not a[1]] == []  # every call passed Telegram's checks (length, HTML, buttons)
    document = side.api.sent("sendDocument")[0]
    name, content = next(iter(document.files.items()))
    assert name.endswith(".html") and content.decode("utf-8").lstrip().lower().startswith("<!doctype html")
    assert document.params["chat_id"] == str(user)
    answered = side.api.sent("answerCallbackQuery")
    assert len(answered) == len(path)  # every tap answered once
    assert all(h.get("user-agent", "").startswith("python-telegram-bot") for h in side.headers)


async def test_a_file_is_downloaded_and_a_document_uploaded(server: BotAPIServer) -> None:
    side = server.sides[TOKEN]
    side.api.files["case1"] = b"answers:\n  level: junior\n"
    async with Bot(
        TOKEN,
        base_url=server.base_url,
        base_file_url=f"http://127.0.0.1:{server.port}/file/bot",
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(1),
    ) as bot:
        file = await bot.get_file("case1")
        assert bytes(await file.download_as_bytearray()) == side.api.files["case1"]
        sent = await bot.send_document(77, b"\xef\xbb\xbfa,b\n", filename="stats.csv", caption="统计")
        assert sent.caption == "统计"
    upload = side.api.sent("sendDocument")[0]
    assert upload.files == {"stats.csv": b"\xef\xbb\xbfa,b\n"}


async def test_markup_and_text_arrive_as_telegram_reads_them(server: BotAPIServer) -> None:
    side = server.sides[TOKEN]
    async with Bot(
        TOKEN, base_url=server.base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest(1)
    ) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("✓ 是", callback_data="iv.answer:q:yes")]])
        message = await bot.send_message(5, "<b>第1题</b> &amp; 其他", parse_mode="HTML", reply_markup=markup)
    assert message.text == "<b>第1题</b> &amp; 其他"
    call = side.api.sent("sendMessage")[0]
    assert call.params["reply_markup"] == json.loads(json.dumps(markup.to_dict()))
    assert call.params["parse_mode"] == "HTML"


async def test_a_bot_api_that_does_not_answer_in_time_is_a_time_out(server: BotAPIServer) -> None:
    server.hold.add("sendMessage")
    async with Bot(
        TOKEN,
        base_url=server.base_url,
        request=AiohttpRequest(read_timeout=0.2, write_timeout=0.1),
        get_updates_request=AiohttpRequest(1),
    ) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(5, "held")


async def test_an_unreachable_bot_api_is_a_network_error(unused_tcp_port: int) -> None:
    bot = Bot(
        TOKEN,
        base_url=f"http://127.0.0.1:{unused_tcp_port}/bot",
        request=AiohttpRequest(connect_timeout=2),
        get_updates_request=AiohttpRequest(1),
    )
    with pytest.raises(NetworkError) as raised:
        await bot.initialize()
    assert not isinstance(raised.value, TimedOut)
    await bot.shutdown()


async def test_a_rejected_token_is_invalid_token(server: BotAPIServer) -> None:
    bot = Bot("999:UNKNOWN", base_url=server.base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest(1))
    with pytest.raises(InvalidToken):
        await bot.initialize()
    await bot.shutdown()


async def test_a_request_before_initialize_or_after_shutdown_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/botX/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/botX/getMe", "POST")
