"""Kill -9 in the middle of a broadcast: `zhicheng-bot run` as a real process against the Bot API
emulator on 127.0.0.1, a broadcast written by `zhicheng-bot broadcast`, SIGKILL while it is being
sent, then the bot started again on the same database.

The bound: after a crash at most the messages of one claimed batch (bot.outbox.BATCH = 30) can
go out twice (sent by Telegram, not yet recorded as sent); every reachable recipient gets the
message; a user who blocked the bot (403) gets nothing and is marked unreachable.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.delivery.outbox import BATCH
from bot.store.storage import Storage
from tests.chat.emulator import BotAPIEmulator
from tests.chat.test_runner import ROOT, SALT, TOKEN, Bot
from tests.support.applicants import Seeded, path, seed

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

RECIPIENTS = 240  # 8 s at 30 messages a second
BLOCKED = {2005, 2077, 2150, 2222}  # users who blocked the bot: the emulator answers 403
TEXT = "请于2021年10月20日前完成<b>网上申报</b>。"
KILL_AFTER = 80  # messages the emulator has answered before the kill


def environment(tmp_path: Path, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZHICHENG_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        ZHICHENG_LOG_SALT=SALT,
        ZHICHENG_DB=str(tmp_path / "z.sqlite3"),
        TELEGRAM_API_BASE_URL=base_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def seeded_database(db: Path) -> None:
    async def write() -> None:
        storage = await Storage(db).open()
        people = [Seeded(2000 + i, path("intermediate", "eligible", i)) for i in range(RECIPIENTS)]
        await storage.atomically(lambda conn: seed(conn, people))
        await storage.close()

    asyncio.run(write())


def delivered(emulator: BotAPIEmulator) -> Counter[int]:
    """Copies of the broadcast each chat received (a 403 delivers nothing)."""
    with emulator.lock:
        calls = list(emulator.api.calls)
    return Counter(
        int(c.params["chat_id"])
        for c in calls
        if c.method == "sendMessage" and c.params.get("text") == TEXT and int(c.params["chat_id"]) not in BLOCKED
    )


def status(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("SELECT status FROM broadcasts").fetchone()[0])


def test_kill_9_during_a_broadcast_then_restart_every_reachable_recipient_gets_it_once_but_for_one_batch(
    tmp_path: Path,
) -> None:
    db = tmp_path / "z.sqlite3"
    seeded_database(db)
    message = tmp_path / "msg.html"
    message.write_text(TEXT, encoding="utf-8")
    with BotAPIEmulator(delays={"sendMessage": 0.1}) as emulator:
        emulator.api.blocked = set(BLOCKED)
        env = environment(tmp_path, emulator.base_url)
        written = subprocess.run(
            [sys.executable, "-m", "bot.cli", "broadcast", "--all", "--text-file", str(message)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert written.returncode == 0 and f"to {RECIPIENTS} recipients" in written.stdout, written.stderr

        first = Bot(["run"], env)
        try:
            assert first.wait_for("长轮询中"), first.output
            deadline = time.monotonic() + 60
            while sum(delivered(emulator).values()) < KILL_AFTER:
                assert time.monotonic() < deadline, first.output
                time.sleep(0.02)
            os.kill(first.process.pid, signal.SIGKILL)
            assert first.exit_code() == -signal.SIGKILL
        finally:
            first.kill()
        at_kill = delivered(emulator)
        assert KILL_AFTER <= sum(at_kill.values()) < RECIPIENTS - len(BLOCKED)  # killed mid-broadcast
        assert status(db) == "queued"

        second = Bot(["run"], env)
        try:
            deadline = time.monotonic() + 90
            while status(db) != "done":
                assert time.monotonic() < deadline, second.output
                time.sleep(0.1)
            assert second.stop() == 0
        finally:
            second.kill()
        received = delivered(emulator)

    reachable = {2000 + i for i in range(RECIPIENTS)} - BLOCKED
    assert set(received) == reachable  # nobody reachable skipped, nobody blocked reached
    twice = sum(count - 1 for count in received.values())
    assert max(received.values()) <= 2 and twice <= BATCH, f"{twice} sent twice"
    again = [int(n) for n in re.findall(r"outbox: (\d+) messages in flight at the last stop", second.output)]
    assert len(again) == 1 and twice <= again[0] <= BATCH, second.output  # only rows in flight can repeat
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' GROUP BY status"))
        unreachable = {r[0] for r in conn.execute("SELECT chat_id FROM unreachable_chats")}
    assert rows == {"sent": len(reachable), "cancelled": len(BLOCKED)} and unreachable == BLOCKED
