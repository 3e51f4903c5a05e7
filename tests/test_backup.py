"""`zhicheng-bot backup FILE`: SQLite's online backup of the bot's database, even while it is open;
the copy readable by its owner only; one line for a target that cannot be written; and a backup
restored with README's lines as typed."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
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
            state = UserState(
                user_id=user_id,
                chat_id=user_id,
                locale="zh_Hans",
                notice_id="n",
                current_question="level",
                answers={"employment": "in_service"},
                ticks={"x"},
            )
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


def test_a_backup_without_a_database_fails_with_one_line(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "b.sqlite3")]) == 1
    assert capsys.readouterr().err == f"backup failed: storage {database} does not exist\n"
    assert not database.exists()


def test_the_backup_is_readable_by_its_owner_only_whatever_the_umask(database: Path, tmp_path: Path) -> None:
    import asyncio

    asyncio.run(_made(database))
    old = os.umask(0o022)
    try:
        assert main(["backup", str(tmp_path / "b.sqlite3")]) == 0
        assert main(["backup", str(tmp_path / "b.sqlite3"), "--force"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "b.sqlite3").stat().st_mode) == 0o600


def test_a_target_the_user_cannot_write_gets_one_line_not_a_traceback(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    asyncio.run(_made(database))
    if os.geteuid() == 0:
        folder = Path("/sys")  # not even root may create files there
        if not folder.is_dir():
            pytest.skip("running as root without /sys: no folder root cannot write")
    else:
        folder = tmp_path / "locked"
        folder.mkdir(mode=0o555)
    assert main(["backup", str(folder / "b.sqlite3")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"backup failed: cannot write {folder / 'b.sqlite3'} (")
    assert "run it as the bot's user" in err


def test_a_backup_into_a_folder_that_does_not_exist_gets_one_line(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    asyncio.run(_made(database))
    assert main(["backup", str(tmp_path / "nowhere" / "b.sqlite3")]) == 1
    assert capsys.readouterr().err == f"backup failed: folder {tmp_path / 'nowhere'} does not exist\n"


async def _made(database: Path, users: tuple[int, ...] = (1, 2)) -> None:
    storage = await Storage(database).open()
    try:
        for user_id in users:
            await storage.atomically(
                save_user, UserState(user_id=user_id, chat_id=user_id, locale="zh_Hans", notice_id="n")
            )
    finally:
        await storage.close()


README = Path(__file__).resolve().parent.parent / "README.md"
STATE = "/var/lib/zhicheng-bot"


def _readme_blocks(section: str) -> list[str]:
    text = README.read_text("utf-8")
    start = text.index(section)
    body = text[start : text.index("\n### ", start + len(section))]
    return re.findall(r"```sh\n(.*?)```", body, re.S)


def _as_typed(block: str, state: Path) -> str:
    """The README's lines as an administrator types them, for this machine: no sudo and no systemctl
    (the service is not installed here), the state folder and the installed command in their places."""
    lines = []
    for line in block.replace("\\\n", " ").splitlines():
        if "systemctl" in line:
            continue
        line = re.sub(r"^sudo (-u zhicheng )?", "", line.strip())
        lines.append(
            line.replace(STATE, str(state)).replace(
                "/opt/zhicheng-bot/bin/zhicheng-bot", str(Path(sys.executable).parent / "zhicheng-bot")
            )
        )
    return "\n".join(lines) + "\n"


async def test_a_backup_is_restored_as_readme_says_and_opens_with_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    db = state / "zhicheng.sqlite3"
    await _made(db, users=(1, 2, 3))
    settings = tmp_path / "zhicheng-bot.env"  # the service's settings file, as deploy/ has it
    settings.write_text(f"ZHICHENG_DB={db}\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHICHENG_", "TELEGRAM_"))}
    env["ZHICHENG_CONFIG"] = str(settings)
    backup_block, restore_block = _readme_blocks("### 4. Backup and restore")
    made = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _as_typed(backup_block, state)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    copies = sorted(state.glob("backup-*.sqlite3"))
    assert len(copies) == 1 and stat.S_IMODE(copies[0].stat().st_mode) == 0o600

    await _made(db, users=(4, 5))  # life goes on after the backup …
    (state / "zhicheng.sqlite3-wal").write_bytes(b"stale")  # … and a crash leaves a write-ahead log behind
    restore = re.sub(r"^BACKUP=\S+", f"BACKUP={copies[0]}", _as_typed(restore_block, state), flags=re.M)
    assert "BACKUP=" in restore and "install -m 0600" in restore
    restored = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", restore], env=env, capture_output=True, text=True, timeout=120
    )
    assert restored.returncode == 0, restored.stderr
    assert not (state / "zhicheng.sqlite3-wal").exists()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    storage = await Storage(db).open()  # as the bot opens it at start: migrations, WAL
    try:
        rows = await storage.atomically(lambda db: db.execute("SELECT user_id FROM users ORDER BY user_id").fetchall())
        assert [r[0] for r in rows] == [1, 2, 3]
    finally:
        await storage.close()
