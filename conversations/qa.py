"""Questions typed in plain Chinese, answered from the notice. Pure and synchronous.

1. The reader (conversations.reader, with the notice's lexicon) finds the things a question names and
   the kind of question; the entry that answers that pair answers. A question that names a subject
   the notice does not deal with (fees, results, salaries, other series, 兵团 …) is answered as
   outside the notice (本通知未涉及此问题) with the contacts.
2. Otherwise the entries are ranked as whole texts (conversations.ranking: BM25 over character and
   pinyin bigrams, the lexicon's forms folded into one word): the fallback for what the things and kinds do not decide.
   Below CONFIDENCE_THRESHOLD nothing is claimed: 未找到与此对应的条款, with the contacts.

The answer is composed from the knowledge file (conversations.compose): an item with variants names the
variant that the question's words or the asker's answers select (管寺 → 统战部门; 初级 → 一式一份), else
gives every variant side by side; placeholders ({level}) are filled, never shown. What the notice leaves
open is answered as such (kind unsettled) with the contacts: an interpretation, a topic or a variant
marked so, a detail the lexicon lists as open (底色), a kind of question the answer does not state (多久
answered without a number of days), or what happens in a case asked of a checklist item (怎么办)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from zoneinfo import ZoneInfo

from conversations.asking import unsettled_ask
from conversations.compose import Case, Composer, Part, Personal, parts_of, personal
from conversations.interview import interview_for
from conversations.ranking import Entry, Ranking
from conversations.reader import Reader, Reading, Routed, reader_for
from conversations.season import DeadlineStatus
from conversations.situation import read_situation
from conversations.textnorm import normalise, simplified
from knowledge.model import CONTACTS_TARGET, Contacts, Notice

__all__ = [
    "Answer",
    "Candidate",
    "Case",
    "Part",
    "Personal",
    "answer",
    "answer_entry",
    "candidates",
    "index_for",
    "looks_like_question",
    "most_frequent",
    "normalise",
    "targets_of",
    "today_in",
    "unanswered_key",
    "unanswered_text",
]

# A routed answer needs at least this score (one specific thing named).
ROUTE_THRESHOLD = 0.75
# A subject outside the notice wins over any route scoring below this (a route naming two things).
OUTSIDE_OVERRIDE = 2.0
# Routes within this much of the best one are offered beside it as alternatives.
ROUTE_CLOSE = 0.0
# A route scoring below this rests on general words only: the closest other entries are offered too.
WEAK_ROUTE = 1.0
# The fallback ranking: an answer is given only when the best entry covers this share of the question.
CONFIDENCE_THRESHOLD = 0.33
# A second entry scoring at least this share of the best one is offered beside it (kind "choose").
CLOSE_RATIO = 0.9
# An alternative is offered only if it covers the question about as well as the best entry.
CLOSE_CONFIDENCE = 0.1
MAX_ALTERNATIVES = 3
BUTTON_LABEL_LIMIT = 30
LOG_TEXT_LIMIT = 200
# Only the start of a very long message is matched (a question is short; this bounds the time).
QUERY_LIMIT = 200

_LONG_NUMBER = re.compile(r"\d{6,}")
_SPACES = re.compile(r"\s+")

# Answer kinds: an entry answers as settled (answer; choose when close entries are offered beside it); an
# entry answers but the notice leaves the point open (unsettled); nothing answers well enough (not_found); a
# subject outside the notice (outside). The last three give the contacts.
CONFIDENT_KINDS = ("answer", "choose")
FALLBACK_KINDS = ("not_found", "outside")


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class Candidate:
    """An entry the question may be about: its key (for a button's callback data), its title and a
    short label for a button (at most 30 characters)."""

    key: str
    title: str
    score: float
    confidence: float = 0.0
    label: str = ""


@dataclass(frozen=True)
class Answer:
    kind: str  # answer | choose | unsettled | not_found | outside
    question: str  # the text as normalised for matching
    entry: str | None = None  # the key that answered: "topic:paper_list", "rule:retired", "clause:五（一）8" …
    targets: tuple[str, ...] = ()  # the knowledge entries the answer rests on, the main one first
    title: str = ""
    parts: tuple[Part, ...] = ()
    settled: bool = True  # False: the notice does not settle this (the contacts are given)
    confidence: float = 0.0
    personal: Personal | None = None
    today: dt.date | None = None
    alternatives: tuple[Candidate, ...] = ()  # close entries, best first (the first is this answer)
    contacts: Contacts | None = None  # given whenever the notice does not settle the question
    outside: str | None = None  # for kind outside: the subject recognised (fees, results …, or a thing)
    open_point: str | None = None  # words asking for a detail the notice does not settle (then kind unsettled)
    open_case: bool = False  # asks what happens in a case the entry does not deal with (then kind unsettled)
    via: str = ""  # how it was found: route, ranking, outside, none (for the benchmark and the logs)

    @property
    def answered(self) -> bool:
        """Whether an entry of the notice answers the question (an answer without an entry is what
        the office should look at: see `unanswered_text`)."""
        return self.entry is not None

    @property
    def sentences(self) -> tuple[str, ...]:
        return self.parts[0].sentences if self.parts else ()

    @property
    def quote(self) -> str:
        return self.parts[0].quote if self.parts else ""

    @property
    def ref(self) -> str:
        return self.parts[0].ref if self.parts else ""

    @property
    def refs(self) -> tuple[str, ...]:
        """Every clause the answer cites."""
        return tuple(dict.fromkeys(r for p in self.parts for r in (*p.refs, *(c.ref for c in p.cases)) if r))

    @property
    def deadline(self) -> DeadlineStatus | None:
        return next((p.status for p in self.parts if p.status is not None), None)


# ---------------------------------------------------------------- text


def looks_like_question(text: str) -> bool:
    """Whether a typed text reads as a question rather than a statement (我是工程师 is an answer typed
    instead of pressed; 我退休了能报吗 is a question). Traditional characters count as simplified."""
    return bool(_QUESTION_MARKERS.search(simplified(unicodedata.normalize("NFKC", text))))


_QUESTION_MARKERS = re.compile(
    r"[?？]|吗|么|呢|啥|什么|怎么|怎样|如何|为何|为什么|几|多少|多久|是否|能否|可否|有没有|要不要|能不能|可不可以"
    r"|是不是|会不会|哪|谁|何时|何地|咋|请问|请教|问一下|想问|想知道"
)


def unanswered_text(text: str) -> str | None:
    """What to record of a question the notice does not answer: the text normalised (full-width to
    half-width, traditional to simplified, spaces collapsed), runs of six or more digits (phone or ID
    numbers) replaced by #, at most 200 characters. No user id is part of it. None for empty text."""
    text = unicodedata.normalize("NFKC", text)
    text = simplified(_SPACES.sub(" ", text)).strip()
    text = _LONG_NUMBER.sub("#", text)
    return text[:LOG_TEXT_LIMIT] or None


def unanswered_key(text: str) -> str:
    """The key under which unanswered questions are counted together: the normalised text without
    spaces or punctuation, so 评审费多少钱？ and 評審費 多少錢 are one question."""
    return normalise(text[:LOG_TEXT_LIMIT]).replace(" ", "")


def most_frequent(texts: Iterable[str], limit: int = 20) -> list[tuple[str, int]]:
    """The most frequent unanswered questions among recorded texts (unanswered_text), each as its
    most common wording with the number of times it was asked, most frequent first."""
    counts: Counter[str] = Counter()
    wordings: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        key = unanswered_key(text)
        if key:
            counts[key] += 1
            wordings[key][text] += 1
    return [(wordings[key].most_common(1)[0][0], n) for key, n in counts.most_common(limit)]


# ---------------------------------------------------------------- the index


class QaIndex:
    """What answering needs of a notice, built once (index_for): the reader, the ranking of entries and
    the composer."""

    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.reader: Reader = reader_for(notice)
        self.ranking = Ranking(notice)
        self.entries: dict[str, Entry] = self.ranking.entries
        self.predicates = interview_for(notice).predicates
        self.composer = Composer(notice, {k: e.title for k, e in self.entries.items()}, self.predicates.compile)

    def rank(self, text: str) -> list[tuple[str, float, float]]:
        return self.ranking.rank(text)


@cache
def index_for(notice: Notice) -> QaIndex:
    """The index of a notice (entries, ranking, reader), built on first use and kept."""
    return QaIndex(notice)


# ---------------------------------------------------------------- answering


def answer(
    notice: Notice,
    text: str,
    *,
    answers: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> Answer:
    """The answer to a typed question. answers: the asker's answers so far (they select variants, and
    a personal line is added when they reach an outcome); today: the date in the notice's timezone,
    for deadlines."""
    index = index_for(notice)
    described = read_situation(notice, text).answers
    return _answer(index, index.reader.read(text), text, answers or {}, today, described)


def answer_reading(
    notice: Notice,
    reading: Reading,
    answers: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    described: Mapping[str, str] | None = None,
) -> Answer:
    """The answer to a text already read (conversations.understand reads once for both uses); described: the
    interview answers the text itself states (conversations.situation): a rule they meet answers whether the
    case may go on. They select no variant: an answer is personalised only by answers confirmed (stored)."""
    index = index_for(notice)
    return _answer(index, reading, reading.text.original, answers or {}, today, described or {})


def _answer(
    index: QaIndex,
    reading: Reading,
    text: str,
    answers: Mapping[str, str],
    today: dt.date | None,
    described: Mapping[str, str],
) -> Answer:
    notice = index.notice
    question = normalise(text[:QUERY_LIMIT])
    routed = index.reader.routes(reading)
    best = routed[0].score if routed else 0.0
    if (reading.outside or reading.uncovered) and best < OUTSIDE_OVERRIDE:
        subject = (reading.uncovered or reading.outside)[0]
        return Answer(
            kind="outside",
            question=question,
            settled=False,
            contacts=notice.contacts,
            outside=subject,
            via="outside",
            today=today,
        )
    # The variant an item is answered in: the question's own words (管寺, 初级, 已经回来了) over the answers stored;
    # a description's answers count only once confirmed (the chat stores them then).
    selections = {**answers, **index.reader.selections(reading)}
    decided = _decided_by_case(index, reading, described)
    if decided is not None:  # 援派期就半年 能报不: the rule the described case meets answers it
        composed = _compose(index, decided, question, "answer", 1.0, (), answers, selections, today, via="case")
        return _asked_beyond(index, reading, composed, frozenset())
    if routed and best >= ROUTE_THRESHOLD:
        top = _break_tie(index, text, [r for r in routed if r.score >= best - 1e-9])
        tied = [r for r in routed if r.target != top.target and r.score >= best - ROUTE_CLOSE][: MAX_ALTERNATIVES - 1]
        others = [_candidate(index, r.target, r.score, min(1.0, r.score / 2)) for r in tied]
        if not others and best < WEAK_ROUTE:  # only general words (材料, 申报): offer the closest entries too
            others = [c for c in candidates(notice, text) if c.key != top.target][: MAX_ALTERNATIVES - 1]
        alternatives = (_candidate(index, top.target, top.score, min(1.0, best / 2)), *others) if others else ()
        composed = _compose(
            index,
            top.target,
            question,
            "choose" if alternatives else "answer",
            min(1.0, best / 2),
            alternatives,
            answers,
            selections,
            today,
            via="route",
        )
        open_point = _open_point(index, reading, top) or _unstated(index, reading, composed)
        if open_point is not None:  # the entry is the nearest, but the detail asked is not settled
            return replace(composed, kind="unsettled", settled=False, contacts=notice.contacts, open_point=open_point)
        if _asks_an_open_case(index, reading, top):
            return replace(composed, kind="unsettled", settled=False, contacts=notice.contacts, open_case=True)
        return _asked_beyond(index, reading, composed, _subject(index, top.things))
    if not question.replace(" ", ""):
        return Answer(
            kind="not_found", question=question, settled=False, contacts=notice.contacts, via="none", today=today
        )
    alone = _kind_alone(index, reading)
    if alone is not None:  # 什么时候截止: a kind asked with no subject, answered by the lexicon's entry for it
        composed = _compose(index, alone, question, "answer", 0.5, (), answers, selections, today, via="kind")
        return _asked_beyond(index, reading, composed, frozenset())
    ranked = index.rank(text)
    if not ranked or ranked[0][2] < CONFIDENCE_THRESHOLD:
        return Answer(
            kind="not_found",
            question=question,
            settled=False,
            confidence=round(ranked[0][2], 3) if ranked else 0.0,
            contacts=notice.contacts,
            via="none",
            today=today,
        )
    top_key, top_score, coverage = ranked[0]
    found = _distinct(index, ranked)
    close_candidates = [
        c
        for c in found[1:MAX_ALTERNATIVES]
        if c.score >= CLOSE_RATIO * top_score and c.confidence >= coverage - CLOSE_CONFIDENCE
    ]
    kind = "choose" if close_candidates else "answer"
    alternatives = tuple(found[: 1 + len(close_candidates)]) if close_candidates else ()
    composed = _compose(
        index, top_key, question, kind, coverage, alternatives, answers, selections, today, via="ranking"
    )
    open_point = reading.open_points[0] if reading.open_points else _unstated(index, reading, composed)
    if open_point is not None:
        return replace(composed, kind="unsettled", settled=False, contacts=notice.contacts, open_point=open_point)
    return _asked_beyond(index, reading, composed, frozenset())


def _kind_alone(index: QaIndex, reading: Reading) -> str | None:
    """The entry the lexicon gives for the one kind a question asks when it says nothing else: no
    subject, and no word left once the kind's words, fillers, hedges and function words are taken out
    (什么时候截止 is; 通知是哪天发的 is not)."""
    if reading.mentions or reading.open_points or len(reading.kinds) != 1:
        return None
    lexicon = index.reader.lexicon
    kind = next((k for k in lexicon.kinds if k.id == reading.kinds[0]), None)
    if kind is None or kind.alone is None:
        return None
    rest = reading.text.text
    spoken = {word for _, word in reading.kind_words}
    for word in sorted({*spoken, *lexicon.fillers, *lexicon.hedges, *lexicon.function_words}, key=len, reverse=True):
        rest = rest.replace(word, "")
    return kind.alone if not re.sub(r"[\W\d_]", "", rest) else None


# The verdicts of rules that answer "may I?" for a case described in the question itself.
CASE_VERDICTS = ("ineligible", "not_covered", "other_route", "conditional")


def _decided_by_case(index: QaIndex, reading: Reading, described: Mapping[str, str]) -> str | None:
    """A rule that the case the question describes meets (援派期就半年, 退休返聘, 第三次又被退回), when the
    question asks whether it may go on (may, what if): the rule answers it."""
    if not described or not {"may", "whatif"} & set(reading.kinds):
        return None
    compile_ = index.predicates.compile
    for rule in index.notice.rules:
        if rule.verdict in CASE_VERDICTS and compile_(rule.when)(described) is True:
            return f"rule:{rule.id}"
    return None


def _subject(index: QaIndex, things: Iterable[str]) -> frozenset[str]:
    return frozenset(x for t in things for x in (t, *index.reader.ancestors[t]))


def _asked_beyond(
    index: QaIndex, reading: Reading, composed: Answer, subject: frozenset[str], *, asking_clauses: bool = True
) -> Answer:
    """The answer as unsettled when the question asks for something its words do not state (a detail,
    one of two alternatives, something proposed, a case supposed: conversations.asking)."""
    if not composed.settled:
        return composed
    words = unsettled_ask(index.reader, reading, _shown(composed), subject, asking_clauses=asking_clauses)
    if words is None:
        return composed
    return replace(composed, kind="unsettled", settled=False, contacts=index.notice.contacts, open_point=words)


def _shown(composed: Answer) -> str:
    """The words of an answer's parts: titles, sentences, the notice's words, every case."""
    return " ".join(
        x
        for p in composed.parts
        for x in (p.title, *p.sentences, p.quote, *(c.detail for c in p.cases), *(c.quote for c in p.cases))
    )


def _open_point(index: QaIndex, reading: Reading, top: Routed) -> str | None:
    """Words asking for a detail the notice does not settle: an open point of the lexicon (底色), or the
    words of a kind of question the lexicon says the notice leaves open about a thing the answer is
    for (the format of the proof of years: 年限证明的格式)."""
    if reading.open_points:
        return reading.open_points[0]
    things = index.reader.things
    open_kinds = {k for t in top.things for k in things[t].open_kinds}
    return next((words for kind, words in reading.kind_words if kind in open_kinds), None)


def _unstated(index: QaIndex, reading: Reading, composed: Answer) -> str | None:
    """The words of the main kind of question when the answer does not state what that kind asks for
    (多久 answered without a number of days, 几楼 without a floor): the notice does not give it."""
    if not reading.kinds or reading.kinds[0] not in index.reader.expects:
        return None
    kind = reading.kinds[0]
    if composed.deadline is not None or index.reader.expects[kind].search(_shown(composed)):
        return None
    return next((words for k, words in reading.kind_words if k == kind), None)


def _asks_an_open_case(index: QaIndex, reading: Reading, top: Routed) -> bool:
    """A question of what happens in a case (公示期间有人提意见怎么办) answered with a checklist item, which
    says what to provide: the notice does not settle the case unless the item answers that kind of
    question itself or the question's words select one of its variants (学信网查不到怎么办)."""
    asked = set(reading.kinds) & index.reader.contingencies
    if not asked or top.kind in asked or not top.target.startswith("item:"):
        return False
    named = index.reader.selections(reading)
    item = next(it for it in index.notice.items if f"item:{it.id}" == top.target)
    compile_ = index.predicates.compile
    return not any(compile_(v.when)(named) is True for v in item.variants)


def _break_tie(index: QaIndex, text: str, tied: list[Routed]) -> Routed:
    """Among routes that score the same, the one whose entry the ranking puts first."""
    if len(tied) == 1:
        return tied[0]
    order = {key: i for i, (key, _, _) in enumerate(index.rank(text))}
    return min(tied, key=lambda r: order.get(r.target, len(order)))


def candidates(notice: Notice, text: str, limit: int = MAX_ALTERNATIVES) -> list[Candidate]:
    """The entries the question may be about, best first: those the reader routes to, then those the
    ranking finds above the confidence threshold; one per entry."""
    index = index_for(notice)
    reading = index.reader.read(text)
    out: list[Candidate] = []
    seen: set[str] = set()
    routed = [r for r in index.reader.routes(reading) if r.score >= ROUTE_THRESHOLD]
    if routed:
        top = _break_tie(index, text, [r for r in routed if r.score >= routed[0].score - 1e-9])
        routed = [top, *(r for r in routed if r is not top)]
    for r in routed:
        if r.target not in seen:
            seen.add(r.target)
            out.append(_candidate(index, r.target, r.score, min(1.0, r.score / 2)))
    for c in _distinct(index, index.rank(text)):
        if c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out[:limit]


def targets_of(notice: Notice, key: str) -> tuple[str, ...]:
    """The knowledge entries an entry key rests on, the main one first."""
    if key.startswith("topic:"):
        topic = next((t for t in notice.topics if f"topic:{t.id}" == key), None)
        return topic.points_to if topic else ()
    return (key,) if key in index_for(notice).entries else ()


def answer_entry(
    notice: Notice,
    key: str,
    *,
    answers: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> Answer | None:
    """The answer for an entry the asker chose among the alternatives (its Candidate.key), or None for
    a key this notice does not have (a stale button)."""
    index = index_for(notice)
    if key not in index.entries:
        return None
    given = answers or {}
    return _compose(index, key, "", "answer", 1.0, (), given, dict(given), today, via="chosen")


def _candidate(index: QaIndex, key: str, score: float, confidence: float) -> Candidate:
    entry = index.entries[key]
    label = entry.label or entry.title or key
    return Candidate(
        key=key,
        title=entry.title or key,
        score=score,
        confidence=round(confidence, 3),
        label=label if len(label) <= BUTTON_LABEL_LIMIT else label[: BUTTON_LABEL_LIMIT - 1] + "…",
    )


def _distinct(index: QaIndex, ranked: list[tuple[str, float, float]]) -> list[Candidate]:
    """Candidates above the threshold, one per main target (a topic and the entry it points at are one)."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for key, score, coverage in ranked:
        if coverage < CONFIDENCE_THRESHOLD:
            continue
        targets = targets_of(index.notice, key) or (key,)
        if key in seen or targets[0] in seen:
            continue
        seen.update({key, targets[0]})
        out.append(_candidate(index, key, score, coverage))
        if len(out) > MAX_ALTERNATIVES:
            break
    return out


# ---------------------------------------------------------------- composing


def _compose(
    index: QaIndex,
    key: str,
    question: str,
    kind: str,
    confidence: float,
    alternatives: tuple[Candidate, ...],
    answers: Mapping[str, str],
    selections: Mapping[str, str],
    today: dt.date | None,
    via: str,
) -> Answer:
    notice = index.notice
    parts = parts_of(index.composer, key, selections, today)
    settled = all(p.settled for p in parts) and index.entries[key].settled
    targets = targets_of(notice, key) or (key,)
    main = targets[0]
    return Answer(
        kind=kind if settled else "unsettled",
        question=question,
        entry=key,
        targets=targets,
        title=parts[0].title if parts else index.entries[key].title,
        parts=parts,
        settled=settled,
        confidence=round(confidence, 3),
        personal=personal(notice, main, answers) if answers else None,
        today=today,
        alternatives=alternatives,
        contacts=notice.contacts if (not settled or CONTACTS_TARGET in targets) else None,
        via=via,
    )


def today_in(notice: Notice, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the notice's timezone (deadlines are reckoned there)."""
    zone = ZoneInfo(notice.info.timezone)
    return (now or dt.datetime.now(zone)).astimezone(zone).date()
