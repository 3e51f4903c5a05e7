"""A draft knowledge file for next year's notice, built on the old one (`zhicheng-bot knowledge draft`).

Every entry of the old file is looked up in the new text by its quotes:
- a quote found verbatim: the entry is carried over as it is;
- found with only numbers and dates different (dates in any of their forms, Arabic or Chinese
  numerals): the quote is cut from the new text and the entry's data follow it (deadlines, copy
  counts, certificate years, working days, years in ids and texts, clause numbers). Each change
  is reported with the new sentence it comes from;
- not found, or changed beyond numbers: the entry keeps the old data and is marked
  `review: <reason>`; the report shows the closest new sentence.
Texts without quotes (questions, interpretations, answers to typed questions) follow the changes
the quotes establish for the whole notice: the year of the evaluation, the deadlines (and dates
worked out from them, such as the day before a deadline), counts of the clauses they cite.
What cannot be carried safely is marked for review rather than guessed. New sentences that no
entry quotes are listed with their clause.

Nothing here knows this notice: it compares two texts and walks the file's structure.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import REVIEW_KEY, REVIEWABLE_SECTIONS, load_notice, read_data, squash
from knowledge.numerals import DOCUMENT_YEAR, Token, parse_date, render_like, tokens
from knowledge.textmatch import Folded, Found, NoticeText, fold, mask
from knowledge.yaml_edit import YamlEditError, YamlEditor, load_strings

# Keys whose values are ids, references, expressions or flags: never rewritten as text.
STRUCTURAL_KEYS = frozenset({
    "id", "ref", "see_also", "stage", "deadline", "when", "ask_if", "exempt_when", "exempt_ref", "points_to",
    "interpretations", "interpretation", "paper_stage", "working_day_date", "end_before", "settled", "inclusive",
    "ends_interview", "bar", "retry", "verdict", "level_words", "carry_over", "timezone", "text_file",
    "submission", "final", "closing_days", "due", "date", REVIEW_KEY,
})
# Fields that hold a number the notice states, and the units it is written with.
NUMBER_FIELDS = {"copies": ("份",), "working_days": ("个工", "天", "日")}
HEADER_FIELDS = ("number", "title", "issuer", "conditions_document", "platform")
NEAR_DAYS = 7  # a date within this many days of a moved deadline moves with it (the day before …)
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.．]|附件\d+[:：]?)")
_SPLIT_NAMES = re.compile(r"[\s、，,；;/]+")
_QUOTED = re.compile(r"“([^“”]{4,})”")


class DraftError(Exception):
    """The draft cannot be made (the old notice does not load, no id for the new one …)."""


@dataclass(frozen=True)
class Update:
    entry: str
    field: str
    old: Any
    new: Any
    sentence: str


@dataclass(frozen=True)
class ReviewItem:
    entry: str
    old_quote: str
    closest: str
    reason: str
    clause: str = ""


@dataclass(frozen=True)
class NewSentence:
    clause: str
    text: str


@dataclass
class DraftReport:
    old_id: str
    new_id: str
    entries: int
    carried: int
    updated_entries: int
    updated: list[Update] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    new_sentences: list[NewSentence] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def flagged_entries(self) -> int:
        return len({r.entry for r in self.review})

    @property
    def without_person(self) -> float:
        """The share of entries carried or updated without a person."""
        return (self.entries - self.flagged_entries) / self.entries if self.entries else 1.0

    def to_json(self) -> dict[str, Any]:
        """The report for programs, exactly as documented."""
        return {
            "carried": self.carried,
            "updated": [{"entry": u.entry, "field": u.field, "old": u.old, "new": u.new, "sentence": u.sentence}
                        for u in self.updated],
            "review": [{"entry": r.entry, "old_quote": r.old_quote, "closest": r.closest, "reason": r.reason}
                       for r in self.review],
            "new_sentences": [{"clause": s.clause, "text": s.text} for s in self.new_sentences],
        }


@dataclass
class Draft:
    data: dict[str, Any]  # the draft's data, review marks included
    yaml_text: str
    report: DraftReport


# --- the entries of a knowledge file and their quotes ---

FieldPath = tuple[str | int, ...]


@dataclass
class _Entry:
    name: str  # items.awards, contacts, notice
    path: FieldPath  # where it sits in the file
    data: dict[str, Any]


def _entries(data: dict[str, Any]) -> Iterator[_Entry]:
    for key in ("notice", "contacts", "season"):
        if isinstance(data.get(key), dict):
            yield _Entry(key, (key,), data[key])
    for section in REVIEWABLE_SECTIONS:
        for i, entry in enumerate(data.get(section, [])):
            yield _Entry(f"{section}.{entry['id']}", (section, i), entry)


def _quote_fields(section: str, entry: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """The fields of an entry that the loader checks against the notice's words."""
    out: list[tuple[FieldPath, str]] = []
    if section == "contacts":
        return out  # read by its labels (_Drafter._contacts)
    for key in ("quote", "wording"):
        if isinstance(entry.get(key), str):
            out.append(((key,), entry[key]))
    if section == "attachments":
        for key in ("paragraphs", "heading"):
            out += [((key, i), text) for i, text in enumerate(entry.get(key, []))]
    for j, variant in enumerate(entry.get("variants", [])):
        out.append((("variants", j, "quote"), variant["quote"]))
    return out


