"""Named predicates over the answers, compiled once per notice.

Three-valued: True, False, or None when a question it needs is not answered (yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from knowledge.model import Expr, Notice

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
        if isinstance(expr, str):
            return frozenset() if expr == "always" else self.questions_of(self._definitions[expr])
        if "answer" in expr:
            return frozenset({expr["answer"]})
        if "not" in expr:
            return self.questions_of(expr["not"])
        return frozenset().union(*(self.questions_of(e) for e in expr.get("all") or expr.get("any") or []))

    def compile(self, expr: Expr) -> Predicate:
        if isinstance(expr, str):
            return self.named(expr)
        if "answer" in expr:
            return _answer_in(expr["answer"], frozenset(expr["in"]))
        if "all" in expr:
            return _all([self.compile(e) for e in expr["all"]])
        if "any" in expr:
            return _any([self.compile(e) for e in expr["any"]])
        return _not(self.compile(expr["not"]))
