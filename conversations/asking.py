"""What a question asks for beyond its subject, and whether the answer found states it.

An entry can be the right subject and still not settle the question: 几点截止 is answered by a date, 评审表用
A3还是A4纸 by the item's copies. The question is then answered as the nearest clause that leaves the point
open, with the contacts. Four things are recognised, all read with the notice's lexicon:

- a **detail** (the lexicon's `details`: a time of day, how recent, a colour, a size, a count, who signs …)
  that the answer's own words do not state (its `stated` patterns);
- **alternatives** (A还是B): the question is settled only if the answer states what tells one from the
  other, a thing of it (its forms in the answer's words) or its other content;
- **something proposed** (用电子签名可以吗, 图书馆开的行不行): content the lexicon does not know (the reader's
  `novel` runs) that the answer does not state;
- **a case supposed** (如果…的话, 要是…): the same for the case.

Content "stated" by an answer: a thing named in its words (any of the thing's forms), or a run of new
content sharing two characters in a row with its words. Pure and synchronous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conversations.reader import Reader, Reading
from conversations.textnorm import clause_end, clause_start, normalised, pinyin

_CLAUSE_BREAKS = "，。；！？,.;!?:： \t\n"
_SENTENCE_BREAKS = "。；！？.;!?\n"


@dataclass(frozen=True)
class Statement:
    """An answer's words, as compared with what a question asks."""

    text: str  # normalised
    things: frozenset[str]

    sounds: frozenset[tuple[str, ...]]  # the pinyin of every two characters in a row

    def states_run(self, run: str) -> bool:
        """At least half of the run's pairs of characters are in the answer's words (or sound so)."""
        pairs = [run[i : i + 2] for i in range(len(run) - 1)]
        found = sum(1 for p in pairs if p in self.text or pinyin(p) in self.sounds)
        return 2 * found >= len(pairs)


def statement(reader: Reader, answer_text: str) -> Statement:
    text = normalised(answer_text).text
    heard = pinyin(text)
    return Statement(text, reader.things_in(answer_text), frozenset(heard[i : i + 2] for i in range(len(heard) - 1)))


def unsettled_ask(
    reader: Reader,
    reading: Reading,
    answer_text: str,
    subject: frozenset[str] = frozenset(),
    *,
    asking_clauses: bool = True,
) -> str | None:
    """The words (as typed) asking for something the answer does not state, if any. `subject`: the things
    the answer was found for (what both alternatives are about, not what tells them apart); asking_clauses:
    whether new content in the clauses that ask counts (not when the case described decides the answer)."""
    s = reading.text.text
    said = statement(reader, answer_text)
    for detail_id, start, end in reading.details:
        stated = reader.detail_stated.get(detail_id)
        if stated is None or not stated.search(said.text):
            return reading.text.words(start, end)
    settled: list[tuple[int, int]] = []  # alternatives the answer tells apart: what they hold is judged
    if reader.alternatives_re is not None:
        for m in reader.alternatives_re.finditer(s):
            if _inside_known(reader, s, m.start(), m.end()):  # 还是说: not two alternatives
                continue
            first = _clause_before(s, m.start())
            second = (m.end(), _clause_end(s, m.end()))
            one = _elements(reader, reading, subject, *first)
            other = _elements(reader, reading, subject, *second)
            telling = (one - other) | (other - one)
            if telling and not any(_states(said, e) for e in telling):
                return reading.text.words(first[0], second[1])
            if telling:
                settled.append((first[0], second[1]))
    if reader.acceptability_re is not None:
        for m in reader.acceptability_re.finditer(s):
            words = _unstated_run(reading, said, _sentence_start(s, m.start()), _clause_end(s, m.end()))
            if words is not None:
                return words
    for start, end in _cases_supposed(reader, s):
        start = _sentence_start(s, start)
        words = _unstated_run(reading, said, start, end)
        if words is not None:
            return words
    for start, end in _asking_clauses(reader, reading) if asking_clauses else ():
        words = _unstated_run(reading, said, start, end, settled)
        if words is not None:
            return words
    return None


