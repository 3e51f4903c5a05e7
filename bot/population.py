"""The applicants as the office sees them: one record per user with what the bot stores and what
follows from it (verdict, level, checklist readiness), the audiences of broadcasts, and the
statistics of /stats (readiness by unit among them). No personal data beyond what the bot stores
(ids, answers, ticks, the unit an applicant linked to). The loaders exist for aiosqlite (jobs, the
command line) and for a step's sqlite3 connection, sharing their SQL."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import aiosqlite

from conversations.outcome import evaluate
from knowledge.model import Notice

READINESS_BANDS = ("0–25%", "25–50%", "50–75%", "75–99%", "100%")


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
    unit_id: int | None = None  # the unit the applicant linked to (bot.units), if any
    answers: tuple[tuple[str, str], ...] = ()  # (question id, option id), for the unit's duties

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


# Users who started an interview, contact persons added in the chat left out.
_APPLICANTS = (
    "SELECT u.user_id, u.chat_id, i.notice_id, i.current_question, "
    "(SELECT json_group_object(question_id, option_id) FROM answers a WHERE a.user_id = u.user_id), "
    "(SELECT json_group_array(item_id) FROM ticks t WHERE t.user_id = u.user_id), "
    "u.chat_id IN (SELECT chat_id FROM unreachable_chats), "
    "(SELECT unit_id FROM applicant_units l WHERE l.user_id = u.user_id) "
    "FROM users u JOIN interviews i ON i.user_id = u.user_id WHERE i.started = 1 "
    "AND u.user_id NOT IN (SELECT user_id FROM contact_persons)"
)


def _applicants_query(unit_id: int | None) -> tuple[str, tuple[object, ...]]:
    if unit_id is None:
        return _APPLICANTS + " ORDER BY u.user_id", ()
    return (_APPLICANTS + " AND u.user_id IN (SELECT user_id FROM applicant_units WHERE unit_id = ?) "
            "ORDER BY u.user_id", (unit_id,))


def applicants_of(rows: Iterable[Any], notices: Mapping[str, Notice], contact_ids: Collection[int] = ()
                  ) -> list[Applicant]:
    """The applicants from the rows of `applicant_rows` (CPU only: may run outside the transaction)."""
    return [_applicant(tuple(row), notices) for row in rows if row[0] not in contact_ids]


async def applicant_rows(db: aiosqlite.Connection) -> list[Any]:
    """The stored rows of every user who started an interview, contact persons left out."""
    return list(await db.execute_fetchall(_APPLICANTS))


async def load_applicants(db: aiosqlite.Connection, notices: Mapping[str, Notice],
                          contact_ids: Collection[int] = (), *, unit_id: int | None = None) -> list[Applicant]:
    """Every user who started an interview (of one unit: those linked to it), with their outcome
    worked out (one query). Contact persons (added in the chat, or `contact_ids` of the settings)
    are not applicants."""
    rows = await db.execute_fetchall(*_applicants_query(unit_id))
    return [a for a in applicants_from_rows([tuple(r) for r in rows], notices) if a.user_id not in contact_ids]


@lru_cache(maxsize=16384)
def _outcome_summary(notice: Notice, answers: tuple[tuple[str, str], ...]) -> tuple[str, tuple[str, ...]] | None:
    """The verdict and checklist item ids of a set of answers. Remembered: the audience is counted
    for the preview, again on confirmation and when the broadcast is queued, and /stats counts
    the same population; applicants with the same answers share one evaluation."""
    try:
        outcome = evaluate(notice, dict(answers))
    except ValueError:
        return None
    return outcome.verdict, tuple(item.id for item in outcome.checklist)


def load_applicants_sync(db: sqlite3.Connection, notices: Mapping[str, Notice],
                         contact_ids: Collection[int] = (), *, unit_id: int | None = None) -> list[Applicant]:
    """load_applicants() on a step's connection."""
    return [a for a in applicants_from_rows(applicant_rows_sync(db, unit_id), notices)
            if a.user_id not in contact_ids]


def applicant_rows_sync(db: sqlite3.Connection, unit_id: int | None = None) -> list[tuple[object, ...]]:
    """The stored rows only, for a step that works the outcomes out after its transaction
    (applicants_from_rows), so that the transaction stays short."""
    return [tuple(row) for row in db.execute(*_applicants_query(unit_id))]


def applicants_from_rows(rows: Iterable[tuple[object, ...]], notices: Mapping[str, Notice]) -> list[Applicant]:
    return [_applicant(row, notices) for row in rows]


