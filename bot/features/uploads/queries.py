"""The years of dated checklist items an applicant confirmed with ✅ after a check of an upload
(table upload_years, migration m014): the item id and the year, nothing of the file."""

from __future__ import annotations

import sqlite3

from bot.store.times import now_iso


def seen_years(db: sqlite3.Connection, user_id: int) -> dict[str, frozenset[int]]:
    """Each item's years confirmed so far."""
    found: dict[str, set[int]] = {}
    for item_id, year in db.execute("SELECT item_id, year FROM upload_years WHERE user_id = ?", (user_id,)):
        found.setdefault(str(item_id), set()).add(int(year))
    return {item: frozenset(years) for item, years in found.items()}


def record_year(db: sqlite3.Connection, user_id: int, item_id: str, year: int) -> bool:
    """Record a confirmed year; False when it was recorded before."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO upload_years (user_id, item_id, year, confirmed_at) VALUES (?, ?, ?, ?)",
        (user_id, item_id, year, now_iso()),
    )
    return cursor.rowcount == 1
