"""An applicant's answers under an old notice, carried over to the new one; and which of the new
notice's changes concern them (for the chat's offer of the new notice and for the office's counts).

Pure: notices and answers in, data out.

An answer carries over when its question and option ids are the same in the new notice, the
question reads the same (its text and the option's label unchanged: a question whose year moved,
2021年度 -> 2022年度, asks something new), neither notice marks the question `carry_over: false`
(an answer about this season only), and the new interview still reaches it given the answers
carried before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conversations.interview import interview_for
from conversations.outcome import IncompleteAnswers, KnowledgeGap, Outcome, evaluate
from knowledge.model import Expr, Notice
from knowledge.notice_diff import Change, NoticeDiff, diff_notices

# Why a stored answer does not carry over.
QUESTION_GONE = "question_gone"  # the new notice has no question with this id
OPTION_GONE = "option_gone"  # the question has no option with this id any more
QUESTION_CHANGED = "question_changed"  # the question's text differs
OPTION_CHANGED = "option_changed"  # the option's label differs
SEASON_ONLY = "season_only"  # carry_over: false (the answer is about the old season)
NOT_REACHED = "not_reached"  # the new interview does not ask it, given the answers carried


@dataclass(frozen=True)
class DroppedAnswer:
    question: str
    option: str
    why: str


@dataclass(frozen=True)
class CarryOver:
    old_id: str
    new_id: str
    answers: dict[str, str]  # the answers that carry over, in the new interview's order
    dropped: tuple[DroppedAnswer, ...]
    to_ask: tuple[str, ...]  # questions of the new notice the applicant may still be asked, in order
    next_question: str | None  # the one the new interview asks first (None: it is complete)
    changes: tuple[Change, ...]  # the notice's changes that concern this applicant
    old_outcome: Outcome | None  # None: the interview under the old notice was not finished
    new_outcome: Outcome | None  # None: the carried answers do not finish the new interview

    @property
    def complete(self) -> bool:
        return self.next_question is None


def carry_over(old: Notice, new: Notice, answers: Mapping[str, str], diff: NoticeDiff | None = None) -> CarryOver:
    """The applicant's `answers` (stored under `old`) under the `new` notice."""
    candidates: dict[str, str] = {}
    dropped: list[DroppedAnswer] = []
    for question_id, option_id in answers.items():
        why = _why_not(old, new, question_id, option_id)
        if why is None:
            candidates[question_id] = option_id
        else:
            dropped.append(DroppedAnswer(question_id, option_id, why))
    interview = interview_for(new)
    carried: dict[str, str] = {}
    to_ask: list[str] = []
    decided = False
    for question in new.questions:
        asked = interview.predicates.compile(question.ask_if)(carried)
        if decided or asked is False:
            if question.id in candidates:
                dropped.append(DroppedAnswer(question.id, candidates[question.id], NOT_REACHED))
            continue
        if question.id in candidates:
            carried[question.id] = candidates[question.id]
            decided = asked is True and interview.decided(carried)
        else:
            to_ask.append(question.id)
    position = interview.position(carried)
    old_outcome = _outcome(old, answers)
    new_outcome = _outcome(new, carried) if position.finished else None
    changes = diff if diff is not None else diff_notices(old, new)
    old_counted = interview_for(old).position(answers).answers  # answers off the old path do not count
    concerned = tuple(
        c for c in changes.changes if _concerns(c, old, new, old_counted, carried, old_outcome, new_outcome)
    )
    return CarryOver(
        old.id,
        new.id,
        carried,
        tuple(dropped),
        tuple(to_ask),
        position.question.id if position.question else None,
        concerned,
        old_outcome,
        new_outcome,
    )


def _why_not(old: Notice, new: Notice, question_id: str, option_id: str) -> str | None:
    new_question = new.question(question_id)
    if new_question is None:
        return QUESTION_GONE
    new_option = new_question.option(option_id)
    if new_option is None:
        return OPTION_GONE
    old_question = old.question(question_id)
    if old_question is not None:
        if old_question.text != new_question.text:
            return QUESTION_CHANGED
        old_option = old_question.option(option_id)
        if old_option is not None and old_option.label != new_option.label:
            return OPTION_CHANGED
        if not old_question.carry_over:
            return SEASON_ONLY
    if not new_question.carry_over:
        return SEASON_ONLY
    return None


def _outcome(notice: Notice, answers: Mapping[str, str]) -> Outcome | None:
    try:
        return evaluate(notice, answers)
    except (IncompleteAnswers, KnowledgeGap):
        return None


def outcome_of(notice: Notice, answers: Mapping[str, str]) -> Outcome | None:
    """The outcome, or None while the interview is not finished."""
    return _outcome(notice, answers)


def concerns(
    change: Change,
    old: Notice,
    new: Notice,
    old_answers: Mapping[str, str],
    new_answers: Mapping[str, str],
    old_outcome: Outcome | None,
    new_outcome: Outcome | None,
) -> bool:
    """Whether a change of the notice concerns this applicant: what changed is (or becomes) part of
    their outcome under the old or the new notice: a deadline or item of theirs, a rule that holds for
    them, a question they answered or will be asked, a note they are shown; the notice itself and its
    contacts concern everyone."""
    return _concerns(
        change, old, new, interview_for(old).position(old_answers).answers, new_answers, old_outcome, new_outcome
    )


def _concerns(
    change: Change,
    old: Notice,
    new: Notice,
    old_counted: Mapping[str, str],
    new_answers: Mapping[str, str],
    old_outcome: Outcome | None,
    new_outcome: Outcome | None,
) -> bool:
    """concerns(), with the old answers that count on the old path worked out once per applicant."""
    if change.topic in ("notice", "contacts"):
        return True
    return any(
        _side(change, notice, counted, outcome, entry_id)
        for notice, counted, outcome, entry_id in (
            (old, old_counted, old_outcome, change.old_id),
            (new, new_answers, new_outcome, change.new_id),
        )
        if entry_id is not None
    )


def _side(change: Change, notice: Notice, counted: Mapping[str, str], outcome: Outcome | None, entry_id: str) -> bool:
    interview = interview_for(notice)

    def holds(expr: Expr) -> bool:
        return interview.predicates.compile(expr)(counted) is True

    section = change.section
    if section == "items":
        if outcome is not None:
            return any(i.id == entry_id for i in outcome.checklist) or any(e.id == entry_id for e in outcome.exemptions)
        item = next((i for i in notice.items if i.id == entry_id), None)
        return item is not None and holds(item.when)
    if section == "deadlines":
        if outcome is not None:
            return any(d.id == entry_id for d in outcome.deadlines)
        deadline = notice.deadline(entry_id)
        return deadline is not None and holds(deadline.when)
    if section == "working_day_dates":
        date = next((d for d in notice.working_day_dates if d.id == entry_id), None)
        return date is not None and (outcome is None or outcome.has_checklist) and holds(date.when)
    if section == "rules":
        rule = next((r for r in notice.rules if r.id == entry_id), None)
        return rule is not None and holds(rule.when)
    if section == "notes":
        if outcome is not None:
            return any(n.id == entry_id for n in outcome.notes)
        note = next((n for n in notice.notes if n.id == entry_id), None)
        return note is not None and holds(note.when)
    if section == "questions":
        question = notice.question(entry_id)
        if question is None:
            return False
        return entry_id in counted or interview.predicates.compile(question.ask_if)(counted) is True
    if section == "attachments":
        attachment = notice.attachment(entry_id)
        if attachment is None or outcome is None:
            return False
        return any(attachment.ref in f"{i.ref}{i.title}{i.detail}" for i in outcome.checklist)
    return False
