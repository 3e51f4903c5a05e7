"""Interview answers stated in a description (我是工程师，想报高工，援派期两年), read with the notice's
lexicon (its `situations` patterns), with the words each answer rests on. Only explicit words fill a
question, and only words about the case:

- the level applied for is not the title held; 去年 and 今年 are read against the notice's year;
- a negation right before the words, or right after them (正式出版的论文没有), flips or drops what they say;
- a statement of the past (原来在…) gives way to a statement of the present about the same question;
- a clause with a hedge (好像, 可能, 不确定, 听说) fills nothing, unless the rule says the uncertainty itself;
  nor does a case supposed (要是…, …的话, 会被怎么处理) or the future (快要退休了, 明年报高工);
- what a description says of someone other than the case fills nothing: when the writer speaks of
  themselves (我是…, 我自己报…), what is said of others (老刘, 他, 我爱人) is dropped; when they do not (unit
  HR: 我们单位有个工程师…), the person introduced is the case and only others (他爱人, 他师傅) are dropped;
  what is said of the unit (我们是央企驻疆单位) holds for the case either way;
- a description of several people (一个报高工一个报助工) leaves what it says two ways open;
- a ban dated long enough ago is over (2015年造假被处理过: five years have passed).

Pure and synchronous."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from conversations.reader import NEGATION_REACH, READ_LIMIT, Reader, reader_for
from conversations.textnorm import Normalised, alternation, clause_end, clause_start, normalised, squash
from knowledge.model import Notice, SituationRule

# A word of the future this many characters before the words puts them in the future (快要退休, 明年再报).
FUTURE_REACH = 4
# The rest of a clause that denies what it follows (论文没有, 代表作我倒是没有, 奖也没有): a few characters, then
# a negation ending the clause.
_ENDS_DENIED = re.compile(r".{0,4}?(?:没有|没|无|未)(?:的|了|啊|呢|过)?")


@dataclass(frozen=True)
class Finding:
    """One interview answer read from the text, with the words it rests on."""

    question: str
    option: str
    words: str  # as typed
    start: int
    end: int
    past: bool = False
    subject: str | None = None  # who its clause speaks of: self, unit, third, other or None (nobody named)
    rule: int = -1  # the index of the lexicon's situation rule


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
    """The interview answers the text states explicitly about the case, with their evidence."""
    reader = reader_for(notice)
    norm = normalised(text[:READ_LIMIT])
    findings = _about_the_case(_findings(reader, norm))
    chosen: dict[str, Finding] = {}
    for f in findings:
        held = chosen.get(f.question)
        if held is None or _holds_over(f, held, reader.lexicon.situations):
            chosen[f.question] = f
    if reader.several_re is not None and reader.several_re.search(norm.text):
        for question, f in list(chosen.items()):  # several people (一个报高工一个报助工): rivals are not guessed
            if any(_rivals(f, other) for other in findings if other.question == question):
                del chosen[question]
    rules = reader.lexicon.situations
    for f in list(chosen.values()):  # 援疆已经结束: no longer an aid worker
        for question, option in (rules[f.rule].withdraws or {}).items():
            if question in chosen and chosen[question].option == option:
                del chosen[question]
    order = {q.id: i for i, q in enumerate(notice.questions)}
    ordered = sorted(chosen.values(), key=lambda f: order.get(f.question, len(order)))
    return Situation(
        answers={f.question: f.option for f in ordered},
        evidence={f.question: _widened(norm, f, findings) for f in ordered},
        findings=tuple(findings),
        truncated=len(text) > READ_LIMIT,
    )


def _about_the_case(findings: list[Finding]) -> list[Finding]:
    """The findings about the case: the writer's own when they speak of themselves, else the person they
    introduce; what is said of the unit, or of nobody named, always."""
    if any(f.subject == "self" for f in findings):
        return [f for f in findings if f.subject in (None, "self", "unit")]
    return [f for f in findings if f.subject != "other"]


def _widened(norm: Normalised, f: Finding, findings: list[Finding]) -> str:
    """The words of a finding, joined with those of the same answer right next to it (央企 + 驻疆单位)."""
    start, end = f.start, f.end
    changed = True
    while changed:
        changed = False
        for other in findings:
            if (other.question, other.option) != (f.question, f.option):
                continue
            gap_before = norm.text[other.end : start]
            gap_after = norm.text[end : other.start]
            if other.end <= start and len(gap_before) <= 1 and other.start < start and not _breaks(gap_before):
                start, changed = other.start, True
            elif other.start >= end and len(gap_after) <= 1 and other.end > end and not _breaks(gap_after):
                end, changed = other.end, True
    return norm.words(start, end)


def _breaks(gap: str) -> bool:
    return any(ch in _CLAUSE_BREAKS for ch in gap)


def _rivals(f: Finding, other: Finding) -> bool:
    """Another present statement of the same question with another option, neither within the other."""
    if other.option == f.option or other.past or f.past:
        return False
    inside = (f.start <= other.start and other.end <= f.end) or (other.start <= f.start and f.end <= other.end)
    return not inside


def _holds_over(f: Finding, held: Finding, rules: tuple[SituationRule, ...] = ()) -> bool:
    """Whether finding f holds over an earlier one for the same question: not one that yields (在职 to 退休返聘),
    words that contain the other's (前年当过第一书记 over 第一书记), else a present statement over a past one,
    else the later one."""
    if rules and f.option != held.option and rules[f.rule].yields != rules[held.rule].yields:
        return rules[held.rule].yields
    if f.start <= held.start and held.end <= f.end and (f.start, f.end) != (held.start, held.end):
        return True
    if held.start <= f.start and f.end <= held.end and (f.start, f.end) != (held.start, held.end):
        return False
    return (not f.past, f.start, f.end) >= (not held.past, held.start, held.end)


def _findings(reader: Reader, norm: Normalised) -> list[Finding]:
    s = norm.text
    people = _people(reader)
    subjects = people.subjects(s)
    hedged = [bool(reader.hedges_re and reader.hedges_re.search(s, a, b)) for a, b in _clauses(s)]
    supposed = _supposed(reader, s)
    out: list[Finding] = []
    for index, (rule, patterns) in enumerate(reader.situation_patterns):
        for pattern in patterns:
            for m in pattern.finditer(s):
                if m.end() == m.start():
                    continue
                clause = _clause_index(s, m.start())
                if (hedged[clause] and not rule.hedged) or any(a <= m.start() < b for a, b in supposed):
                    continue  # uncertain, or a case supposed (要是…, …的话, 会被…): not a fact of the case
                if reader.future_re is not None and reader.future_re.search(
                    s, max(_clause_start(s, m.start()), m.start() - FUTURE_REACH), m.start() + 1
                ):
                    continue  # 快要退休了, 明年报高工: not the case now
                sets = _what_it_sets(reader, rule, s, m, subjects[clause])
                if sets is None:
                    continue
                clause_start = _clause_start(s, m.start())
                past = bool(reader.past_re and reader.past_re.search(s, clause_start, m.start()))
                words = norm.words(m.start(), m.end())
                out.extend(
                    Finding(q, o, words, m.start(), m.end(), past, subjects[clause], index) for q, o in sets.items()
                )
    return sorted(out, key=lambda f: (f.start, f.end))


def _supposed(reader: Reader, s: str) -> list[tuple[int, int]]:
    """Stretches that suppose a case rather than state one: the clause of 如果/要是/会被, the clause before 的话."""
    found: list[tuple[int, int]] = []
    if reader.conditions_re is not None:
        found += [(_clause_start(s, m.start()), _clause_end(s, m.end())) for m in reader.conditions_re.finditer(s)]
    if reader.condition_ends_re is not None:
        found += [(_clause_start(s, m.start()), m.end()) for m in reader.condition_ends_re.finditer(s)]
    return found


def _what_it_sets(
    reader: Reader, rule: SituationRule, s: str, m: re.Match[str], subject: str | None
) -> Mapping[str, str] | None:
    """What a match of the rule sets: its `sets`, or what it sets when negated (None: nothing), for an
    earlier year, for the unit, or once expired."""
    clause_start = _clause_start(s, m.start())
    clause_end = _clause_end(s, m.start())
    if _negated(reader, s, clause_start, m.start(), m.end(), clause_end):
        if rule.negated is not None:
            return rule.negated
        if not _reads_negations(reader, m.re.pattern):
            return None  # 今年也没支教: a rule whose pattern does not read negations says nothing then
    sets: Mapping[str, str] = rule.sets
    if rule.earlier is not None:
        year = reader.year_of(s[clause_start:clause_end])
        if year is not None and year < reader.year:
            sets = rule.earlier
    if rule.of_unit is not None and subject == "unit":
        sets = rule.of_unit
    expiring = next((r for r in reader.lexicon.situations if r.sets == sets and r.expires_after is not None), None)
    if expiring is not None and expiring.expires_after is not None and expiring.expired is not None:
        year = reader.year_of(s[_sentence_start(s, m.start()) : m.end()])
        if year is not None:
            if reader.year - year > expiring.expires_after:
                return expiring.expired
            if reader.year - year == expiring.expires_after:
                return None  # on the boundary: the notice's 五年内 does not settle it
    return sets


def _reads_negations(reader: Reader, pattern: str) -> bool:
    """Whether a rule's pattern reads a negation itself (委托函还没开: (?:还没|没有…)), so that one in its match
    is what it says rather than a denial of it."""
    return bool(reader.negation_re and reader.negation_re.search(pattern))


def _negated(reader: Reader, s: str, clause_start: int, start: int, end: int, clause_end: int) -> bool:
    """A negation right before the words, within their last clause (委托函开好了，还没审核同意; not 驻村，一直没回来，
    三年都优秀) or ending the clause right after them (正式出版的论文没有)."""
    if reader.negation_re is None:
        return False
    if reader.negation_re.search(s, max(clause_start, start - NEGATION_REACH), start) is not None:
        return True
    last_clause = max(start, _clause_start(s, end - 1))  # within the words: only in their last clause
    if reader.negation_re.search(s, last_clause, end) is not None:
        return True
    rest = s[end:clause_end]  # 论文没有, 代表作我倒是没有: the clause ends in a negation
    return bool(_ENDS_DENIED.fullmatch(rest)) and reader.negation_re.search(rest) is not None


# ---------------------------------------------------------------- who is spoken of


@dataclass(frozen=True)
class People:
    """The lexicon's words for persons, compiled."""

    words: re.Pattern[str] | None  # self, unit, third and others' words
    kind_of: dict[str, str]
    introducing: re.Pattern[str] | None
    names: re.Pattern[str] | None
    objects: re.Pattern[str] | None

    def subjects(self, s: str) -> list[str | None]:
        """For each clause, who it speaks of: the first person named in it who is not an object (让我), a
        person over the unit; a clause naming nobody goes on with the last clause that named the writer, the
        unit or the case (someone else, 孩子今年刚高考完, is named in passing)."""
        out: list[str | None] = []
        current: str | None = None
        for start, end in _clauses(s):
            found = self._first_person(s, start, end)
            out.append(found if found is not None else current)
            if found is not None and found != "other":  # someone else is named in passing: not carried on
                current = found
        return out

    def _first_person(self, s: str, start: int, end: int) -> str | None:
        refs: list[tuple[int, int, str]] = []
        if self.words is not None:
            refs += [(m.start(), m.end(), self.kind_of[m.group(0)]) for m in self.words.finditer(s, start, end)]
        for pattern in (self.introducing, self.names):
            if pattern is not None:
                refs += [(m.start(), m.end(), "third") for m in pattern.finditer(s, start, end)]
        refs.sort(key=lambda r: (r[0], -r[1]))
        unit = False
        for i, (a, b, kind) in enumerate(refs):
            if self.objects is not None and self.objects.search(s, max(start, a - 1), a) is not None:
                continue  # 让我, 跟他: not who the clause speaks of
            if kind == "unit":
                unit = True
                continue
            if kind in ("self", "third"):
                following = next((r for r in refs[i + 1 :] if r[0] >= b), None)
                if following is not None and following[0] == b and following[2] == "other":
                    return "other"  # 他爱人, 我老婆: someone else
            return kind
        return "unit" if unit else None


