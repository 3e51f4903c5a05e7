"""Deployment as an office administrator meets it: a self-signed certificate uploaded with setWebhook,
refused webhook requests logged with the client's address from nginx's X-Real-IP, DEBUG logging that
keeps user ids hashed and texts out (unless ZHICHENG_LOG_UNSAFE_DEBUG=1, which warns), and no second
timestamp under journald. The production code paths: bot.runner.serve in process, `zhicheng-bot run`
in a subprocess against the Bot API emulator."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import build_application
from bot.settings import Settings, SettingsError
from bot.telegram.runner import client_address, serve
from tests.chat.emulator import BotAPIEmulator
from tests.chat.test_runner import SALT, TOKEN, Bot, free_port
from tests.support.offline import OfflineBotAPI, UpdateFactory

SECRET = "webhook-secret_for-tests"
README = Path(__file__).resolve().parents[2] / "README.md"
STATE_DB = "/var/lib/zhicheng-bot/zhicheng.sqlite3"
URL = "https://bot.example.invalid/zhicheng"
OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate and its key, made as README says (openssl req -x509)."""
    if OPENSSL is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "zhicheng-bot.pem", folder / "zhicheng-bot.key"
    subprocess.run(
        [
            OPENSSL,
            "req",
            "-newkey",
            "rsa:2048",
            "-sha256",
            "-nodes",
            "-x509",
            "-days",
            "30",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=bot.example.invalid",
            "-addext",
            "subjectAltName=DNS:bot.example.invalid",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    yield cert, key


async def _webhook_running(
    tmp_path: Path, api: OfflineBotAPI, **values: str
) -> tuple[asyncio.Event, asyncio.Task[int], int]:
    port = free_port()
    settings = Settings.from_values(
        {
            "TELEGRAM_BOT_TOKEN": "123456:HOOK",
            "ZHICHENG_LOG_SALT": "s" * 16,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
            "ZHICHENG_DB": str(tmp_path / "z.sqlite3"),
            "ZHICHENG_WEBHOOK_SECRET": SECRET,
            "ZHICHENG_WEBHOOK_LISTEN": "127.0.0.1",
            "ZHICHENG_WEBHOOK_PORT": str(port),
            **values,
        }
    )
    app = build_application(settings, request=api, rate_limit=False)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, settings, URL, stop))
    for _ in range(500):
        if api.sent("setWebhook") or task.done():
            break
        await asyncio.sleep(0.01)
    assert api.sent("setWebhook"), task
    return stop, task, port


