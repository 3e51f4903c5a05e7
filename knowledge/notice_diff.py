"""What changed between two notices, in the applicants' terms (`zhicheng-bot knowledge diff`).

Each change is named once: one record per entry that differs (its fields listed inside), under
one topic: the notice itself, deadlines, who may apply (the verdict rules), the questions, the
checklist items (by stage: the defence is the stage 答辩 of the file), notes, attachments and
contacts. Entries are paired by id; an id that only differs in its numbers (assessment_2018_2020,
assessment_2019_2021) is the same entry renamed. Clause references and quotes are not compared:
the applicant sees titles, details, copies, dates and conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from knowledge.model import AllOf, Always, AnswerIn, AnyOf, Expr, Named, Not, Notice

TOPICS = ("notice", "deadlines", "eligibility", "questions", "items", "notes", "attachments", "contacts")
TOPIC_TITLES = {
    "notice": "The notice",
    "deadlines": "Deadlines",
    "eligibility": "Who may apply",
    "questions": "Questions of the interview",
    "items": "Checklist items",
    "notes": "Notes",
    "attachments": "Attachments",
    "contacts": "Contacts",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def describe(self) -> str:
        if self.old is None:
            return f"{self.field}: {_show(self.new)}"
        if isinstance(self.old, str) and isinstance(self.new, str) and len(self.old) + len(self.new) > 60:
            return f"{self.field}: {text_change(self.old, self.new)}"
        return f"{self.field}: {_show(self.old)} → {_show(self.new)}"


@dataclass(frozen=True)
class Change:
    topic: str
    kind: str  # added, removed, changed
    section: str  # the file's section: items, rules, deadlines …
    old_id: str | None
    new_id: str | None
    title: str  # what the applicant knows it by (the item's title, the deadline's …)
    ref: str = ""
    stage: str | None = None  # items: the stage id
    stage_title: str | None = None
    fields: tuple[FieldChange, ...] = ()

    @property
    def key(self) -> str:
        """One name per change: section and id (the new id of a renamed entry)."""
        return f"{self.section}.{self.new_id or self.old_id}"

    def describe(self) -> str:
        ref = f" [{self.ref}]" if self.ref else ""
        head = {"added": "new", "removed": "removed", "changed": "changed"}[self.kind]
        renamed = f" (was {self.old_id})" if self.kind == "changed" and self.old_id != self.new_id else ""
        lines = [f"{head}: {self.title}{ref}{renamed}"]
        lines += [f"    {f.describe()}" for f in self.fields]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "kind": self.kind,
            "key": self.key,
            "section": self.section,
            "old_id": self.old_id,
            "new_id": self.new_id,
            "title": self.title,
            "ref": self.ref,
            "stage": self.stage,
            "stage_title": self.stage_title,
            "fields": [{"field": f.field, "old": _jsonable(f.old), "new": _jsonable(f.new)} for f in self.fields],
        }


@dataclass(frozen=True)
class NoticeDiff:
    old_id: str
    new_id: str
    changes: tuple[Change, ...] = field(default=())

    def by_topic(self) -> dict[str, list[Change]]:
        out: dict[str, list[Change]] = {t: [] for t in TOPICS}
        for change in self.changes:
            out[change.topic].append(change)
        return {t: cs for t, cs in out.items() if cs}

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old_id, "new": self.new_id, "changes": [c.to_json() for c in self.changes]}


def diff_notices(old: Notice, new: Notice) -> NoticeDiff:
    changes: list[Change] = []
    changes += _notice(old, new)
    changes += _deadlines(old, new)
    changes += _section(old.rules, new.rules, "rules", "eligibility", _rule_fields, lambda r: _first_sentence(r.reason))
    changes += _section(old.questions, new.questions, "questions", "questions", _question_fields, lambda q: q.text)
    changes += _items(old, new)
    changes += _section(old.notes, new.notes, "notes", "notes", _note_fields, lambda n: _first_sentence(n.text))
    changes += _section(
        old.attachments,
        new.attachments,
        "attachments",
        "attachments",
        _attachment_fields,
        lambda a: f"{a.ref} {a.title}",
    )
    changes += _contacts(old, new)
    return NoticeDiff(old.id, new.id, tuple(changes))


# --- pairing entries ---


def _masked(entry_id: str) -> str:
    return re.sub(r"\d+", "#", entry_id)


def pair_entries(old: Sequence[Any], new: Sequence[Any], title: Any = None) -> Iterator[tuple[Any | None, Any | None]]:
    """(old, new) pairs by id; an id that differs only in its numbers pairs when that is unambiguous,
    and so does an entry renamed with the same clause and a title at least 60% alike (scans_as_jpg,
    scans_as_pdf); (old, None) for removed and (None, new) for added entries, in the new file's order."""
    old_by_id = {e.id: e for e in old}
    new_ids = {e.id for e in new}
    left = [e for e in old if e.id not in new_ids]
    renamed: dict[str, Any] = {}
    for entry in new:
        if entry.id in old_by_id:
            continue
        same = [o for o in left if _masked(o.id) == _masked(entry.id)]
        if len(same) == 1 and sum(1 for n in new if _masked(n.id) == _masked(entry.id)) == 1:
            renamed[entry.id] = same[0]
            left.remove(same[0])
    if title is not None:
        for entry in new:
            if entry.id in old_by_id or entry.id in renamed:
                continue
            alike = [
                o
                for o in left
                if getattr(o, "ref", None) == getattr(entry, "ref", None)
                and SequenceMatcher(None, title(o), title(entry), autojunk=False).ratio() >= 0.6
            ]
            if len(alike) == 1:
                renamed[entry.id] = alike[0]
                left.remove(alike[0])
    for entry in new:
        yield old_by_id.get(entry.id) or renamed.get(entry.id), entry
    for entry in left:
        yield entry, None


