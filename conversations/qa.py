"""Questions typed in plain Chinese, answered from the notice. Pure and synchronous.

1. The reader (conversations.reader, with the notice's lexicon) finds the things a question names and
   the kind of question; the entry that answers that pair answers. A question that names a subject
   the notice does not deal with (fees, results, salaries, other series, 兵团 …) is answered as
   outside the notice (本通知未涉及此问题) with the contacts.
2. Otherwise the entries are ranked as whole texts (BM25 over character and pinyin bigrams, the
   lexicon's forms folded into one word): the fallback for what the things and kinds do not decide.
   Below CONFIDENCE_THRESHOLD nothing is claimed: 未找到与此对应的条款, with the contacts.

The answer is composed from the knowledge file: an item with variants names the variant that the
question's words or the asker's answers select (管寺 → 统战部门; 初级 → 一式一份), else gives every
variant side by side; placeholders ({level}) are filled, never shown. What the notice leaves open is
answered as such (kind unsettled) with the contacts. Deadlines carry their state from
conversations.season."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from zoneinfo import ZoneInfo

from conversations.interview import interview_for
from conversations.outcome import IncompleteAnswers, KnowledgeGap, Outcome, evaluate
from conversations.reader import Reader, Reading, Routed, reader_for
from conversations.season import DeadlineStatus, deadline_status
from conversations.textnorm import normalise, pinyin_table, simplified
from knowledge.clauses import clause_texts
from knowledge.loader import LEVEL_QUESTION
from knowledge.model import CONTACTS_TARGET, Contacts, Deadline, Item, Notice

__all__ = ["Answer", "Candidate", "Case", "Part", "Personal", "answer", "answer_entry", "candidates", "index_for",
           "looks_like_question", "most_frequent", "normalise", "targets_of", "today_in", "unanswered_key",
           "unanswered_text"]

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
MAX_ALTERNATIVES = 3
BUTTON_LABEL_LIMIT = 30
# Field weights of the three token kinds in BM25.
WEIGHTS = {"bi": 1.0, "uni": 0.35, "py": 0.45}
# The notice's clause texts rank below entries that say the same thing more directly.
CLAUSE_FACTOR = 0.85
# The interview's questions and the annexes are found too, below the entries that answer.
QUESTION_FACTOR = 0.8
# An alternative is offered only if it covers the question about as well as the best entry.
CLOSE_CONFIDENCE = 0.1
# How much the share of the question's bigrams the notice never uses lowers the confidence.
UNSEEN_PENALTY = 0.5
K1 = 1.2
B = 0.75
LOG_TEXT_LIMIT = 200
# Only the start of a very long message is matched (a question is short; this bounds the time).
QUERY_LIMIT = 200
# A clause quoted whole is cut after this many characters.
CLAUSE_QUOTE_LIMIT = 1200

_CJK = re.compile(r"[\u3400-\u9fff]+|[0-9a-z]+")
_LONG_NUMBER = re.compile(r"\d{6,}")
_SPACES = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

# Answer kinds: an entry answers (answer; choose when close entries are offered beside it); the notice
# leaves it open (unsettled); nothing answers well enough (not_found); a subject outside the notice (outside).
ENTRY_KINDS = ("answer", "choose", "unsettled")
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


class _Analyzer:
    """Text -> tokens, with the lexicon's forms of one thing folded into its first name and its fillers dropped."""

    def __init__(self, notice: Notice) -> None:
        lexicon = notice.lexicon
        self.canonical: dict[str, str] = {}
        for thing in lexicon.things if lexicon else ():
            words = [normalise(w).replace(" ", "") for w in thing.names]
            for word in words:  # the first maps to itself: it is cut out as a word of its own
                if word:
                    self.canonical.setdefault(word, words[0])
        self.synonym_re = _alternation(self.canonical)
        self.filler_re = _alternation(normalise(w).replace(" ", "") for w in (lexicon.fillers if lexicon else ()))
        self.pinyin = pinyin_table()

    def pieces(self, text: str) -> list[str]:
        text = normalise(text)
        if self.synonym_re is not None:
            text = self.synonym_re.sub(lambda m: " " + self.canonical[m.group(0)] + " ", text)
        # The canonical words stay whole: a filler inside one (了 in 退了休) is not removed.
        out: list[str] = []
        canonical = set(self.canonical.values())
        for chunk in text.split():
            if chunk in canonical:
                out.append(chunk)
            elif self.filler_re is not None:
                out.extend(self.filler_re.sub(" ", chunk).split())
            else:
                out.append(chunk)
        return out

    def tokens(self, text: str) -> dict[str, Counter[str]]:
        fields: dict[str, Counter[str]] = {"bi": Counter(), "uni": Counter(), "py": Counter()}
        for piece in self.pieces(text):
            for run in _CJK.findall(piece):
                if run[0].isascii():
                    fields["bi"][run] += 1
                    continue
                fields["uni"].update(run)
                fields["bi"].update(run[i:i + 2] for i in range(len(run) - 1))
                syllables = [self.pinyin.get(ch, ch) for ch in run]
                if len(run) == 1:
                    fields["py"][syllables[0]] += 1
                fields["py"].update(f"{a}_{b}" for a, b in itertools.pairwise(syllables))
        return fields


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


