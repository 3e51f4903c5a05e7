"""Recommending units (推荐单位) and their HR officers (单位人事/职改部门), as the office sees them.

A contact person invites a unit's HR officer: the unit is created with its name (or found by it)
and a one-time invitation that expires (INVITATION_VALID) is made; its deep link carries a random
token of which only a hash is stored. Opening the link makes the user HR of that unit (a unit_hr
row; revoking it sets revoked_at). Applicants link themselves to one unit, after consenting, through
the unit's applicant link (a token kept with the unit) or by choosing it; each link gets the next
number of the unit, the only way the unit's HR tells its applicants apart (no names are stored).

Everything here runs on the update's sqlite3 connection, inside its transaction (Turn.database).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass

from bot.store.times import iso

INVITATION_VALID = dt.timedelta(days=7)
HR_LINK_PREFIX = "hr"  # /start hr_<token>: an invitation to become HR of a unit
APPLICANT_LINK_PREFIX = "u"  # /start u_<token>: an applicant links to a unit
UNIT_NAME_MAX = 60
_SPACES = re.compile(r"\s+")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_unit_name(text: str) -> str | None:
    """A unit's name as typed, with runs of spaces made one; None if empty or too long."""
    name = _SPACES.sub(" ", text).strip()
    if not name or len(name) > UNIT_NAME_MAX or "<" in name or ">" in name:
        return None
    return name


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    applicant_token: str

    @property
    def applicant_payload(self) -> str:
        return f"{APPLICANT_LINK_PREFIX}_{self.applicant_token}"


_UNIT = "SELECT id, name, applicant_token FROM units"


def unit(db: sqlite3.Connection, unit_id: int) -> Unit | None:
    row = db.execute(_UNIT + " WHERE id = ?", (unit_id,)).fetchone()
    return Unit(*row) if row else None


def unit_by_name(db: sqlite3.Connection, name: str) -> Unit | None:
    row = db.execute(_UNIT + " WHERE name = ?", (name,)).fetchone()
    return Unit(*row) if row else None


def unit_by_applicant_token(db: sqlite3.Connection, token: str) -> Unit | None:
    row = db.execute(_UNIT + " WHERE applicant_token = ?", (token,)).fetchone()
    return Unit(*row) if row else None


def all_units(db: sqlite3.Connection) -> list[Unit]:
    return [Unit(*row) for row in db.execute(_UNIT + " ORDER BY name")]


def unit_or_new(db: sqlite3.Connection, name: str, by: int, now: dt.datetime) -> tuple[Unit, bool]:
    """The unit of this name, created if there is none yet; (unit, created)."""
    existing = unit_by_name(db, name)
    if existing is not None:
        return existing, False
    cursor = db.execute(
        "INSERT INTO units (name, applicant_token, created_by, created_at) VALUES (?, ?, ?, ?)",
        (name, secrets.token_urlsafe(9), by, iso(now)),
    )
    created = unit(db, int(cursor.lastrowid or 0))
    assert created is not None
    return created, True


# --- invitations ---


