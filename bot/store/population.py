"""The applicants as the office sees them, as SQL over the applicant summaries
(bot.store.summaries): the audiences of broadcasts, their counts, the statistics of /stats
(readiness by unit among them) and a unit's applicants. Contact persons (added in the chat, or
the settings' ids) are never applicants. No personal data beyond what the bot stores.

Also the one count of what became of messages sent outside a reply (Tally): a broadcast's
progress and report, /stats and its CSV all count outbox rows with OUTCOME, so that they agree."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

READINESS_BANDS = ("0–25%", "25–50%", "50–75%", "75–99%", "100%")

# What became of an outbox row, as everyone counts it:
# - sent: Telegram accepted it;
# - blocked (failed): the chat blocked the bot (a 403): the row, and every other row still queued
#   for the chat, is cancelled with last_error "unreachable…" (bot.store.users.set_unreachable);
# - undeliverable (failed): Telegram refused it for good (chat not found, a bad request), passing
#   failures (network, time-outs, flood waits) went on through every retry, or an unexpected error;
# - waiting: pending, or being sent;
# - withdrawn: cancelled on purpose (the broadcast was cancelled, the user turned reminders off).
# Rows of a user who deleted their data (/delete_me) are gone and counted nowhere.
OUTCOMES = ("sent", "blocked", "undeliverable", "waiting", "withdrawn")
OUTCOME = (
    "CASE WHEN status = 'sent' THEN 'sent' WHEN status IN ('pending', 'sending') THEN 'waiting' "
    "WHEN status = 'failed' THEN 'undeliverable' WHEN last_error LIKE 'unreachable%' THEN 'blocked' "
    "ELSE 'withdrawn' END"
)
# The band of an applicant with a checklist: 100% when all is ticked, else the quarter reached.
_BAND = "CASE WHEN s.ticked >= s.items THEN 4 ELSE MIN((4 * s.ticked) / s.items, 3) END"


@dataclass(frozen=True)
class Applicant:
    user_id: int
    chat_id: int
    notice_id: str | None
    finished: bool
    verdict: str | None  # None until the interview is finished
    level: str | None  # the level id answered, if any
    items: int  # checklist items
    ticked: int  # of them ticked
    reachable: bool
    unit_id: int | None = None  # the unit the applicant linked to, if any

    @property
    def has_unticked(self) -> bool:
        return self.finished and self.items > self.ticked

    @property
    def readiness(self) -> float | None:
        return self.ticked / self.items if self.items else None


def readiness_band(share: float) -> str:
    if share >= 1:
        return READINESS_BANDS[4]
    return READINESS_BANDS[min(int(share * 4), 3)]


def marks(values: Collection[object]) -> str:
    """The placeholders of an IN (…) list: `?, ?, ?` for three values."""
    return ", ".join("?" for _ in values)


def _not_contacts(contact_ids: Collection[int]) -> tuple[str, list[object]]:
    sql = "s.user_id NOT IN (SELECT user_id FROM contact_persons)"
    if contact_ids:
        sql += f" AND s.user_id NOT IN ({marks(contact_ids)})"
    params: list[object] = [*sorted(contact_ids)]
    return sql, params


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to. Each dimension left empty means "any"; values within a dimension
    are alternatives (or), dimensions combine (and). Unreachable users are never in an audience."""

    notices: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    verdicts: frozenset[str] = frozenset()
    unticked_only: bool = False  # finished, with items not yet ticked
    unfinished_only: bool = False  # started the interview and never finished it
    units: frozenset[int] = frozenset()  # linked to one of these units

    def where(self) -> tuple[str, list[object]]:
        """The audience as an SQL condition on applicant_summaries s, with its parameters."""
        parts = ["s.reachable = 1"]
        params: list[object] = []
        for column, values in (
            ("s.unit_id", self.units),
            ("s.notice_id", self.notices),
            ("s.level", self.levels),
            ("s.verdict", self.verdicts),
        ):
            if values:
                parts.append(f"{column} IN ({marks(values)})")
                params.extend(sorted(values, key=str))
        if self.unticked_only:
            parts.append("s.finished = 1 AND s.items > s.ticked")
        if self.unfinished_only:
            parts.append("s.finished = 0")
        return " AND ".join(parts), params

    def to_json(self) -> str:
        return json.dumps(
            {
                "notices": sorted(self.notices),
                "levels": sorted(self.levels),
                "verdicts": sorted(self.verdicts),
                "unticked_only": self.unticked_only,
                "unfinished_only": self.unfinished_only,
                "units": sorted(self.units),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Audience:
        data = json.loads(text)  # a dimension missing (stored before it existed) means "any"
        return cls(
            frozenset(data.get("notices", ())),
            frozenset(data.get("levels", ())),
            frozenset(data.get("verdicts", ())),
            bool(data.get("unticked_only")),
            bool(data.get("unfinished_only")),
            frozenset(int(u) for u in data.get("units", [])),
        )


def _selected(audience: Audience | None, contact_ids: Collection[int], unit_id: int | None) -> tuple[str, list[object]]:
    condition, params = _not_contacts(contact_ids)
    if audience is not None:
        where, more = audience.where()
        condition, params = f"{condition} AND {where}", params + more
    if unit_id is not None:
        condition, params = f"{condition} AND s.unit_id = ?", [*params, unit_id]
    return condition, params


_APPLICANT = (
    "SELECT s.user_id, s.chat_id, s.notice_id, s.finished, s.verdict, s.level, s.items, s.ticked, "
    "s.reachable, s.unit_id FROM applicant_summaries s"
)


def applicants(
    db: sqlite3.Connection,
    contact_ids: Collection[int] = (),
    *,
    audience: Audience | None = None,
    unit_id: int | None = None,
) -> list[Applicant]:
    """The applicants (of an audience, of one unit), by user id."""
    condition, params = _selected(audience, contact_ids, unit_id)
    rows = db.execute(f"{_APPLICANT} WHERE {condition} ORDER BY s.user_id", params)
    return [Applicant(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6], r[7], bool(r[8]), r[9]) for r in rows]


def count(db: sqlite3.Connection, audience: Audience, contact_ids: Collection[int] = ()) -> int:
    """How many applicants the audience holds now (the broadcast preview)."""
    condition, params = _selected(audience, contact_ids, None)
    return int(db.execute(f"SELECT COUNT(*) FROM applicant_summaries s WHERE {condition}", params).fetchone()[0])


def recipients(
    db: sqlite3.Connection,
    audience: Audience,
    contact_ids: Collection[int] = (),
    *,
    after_user: int = 0,
    limit: int = 500,
) -> list[tuple[int, int]]:
    """(chat id, user id) of the audience's applicants after `after_user`, by user id: one chunk."""
    condition, params = _selected(audience, contact_ids, None)
    rows = db.execute(
        f"SELECT s.chat_id, s.user_id FROM applicant_summaries s WHERE {condition} "
        "AND s.user_id > ? ORDER BY s.user_id LIMIT ?",
        [*params, after_user, limit],
    )
    return [(int(chat), int(user)) for chat, user in rows]


def answers_of(db: sqlite3.Connection, user_ids: Collection[int]) -> dict[int, dict[str, str]]:
    """The stored answers of these users (a unit's applicants, for their paper materials)."""
    result: dict[int, dict[str, str]] = {user_id: {} for user_id in user_ids}
    if not user_ids:
        return result
    for user_id, question_id, option_id in db.execute(
        f"SELECT user_id, question_id, option_id FROM answers WHERE user_id IN ({marks(user_ids)})", sorted(user_ids)
    ):
        result[user_id][question_id] = option_id
    return result


@dataclass(frozen=True)
class Tally:
    """Outbox rows (a broadcast's, or all of one kind) by what became of them (OUTCOME)."""

    sent: int = 0
    blocked: int = 0  # failed: the chat blocked the bot
    undeliverable: int = 0  # failed: refused by Telegram, or given up after every retry
    waiting: int = 0  # pending or being sent
    withdrawn: int = 0  # cancelled on purpose (the broadcast cancelled, reminders turned off)

    @property
    def failed(self) -> int:
        return self.blocked + self.undeliverable

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.waiting + self.withdrawn


def tally(db: sqlite3.Connection, kind: str, ref: str | None = None) -> Tally:
    """The rows of one kind (of one `ref`, a broadcast's id), by outcome."""
    sql = f"SELECT {OUTCOME}, COUNT(*) FROM outbox WHERE kind = ?" + (" AND ref = ?" if ref is not None else "")
    params = (kind, ref) if ref is not None else (kind,)
    return Tally(**{outcome: n for outcome, n in db.execute(sql + " GROUP BY 1", params)})


def tallies(db: sqlite3.Connection) -> dict[str, Tally]:
    """Every kind's rows, by outcome."""
    found: dict[str, dict[str, int]] = {}
    for kind, outcome, n in db.execute(f"SELECT kind, {OUTCOME}, COUNT(*) FROM outbox GROUP BY 1, 2"):
        found.setdefault(kind, {})[outcome] = n
    return {kind: Tally(**counts) for kind, counts in found.items()}


@dataclass
class Stats:
    applicants: int = 0
    finished: int = 0
    unreachable: int = 0
    by_notice: Counter[str] = field(default_factory=Counter)
    by_level: Counter[str] = field(default_factory=Counter)
    by_verdict: Counter[str] = field(default_factory=Counter)
    readiness: Counter[str] = field(default_factory=Counter)  # finished applicants with a checklist
    outbox: dict[str, Tally] = field(default_factory=dict)  # kind -> its rows by outcome
    # unit id -> readiness bands of its linked applicants with a checklist (unlinked ones are not here)
    readiness_by_unit: dict[int, Counter[str]] = field(default_factory=dict)
    linked_by_unit: Counter[int] = field(default_factory=Counter)  # unit id -> applicants linked


def stats(db: sqlite3.Connection, contact_ids: Collection[int] = ()) -> Stats:
    """The statistics of /stats, each figure one aggregate query over the summaries."""
    condition, params = _not_contacts(contact_ids)
    frm = f"FROM applicant_summaries s WHERE {condition}"
    result = Stats()
    total, finished, unreachable = db.execute(
        f"SELECT COUNT(*), COALESCE(SUM(s.finished), 0), COALESCE(SUM(1 - s.reachable), 0) {frm}", params
    ).fetchone()
    result.applicants, result.finished, result.unreachable = int(total), int(finished), int(unreachable)
    for column, counter in (
        ("s.notice_id", result.by_notice),
        ("s.level", result.by_level),
        ("s.verdict", result.by_verdict),
    ):
        for key, n in db.execute(f"SELECT {column}, COUNT(*) {frm} AND {column} IS NOT NULL GROUP BY {column}", params):
            counter[key] = n
    for band, n in db.execute(f"SELECT {_BAND}, COUNT(*) {frm} AND s.items > 0 GROUP BY 1", params):
        result.readiness[READINESS_BANDS[band]] = n
    for unit_id, n in db.execute(f"SELECT s.unit_id, COUNT(*) {frm} AND s.unit_id IS NOT NULL GROUP BY 1", params):
        result.linked_by_unit[unit_id] = n
    for unit_id, band, n in db.execute(
        f"SELECT s.unit_id, {_BAND}, COUNT(*) {frm} AND s.unit_id IS NOT NULL AND s.items > 0 GROUP BY 1, 2", params
    ):
        result.readiness_by_unit.setdefault(unit_id, Counter())[READINESS_BANDS[band]] = n
    result.outbox = tallies(db)
    return result


def unit_names(db: sqlite3.Connection) -> dict[int, str]:
    """Unit id -> name."""
    return {int(r[0]): str(r[1]) for r in db.execute("SELECT id, name FROM units ORDER BY name")}
