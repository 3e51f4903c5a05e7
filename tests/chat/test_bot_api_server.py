"""The bot works wherever its Bot API server is: files sent to it (case files as documents) are
downloaded from the configured server, not from api.telegram.org, and an office's outbound proxy
carries the bot's requests and its long polling. Through the real PTB Application."""

from __future__ import annotations

import asyncio
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import build_application
from bot.settings import Settings
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.chat.emulator import BotAPIEmulator
from tests.support.offline import UpdateFactory

CONTACT = 5150
CASE = {"answers": {"employment": "retired"}}  # the shortest case: one answer


def case_file() -> bytes:
    return yaml.safe_dump(CASE, allow_unicode=True).encode("utf-8")


def downloads(bot: BotUnderTest) -> list[str]:
    return [str(c.params["url"]) for c in bot.api.sent("downloadFile")]


@pytest.mark.parametrize("server", ["http://127.0.0.1:9/bot", "https://bot-api.office.example/bot"])
async def test_a_case_file_is_downloaded_from_the_configured_bot_api_server(tmp_path: Path, server: str) -> None:
    bot = await start_bot(tmp_path / "z.sqlite3", contact_ids=frozenset({CONTACT}), settings={"api_base_url": server})
    try:
        calls = await bot.document(CONTACT, "retiree.yaml", case_file())
        assert [c.method for c in calls if c.method in ("getFile", "downloadFile")] == ["getFile", "downloadFile"]
        file_server = server.removesuffix("/bot") + "/file/bot123456%3ATEST/"  # the token, URL-encoded
        assert downloads(bot) and all(url.startswith(file_server) for url in downloads(bot))
        assert "离退休人员不得申报参加职称评审" in "\n".join(texts(calls))
    finally:
        await stop_bot(bot)


async def test_a_file_url_on_another_server_is_refused_there_and_the_sender_is_told_in_one_reply(
    tmp_path: Path,
) -> None:
    # The control of the test above: the stand-in serves files only from the server the bot talks to,
    # as a self-hosted Bot API server does when api.telegram.org cannot be reached.
    bot = await start_bot(
        tmp_path / "z.sqlite3",
        contact_ids=frozenset({CONTACT}),
        settings={"api_file_base_url": "https://api.telegram.org/file/bot"},
    )
    try:
        calls = await bot.document(CONTACT, "retiree.yaml", case_file())
        assert downloads(bot) and downloads(bot)[0].startswith("https://api.telegram.org/file/bot")
        sent = "\n".join(texts(calls))
        assert "离退休人员" not in sent and "retiree.yaml" in sent
        assert len([c for c in calls if c.method == "sendMessage"]) == 1
    finally:
        await stop_bot(bot)


def test_the_file_url_is_beside_the_method_url_or_named_in_its_own_setting() -> None:
    assert Settings().api_file_url == "https://api.telegram.org/file/bot"
    assert Settings(api_base_url="http://127.0.0.1:8081/bot").api_file_url == "http://127.0.0.1:8081/file/bot"
    named = Settings.from_values(
        {"TELEGRAM_API_BASE_URL": "http://10.1.2.3/tg/api", "TELEGRAM_API_FILE_URL": "http://10.1.2.3/tg/files"}
    )
    assert named.api_file_url == "http://10.1.2.3/tg/files"


BOT_API_HOST = "bot-api.office.invalid"  # resolves nowhere: only the proxy knows where it is


class ForwardingProxy:
    """A plain HTTP proxy on 127.0.0.1 that forwards each absolute-form request and records it; it
    reaches BOT_API_HOST at 127.0.0.1, so a request that bypassed it would fail."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        proxy = self
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                proxy.requests.append(self.path)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type",)}
                target = self.path.replace(BOT_API_HOST, "127.0.0.1", 1)
                forwarded = urllib.request.Request(target, data=body, headers=headers, method=self.command)
                with direct.open(forwarded, timeout=10) as answer:
                    data, status = answer.read(), answer.status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ForwardingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bot_api() -> Iterator[BotAPIEmulator]:
    with BotAPIEmulator() as emulator:
        yield emulator


async def test_the_bot_and_its_long_polling_go_through_the_configured_proxy(
    tmp_path: Path, bot_api: BotAPIEmulator
) -> None:
    with ForwardingProxy() as proxy:
        # An office names its proxy as the standard variable (127.0.0.1 itself is never proxied, so the
        # Bot API is named by a host that only the proxy can reach).
        base = bot_api.base_url.replace("127.0.0.1", BOT_API_HOST)
        settings = Settings.from_values(
            {
                "TELEGRAM_BOT_TOKEN": "123456:PROXIED",
                "ZHICHENG_LOG_SALT": "s" * 16,
                "TELEGRAM_API_BASE_URL": base,
                "ZHICHENG_DB": str(tmp_path / "z.sqlite3"),
                "HTTPS_PROXY": "http://unused.invalid:1",
                "HTTP_PROXY": proxy.url,
            }
        )
        assert settings.proxy == proxy.url
        app = build_application(settings)
        await app.initialize()
        await app.post_init(app)
        await app.updater.start_polling(poll_interval=0.0, timeout=0)
        await app.start()
        try:
            bot_api.pending.put(UpdateFactory().message(9, "/start"))
            for _ in range(250):
                if any("第1题" in str(c.params.get("text")) for c in bot_api.api.sent("sendMessage")):
                    break
                await asyncio.sleep(0.02)
            assert any("第1题" in str(c.params.get("text")) for c in bot_api.api.sent("sendMessage"))
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_shutdown(app)
            await app.shutdown()
    methods = {path.rsplit("/", 1)[-1] for path in proxy.requests}
    assert {"getMe", "getUpdates", "sendMessage"} <= methods
    assert all(path.startswith(base) for path in proxy.requests)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ZHICHENG_PROXY": "http://proxy.office:3128", "HTTPS_PROXY": "http://other:1"}, "http://proxy.office:3128"),
        ({"HTTPS_PROXY": "http://proxy.office:3128"}, "http://proxy.office:3128"),
        ({"https_proxy": "http://lower:3128"}, "http://lower:3128"),
        ({"ALL_PROXY": "http://all:3128"}, "http://all:3128"),
        ({"HTTPS_PROXY": "http://proxy.office:3128", "NO_PROXY": "example.org,.telegram.org"}, None),
        ({"HTTP_PROXY": "http://only-for-http:3128"}, None),  # api.telegram.org is reached over HTTPS
        ({}, None),
    ],
)
def test_the_proxy_comes_from_its_setting_or_the_standard_variables(
    values: dict[str, str], expected: str | None
) -> None:
    assert Settings.from_values(values).proxy == expected
