"""The audit log of privileged actions: who did what, when, and for how many recipients. Details
are ids and counts, never personal data. Written inside the action's own transaction."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bot.store.times import iso


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str  # ISO UTC
    actor_id: int
    action: str
    detail: dict[str, Any]
    recipients: int | None


def audit(
    db: sqlite3.Connection,
    actor_id: int,
    action: str,
    now: dt.datetime,
    *,
    recipients: int | None = None,
    **detail: Any,
) -> None:
    """Record a privileged action."""
    db.execute(
        "INSERT INTO audit_log (at, actor_id, action, detail, recipients) VALUES (?, ?, ?, ?, ?)",
        (iso(now), actor_id, action, json.dumps(detail, ensure_ascii=False, sort_keys=True), recipients),
    )


def audit_entries(db: sqlite3.Connection, limit: int | None = None) -> list[AuditEntry]:
    """The latest entries first (all of them without a limit)."""
    sql = "SELECT id, at, actor_id, action, detail, recipients FROM audit_log ORDER BY id DESC"
    rows = db.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
    return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]
