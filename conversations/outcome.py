"""The outcome of an interview: verdict with reasons, personalised checklist and deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from typing import Any

from conversations.interview import Interview, interview_for
from conversations.predicates import Predicate
from knowledge.loader import LEVEL_QUESTION
from knowledge.model import BARS, VERDICTS, Item, Notice, Rule, Variant

# Verdicts that come with a checklist, unless a rule ended the interview early. An other route
# (for example direct recognition, 六（二）) keeps the checklist as the fallback.
ACTIONABLE_VERDICTS = frozenset({"eligible", "conditional", "other_route"})
# The reasons an outcome shows: those of its verdict, then those of milder verdicts that still hold.
# Another route (六（二）) is shown whatever ended the interview: it does not rest on this evaluation
# (interpretation recognition_independent).
SUPPORTING_VERDICTS = {
    "ineligible": ("other_route",),
    "not_covered": ("other_route",),
    "conditional": ("eligible",),
    "other_route": ("conditional", "eligible"),
}


class IncompleteAnswers(ValueError):
    """The answers do not reach the end of the interview."""

    def __init__(self, question_id: str) -> None:
        self.question_id = question_id
        super().__init__(f"question '{question_id}' is not answered")


class KnowledgeGap(RuntimeError):
    """No rule of the notice decides this combination of answers: a defect of the knowledge file."""


@dataclass(frozen=True)
class Reason:
    id: str
    text: str
    ref: str
    quote: str = ""  # the notice's own words the reason rests on


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    stage: str
    title: str
    detail: str
    ref: str
    copies: int | None = None


@dataclass(frozen=True)
class Exemption:
    id: str
    title: str
    reason: str
    ref: str


@dataclass(frozen=True)
class DeadlineEntry:
    id: str
    title: str
    due: dt.date | None
    due_text: str
    inclusive: bool
    ref: str
    note: str | None = None


@dataclass(frozen=True)
class AnsweredQuestion:
    id: str
    question: str
    answer_id: str
    answer: str


@dataclass(frozen=True)
class Outcome:
    notice_id: str
    verdict: str
    reasons: tuple[Reason, ...]
    notes: tuple[Reason, ...]
    checklist: tuple[ChecklistItem, ...]
    exemptions: tuple[Exemption, ...]
    deadlines: tuple[DeadlineEntry, ...]
    answers: tuple[AnsweredQuestion, ...]
    level: str | None = None
    ignored_answers: tuple[str, ...] = field(default=())
    bar: str | None = None  # ineligible: what is barred (knowledge.model.BARS)
    retry: str | None = None  # a question to answer anew (for example another level)
    pending_condition: bool = False  # a condition must still be met before applying under this notice

    @property
    def has_checklist(self) -> bool:
        return bool(self.checklist or self.exemptions)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for entry in data["deadlines"]:
            entry["due"] = entry["due"].isoformat() if entry["due"] else None
        return data


class _CompiledNotice:
    """The notice's rules, notes, items and deadlines with predicates compiled and results pre-built."""

    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.interview: Interview = interview_for(notice)
        compile_ = self.interview.predicates.compile
        severity = {v: i for i, v in enumerate(VERDICTS)}
        self.rules: list[tuple[int, Rule, Reason, Predicate]] = [
            (severity[r.verdict], r, Reason(r.id, r.reason, r.ref, r.quote), compile_(r.when)) for r in notice.rules
        ]
        self.notes: list[tuple[Reason, Predicate]] = [
            (Reason(n.id, n.text, n.ref, n.quote), compile_(n.when)) for n in notice.notes
        ]
        stage_order = {s.id: i for i, s in enumerate(notice.stages)}
        self.items: list[_CompiledItem] = [
            _CompiledItem(it, compile_) for it in sorted(notice.items, key=lambda it: stage_order[it.stage])
        ]
        self.deadlines: list[tuple[DeadlineEntry, Predicate]] = [
            (DeadlineEntry(d.id, d.title, d.due, d.due_text, d.inclusive, d.ref, d.note), compile_(d.when))
            for d in notice.deadlines
        ]
        self.answered = {
            (q.id, o.id): AnsweredQuestion(q.id, q.text, o.id, o.label) for q in notice.questions for o in q.options
        }