def _applicant(row: tuple[object, ...], notices: Mapping[str, Notice]) -> Applicant:
    user_id, chat_id, notice_id, current, answers_json, ticks_json, unreachable, unit_id = row
    answers = json.loads(str(answers_json)) if answers_json else {}
    ticks = set(json.loads(str(ticks_json))) if ticks_json else set()
    notice = notices.get(str(notice_id))
    verdict = None
    items = ticked = 0
    if current is None and notice is not None:
        summary = _outcome_summary(notice, tuple(sorted(answers.items())))
        if summary is not None:
            verdict, checklist = summary
            items = len(checklist)
            ticked = sum(1 for item_id in checklist if item_id in ticks)
    return Applicant(
        user_id=int(str(user_id)),
        chat_id=int(str(chat_id)),
        notice_id=str(notice_id) if notice_id is not None else None,
        finished=verdict is not None,
        verdict=verdict,
        level=answers.get("level"),
        items=items,
        ticked=ticked,
        reachable=not unreachable,
        unit_id=int(str(unit_id)) if unit_id is not None else None,
        answers=tuple(sorted(answers.items())),
    )


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to. Each dimension left empty means "any"; values within a dimension
    are alternatives (or), dimensions combine (and). Unreachable users are never in an audience."""

    notices: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    verdicts: frozenset[str] = frozenset()
    unticked_only: bool = False  # finished, with items not yet ticked
    unfinished_only: bool = False  # started the interview and never finished it
    units: frozenset[int] = frozenset()  # linked to one of these units (bot.units)

    def includes(self, a: Applicant) -> bool:
        return (
            a.reachable
            and (not self.units or a.unit_id in self.units)
            and (not self.notices or a.notice_id in self.notices)
            and (not self.levels or a.level in self.levels)
            and (not self.verdicts or a.verdict in self.verdicts)
            and (not self.unticked_only or a.has_unticked)
            and (not self.unfinished_only or not a.finished)
        )

    def to_json(self) -> str:
        return json.dumps({"notices": sorted(self.notices), "levels": sorted(self.levels),
                           "verdicts": sorted(self.verdicts), "unticked_only": self.unticked_only,
                           "unfinished_only": self.unfinished_only, "units": sorted(self.units)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Audience:
        data = json.loads(text)  # a dimension missing (stored before it existed) means "any"
        return cls(frozenset(data.get("notices", ())), frozenset(data.get("levels", ())),
                   frozenset(data.get("verdicts", ())), bool(data.get("unticked_only")),
                   bool(data.get("unfinished_only")), frozenset(int(u) for u in data.get("units", [])))


def select(applicants: Iterable[Applicant], audience: Audience) -> list[Applicant]:
    return [a for a in applicants if audience.includes(a)]


@dataclass
class Stats:
    applicants: int = 0
    finished: int = 0
    unreachable: int = 0
    by_notice: Counter[str] = field(default_factory=Counter)
    by_level: Counter[str] = field(default_factory=Counter)
    by_verdict: Counter[str] = field(default_factory=Counter)
    readiness: Counter[str] = field(default_factory=Counter)  # finished applicants with a checklist
    outbox: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> count
    # unit id -> readiness bands of its linked applicants with a checklist (unlinked ones are not here)
    readiness_by_unit: dict[int, Counter[str]] = field(default_factory=dict)
    linked_by_unit: Counter[int] = field(default_factory=Counter)  # unit id -> applicants linked


def stats(applicants: Iterable[Applicant]) -> Stats:
    result = Stats()
    for a in applicants:
        result.applicants += 1
        result.finished += a.finished
        result.unreachable += not a.reachable
        result.by_notice[a.notice_id or "-"] += 1
        if a.level:
            result.by_level[a.level] += 1
        if a.verdict:
            result.by_verdict[a.verdict] += 1
        if a.readiness is not None:
            result.readiness[readiness_band(a.readiness)] += 1
        if a.unit_id is not None:
            result.linked_by_unit[a.unit_id] += 1
            if a.readiness is not None:
                result.readiness_by_unit.setdefault(a.unit_id, Counter())[readiness_band(a.readiness)] += 1
    return result


_OUTBOX_COUNTS = "SELECT kind, status, COUNT(*) FROM outbox GROUP BY kind, status"


def _outbox_counts(rows: Iterable[Any]) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        result.setdefault(kind, {})[status] = count
    return result


async def outbox_counts(db: aiosqlite.Connection) -> dict[str, dict[str, int]]:
    return _outbox_counts(await db.execute_fetchall(_OUTBOX_COUNTS))


def outbox_counts_sync(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
    return _outbox_counts(db.execute(_OUTBOX_COUNTS))


def stats_csv(s: Stats, unit_names: Mapping[int, str] | None = None) -> bytes:
    """The statistics as CSV rows of (measure, key, count), UTF-8 with BOM for spreadsheets; the
    readiness by unit as rows `readiness:<unit name or id>`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["measure", "key", "count"])
    writer.writerow(["applicants", "", s.applicants])
    writer.writerow(["finished", "", s.finished])
    writer.writerow(["unreachable", "", s.unreachable])
    for measure, counter in (("notice", s.by_notice), ("level", s.by_level), ("verdict", s.by_verdict),
                             ("readiness", s.readiness)):
        for key, count in sorted(counter.items()):
            writer.writerow([measure, key, count])
    names = unit_names or {}
    for unit_id in sorted(s.linked_by_unit):
        unit = names.get(unit_id, str(unit_id))
        writer.writerow([f"linked:{unit}", "", s.linked_by_unit[unit_id]])
        for band, count in sorted(s.readiness_by_unit.get(unit_id, Counter()).items()):
            writer.writerow([f"readiness:{unit}", band, count])
    for kind, statuses in sorted(s.outbox.items()):
        for status, count in sorted(statuses.items()):
            writer.writerow([f"outbox:{kind}", status, count])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