# ---------------------------------------------------------------- the entries


@dataclass(frozen=True)
class _Entry:
    """Something an answer can be: a rule, note, item, deadline, interpretation, interview question,
    attachment, topic, clause or the contacts, with its title and the texts it is found by."""

    key: str
    title: str
    texts: tuple[str, ...]
    factor: float = 1.0
    settled: bool = True
    label: str = ""


def _entries(notice: Notice) -> list[_Entry]:
    headings = {cl.ref: cl.heading for cl in notice.clauses}
    entries: list[_Entry] = []
    for r in notice.rules:
        entries.append(_Entry(f"rule:{r.id}", headings.get(r.ref, r.ref), (r.reason, r.quote),
                              settled=r.verdict != "not_covered"))
    for n in notice.notes:
        entries.append(_Entry(f"note:{n.id}", headings.get(n.ref, n.ref), (n.text, n.quote)))
    for it in notice.items:
        texts = [it.title, _fill(it.detail, it.generic), it.quote]
        for v in it.variants:
            texts += [t for t in (v.title, v.detail) if t]
        entries.append(_Entry(f"item:{it.id}", _fill(it.title, it.generic), tuple(texts)))
    for d in notice.deadlines:
        entries.append(_Entry(f"deadline:{d.id}", d.title, (f"{d.title} {d.due_text}", d.quote)))
    for i in notice.interpretations:
        entries.append(_Entry(f"interpretation:{i.id}", i.question.rstrip("。"), (i.question, i.choice),
                              settled=False))
    for q in notice.questions:
        texts = [q.text, *(o.label for o in q.options)] + ([q.help] if q.help else [])
        entries.append(_Entry(f"question:{q.id}", q.text, tuple(texts), QUESTION_FACTOR))
    for a in notice.attachments:
        entries.append(_Entry(f"attachment:{a.id}", f"{a.ref} {a.title}", (a.title, *a.paragraphs), 0.9))
    c = notice.contacts
    contact_text = f"联系人 {' '.join(c.people)} 联系电话 {' '.join(c.phones)} 材料报送地址 {c.address}"
    entries.append(_Entry(CONTACTS_TARGET, headings.get(c.ref, "联系方式"), (contact_text,)))
    for ref, text in clause_texts(notice).items():
        entries.append(_Entry(f"clause:{ref}", headings[ref], (headings[ref], text), CLAUSE_FACTOR))
    titles = {e.key: e.title for e in entries}
    for t in notice.topics:
        title = t.title or (headings.get(t.ref or "") if t.ref else None) or next(
            (titles[k] for k in t.points_to if k in titles), t.id)
        topic_texts = tuple(x for x in (t.title, t.answer, t.quote) if x) or (title,)
        entries.append(_Entry(f"topic:{t.id}", title, topic_texts, settled=t.settled, label=title))
    # How people name things: a thing's forms find the entry that answers it by default.
    lexicon = notice.lexicon
    by_key = {e.key: e for e in entries}
    for thing in lexicon.things if lexicon else ():
        target = thing.answers.get("default")
        if target in by_key:
            e = by_key[target]
            by_key[target] = _Entry(e.key, e.title, (*e.texts, " ".join(thing.names)), e.factor, e.settled, e.label)
    return list(by_key.values())


@dataclass
class _Field:
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    lengths: list[int] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    avgdl: float = 1.0
    unseen_idf: float = 0.0


