"""The evaluation office's side: who is a contact person, and the audit log of privileged actions.

Contact persons are named by user id in the settings (ZHICHENG_CONTACT_IDS, who cannot be removed
from the chat) and can add and remove others in the chat. Every privileged command and button asks
`is_contact` at each call; nothing is cached.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import aiosqlite


async def m006_contacts_and_audit(db: aiosqlite.Connection) -> None:
    await db.execute(
        """
        CREATE TABLE contact_persons (
            user_id   INTEGER PRIMARY KEY,
            added_by  INTEGER NOT NULL,
            added_at  TEXT NOT NULL
        )
        """
    )
    await db.execute(
        """
        CREATE TABLE audit_log (
            id          INTEGER PRIMARY KEY,
            at          TEXT NOT NULL,
            actor_id    INTEGER NOT NULL,
            action      TEXT NOT NULL,
            detail      TEXT NOT NULL,       -- JSON, never personal data beyond ids
            recipients  INTEGER
        )
        """
    )


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class RoleError(Exception):
    """A change of roles that is not allowed (for example removing a configured contact person)."""


# The SQL below is shared by the async functions (the sender, the command line, on aiosqlite) and
# their *_sync twins (steps, inside the update's own transaction on the sqlite3 connection).
_IS_CONTACT = "SELECT 1 FROM contact_persons WHERE user_id = ?"
_CONTACTS = "SELECT user_id, added_by, added_at FROM contact_persons ORDER BY user_id"
_ADD = "INSERT OR IGNORE INTO contact_persons (user_id, added_by, added_at) VALUES (?, ?, ?)"
_REMOVE = "DELETE FROM contact_persons WHERE user_id = ?"
_AUDIT = "INSERT INTO audit_log (at, actor_id, action, detail, recipients) VALUES (?, ?, ?, ?, ?)"
_ENTRIES = "SELECT id, at, actor_id, action, detail, recipients FROM audit_log ORDER BY id DESC"


@dataclass(frozen=True)
class Contact:
    user_id: int
    source: str  # "settings" (ZHICHENG_CONTACT_IDS) or "added" (in the chat)
    added_by: int | None = None
    added_at: str | None = None  # ISO UTC


def _contacts(rows: list[Any], configured: Collection[int]) -> list[Contact]:
    added = [Contact(r[0], "added", r[1], r[2]) for r in rows if r[0] not in configured]
    return [Contact(uid, "settings") for uid in sorted(configured)] + added


async def is_contact(db: aiosqlite.Connection, user_id: int, configured: Collection[int]) -> bool:
    if user_id in configured:
        return True
    rows = await db.execute_fetchall(_IS_CONTACT, (user_id,))
    return bool(list(rows))


async def contacts(db: aiosqlite.Connection, configured: Collection[int]) -> list[tuple[int, str]]:
    """Every contact person with where the role comes from: 'settings' or 'added'."""
    return [(c.user_id, c.source) for c in _contacts(list(await db.execute_fetchall(_CONTACTS)), configured)]


def contacts_sync(db: sqlite3.Connection, configured: Collection[int]) -> list[Contact]:
    return _contacts(db.execute(_CONTACTS).fetchall(), configured)


async def add_contact(db: aiosqlite.Connection, user_id: int, by: int, now: dt.datetime) -> bool:
    """Make a user a contact person; False if they were one already."""
    cursor = await db.execute(_ADD, (user_id, by, _iso(now)))
    return cursor.rowcount == 1


def add_contact_sync(db: sqlite3.Connection, user_id: int, by: int, now: dt.datetime,
                     configured: Collection[int] = ()) -> bool:
    """Make a user a contact person; False if they were one already (added, or in the settings)."""
    if user_id in configured:
        return False
    return db.execute(_ADD, (user_id, by, _iso(now))).rowcount == 1


async def remove_contact(db: aiosqlite.Connection, user_id: int, configured: Collection[int]) -> bool:
    """Take the role away; the settings' contact persons cannot be removed in the chat."""
    if user_id in configured:
        raise RoleError("named in ZHICHENG_CONTACT_IDS")
    cursor = await db.execute(_REMOVE, (user_id,))
    return cursor.rowcount == 1


def remove_contact_sync(db: sqlite3.Connection, user_id: int, configured: Collection[int]) -> bool:
    if user_id in configured:
        raise RoleError("named in ZHICHENG_CONTACT_IDS")
    return db.execute(_REMOVE, (user_id,)).rowcount == 1


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor_id: int
    action: str
    detail: dict[str, Any]
    recipients: int | None


_AUDIT_INSERT = "INSERT INTO audit_log (at, actor_id, action, detail, recipients) VALUES (?, ?, ?, ?, ?)"
_AUDIT_SELECT = "SELECT id, at, actor_id, action, detail, recipients FROM audit_log ORDER BY id DESC"


def _audit_row(actor_id: int, action: str, now: dt.datetime, recipients: int | None,
               detail: dict[str, Any]) -> tuple[object, ...]:
    return (_iso(now), actor_id, action, json.dumps(detail, ensure_ascii=False, sort_keys=True), recipients)


def _audit_query(limit: int | None) -> tuple[str, tuple[object, ...]]:
    return _AUDIT_SELECT + (" LIMIT ?" if limit else ""), ((limit,) if limit else ())


async def audit(
    db: aiosqlite.Connection,
    actor_id: int,
    action: str,
    now: dt.datetime,
    *,
    recipients: int | None = None,
    **detail: Any,
) -> None:
    """Record a privileged action: who, what, when, how many recipients."""
    await db.execute(_AUDIT_INSERT, _audit_row(actor_id, action, now, recipients, detail))


async def audit_entries(db: aiosqlite.Connection, limit: int | None = None) -> list[AuditEntry]:
    rows = await db.execute_fetchall(*_audit_query(limit))
    return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]


# --- the same on the update's sqlite3 connection, for steps (bot.turn.Turn.database) ---


def audit_sync(
    db: sqlite3.Connection,
    actor_id: int,
    action: str,
    now: dt.datetime,
    *,
    recipients: int | None = None,
    **detail: Any,
) -> None:
    """audit() inside a step's transaction."""
    db.execute(_AUDIT_INSERT, _audit_row(actor_id, action, now, recipients, detail))


def audit_entries_sync(db: sqlite3.Connection, limit: int | None = None) -> list[AuditEntry]:
    rows = db.execute(*_audit_query(limit)).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]


def audit_csv(entries: list[AuditEntry]) -> bytes:
    """The audit log as CSV (UTF-8 with BOM, so that spreadsheet programs read the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at_utc", "actor_id", "action", "recipients", "detail"])
    for e in sorted(entries, key=lambda e: e.id):
        writer.writerow([e.id, e.at, e.actor_id, e.action, "" if e.recipients is None else e.recipients,
                         json.dumps(e.detail, ensure_ascii=False, sort_keys=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
