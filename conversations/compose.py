"""An answer composed from the knowledge file: each entry as a part with its title, direct sentences, the
notice's own words and the clauses cited. An item with variants names the variant the selections (the
question's words over the asker's stored answers) make hold, or its own case when they rule out every
variant, else gives every case side by side; placeholders ({level}) take the level selected or the item's
generic words. A topic composes the entries it points at, or gives its own words. Deadline parts carry
their state from conversations.season."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conversations.outcome import IncompleteAnswers, KnowledgeGap, Outcome, evaluate
from conversations.predicates import Predicate
from conversations.season import DeadlineStatus, deadline_status
from knowledge.clauses import clause_texts
from knowledge.loader import LEVEL_QUESTION
from knowledge.model import CONTACTS_TARGET, Deadline, Item, Notice

# A clause quoted whole is cut after this many characters.
CLAUSE_QUOTE_LIMIT = 1200
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Personal:
    """The answer for the applicant's own answers. kind: in_checklist (text is the item as it applies
    to them, where that differs from the general wording), on_checklist, exempt (text is the reason),
    not_in_checklist, no_checklist (their outcome has none),
    applies (a rule or note that holds for them), not_applies, deadline (it applies; text its date)."""

    kind: str
    text: str = ""
    ref: str = ""


@dataclass(frozen=True)
class Case:
    """One variant of an item, given side by side with the others when nothing selects one."""

    label: str
    title: str
    detail: str
    quote: str
    ref: str


@dataclass(frozen=True)
class Part:
    """One entry of an answer: its title, its direct sentences, the notice's own words (quote) and the
    clauses cited (refs, the main one first). `variant` names the variant the answer gives (初级);
    `cases` holds every variant instead when nothing selects one. A deadline part has `deadline`,
    and with today's date its `status` (conversations.season)."""

    key: str
    title: str
    sentences: tuple[str, ...] = ()
    quote: str = ""
    refs: tuple[str, ...] = ()
    variant: str | None = None
    cases: tuple[Case, ...] = ()
    deadline: Deadline | None = None
    status: DeadlineStatus | None = None
    settled: bool = True

    @property
    def ref(self) -> str:
        return self.refs[0] if self.refs else ""


@dataclass(frozen=True)
class Composer:
    """What composing needs of a notice: the notice, the entries' titles and the predicate compiler."""

    notice: Notice
    titles: Mapping[str, str]
    compile: Callable[[Any], Predicate]


def parts_of(c: Composer, key: str, selections: Mapping[str, str], today: dt.date | None) -> tuple[Part, ...]:
    """The parts an entry (or a topic) is answered with."""
    notice = c.notice
    kind, _, ident = key.partition(":")
    if kind != "topic":
        part = _part(c, key, selections, today)
        return (part,) if part else ()
    topic = next(t for t in notice.topics if t.id == ident)
    if topic.answer is None:
        return tuple(p for k in topic.points_to if (p := _part(c, k, selections, today)) is not None)
    resting = [p for k in topic.points_to if (p := _part(c, k, selections, today)) is not None]
    quote = topic.quote or next((p.quote for p in resting if p.quote and not p.key.startswith("interpretation:")), "")
    refs = ((topic.ref,) if topic.ref else ()) + tuple(r for p in resting for r in p.refs)
    title = c.titles[key]
    deadline = next((p for p in resting if p.deadline is not None), None)
    return (
        Part(
            key=key,
            title=title,
            sentences=(topic.answer,),
            quote=quote,
            refs=tuple(dict.fromkeys(refs)),
            deadline=deadline.deadline if deadline else None,
            status=deadline.status if deadline else None,
            settled=topic.settled,
        ),
    )


def _part(c: Composer, key: str, selections: Mapping[str, str], today: dt.date | None) -> Part | None:
    notice = c.notice
    headings = {cl.ref: cl.heading for cl in notice.clauses}
    kind, _, ident = key.partition(":")
    if key == CONTACTS_TARGET:
        contacts = notice.contacts
        return Part(key=key, title=headings.get(contacts.ref, contacts.ref), quote=contacts.quote, refs=(contacts.ref,))
    if kind == "rule":
        r = next(x for x in notice.rules if x.id == ident)
        return Part(
            key=key,
            title=headings.get(r.ref, r.ref),
            sentences=(r.reason,),
            quote=r.quote,
            refs=(r.ref,),
            settled=r.verdict != "not_covered",
        )
    if kind == "note":
        n = next(x for x in notice.notes if x.id == ident)
        return Part(key=key, title=headings.get(n.ref, n.ref), sentences=(n.text,), quote=n.quote, refs=(n.ref,))
    if kind == "item":
        return _item_part(c, next(x for x in notice.items if x.id == ident), selections)
    if kind == "deadline":
        d = next(x for x in notice.deadlines if x.id == ident)
        return Part(
            key=key,
            title=d.title,
            sentences=(d.note,) if d.note else (),
            quote=d.quote,
            refs=(d.ref,),
            deadline=d,
            status=deadline_status(d, today) if today is not None and d.due else None,
        )
    if kind == "interpretation":
        i = next(x for x in notice.interpretations if x.id == ident)
        return Part(key=key, title=i.question.rstrip("。"), sentences=(i.choice,), refs=(i.ref,), settled=False)
    if kind == "question":
        q = next(x for x in notice.questions if x.id == ident)
        return Part(key=key, title=q.text, sentences=(q.help,) if q.help else (), refs=q.refs)
    if kind == "attachment":
        a = next(x for x in notice.attachments if x.id == ident)
        return Part(
            key=key,
            title=f"{a.ref} {a.title}",
            quote=" ".join(" ".join(p.split()) for p in a.paragraphs),
            refs=(a.ref,),
        )
    if kind == "clause":
        text = clause_texts(notice).get(ident, "")
        quote = text if len(text) <= CLAUSE_QUOTE_LIMIT else text[:CLAUSE_QUOTE_LIMIT] + "……"
        return Part(key=key, title=headings.get(ident, ident), quote=quote, refs=(ident,))
    return None


