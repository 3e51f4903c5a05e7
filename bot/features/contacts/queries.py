"""Contact persons: those of the settings (ZHICHENG_CONTACT_IDS) and those added in the chat."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from bot.store.times import iso


class RoleError(Exception):
    """A change of roles that is not allowed (for example removing a configured contact person)."""


@dataclass(frozen=True)
class Contact:
    user_id: int
    source: str  # "settings" (ZHICHENG_CONTACT_IDS) or "added" (in the chat)
    added_by: int | None = None
    added_at: str | None = None  # ISO UTC


def contacts(db: sqlite3.Connection, configured: Collection[int]) -> list[Contact]:
    """Every contact person, the settings' first."""
    rows = db.execute("SELECT user_id, added_by, added_at FROM contact_persons ORDER BY user_id").fetchall()
    added = [Contact(r[0], "added", r[1], r[2]) for r in rows if r[0] not in configured]
    return [Contact(uid, "settings") for uid in sorted(configured)] + added


def add_contact(
    db: sqlite3.Connection, user_id: int, by: int, now: dt.datetime, configured: Collection[int] = ()
) -> bool:
    """Make a user a contact person; False if they were one already (added, or in the settings)."""
    if user_id in configured:
        return False
    return (
        db.execute(
            "INSERT OR IGNORE INTO contact_persons (user_id, added_by, added_at) VALUES (?, ?, ?)",
            (user_id, by, iso(now)),
        ).rowcount
        == 1
    )


def remove_contact(db: sqlite3.Connection, user_id: int, configured: Collection[int]) -> bool:
    """Take the role away; the settings' contact persons cannot be removed in the chat."""
    if user_id in configured:
        raise RoleError("named in ZHICHENG_CONTACT_IDS")
    return db.execute("DELETE FROM contact_persons WHERE user_id = ?", (user_id,)).rowcount == 1
