"""The office's view of a new notice: which stored applicants each change concerns, by verdict and
level, and the `zhicheng-bot broadcast` filters that reach them (`zhicheng-bot knowledge diff --db`).

Reads the bot's SQLite database read-only with sqlite3 (never writes, never locks the bot out)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conversations.carry_over import carry_over, outcome_of
from knowledge.model import Notice
from knowledge.notice_diff import TOPIC_TITLES, Change, NoticeDiff

UNFINISHED = "unfinished"  # the verdict column of applicants who never finished the interview
NO_LEVEL = "-"

Group = tuple[str, str]  # (verdict or UNFINISHED, level id or NO_LEVEL)


@dataclass(frozen=True)
class StoredApplicant:
    user_id: int
    answers: dict[str, str]


class StorageError(Exception):
    pass


def stored_applicants(db: Path, notice_id: str) -> list[StoredApplicant]:
    """Applicants whose interview runs under `notice_id` (contact persons left out), read-only."""
    if not db.is_file():
        raise StorageError(f"{db} does not exist")
    uri = db.resolve().as_uri() + "?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"interviews", "answers"} <= tables:
                raise StorageError(f"{db} is not the bot's database (no interviews and answers tables)")
            contacts = (
                "AND i.user_id NOT IN (SELECT user_id FROM contact_persons)" if "contact_persons" in tables else ""
            )
            rows = conn.execute(
                "SELECT i.user_id, a.question_id, a.option_id FROM interviews i "
                "LEFT JOIN answers a ON a.user_id = i.user_id "
                f"WHERE i.notice_id = ? AND i.started = 1 {contacts} ORDER BY i.user_id",
                (notice_id,),
            ).fetchall()
    except sqlite3.Error as exc:
        raise StorageError(f"{db} cannot be read: {exc}") from exc
    answers: dict[int, dict[str, str]] = {}
    for user_id, question, option in rows:
        given = answers.setdefault(int(user_id), {})
        if question is not None:
            given[str(question)] = str(option)
    return [StoredApplicant(user_id, given) for user_id, given in answers.items()]


@dataclass
class Reach:
    """Who the changes concern: per change key, the applicants by (verdict, level); and everyone."""

    by_change: dict[str, Counter[Group]] = field(default_factory=dict)
    everyone: Counter[Group] = field(default_factory=Counter)

    def of(self, change: Change) -> Counter[Group]:
        return self.by_change.get(change.key, Counter())


def reach(diff: NoticeDiff, old: Notice, new: Notice, applicants: Iterable[StoredApplicant]) -> Reach:
    """Who each change concerns, the group of each applicant from their outcome under the old notice."""
    verdicts: dict[tuple[tuple[str, str], ...], str] = {}

    def group(answers: dict[str, str]) -> Group:
        key = tuple(sorted(answers.items()))
        if key not in verdicts:
            outcome = outcome_of(old, answers)
            verdicts[key] = outcome.verdict if outcome is not None else UNFINISHED
        return verdicts[key], answers.get("level") or NO_LEVEL

    return reach_groups(diff, old, new, ((group(a.answers), a.answers) for a in applicants))


def reach_groups(
    diff: NoticeDiff, old: Notice, new: Notice, applicants: Iterable[tuple[Group, Mapping[str, str]]]
) -> Reach:
    """Who each change concerns, for applicants whose group (verdict, level) is known (the summary
    rows); applicants with the same answers share one carry-over."""
    result = Reach({c.key: Counter() for c in diff.changes})
    concerned: dict[tuple[tuple[str, str], ...], tuple[str, ...]] = {}
    for group, answers in applicants:
        key = tuple(sorted(answers.items()))
        keys = concerned.get(key)
        if keys is None:
            keys = concerned[key] = tuple(c.key for c in carry_over(old, new, answers, diff).changes)
        result.everyone[group] += 1
        for change_key in keys:
            result.by_change[change_key][group] += 1
    return result


@dataclass(frozen=True)
class BroadcastFilter:
    """A `zhicheng-bot broadcast` audience for the applicants a change concerns."""

    flags: tuple[str, ...]
    reached: int  # how many applicants under the old notice it reaches
    concerned: int  # of them, how many the change concerns

    def command(self) -> str:
        return "zhicheng-bot broadcast " + " ".join(self.flags) + " --text-file MSG.html"


def broadcast_filters(old_id: str, groups: Counter[Group], everyone: Counter[Group]) -> list[BroadcastFilter]:
    """Audiences that reach the concerned groups: one for the finished interviews when its verdicts
    and levels (alternatives each) reach no one else, else one per verdict; one for the unfinished."""
    finished = Counter({g: n for g, n in groups.items() if g[0] != UNFINISHED})
    verdict_sets = [sorted({v for v, _ in finished})]
    if len(verdict_sets[0]) > 1 and _reached(verdict_sets[0], finished, everyone) != sum(finished.values()):
        verdict_sets = [[v] for v in verdict_sets[0]]
    if any(g[0] == UNFINISHED for g in groups):
        verdict_sets.append([UNFINISHED])
    filters = []
    for verdicts in verdict_sets:
        if not verdicts:
            continue
        chosen = Counter({g: n for g, n in groups.items() if g[0] in verdicts})
        levels = sorted({lv for _, lv in chosen})
        flags = [f"--notice {old_id}"]
        flags += ["--unfinished"] if verdicts == [UNFINISHED] else [f"--verdict {v}" for v in verdicts]
        if NO_LEVEL not in levels:
            flags += [f"--level {lv}" for lv in levels]
        filters.append(BroadcastFilter(tuple(flags), _reached(verdicts, chosen, everyone), sum(chosen.values())))
    return filters


def broadcast_commands(old_id: str, groups: Counter[Group], everyone: Counter[Group]) -> list[str]:
    """The filters as command lines, each saying how many it reaches in all."""
    commands = []
    for found in broadcast_filters(old_id, groups, everyone):
        note = (
            f"  # reaches {found.reached}, {found.concerned} concerned"
            if found.reached != found.concerned
            else f"  # reaches {found.reached}"
        )
        commands.append(found.command() + note)
    return commands


def _reached(verdicts: list[str], chosen: Counter[Group], everyone: Counter[Group]) -> int:
    """How many applicants the filter for these verdicts and the chosen groups' levels reaches."""
    levels = {lv for _, lv in chosen}
    return sum(n for (v, lv), n in everyone.items() if v in verdicts and (NO_LEVEL in levels or lv in levels))


