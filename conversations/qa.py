"""Questions typed in plain Chinese, answered from the notice: the entry that answers, its clause and
the notice's own words, or an honest "not covered" with the contacts. Pure and synchronous.

Matching: the text is normalised (full-width to half-width, traditional to simplified characters,
lower case), the notice's synonyms are replaced by the word they stand for, filler words are dropped,
and what remains is cut into character unigrams and bigrams plus toneless pinyin bigrams (so that a
homophone typed by mistake, 申抱 for 申报, still matches). Documents are every FAQ phrasing, rule,
note, item, deadline, interpretation, interview question, attachment, the contacts and the text of
every clause; they are ranked with BM25 (Okapi, k1=1.2, b=0.75), each entry by its best document.

Confidence is the share of the question, weighted by how rare each of its tokens is in the notice,
that the best document contains. Below CONFIDENCE_THRESHOLD the answer is not_covered: the notice
does not settle the question and the contacts are given. Words the notice never uses weigh the most,
so a question about something else (fees, results, salaries) falls below the threshold."""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from opencc import OpenCC  # type: ignore[import-untyped]

from conversations.outcome import IncompleteAnswers, KnowledgeGap, Outcome, evaluate
from knowledge.clauses import clause_texts
from knowledge.model import CONTACTS_TARGET, Contacts, Notice

LEXICON_FILE = Path(__file__).resolve().parent / "qa_lexicon.yaml"

# An answer is given only when the best entry covers at least this share of the question.
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

_NON_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u9fff]+|[0-9a-z]+")
_LONG_NUMBER = re.compile(r"\d{6,}")
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------- the result


@dataclass(frozen=True)
class Candidate:
    """An entry the question may be about: its key (for a button's callback data), its title and a
    short label for a button (an FAQ entry's first phrasing, else the title, at most 30 characters)."""

    key: str
    title: str
    score: float
    confidence: float = 0.0
    label: str = ""


@dataclass(frozen=True)
class DeadlineState:
    """A dated deadline and, when today is known, where today stands against it. state: open,
    last_day, unclear_day (the due day of a deadline written as 前, whose own day the notice does not
    settle: see the interpretation paper_deadline_last_day) or passed; None without today."""

    id: str
    title: str
    due: dt.date
    due_text: str
    inclusive: bool
    ref: str
    last_day: dt.date  # the last day that is surely in time: the due day, or the day before it for 前
    today: dt.date | None = None
    state: str | None = None
    days_left: int = 0  # whole days from today until last_day (0 on it or after)


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
class Answer:
    kind: str  # "answer" | "choose" | "not_covered"
    question: str  # the text as normalised for matching
    entry: str | None = None  # the key that matched: "faq:retiree", "rule:retired", "clause:五（一）8" …
    targets: tuple[str, ...] = ()  # the knowledge entries the answer rests on, the main one first
    title: str = ""
    sentences: tuple[str, ...] = ()  # one or two direct sentences
    quote: str = ""  # the notice's own words
    ref: str = ""  # the clause they are from
    settled: bool = True  # False: the notice does not settle this (the contacts are given)
    confidence: float = 0.0
    personal: Personal | None = None
    deadline: DeadlineState | None = None
    alternatives: tuple[Candidate, ...] = ()  # for kind "choose": the close entries, best first
    contacts: Contacts | None = None  # given whenever the notice does not settle the question

    @property
    def answered(self) -> bool:
        """Whether an entry of the notice answers the question (a not-covered answer without an
        entry is what the office should look at: see `unanswered_text`)."""
        return self.entry is not None


# ---------------------------------------------------------------- text


@cache
def _converter() -> Any:
    return OpenCC("t2s")


@cache
def _lexicon() -> dict[str, Any]:
    with LEXICON_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)  # type: ignore[no-any-return]


