"""The report of a draft (knowledge.drafting): what was carried over, updated, flagged, and new."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Update:
    entry: str
    field: str
    old: Any
    new: Any
    sentence: str


@dataclass(frozen=True)
class ReviewItem:
    entry: str
    old_quote: str
    closest: str
    reason: str
    clause: str = ""


@dataclass(frozen=True)
class NewSentence:
    clause: str
    text: str


@dataclass
class DraftReport:
    old_id: str
    new_id: str
    entries: int
    carried: int
    updated_entries: int
    updated: list[Update] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    new_sentences: list[NewSentence] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def flagged_entries(self) -> int:
        return len({r.entry for r in self.review})

    @property
    def without_person(self) -> float:
        """The share of entries carried or updated without a person."""
        return (self.entries - self.flagged_entries) / self.entries if self.entries else 1.0

    def to_json(self) -> dict[str, Any]:
        """The report for programs, exactly as documented."""
        return {
            "carried": self.carried,
            "updated": [
                {"entry": u.entry, "field": u.field, "old": u.old, "new": u.new, "sentence": u.sentence}
                for u in self.updated
            ],
            "review": [
                {"entry": r.entry, "old_quote": r.old_quote, "closest": r.closest, "reason": r.reason}
                for r in self.review
            ],
            "new_sentences": [{"clause": s.clause, "text": s.text} for s in self.new_sentences],
        }


def _short(value: Any, size: int = 70) -> str:
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    text = "—" if value is None else str(value)
    return text if len(text) <= size else text[:size] + "…"


def report_text(report: DraftReport, draft_path: str) -> str:
    """The report as the office reads it beside the draft."""
    lines = [
        f"draft {draft_path}: {report.new_id}, built on {report.old_id} in {report.seconds:.1f} s",
        f"{report.entries} entries: {report.carried} carried over unchanged, {report.updated_entries} updated "
        f"mechanically, {report.flagged_entries} marked for review "
        f"({report.without_person:.0%} without a person)",
        "",
    ]
    if report.updated:
        lines.append(f"Updated ({len(report.updated)} changes): check that each is what the new notice says")
        entry = None
        for u in report.updated:
            if u.entry != entry:
                lines.append(f"  {u.entry}")
                entry = u.entry
            lines.append(f"    {u.field}: {_short(u.old)} → {_short(u.new)}")
            if u.sentence:
                lines.append(f"      from: {_short(u.sentence, 110)}")
        lines.append("")
    if report.review:
        lines.append(f"For review ({report.flagged_entries} entries): edit each entry, then delete its review line")
        for r in report.review:
            lines.append(f"  {r.entry}: {r.reason}")
            if r.old_quote:
                lines.append(f"      old words: {_short(r.old_quote, 110)}")
            if r.closest:
                where = f" ({r.clause})" if r.clause else ""
                lines.append(f"      closest new{where}: {_short(r.closest, 110)}")
        lines.append("")
    if report.new_sentences:
        lines.append(f"New sentences that no entry quotes ({len(report.new_sentences)}): a new rule, item or note?")
        for s in report.new_sentences:
            lines.append(f"  {s.clause or '(heading)'}: {s.text}")
        lines.append("")
    lines.append(f"next: zhicheng-bot knowledge check {draft_path}   (exit 1 until no entry is marked for review)")
    return "\n".join(lines)