def _section(old: Sequence[Any], new: Sequence[Any], section: str, topic: str, fields: Any, title: Any) -> list[Change]:
    out = []
    for a, b in pair_entries(old, new, title):
        if a is None and b is not None:
            out.append(Change(topic, "added", section, None, b.id, title(b), b.ref, fields=tuple(fields(None, b))))
        elif b is None and a is not None:
            out.append(Change(topic, "removed", section, a.id, None, title(a), a.ref))
        elif a is not None and b is not None:
            changed = tuple(fields(a, b))
            if changed:
                out.append(Change(topic, "changed", section, a.id, b.id, title(b), b.ref, fields=changed))
    return out


def _compare(a: Any, b: Any, names: Iterable[str], prefix: str = "") -> Iterator[FieldChange]:
    for name in names:
        old = _plain(getattr(a, name)) if a is not None else None
        new = _plain(getattr(b, name)) if b is not None else None
        if isinstance(old, tuple) and isinstance(new, tuple) and len(old) == len(new) and old != new:
            for i, (x, y) in enumerate(zip(old, new, strict=True)):
                if x != y:
                    yield FieldChange(f"{prefix}{name}[{i}]", x, y)
        elif old != new and not (a is None and (new in (None, (), "", "always") or name == "title")):
            yield FieldChange(prefix + name, old, new)


def _plain(value: Any) -> Any:
    return expr_text(value) if isinstance(value, Always | Named | AnswerIn | AllOf | AnyOf | Not) else value


# --- the topics ---


def _notice(old: Notice, new: Notice) -> list[Change]:
    fields = list(
        _compare(old.info, new.info, ("number", "title", "issuer", "date", "conditions_document", "platform"))
    )
    if old.season and new.season and old.season.name != new.season.name:
        fields.append(FieldChange("season", old.season.name, new.season.name))
    if not fields:
        return []
    return [Change("notice", "changed", "notice", old.id, new.id, new.info.title, fields=tuple(fields))]


def _deadlines(old: Notice, new: Notice) -> list[Change]:
    out = _section(
        old.deadlines,
        new.deadlines,
        "deadlines",
        "deadlines",
        lambda a, b: _compare(a, b, ("title", "due_text", "due", "inclusive", "when", "note")),
        lambda d: f"{d.title}：{d.due_text}",
    )
    out += _section(
        old.working_day_dates,
        new.working_day_dates,
        "working_day_dates",
        "deadlines",
        lambda a, b: _compare(a, b, ("title", "working_days", "end_before", "when")),
        lambda d: f"{d.title}（{d.working_days}个工作日）",
    )
    return out


def _rule_fields(a: Any, b: Any) -> Iterator[FieldChange]:
    return _compare(a, b, ("verdict", "when", "reason", "bar", "retry", "ends_interview"))


def _note_fields(a: Any, b: Any) -> Iterator[FieldChange]:
    return _compare(a, b, ("text", "when"))


def _attachment_fields(a: Any, b: Any) -> Iterator[FieldChange]:
    return _compare(a, b, ("title", "heading", "fields", "paragraphs"))