@cache
def _people(reader: Reader) -> People:
    persons = reader.lexicon.persons
    kind_of: dict[str, str] = {}
    for kind, words in (
        ("unit", persons.unit),
        ("self", persons.self),
        ("third", persons.third),
        ("other", persons.others),
    ):
        for word in words:
            kind_of.setdefault(squash(word), kind)

    def patterns(items: tuple[str, ...]) -> re.Pattern[str] | None:
        return re.compile("|".join(f"(?:{p})" for p in items)) if items else None

    return People(
        alternation(kind_of),
        kind_of,
        patterns(persons.introducing),
        patterns(persons.names),
        alternation(squash(w) for w in persons.objects),
    )


# ---------------------------------------------------------------- clauses

_CLAUSE_BREAKS = "，。；！？,.;!? \t\n"
_SENTENCE_BREAKS = "。；！？.;!?\n"


def _clauses(s: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(s):
        if ch in _CLAUSE_BREAKS:
            bounds.append((start, i))
            start = i + 1
    bounds.append((start, len(s)))
    return bounds


def _clause_index(s: str, pos: int) -> int:
    return sum(1 for ch in s[:pos] if ch in _CLAUSE_BREAKS)


def _clause_start(s: str, pos: int) -> int:
    return clause_start(s, pos, _CLAUSE_BREAKS)


def _clause_end(s: str, pos: int) -> int:
    return clause_end(s, pos, _CLAUSE_BREAKS)


def _sentence_start(s: str, pos: int) -> int:
    i = pos
    while i > 0 and s[i - 1] not in _SENTENCE_BREAKS:
        i -= 1
    return i


def contradictions(stored: Mapping[str, str], situation: Situation) -> tuple[Contradiction, ...]:
    """The questions the text answers otherwise than the stored answers (never overwrite silently)."""
    return tuple(
        Contradiction(q, stored[q], option, situation.evidence.get(q, ""))
        for q, option in situation.answers.items()
        if q in stored and stored[q] != option
    )
