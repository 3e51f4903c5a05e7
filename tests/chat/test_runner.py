"""`zhicheng-bot run` as an operator starts it: a real subprocess, the production code path, against
the Bot API emulator on 127.0.0.1 (or a closed port for "no network"). Start-up lines, a rejected
token, no network, SIGTERM, the webhook path, its secret and /healthz, and `zhicheng-bot health`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.chat.emulator import BotAPIEmulator
from tests.support.offline import UpdateFactory

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:RUNNER-test_token"
SALT = "a-salt-of-the-tests-0123456789"
SECRET = "webhook-secret_for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bot:
    """`python -m bot.cli ARGS` with its stderr collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, seconds: float = 20.0, count: int = 1) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.output)) >= count:
                return True
            if self.process.poll() is not None:
                self.reader.join(2)
                return len(re.findall(pattern, self.output)) >= count
            time.sleep(0.05)
        return False

    def exit_code(self, seconds: float = 20.0) -> int:
        code = self.process.wait(seconds)
        self.reader.join(2)
        return code

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.exit_code()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZHICHENG_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, ZHICHENG_LOG_SALT=SALT, ZHICHENG_DB=str(tmp_path / "z.sqlite3"), PYTHONUNBUFFERED="1"
    )
    return env


@pytest.fixture
def bots() -> Iterator[list[Bot]]:
    started: list[Bot] = []
    yield started
    for bot in started:
        bot.kill()


def no_secret_shown(output: str) -> None:
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert SECRET not in output and SALT not in output


def test_a_token_the_server_rejects_gives_one_line_without_the_token_and_exit_2(
    environment: dict[str, str], bots: list[Bot]
) -> None:
    with BotAPIEmulator(reject_token=True) as emulator:
        environment["TELEGRAM_API_BASE_URL"] = emulator.base_url
        bot = Bot(["run"], environment)
        bots.append(bot)
        assert bot.exit_code() == 2
    assert len(bot.lines) == 1, bot.output
    assert "rejected TELEGRAM_BOT_TOKEN" in bot.output
    assert "Traceback" not in bot.output
    no_secret_shown(bot.output)