def _asking_clauses(reader: Reader, reading: Reading) -> list[tuple[int, int]]:
    """The clauses that ask (a question word, a kind of question, ？): what they hold beyond the things the
    lexicon knows is what the question is about."""
    s = reading.text.text
    marks = [i for i, ch in enumerate(s) if ch in "?？"]
    if reader.kinds_re is not None:
        marks += [m.start() for m in reader.kinds_re.finditer(s)]
    marks += [m.start() for m in _QUESTION_WORDS.finditer(s)]
    return sorted({(_clause_start(s, i), _clause_end(s, i)) for i in marks})


_QUESTION_WORDS = re.compile(
    r"吗|么|呢|啥|什么|怎么|怎样|如何|为何|几|多少|多久|是否|能否|可否|有没有|要不要|能不能|哪|谁|咋"
)


def _states(said: Statement, element: str) -> bool:
    kind, _, value = element.partition(":")
    return value in said.things if kind == "thing" else said.states_run(value)


def _elements(reader: Reader, reading: Reading, subject: frozenset[str], start: int, end: int) -> set[str]:
    """What a stretch of the question names beside the subject: its things (not the general ones) and its new
    content; when it names nothing, its own words (第二天) stripped of function words."""
    named = [m.thing for m in reading.mentions if start <= m.start and m.end <= end and m.thing not in subject]
    found = {f"thing:{t}" for t in named if reader.weight(t) >= GENERAL_WEIGHT}
    found |= {f"new:{reading.text.text[a:b]}" for a, b in reading.novel if start <= a and b <= end}
    if not found:  # only general things (单位交): they tell the alternatives apart
        found = {f"thing:{t}" for t in named}
    if not found and not any(start <= m.start and m.end <= end for m in reading.mentions):
        words = reader.content_of(reading.text.text[start:end])
        if len(words) >= 2:
            found.add(f"new:{words}")
    return found


# Things weighing less than this are too general to tell alternatives apart (申报, 材料, 单位).
GENERAL_WEIGHT = 0.5


def _unstated_run(
    reading: Reading, said: Statement, start: int, end: int, judged: list[tuple[int, int]] | None = None
) -> str | None:
    """The first run of new content between start and end that the answer does not state (not within a
    stretch already judged)."""
    s = reading.text.text
    for a, b in reading.novel:
        if (
            start <= a
            and b <= end
            and not said.states_run(s[a:b])
            and not any(x <= a and b <= y for x, y in judged or ())
        ):
            return reading.text.words(a, b)
    return None


def _inside_known(reader: Reader, s: str, start: int, end: int) -> bool:
    """Whether the words at start:end are part of a longer word the lexicon knows as naming nothing."""
    if reader.known_re is None:
        return False
    return any(
        m.start() <= start and end <= m.end() and m.end() - m.start() > end - start
        for m in reader.known_re.finditer(s, max(0, start - 3), min(len(s), end + 3))
    )


def _sentence_start(s: str, pos: int) -> int:
    i = pos
    while i > 0 and s[i - 1] not in _SENTENCE_BREAKS:
        i -= 1
    return i


def _clause_before(s: str, pos: int) -> tuple[int, int]:
    """The clause ending at pos; when it holds nothing but a few characters (…，行不行), the one before too."""
    start = _clause_start(s, pos)
    if pos - start < 2 and start > 0:
        start = _clause_start(s, start - 1)
    return start, pos


def _clause_start(s: str, pos: int) -> int:
    return clause_start(s, pos, _CLAUSE_BREAKS)


def _clause_end(s: str, pos: int) -> int:
    return clause_end(s, pos, _CLAUSE_BREAKS)


def _cases_supposed(reader: Reader, s: str) -> list[tuple[int, int]]:
    """The stretches of text that suppose a case: from 如果/要是 to the end of the clause, or the clause
    before 的话."""
    cases: list[tuple[int, int]] = []
    if reader.conditions_re is not None:
        cases += [(m.end(), _clause_end(s, m.end())) for m in reader.conditions_re.finditer(s)]
    if reader.condition_ends_re is not None:
        cases += [(_clause_start(s, m.start()), m.start()) for m in reader.condition_ends_re.finditer(s)]
    return cases