class _CompiledItem:
    def __init__(self, item: Item, compile_: Callable[[Any], Predicate]) -> None:
        self.item = item
        self.applies = compile_(item.when)
        self.exempt = compile_(item.exempt_when) if item.exempt_when is not None else None
        self.exemption = Exemption(item.id, item.title, item.exempt_reason or "", item.exempt_ref or "")
        self.variants: list[tuple[Variant | None, Predicate]] = [(v, compile_(v.when)) for v in item.variants]
        self._built: dict[tuple[int, str], ChecklistItem] = {}

    def entry(self, facts: Mapping[str, str], level_name: str) -> ChecklistItem:
        index, variant = next(
            ((i, v) for i, (v, check) in enumerate(self.variants) if check(facts) is True), (-1, None)
        )
        key = (index, level_name)
        built = self._built.get(key)
        if built is None:
            values = {"level": level_name}
            it = self.item
            built = self._built[key] = ChecklistItem(
                id=it.id,
                stage=it.stage,
                title=_fill((variant and variant.title) or it.title, values),
                detail=_fill((variant and variant.detail) or it.detail, values),
                ref=(variant and variant.ref) or it.ref,
                copies=variant.copies if variant and variant.copies is not None else it.copies,
            )
        return built


@cache
def _compiled(notice: Notice) -> _CompiledNotice:
    return _CompiledNotice(notice)


def _fill(text: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


OUTCOMES_KEPT = 4096  # distinct answer sets whose outcome is kept (an Outcome is a few KiB)


def evaluate(notice: Notice, answers: Mapping[str, str]) -> Outcome:
    """The outcome for complete answers. Raises IncompleteAnswers if a question is still open.

    Evaluation is pure and an Outcome immutable: applicants with the same answers share one
    (a bounded cache keyed by the notice and the answers)."""
    return _evaluate(notice, frozenset(answers.items()))


@lru_cache(maxsize=OUTCOMES_KEPT)
def _evaluate(notice: Notice, answer_set: frozenset[tuple[str, str]]) -> Outcome:
    answers = dict(answer_set)
    c = _compiled(notice)
    position = c.interview.position(answers)
    if position.question is not None:
        raise IncompleteAnswers(position.question.id)
    facts = position.answers

    fired = [(sev, rule, reason) for sev, rule, reason, check in c.rules if check(facts) is True]
    if not fired:
        raise KnowledgeGap(f"no rule of {notice.id} decides the answers {dict(facts)}")
    verdict = min(fired, key=lambda f: f[0])[1].verdict
    deciding = [rule for _, rule, _ in fired if rule.verdict == verdict]
    shown = (verdict, *SUPPORTING_VERDICTS.get(verdict, ()))
    reasons = [reason for v in shown for _, rule, reason in fired if rule.verdict == v]
    bar = max((BARS.index(r.bar or "person") for r in deciding), default=None) if verdict == "ineligible" else None
    retries = {r.retry for r in deciding}
    retry = retries.pop() if len(retries) == 1 else None  # only when every deciding rule can be retried the same way
    ended_early = any(rule.decisive for _, rule, _ in fired)

    level = notice.level(facts[LEVEL_QUESTION]) if LEVEL_QUESTION in facts else None
    level_name = level.name if level else ""
    checklist: list[ChecklistItem] = []
    exemptions: list[Exemption] = []
    deadlines: tuple[DeadlineEntry, ...] = ()
    notes: tuple[Reason, ...] = ()
    if verdict in ACTIONABLE_VERDICTS and not ended_early:
        for compiled in c.items:
            if compiled.applies(facts) is not True:
                continue
            if compiled.exempt is not None and compiled.exempt(facts) is True:
                exemptions.append(compiled.exemption)
            else:
                checklist.append(compiled.entry(facts, level_name))
        deadlines = tuple(entry for entry, applies in c.deadlines if applies(facts) is True)
        notes = tuple(note for note, check in c.notes if check(facts) is True)

    answered = tuple(c.answered[q, a] for q, a in facts.items())
    return Outcome(
        notice_id=notice.id,
        verdict=verdict,
        reasons=tuple(reasons),
        notes=notes,
        checklist=tuple(checklist),
        exemptions=tuple(exemptions),
        deadlines=deadlines,
        answers=answered,
        level=level.name if level else None,
        ignored_answers=tuple(sorted(k for k in answers if k not in facts)),
        bar=BARS[bar] if bar is not None else None,
        retry=retry,
        pending_condition=verdict in ACTIONABLE_VERDICTS and any(rule.verdict == "conditional" for _, rule, _ in fired),
    )


def answers_to_retry(notice: Notice, answers: Mapping[str, str]) -> dict[str, str] | None:
    """The answers with which the applicant answers the outcome's retry question anew: that question's
    answer and the answers the deciding rules read are dropped, so both are asked again. None if the
    outcome offers no retry."""
    outcome = evaluate(notice, answers)
    if outcome.retry is None:
        return None
    c = _compiled(notice)
    facts = c.interview.position(answers).answers
    questions_of = c.interview.predicates.questions_of
    dropped = {outcome.retry}
    for _, rule, _, check in c.rules:
        if rule.verdict == outcome.verdict and check(facts) is True:
            dropped |= questions_of(rule.when)
    return {q: a for q, a in facts.items() if q not in dropped}