class QaIndex:
    """Every entry of a notice, the texts it is found by and the reader. Built once per notice (index_for)."""

    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.reader: Reader = reader_for(notice)
        self.analyzer = _Analyzer(notice)
        self.entries: dict[str, _Entry] = {}
        self.doc_entry: list[str] = []
        self.doc_factor: list[float] = []
        self.fields = {name: _Field() for name in WEIGHTS}
        for entry in _entries(notice):
            self.entries[entry.key] = entry
            for text in entry.texts:
                self._add(entry.key, text, entry.factor)
        n = len(self.doc_entry)
        for f in self.fields.values():
            f.avgdl = (sum(f.lengths) / n) if n else 1.0
            f.idf = {t: _idf(n, len(p)) for t, p in f.postings.items()}
            f.unseen_idf = _idf(n, 0)
            f.postings = dict(f.postings)
        self.predicates = interview_for(notice).predicates

    def _add(self, key: str, text: str, factor: float) -> None:
        doc = len(self.doc_entry)
        self.doc_entry.append(key)
        self.doc_factor.append(factor)
        for name, counts in self.analyzer.tokens(text).items():
            f = self.fields[name]
            f.lengths.append(sum(counts.values()))
            for token, tf in counts.items():
                f.postings[token].append((doc, tf))

    def rank(self, text: str) -> list[tuple[str, float, float]]:
        """(entry key, BM25 score, confidence) best first, one per entry (its best document)."""
        query = self.analyzer.tokens(text[:QUERY_LIMIT])
        scores: dict[int, float] = defaultdict(float)
        matched: dict[str, dict[int, float]] = {name: defaultdict(float) for name in WEIGHTS}
        totals: dict[str, float] = {}
        for name, counts in query.items():
            f, w = self.fields[name], WEIGHTS[name]
            totals[name] = 0.0
            for token in counts:
                idf = f.idf.get(token, f.unseen_idf)
                totals[name] += idf
                for doc, tf in f.postings.get(token, ()):
                    norm = K1 * (1 - B + B * f.lengths[doc] / f.avgdl)
                    scores[doc] += w * idf * tf * (K1 + 1) / (tf + norm)
                    matched[name][doc] += idf

        # Words of the question the notice never uses, not even as a homophone, make every match
        # less certain: a question about something else shares only its frame (要哪几年) with the notice.
        bigrams = [t for t in query["bi"] if not t.isascii()]
        unseen = sum(1 for t in bigrams if t not in self.fields["bi"].idf and self._pinyin_pair(t) not in
                     self.fields["py"].idf)
        certainty = 1.0 - UNSEEN_PENALTY * (unseen / len(bigrams)) if bigrams else 1.0

        def share(name: str, doc: int) -> float:
            return matched[name].get(doc, 0.0) / totals[name] if totals.get(name) else 0.0

        best: dict[str, tuple[float, float]] = {}
        for doc, score in scores.items():
            key = self.doc_entry[doc]
            score *= self.doc_factor[doc]
            confidence = certainty * (0.5 * share("uni", doc) + 0.5 * max(share("bi", doc), share("py", doc)))
            if key not in best or score > best[key][0]:
                best[key] = (score, confidence)
        return sorted(((k, s, c) for k, (s, c) in best.items()), key=lambda x: -x[1])

    def _pinyin_pair(self, bigram: str) -> str:
        table = self.analyzer.pinyin
        return f"{table.get(bigram[0], bigram[0])}_{table.get(bigram[1], bigram[1])}"


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


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
    return _answer(index, index.reader.read(text), text, answers or {}, today)


def answer_reading(
    notice: Notice, reading: Reading, answers: Mapping[str, str] | None = None, today: dt.date | None = None
) -> Answer:
    """The answer to a text already read (conversations.understand reads once for both uses)."""
    index = index_for(notice)
    return _answer(index, reading, reading.text.original, answers or {}, today)


