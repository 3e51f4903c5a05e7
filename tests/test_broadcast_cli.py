"""`zhicheng-bot broadcast` for scripts: it writes the same row as the chat wizard, checks every
filter before writing (exit 2, one line), needs --all for everyone, takes --now, and with --wait
prints the progress and the report the chat shows while the running bot (the real Application,
here) sends it."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.delivery import broadcasts
from bot.features.broadcast import command_line
from bot.store.storage import Storage
from conversations.clock import Clock
from tests.chat.conftest import start_bot, stop_bot
from tests.support.applicants import Seeded, path, seed
from tests.support.offline import OfflineBotAPI
from tests.test_office import populate

NOW = "2021-10-12T10:00:00+08:00"


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("ZHICHENG_DB", str(path))

    async def fill() -> None:
        storage = await Storage(path).open()
        await populate(storage, 80, seed=21)
        await storage.close()

    asyncio.run(fill())
    return path


def _message(tmp_path: Path, text: str) -> str:
    path = tmp_path / "msg.html"
    path.write_text(text, "utf-8")
    return str(path)


def _count(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_a_dry_run_counts_the_audience_and_writes_nothing(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msg = _message(tmp_path, "<b>提醒</b>：网上申报2021年10月20日截止。")
    assert main(["broadcast", "--all", "--text-file", msg, "--dry-run", "--now", NOW]) == 0
    out = capsys.readouterr().out.splitlines()
    with sqlite3.connect(db_path) as conn:
        reachable = conn.execute(
            "SELECT COUNT(*) FROM users WHERE chat_id NOT IN (SELECT chat_id FROM unreachable_chats)"
        ).fetchone()[0]
    assert out[0] == f"{reachable} recipients; nothing written (--dry-run)"
    assert out[1] == (
        "season as of 2021-10-12T10:00+08:00: 2021年度网上申报正在进行，截止2021年10月20日（星期三），还有8天。"
    )
    assert out[2] == "<b>提醒</b>：网上申报2021年10月20日截止。"
    assert _count(db_path, "broadcasts") == 0


def test_a_segment_broadcast_is_stored_audited_at_the_commands_clock_and_queued_by_the_bot_at_its_time(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msg = _message(tmp_path, "请副高级申报人留意答辩通知。")
    assert (
        main(
            [
                "broadcast",
                "--text-file",
                msg,
                "--level",
                "associate_senior",
                "--unticked",
                "--now",
                NOW,
                "--at",
                "2021-10-15T10:00:00+08:00",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "written for 2021-10-15T10:00+08:00" in out and "the running bot sends it" in out
    assert "follow it with /broadcasts in the chat (broadcast #1)" in out
    with sqlite3.connect(db_path) as conn:
        ((status, audience, created),) = conn.execute("SELECT status, audience, created_at FROM broadcasts").fetchall()
        ((action, actor, at),) = conn.execute("SELECT action, actor_id, at FROM audit_log").fetchall()
    assert status == "scheduled" and created.startswith("2021-10-12T02:00") and at.startswith("2021-10-12T02:00")
    assert '"levels": ["associate_senior"]' in audience and '"unticked_only": true' in audience
    assert (action, actor) == ("broadcast.schedule", 0)  # a later time: audited as scheduled

    async def queue(now: dt.datetime) -> list[int]:
        storage = await Storage(db_path).open()
        try:
            return await broadcasts.queue_due(storage, now)
        finally:
            await storage.close()

    assert asyncio.run(queue(dt.datetime(2021, 10, 15, 1, 59, tzinfo=dt.UTC))) == []  # not yet its time
    assert asyncio.run(queue(dt.datetime(2021, 10, 15, 2, 0, tzinfo=dt.UTC))) == [1]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<script>x</script>", "Unsupported start tag"),
        ("<b>未闭合", "can't find end tag"),
        ("字" * 4097, "at most 4096"),
        ("   ", "empty"),
    ],
)
def test_a_message_telegram_would_refuse_is_refused_before_anything_is_written(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    assert main(["broadcast", "--all", "--text-file", _message(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert problem in err and err.count("\n") == 1
    assert _count(db_path, "broadcasts") == 0


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (
            [],
            "invalid audience: choose the recipients with --level, --verdict, --notice, --unit, --unticked or "
            "--unfinished, or give --all to send to every applicant",
        ),
        (["--all", "--level", "junior"], "invalid audience: --all takes no other selection"),
        (["--to", "all", "--unticked"], "invalid audience: --all takes no other selection"),
        (["--level", "senior"], "invalid --level senior: known: junior, intermediate, associate_senior, full_senior"),
        (
            ["--level", "junior", "--level", "x"],
            "invalid --level x: known: junior, intermediate, associate_senior, full_senior",
        ),
        (
            ["--verdict", "maybe"],
            "invalid --verdict maybe: known: eligible, conditional, other_route, ineligible, not_covered",
        ),
        (["--notice", "1999-nothing"], "invalid --notice 1999-nothing: known: 2021-xinjiang-nonferrous"),
        (["--unit", "没有这个单位"], "invalid --unit 没有这个单位: known: none yet"),
        (
            ["--unticked", "--unfinished"],
            "invalid audience: --unticked (questions finished, items not yet ticked) and "
            "--unfinished (questions not finished) exclude each other",
        ),
        (
            ["--all", "--now", NOW, "--at", "2021-10-12T09:59:00+08:00"],
            "invalid --at 2021-10-12T09:59:00+08:00: it has passed (now 2021-10-12T10:00+08:00); "
            "leave --at out to send now",
        ),
    ],
)
def test_every_filter_is_checked_before_anything_is_written_with_one_line_and_exit_2(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], line: str
) -> None:
    assert main(["broadcast", "--text-file", _message(tmp_path, "通知"), *options]) == 2
    captured = capsys.readouterr()
    assert captured.err == line + "\n" and captured.out == ""
    assert _count(db_path, "broadcasts") == 0 and _count(db_path, "audit_log") == 0


def test_everyone_needs_all_and_the_older_to_all_still_means_it(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msg = _message(tmp_path, "通知")
    assert main(["broadcast", "--text-file", msg]) == 2
    assert main(["broadcast", "--all", "--text-file", msg]) == 0
    assert main(["broadcast", "--to", "all", "--text-file", msg]) == 0
    with sqlite3.connect(db_path) as conn:
        audiences = [a for (a,) in conn.execute("SELECT audience FROM broadcasts")]
    assert len(audiences) == 2 and all('"levels": []' in a and '"verdicts": []' in a for a in audiences)


def test_an_audience_nobody_matches_writes_nothing_and_exits_1(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["broadcast", "--text-file", _message(tmp_path, "通知"), "--level", "full_senior", "--verdict", "eligible"]
        )
        == 1
    )
    assert capsys.readouterr().err == "no applicant matches this audience now: nothing written\n"
    assert _count(db_path, "broadcasts") == 0


def test_a_broadcast_to_a_unit_names_it_by_id_or_name_and_refuses_an_unknown_unit(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.features.units import queries as units

    with sqlite3.connect(db_path) as conn:
        now = dt.datetime(2021, 10, 1, tzinfo=dt.UTC)
        unit, _ = units.unit_or_new(conn, "新疆有色测试有限公司", 1001, now)
        for user_id in (1, 2, 3):
            units.link(conn, user_id, unit.id, "chosen", now)
        reachable = conn.execute(
            "SELECT COUNT(*) FROM users WHERE user_id IN (1, 2, 3) AND user_id IN (SELECT user_id FROM interviews "
            "WHERE started = 1) AND chat_id NOT IN (SELECT chat_id FROM unreachable_chats)"
        ).fetchone()[0]
    msg = _message(tmp_path, "请于2021年10月13日前开始单位内部公示。")
    assert main(["broadcast", "--text-file", msg, "--unit", "新疆有色测试有限公司", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(f"{reachable} recipients")
    assert main(["broadcast", "--text-file", msg, "--unit", str(unit.id)]) == 0
    with sqlite3.connect(db_path) as conn:
        ((audience,),) = conn.execute("SELECT audience FROM broadcasts").fetchall()
    assert f'"units": [{unit.id}]' in audience
    capsys.readouterr()
    assert main(["broadcast", "--text-file", msg, "--unit", "没有这个单位"]) == 2
    err = capsys.readouterr().err
    assert err == "invalid --unit 没有这个单位: known: 1 新疆有色测试有限公司\n"
    assert main(["broadcast", "--all", "--text-file", msg, "--unit", "1"]) == 2


# --- --wait, against the real Application sending from the same database ------------------------

BLOCKED = 103  # this applicant blocked the bot


async def test_wait_prints_the_progress_and_the_report_the_chat_shows_while_the_bot_sends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "z.sqlite3"
    monkeypatch.setenv("ZHICHENG_DB", str(db))
    monkeypatch.setattr(command_line, "POLL_SECONDS", 0.02)
    bot = await start_bot(
        db, api=OfflineBotAPI(blocked={BLOCKED}), clock=Clock(dt.datetime.fromisoformat(NOW)), sender_interval=0
    )
    try:
        people = [Seeded(100 + i, path("intermediate", "eligible", i)) for i in range(40)]
        await bot.app.bot_data.chat.storage.atomically(lambda conn: seed(conn, people))
        msg = _message(tmp_path, "请于10月20日前完成网上申报。")
        waiting = asyncio.create_task(
            asyncio.to_thread(
                main, ["broadcast", "--level", "intermediate", "--text-file", msg, "--now", NOW, "--wait"]
            )
        )
        while not _count(db, "broadcasts") and not waiting.done():
            await asyncio.sleep(0.01)  # until the command has written its broadcast
        sender = bot.app.bot_data.sender
        assert sender is not None
        await sender.tick()  # the running bot queues it, sends it, settles it
        assert await waiting == 0
    finally:
        await stop_bot(bot)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("broadcast 1 to 40 recipients") and lines[1].startswith("season as of 2021-10-12")
    assert "note: no bot is running on" in captured.err  # start_bot writes no heartbeat: said plainly
    report = lines[lines.index("广播 #1 发送完毕") :]
    assert report == [
        "广播 #1 发送完毕",
        "接收人 40 名；已发送 39，失败 1。",
        "失败：已屏蔽本助手 1，无法送达 0（Telegram拒收，或多次重试后仍未送达）。",
    ]
    progress = [line for line in lines if line.startswith("广播 #1 · ")]
    assert progress and all("待发" in line for line in progress)
    assert progress[-1] == (
        "广播 #1 · 发送完毕。 · 已发送 39 / 失败 1 / 待发 0 · "
        "失败：已屏蔽本助手 1，无法送达 0（Telegram拒收，或多次重试后仍未送达）。"
    )
    tried = [
        c.params["chat_id"]
        for c in bot.api.calls
        if c.method == "sendMessage" and c.params.get("text") == "请于10月20日前完成网上申报。"
    ]
    assert sorted(tried) == sorted(p.chat_id for p in people)  # the blocked one was tried once and refused (403)


async def test_wait_ends_with_exit_1_when_the_broadcast_is_cancelled_in_the_chat(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(command_line, "POLL_SECONDS", 0.02)
    waiting = asyncio.create_task(
        asyncio.to_thread(
            main,
            [
                "broadcast",
                "--all",
                "--text-file",
                _message(tmp_path, "通知"),
                "--now",
                NOW,
                "--at",
                "2021-10-15T10:00:00+08:00",
                "--wait",
            ],
        )
    )
    while not _count(db_path, "broadcasts") and not waiting.done():
        await asyncio.sleep(0.01)
    storage = await Storage(db_path).open()
    try:  # a contact person taps 取消广播 while it is still scheduled
        assert await storage.atomically(broadcasts.cancel, 1, 9001, dt.datetime(2021, 10, 13, tzinfo=dt.UTC)) == 0
    finally:
        await storage.close()
    assert await waiting == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "广播 #1 · 已取消。 · 已发送 0 / 失败 0 / 待发 0"  # no report: nothing was sent
