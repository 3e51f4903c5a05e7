"""What /notices reads, in the update's short transaction: the applicants by notice, and those
under one notice with their group (verdict, level) from the summary rows and their answers (one
row each, the answers as JSON text, parsed after the transaction). Contact persons are never
applicants."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Collection

from bot.features.notices.changes import NO_LEVEL, UNFINISHED, Group


def _applicants(contact_ids: Collection[int]) -> tuple[str, list[object]]:
    sql = "s.user_id NOT IN (SELECT user_id FROM contact_persons)"
    if contact_ids:
        sql += f" AND s.user_id NOT IN ({', '.join('?' for _ in contact_ids)})"
    return sql, [*sorted(contact_ids)]


def applicants_by_notice(db: sqlite3.Connection, contact_ids: Collection[int]) -> Counter[str]:
    condition, params = _applicants(contact_ids)
    rows = db.execute(
        f"SELECT s.notice_id, COUNT(*) FROM applicant_summaries s WHERE {condition} GROUP BY s.notice_id", params
    )
    return Counter({str(notice_id): int(n) for notice_id, n in rows})


Row = tuple[int, str | None, str | None, str | None]  # finished, verdict, level, answers as a JSON object


def stored_under(db: sqlite3.Connection, notice_id: str, contact_ids: Collection[int]) -> list[Row]:
    """The applicants under the notice, one row each: their summary's finished, verdict and level,
    and their answers as one JSON text (parsed by `applicants_of`, after the transaction)."""
    condition, params = _applicants(contact_ids)
    rows = db.execute(
        "SELECT s.finished, s.verdict, s.level, (SELECT json_group_object(a.question_id, a.option_id) "
        f"FROM answers a WHERE a.user_id = s.user_id) FROM applicant_summaries s WHERE s.notice_id = ? AND {condition}",
        [notice_id, *params],
    )
    return [(int(finished), verdict, level, given) for finished, verdict, level, given in rows]


def applicants_of(rows: list[Row]) -> list[tuple[Group, dict[str, str]]]:
    """Each applicant's group (verdict or UNFINISHED, level or NO_LEVEL) and answers."""
    return [
        (
            (str(verdict) if finished and verdict else UNFINISHED, str(level or NO_LEVEL)),
            {str(q): str(o) for q, o in json.loads(given).items()} if given else {},
        )
        for finished, verdict, level, given in rows
    ]
