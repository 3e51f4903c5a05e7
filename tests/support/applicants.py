"""Populations of applicants for the office's tests and benchmarks, written with the bot's own
storage code (bot.store.users.save_user, with the summary the chat writes) into a real SQLite
file: finished interviews with a chosen
level and verdict and a share of their checklist ticked, unfinished ones, and unreachable chats."""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from bot.store.users import UserState, save_user, summary
from conversations.interview import interview_for
from conversations.outcome import evaluate
from knowledge import default_notice

NOTICE = default_notice()
INTERVIEW = interview_for(NOTICE)


@cache
def paths_by_kind(limit: int = 20_000) -> dict[tuple[str | None, str], list[dict[str, str]]]:
    """Finished answer paths of the bundled notice by (level, verdict)."""
    found: dict[tuple[str | None, str], list[dict[str, str]]] = {}
    for answers in itertools.islice(INTERVIEW.paths(), limit):
        found.setdefault((answers.get("level"), evaluate(NOTICE, answers).verdict), []).append(dict(answers))
    return found


def path(level: str | None, verdict: str, index: int = 0) -> dict[str, str]:
    choices = paths_by_kind()[(level, verdict)]
    return choices[index % len(choices)]


def checklist(answers: dict[str, str]) -> list[str]:
    return [item.id for item in evaluate(NOTICE, answers).checklist]


@dataclass
class Seeded:
    user_id: int
    answers: dict[str, str]
    finished: bool = True
    ticked_share: float = 0.0  # of the checklist, rounded down
    unreachable: bool = False
    ticks: set[str] = field(default_factory=set)

    @property
    def chat_id(self) -> int:
        return self.user_id  # private chats


def seed(db: sqlite3.Connection, applicants: Iterable[Seeded]) -> None:
    """Store the applicants (inside the caller's transaction)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for a in applicants:
        state = UserState(user_id=a.user_id, chat_id=a.chat_id, locale="zh_Hans", notice_id=NOTICE.id, started=True)
        if a.finished:
            state.answers = dict(a.answers)
            items = checklist(a.answers)
            a.ticks = set(items[: int(len(items) * a.ticked_share)])
            state.ticks = set(a.ticks)
        else:
            kept = list(a.answers)[:3]
            state.answers = {q: a.answers[q] for q in kept}
            question = INTERVIEW.position(state.answers).question
            state.current_question = question.id if question else None
        save_user(db, state, None, summary(state, NOTICE))
        if a.unreachable:
            db.execute("INSERT OR IGNORE INTO unreachable_chats (chat_id, since) VALUES (?, ?)", (a.chat_id, now))
