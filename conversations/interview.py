"""The interview: which question comes next, given the answers so far.

Pure and synchronous. Answers are {question_id: option_id}; answers to questions that
no longer apply are kept by callers but ignored here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from conversations.predicates import Predicate, PredicateSet
from knowledge.model import Notice, Question

POSITIONS_KEPT = 16384  # answer sets whose position is kept (then the memo starts afresh)


@dataclass(frozen=True)
class Position:
    """Where an interview stands: the answers that count, and the next question (None: finished)."""

    answers: dict[str, str]
    question: Question | None
    number: int  # 1-based number of `question`, or the count of answered questions when finished
    total: int  # answered + current + still-possible later questions

    @property
    def finished(self) -> bool:
        return self.question is None


class Interview:
    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.predicates = PredicateSet(notice)
        self.questions = notice.questions
        self._by_id = {q.id: q for q in notice.questions}
        self._positions: dict[frozenset[tuple[str, str]], Position] = {}
        self._option_ids = {q.id: frozenset(o.id for o in q.options) for q in notice.questions}
        self._ask_if: dict[str, Predicate] = {q.id: self.predicates.compile(q.ask_if) for q in notice.questions}
        decisive = [r for r in notice.rules if r.decisive]
        self._decisive: list[Predicate] = [self.predicates.compile(r.when) for r in decisive]
        # Kleene logic is monotone: a rule can only start to hold when a question it reads is answered.
        self._decisive_after: dict[str, list[Predicate]] = {
            q.id: [self.predicates.compile(r.when) for r in decisive if q.id in self.predicates.questions_of(r.when)]
            for q in notice.questions
        }

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def is_valid_answer(self, question_id: str, option_id: str) -> bool:
        q = self._by_id.get(question_id)
        return q is not None and q.option(option_id) is not None

    def decided(self, answers: Mapping[str, str]) -> bool:
        """True when a rule that ends the interview (see Rule.decisive) already holds."""
        return any(check(answers) is True for check in self._decisive)

    def position(self, answers: Mapping[str, str]) -> Position:
        """Where the answers stand. Worked out once per set of answers (a turn asks several times,
        and many applicants give the same answers); the Position is shared: read it, never change it."""
        key = frozenset(answers.items())
        found = self._positions.get(key)
        if found is None:
            if len(self._positions) >= POSITIONS_KEPT:
                self._positions.clear()
            found = self._positions[key] = self._position(answers)
        return found

    def _position(self, answers: Mapping[str, str]) -> Position:
        counted: dict[str, str] = {}
        if self.decided(counted):
            return Position(counted, None, 0, 0)
        for index, q in enumerate(self.questions):
            if self._ask_if[q.id](counted) is not True:
                continue
            given = answers.get(q.id)
            if given is not None and given in self._option_ids[q.id]:
                counted[q.id] = given
                if any(check(counted) is True for check in self._decisive_after[q.id]):
                    break
                continue
            later = sum(1 for q2 in self.questions[index + 1 :] if self._ask_if[q2.id](counted) is not False)
            return Position(counted, q, len(counted) + 1, len(counted) + 1 + later)
        return Position(counted, None, len(counted), len(counted))

    def asked(self, answers: Mapping[str, str]) -> list[Question]:
        """The questions answered so far, in order (the path the applicant took)."""
        counted = self.position(answers).answers
        return [q for q in self.questions if q.id in counted]

    def paths(self) -> Iterator[dict[str, str]]:
        """Every reachable finished combination of answers, depth first, each in ask order."""
        stack: list[dict[str, str]] = [{}]
        while stack:
            position = self.position(stack.pop())
            if position.question is None:
                yield position.answers
                continue
            question = position.question
            for option in reversed(question.options):  # reversed: the first option is explored first
                stack.append({**position.answers, question.id: option.id})

    def previous(self, answers: Mapping[str, str], current: str | None) -> Question | None:
        """The question before `current` on the applicant's path (before the outcome if None)."""
        path = self.asked(answers)
        ids = [q.id for q in path]
        if current is None:
            return path[-1] if path else None
        if current in ids:
            i = ids.index(current)
            return path[i - 1] if i > 0 else None
        return path[-1] if path else None


@cache
def interview_for(notice: Notice) -> Interview:
    return Interview(notice)
