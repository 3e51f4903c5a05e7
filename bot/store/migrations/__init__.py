"""Numbered, named migrations: one SQL file each in this folder (m001_users_….sql …), applied in
order, each in its own transaction, and recorded by name in applied_migrations. A new table or
column is one more file with the next number; a file is never changed once released."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

NAME = re.compile(r"m(\d{3})_[a-z0-9_]+\.sql")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str  # the file's stem, as recorded in applied_migrations
    sql: str

    def statements(self) -> list[str]:
        """The file cut into complete statements (triggers with their BEGIN … END kept whole)."""
        result: list[str] = []
        pending = ""
        for line in self.sql.splitlines(keepends=True):
            pending += line
            if sqlite3.complete_statement(pending):
                if pending.strip():
                    result.append(pending.strip())
                pending = ""
        if pending.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in pending.splitlines()):
            raise ValueError(f"migration {self.name} ends with an incomplete statement")
        return result


def migrations() -> list[Migration]:
    """Every migration file of this folder, by number; numbers must be unique and consecutive."""
    found = []
    for entry in resources.files(__package__).iterdir():
        match = NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name[:-4], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3 … without gaps or repeats: {numbers}")
    return found


def migrate(connection: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; returns their names."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS applied_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in connection.execute("SELECT name FROM applied_migrations")}
    applied = []
    for migration in migrations():
        if migration.name in done:
            continue
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements():
                connection.execute(statement)
            connection.execute(
                "INSERT INTO applied_migrations VALUES (?, ?)",
                (migration.name, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        applied.append(migration.name)
    return applied