@cache
def _pinyin_table() -> dict[str, str]:
    """Character -> its first toneless pinyin reading, from pypinyin's character table. The table is
    read on its own: importing pypinyin would load its 50 MB phrase dictionary, which this does not need."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "pinyin_dict.json"
    raw: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for code, readings in raw.items():
        ch = chr(int(code))
        if "\u3400" <= ch <= "\u9fff":
            first = readings.split(",")[0]
            table[ch] = "".join(c for c in unicodedata.normalize("NFD", first) if not unicodedata.combining(c))
    return table


def normalise(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case, punctuation and spaces removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NON_WORD.sub(" ", _converter().convert(text)).strip()


_QUESTION_MARKERS = re.compile(
    r"[?？]|吗|么|呢|啥|什么|怎么|怎样|如何|为何|为什么|几|多少|多久|是否|能否|可否|有没有|要不要|能不能|可不可以"
    r"|是不是|会不会|哪|谁|何时|何地|咋|请问|请教|问一下|想问|想知道"
)


def looks_like_question(text: str) -> bool:
    """Whether a typed text reads as a question rather than a statement (我是工程师 is an answer typed
    instead of pressed; 我退休了能报吗 is a question). Traditional characters count as simplified."""
    return bool(_QUESTION_MARKERS.search(_converter().convert(unicodedata.normalize("NFKC", text))))


def unanswered_text(text: str) -> str | None:
    """What to record of a question the notice does not answer: the text normalised (full-width to
    half-width, traditional to simplified, spaces collapsed), runs of six or more digits (phone or ID
    numbers) replaced by #, at most 200 characters. No user id is part of it. None for empty text."""
    text = unicodedata.normalize("NFKC", text)
    text = _converter().convert(_SPACES.sub(" ", text)).strip()
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
    """Text -> tokens, with the notice's synonyms and the fillers of the lexicon."""

    def __init__(self, synonyms: Iterable[Iterable[str]]) -> None:
        self.canonical: dict[str, str] = {}
        for group in synonyms:
            words = [normalise(w).replace(" ", "") for w in group]
            for word in words:  # the first maps to itself: it is cut out as a word of its own
                if word:
                    self.canonical[word] = words[0]
        self.synonym_re = _alternation(self.canonical)
        self.filler_re = _alternation(normalise(w).replace(" ", "") for w in _lexicon()["fillers"])
        self.pinyin = _pinyin_table()

    def pieces(self, text: str) -> list[str]:
        text = normalise(text)
        if self.synonym_re is not None:
            text = self.synonym_re.sub(lambda m: " " + self.canonical[m.group(0)] + " ", text)
        # The canonical words stay whole: a filler inside one (了 in 退了休) is not removed.
        out: list[str] = []
        for chunk in text.split():
            if chunk in self.canonical.values():
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


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class _Entry:
    key: str
    title: str
    sentences: tuple[str, ...]
    ref: str
    quote: str
    targets: tuple[str, ...]
    settled: bool = True
    label: str = ""


@dataclass
class _Field:
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    lengths: list[int] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    avgdl: float = 1.0
    unseen_idf: float = 0.0


class QaIndex:
    """Every entry of a notice and the words it can be found by. Built once per notice (see index_for)."""

    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.analyzer = _Analyzer(notice.synonyms)
        self.entries: dict[str, _Entry] = {}
        self.doc_entry: list[str] = []
        self.doc_factor: list[float] = []
        self.fields = {name: _Field() for name in WEIGHTS}
        for entry, texts, factor in _entries(notice):
            self.entries[entry.key] = entry
            for text in texts:
                self._add(entry.key, text, factor)
        n = len(self.doc_entry)
        for f in self.fields.values():
            f.avgdl = (sum(f.lengths) / n) if n else 1.0
            f.idf = {t: _idf(n, len(p)) for t, p in f.postings.items()}
            f.unseen_idf = _idf(n, 0)
            f.postings = dict(f.postings)

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
        unseen = sum(1 for t in bigrams if t not in self.fields["bi"].idf and _pinyin_pair(self, t) not in
                     self.fields["py"].idf)
        certainty = 1.0 - UNSEEN_PENALTY * (unseen / len(bigrams)) if bigrams else 1.0

        def share(name: str, doc: int) -> float:
            return matched[name].get(doc, 0.0) / totals[name] if totals.get(name) else 0.0

        best: dict[str, tuple[float, float]] = {}
        for doc, score in scores.items():
            key = self.doc_entry[doc]
            score *= self.doc_factor[doc]
            # Characters of the question found in the document, and its words (character or pinyin
            # bigrams, so a homophone typo still counts), each weighted by how rare it is.
            confidence = certainty * (0.5 * share("uni", doc) + 0.5 * max(share("bi", doc), share("py", doc)))
            if key not in best or score > best[key][0]:
                best[key] = (score, confidence)
        return sorted(((k, s, c) for k, (s, c) in best.items()), key=lambda x: -x[1])


def _pinyin_pair(index: QaIndex, bigram: str) -> str:
    table = index.analyzer.pinyin
    return f"{table.get(bigram[0], bigram[0])}_{table.get(bigram[1], bigram[1])}"


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