def _answer(index: QaIndex, reading: Reading, text: str, answers: Mapping[str, str], today: dt.date | None) -> Answer:
    notice = index.notice
    question = normalise(text[:QUERY_LIMIT])
    routed = index.reader.routes(reading)
    best = routed[0].score if routed else 0.0
    if (reading.outside or reading.uncovered) and best < OUTSIDE_OVERRIDE:
        subject = (reading.uncovered or reading.outside)[0]
        return Answer(kind="outside", question=question, settled=False, contacts=notice.contacts, outside=subject,
                      via="outside", today=today)
    selections = {**answers, **index.reader.selections(reading)}
    if routed and best >= ROUTE_THRESHOLD:
        top = _break_tie(index, text, [r for r in routed if r.score >= best - 1e-9])
        tied = [r for r in routed if r.target != top.target and r.score >= best - ROUTE_CLOSE][:MAX_ALTERNATIVES - 1]
        others = [_candidate(index, r.target, r.score, min(1.0, r.score / 2)) for r in tied]
        if not others and best < WEAK_ROUTE:  # only general words (材料, 申报): offer the closest entries too
            others = [c for c in candidates(notice, text) if c.key != top.target][:MAX_ALTERNATIVES - 1]
        alternatives = (_candidate(index, top.target, top.score, min(1.0, best / 2)), *others) if others else ()
        composed = _compose(index, top.target, question, "choose" if alternatives else "answer", min(1.0, best / 2),
                            alternatives, answers, selections, today, via="route")
        open_point = _open_point(index, reading, top) or _unstated(index, reading, composed)
        if open_point is not None:  # the entry is the nearest, but the detail asked is not settled
            return replace(composed, kind="unsettled", settled=False, contacts=notice.contacts, open_point=open_point)
        if _asks_an_open_case(index, reading, top):
            return replace(composed, kind="unsettled", settled=False, contacts=notice.contacts, open_case=True)
        return composed
    if not question.replace(" ", ""):
        return Answer(kind="not_found", question=question, settled=False, contacts=notice.contacts, via="none",
                      today=today)
    ranked = index.rank(text)
    if not ranked or ranked[0][2] < CONFIDENCE_THRESHOLD:
        return Answer(kind="not_found", question=question, settled=False,
                      confidence=round(ranked[0][2], 3) if ranked else 0.0, contacts=notice.contacts, via="none",
                      today=today)
    top_key, top_score, coverage = ranked[0]
    found = _distinct(index, ranked)
    close_candidates = [c for c in found[1:MAX_ALTERNATIVES]
                        if c.score >= CLOSE_RATIO * top_score and c.confidence >= coverage - CLOSE_CONFIDENCE]
    kind = "choose" if close_candidates else "answer"
    alternatives = tuple(found[: 1 + len(close_candidates)]) if close_candidates else ()
    return _compose(index, top_key, question, kind, coverage, alternatives, answers, selections, today, via="ranking")


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
    shown = " ".join(x for p in composed.parts for x in (p.title, *p.sentences, p.quote,
                                                          *(c.detail for c in p.cases), *(c.quote for c in p.cases)))
    if composed.deadline is not None or index.reader.expects[kind].search(shown):
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
    return Candidate(key=key, title=entry.title or key, score=score, confidence=round(confidence, 3),
                     label=label if len(label) <= BUTTON_LABEL_LIMIT else label[:BUTTON_LABEL_LIMIT - 1] + "…")


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
    parts = _parts(index, key, selections, today)
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
        personal=_personal(notice, main, answers) if answers else None,
        today=today,
        alternatives=alternatives,
        contacts=notice.contacts if (not settled or CONTACTS_TARGET in targets) else None,
        via=via,
    )


def _parts(index: QaIndex, key: str, selections: Mapping[str, str], today: dt.date | None) -> tuple[Part, ...]:
    notice = index.notice
    kind, _, ident = key.partition(":")
    if kind != "topic":
        part = _part(index, key, selections, today)
        return (part,) if part else ()
    topic = next(t for t in notice.topics if t.id == ident)
    if topic.answer is None:
        return tuple(p for k in topic.points_to if (p := _part(index, k, selections, today)) is not None)
    resting = [p for k in topic.points_to if (p := _part(index, k, selections, today)) is not None]
    quote = topic.quote or next((p.quote for p in resting if p.quote and not p.key.startswith("interpretation:")), "")
    refs = ((topic.ref,) if topic.ref else ()) + tuple(r for p in resting for r in p.refs)
    title = index.entries[key].title
    deadline = next((p for p in resting if p.deadline is not None), None)
    return (Part(key=key, title=title, sentences=(topic.answer,), quote=quote, refs=tuple(dict.fromkeys(refs)),
                 deadline=deadline.deadline if deadline else None, status=deadline.status if deadline else None,
                 settled=topic.settled),)