def _question_fields(a: Any, b: Any) -> Iterator[FieldChange]:
    yield from _compare(a, b, ("text", "ask_if", "carry_over"))
    old_options = {o.id: o.label for o in a.options} if a is not None else {}
    for option in b.options:
        if option.id not in old_options:
            yield FieldChange(f"options.{option.id}", None, option.label)
        elif old_options[option.id] != option.label:
            yield FieldChange(f"options.{option.id}", old_options[option.id], option.label)
    for option_id, label in old_options.items():
        if b.option(option_id) is None:
            yield FieldChange(f"options.{option_id}", label, None)


def _item_fields(a: Any, b: Any) -> Iterator[FieldChange]:
    yield from _compare(a, b, ("title", "detail", "copies", "stage", "when", "exempt_when", "exempt_reason"))
    old_variants = list(a.variants) if a is not None else []
    for j, variant in enumerate(b.variants):
        before = old_variants[j] if j < len(old_variants) else None
        if before is None:
            yield FieldChange(f"variants[{j}]", None, _variant_text(variant))
        else:
            yield from _compare(before, variant, ("when", "title", "detail", "copies"), f"variants[{j}].")
    for j in range(len(b.variants), len(old_variants)):
        yield FieldChange(f"variants[{j}]", _variant_text(old_variants[j]), None)


def _variant_text(variant: Any) -> str:
    parts = [f"when {expr_text(variant.when)}"]
    parts += [str(x) for x in (variant.title, variant.detail) if x]
    if variant.copies is not None:
        parts.append(f"copies {variant.copies}")
    return "; ".join(parts)


def _items(old: Notice, new: Notice) -> list[Change]:
    stages = {s.id: s.title for s in (*old.stages, *new.stages)}
    out = []
    for change in _section(old.items, new.items, "items", "items", _item_fields, lambda i: i.title):
        item = next((i for i in (*new.items, *old.items) if i.id == (change.new_id or change.old_id)), None)
        stage = item.stage if item is not None else None
        out.append(
            Change(
                change.topic,
                change.kind,
                change.section,
                change.old_id,
                change.new_id,
                change.title,
                change.ref,
                stage,
                stages.get(stage or ""),
                change.fields,
            )
        )
    order = {s.id: i for i, s in enumerate(new.stages)}
    return sorted(out, key=lambda c: order.get(c.stage or "", len(order)))


def _contacts(old: Notice, new: Notice) -> list[Change]:
    fields = tuple(_compare(old.contacts, new.contacts, ("people", "phones", "address")))
    if not fields:
        return []
    return [
        Change(
            "contacts",
            "changed",
            "contacts",
            "contacts",
            "contacts",
            "联系人、联系电话和材料报送地址",
            new.contacts.ref,
            fields=fields,
        )
    ]


# --- words ---


def expr_text(expr: Expr | None) -> str:
    """An expression as the file writes it: associate_senior, answer level in [junior], all(…)."""
    match expr:
        case None:
            return ""
        case Always():
            return "always"
        case Named(name):
            return name
        case AnswerIn(question, options):
            return f"{question} in [{', '.join(sorted(options))}]"
        case AllOf(parts):
            return "all(" + ", ".join(expr_text(p) for p in parts) + ")"
        case AnyOf(parts):
            return "any(" + ", ".join(expr_text(p) for p in parts) + ")"
        case Not(part):
            return f"not {expr_text(part)}"
    return str(expr)


_PHRASE = re.compile(r"[^，。；：、,;:（）()“”《》\s]+|[，。；：、,;:（）()“”《》\s]")


def phrase_changes(old: str, new: str) -> list[tuple[str, str]]:
    """The phrases of a text that changed, as (before, after): "" before for an added phrase, ""
    after for a removed one."""
    a, b = _PHRASE.findall(old), _PHRASE.findall(new)
    parts = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = "".join(a[i1:i2]).strip(), "".join(b[j1:j2]).strip()
        if tag != "equal" and (before or after):
            parts.append((before, after))
    return parts


def text_change(old: str, new: str, limit: int = 3) -> str:
    """The phrases of a text that changed: “old” → “new”, removed “…”, added “…”."""
    parts = []
    for before, after in phrase_changes(old, new):
        if before and after:
            parts.append(f"“{before}” → “{after}”")
        elif before:
            parts.append(f"removed “{before}”")
        else:
            parts.append(f"added “{after}”")
    more = len(parts) - limit
    return "; ".join(parts[:limit]) + (f"; and {more} more" if more > 0 else "")


def _first_sentence(text: str) -> str:
    head = re.split(r"(?<=[。；])", text, maxsplit=1)[0]
    return head if len(head) <= 60 else head[:60] + "…"


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