@cache
def index_for(notice: Notice) -> QaIndex:
    """The index of a notice, built on first use and kept."""
    return QaIndex(notice)


def _base_entries(notice: Notice) -> Iterable[tuple[_Entry, list[str], float]]:
    """Each entry but the FAQ's, with the texts it is found by and its rank factor. A rule or note is
    titled by the heading of its clause (its own text is the answer)."""
    headings = {cl.ref: cl.heading for cl in notice.clauses}
    for r in notice.rules:
        entry = _Entry(f"rule:{r.id}", headings.get(r.ref, r.ref), (r.reason,), r.ref, r.quote, (f"rule:{r.id}",))
        yield entry, [r.reason, r.quote], 1.0
    for n in notice.notes:
        entry = _Entry(f"note:{n.id}", headings.get(n.ref, n.ref), (n.text,), n.ref, n.quote, (f"note:{n.id}",))
        yield entry, [n.text, n.quote], 1.0
    for it in notice.items:
        texts = [it.title, it.detail, it.quote]
        for v in it.variants:
            texts += [t for t in (v.title, v.detail) if t]
        yield _Entry(f"item:{it.id}", it.title, (it.detail,), it.ref, it.quote, (f"item:{it.id}",)), texts, 1.0
    for d in notice.deadlines:
        sentences = (d.note,) if d.note else ()
        texts = [f"{d.title} {d.due_text}", d.quote]
        yield _Entry(f"deadline:{d.id}", d.title, sentences, d.ref, d.quote, (f"deadline:{d.id}",)), texts, 1.0
    for i in notice.interpretations:
        entry = _Entry(f"interpretation:{i.id}", i.question.rstrip("。"), (i.choice,), i.ref, "",
                       (f"interpretation:{i.id}",), settled=False)
        yield entry, [i.question, i.choice], 1.0
    for q in notice.questions:
        sentences = (q.help,) if q.help else ()
        texts = [q.text, *(o.label for o in q.options)] + ([q.help] if q.help else [])
        yield _Entry(f"question:{q.id}", q.text, sentences, q.ref, "", (f"question:{q.id}",)), texts, QUESTION_FACTOR
    for a in notice.attachments:
        yield (_Entry(f"attachment:{a.id}", f"{a.ref} {a.title}", (), a.ref, a.paragraphs[0], (f"attachment:{a.id}",)),
               [a.title, *a.paragraphs], 0.9)
    c = notice.contacts
    contact_text = f"联系人 {' '.join(c.people)} 联系电话 {' '.join(c.phones)} 材料报送地址 {c.address}"
    yield _Entry(CONTACTS_TARGET, "联系人、联系电话和材料报送地址", (), c.ref, c.quote, (CONTACTS_TARGET,)), \
        [contact_text], 1.0
    for ref, text in clause_texts(notice).items():
        excerpt = text if len(text) <= 300 else text[:300] + "……"
        yield (_Entry(f"clause:{ref}", headings[ref], (), ref, excerpt, (f"clause:{ref}",)),
               [headings[ref], text], CLAUSE_FACTOR)


def _entries(notice: Notice) -> list[tuple[_Entry, list[str], float]]:
    """Every entry with the texts it is found by and its rank factor; FAQ entries take their title,
    sentences and words from the entry they point at first, unless they give their own."""
    base = list(_base_entries(notice))
    entries = {e.key: e for e, _, _ in base}
    headings = {cl.ref: cl.heading for cl in notice.clauses}
    out = list(base)
    for faq in notice.faq:
        main = entries.get(faq.points_to[0]) if faq.points_to else None
        sentences = (faq.answer,) if faq.answer else (main.sentences if main else ())
        # An entry that quotes a clause of its own is titled by that clause's heading.
        title = headings.get(faq.ref or "", main.title if main else "")
        entry = _Entry(
            key=f"faq:{faq.id}",
            title=title,
            sentences=sentences,
            ref=faq.ref or (main.ref if main else ""),
            quote=faq.quote or (main.quote if main else ""),
            targets=faq.points_to + ((f"clause:{faq.ref}",) if faq.ref else ()),
            settled=faq.settled,
            label=faq.phrasings[0],
        )
        out.append((entry, list(faq.phrasings), 1.0))
    return out


# ---------------------------------------------------------------- answering


