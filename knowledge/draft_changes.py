"""What changed between an old and a new notice text, and rewriting an entry's words with it
(knowledge.drafting): where each clause went, what each number became (votes of the sentences found
again), and the substitution of dates, years, counts, clause references and names in free text."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Protocol

from knowledge.loader import squash
from knowledge.numerals import DOCUMENT_YEAR, Token, parse_date, render_like, tokens
from knowledge.textmatch import Folded, NoticeText, mask

NEAR_DAYS = 7  # a date within this many days of a moved deadline moves with it (the day before …)
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.．]|附件\d+[:：]?)")
_QUOTED = re.compile(r"“([^“”]{4,})”")


class NoticeChanges(Protocol):
    """What the substitution reads of the drafter: the notice-wide changes."""

    votes: Votes
    dates: dict[dt.date, tuple[dt.date, str]]
    ambiguous_dates: set[dt.date]
    years: dict[int, tuple[int, str]]
    ambiguous_years: set[int]
    old_squashed: str
    new_squashed: str

    def rewrite_refs(self, text: str) -> tuple[str, list[tuple[str, str, str]], list[str]]: ...

    def rewrite_names(self, text: str) -> tuple[str, list[tuple[str, str, str]]]: ...


def depth(ref: str) -> str:
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
            if depth(o) != depth(n):
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


@dataclass
class Votes:
    """What each number of the old notice became in the new one, with the sentence that says so."""

    dates: dict[dt.date, dict[dt.date, str]] = field(default_factory=lambda: defaultdict(dict))
    years: dict[int, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    # how the new notice writes a date that the old one wrote so (2021年10月20日 -> 2022.10.18)
    date_words: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    # the same by what follows the year (2019年修订 is a name; 2019年-2021年 a period)
    years_by_tail: dict[tuple[int, str], dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    counts: dict[tuple[Any, str], dict[Any, list[tuple[str, str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

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
            if (
                a_old.kind == b_old.kind == "year"
                and "-" in quote[a_old.end : b_old.start]
                and len(quote[a_old.end : b_old.start]) <= 2
            ):
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
            ((new, sentence),) = news.items()
            if new != old:
                changed[old] = (new, sentence)
    return changed, ambiguous


def year_tail(text: str, token: Token) -> str:
    """What follows a year: 年度, 年修, 年-, 年、 … (two characters)."""
    return text[token.end : token.end + 2]


def _related(ref_a: str, ref_b: str) -> bool:
    return bool(ref_a) and bool(ref_b) and (ref_a.startswith(ref_b) or ref_b.startswith(ref_a))


@dataclass
class Rewrite:
    text: str
    changes: list[tuple[str, str, str]]  # (old words, new words, sentence)
    problems: list[str]
    days: dict[int, int]  # day of month -> day of month, for the entry's bare days (30号)
    replaced: dict[Any, Any]  # counts changed: old value -> new value
    bare: list[Token]  # numbers written without a unit and left as they are


class Substitution:
    """The changes one entry's texts follow: its own quotes' first, then the notice's."""

    def __init__(
        self, drafter: NoticeChanges, local: Votes, related: set[str], days: dict[int, int], primary: str = ""
    ) -> None:
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
            ((new, sentence),) = by_tail.items()
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
        tiers: list[Any] = [
            lambda c: c == self.primary,
            lambda c: c in self.related,
            lambda c: any(_related(c, ref) for ref in self.related),
        ]
        for tier in tiers:
            near = {new: places for new, places in votes.items() if any(tier(clause) for clause, _ in places)}
            if len(near) == 1:
                ((new, places),) = near.items()
                return (new if new != key[0] else None), places[0][1], None
            if len(near) > 1:
                break
        if word_like:
            return None, "", None
        where = "、".join(sorted({c for new, places in votes.items() if new != key[0] for c, _ in places if c}))
        changed = "、".join(_count_words((n, key[1])) for n in votes if n != key[0])
        return None, "", f"mentions {_count_words(key)}, which the new notice changes to {changed} in {where}: check"

    def rewrite(self, text: str) -> Rewrite:
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
            elif t.unit == "月" and i + 1 < len(toks) and toks[i + 1].unit == "日" and toks[i + 1].start == t.end + 1:
                day = toks[i + 1]
                moved = self._month_day(t.as_int(), day.as_int())
                skip.add(i + 1)
                if moved is not None:
                    new_date, sentence = moved
                    reps.append((t.start, t.end, render_like(t, new_date.month), sentence))
                    reps.append((day.start, day.end, render_like(day, new_date.day), sentence))
                    days[day.as_int()] = new_date.day
            elif (
                t.kind == "count"
                and t.unit[:1] in ("日", "号")
                and t.as_int() in self.days
                and folded.text[t.start - 1 : t.start] != "月"
            ):
                reps.append((t.start, t.end, render_like(t, self.days[t.as_int()]), ""))
            elif t.kind == "count":
                new, sentence, problem = self.count((t.value, t.unit), word_like=t.text == "一")
                if new is not None:
                    reps.append((t.start, t.end, render_like(t, new), sentence))
                    replaced_values[t.value] = new
                if problem:
                    problems.append(problem)
        done = {(a, b) for a, b, _, _ in reps}
        bare = [
            t for t in toks if t.kind == "count" and t.text[0].isdigit() and not t.unit and (t.start, t.end) not in done
        ]
        out, changes = self._apply(folded, reps)
        out, ref_changes, ref_problems = self.d.rewrite_refs(out)
        out, name_changes = self.d.rewrite_names(out)
        for words in _QUOTED.findall(out):  # the notice's words cited in “…”: still there?
            if squash(words) in self.d.old_squashed and squash(words) not in self.d.new_squashed:
                problems.append(f"cites “{words}”, which the new notice no longer says")
        return Rewrite(out, changes + ref_changes + name_changes, problems + ref_problems, days, replaced_values, bare)

    def _month_day(self, month: int, day: int) -> tuple[dt.date, str] | None:
        candidates = {**self.d.dates, **self.local_dates}
        hits = [(new, sentence) for old, (new, sentence) in candidates.items() if (old.month, old.day) == (month, day)]
        if len(hits) == 1:
            return hits[0]
        near = [
            (new + (dt.date(old.year, month, day) - old), sentence)
            for old, (new, sentence) in candidates.items()
            if _valid(old.year, month, day) and abs((dt.date(old.year, month, day) - old).days) <= NEAR_DAYS
        ]
        return near[0] if len(near) == 1 else None

    @staticmethod
    def _protected(text: str) -> list[tuple[int, int]]:
        """Spans whose numbers are names, not numbers: 附件1, the point of a clause reference (五(一)8)."""
        return [
            m.span()
            for m in re.finditer(
                r"附件\d+|[一二三四五六七八九十]\([一二三四五六七八九十]+\)\d*|"
                r"\([一二三四五六七八九十]+\)",
                text,
            )
        ]

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