async def test_a_self_signed_certificate_is_uploaded_with_set_webhook(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    api = OfflineBotAPI()
    stop, task, _ = await _webhook_running(tmp_path, api, ZHICHENG_WEBHOOK_CERT=str(certificate[0]))
    stop.set()
    assert await task == 0
    call = api.sent("setWebhook")[-1]
    assert call.params["url"] == URL and call.params["secret_token"] == SECRET
    uploaded = list(call.files.values())
    assert uploaded == [certificate[0].read_bytes()]  # the public certificate, nothing else


async def test_without_a_certificate_set_webhook_uploads_none(tmp_path: Path) -> None:
    api = OfflineBotAPI()
    stop, task, _ = await _webhook_running(tmp_path, api)
    stop.set()
    assert await task == 0
    assert api.sent("setWebhook")[-1].files == {}


def test_the_certificate_setting_takes_a_public_certificate_only(
    tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    assert Settings.from_values({"ZHICHENG_WEBHOOK_CERT": str(certificate[0])}).webhook_cert == certificate[0]
    for path, problem in ((certificate[1], "holds a private key"), (tmp_path / "none.pem", "cannot be read")):
        with pytest.raises(SettingsError) as caught:
            Settings.from_values({"ZHICHENG_WEBHOOK_CERT": str(path)})
        assert len(caught.value.problems) == 1
        assert caught.value.problems[0].startswith(f"ZHICHENG_WEBHOOK_CERT ({str(path)!r}) {problem}")


async def test_a_refused_webhook_request_is_logged_with_the_address_nginx_gives(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = OfflineBotAPI()
    stop, task, port = await _webhook_running(tmp_path, api)
    try:
        update = UpdateFactory().message(77, "/start")
        async with httpx.AsyncClient(timeout=10) as client:
            with caplog.at_level(logging.WARNING, logger="zhicheng.runner"):
                answer = await client.post(
                    f"http://127.0.0.1:{port}/zhicheng",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": "wrong", "X-Real-IP": "203.0.113.9"},
                )
        assert answer.status_code == 403
        refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert refused == ["webhook request without the right secret token from 203.0.113.9 refused"]
    finally:
        stop.set()
        await task


def test_x_real_ip_is_believed_only_from_this_machine() -> None:
    assert client_address("127.0.0.1", "198.51.100.7") == "198.51.100.7"
    assert client_address("::1", "2001:db8::1") == "2001:db8::1"
    assert client_address("198.51.100.20", "10.0.0.1") == "198.51.100.20"  # not through the local proxy
    assert client_address("127.0.0.1", "not an address") == "127.0.0.1"
    assert client_address("127.0.0.1", None) == "127.0.0.1"


# --- logging, in the real process ------------------------------------------------------------

USER = 987654321
MARKER = "我的私事ZX-4711"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _run_and_chat(environment: dict[str, str], bots: list[Bot]) -> Bot:
    with BotAPIEmulator() as emulator:
        environment["TELEGRAM_API_BASE_URL"] = emulator.base_url
        bot = Bot(["run"], environment)
        bots.append(bot)
        assert bot.wait_for("长轮询中"), bot.output
        emulator.pending.put(UpdateFactory().message(USER, MARKER))
        assert bot.wait_for(r"update user=", seconds=20), bot.output  # the reply was sent and logged
        assert bot.stop() == 0
    return bot


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZHICHENG_", "JOURNAL_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        ZHICHENG_LOG_SALT=SALT,
        ZHICHENG_DB=str(tmp_path / "z.sqlite3"),
        PYTHONUNBUFFERED="1",
        ZHICHENG_LOG_LEVEL="DEBUG",
    )
    return env


@pytest.fixture
def bots() -> Iterator[list[Bot]]:
    started: list[Bot] = []
    yield started
    for bot in started:
        bot.kill()


def test_at_debug_under_journald_ids_stay_hashed_texts_stay_out_and_lines_carry_no_timestamp(
    environment: dict[str, str], bots: list[Bot]
) -> None:
    environment["JOURNAL_STREAM"] = "8:123456"  # what systemd sets for a service logging to the journal
    bot = _run_and_chat(environment, bots)
    assert re.search(r"^INFO zhicheng\.updates update user=[0-9a-f]{12} ", bot.output, re.M), bot.output
    assert str(USER) not in bot.output and MARKER not in bot.output and f"用户{USER}" not in bot.output
    assert not any(TIMESTAMP.match(line) for line in bot.lines), bot.output
    assert all(line.split(" ", 1)[0] in ("DEBUG", "INFO", "WARNING", "ERROR") for line in bot.lines), bot.output


def test_unsafe_debug_says_so_and_only_then_lets_the_libraries_raw_lines_through(
    environment: dict[str, str], bots: list[Bot]
) -> None:
    environment["ZHICHENG_LOG_UNSAFE_DEBUG"] = "1"
    bot = _run_and_chat(environment, bots)
    assert "ZHICHENG_LOG_UNSAFE_DEBUG=1" in bot.output and "raw Telegram user ids" in bot.output
    assert str(USER) in bot.output  # the control: PTB's own debug lines carry the raw id
    assert all(TIMESTAMP.match(line) for line in bot.lines if line.strip()), bot.output  # not under journald


async def test_healthz_answers_503_once_the_storage_is_gone(tmp_path: Path) -> None:
    api = OfflineBotAPI()
    stop, task, port = await _webhook_running(tmp_path, api)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            healthy = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert healthy.status_code == 200 and healthy.text.startswith(f"ok: storage {tmp_path / 'z.sqlite3'} (")
            # README shows this answer as the service gives it
            as_deployed = healthy.text.strip().replace(str(tmp_path / "z.sqlite3"), STATE_DB)
            assert f"`{as_deployed}`" in README.read_text("utf-8")
            for suffix in ("", "-wal", "-shm"):  # the database removed from under the running bot
                (tmp_path / f"z.sqlite3{suffix}").unlink(missing_ok=True)
            gone = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert gone.status_code == 503
        assert gone.text == f"unhealthy: storage {tmp_path / 'z.sqlite3'} is gone\n"
        assert f"`{gone.text.strip().replace(str(tmp_path / 'z.sqlite3'), STATE_DB)}`" in README.read_text("utf-8")
    finally:
        stop.set()
        await task


async def test_healthz_answers_503_when_the_storage_cannot_be_queried(tmp_path: Path) -> None:
    from bot.telegram.runner import health_line
    from tests.chat.conftest import start_bot, stop_bot

    bot = await start_bot(tmp_path / "z.sqlite3")
    try:
        assert (await health_line(bot.app))[0] is True
        await bot.app.bot_data.chat.storage.close()  # the database connection is lost
        healthy, line = await health_line(bot.app)
        assert not healthy and line.startswith(f"unhealthy: storage {tmp_path / 'z.sqlite3'} not reachable (")
    finally:
        await stop_bot(bot)


def test_a_migration_that_fails_stops_the_start_with_one_line_and_changes_nothing(
    environment: dict[str, str], bots: list[Bot], tmp_path: Path
) -> None:
    import sqlite3

    db = Path(environment["ZHICHENG_DB"])
    with sqlite3.connect(db) as conn:  # a table in the way of the first migration
        conn.execute("CREATE TABLE users (anything TEXT)")
    with BotAPIEmulator() as emulator:
        environment["TELEGRAM_API_BASE_URL"] = emulator.base_url
        environment["ZHICHENG_LOG_LEVEL"] = "INFO"
        bot = Bot(["run"], environment)
        bots.append(bot)
        assert bot.exit_code() == 1
    failed = [line for line in bot.lines if "cannot start" in line]
    assert len(failed) == 1 and f"the database {db} (OperationalError: table users already exists)" in failed[0]
    assert "Traceback" not in bot.output
    with sqlite3.connect(db) as conn:  # the failed migration was rolled back
        assert conn.execute("SELECT count(*) FROM applied_migrations").fetchone() == (0,)
