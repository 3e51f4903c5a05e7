"""The applicant summary: one row per user who started an interview, with what follows from the
answers under the notice the interview follows (verdict, level, checklist items and ticks). It is
written with the answers, in the update's own transaction, and worked out anew at start for the
rows of a notice file that changed since (its version). Everything population-wide (audiences,
/stats, a unit's readiness) is an SQL aggregate over these rows (bot.store.population)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from bot.store.times import now_iso
from conversations.outcome import evaluate
from knowledge.model import Notice

if TYPE_CHECKING:
    from bot.store.storage import Storage

log = logging.getLogger("zhicheng.store")
GONE = "-"  # the version of rows whose notice is not loaded: no verdict can be worked out
CHUNK = 500  # rows worked out anew per transaction at start


@dataclass(frozen=True)
class Summary:
    notice_id: str
    version: str
    finished: bool
    verdict: str | None
    level: str | None
    items: int
    ticked: int


@cache
def version_of(notice: Notice) -> str:
    """The notice file's version: a digest of its data and text (a changed file, a new version)."""
    digest = hashlib.sha256(notice.text.encode("utf-8"))
    try:
        digest.update(notice.source.read_bytes())
    except OSError:
        digest.update(notice.id.encode("utf-8"))
    return digest.hexdigest()[:16]


@lru_cache(maxsize=16384)
def _verdict_and_items(notice: Notice, answers: tuple[tuple[str, str], ...]) -> tuple[str, tuple[str, ...]] | None:
    """The verdict and checklist item ids of a set of answers; applicants with the same answers
    share one evaluation. None if the answers do not finish the interview (a changed notice)."""
    try:
        outcome = evaluate(notice, dict(answers))
    except ValueError:
        return None
    return outcome.verdict, tuple(item.id for item in outcome.checklist)


def summary_of(
    notice: Notice | None, notice_id: str, finished: bool, answers: Mapping[str, str], ticks: Iterable[str]
) -> Summary:
    """The summary of one applicant; `finished`: the interview is at its end (no current question)."""
    verdict = None
    items = ticked = 0
    if finished and notice is not None:
        found = _verdict_and_items(notice, tuple(sorted(answers.items())))
        if found is not None:
            verdict, checklist = found
            items = len(checklist)
            chosen = set(ticks)
            ticked = sum(1 for item_id in checklist if item_id in chosen)
    return Summary(
        notice_id=notice_id,
        version=version_of(notice) if notice is not None else GONE,
        finished=verdict is not None,
        verdict=verdict,
        level=answers.get("level"),
        items=items,
        ticked=ticked,
    )


def write(db: sqlite3.Connection, user_id: int, chat_id: int, summary: Summary) -> None:
    db.execute(
        "INSERT INTO applicant_summaries (user_id, chat_id, notice_id, version, finished, verdict, level, items, "
        "ticked, unit_id, reachable, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "(SELECT unit_id FROM applicant_units WHERE user_id = ?), "
        "NOT EXISTS (SELECT 1 FROM unreachable_chats WHERE chat_id = ?), ?) "
        "ON CONFLICT(user_id) DO UPDATE SET chat_id = excluded.chat_id, notice_id = excluded.notice_id, "
        "version = excluded.version, finished = excluded.finished, verdict = excluded.verdict, "
        "level = excluded.level, items = excluded.items, ticked = excluded.ticked, unit_id = excluded.unit_id, "
        "reachable = excluded.reachable, updated_at = excluded.updated_at",
        (
            user_id,
            chat_id,
            summary.notice_id,
            summary.version,
            int(summary.finished),
            summary.verdict,
            summary.level,
            summary.items,
            summary.ticked,
            user_id,
            chat_id,
            now_iso(),
        ),
    )


# --- at start: rows of a changed (or never summarised) notice worked out anew ---

_STARTED = (
    "SELECT u.user_id, u.chat_id, i.notice_id, i.current_question, "
    "(SELECT json_group_object(question_id, option_id) FROM answers a WHERE a.user_id = u.user_id), "
    "(SELECT json_group_array(item_id) FROM ticks t WHERE t.user_id = u.user_id) "
    "FROM users u JOIN interviews i ON i.user_id = u.user_id WHERE i.started = 1 AND u.user_id IN ({})"
)

Row = tuple[int, int, str, str | None, str | None, str | None]


def stale(db: sqlite3.Connection, versions: Mapping[str, str]) -> list[int]:
    """Users who started an interview and whose summary is missing or of another version."""
    rows = db.execute(
        "SELECT i.user_id, i.notice_id, s.version FROM interviews i "
        "LEFT JOIN applicant_summaries s ON s.user_id = i.user_id WHERE i.started = 1"
    ).fetchall()
    return [user_id for user_id, notice_id, version in rows if version != versions.get(notice_id, GONE)]


def _rows(db: sqlite3.Connection, user_ids: list[int]) -> list[Row]:
    marks = ", ".join("?" for _ in user_ids)
    return [tuple(r) for r in db.execute(_STARTED.format(marks), user_ids)]


def _summaries(rows: list[Row], notices: Mapping[str, Notice]) -> list[tuple[int, int, Summary]]:
    result = []
    for user_id, chat_id, notice_id, current, answers, ticks in rows:
        result.append(
            (
                user_id,
                chat_id,
                summary_of(
                    notices.get(notice_id),
                    notice_id,
                    current is None,
                    json.loads(answers) if answers else {},
                    json.loads(ticks) if ticks else (),
                ),
            )
        )
    return result


def _write_all(db: sqlite3.Connection, worked_out: list[tuple[int, int, Summary]]) -> None:
    for user_id, chat_id, summary in worked_out:
        write(db, user_id, chat_id, summary)


async def refresh(storage: Storage, notices: Iterable[Notice]) -> int:
    """Work out anew the summaries that are missing or stale, in chunks of short transactions, the
    evaluation off the event loop. Returns how many were written."""
    by_id = {n.id: n for n in notices}
    versions = {notice_id: version_of(n) for notice_id, n in by_id.items()}
    todo = await storage.atomically(stale, versions)
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        rows = await storage.atomically(_rows, chunk)
        worked_out = await asyncio.to_thread(_summaries, rows, by_id)
        await storage.atomically(_write_all, worked_out)
    if todo:
        log.info("applicant summaries worked out anew: %d", len(todo))
    return len(todo)