def _item_part(c: Composer, item: Item, selections: Mapping[str, str]) -> Part:
    """An item as the selections make it: the variant they select (or the item's own case when they
    rule out every variant), else every case side by side. Placeholders are filled with the level
    selected, else with the item's generic words."""
    key = f"item:{item.id}"
    values = dict(item.generic)
    level = c.notice.level(selections.get(LEVEL_QUESTION, ""))
    if level is not None:
        values["level"] = level.name
    if not item.variants:
        return Part(
            key=key,
            title=fill(item.title, values),
            sentences=(fill(item.detail, values),),
            quote=item.quote,
            refs=(item.ref,),
        )
    compile_ = c.compile
    states = [compile_(v.when)(selections) for v in item.variants]
    chosen = next((v for v, state in zip(item.variants, states, strict=True) if state is True), None)
    if chosen is not None:
        return Part(
            key=key,
            title=fill(chosen.title or item.title, values),
            sentences=(fill(chosen.detail or item.detail, values),),
            quote=chosen.quote,
            refs=tuple(dict.fromkeys(r for r in (chosen.ref, item.ref) if r)),
            variant=chosen.label,
            settled=not chosen.unclear,
        )
    base_refs = tuple(dict.fromkeys(r for r in (item.base_ref, item.ref) if r))
    if all(state is False for state in states):
        return Part(
            key=key,
            title=fill(item.title, values),
            sentences=(fill(item.detail, values),),
            quote=item.base_quote or item.quote,
            refs=base_refs,
            variant=item.base_label,
        )
    cases = [
        Case(
            item.base_label or "",
            fill(item.title, values),
            fill(item.detail, values),
            item.base_quote or item.quote,
            base_refs[0],
        )
    ]
    for v in item.variants:
        cases.append(
            Case(
                v.label or "",
                fill(v.title or item.title, values),
                fill(v.detail or item.detail, values),
                v.quote,
                v.ref or item.ref,
            )
        )
    heading = c.notice.clause(item.ref)
    return Part(
        key=key,
        title=heading.heading if heading else item.ref,
        refs=tuple(dict.fromkeys((*base_refs, *(c.ref for c in cases)))),
        cases=tuple(cases),
    )


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with its placeholders ({level}) replaced by the values given."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def personal(notice: Notice, key: str, answers: Mapping[str, str]) -> Personal | None:
    """The answer for the asker's own answers, when they reach an outcome."""
    try:
        outcome = evaluate(notice, answers)
    except (IncompleteAnswers, KnowledgeGap):
        return None
    kind, _, entry_id = key.partition(":")
    if kind == "item":
        return _personal_item(notice, outcome, entry_id)
    if kind == "rule":
        fired = next((r for r in outcome.reasons if r.id == entry_id), None)
        return Personal("applies", fired.text, fired.ref) if fired else Personal("not_applies")
    if kind == "note":
        note = next((n for n in outcome.notes if n.id == entry_id), None)
        return Personal("applies", note.text, note.ref) if note else None
    if kind == "deadline":
        if not outcome.has_checklist:
            return Personal("no_checklist")
        d = next((x for x in outcome.deadlines if x.id == entry_id), None)
        return Personal("deadline", d.due_text, d.ref) if d else Personal("not_in_checklist")
    return None


def _personal_item(notice: Notice, outcome: Outcome, item_id: str) -> Personal:
    if not outcome.has_checklist:
        return Personal("no_checklist")
    item = next((it for it in outcome.checklist if it.id == item_id), None)
    if item is not None:
        # The item as it applies to them, when that differs from the general wording.
        generic = next((it for it in notice.items if it.id == item_id), None)
        if generic is not None and item.title != fill(generic.title, generic.generic):
            return Personal("in_checklist", item.title, item.ref)
        if generic is not None and item.detail != fill(generic.detail, generic.generic):
            return Personal("in_checklist", item.detail, item.ref)
        return Personal("on_checklist", "", item.ref)
    exemption = next((ex for ex in outcome.exemptions if ex.id == item_id), None)
    if exemption is not None:
        return Personal("exempt", exemption.reason, exemption.ref)
    return Personal("not_in_checklist")