def answer(
    notice: Notice,
    text: str,
    *,
    answers: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> Answer:
    """The answer to a typed question. answers: the applicant's answers so far (a personal line is
    added when they reach an outcome); today: the date in the notice's timezone, for deadlines."""
    index = index_for(notice)
    ranked = index.rank(text)
    question = normalise(text)
    if not ranked or ranked[0][2] < CONFIDENCE_THRESHOLD:
        return Answer(kind="not_covered", question=question, settled=False,
                      confidence=ranked[0][2] if ranked else 0.0, contacts=notice.contacts)
    top_key, top_score, coverage = ranked[0]
    top = index.entries[top_key]
    candidates = _distinct(index, ranked)
    close = [c for c in candidates[1:MAX_ALTERNATIVES]
             if c.score >= CLOSE_RATIO * top_score and c.confidence >= coverage - CLOSE_CONFIDENCE]
    kind = "choose" if close else "answer"
    alternatives = tuple(candidates[: 1 + len(close)]) if close else ()
    return _answer_from(notice, top, question, kind, coverage, alternatives, answers, today)


def candidates(notice: Notice, text: str, limit: int = MAX_ALTERNATIVES) -> list[Candidate]:
    """The entries above the confidence threshold the question may be about, best first, one per
    main target."""
    index = index_for(notice)
    ranked = index.rank(text)
    return _distinct(index, ranked)[:limit]


def targets_of(notice: Notice, key: str) -> tuple[str, ...]:
    """The knowledge entries an entry key rests on, the main one first."""
    entry = index_for(notice).entries.get(key)
    return entry.targets if entry else ()


def answer_entry(
    notice: Notice,
    key: str,
    *,
    answers: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> Answer | None:
    """The answer for an entry the applicant chose among the alternatives (its Candidate.key), or
    None for a key this notice does not have (a stale button)."""
    entry = index_for(notice).entries.get(key)
    if entry is None:
        return None
    return _answer_from(notice, entry, "", "answer", 1.0, (), answers, today)


def _distinct(index: QaIndex, ranked: list[tuple[str, float, float]]) -> list[Candidate]:
    """Candidates with one per main target (an FAQ entry and the rule it points at are one)."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for key, score, coverage in ranked:
        if coverage < CONFIDENCE_THRESHOLD:
            continue
        entry = index.entries[key]
        main = entry.targets[0] if entry.targets else key
        if main in seen or key in seen:
            continue
        seen.update({main, key, *entry.targets[:1]})
        label = entry.label or entry.title or key
        out.append(Candidate(key=key, title=entry.title or key, score=score, confidence=round(coverage, 3),
                             label=label if len(label) <= BUTTON_LABEL_LIMIT else label[:BUTTON_LABEL_LIMIT - 1] + "…"))
        if len(out) > MAX_ALTERNATIVES:
            break
    return out


def _answer_from(
    notice: Notice,
    entry: _Entry,
    question: str,
    kind: str,
    confidence: float,
    alternatives: tuple[Candidate, ...],
    answers: Mapping[str, str] | None,
    today: dt.date | None,
) -> Answer:
    main = entry.targets[0] if entry.targets else entry.key
    settled = entry.settled
    return Answer(
        kind=kind if settled or kind == "choose" else "not_covered",
        question=question,
        entry=entry.key,
        targets=entry.targets,
        title=entry.title,
        sentences=entry.sentences,
        quote=entry.quote,
        ref=entry.ref,
        settled=settled,
        confidence=round(confidence, 3),
        personal=_personal(notice, main, answers) if answers else None,
        deadline=_deadline_state(notice, main, today),
        alternatives=alternatives,
        contacts=notice.contacts if (not settled or main == CONTACTS_TARGET) else None,
    )


def _deadline_state(notice: Notice, key: str, today: dt.date | None) -> DeadlineState | None:
    kind, _, deadline_id = key.partition(":")
    if kind != "deadline":
        return None
    d = next((x for x in notice.deadlines if x.id == deadline_id), None)
    if d is None or d.due is None:
        return None
    last_sure = d.due if d.inclusive else d.due - dt.timedelta(days=1)
    if today is None:
        return DeadlineState(d.id, d.title, d.due, d.due_text, d.inclusive, d.ref, last_sure)
    if today <= last_sure:
        state = "last_day" if today == last_sure else "open"
    elif not d.inclusive and today == d.due:
        state = "unclear_day"
    else:
        state = "passed"
    return DeadlineState(d.id, d.title, d.due, d.due_text, d.inclusive, d.ref, last_sure, today, state,
                         max((last_sure - today).days, 0))


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
        if generic is not None and item.title != generic.title:
            return Personal("in_checklist", item.title, item.ref)
        if generic is not None and item.detail != generic.detail:
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
