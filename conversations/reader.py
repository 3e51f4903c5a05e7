"""The reader: what a typed message is about, read with the notice's lexicon (knowledge/lexicon.py).

It finds the things the message names (by any of their forms, or by a homophone of a form of three
characters or more), whether each is negated (没有受过处分), whether it is said of the past (原来在…)
and of which year (去年 against the notice's year); the kinds of question asked (when, how many
copies, which seal …); subjects the notice does not deal with (fees, results …). `routes` then ranks
the entries that answer the things and kinds found: a route naming several things beats one naming
one, a thing's answer for the kind asked beats its default answer, and each thing counts with its
weight (申报 or 材料 say little). Pure and synchronous; one Reader per notice (reader_for)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from conversations.textnorm import Normalised, alternation, normalised, pinyin, squash
from knowledge.lexicon import DEFAULT_ANSWER, expand_pattern
from knowledge.model import Lexicon, Notice

# Only the start of a very long message is read (this bounds the time).
READ_LIMIT = 1000
# A negation this many characters before a thing (in the same clause) denies it.
NEGATION_REACH = 6
# Homophones are matched for forms of at least this many characters (shorter ones collide too often).
FUZZY_MIN = 3
# A form of at least this many characters is also found with one character after its first mistyped
# (继绩教育 for 继续教育), within the first NEAR_LIMIT characters of a message.
NEAR_MIN = 4
NEAR_LIMIT = 200
# What naming the kind of question adds to an answer of that kind: the first kind in the lexicon's order
# (the more specific: when before where, so 几号之前要送到 asks when) counts in full, the others by half.
KIND_BONUS = 0.5
# What a route (several things together) adds over the same things' own answers.
ROUTE_BONUS = 0.1
_BESIDES_END = re.compile(r"以外|之外|另外|还|也|都|[，。；！？,.;!?\s]")
_SEGMENT_BREAK = re.compile(r"[，。；！？,.;!?\s]+")
_ABSOLUTE_YEAR = re.compile(r"(20[0-4]\d)(?:年|届|$|[^\d])")


@dataclass(frozen=True)
class Mention:
    """A thing named in the message."""

    thing: str
    start: int  # in the normalised text
    end: int
    words: str  # as typed
    negated: bool = False
    past: bool = False  # said of an earlier state (原来, 以前)
    year: int | None = None  # the year its clause speaks of (今年, 去年, 2019年), if any
    fuzzy: bool = False  # found by a homophone
    besides: bool = False  # named as what the question is not about (除了评审表还要交什么)


@dataclass(frozen=True)
class Reading:
    text: Normalised
    mentions: tuple[Mention, ...]
    kinds: tuple[str, ...]  # kinds of question marked, in the lexicon's order (the first is the main one)
    outside: tuple[str, ...]  # outside topics named (lexicon.outside ids)
    uncovered: tuple[str, ...]  # things named that the notice does not cover (兵团)
    open_points: tuple[str, ...] = ()  # words asking for a detail the notice does not settle, as typed
    truncated: bool = False
    kind_words: tuple[tuple[str, str], ...] = ()  # (kind, the words marking it as typed), in the text's order
    novel: tuple[tuple[int, int], ...] = ()  # runs of content the lexicon does not know (电子签名, 腾讯会议)
    details: tuple[tuple[str, int, int], ...] = ()  # (detail id, start, end): details asked for (几点, 底色)

    @property
    def things(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.thing for m in self.mentions))


@dataclass(frozen=True)
class Routed:
    """An entry that answers what was read, with its score and the things it answers."""

    target: str
    score: float
    things: tuple[str, ...]
    kind: str | None = None


class Reader:
    """A notice's lexicon compiled for reading (built once per notice: reader_for)."""

    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.year = notice.info.date.year
        lexicon = notice.lexicon or Lexicon(
            source=notice.source, fillers=(), negations=(), past=(), years={}, kinds=(), things=()
        )  # a notice without a lexicon: the ranking alone
        self.lexicon = lexicon
        self.things = {t.id: t for t in lexicon.things}
        self.form_of: dict[str, str] = {}
        for thing in lexicon.things:
            for name in thing.names:
                self.form_of.setdefault(squash(name), thing.id)
        self.forms_re = alternation(self.form_of)
        self.form_lengths = sorted({len(form) for form in self.form_of})
        self.fuzzy: dict[tuple[str, ...], str] = {}
        for form, thing_id in self.form_of.items():
            if len(form) >= FUZZY_MIN and all("\u3400" <= ch <= "\u9fff" for ch in form):
                self.fuzzy.setdefault(pinyin(form), thing_id)
        near: dict[str, set[str]] = {}
        for form, thing_id in self.form_of.items():
            if len(form) >= NEAR_MIN and all("\u3400" <= ch <= "\u9fff" for ch in form):
                for k in range(1, len(form)):
                    near.setdefault(form[:k] + "\0" + form[k + 1 :], set()).add(thing_id)
        self.near = {key: ids.pop() for key, ids in near.items() if len(ids) == 1}
        self.fuzzy_lengths = sorted({len(k) for k in self.fuzzy} | {len(k) for k in self.near}, reverse=True)
        self.negation_re = alternation(squash(w) for w in lexicon.negations)
        self.past_re = alternation(squash(w) for w in lexicon.past)
        self.year_words = {squash(w): offset for w, offset in lexicon.years.items()}
        self.year_re = alternation(self.year_words)
        self.contingencies = {k.id for k in lexicon.kinds if k.contingency}
        self.expects = {k.id: re.compile("|".join(f"(?:{p})" for p in k.expects)) for k in lexicon.kinds if k.expects}
        self.kind_of: dict[str, str] = {}
        for kind in lexicon.kinds:
            for marker in kind.markers:
                self.kind_of.setdefault(squash(marker), kind.id)
        self.kinds_re = alternation(self.kind_of)
        self.kind_patterns = [(kind.id, re.compile(p)) for kind in lexicon.kinds for p in kind.patterns]
        self.outside_of: dict[str, str] = {}
        for topic in lexicon.outside:
            for marker in topic.markers:
                self.outside_of.setdefault(squash(marker), topic.id)
        self.outside_re = alternation(self.outside_of)
        self.open_re = alternation(squash(w) for w in lexicon.open_points)
        self.known_re = alternation(
            squash(w)
            for w in (
                *lexicon.fillers,
                *lexicon.function_words,
                *lexicon.negations,
                *lexicon.past,
                *lexicon.years,
                *lexicon.several,
                *self.kind_of,
                *self.outside_of,
                *lexicon.open_points,
                *lexicon.alternatives,
                *lexicon.acceptability,
                *lexicon.conditions,
                *lexicon.condition_ends,
                *lexicon.hedges,
            )
        )
        self.alternatives_re = alternation(squash(w) for w in lexicon.alternatives)
        self.acceptability_re = alternation(squash(w) for w in lexicon.acceptability)
        self.conditions_re = alternation(squash(w) for w in lexicon.conditions)
        self.condition_ends_re = alternation(squash(w) for w in lexicon.condition_ends)
        self.hedges_re = alternation(squash(w) for w in lexicon.hedges)
        self.future_re = alternation(squash(w) for w in lexicon.future)
        self.detail_asks = [(d.id, re.compile("|".join(f"(?:{p})" for p in d.asks))) for d in lexicon.details]
        self.detail_stated = {
            d.id: re.compile("|".join(f"(?:{p})" for p in d.stated)) if d.stated else None for d in lexicon.details
        }
        # The sounds of every form, so that a mistyped short word (附建 for 附件) is not taken for new content.
        self.form_sounds = {pinyin(form) for form in self.form_of if all("\u3400" <= ch <= "\u9fff" for ch in form)}
        self.several_re = alternation(squash(w) for w in lexicon.several)
        self.besides_re = alternation(squash(w) for w in lexicon.besides)
        self.ancestors = {t.id: self._ancestors(t.id) for t in lexicon.things}
        self.thing_patterns = [
            (thing.id, re.compile(expand_pattern(lexicon, _fold(p), self.year, squash)))
            for thing in lexicon.things
            for p in thing.patterns
        ]
        self.situation_patterns = [
            (rule, [re.compile(expand_pattern(lexicon, _fold(p), self.year, squash)) for p in rule.patterns])
            for rule in lexicon.situations
        ]

    def _ancestors(self, thing_id: str) -> tuple[str, ...]:
        seen: list[str] = []
        stack = list(self.things[thing_id].parents)
        while stack:
            parent = stack.pop()
            if parent not in seen and parent in self.things:
                seen.append(parent)
                stack.extend(self.things[parent].parents)
        return tuple(seen)

    # ------------------------------------------------------------ reading

    def read(self, text: str) -> Reading:
        truncated = len(text) > READ_LIMIT
        norm = normalised(text[:READ_LIMIT])
        s = norm.text
        segments = _segments(s)
        spans = self._find_things(s)
        besides = self._besides(s)
        mentions: list[Mention] = []
        for thing_id, start, end, fuzzy in spans:
            seg_start, seg_end = _segment_of(segments, start)
            clause = s[seg_start:seg_end]
            mentions.append(
                Mention(
                    thing=thing_id,
                    start=start,
                    end=end,
                    words=norm.words(start, end),
                    negated=self._negated(s, seg_start, start),
                    past=bool(self.past_re and self.past_re.search(s, seg_start, start)),
                    year=self.year_of(clause),
                    fuzzy=fuzzy,
                    besides=any(a <= start and end <= b for a, b in besides),
                )
            )
        kind_words = [(kind, norm.words(start, end)) for kind, start, end in self._find_kinds(s, spans)]
        marked = {kind for kind, _ in kind_words}
        kinds = [k.id for k in self.lexicon.kinds if k.id in marked]
        outside = [self.outside_of[m.group(0)] for m in self._free(self.outside_re, s, spans)]
        open_points = [norm.words(m.start(), m.end()) for m in self._free(self.open_re, s, spans)]
        uncovered = [m.thing for m in mentions if not self.things[m.thing].covered]
        details = tuple(
            (detail_id, m.start(), m.end()) for detail_id, pattern in self.detail_asks for m in pattern.finditer(s)
        )
        return Reading(
            norm,
            tuple(mentions),
            tuple(kinds),
            tuple(dict.fromkeys(outside)),
            tuple(dict.fromkeys(uncovered)),
            tuple(dict.fromkeys(open_points)),
            truncated,
            tuple(kind_words),
            self._novel(s, spans),
            details,
        )

    def _besides(self, s: str) -> list[tuple[int, int]]:
        """The stretches after 除了 up to 还/以外/之外 or the clause's end: what is named there is not asked about."""
        if self.besides_re is None:
            return []
        found = []
        for m in self.besides_re.finditer(s):
            end = _BESIDES_END.search(s, m.end())
            found.append((m.end(), end.start() if end else len(s)))
        return found

    def _novel(self, s: str, spans: list[tuple[str, int, int, bool]]) -> tuple[tuple[int, int], ...]:
        """Runs of content the lexicon does not know: what is left of the text beside the things, the
        markers, the function words and numbers, two characters or more (a mistyped form is known)."""
        known = [not _content_char(ch) for ch in s]
        for _, start, end, _ in spans:
            known[start:end] = [True] * (end - start)
        if self.known_re is not None:
            for m in self.known_re.finditer(s):
                known[m.start() : m.end()] = [True] * (m.end() - m.start())
        for _, pattern in self.detail_asks:  # a detail asked for is judged on its own (conversations.asking)
            for m in pattern.finditer(s):
                known[m.start() : m.end()] = [True] * (m.end() - m.start())
        runs: list[tuple[int, int]] = []
        i = 0
        while i < len(s):
            if known[i]:
                i += 1
                continue
            j = i
            ascii_run = s[i].isascii()
            while j < len(s) and not known[j] and s[j].isascii() == ascii_run:
                j += 1
            if j - i >= 2 and (ascii_run or pinyin(s[i:j]) not in self.form_sounds):
                runs.append((i, j))
            i = j
        return tuple(runs)

    def content_of(self, text: str) -> str:
        """The text (normalised) without the words the lexicon knows as naming nothing (function words,
        markers) and without punctuation: what is left of 第二天开始算 is 第二天开始."""
        rest = self.known_re.sub(" ", text) if self.known_re is not None else text
        return "".join(ch for ch in rest if _content_char(ch) or ch.isdigit() or ch in _NUMERALS)

    def things_in(self, text: str) -> frozenset[str]:
        """The things an answer's words name (exact forms only), with the broader things they count as."""
        return _things_in(self, text)

    @staticmethod
    def _free(pattern: re.Pattern[str] | None, s: str, spans: list[tuple[str, int, int, bool]]) -> list[re.Match[str]]:
        """Matches of the pattern that are not part of a longer thing named (结果 inside 公示结果)."""
        if pattern is None:
            return []
        return [
            m
            for m in pattern.finditer(s)
            if not any(
                start <= m.start() and m.end() <= end and end - start > m.end() - m.start()
                for _, start, end, _ in spans
            )
        ]

    def _find_kinds(self, s: str, spans: list[tuple[str, int, int, bool]]) -> list[tuple[str, int, int]]:
        """The kinds of question marked, the longest marker first where they overlap (交哪几样: 哪几样), and
        the kinds' patterns (盖…章); a marker inside a longer thing named does not count."""
        candidates: list[tuple[str, int, int]] = []
        if self.kinds_re is not None:
            for i in range(len(s)):
                m = self.kinds_re.match(s, i)
                if m is not None:
                    candidates.append((self.kind_of[m.group(0)], m.start(), m.end()))
        candidates += [
            (kind, m.start(), m.end())
            for kind, pattern in self.kind_patterns
            for m in pattern.finditer(s)
            if m.end() > m.start()
        ]
        taken = [False] * len(s)
        found: list[tuple[str, int, int]] = []
        for kind, start, end in sorted(candidates, key=lambda c: (c[1] - c[2], c[1])):
            inside = any(a <= start and end <= b and b - a > end - start for _, a, b, _ in spans)
            if not inside and not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                found.append((kind, start, end))
        return sorted(found, key=lambda f: f[1])

    def _find_things(self, s: str) -> list[tuple[str, int, int, bool]]:
        found: list[tuple[str, int, int, bool]] = []
        if self.forms_re is not None:
            # Every form at every place, then the longest first where they overlap (单位公示的结果: 公示的结果).
            candidates = []
            for i in range(len(s)):
                m = self.forms_re.match(s, i)
                if m is not None:
                    candidates.append((m.end() - m.start(), m.start(), m.end()))
            taken = [False] * len(s)
            for _, start, end in sorted(candidates, key=lambda c: (-c[0], c[1])):
                if not any(taken[start:end]):
                    taken[start:end] = [True] * (end - start)
                    found.append((self.form_of[s[start:end]], start, end, False))
            # A thing's patterns (评上工程师之前) win over the forms they hold.
            for named, pattern in self.thing_patterns:
                for m in pattern.finditer(s):
                    if m.end() > m.start() and not any(
                        f[1] < m.end() and f[2] > m.start() and (f[1] < m.start() or f[2] > m.end()) for f in found
                    ):
                        found = [f for f in found if not (m.start() <= f[1] and f[2] <= m.end())]
                        found.append((named, m.start(), m.end(), False))
                        taken[m.start() : m.end()] = [True] * (m.end() - m.start())
        if self.fuzzy:
            # A homophone of a longer form wins over shorter forms found inside it (公示结过: 公示结果).
            sounds = pinyin(s)
            i = 0
            while i < len(s):
                hit = None
                for length in self.fuzzy_lengths:
                    if i + length > len(s) or s[i : i + length] in self.form_of:
                        continue
                    thing_id = self.fuzzy.get(sounds[i : i + length])
                    if thing_id is None and not any(f[1] < i + length and f[2] > i for f in found):
                        thing_id = self._near(s, i, length)  # a mistyped character only where nothing was found
                    if thing_id is None:
                        continue
                    inside = [f for f in found if f[1] >= i and f[2] <= i + length]
                    crossing = [f for f in found if f[1] < i + length and f[2] > i and f not in inside]
                    if not crossing and all(f[2] - f[1] < length for f in inside):
                        hit = (thing_id, i, i + length, True)
                        found = [f for f in found if f not in inside]
                        break
                if hit is not None:
                    found.append(hit)
                    i = hit[2]
                else:
                    i += 1
        return sorted(found, key=lambda f: f[1])

    def _near(self, s: str, i: int, length: int) -> str | None:
        """The thing whose form the text at i differs from in one character after the first, if any."""
        if i >= NEAR_LIMIT or length < NEAR_MIN:
            return None
        piece = s[i : i + length]
        if not all("\u3400" <= ch <= "\u9fff" for ch in piece):
            return None
        for k in range(1, length):
            thing_id = self.near.get(piece[:k] + "\0" + piece[k + 1 :])
            if thing_id is not None:
                return thing_id
        return None

    def _negated(self, s: str, seg_start: int, start: int) -> bool:
        if self.negation_re is None:
            return False
        window_start = max(seg_start, start - NEGATION_REACH)
        return self.negation_re.search(s, window_start, start) is not None

    def year_of(self, clause: str) -> int | None:
        """The year a clause speaks of (its last year word: 今年, 去年, 2019年), if any."""
        year: int | None = None
        if self.year_re is not None:
            for m in self.year_re.finditer(clause):
                year = self.year + self.year_words[m.group(0)]
        for m in _ABSOLUTE_YEAR.finditer(clause):
            year = int(m.group(1))
        return year

    # ------------------------------------------------------------ routing

    def weight(self, thing_id: str) -> float:
        return self.things[thing_id].weight

    def present(self, reading: Reading) -> dict[str, float]:
        """Each thing named, and each broader thing it counts as, with the weight it is named with."""
        present: dict[str, float] = {}
        for m in reading.mentions:
            if m.besides and any(not other.besides for other in reading.mentions):
                continue
            weight = self.weight(m.thing)
            for thing_id in (m.thing, *self.ancestors[m.thing]):
                present[thing_id] = max(present.get(thing_id, 0.0), weight)
        return present

    def routes(self, reading: Reading) -> list[Routed]:
        """The entries that answer what was read, best first, one per entry."""
        present = self.present(reading)
        bonus = {k: KIND_BONUS if i == 0 else KIND_BONUS / 2 for i, k in enumerate(reading.kinds)}
        best: dict[str, Routed] = {}

        def offer(target: str, score: float, things: tuple[str, ...], kind: str | None) -> None:
            if target not in best or score > best[target].score:
                best[target] = Routed(target, score, things, kind)

        for route in self.lexicon.routes:
            if not all(t in present for t in route.things):
                continue
            asked = [k for k in reading.kinds if k in route.kinds]
            if route.kinds and not asked:
                continue
            score = sum(present[t] for t in route.things) + ROUTE_BONUS
            offer(route.answer, score + (bonus[asked[0]] if asked else 0.0), route.things, asked[0] if asked else None)
        for thing_id, weight in present.items():
            answers = self.things[thing_id].answers
            for kind in bonus.keys() & set(answers):
                offer(answers[kind], weight + bonus[kind], (thing_id,), kind)
            if DEFAULT_ANSWER in answers:
                offer(answers[DEFAULT_ANSWER], weight, (thing_id,), None)
        return sorted(best.values(), key=lambda r: -r.score)

    def selections(self, reading: Reading) -> dict[str, str]:
        """The interview answers the things named select, for choosing among an item's variants
        (初级 selects level junior): not negated ones; of two options for one question the weightier
        mention's wins, and none when they weigh the same (高工 and 助工 together: both are asked about) or
        the text speaks of several people (一个还在驻村一个已经回来了)."""
        chosen: dict[str, dict[str, float]] = {}
        for m in reading.mentions:
            if m.negated:
                continue
            for question, option in self.things[m.thing].sets.items():
                options = chosen.setdefault(question, {})
                options[option] = max(options.get(option, 0.0), self.weight(m.thing))
        several = self.several_re is not None and self.several_re.search(reading.text.text) is not None
        selected: dict[str, str] = {}
        for question, options in chosen.items():
            ranked = sorted(options.items(), key=lambda o: -o[1])
            if len(ranked) == 1 or (ranked[0][1] > ranked[1][1] and not several):
                selected[question] = ranked[0][0]
        return selected