def test_without_network_the_bot_retries_with_one_line_each_time_and_stops_on_sigterm(
    environment: dict[str, str], bots: list[Bot]
) -> None:
    environment["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there
    bot = Bot(["run"], environment)
    bots.append(bot)
    assert bot.wait_for(r"retrying in \d+ s", count=3), bot.output
    assert bot.stop() == 0
    retries = [line for line in bot.lines if "retrying in" in line]
    pauses = [int(m) for m in re.findall(r"retrying in (\d+) s", bot.output)]
    assert pauses[:3] == [1, 2, 4]  # the pause grows
    assert all("connecting to the Bot API at 127.0.0.1 failed" in line for line in retries)
    assert "Traceback" not in bot.output and len(bot.lines) <= len(retries) + 2
    no_secret_shown(bot.output)


def test_polling_says_when_it_is_up_and_sigterm_finishes_the_update_in_hand(
    environment: dict[str, str], bots: list[Bot]
) -> None:
    with BotAPIEmulator(delays={"sendMessage": 1.0}) as emulator:
        environment["TELEGRAM_API_BASE_URL"] = emulator.base_url
        bot = Bot(["run"], environment)
        bots.append(bot)
        assert bot.wait_for("已连接 @zhicheng_test_bot，长轮询中"), bot.output
        health = subprocess.run(
            [sys.executable, "-m", "bot.cli", "health"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert health.returncode == 0, health.stdout + health.stderr
        assert health.stdout.startswith("ok: @zhicheng_test_bot polling")
        emulator.pending.put(UpdateFactory().message(42, "/start"))
        for _ in range(200):
            if "sendMessage" in emulator.started:
                break
            time.sleep(0.02)
        assert "sendMessage" in emulator.started
        assert bot.stop() == 0  # SIGTERM while the reply is in flight
        sent = [str(c.params.get("text")) for c in emulator.api.sent("sendMessage")]
    assert any("第1题" in text for text in sent), bot.output  # the update in hand was finished
    assert "Traceback" not in bot.output and bot.lines[-1].endswith("stopped")
    no_secret_shown(bot.output)
    after = subprocess.run(
        [sys.executable, "-m", "bot.cli", "health"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert after.returncode == 1 and after.stdout.startswith("unhealthy: no running bot")


def test_when_the_network_goes_away_while_polling_each_failure_is_one_line(
    environment: dict[str, str], bots: list[Bot]
) -> None:
    emulator = BotAPIEmulator().__enter__()
    environment["TELEGRAM_API_BASE_URL"] = emulator.base_url
    bot = Bot(["run"], environment)
    bots.append(bot)
    try:
        assert bot.wait_for("长轮询中"), bot.output
    finally:
        emulator.__exit__(None, None, None)  # the Bot API is gone
    assert bot.wait_for(r"polling for updates failed \(NetworkError: ", count=2, seconds=40), bot.output
    assert bot.stop() == 0
    assert "Traceback" not in bot.output
    no_secret_shown(bot.output)


def test_the_webhook_serves_the_path_of_its_url_checks_the_secret_and_answers_healthz(
    environment: dict[str, str], bots: list[Bot]
) -> None:
    port = free_port()
    with BotAPIEmulator() as emulator:
        environment.update(
            TELEGRAM_API_BASE_URL=emulator.base_url,
            ZHICHENG_WEBHOOK_SECRET=SECRET,
            ZHICHENG_WEBHOOK_LISTEN="127.0.0.1",
            ZHICHENG_WEBHOOK_PORT=str(port),
        )
        bot = Bot(["run", "--webhook", "https://bot.example.invalid/zhicheng"], environment)
        bots.append(bot)
        assert bot.wait_for("已连接 @zhicheng_test_bot，webhook https://bot.example.invalid/zhicheng"), bot.output
        set_webhook = emulator.api.sent("setWebhook")[-1].params
        assert set_webhook["url"] == "https://bot.example.invalid/zhicheng"
        assert set_webhook["secret_token"] == SECRET
        factory = UpdateFactory()
        refused = json.dumps(factory.message(77, "/help"))  # answered with the help text, were it handled
        update = json.dumps(factory.message(77, "/start"))
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=10) as client:
            healthz = client.get(f"{base}/healthz")
            assert healthz.status_code == 200 and healthz.text.startswith("ok: storage ")
            assert "notice 2021-xinjiang-nonferrous" in healthz.text
            headers = {"Content-Type": "application/json"}
            assert client.post(f"{base}/zhicheng", content=refused, headers=headers).status_code == 403
            wrong = {**headers, "X-Telegram-Bot-Api-Secret-Token": "wrong"}
            assert client.post(f"{base}/zhicheng", content=refused, headers=wrong).status_code == 403
            right = {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
            assert client.post(f"{base}/", content=refused, headers=right).status_code == 404
            assert client.post(f"{base}/zhicheng", content=update, headers=right).status_code == 200
            assert client.post(f"{base}/zhicheng", content="{not json", headers=right).status_code == 400
        for _ in range(250):
            if any("第1题" in str(c.params.get("text")) for c in emulator.api.sent("sendMessage")):
                break
            time.sleep(0.02)
        sent = [str(c.params.get("text")) for c in emulator.api.sent("sendMessage")]
        assert any("第1题" in text for text in sent)
        # one chat's updates are handled in order: a refused /help, had it been handled, came first
        assert not any("/help" in text for text in sent), sent
        assert bot.stop() == 0
    assert "Traceback" not in bot.output
    no_secret_shown(bot.output)


def test_a_webhook_url_that_is_not_https_is_refused(environment: dict[str, str], bots: list[Bot]) -> None:
    environment["ZHICHENG_WEBHOOK_SECRET"] = SECRET
    bot = Bot(["run", "--webhook", "http://bot.example.invalid/zhicheng"], environment)
    bots.append(bot)
    assert bot.exit_code() == 2
    assert len(bot.lines) == 1 and "HTTPS" in bot.output


def test_health_without_a_database_says_so_and_exits_1(environment: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "health"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout.count("\n") == 1 and "does not exist" in result.stdout
