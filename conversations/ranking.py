"""The fallback of typed questions: every entry of a notice ranked against the question as whole texts
(BM25 over character unigrams and bigrams and toneless pinyin bigrams, so a homophone typo still counts;
the lexicon's forms of one thing folded into its first name, its fillers dropped), with a confidence: the
rarity-weighted share of the question the best document covers, lowered by the share of the question's
words the notice never uses (a question about something else shares only its frame with the notice)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from conversations.compose import fill
from conversations.textnorm import alternation, normalise, pinyin_table
from knowledge.clauses import clause_texts
from knowledge.model import CONTACTS_TARGET, Notice

# Field weights of the three token kinds in BM25.
WEIGHTS = {"bi": 1.0, "uni": 0.35, "py": 0.45}
# The notice's clause texts rank below entries that say the same thing more directly.
CLAUSE_FACTOR = 0.85
# The interview's questions and the annexes are found too, below the entries that answer.
QUESTION_FACTOR = 0.8
# How much the share of the question's bigrams the notice never uses lowers the confidence.
UNSEEN_PENALTY = 0.5
K1 = 1.2
B = 0.75
# Only the start of a very long message is ranked (a question is short; this bounds the time).
QUERY_LIMIT = 200

_CJK = re.compile(r"[\u3400-\u9fff]+|[0-9a-z]+")


class Analyzer:
    """Text -> tokens, with the lexicon's forms of one thing folded into its first name and its fillers dropped."""

    def __init__(self, notice: Notice) -> None:
        lexicon = notice.lexicon
        self.canonical: dict[str, str] = {}
        for thing in lexicon.things if lexicon else ():
            words = [normalise(w).replace(" ", "") for w in thing.names]
            for word in words:  # the first maps to itself: it is cut out as a word of its own
                if word:
                    self.canonical.setdefault(word, words[0])
        self.synonym_re = alternation(self.canonical)
        self.filler_re = alternation(normalise(w).replace(" ", "") for w in (lexicon.fillers if lexicon else ()))
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
                fields["bi"].update(run[i : i + 2] for i in range(len(run) - 1))
                syllables = [self.pinyin.get(ch, ch) for ch in run]
                if len(run) == 1:
                    fields["py"][syllables[0]] += 1
                fields["py"].update(f"{a}_{b}" for a, b in itertools.pairwise(syllables))
        return fields


@dataclass(frozen=True)
class Entry:
    """Something an answer can be: a rule, note, item, deadline, interpretation, interview question,
    attachment, topic, clause or the contacts, with its title and the texts it is found by."""

    key: str
    title: str
    texts: tuple[str, ...]
    factor: float = 1.0
    settled: bool = True
    label: str = ""


def entries_of(notice: Notice) -> list[Entry]:
    headings = {cl.ref: cl.heading for cl in notice.clauses}
    entries: list[Entry] = []
    for r in notice.rules:
        entries.append(
            Entry(f"rule:{r.id}", headings.get(r.ref, r.ref), (r.reason, r.quote), settled=r.verdict != "not_covered")
        )
    for n in notice.notes:
        entries.append(Entry(f"note:{n.id}", headings.get(n.ref, n.ref), (n.text, n.quote)))
    for it in notice.items:
        texts = [it.title, fill(it.detail, it.generic), it.quote]
        for v in it.variants:
            texts += [t for t in (v.title, v.detail) if t]
        entries.append(Entry(f"item:{it.id}", fill(it.title, it.generic), tuple(texts)))
    for d in notice.deadlines:
        entries.append(Entry(f"deadline:{d.id}", d.title, (f"{d.title} {d.due_text}", d.quote)))
    for i in notice.interpretations:
        entries.append(Entry(f"interpretation:{i.id}", i.question.rstrip("。"), (i.question, i.choice), settled=False))
    for q in notice.questions:
        texts = [q.text, *(o.label for o in q.options)] + ([q.help] if q.help else [])
        entries.append(Entry(f"question:{q.id}", q.text, tuple(texts), QUESTION_FACTOR))
    for a in notice.attachments:
        entries.append(Entry(f"attachment:{a.id}", f"{a.ref} {a.title}", (a.title, *a.paragraphs), 0.9))
    c = notice.contacts
    contact_text = f"联系人 {' '.join(c.people)} 联系电话 {' '.join(c.phones)} 材料报送地址 {c.address}"
    entries.append(Entry(CONTACTS_TARGET, headings.get(c.ref, "联系方式"), (contact_text,)))
    for ref, text in clause_texts(notice).items():
        entries.append(Entry(f"clause:{ref}", headings[ref], (headings[ref], text), CLAUSE_FACTOR))
    titles = {e.key: e.title for e in entries}
    for t in notice.topics:
        title = (
            t.title
            or (headings.get(t.ref or "") if t.ref else None)
            or next((titles[k] for k in t.points_to if k in titles), t.id)
        )
        topic_texts = tuple(x for x in (t.title, t.answer, t.quote) if x) or (title,)
        entries.append(Entry(f"topic:{t.id}", title, topic_texts, settled=t.settled, label=title))
    # How people name things: a thing's forms find the entry that answers it by default.
    lexicon = notice.lexicon
    by_key = {e.key: e for e in entries}
    for thing in lexicon.things if lexicon else ():
        target = thing.answers.get("default")
        if target in by_key:
            e = by_key[target]
            by_key[target] = Entry(e.key, e.title, (*e.texts, " ".join(thing.names)), e.factor, e.settled, e.label)
    return list(by_key.values())


@dataclass
class _Field:
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    lengths: list[int] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    avgdl: float = 1.0
    unseen_idf: float = 0.0


class Ranking:
    """Every entry of a notice and the texts it is found by, ranked against a question."""

    def __init__(self, notice: Notice) -> None:
        self.analyzer = Analyzer(notice)
        self.entries: dict[str, Entry] = {}
        self.doc_entry: list[str] = []
        self.doc_factor: list[float] = []
        self.fields = {name: _Field() for name in WEIGHTS}
        for entry in entries_of(notice):
            self.entries[entry.key] = entry
            for text in entry.texts:
                self._add(entry.key, text, entry.factor)
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
        unseen = sum(
            1 for t in bigrams if t not in self.fields["bi"].idf and self._pinyin_pair(t) not in self.fields["py"].idf
        )
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
