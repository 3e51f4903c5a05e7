"""Named predicates over the answers, compiled once per notice.

Three-valued: True, False, or None when a question it needs is not answered (yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from knowledge.model import AllOf, Always, AnswerIn, AnyOf, Expr, Named, Not, Notice

Answers = Mapping[str, str]
Predicate = Callable[[Answers], bool | None]


def _always(_: Answers) -> bool | None:
    return True


def _answer_in(question: str, options: frozenset[str]) -> Predicate:
    def check(answers: Answers) -> bool | None:
        value = answers.get(question)
        return None if value is None else value in options

    return check


def _all(parts: list[Predicate]) -> Predicate:
    def check(answers: Answers) -> bool | None:
        unknown = False
        for part in parts:
            value = part(answers)
            if value is False:
                return False
            if value is None:
                unknown = True
        return None if unknown else True

    return check


def _any(parts: list[Predicate]) -> Predicate:
    def check(answers: Answers) -> bool | None:
        unknown = False
        for part in parts:
            value = part(answers)
            if value is True:
                return True
            if value is None:
                unknown = True
        return None if unknown else False

    return check


def _not(part: Predicate) -> Predicate:
    def check(answers: Answers) -> bool | None:
        value = part(answers)
        return None if value is None else not value

    return check


class PredicateSet:
    """Compiles the expressions of one notice; names resolve to the notice's predicates."""

    def __init__(self, notice: Notice) -> None:
        self._definitions = notice.predicates
        self._named: dict[str, Predicate] = {}

    def named(self, name: str) -> Predicate:
        if name == "always":
            return _always
        if name not in self._named:
            self._named[name] = self.compile(self._definitions[name])
        return self._named[name]

    def questions_of(self, expr: Expr) -> frozenset[str]:
        """The questions whose answers the expression reads."""
        match expr:
            case Always():
                return frozenset()
            case Named(name):
                return self.questions_of(self._definitions[name])
            case AnswerIn(question, _):
                return frozenset({question})
            case Not(part):
                return self.questions_of(part)
            case AllOf(parts) | AnyOf(parts):
                return frozenset().union(*(self.questions_of(e) for e in parts))
        raise TypeError(f"not an expression: {expr!r}")

    def compile(self, expr: Expr) -> Predicate:
        match expr:
            case Always():
                return _always
            case Named(name):
                return self.named(name)
            case AnswerIn(question, options):
                return _answer_in(question, options)
            case AllOf(parts):
                return _all([self.compile(e) for e in parts])
            case AnyOf(parts):
                return _any([self.compile(e) for e in parts])
            case Not(part):
                return _not(self.compile(part))
        raise TypeError(f"not an expression: {expr!r}")
