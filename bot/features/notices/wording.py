"""A new notice's changes worded for the chat from the knowledge files: for one applicant (the
offer of the new notice: what changes for them, as their own checklist, deadlines and questions
show it) and for the office (/notices: each change as the files hold it).

A change becomes a `Line`: its title, the title before when that changed, its clause, and the
facts that changed (`Fact`: a date, a copy count, a contact, or the phrases of a text that
changed). The words around them (新增, 不再询问, 份数 …) are the templates' (notice_lines.tg)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.chat.texts import gettext
from bot.features.broadcast.audiences import VERDICT_NAMES
from conversations.carry_over import CarryOver
from conversations.i18n import format_day
from conversations.interview import interview_for
from conversations.outcome import ChecklistItem, Outcome
from knowledge.model import Item, Notice
from knowledge.notice_diff import Change, FieldChange, phrase_changes

# Fields whose change the applicant cannot see as such (conditions): named, never shown as expressions.
CONDITIONS = {
    "when": "applies",
    "ask_if": "asked",
    "exempt_when": "exempt",
    "end_before": "ends",
    "ends_interview": "decisive",
    "bar": "bar",
    "retry": "retry",
    "carry_over": "carry",
}
LONG_TEXT = 40  # a text longer than this shows only the phrases that changed


@dataclass(frozen=True)
class Fact:
    what: str  # the key of its label in notice_lines.tg: due, copies, detail, people …
    old: str | None = None
    new: str | None = None
    phrases: tuple[tuple[str, str], ...] = ()  # a long text: (before, after) phrases; "" = added or removed
    variant: int | None = None  # office: the item's variant this fact belongs to (1, 2 …)


@dataclass(frozen=True)
class Line:
    key: str  # the change's key (Change.key)
    topic: str  # deadlines, eligibility, questions, items, notes, attachments, contacts, notice
    kind: str  # added, removed, changed (for an applicant: as their own checklist sees it)
    title: str
    was: str | None = None  # the title before, when it changed
    ref: str = ""
    stage: str | None = None  # items: the stage's title (答辩 for the defence)
    facts: tuple[Fact, ...] = ()


def _value(value: Any, locale: str) -> str | None:
    if value is None or value == "" or value == ():
        return None
    if isinstance(value, dt.date):
        return format_day(value, locale)
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    return str(value)


def text_fact(what: str, old: str | None, new: str | None) -> Fact | None:
    """A text that changed: whole when short, else the phrases that changed."""
    if old == new:
        return None
    if old and new and len(old) + len(new) > LONG_TEXT:
        return Fact(what, phrases=tuple(phrase_changes(old, new)))
    return Fact(what, old or None, new or None)


def _field_fact(change: FieldChange, locale: str) -> Fact | None:
    """One field of the diff as a fact, for the office."""
    name, variant = change.field, None
    if name.startswith("variants["):
        index, _, rest = name[len("variants[") :].partition("]")
        variant, name = int(index) + 1, rest.lstrip(".") or "variant"
    base = name.split("[")[0].split(".")[0]
    if base in CONDITIONS:
        return Fact(CONDITIONS[base], variant=variant)
    if base == "due":
        return None  # said by due_text
    if base == "options":
        return text_fact("option", _value(change.old, locale), _value(change.new, locale))
    if base == "variant":  # a variant added or removed
        return Fact("variant", variant=variant)
    if base == "inclusive":
        return Fact("inclusive", variant=variant)
    if base == "verdict":  # as the office names verdicts
        names = [gettext(locale, VERDICT_NAMES.get(str(v), str(v))) if v else None for v in (change.old, change.new)]
        return Fact("verdict", names[0], names[1])
    old, new = _value(change.old, locale), _value(change.new, locale)
    if isinstance(change.old, str) and isinstance(change.new, str):
        fact = text_fact(base, old, new)
        return Fact(fact.what, fact.old, fact.new, fact.phrases, variant) if fact else None
    return Fact(base, old, new, variant=variant)


def _entry(notice: Notice, section: str, entry_id: str | None) -> Any:
    if entry_id is None:
        return None
    sections: dict[str, tuple[Any, ...]] = {
        "items": notice.items,
        "rules": notice.rules,
        "deadlines": notice.deadlines,
        "working_day_dates": notice.working_day_dates,
        "questions": notice.questions,
        "notes": notice.notes,
        "attachments": notice.attachments,
    }
    entries = sections.get(section, ())
    return next((e for e in entries if e.id == entry_id), None)


TITLED = ("items", "deadlines", "working_day_dates", "attachments")  # entries with a title of their own


def _titles(change: Change, old: Notice, new: Notice) -> tuple[str, str | None]:
    """The entry's title (the new one), and the title before when it changed."""
    before, after = _entry(old, change.section, change.old_id), _entry(new, change.section, change.new_id)
    if change.section not in TITLED or (before is None and after is None):
        return change.title, None
    title = str((after or before).title)
    was = str(before.title) if before is not None and after is not None and before.title != after.title else None
    return title, was


def _contacts(old: Notice, new: Notice) -> tuple[Fact, ...]:
    facts = [
        Fact(what, _value(getattr(old.contacts, what), ""), _value(getattr(new.contacts, what), ""))
        for what in ("people", "phones")
        if getattr(old.contacts, what) != getattr(new.contacts, what)
    ]
    address = text_fact("address", old.contacts.address, new.contacts.address)
    return (*facts, *([address] if address else []))