_NUMERALS = set("0123456789一二两三四五六七八九十百千万零半几")


def _content_char(ch: str) -> bool:
    """A character that may carry content: a CJK character other than a numeral, or a Latin letter."""
    return ("\u3400" <= ch <= "\u9fff" and ch not in _NUMERALS) or ("a" <= ch <= "z")


@lru_cache(maxsize=2048)
def _things_in(reader: Reader, text: str) -> frozenset[str]:
    """Every thing a form of which stands anywhere in the text, those within longer forms too (任现职以来 in
    任现职以来个人业务工作总结)."""
    s = normalised(text).text
    lengths = reader.form_lengths
    found: set[str] = set()
    for i in range(len(s)):
        for length in lengths:
            thing_id = reader.form_of.get(s[i : i + length])
            if thing_id is not None:
                found.update((thing_id, *reader.ancestors[thing_id]))
    return frozenset(found)


def _fold(pattern: str) -> str:
    """A pattern folded like the text it is matched in (full-width punctuation to half-width)."""
    return unicodedata.normalize("NFKC", pattern).lower()


def _segments(s: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _SEGMENT_BREAK.finditer(s):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(s)))
    return bounds


def _segment_of(segments: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for start, end in segments:
        if start <= pos < end:
            return start, end
    return segments[-1]


@cache
def reader_for(notice: Notice) -> Reader:
    """The reader of a notice, built on first use and kept."""
    return Reader(notice)
