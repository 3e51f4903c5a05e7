"""Who a user is to the bot besides an applicant: a contact person of the office ("contact") or
the HR officer of a unit ("hr"). Looked up in the update's own transaction, on every update,
never cached: a role taken away counts from the next tap."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

CONTACT = "contact"
HR = "hr"


def roles_of(db: sqlite3.Connection, user_id: int, contact_ids: Collection[int]) -> frozenset[str]:
    roles: set[str] = set()
    if user_id in contact_ids or db.execute("SELECT 1 FROM contact_persons WHERE user_id = ?", (user_id,)).fetchone():
        roles.add(CONTACT)
    if db.execute("SELECT 1 FROM unit_hr WHERE user_id = ? AND revoked_at IS NULL", (user_id,)).fetchone():
        roles.add(HR)  # HR of a unit (bot.units), until revoked
    return frozenset(roles)
