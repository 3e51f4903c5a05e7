"""What /notices reads, in the update's short transaction: the applicants by notice, and those
under one notice with their group (verdict, level) from the summary rows and their answers.
Contact persons are never applicants."""

from __future__ import annotations

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
    rows = db.execute(f"SELECT s.notice_id, COUNT(*) FROM applicant_summaries s WHERE {condition} "
                      "GROUP BY s.notice_id", params)
    return Counter({str(notice_id): int(n) for notice_id, n in rows})


def stored_under(db: sqlite3.Connection, notice_id: str, contact_ids: Collection[int]
                 ) -> list[tuple[Group, dict[str, str]]]:
    """The applicants under the notice: their group (verdict or UNFINISHED, level or NO_LEVEL) from
    the summary, and their answers; two queries, nothing worked out here."""
    condition, params = _applicants(contact_ids)
    groups: dict[int, Group] = {}
    for user_id, finished, verdict, level in db.execute(
            f"SELECT s.user_id, s.finished, s.verdict, s.level FROM applicant_summaries s "
            f"WHERE s.notice_id = ? AND {condition}", [notice_id, *params]):
        groups[int(user_id)] = (str(verdict) if finished and verdict else UNFINISHED, str(level or NO_LEVEL))
    answers: dict[int, dict[str, str]] = {user_id: {} for user_id in groups}
    for user_id, question_id, option_id in db.execute(
            f"SELECT a.user_id, a.question_id, a.option_id FROM answers a "
            f"JOIN applicant_summaries s ON s.user_id = a.user_id WHERE s.notice_id = ? AND {condition}",
            [notice_id, *params]):
        given = answers.get(int(user_id))
        if given is not None:
            given[str(question_id)] = str(option_id)
    return [(groups[user_id], answers[user_id]) for user_id in sorted(groups)]
