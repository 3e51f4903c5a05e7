"""`zhicheng-bot backup FILE`: SQLite's online backup of the bot's database, even while it is open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.storage import Storage
from bot.store.users import UserState, save_user


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TELEGRAM_BOT_TOKEN", "ZHICHENG_CONFIG", "ZHICHENG_NOTICE", "ZHICHENG_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "data" / "zhicheng.sqlite3"
    monkeypatch.setenv("ZHICHENG_DB", str(path))
    return path


async def test_a_backup_taken_while_the_database_is_open_holds_every_row(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = await Storage(database).open()
    try:
        for user_id in (1, 2, 3):
            state = UserState(user_id=user_id, chat_id=user_id, locale="zh_Hans", notice_id="n",
                              current_question="level", answers={"employment": "in_service"}, ticks={"x"})
            await storage.atomically(save_user, state)
        target = tmp_path / "backup.sqlite3"
        assert main(["backup", str(target)]) == 0  # the bot's connection is still open (WAL)
    finally:
        await storage.close()
    assert capsys.readouterr().out.startswith(f"backup: {database} -> {target} (3 users, ")
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM answers").fetchone()[0] == 3
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert not list(tmp_path.glob("backup.sqlite3.partial"))


async def test_a_backup_does_not_overwrite_a_file_unless_forced(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await (await Storage(database).open()).close()
    target = tmp_path / "backup.sqlite3"
    target.write_bytes(b"keep me")
    assert main(["backup", str(target)]) == 2
    assert target.read_bytes() == b"keep me" and "exists" in capsys.readouterr().err
    assert main(["backup", str(target), "--force"]) == 0
    assert target.read_bytes().startswith(b"SQLite format 3")


def test_a_backup_without_a_database_fails_with_one_line(database: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", str(tmp_path / "b.sqlite3")]) == 1
    assert capsys.readouterr().err == f"backup failed: storage {database} does not exist\n"
    assert not database.exists()
