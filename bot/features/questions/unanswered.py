"""Questions the notice does not answer, kept so that the office can extend the FAQ: the text only
(conversations.qa.unanswered_text: normalised, long digit runs replaced), never who asked."""

from __future__ import annotations

import datetime as dt
import sqlite3

from conversations.qa import most_frequent, unanswered_text

KEPT = 10_000  # the newest questions kept; older ones are dropped as new ones come


def record(db: sqlite3.Connection, text: str, now: dt.datetime) -> None:
    kept = unanswered_text(text)
    if kept is None:
        return
    cursor = db.execute(
        "INSERT INTO unanswered_questions (asked_at, text) VALUES (?, ?)",
        (now.astimezone(dt.UTC).isoformat(timespec="seconds"), kept),
    )
    if cursor.lastrowid and cursor.lastrowid % 1000 == 0:
        db.execute("DELETE FROM unanswered_questions WHERE id <= ?", (cursor.lastrowid - KEPT,))


def most_asked(db: sqlite3.Connection, limit: int = 20) -> tuple[list[tuple[str, int]], int]:
    """The most frequent unanswered questions (a wording and how often), and how many are kept."""
    texts = [row[0] for row in db.execute("SELECT text FROM unanswered_questions")]
    return most_frequent(texts, limit), len(texts)