@dataclass(frozen=True)
class Invitation:
    id: int
    unit_id: int
    unit_name: str
    created_by: int
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None
    used_by: int | None
    revoked_at: dt.datetime | None

    def status(self, now: dt.datetime) -> str:
        """pending, used, revoked or expired."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "pending"


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


_INVITATION = (
    "SELECT i.id, i.unit_id, u.name, i.created_by, i.created_at, i.expires_at, i.used_at, i.used_by, "
    "i.revoked_at FROM invitations i JOIN units u ON u.id = i.unit_id"
)


def _invitation(row: tuple[object, ...]) -> Invitation:
    return Invitation(
        int(str(row[0])),
        int(str(row[1])),
        str(row[2]),
        int(str(row[3])),
        dt.datetime.fromisoformat(str(row[4])),
        dt.datetime.fromisoformat(str(row[5])),
        _moment(row[6]),  # type: ignore[arg-type]
        int(str(row[7])) if row[7] is not None else None,
        _moment(row[8]),  # type: ignore[arg-type]
    )


def create_invitation(
    db: sqlite3.Connection, unit_id: int, by: int, now: dt.datetime, valid: dt.timedelta = INVITATION_VALID
) -> tuple[Invitation, str]:
    """A new invitation and its deep-link payload (hr_<token>), which is never stored."""
    token = secrets.token_urlsafe(18)
    cursor = db.execute(
        "INSERT INTO invitations (unit_id, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (unit_id, _token_hash(token), by, iso(now), iso(now + valid)),
    )
    invitation = invitation_by_id(db, int(cursor.lastrowid or 0))
    assert invitation is not None
    return invitation, f"{HR_LINK_PREFIX}_{token}"


def invitation_by_id(db: sqlite3.Connection, invitation_id: int) -> Invitation | None:
    row = db.execute(_INVITATION + " WHERE i.id = ?", (invitation_id,)).fetchone()
    return _invitation(row) if row else None


def invitation_by_token(db: sqlite3.Connection, token: str) -> Invitation | None:
    row = db.execute(_INVITATION + " WHERE i.token_hash = ?", (_token_hash(token),)).fetchone()
    return _invitation(row) if row else None


def invitations(db: sqlite3.Connection, limit: int = 30) -> list[Invitation]:
    return [_invitation(r) for r in db.execute(_INVITATION + " ORDER BY i.id DESC LIMIT ?", (limit,))]


def use_invitation(
    db: sqlite3.Connection, invitation: Invitation, user_id: int, chat_id: int, now: dt.datetime
) -> bool:
    """Make the user HR of the invitation's unit and spend the invitation. False if it is no longer
    pending (used, revoked or expired meanwhile)."""
    cursor = db.execute(
        "UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL "
        "AND expires_at > ?",
        (iso(now), user_id, invitation.id, iso(now)),
    )
    if cursor.rowcount != 1:
        return False
    db.execute(
        "INSERT OR IGNORE INTO unit_hr (unit_id, user_id, chat_id, invitation_id, added_at) VALUES (?, ?, ?, ?, ?)",
        (invitation.unit_id, user_id, chat_id, invitation.id, iso(now)),
    )
    return True


def revoke_invitation(db: sqlite3.Connection, invitation_id: int, by: int, now: dt.datetime) -> bool:
    cursor = db.execute(
        "UPDATE invitations SET revoked_at = ?, revoked_by = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL",
        (iso(now), by, invitation_id),
    )
    return cursor.rowcount == 1


# --- HR officers ---


@dataclass(frozen=True)
class HrOfficer:
    unit_id: int
    unit_name: str
    user_id: int
    chat_id: int
    added_at: dt.datetime


_HR = (
    "SELECT h.unit_id, u.name, h.user_id, h.chat_id, h.added_at FROM unit_hr h JOIN units u ON u.id = h.unit_id "
    "WHERE h.revoked_at IS NULL"
)


def _officer(row: tuple[object, ...]) -> HrOfficer:
    return HrOfficer(
        int(str(row[0])), str(row[1]), int(str(row[2])), int(str(row[3])), dt.datetime.fromisoformat(str(row[4]))
    )


def is_hr(db: sqlite3.Connection, user_id: int) -> bool:
    return (
        db.execute("SELECT 1 FROM unit_hr WHERE user_id = ? AND revoked_at IS NULL", (user_id,)).fetchone() is not None
    )


def is_hr_of(db: sqlite3.Connection, user_id: int, unit_id: int) -> bool:
    """Checked at every HR command and button: the user is HR of this very unit, now."""
    return (
        db.execute(
            "SELECT 1 FROM unit_hr WHERE user_id = ? AND unit_id = ? AND revoked_at IS NULL", (user_id, unit_id)
        ).fetchone()
        is not None
    )


def units_of_hr(db: sqlite3.Connection, user_id: int) -> list[Unit]:
    rows = db.execute(
        "SELECT u.id, u.name, u.applicant_token FROM units u JOIN unit_hr h ON h.unit_id = u.id "
        "WHERE h.user_id = ? AND h.revoked_at IS NULL ORDER BY u.name",
        (user_id,),
    )
    return [Unit(*row) for row in rows]


def hr_officers(db: sqlite3.Connection, unit_id: int | None = None) -> list[HrOfficer]:
    sql = _HR + (" AND h.unit_id = ?" if unit_id is not None else "") + " ORDER BY u.name, h.user_id"
    return [_officer(r) for r in db.execute(sql, (unit_id,) if unit_id is not None else ())]


def revoke_hr(db: sqlite3.Connection, unit_id: int, user_id: int, by: int, now: dt.datetime) -> bool:
    cursor = db.execute(
        "UPDATE unit_hr SET revoked_at = ?, revoked_by = ? WHERE unit_id = ? AND user_id = ? AND revoked_at IS NULL",
        (iso(now), by, unit_id, user_id),
    )
    return cursor.rowcount >= 1


# --- applicants' links ---


@dataclass(frozen=True)
class Link:
    user_id: int
    unit_id: int
    unit_name: str
    number: int
    via: str
    consented_at: dt.datetime


_LINK = (
    "SELECT l.user_id, l.unit_id, u.name, l.number, l.via, l.consented_at FROM applicant_units l "
    "JOIN units u ON u.id = l.unit_id"
)


def _link(row: tuple[object, ...]) -> Link:
    return Link(
        int(str(row[0])),
        int(str(row[1])),
        str(row[2]),
        int(str(row[3])),
        str(row[4]),
        dt.datetime.fromisoformat(str(row[5])),
    )


def link_of(db: sqlite3.Connection, user_id: int) -> Link | None:
    row = db.execute(_LINK + " WHERE l.user_id = ?", (user_id,)).fetchone()
    return _link(row) if row else None


def linked_applicant(db: sqlite3.Connection, unit_id: int, number: int) -> Link | None:
    row = db.execute(_LINK + " WHERE l.unit_id = ? AND l.number = ?", (unit_id, number)).fetchone()
    return _link(row) if row else None


def links_of_unit(db: sqlite3.Connection, unit_id: int) -> list[Link]:
    return [_link(r) for r in db.execute(_LINK + " WHERE l.unit_id = ? ORDER BY l.number", (unit_id,))]


def link(db: sqlite3.Connection, user_id: int, unit_id: int, via: str, now: dt.datetime) -> Link:
    """Link the applicant to the unit (replacing any other link) with the unit's next number."""
    current = link_of(db, user_id)
    if current is not None and current.unit_id == unit_id:
        return current
    db.execute("DELETE FROM applicant_units WHERE user_id = ?", (user_id,))
    number = db.execute("SELECT next_number FROM units WHERE id = ?", (unit_id,)).fetchone()[0]
    db.execute("UPDATE units SET next_number = next_number + 1 WHERE id = ?", (unit_id,))
    db.execute(
        "INSERT INTO applicant_units (user_id, unit_id, number, via, consented_at) VALUES (?, ?, ?, ?, ?)",
        (user_id, unit_id, number, via, iso(now)),
    )
    made = link_of(db, user_id)
    assert made is not None
    return made


def unlink(db: sqlite3.Connection, user_id: int) -> bool:
    return db.execute("DELETE FROM applicant_units WHERE user_id = ?", (user_id,)).rowcount == 1