def _groups_text(groups: Counter[Group]) -> str:
    return ", ".join(f"{v}/{lv} {n}" for (v, lv), n in sorted(groups.items()))


def diff_text(diff: NoticeDiff, found: Reach | None = None) -> str:
    lines = [f"{diff.old_id} → {diff.new_id}: {len(diff.changes)} changes"]
    if found is not None:
        lines.append(
            f"stored applicants under {diff.old_id}: {sum(found.everyone.values())}"
            + (f" ({_groups_text(found.everyone)})" if found.everyone else "")
        )
    for topic, changes in diff.by_topic().items():
        if topic == "items":
            stages: dict[str, list[Change]] = {}
            for change in changes:
                stages.setdefault(change.stage_title or change.stage or "", []).append(change)
            parts = [(f"{TOPIC_TITLES[topic]}: {stage}", group) for stage, group in stages.items()]
        else:
            parts = [(TOPIC_TITLES[topic], changes)]
        for heading, group in parts:
            lines += ["", heading]
            for change in group:
                lines += ["  " + line for line in change.describe().split("\n")]
                if found is not None:
                    concerned = found.of(change)
                    total = sum(concerned.values())
                    lines.append(
                        f"    concerns {total} stored applicant{'s' if total != 1 else ''}"
                        + (f": {_groups_text(concerned)}" if total else "")
                    )
                    lines += [f"      {c}" for c in broadcast_commands(diff.old_id, concerned, found.everyone)]
    return "\n".join(lines)


def diff_json(diff: NoticeDiff, found: Reach | None = None) -> dict[str, Any]:
    data = diff.to_json()
    if found is not None:
        data["applicants"] = sum(found.everyone.values())
        for change, entry in zip(diff.changes, data["changes"], strict=True):
            concerned = found.of(change)
            entry["applicants"] = {
                "total": sum(concerned.values()),
                "groups": [{"verdict": v, "level": lv, "count": n} for (v, lv), n in sorted(concerned.items())],
                "broadcast": [c.split("  #")[0] for c in broadcast_commands(diff.old_id, concerned, found.everyone)],
            }
    return data