def for_office(change: Change, old: Notice, new: Notice, locale: str) -> Line:
    """A change as the knowledge files hold it (/notices)."""
    if change.topic == "contacts":
        return Line(change.key, change.topic, change.kind, change.title, ref=change.ref, facts=_contacts(old, new))
    title, was = _titles(change, old, new)
    facts = [
        f for f in (_field_fact(c, locale) for c in change.fields if not (was and c.field == "title")) if f is not None
    ]
    if change.kind == "added":  # what it says, not where it stands or whom it concerns
        facts = [f for f in facts if f.what not in ("stage", *CONDITIONS.values())]
    return Line(
        change.key, change.topic, change.kind, title, was, change.ref, change.stage_title, tuple(dict.fromkeys(facts))
    )


# --- for one applicant ---


@dataclass(frozen=True)
class Seen:
    """An item as the applicant's checklist shows it."""

    title: str
    detail: str
    copies: int | None
    stage: str


def _fill(text: str, level: str) -> str:
    return text.replace("{level}", level)


def seen_item(notice: Notice, item: Item, answers: Mapping[str, str], outcome: Outcome | None) -> Seen | None:
    """The item as the applicant sees it: from the outcome when the interview is finished (None if
    it is not on the checklist), else by its variants on the answers given so far."""
    if outcome is not None:
        entry: ChecklistItem | None = next((i for i in outcome.checklist if i.id == item.id), None)
        return Seen(entry.title, entry.detail, entry.copies, entry.stage) if entry is not None else None
    compile_ = interview_for(notice).predicates.compile
    if compile_(item.when)(answers) is False:
        return None
    if item.exempt_when is not None and compile_(item.exempt_when)(answers) is True:
        return None
    variant = next((v for v in item.variants if compile_(v.when)(answers) is True), None)
    level = notice.level(answers.get("level", ""))
    name = level.name if level is not None else ""
    return Seen(
        _fill((variant and variant.title) or item.title, name),
        _fill((variant and variant.detail) or item.detail, name),
        variant.copies if variant is not None and variant.copies is not None else item.copies,
        item.stage,
    )


def _item_line(
    change: Change, old: Notice, new: Notice, old_answers: Mapping[str, str], moved: CarryOver
) -> Line | None:
    before_item = _entry(old, "items", change.old_id)
    after_item = _entry(new, "items", change.new_id)
    before = seen_item(old, before_item, old_answers, moved.old_outcome) if before_item is not None else None
    after = seen_item(new, after_item, moved.answers, moved.new_outcome) if after_item is not None else None
    stages = {s.id: s.title for s in (*old.stages, *new.stages)}
    if before is None and after is None:
        return None
    if before is None and after is not None:
        return Line(change.key, "items", "added", after.title, ref=after_item.ref, stage=stages.get(after.stage))
    if after is None and before is not None:
        return Line(change.key, "items", "removed", before.title, ref=before_item.ref, stage=stages.get(before.stage))
    assert before is not None and after is not None
    facts: list[Fact] = []
    was = before.title if before.title != after.title else None
    if was is None:
        if before.copies != after.copies:
            facts.append(Fact("copies", _value(before.copies, ""), _value(after.copies, "")))
        detail = text_fact("detail", before.detail, after.detail)
        if detail is not None:
            facts.append(detail)
    if before.stage != after.stage:
        facts.append(Fact("stage", stages.get(before.stage), stages.get(after.stage)))
    if was is None and not facts:
        return None  # nothing the applicant sees has changed (a condition, another level's variant)
    return Line(change.key, "items", "changed", after.title, was, after_item.ref, stages.get(after.stage), tuple(facts))


def _question_line(change: Change, old: Notice, new: Notice, moved: CarryOver) -> Line | None:
    asked_anew = {d.question for d in moved.dropped if d.why in ("question_changed", "option_changed", "option_gone")}
    if change.kind == "removed":
        return Line(change.key, "questions", "removed", change.title, ref=change.ref)
    question_id = change.new_id or ""
    if change.kind == "added":
        return (
            Line(change.key, "questions", "added", change.title, ref=change.ref)
            if question_id in moved.to_ask
            else None
        )
    if question_id in asked_anew:
        return Line(change.key, "questions", "changed", change.title, ref=change.ref)
    return None  # the answer carries over: nothing to do


def _entry_line(change: Change, old: Notice, new: Notice, locale: str) -> Line | None:
    """Deadlines, rules, notes, attachments: their texts and dates as they changed (their conditions
    aside: the change concerns the applicant, and its other cases are not theirs)."""
    line = for_office(change, old, new, locale)
    if change.kind != "changed":
        return line
    facts = tuple(f for f in line.facts if f.variant is None and f.what not in CONDITIONS.values())
    if line.was is None and not facts:
        return None  # only a condition changed, and the entry concerns the applicant on both sides
    return Line(line.key, line.topic, line.kind, line.title, line.was, line.ref, line.stage, facts)


def for_applicant(
    change: Change, old: Notice, new: Notice, locale: str, old_answers: Mapping[str, str], moved: CarryOver
) -> Line | None:
    """A change that concerns the applicant (CarryOver.changes) as they see it; None when nothing
    they see changes (the notice itself is named by the offer's own words)."""
    if change.topic == "notice":
        return None
    if change.section == "items":
        return _item_line(change, old, new, old_answers, moved)
    if change.section == "questions":
        return _question_line(change, old, new, moved)
    if change.topic == "contacts":
        return for_office(change, old, new, locale)
    return _entry_line(change, old, new, locale)


@dataclass(frozen=True)
class Section:
    topic: str
    stage: str | None  # items: the stage's title
    lines: tuple[Line, ...]


def sections(lines: list[Line]) -> list[Section]:
    """The lines by topic, and the items by stage, in the diff's order."""
    out: list[Section] = []
    for line in lines:
        stage = line.stage if line.topic == "items" else None
        if out and out[-1].topic == line.topic and out[-1].stage == stage:
            out[-1] = Section(line.topic, stage, (*out[-1].lines, line))
        else:
            out.append(Section(line.topic, stage, (line,)))
    return out
