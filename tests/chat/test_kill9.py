"""Durability under kill -9: the console chat (`python -m bot.cli console`) as a real process on
a SQLite file, killed with SIGKILL, then started again on the same file.

Every read of the process's output has a deadline, and every process is killed at the end of
its test, so a test can fail but never hang.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conversations.interview import interview_for
from knowledge import default_notice
from tests.chat.test_interview_end_to_end import ANSWERS

REPO = Path(__file__).resolve().parents[2]
NOTICE = default_notice()
INTERVIEW = interview_for(NOTICE)
QUESTION_IDS = {q.id for q in NOTICE.questions}
CONSOLE_USER = 1  # the console's default --user
PROMPT = "\n> "
DEADLINE = 30.0  # seconds for one answer of the console (it answers in milliseconds)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


class Console:
    """`python -m bot.cli console` with pipes; a thread reads its output into a queue."""

    def __init__(self, db: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZHICHENG_"))}
        env.update(PYTHONPATH=str(REPO), ZHICHENG_DB=str(db), PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
        self.stderr_path = db.parent / f"console-stderr-{time.monotonic_ns()}.txt"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=db.parent,
            env=env,
        )
        self._chunks: queue.Queue[bytes | None] = queue.Queue()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.output = ""
        self._seen = 0  # how much of `output` earlier reads returned
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout.fileno(),), daemon=True)
        self._reader.start()

    def _read(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                self._chunks.put(None)
                return
            self._chunks.put(chunk)

    def until_prompt(self, timeout: float = DEADLINE) -> str:
        """The output since the last read, up to the next prompt "> " the console waits at."""
        end = time.monotonic() + timeout
        while PROMPT not in self.output[self._seen :]:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no prompt within {timeout}s; output so far:\n{self.output[self._seen :]}"
                    f"\nstderr:\n{self.stderr()}"
                )
            try:
                chunk = self._chunks.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if chunk is None:
                raise AssertionError(
                    f"the console exited ({self.proc.poll()}); output:\n"
                    f"{self.output[self._seen :]}\nstderr:\n{self.stderr()}"
                )
            self.output += self._decoder.decode(chunk)
        end_of_prompt = self.output.index(PROMPT, self._seen) + len(PROMPT)
        shown, self._seen = self.output[self._seen : end_of_prompt], end_of_prompt
        return shown

    def write(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def say(self, line: str) -> str:
        """Type a line and return what the console shows until it waits again."""
        self.write(line)
        return self.until_prompt()

    def kill9(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=DEADLINE) == -signal.SIGKILL
        self._close()

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def _close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        self._stderr.close()

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
        self._close()


@contextlib.contextmanager
def console(db: Path) -> Iterator[Console]:
    proc = Console(db)
    try:
        yield proc
    finally:
        proc.cleanup()


def choice_number(shown: str, label: str) -> str:
    """The number the console shows for the button labelled `label` ("[3] label")."""
    numbers = re.findall(r"\[(\d+)\] ([^\[\n]+?)(?=\s{3}\[|\s*$)", shown, re.M)
    matches: list[str] = [n for n, text in numbers if text.strip() == label]
    assert matches, f"no choice labelled {label!r} in:\n{shown}"
    return matches[-1]


def answer_by_number(proc: Console, shown: str, question_id: str, option_id: str) -> str:
    question = INTERVIEW.question(question_id)
    assert question is not None and question.text in shown, f"{question_id} is not the question shown:\n{shown}"
    return proc.say(choice_number(shown, question.option(option_id).label))  # type: ignore[union-attr]


def db_rows(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


def stored_answers(db: Path) -> dict[str, str]:
    return dict(db_rows(db, "SELECT question_id, option_id FROM answers WHERE user_id = ?", CONSOLE_USER))


def current_question(db: Path) -> str | None:
    rows = db_rows(db, "SELECT current_question FROM interviews WHERE user_id = ?", CONSOLE_USER)
    return rows[0][0] if rows else None


def test_after_kill_9_at_the_prompt_the_user_continues_at_the_same_question_with_the_answers_kept(
    tmp_path: Path,
) -> None:
    db = tmp_path / "z.sqlite3"
    level = INTERVIEW.question("level")
    assert level is not None
    with console(db) as proc:
        shown = proc.until_prompt()
        assert "第1题" in shown
        for question_id, option_id in ANSWERS[:7]:
            shown = answer_by_number(proc, shown, question_id, option_id)
        assert "第8题" in shown and level.text in shown
        proc.kill9()  # while it waits for the next line

    assert stored_answers(db) == dict(ANSWERS[:7])
    assert db_rows(db, "PRAGMA integrity_check") == [("ok",)]
    with console(db) as proc:
        shown = proc.until_prompt()  # the console greets with /start: the question it stopped at
        assert "第8题" in shown and level.text in shown and "第1题" not in shown
        shown = proc.say("我刚才断线了")
        assert "请点击问题下方的按钮作答。" in shown
        assert "第8题" in shown and level.text in shown
        shown = answer_by_number(proc, shown, "level", "junior")
        assert "第9题" in shown
    assert stored_answers(db) == {**dict(ANSWERS[:7]), "level": "junior"}


def test_after_kill_9_the_chosen_language_and_the_question_survive(tmp_path: Path) -> None:
    db = tmp_path / "z.sqlite3"
    sanction = INTERVIEW.question("sanction")
    assert sanction is not None
    with console(db) as proc:
        shown = proc.until_prompt()
        for question_id, option_id in ANSWERS[:2]:
            shown = answer_by_number(proc, shown, question_id, option_id)
        shown = proc.say("/lang")
        shown = proc.say(choice_number(shown, "English"))
        assert "The interface language is now English." in shown
        proc.kill9()

    assert db_rows(db, "SELECT locale FROM users WHERE user_id = ?", CONSOLE_USER) == [("en",)]
    with console(db) as proc:
        shown = proc.until_prompt()
        assert "Question 3 of" in shown and sanction.text in shown
        shown = proc.say("hello?")
        assert "Please answer with the buttons below the question." in shown
        assert "Question 3 of" in shown and sanction.text in shown
        assert choice_number(shown, "◀ Back") and choice_number(shown, "Start over")
    assert stored_answers(db) == dict(ANSWERS[:2])


def test_a_kill_9_in_the_middle_of_handling_leaves_a_consistent_database(tmp_path: Path) -> None:
    """Lines are typed and the process is killed at once, without waiting for the answer: at
    whatever point it died, the file is intact and the answers and the current question agree."""
    db = tmp_path / "z.sqlite3"
    path = dict(ANSWERS)
    # (lines typed, pause before the kill): only to vary where the kill lands; nothing is timed.
    rounds = [(1, 0.0), (2, 0.001), (3, 0.005), (1, 0.02), (2, 0.0)]
    for round_number, (lines, pause) in enumerate(rounds):
        with console(db) as proc:
            shown = proc.until_prompt()
            current = current_question(db)
            assert current is not None and INTERVIEW.question(current).text in shown  # type: ignore[union-attr]
            for line in range(lines):
                question = INTERVIEW.position(stored_answers(db)).question
                assert question is not None
                # The number of the path's option under the question now shown (options come first).
                proc.write(str([o.id for o in question.options].index(path[question.id]) + 1))
                if line < lines - 1:
                    proc.until_prompt()  # the earlier lines are handled; the last one is cut short
            if pause:
                time.sleep(pause)
            proc.kill9()

        assert db_rows(db, "PRAGMA integrity_check") == [("ok",)], f"round {round_number}"
        assert db_rows(db, "PRAGMA foreign_key_check") == [], f"round {round_number}"
        answers = stored_answers(db)
        current = current_question(db)
        assert current in QUESTION_IDS, f"round {round_number}: current question {current!r}"
        # The answer and the move to the next question were committed together, or not at all.
        position = INTERVIEW.position(answers)
        assert position.question is not None and current == position.question.id, f"round {round_number}"
        assert answers.items() <= path.items()

    with console(db) as proc:  # and it goes on from there
        proc.until_prompt()
        assert INTERVIEW.question(current).text in proc.say("continue")  # type: ignore[arg-type,union-attr]
