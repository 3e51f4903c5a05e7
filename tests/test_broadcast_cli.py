"""`zhicheng-bot broadcast` for scripts: it writes to the same outbox as the chat wizard."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.delivery import broadcasts
from bot.store.storage import Storage
from tests.test_office import populate


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


def test_a_dry_run_counts_the_audience_and_writes_nothing(db_path: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    msg = _message(tmp_path, "<b>提醒</b>：网上申报2021年10月20日截止。")
    assert main(["broadcast", "--to", "all", "--text-file", msg, "--dry-run"]) == 0
    out = capsys.readouterr().out
    count = int(out.split()[0])
    with sqlite3.connect(db_path) as conn:
        reachable = conn.execute(
            "SELECT COUNT(*) FROM users WHERE chat_id NOT IN (SELECT chat_id FROM unreachable_chats)").fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM broadcasts").fetchone()[0] == 0
    assert count == reachable and "<b>提醒</b>" in out


def test_a_segment_broadcast_is_stored_audited_and_queued_by_the_bot_at_its_time(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msg = _message(tmp_path, "请副高级申报人留意答辩通知。")
    assert main(["broadcast", "--text-file", msg, "--level", "associate_senior", "--unticked",
                 "--at", "2030-01-01T10:00:00+08:00"]) == 0
    assert "queued for 2030-01-01T10:00" in capsys.readouterr().out
    with sqlite3.connect(db_path) as conn:
        (status, audience), = conn.execute("SELECT status, audience FROM broadcasts").fetchall()
        (action, actor), = conn.execute("SELECT action, actor_id FROM audit_log").fetchall()
    assert status == "scheduled"
    assert '"levels": ["associate_senior"]' in audience and '"unticked_only": true' in audience
    assert (action, actor) == ("broadcast.schedule", 0)  # a later time: audited as scheduled

    async def queue() -> int:
        storage = await Storage(db_path).open()
        [bid] = await broadcasts.queue_due(storage, dt.datetime(2030, 1, 1, 2, tzinfo=dt.UTC))
        count = (await storage.atomically(broadcasts.get, bid)).recipients  # type: ignore[union-attr]
        await storage.close()
        return int(count or 0)

    assert asyncio.run(queue()) > 0


@pytest.mark.parametrize(("text", "problem"), [
    ("<script>x</script>", "Unsupported start tag"),
    ("<b>未闭合", "can't find end tag"),
    ("字" * 4097, "at most 4096"),
    ("   ", "empty"),
])
def test_a_message_telegram_would_refuse_is_refused_before_anything_is_written(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    assert main(["broadcast", "--to", "all", "--text-file", _message(tmp_path, text)]) == 2
    assert problem in capsys.readouterr().err
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM broadcasts").fetchone()[0] == 0


def test_all_with_a_segment_or_an_unknown_notice_is_refused(db_path: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    msg = _message(tmp_path, "通知")
    assert main(["broadcast", "--to", "all", "--level", "junior", "--text-file", msg]) == 2
    assert main(["broadcast", "--notice", "1999-nothing", "--text-file", msg]) == 2
    err = capsys.readouterr().err
    assert "--to all takes no other selection" in err and "known: 2021-xinjiang-nonferrous" in err


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
            "WHERE started = 1) AND chat_id NOT IN (SELECT chat_id FROM unreachable_chats)").fetchone()[0]
    msg = _message(tmp_path, "请于2021年10月13日前开始单位内部公示。")
    assert main(["broadcast", "--text-file", msg, "--unit", "新疆有色测试有限公司", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(f"{reachable} recipients")
    assert main(["broadcast", "--text-file", msg, "--unit", str(unit.id)]) == 0
    with sqlite3.connect(db_path) as conn:
        (audience,), = conn.execute("SELECT audience FROM broadcasts").fetchall()
    assert f'"units": [{unit.id}]' in audience
    capsys.readouterr()
    assert main(["broadcast", "--text-file", msg, "--unit", "没有这个单位"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("invalid --unit 没有这个单位: known: 1 新疆有色测试有限公司") and err.count("\n") == 1
    assert main(["broadcast", "--to", "all", "--text-file", msg, "--unit", "1"]) == 2