def _part(index: QaIndex, key: str, selections: Mapping[str, str], today: dt.date | None) -> Part | None:
    notice = index.notice
    headings = {cl.ref: cl.heading for cl in notice.clauses}
    kind, _, ident = key.partition(":")
    if key == CONTACTS_TARGET:
        c = notice.contacts
        return Part(key=key, title=headings.get(c.ref, c.ref), quote=c.quote, refs=(c.ref,))
    if kind == "rule":
        r = next(x for x in notice.rules if x.id == ident)
        return Part(key=key, title=headings.get(r.ref, r.ref), sentences=(r.reason,), quote=r.quote, refs=(r.ref,),
                    settled=r.verdict != "not_covered")
    if kind == "note":
        n = next(x for x in notice.notes if x.id == ident)
        return Part(key=key, title=headings.get(n.ref, n.ref), sentences=(n.text,), quote=n.quote, refs=(n.ref,))
    if kind == "item":
        return _item_part(index, next(x for x in notice.items if x.id == ident), selections)
    if kind == "deadline":
        d = next(x for x in notice.deadlines if x.id == ident)
        return Part(key=key, title=d.title, sentences=(d.note,) if d.note else (), quote=d.quote, refs=(d.ref,),
                    deadline=d, status=deadline_status(d, today) if today is not None and d.due else None)
    if kind == "interpretation":
        i = next(x for x in notice.interpretations if x.id == ident)
        return Part(key=key, title=i.question.rstrip("。"), sentences=(i.choice,), refs=(i.ref,), settled=False)
    if kind == "question":
        q = next(x for x in notice.questions if x.id == ident)
        return Part(key=key, title=q.text, sentences=(q.help,) if q.help else (), refs=q.refs)
    if kind == "attachment":
        a = next(x for x in notice.attachments if x.id == ident)
        return Part(key=key, title=f"{a.ref} {a.title}", quote=" ".join(" ".join(p.split()) for p in a.paragraphs),
                    refs=(a.ref,))
    if kind == "clause":
        text = clause_texts(notice).get(ident, "")
        quote = text if len(text) <= CLAUSE_QUOTE_LIMIT else text[:CLAUSE_QUOTE_LIMIT] + "……"
        return Part(key=key, title=headings.get(ident, ident), quote=quote, refs=(ident,))
    return None


def _item_part(index: QaIndex, item: Item, selections: Mapping[str, str]) -> Part:
    """An item as the selections make it: the variant they select (or the item's own case when they
    rule out every variant), else every case side by side. Placeholders are filled with the level
    selected, else with the item's generic words."""
    key = f"item:{item.id}"
    values = dict(item.generic)
    level = index.notice.level(selections.get(LEVEL_QUESTION, ""))
    if level is not None:
        values["level"] = level.name
    if not item.variants:
        return Part(key=key, title=_fill(item.title, values), sentences=(_fill(item.detail, values),),
                    quote=item.quote, refs=(item.ref,))
    compile_ = index.predicates.compile
    states = [compile_(v.when)(selections) for v in item.variants]
    chosen = next((v for v, state in zip(item.variants, states, strict=True) if state is True), None)
    if chosen is not None:
        return Part(key=key, title=_fill(chosen.title or item.title, values),
                    sentences=(_fill(chosen.detail or item.detail, values),), quote=chosen.quote,
                    refs=tuple(dict.fromkeys(r for r in (chosen.ref, item.ref) if r)), variant=chosen.label,
                    settled=not chosen.unclear)
    base_refs = tuple(dict.fromkeys(r for r in (item.base_ref, item.ref) if r))
    if all(state is False for state in states):
        return Part(key=key, title=_fill(item.title, values), sentences=(_fill(item.detail, values),),
                    quote=item.base_quote or item.quote, refs=base_refs, variant=item.base_label)
    cases = [Case(item.base_label or "", _fill(item.title, values), _fill(item.detail, values),
                  item.base_quote or item.quote, base_refs[0])]
    for v in item.variants:
        cases.append(Case(v.label or "", _fill(v.title or item.title, values), _fill(v.detail or item.detail, values),
                          v.quote, v.ref or item.ref))
    heading = index.notice.clause(item.ref)
    return Part(key=key, title=heading.heading if heading else item.ref,
                refs=tuple(dict.fromkeys((*base_refs, *(c.ref for c in cases)))), cases=tuple(cases))


def _fill(text: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _personal(notice: Notice, key: str, answers: Mapping[str, str]) -> Personal | None:
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
        if generic is not None and item.title != _fill(generic.title, generic.generic):
            return Personal("in_checklist", item.title, item.ref)
        if generic is not None and item.detail != _fill(generic.detail, generic.generic):
            return Personal("in_checklist", item.detail, item.ref)
        return Personal("on_checklist", "", item.ref)
    exemption = next((ex for ex in outcome.exemptions if ex.id == item_id), None)
    if exemption is not None:
        return Personal("exempt", exemption.reason, exemption.ref)
    return Personal("not_in_checklist")


def today_in(notice: Notice, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the notice's timezone (deadlines are reckoned there)."""
    zone = ZoneInfo(notice.info.timezone)
    return (now or dt.datetime.now(zone)).astimezone(zone).date()
