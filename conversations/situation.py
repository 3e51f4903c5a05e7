"""Interview answers stated in a description (我是工程师，想报高工，援派期两年), read with the notice's
lexicon (its `situations` patterns), with the words each answer rests on. Only explicit words fill a
question: the level applied for is not the title held, 去年 and 今年 are read against the notice's
year, a negation right before the words flips or drops what they say, and a statement of the past
(原来在…) gives way to a statement of the present about the same question. Pure and synchronous."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conversations.reader import NEGATION_REACH, READ_LIMIT, Reader, reader_for
from conversations.textnorm import Normalised, normalised
from knowledge.model import Notice


@dataclass(frozen=True)
class Finding:
    """One interview answer read from the text, with the words it rests on."""

    question: str
    option: str
    words: str  # as typed
    start: int
    end: int
    past: bool = False


@dataclass(frozen=True)
class Situation:
    answers: dict[str, str]  # question id -> option id
    evidence: dict[str, str]  # question id -> the words, as typed
    findings: tuple[Finding, ...] = ()  # everything read, before the later or present statement won
    truncated: bool = False  # the text was longer than READ_LIMIT characters: only its start was read


@dataclass(frozen=True)
class Contradiction:
    """A question the text answers otherwise than the asker did before: ask which one holds."""

    question: str
    stored: str  # option id answered before
    found: str  # option id the text states
    words: str  # the words it rests on


def read_situation(notice: Notice, text: str) -> Situation:
    """The interview answers the text states explicitly, with their evidence."""
    reader = reader_for(notice)
    norm = normalised(text[:READ_LIMIT])
    findings = _findings(reader, norm)
    chosen: dict[str, Finding] = {}
    for f in findings:
        held = chosen.get(f.question)
        if held is None or _holds_over(f, held):
            chosen[f.question] = f
    if reader.several_re is not None and reader.several_re.search(norm.text):
        for question, f in list(chosen.items()):  # several people (一个报高工一个报助工): rivals are not guessed
            if any(_rivals(f, other) for other in findings if other.question == question):
                del chosen[question]
    order = {q.id: i for i, q in enumerate(notice.questions)}
    ordered = sorted(chosen.values(), key=lambda f: order.get(f.question, len(order)))
    return Situation(
        answers={f.question: f.option for f in ordered},
        evidence={f.question: _widened(norm, f, findings) for f in ordered},
        findings=tuple(findings),
        truncated=len(text) > READ_LIMIT,
    )


def _widened(norm: Normalised, f: Finding, findings: list[Finding]) -> str:
    """The words of a finding, joined with those of the same answer right next to it (央企 + 驻疆单位)."""
    start, end = f.start, f.end
    changed = True
    while changed:
        changed = False
        for other in findings:
            if (other.question, other.option) != (f.question, f.option):
                continue
            if other.end <= start and start - other.end <= 1 and other.start < start:
                start, changed = other.start, True
            elif other.start >= end and other.start - end <= 1 and other.end > end:
                end, changed = other.end, True
    return norm.words(start, end)


def _rivals(f: Finding, other: Finding) -> bool:
    """Another present statement of the same question with another option, neither within the other."""
    if other.option == f.option or other.past or f.past:
        return False
    inside = (f.start <= other.start and other.end <= f.end) or (other.start <= f.start and f.end <= other.end)
    return not inside


def _holds_over(f: Finding, held: Finding) -> bool:
    """Whether finding f holds over an earlier one for the same question: words that contain the other's
    (前年当过第一书记 over 第一书记), else a present statement over a past one, else the later one."""
    if f.start <= held.start and held.end <= f.end and (f.start, f.end) != (held.start, held.end):
        return True
    if held.start <= f.start and f.end <= held.end and (f.start, f.end) != (held.start, held.end):
        return False
    return (not f.past, f.start, f.end) >= (not held.past, held.start, held.end)


def _findings(reader: Reader, norm: Normalised) -> list[Finding]:
    s = norm.text
    out: list[Finding] = []
    for rule, patterns in reader.situation_patterns:
        for pattern in patterns:
            for m in pattern.finditer(s):
                if m.end() == m.start():
                    continue
                clause_start = _clause_start(s, m.start())
                sets: Mapping[str, str] = rule.sets
                if rule.negated is not None and _negated(reader, s, clause_start, m.start(), m.end()):
                    sets = rule.negated
                elif rule.earlier is not None:
                    year = reader.year_of(s[clause_start:_clause_end(s, m.start())])
                    if year is not None and year < reader.year:
                        sets = rule.earlier
                past = bool(reader.past_re and reader.past_re.search(s, clause_start, m.start()))
                words = norm.words(m.start(), m.end())
                out.extend(Finding(q, o, words, m.start(), m.end(), past) for q, o in sets.items())
    return sorted(out, key=lambda f: (f.start, f.end))


_CLAUSE_BREAKS = "，。；！？,.;!? \t\n"


def _clause_start(s: str, pos: int) -> int:
    i = pos
    while i > 0 and s[i - 1] not in _CLAUSE_BREAKS:
        i -= 1
    return i


def _clause_end(s: str, pos: int) -> int:
    i = pos
    while i < len(s) and s[i] not in _CLAUSE_BREAKS:
        i += 1
    return i


def _negated(reader: Reader, s: str, clause_start: int, start: int, end: int) -> bool:
    """A negation right before the words, or within them (委托函开好了，还没审核同意)."""
    if reader.negation_re is None:
        return False
    return reader.negation_re.search(s, max(clause_start, start - NEGATION_REACH), end) is not None


def contradictions(stored: Mapping[str, str], situation: Situation) -> tuple[Contradiction, ...]:
    """The questions the text answers otherwise than the stored answers (never overwrite silently)."""
    return tuple(
        Contradiction(q, stored[q], option, situation.evidence.get(q, ""))
        for q, option in situation.answers.items()
        if q in stored and stored[q] != option
    )