def _text_fields(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every free text of an entry (titles, details, reasons, labels, phrasings …)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _text_fields(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in STRUCTURAL_KEYS and key not in ("quote", "wording", "paragraphs", "heading"):
                yield from _text_fields(item, (*path, key))


def _get(data: Any, path: FieldPath) -> Any:
    for step in path:
        data = data[step]
    return data


def _set(data: Any, path: FieldPath, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _field_name(path: FieldPath) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (("." if out else "") + step)
    return out


# --- where each old clause went ---


def _depth(ref: str) -> str:
    if ref == "联系方式" or ref.startswith("附件"):
        return ref if ref == "联系方式" else "annex"
    if "（" not in ref:
        return "section"
    return "point" if ref[-1].isdigit() else "paragraph"


def map_clauses(old: NoticeText, new: NoticeText) -> tuple[dict[str, str], set[str], list[str]]:
    """(old ref -> new ref for each clause found again, old refs gone, new refs not in the old notice).
    Clauses are paired by their words with numbers masked, best pairs first."""

    def words(text: NoticeText, ref: str) -> str:
        a, b = text.clauses[ref]
        return _NUMBERING.sub("", mask(text.text[a:b]))

    old_words = {ref: words(old, ref) for ref in old.clauses}
    new_words = {ref: words(new, ref) for ref in new.clauses}
    scored: list[tuple[float, str, str]] = []
    for o, ow in old_words.items():
        for n, nw in new_words.items():
            if _depth(o) != _depth(n):
                continue
            bonus = 0.05 if o == n else 0.0
            if ow == nw:
                scored.append((1.0 + bonus, o, n))
                continue
            head_m = SequenceMatcher(None, ow[:40], nw[:40], autojunk=False)
            body_m = SequenceMatcher(None, ow[:400], nw[:400], autojunk=False)
            if 0.5 * head_m.quick_ratio() + 0.5 * body_m.quick_ratio() + bonus < 0.55:
                continue  # cannot reach the threshold
            score = 0.5 * head_m.ratio() + 0.5 * body_m.ratio() + bonus
            if score >= 0.55:
                scored.append((score, o, n))
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for _, o, n in sorted(scored, key=lambda s: -s[0]):
        if o not in mapping and n not in taken:
            mapping[o] = n
            taken.add(n)
    gone = set(old.clauses) - set(mapping)
    added = [ref for ref in new.clauses if ref not in taken]
    return mapping, gone, added


def clause_heading(text: NoticeText, ref: str) -> str:
    """A heading for a clause the old notice did not have: its first words."""
    a, b = text.clauses[ref]
    words = text.words(a, b)
    words = re.sub(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．]|附件\d+[:：]?)\s*", "", words)
    head = re.split(r"[：:。；，\n]", words, maxsplit=1)[0].strip()
    return (head or words)[:30] or ref


# --- what the quotes say changed ---


@dataclass
class _Votes:
    """What each number of the old notice became in the new one, with the sentence that says so."""

    dates: dict[dt.date, dict[dt.date, str]] = field(default_factory=lambda: defaultdict(dict))
    years: dict[int, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    # how the new notice writes a date that the old one wrote so (2021年10月20日 -> 2022.10.18)
    date_words: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    # the same by what follows the year (2019年修订 is a name; 2019年-2021年 a period)
    years_by_tail: dict[tuple[int, str], dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    counts: dict[tuple[Any, str], dict[Any, list[tuple[str, str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def add(self, old: Token, new: Token, clause: str, sentence: str, context: str = "") -> None:
        """A number of the old text (`context`: the folded text it stands in) and what it became."""
        if old.kind == "date" and isinstance(old.value, dt.date) and isinstance(new.value, dt.date):
            self.dates[old.value].setdefault(new.value, sentence)
            self.date_words[old.text].setdefault(new.text, sentence)
        elif old.kind == "year" and old.unit != DOCUMENT_YEAR:  # 〔2020〕 names another document
            self.years[old.as_int()].setdefault(new.as_int(), sentence)
            self.years_by_tail[(old.as_int(), year_tail(context, old))].setdefault(new.as_int(), sentence)
        elif old.kind == "count" and not isinstance(new.value, dt.date):
            self.counts[(old.value, old.unit)][new.value].append((clause, sentence))

    def add_range_interiors(self, quote: str, pairs: tuple[tuple[Token, Token], ...], sentence: str) -> None:
        """2018年-2020年 -> 2019年-2021年: the years between move the same way (2019 -> 2020)."""
        for (a_old, a_new), (b_old, b_new) in itertools.pairwise(pairs):
            if a_old.kind == b_old.kind == "year" and "-" in quote[a_old.end:b_old.start] \
                    and len(quote[a_old.end:b_old.start]) <= 2:
                lo, hi, nlo, nhi = (x.as_int() for x in (a_old, b_old, a_new, b_new))
                if hi - lo == nhi - nlo:
                    for year in range(lo + 1, hi):
                        self.years[year].setdefault(year + nlo - lo, sentence)

    def date_map(self) -> tuple[dict[dt.date, tuple[dt.date, str]], set[dt.date]]:
        return _single(self.dates)

    def year_map(self) -> tuple[dict[int, tuple[int, str]], set[int]]:
        return _single(self.years)


def _single(votes: dict[Any, dict[Any, str]]) -> tuple[dict[Any, tuple[Any, str]], set[Any]]:
    """Old value -> (new value, sentence) where all places agree and the value changed; and the
    values the places disagree on."""
    changed, ambiguous = {}, set()
    for old, news in votes.items():
        if len(news) > 1:
            ambiguous.add(old)
        elif news:
            (new, sentence), = news.items()
            if new != old:
                changed[old] = (new, sentence)
    return changed, ambiguous


def year_tail(text: str, token: Token) -> str:
    """What follows a year: 年度, 年修, 年-, 年、 … (two characters)."""
    return text[token.end:token.end + 2]


def _related(ref_a: str, ref_b: str) -> bool:
    return bool(ref_a) and bool(ref_b) and (ref_a.startswith(ref_b) or ref_b.startswith(ref_a))


# --- rewriting a text with the changes ---


@dataclass
class _Rewrite:
    text: str
    changes: list[tuple[str, str, str]]  # (old words, new words, sentence)
    problems: list[str]
    days: dict[int, int]  # day of month -> day of month, for the entry's bare days (30号)
    replaced: dict[Any, Any]  # counts changed: old value -> new value
    bare: list[Token]  # numbers written without a unit and left as they are


class _Substitution:
    """The changes one entry's texts follow: its own quotes' first, then the notice's."""

    def __init__(self, drafter: _Drafter, local: _Votes, related: set[str], days: dict[int, int],
                 primary: str = "") -> None:
        self.d = drafter
        self.local_dates, _ = local.date_map()
        self.local_years, _ = local.year_map()
        self.local_same_years = {y for y, news in local.years.items() if set(news) == {y}}
        self.local_same_dates = {x for x, news in local.dates.items() if set(news) == {x}}
        self.local_counts = local.counts
        self.related = related
        self.primary = primary  # the clause the entry cites (its ref)
        self.days = days

    def date(self, value: dt.date) -> tuple[dt.date | None, str, str | None]:
        """(new date or None, sentence, problem)."""
        if value in self.local_same_dates:
            return None, "", None
        if value in self.local_dates:
            return (*self.local_dates[value], None)
        if value in self.d.dates:
            return (*self.d.dates[value], None)
        if value in self.d.ambiguous_dates:
            return None, "", f"{value:%Y年%-m月%-d日} became different dates in different sentences"
        near = [(old, new) for old, new in self.d.dates.items() if abs((value - old).days) <= NEAR_DAYS]
        if len(near) == 1:
            old, (new, sentence) = near[0]
            return new + (value - old), sentence, None
        if near or value.year in self.d.years:
            return None, "", f"mentions {value:%Y年%-m月%-d日}, which the new notice does not give"
        return None, "", None

    def year(self, value: int, tail: str = "") -> tuple[int | None, str, str | None]:
        if value in self.local_same_years:
            return None, "", None
        if value in self.local_years:
            return (*self.local_years[value], None)
        by_tail = self.d.votes.years_by_tail.get((value, tail))
        if value in self.d.ambiguous_years and by_tail and len(by_tail) == 1:
            (new, sentence), = by_tail.items()
            return (new if new != value else None), sentence, None
        if value in self.d.ambiguous_years:
            return None, "", f"the year {value} stays in some sentences and changes in others"
        if value in self.d.years:
            return (*self.d.years[value], None)
        return None, "", None

    def count(self, key: tuple[Any, str], word_like: bool = False) -> tuple[Any, str, str | None]:
        """(new value or None, sentence, problem). `word_like`: a 一 that may be part of a word (哪一年),
        changed when the entry's clauses say so but never flagged for clauses elsewhere."""
        local = self.local_counts.get(key)
        if local:
            news = set(local)
            if len(news) == 1:
                (new,) = news
                return (new if new != key[0] else None), local[new][0][1], None
            return None, "", f"{_count_words(key)} changes differently within the entry's own sentences"
        votes = self.d.votes.counts.get(key)
        if not votes or set(votes) == {key[0]}:
            return None, "", None
        # the count as the entry's own clause gives it, else the clauses it names, else their parts
        tiers: list[Any] = [lambda c: c == self.primary, lambda c: c in self.related,
                            lambda c: any(_related(c, ref) for ref in self.related)]
        for tier in tiers:
            near = {new: places for new, places in votes.items() if any(tier(clause) for clause, _ in places)}
            if len(near) == 1:
                (new, places), = near.items()
                return (new if new != key[0] else None), places[0][1], None
            if len(near) > 1:
                break
        if word_like:
            return None, "", None
        where = "、".join(sorted({c for new, places in votes.items() if new != key[0] for c, _ in places if c}))
        changed = "、".join(_count_words((n, key[1])) for n in votes if n != key[0])
        return None, "", f"mentions {_count_words(key)}, which the new notice changes to {changed} in {where}: check"

    def rewrite(self, text: str) -> _Rewrite:
        folded = Folded.of(text)
        reps: list[tuple[int, int, str, str]] = []  # original span, new words, sentence
        problems: list[str] = []
        days: dict[int, int] = {}
        protected = self._protected(folded.text)
        toks = [t for t in tokens(folded.text) if not any(a <= t.start < b for a, b in protected)]
        replaced_values: dict[Any, Any] = {}
        skip: set[int] = set()
        for i, t in enumerate(toks):
            if i in skip:
                continue
            if t.kind == "date" and isinstance(t.value, dt.date):
                new, sentence, problem = self.date(t.value)
                if new is not None:
                    written = self.d.votes.date_words.get(t.text, {})
                    same = [w for w in written if parse_date(w) == new]  # as the new notice writes it
                    reps.append((t.start, t.end, same[0] if len(same) == 1 else render_like(t, new), sentence))
                    days[t.value.day] = new.day
                if problem:
                    problems.append(problem)
            elif t.kind == "year" and t.unit == DOCUMENT_YEAR:
                continue
            elif t.kind == "year":
                year, sentence, problem = self.year(t.as_int(), year_tail(folded.text, t))
                if year is not None:
                    reps.append((t.start, t.end, render_like(t, year), sentence))
                if problem:
                    problems.append(problem)
            elif t.unit == "月" and i + 1 < len(toks) and toks[i + 1].unit == "日" \
                    and toks[i + 1].start == t.end + 1:
                day = toks[i + 1]
                moved = self._month_day(t.as_int(), day.as_int())
                skip.add(i + 1)
                if moved is not None:
                    new_date, sentence = moved
                    reps.append((t.start, t.end, render_like(t, new_date.month), sentence))
                    reps.append((day.start, day.end, render_like(day, new_date.day), sentence))
                    days[day.as_int()] = new_date.day
            elif t.kind == "count" and t.unit[:1] in ("日", "号") and t.as_int() in self.days \
                    and folded.text[t.start - 1:t.start] != "月":
                reps.append((t.start, t.end, render_like(t, self.days[t.as_int()]), ""))
            elif t.kind == "count":
                new, sentence, problem = self.count((t.value, t.unit), word_like=t.text == "一")
                if new is not None:
                    reps.append((t.start, t.end, render_like(t, new), sentence))
                    replaced_values[t.value] = new
                if problem:
                    problems.append(problem)
        done = {(a, b) for a, b, _, _ in reps}
        bare = [t for t in toks if t.kind == "count" and t.text[0].isdigit() and not t.unit
                and (t.start, t.end) not in done]
        out, changes = self._apply(folded, reps)
        out, ref_changes, ref_problems = self.d.rewrite_refs(out)
        out, name_changes = self.d.rewrite_names(out)
        for words in _QUOTED.findall(out):  # the notice's words cited in “…”: still there?
            if squash(words) in self.d.old_squashed and squash(words) not in self.d.new_squashed:
                problems.append(f"cites “{words}”, which the new notice no longer says")
        return _Rewrite(out, changes + ref_changes + name_changes, problems + ref_problems, days, replaced_values, bare)

    def _month_day(self, month: int, day: int) -> tuple[dt.date, str] | None:
        candidates = {**self.d.dates, **self.local_dates}
        hits = [(new, sentence) for old, (new, sentence) in candidates.items() if (old.month, old.day) == (month, day)]
        if len(hits) == 1:
            return hits[0]
        near = [(new + (dt.date(old.year, month, day) - old), sentence) for old, (new, sentence) in candidates.items()
                if _valid(old.year, month, day) and abs((dt.date(old.year, month, day) - old).days) <= NEAR_DAYS]
        return near[0] if len(near) == 1 else None

    @staticmethod
    def _protected(text: str) -> list[tuple[int, int]]:
        """Spans whose numbers are names, not numbers: 附件1, the point of a clause reference (五(一)8)."""
        return [m.span() for m in re.finditer(r"附件\d+|[一二三四五六七八九十]\([一二三四五六七八九十]+\)\d*|"
                                               r"\([一二三四五六七八九十]+\)", text)]

    @staticmethod
    def _apply(folded: Folded, reps: list[tuple[int, int, str, str]]) -> tuple[str, list[tuple[str, str, str]]]:
        out = folded.source
        changes = []
        for start, end, new, sentence in sorted(reps, reverse=True):
            a, b = folded.original(start, end)
            if out[a:b] != new:
                changes.append((out[a:b], new, sentence))
                out = out[:a] + new + out[b:]
        return out, changes[::-1]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _count_words(key: tuple[Any, str]) -> str:
    value, unit = key
    return f"{int(value) if float(value).is_integer() else value}{unit}"


# --- the drafter ---


@dataclass
class _QuoteResult:
    path: FieldPath
    old: str
    status: str  # exact, numbers, missing, ambiguous
    new: str | None = None
    found: Found | None = None
    start: int = -1  # folded span in the new text
    end: int = -1
    sentence: str = ""
    clause: str = ""
    reason: str = ""
    closest: str = ""
    closest_clause: str = ""


class _Drafter:
    def __init__(self, data: dict[str, Any], old_text: str, new_text: str, new_id: str | None, text_file: str) -> None:
        self.old_data = data
        self.data = copy.deepcopy(data)
        self.old = NoticeText(old_text)
        self.new = NoticeText(new_text)
        self.new_squashed = squash(new_text)
        self.old_squashed = squash(old_text)
        self.requested_id = new_id
        self.text_file = text_file
        self.votes = _Votes()
        self.updates: list[Update] = []
        self.reviews: list[ReviewItem] = []
        self.review_marks: dict[FieldPath, list[str]] = defaultdict(list)
        self.covered: list[tuple[int, int]] = []
        self.names: dict[str, str] = {}
        self.header_years: dict[int, int] = {}  # the years of the notice's number and title
        self.clause_map, self.gone_clauses, self.added_clauses = map_clauses(self.old, self.new)
        self.dates: dict[dt.date, tuple[dt.date, str]] = {}
        self.ambiguous_dates: set[dt.date] = set()
        self.years: dict[int, tuple[int, str]] = {}
        self.ambiguous_years: set[int] = set()
        refs = [c["ref"] for c in data["clauses"]]
        self._ref_pattern = re.compile("|".join(re.escape(r) + r"(?!\d)" for r in sorted(refs, key=len, reverse=True)
                                                if _depth(r) in ("paragraph", "point", "annex")))

    # --- quotes ---

    def match_quote(self, path: FieldPath, quote: str, expected_clause: str) -> _QuoteResult:
        result = _QuoteResult(path, quote, "missing")
        if squash(quote) in self.new_squashed:
            hits = self.new.exact(quote)
            if hits:
                result.status, result.new = "exact", quote
                result.start, result.end = hits[0], hits[0] + len(fold(quote))
                for t in tokens(fold(quote)):
                    self.votes.add(t, t, self.new.clause_at(result.start, result.end), "", fold(quote))
                return result
        found = self.new.with_numbers(quote)
        hits = self.new.exact(quote)
        if hits and not found:  # the same words, but punctuation or width written differently
            found = [Found(hits[0], hits[0] + len(fold(quote)), ())]
        choices = {self.new.words(f.start, f.end): f for f in found}
        if len(choices) > 1:
            here = {w: f for w, f in choices.items() if self.new.clause_at(f.start, f.end) == expected_clause}
            choices = here if len(here) == 1 else choices
        if len(choices) > 1:
            result.status = "ambiguous"
            result.reason = (f"the sentence stands {len(choices)} times in the new notice with different numbers; "
                             "choose the right one")
            result.closest = " | ".join(list(choices)[:3])
            return result
        if not choices:
            score, sentence, difference = self.new.closest(quote)
            result.closest = sentence.text if sentence else ""
            result.closest_clause = sentence.clause if sentence else ""
            if score >= 0.5:
                result.reason = f"changed beyond numbers ({difference})" if difference else "changed beyond numbers"
            else:
                result.reason = f"not found in the new notice: gone? (closest sentence {score:.0%} alike)"
            return result
        (words, f), = choices.items()
        result.status, result.found, result.new = "numbers", f, words
        result.start, result.end = f.start, f.end
        sentences = self.new.sentences_over(f.start, f.end)
        result.sentence = " ".join(s.text for s in sentences)
        result.clause = self.new.clause_at(f.start, f.end)
        for old_t, new_t in f.pairs:
            self.votes.add(old_t, new_t, result.clause, result.sentence, fold(quote))
        return result

    def expected_clause(self, quote: str) -> str:
        hits = self.old.exact(quote)
        if not hits:
            return ""
        old_clause = self.old.clause_at(hits[0], hits[0] + len(fold(quote)))
        return self.clause_map.get(old_clause, "")

    def _sentence_votes(self) -> None:
        """Every sentence of the old notice found again, verbatim or with other numbers, says what its
        numbers became, even where no entry quotes it (连续三年 -> 连续四年 in a clause cited in words)."""
        self.numbers_only_sentences: set[tuple[int, int]] = set()
        for sentence in self.old.sentences:
            words = sentence.text
            if squash(words) in self.new_squashed:
                hits = self.new.exact(words)
                if hits:
                    clause = self.new.clause_at(hits[0], hits[0] + len(fold(words)))
                    for t in tokens(fold(words)):
                        self.votes.add(t, t, clause, "", fold(words))
                continue
            found = self.new.with_numbers(words)
            if len(found) == 1:
                f = found[0]
                clause = self.new.clause_at(f.start, f.end)
                new_words = " ".join(s.text for s in self.new.sentences_over(f.start, f.end))
                for old_t, new_t in f.pairs:
                    self.votes.add(old_t, new_t, clause, new_words, fold(words))
                self.numbers_only_sentences.add((f.start, f.end))

    # --- the notice's number, title, date … ---

    def header(self) -> None:
        info = self.old_data["notice"]
        entry = "notice"
        for key in HEADER_FIELDS:
            value = info[key]
            result = self.match_quote((key,), value, "")
            if result.status == "missing" or result.status == "ambiguous":
                self.flag(("notice",), entry, value, result.closest, f"{key}: {result.reason}", result.closest_clause)
                continue
            self.covered.append((result.start, result.end))
            if result.found is not None and key in ("number", "title"):
                self.header_years.update({o.as_int(): n.as_int() for o, n in result.found.pairs if o.kind == "year"})
            new_value = "".join((result.new or value).split()) if result.status == "numbers" else value
            if new_value != value:
                self.change(("notice",), entry, (key,), value, new_value, result.sentence)
        self._header_date()

    def _header_date(self) -> None:
        info = self.old_data["notice"]
        old_date = dt.date.fromisoformat(info["date"])
        text = self.old.text
        places = [t for t in tokens(text) if t.kind == "date" and t.value == old_date]
        for place in reversed(places):  # the date under the signature is the last one
            fragment = text[max(0, place.start - 10):place.end + 4]
            found = self.new.with_numbers(fragment)
            if len(found) == 1:
                f = found[0]
                new_date = next((n.value for o, n in f.pairs if o.start == place.start - max(0, place.start - 10)),
                                None)
                if isinstance(new_date, dt.date):
                    sentence = " ".join(s.text for s in self.new.sentences_over(f.start, f.end))
                    for o, n in f.pairs:
                        self.votes.add(o, n, "", sentence, fragment)
                    self.covered.append((f.start, f.end))
                    if new_date != old_date:
                        self.change(("notice",), "notice", ("date",), info["date"], new_date.isoformat(), sentence)
                    return
        self.flag(("notice",), "notice", info["date"], "", "date: the notice's date was not found in the new text")

    def notice_id(self) -> str:
        if self.requested_id:
            return self.requested_id
        old_id = self.old_data["notice"]["id"]
        years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", old_id)]
        for year in years:
            new_year = self.header_years.get(year, self.years.get(year, (year, ""))[0])
            if new_year != year:
                return re.sub(rf"(?<!\d){year}(?!\d)", str(new_year), old_id, count=1)
        raise DraftError(f"cannot work out an id for the new notice from '{old_id}': give one with --id")

    # --- contacts, read by their labels ---

    def contacts(self) -> None:
        old = self.old_data["contacts"]
        entry = "contacts"
        quote = fold(old["quote"])
        groups = [[fold(p) for p in old["people"]], [fold(p) for p in old["phones"]], [fold(old["address"])]]
        labels, pos = [], 0
        for values in groups:
            start = quote.find(values[0], pos)
            end = start + len(values[0])
            for value in values[1:]:
                at = quote.find(value, end)
                end = at + len(value) if at >= 0 else -1
            if start < 0 or end < 0:
                self._contacts_by_quote(old)
                return
            labels.append(quote[pos:start])
            pos = end
        if not all(labels):
            self._contacts_by_quote(old)
            return
        text = self.new.text
        starts = []
        at = text.find(labels[0])
        for label in labels:
            at = text.find(label, at) if at >= 0 else -1
            if at < 0:
                self._contacts_by_quote(old)
                return
            starts.append(at)
            at += len(label)
        source, folded = self.new.source, self.new.folded

        def between(a: int, b: int) -> str:
            oa, ob = folded.original(a, b)
            return source[oa:ob]

        people = [p for p in _SPLIT_NAMES.split(between(starts[0] + len(labels[0]), starts[1]).strip()) if p]
        phones = [p for p in _SPLIT_NAMES.split(between(starts[1] + len(labels[1]), starts[2]).strip()) if p]
        address_at = starts[2] + len(labels[2])
        line_start = folded.original(address_at, address_at + 1)[0] if address_at < len(text) else len(source)
        line_end = source.find("\n", line_start)
        address = source[line_start:line_end if line_end >= 0 else len(source)].strip()
        end = address_at + len(fold(address))
        if not people or not phones or not address or text[address_at:end] != fold(address) \
                or not all(any(c.isdigit() for c in p) for p in phones):
            self._contacts_by_quote(old)
            return
        a0 = starts[0]
        new_quote = self.new.words(a0, end)
        sentence = new_quote
        self.covered.append((a0, end))
        for key, new_value in (("people", people), ("phones", phones), ("address", address)):
            if new_value != old[key]:
                self.change(("contacts",), entry, (key,), old[key], new_value, sentence)
                if isinstance(new_value, list) and len(new_value) == len(old[key]):
                    self.names.update({o: n for o, n in zip(old[key], new_value, strict=True) if o != n})
                elif isinstance(new_value, str):
                    self.names[old[key]] = new_value
        if squash(new_quote) != squash(old["quote"]):
            self.change(("contacts",), entry, ("quote",), old["quote"], new_quote, sentence)

    def _contacts_by_quote(self, old: dict[str, Any]) -> None:
        result = self.match_quote(("quote",), old["quote"], "联系方式")
        if result.status == "exact":
            self.covered.append((result.start, result.end))
            return
        closest = result.closest or result.new or ""
        self.flag(("contacts",), "contacts", old["quote"], closest,
                  "the contacts could not be read from the new notice by their labels: check people, phones, "
                  "address and quote", result.closest_clause)

    # --- recording ---

    def change(self, base: FieldPath, entry: str, path: FieldPath, old: Any, new: Any, sentence: str) -> None:
        _set(_get(self.data, base), path, new)
        self.updates.append(Update(entry, _field_name(path), old, new, sentence))

    def flag(self, base: FieldPath, entry: str, old_quote: str, closest: str, reason: str, clause: str = "") -> None:
        self.review_marks[base].append(reason)
        self.reviews.append(ReviewItem(entry, old_quote, closest, reason, clause))

    def rewrite_refs(self, text: str) -> tuple[str, list[tuple[str, str, str]], list[str]]:
        changes, problems = [], []

        def swap(m: re.Match[str]) -> str:
            ref = m.group()
            if ref in self.clause_map and self.clause_map[ref] != ref:
                changes.append((ref, self.clause_map[ref], ""))
                return self.clause_map[ref]
            if ref in self.gone_clauses and ref in self.old.clauses:
                problems.append(f"cites {ref}, which is not in the new notice")
            return ref

        out = self._ref_pattern.sub(swap, text) if self._ref_pattern.pattern else text
        return out, changes, problems

    def rewrite_names(self, text: str) -> tuple[str, list[tuple[str, str, str]]]:
        changes = []
        for old, new in self.names.items():
            if old in text:
                text = text.replace(old, new)
                changes.append((old, new, ""))
        return text, changes

    def new_ref(self, ref: str) -> str:
        return self.clause_map.get(ref, ref)

    # --- the run ---

    def run(self) -> Draft:
        entries = list(_entries(self.old_data))
        results: dict[str, list[_QuoteResult]] = {}
        for entry in entries:
            section = entry.path[0]
            results[entry.name] = [self.match_quote(path, quote, self.expected_clause(quote))
                                   for path, quote in _quote_fields(str(section), entry.data)]
        self._sentence_votes()
        self.header()
        self.contacts()
        self.dates, self.ambiguous_dates = self.votes.date_map()
        self.years, self.ambiguous_years = self.votes.year_map()
        new_id = self.notice_id()
        self.data["notice"]["id"] = new_id
        if new_id != self.old_data["notice"]["id"]:
            self.updates.insert(0, Update("notice", "id", self.old_data["notice"]["id"], new_id, ""))
        self.data["notice"]["text_file"] = self.text_file
        renamed = self._rename_items(entries, results)
        for entry in entries:
            if entry.name not in ("notice", "contacts") or entry.name == "notice":
                self._entry(entry, results[entry.name], renamed)
        self._pointing_at_flagged(entries)
        self._clauses()
        for base, reasons in self.review_marks.items():
            target = _get(self.data, base)
            target[REVIEW_KEY] = "; ".join(dict.fromkeys(reasons))
        report = DraftReport(
            old_id=self.old_data["notice"]["id"], new_id=new_id, entries=len(entries),
            carried=0, updated_entries=0, updated=self.updates, review=self.reviews,
            new_sentences=self._new_sentences(entries, results))
        flagged = {r.entry for r in self.reviews}
        touched = {u.entry for u in self.updates if u.entry in {e.name for e in entries}}
        report.updated_entries = len(touched - flagged)
        report.carried = len(entries) - len(flagged) - report.updated_entries
        return Draft(self.data, "", report)

    def _pointing_at_flagged(self, entries: list[_Entry]) -> None:
        """An answer to a typed question that points at an entry marked for review is checked with it."""
        flagged = {r.entry for r in self.reviews}
        sections = {"item": "items", "rule": "rules", "note": "notes", "deadline": "deadlines",
                    "question": "questions", "interpretation": "interpretations", "attachment": "attachments"}
        for entry in entries:
            if entry.path[0] != "faq" or entry.name in flagged or not ({"answer", "quote"} & set(entry.data)):
                continue  # an entry that only points at others shows their words
            targets = [f"{sections.get(kind, kind)}.{target_id}"
                       for kind, _, target_id in (t.partition(":") for t in entry.data.get("points_to", []))]
            marked = [t for t in targets if t in flagged]
            if marked:
                self.flag(entry.path, entry.name, str(entry.data.get("quote", "")), "",
                          f"points to {', '.join(marked)}, which is marked for review: check the answer with it")

    def _rename_items(self, entries: list[_Entry], results: dict[str, list[_QuoteResult]]) -> dict[str, str]:
        """Items whose id names years (assessment_2018_2020) get the new years' id."""
        renamed: dict[str, str] = {}
        ids = {e.data["id"] for e in entries if e.path[0] == "items"}
        for entry in entries:
            if entry.path[0] != "items" or any(r.status in ("missing", "ambiguous") for r in results[entry.name]):
                continue
            local = self._local_votes(results[entry.name])
            years, _ = local.year_map()
            parts = entry.data["id"].split("_")
            new_parts = []
            for part in parts:
                year = int(part) if re.fullmatch(r"\d{4}", part) else None
                if year is not None and year in years:
                    new_parts.append(str(years[year][0]))
                elif year is not None and year in self.years and year not in local.years:
                    new_parts.append(str(self.years[year][0]))
                else:
                    new_parts.append(part)
            new_id = "_".join(new_parts)
            if new_id != entry.data["id"] and new_id not in ids:
                renamed[entry.data["id"]] = new_id
        return renamed

    def _local_votes(self, results: list[_QuoteResult]) -> _Votes:
        local = _Votes()
        for r in results:
            if r.status == "numbers" and r.found is not None:
                for o, n in r.found.pairs:
                    local.add(o, n, r.clause, r.sentence, fold(r.old))
                local.add_range_interiors(fold(r.old), r.found.pairs, r.sentence)
            elif r.status == "exact":
                for t in tokens(fold(r.old)):
                    local.add(t, t, r.clause, "", fold(r.old))
        return local

    def _related_refs(self, entry: _Entry) -> set[str]:
        refs = set()
        data = entry.data
        for key in ("ref", "exempt_ref"):
            if isinstance(data.get(key), str):
                refs.add(data[key])
        refs.update(data.get("see_also", []))
        refs.update(v["ref"] for v in data.get("variants", []) if "ref" in v)
        for target in data.get("points_to", []):
            kind, _, target_id = target.partition(":")
            section = {"item": "items", "rule": "rules", "note": "notes", "deadline": "deadlines",
                       "question": "questions", "interpretation": "interpretations",
                       "attachment": "attachments"}.get(kind)
            for other in self.old_data.get(section or "", []):
                if other["id"] == target_id:
                    refs.add(other["ref"])
        for _, text in _text_fields(data):  # clauses the entry's own words name: 按五（一）8上传
            refs.update(m.group() for m in self._ref_pattern.finditer(text)) if self._ref_pattern.pattern else None
        return {self.new_ref(r) for r in refs}

    def _entry(self, entry: _Entry, results: list[_QuoteResult], renamed: dict[str, str]) -> None:
        name, base = entry.name, entry.path
        bad = [r for r in results if r.status in ("missing", "ambiguous")]
        if bad:
            for r in bad:
                reason = r.reason
                ref = entry.data.get("ref")
                if isinstance(ref, str) and ref in self.gone_clauses:
                    reason += f"; its clause {ref} is not in the new notice"
                elif isinstance(ref, str) and self.new_ref(ref) != ref:
                    reason += f"; its clause {ref} is now {self.new_ref(ref)}"
                label = _field_name(r.path)
                self.flag(base, name, r.old, r.closest, f"{label}: {reason}", r.closest_clause)
            return
        for r in results:
            if r.status == "numbers" and r.new is not None and r.new != r.old:
                self.change(base, name, r.path, r.old, r.new, r.sentence)
            if r.start >= 0:
                self.covered.append((r.start, r.end))
        local = self._local_votes(results)
        if entry.path[0] == "items" and entry.data["id"] in renamed:
            self.change(base, name, ("id",), entry.data["id"], renamed[entry.data["id"]], "")
        self._numbers(entry, results)
        problems = self._refs(entry)
        if entry.path[0] == "faq":
            for k, target in enumerate(entry.data.get("points_to", [])):
                kind, _, target_id = target.partition(":")
                if kind == "item" and target_id in renamed:
                    self.change(base, name, ("points_to", k), target, f"item:{renamed[target_id]}", "")
        related = self._related_refs(entry)
        primary = self.new_ref(entry.data["ref"]) if isinstance(entry.data.get("ref"), str) else ""
        days: dict[int, int] = {}
        for _ in range(2):  # the second pass knows the entry's moved days (30号 beside 10月30日)
            sub = _Substitution(self, local, related, days, primary)
            rewrites = {path: sub.rewrite(text) for path, text in _text_fields(entry.data)
                        if not (entry.name == "notice" and path[0] in (*HEADER_FIELDS, "id", "date"))}
            for rewrite in rewrites.values():
                days.update(rewrite.days)
        replaced = {old: new for rewrite in rewrites.values() for old, new in rewrite.replaced.items()}
        fields_of: dict[str, list[str]] = {}
        for path, rewrite in rewrites.items():
            for t in rewrite.bare:  # a number left beside the same number changed: 不少于5 beside 5个工作日
                if t.value in replaced:
                    rewrite.problems.append(f"still says {t.text} where {t.text} changed to "
                                            f"{render_like(t, replaced[t.value])} elsewhere in the entry: check")
            old_text = _get(entry.data, path)
            if rewrite.text != old_text:
                sentence = next((s for _, _, s in rewrite.changes if s), "")
                self.change(base, name, path, old_text, rewrite.text, sentence)
            for problem in rewrite.problems:
                fields_of.setdefault(problem, []).append(_field_name(path))
        problems += [f"{', '.join(dict.fromkeys(fields))}: {problem}" for problem, fields in fields_of.items()]
        if problems:
            quote = next((r.old for r in results), "")
            closest = next((r.sentence for r in results if r.sentence), "")
            self.flag(base, name, quote, closest, "; ".join(dict.fromkeys(problems)))

    def _numbers(self, entry: _Entry, results: list[_QuoteResult]) -> None:
        """Copies, working days and due dates follow the numbers of the entry's own quotes."""
        by_path = {r.path: r for r in results}
        data = entry.data

        def pairs_for(prefix: FieldPath) -> list[tuple[Token, Token, str]]:
            own = by_path.get((*prefix, "quote")) if prefix else None
            chosen = [own] if own else [r for r in results if len(r.path) == 1]
            out = []
            for r in chosen:
                if r.status == "numbers" and r.found is not None:
                    out += [(o, n, r.sentence) for o, n in r.found.pairs]
                elif r.status == "exact":
                    out += [(t, t, "") for t in tokens(fold(r.old))]
            return out

        targets: list[tuple[FieldPath, str, Any]] = [((key,), key, data[key]) for key in NUMBER_FIELDS if key in data]
        for j, variant in enumerate(data.get("variants", [])):
            targets += [(("variants", j, key), key, variant[key]) for key in NUMBER_FIELDS if key in variant]
        for path, key, value in targets:
            if not isinstance(value, int):
                continue
            prefix = path[:-1]
            pairs = [(o, n, s) for o, n, s in pairs_for(prefix)
                     if o.kind == "count" and o.value == value and o.unit.startswith(NUMBER_FIELDS[key])]
            news = {n.value for o, n, _ in pairs}
            if len(news) == 1:
                (new,) = news
                if new != value:
                    new_value = int(new) if isinstance(new, int | float) else value
                    self.change(entry.path, entry.name, path, value, new_value, next(s for *_, s in pairs))
            elif len(news) > 1:
                self.flag(entry.path, entry.name, next((r.old for r in results), ""), pairs[0][2],
                          f"{_field_name(path)}: the quote gives {value} several times and the new notice changes "
                          "only some of them; set it by hand")
        if isinstance(data.get("due"), str):
            old_due = dt.date.fromisoformat(data["due"])
            moved = [(n.value, s) for o, n, s in pairs_for(()) if o.kind == "date" and o.value == old_due]
            if moved and moved[0][0] != old_due and isinstance(moved[0][0], dt.date):
                self.change(entry.path, entry.name, ("due",), data["due"], moved[0][0].isoformat(), moved[0][1])
            elif not moved and old_due in self.dates:
                new_due, sentence = self.dates[old_due]
                self.change(entry.path, entry.name, ("due",), data["due"], new_due.isoformat(), sentence)

    def _refs(self, entry: _Entry) -> list[str]:
        data = entry.data
        paths: list[FieldPath] = [(k,) for k in ("ref", "exempt_ref") if isinstance(data.get(k), str)]
        paths += [("see_also", i) for i in range(len(data.get("see_also", [])))]
        paths += [("variants", j, "ref") for j, v in enumerate(data.get("variants", [])) if "ref" in v]
        problems = []
        for path in paths:
            ref = _get(data, path)
            if self.new_ref(ref) != ref:
                self.change(entry.path, entry.name, path, ref, self.new_ref(ref), "")
            elif ref in self.gone_clauses and ref in self.old.clauses:
                problems.append(f"{_field_name(path)}: cites {ref}, which is not in the new notice")
        return problems

    def _clauses(self) -> None:
        """The list of clauses: renumbered refs follow, clauses gone and no longer cited leave, new
        clauses of the new notice join (with their first words as heading) so that entries can cite them."""
        old_list = self.old_data["clauses"]
        cited = _cited_refs(self.data)
        taken = set(self.clause_map.values()) | set(self.added_clauses)  # refs the new notice gives
        rows: list[dict[str, str]] = []
        for clause in old_list:
            ref = clause["ref"]
            new = self.new_ref(ref)
            if new != ref:
                self.updates.append(Update(f"clauses.{ref}", "ref", ref, new, ""))
            if ref in self.gone_clauses and ref in self.old.clauses and (ref not in cited or ref in taken):
                # gone; while entries under review still cite it, it stays listed unless its number is reused
                self.updates.append(Update(f"clauses.{ref}", "ref", ref, None, ""))
                continue
            rows.append({"ref": new, "heading": clause["heading"]})
        have = {r["ref"] for r in rows}
        order = sorted(self.new.clauses, key=lambda ref: self.new.clauses[ref])
        for ref in self.added_clauses:
            if ref in have:
                continue
            heading = clause_heading(self.new, ref)
            rows.append({"ref": ref, "heading": heading})
            self.updates.append(Update(f"clauses.{ref}", "heading", None, heading, ""))
        self.data["clauses"] = _stable_order(rows, {ref: i for i, ref in enumerate(order)})

    def _new_sentences(self, entries: list[_Entry], results: dict[str, list[_QuoteResult]]) -> list[NewSentence]:
        covered = [False] * len(self.new.text)
        flagged = {r.entry for r in self.reviews}
        for entry in entries:
            if entry.name in flagged:
                continue
            for path, _ in _quote_fields(str(entry.path[0]), entry.data):
                quote = _get(_get(self.data, entry.path), path)
                for at in self.new.exact(quote):
                    for i in range(at, min(at + len(fold(quote)), len(covered))):
                        covered[i] = True
        for a, b in self.covered:
            for i in range(a, b):
                covered[i] = True
        old_masked = mask(self.old.text)
        closest = {r.closest for r in self.reviews if r.closest}
        out = []
        for s in self.new.sentences:
            chars = [i for i in range(s.start, s.end) if self.new.text[i].isalnum()]
            share = sum(covered[i] for i in chars) / len(chars) if chars else 1.0
            numbers_only = any(a <= s.start and s.end <= b for a, b in self.numbers_only_sentences)
            if share >= 0.9 or numbers_only or mask(self.new.text[s.start:s.end]) in old_masked \
                    or any(s.text in c for c in closest):
                continue
            out.append(NewSentence(s.clause, s.text))
        return out


def _stable_order(rows: list[dict[str, str]], rank: dict[str, int]) -> list[dict[str, str]]:
    """Clauses in the order of the new notice; those it no longer has stay after their old neighbour."""
    placed = [r for r in rows if r["ref"] in rank]
    placed.sort(key=lambda r: rank[r["ref"]])
    out = list(placed)
    for i, row in enumerate(rows):
        if row["ref"] in rank:
            continue
        before = next((rows[j]["ref"] for j in range(i - 1, -1, -1) if rows[j]["ref"] in rank), None)
        at = 0 if before is None else next(k for k, r in enumerate(out) if r["ref"] == before) + 1
        out.insert(at, row)
    return out


def _cited_refs(data: dict[str, Any]) -> set[str]:
    cited = {data["contacts"]["ref"]}
    for section in REVIEWABLE_SECTIONS:
        for entry in data.get(section, []):
            for key in ("ref", "exempt_ref"):
                if isinstance(entry.get(key), str):
                    cited.add(entry[key])
            cited.update(entry.get("see_also", []))
            cited.update(v["ref"] for v in entry.get("variants", []) if "ref" in v)
    return cited


# --- writing the file ---


def render_yaml(old_yaml: str, old_data: dict[str, Any], draft: dict[str, Any],
                old_number: str, new_number: str) -> str:
    """The draft as YAML: the old file with the changed values edited in place (comments and layout
    kept). Falls back to a plain dump if the edited text would not read back as the draft."""
    try:
        editor = YamlEditor(old_yaml)
        _edit(editor, old_data, draft, ())
        text = editor.result()
        if old_number != new_number:
            text = "\n".join(line.replace(old_number, new_number) if line.lstrip().startswith("#") else line
                             for line in text.split("\n"))
        if load_strings(text) == draft:
            return text
    except YamlEditError:
        pass
    return yaml.safe_dump(draft, allow_unicode=True, sort_keys=False, width=1000)


def _edit(editor: YamlEditor, old: Any, new: Any, path: FieldPath) -> None:
    if path == ("clauses",) and old != new:
        editor.replace_lines(path, [f"{{ref: {c['ref']}, heading: {c['heading']}}}" for c in new])
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in new.items():
            if key not in old:
                editor.insert_key(path, key, value)
            else:
                _edit(editor, old[key], value, (*path, key))
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and not (
            path and path[-1] in ("people", "phones")):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _edit(editor, a, b, (*path, i))
        return
    if old != new:
        editor.set(path, new)


# --- the entry point ---


def draft_notice(old_path: Path | str, new_text: str, *, text_file: str, new_id: str | None = None) -> Draft:
    """The draft for the notice text `new_text`, built on the knowledge file at `old_path`.
    `text_file` is what the draft's notice.text_file says (the new text, relative to the draft)."""
    started = time.perf_counter()
    old_path = Path(old_path)
    try:
        old_notice = load_notice(old_path)
    except Exception as exc:
        raise DraftError(f"the old notice cannot be loaded: {exc}") from exc
    data = read_data(old_path)
    drafter = _Drafter(data, old_notice.text, new_text, new_id, text_file)
    draft = drafter.run()
    old_yaml = old_path.read_text(encoding="utf-8")
    draft.yaml_text = render_yaml(old_yaml, data, draft.data, data["notice"]["number"], draft.data["notice"]["number"])
    draft.report.seconds = time.perf_counter() - started
    return draft


# --- the report for people ---


def _short(value: Any, size: int = 70) -> str:
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    text = "—" if value is None else str(value)
    return text if len(text) <= size else text[:size] + "…"


def report_text(report: DraftReport, draft_path: str) -> str:
    """The report as the office reads it beside the draft."""
    lines = [f"draft {draft_path}: {report.new_id}, built on {report.old_id} in {report.seconds:.1f} s",
             f"{report.entries} entries: {report.carried} carried over unchanged, {report.updated_entries} updated "
             f"mechanically, {report.flagged_entries} marked for review "
             f"({report.without_person:.0%} without a person)", ""]
    if report.updated:
        lines.append(f"Updated ({len(report.updated)} changes): check that each is what the new notice says")
        entry = None
        for u in report.updated:
            if u.entry != entry:
                lines.append(f"  {u.entry}")
                entry = u.entry
            lines.append(f"    {u.field}: {_short(u.old)} → {_short(u.new)}")
            if u.sentence:
                lines.append(f"      from: {_short(u.sentence, 110)}")
        lines.append("")
    if report.review:
        lines.append(f"For review ({report.flagged_entries} entries): edit each entry, then delete its review line")
        for r in report.review:
            lines.append(f"  {r.entry}: {r.reason}")
            if r.old_quote:
                lines.append(f"      old words: {_short(r.old_quote, 110)}")
            if r.closest:
                where = f" ({r.clause})" if r.clause else ""
                lines.append(f"      closest new{where}: {_short(r.closest, 110)}")
        lines.append("")
    if report.new_sentences:
        lines.append(f"New sentences that no entry quotes ({len(report.new_sentences)}): a new rule, item or note?")
        for s in report.new_sentences:
            lines.append(f"  {s.clause or '(heading)'}: {s.text}")
        lines.append("")
    lines.append(f"next: zhicheng-bot knowledge check {draft_path}   (exit 1 until no entry is marked for review)")
    return "\n".join(lines)
