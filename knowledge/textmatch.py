"""Finding a notice's words in another notice: the same words, the same words with other numbers,
or the closest sentence. Pure text work for knowledge.drafting.

Texts are compared folded: whitespace removed, full-width punctuation and digits as ASCII, dashes
as "-". Every folded character remembers where it stands in the original text, so that what is
found is cut from the new notice's own words.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

from knowledge.clauses import clause_spans
from knowledge.numerals import DATE_PATTERN, NUMBER_PATTERN, Token, tokens

_DASHES = dict.fromkeys("—–―−~～－‐‑", "-")
_SENTENCE_END = "。！？；!?;"
_WORDS = re.compile(r"[\w\u4e00-\u9fff]")
_NUMERALS = frozenset("0123456789.〇零一二两三四五六七八九十百千")


def fold_char(ch: str) -> str:
    if ch.isspace():
        return ""
    if ch in _DASHES:
        return "-"
    return unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch


@dataclass(frozen=True)
class Folded:
    """A text folded for comparison, with the original index of every folded character."""

    source: str
    text: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, source: str) -> Folded:
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(source):
            for out in fold_char(ch):
                chars.append(out)
                origin.append(i)
        return cls(source, "".join(chars), tuple(origin))

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the folded span [start, end)."""
        if start >= end:
            at = self.origin[start] if start < len(self.origin) else len(self.source)
            return at, at
        return self.origin[start], self.origin[end - 1] + 1

    def words(self, start: int, end: int) -> str:
        """The original words of a folded span, each run of whitespace as one space."""
        a, b = self.original(start, end)
        return " ".join(self.source[a:b].split())

    def folded_index(self, original: int) -> int:
        """The first folded character at or after an original index."""
        return bisect_right(self.origin, original - 1)


def fold(text: str) -> str:
    return "".join(fold_char(ch) for ch in text)


def mask(text: str) -> str:
    """A folded text with its numbers and dates replaced by '#' (what stays when numbers change)."""
    out, pos = [], 0
    for t in tokens(text):
        if t.kind == "count" and not t.text[0].isdigit():
            continue  # a Chinese numeral may be part of a word (统一); keep it
        out.append(text[pos : t.start] + "#")
        pos = t.end
    out.append(text[pos:])
    return "".join(out)


@dataclass(frozen=True)
class Sentence:
    start: int  # folded span in the notice
    end: int
    text: str  # the notice's words
    clause: str  # the smallest clause holding it ("" before the first clause)


@dataclass(frozen=True)
class Found:
    """A quote found in the notice with its numbers: the folded span and the pairs of tokens."""

    start: int
    end: int
    pairs: tuple[tuple[Token, Token], ...]  # (token of the quote, token at its place in the notice)

    @property
    def changed(self) -> tuple[tuple[Token, Token], ...]:
        return tuple((old, new) for old, new in self.pairs if old.text != new.text)


class NoticeText:
    """A notice's text, folded, cut into clauses and sentences, for searching."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.folded = Folded.of(source)
        self.text = self.folded.text
        spans = clause_spans(source)
        self.clauses = {
            ref: (self.folded.folded_index(a), self.folded.folded_index(b))  # folded spans
            for ref, (a, b) in spans.items()
        }

    def clause_at(self, start: int, end: int | None = None) -> str:
        """The smallest clause holding the folded span."""
        end = start + 1 if end is None else end
        best, size = "", len(self.text) + 1
        for ref, (a, b) in self.clauses.items():
            if a <= start and end <= b and b - a < size:
                best, size = ref, b - a
        return best

    @cached_property
    def token_spans(self) -> dict[tuple[int, int], Token]:
        return {(t.start, t.end): t for t in tokens(self.text)}

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        out: list[Sentence] = []
        pos = 0
        for line in self.source.splitlines(keepends=True):
            line_start = pos
            pos += len(line)
            begin = line_start
            for i, ch in enumerate(line):
                if ch in _SENTENCE_END or i == len(line) - 1:
                    self._add_sentence(out, begin, line_start + i + 1)
                    begin = line_start + i + 1
        return tuple(out)

    def _add_sentence(self, out: list[Sentence], a: int, b: int) -> None:
        words = " ".join(self.source[a:b].split())
        if len(_WORDS.findall(words)) < 2:
            return
        start, end = self.folded.folded_index(a), self.folded.folded_index(b)
        if start < end:
            out.append(Sentence(start, end, words, self.clause_at(start, end)))

    def sentences_over(self, start: int, end: int) -> tuple[Sentence, ...]:
        return tuple(s for s in self.sentences if s.start < end and start < s.end)

    def words(self, start: int, end: int) -> str:
        return self.folded.words(start, end)

    # --- finding a quote ---

    def exact(self, quote: str) -> list[int]:
        q = fold(quote)
        hits, at = [], self.text.find(q)
        while q and at >= 0:
            hits.append(at)
            at = self.text.find(q, at + 1)
        return hits

    def with_numbers(self, quote: str) -> list[Found]:
        """Where the quote stands with only its numbers and dates different (each place once)."""
        q = fold(quote)
        quote_tokens = tokens(q)
        if not quote_tokens:
            return []
        parts, pos = [], 0
        for i, t in enumerate(quote_tokens):
            parts.append(re.escape(q[pos : t.start]))
            parts.append(f"(?P<t{i}>{DATE_PATTERN if t.kind == 'date' else NUMBER_PATTERN})")
            pos = t.end
        parts.append(re.escape(q[pos:]))
        pattern = re.compile("".join(parts))
        found = []
        for m in pattern.finditer(self.text):
            pairs = []
            for i, old in enumerate(quote_tokens):
                a, b = m.span(f"t{i}")
                new = _token_at(self.token_spans, self.text, a, b, old)
                if new is None:
                    break
                pairs.append((old, new))
            else:
                found.append(Found(m.start(), m.end(), tuple(pairs)))
        return found

    def closest(self, quote: str) -> tuple[float, Sentence | None, str]:
        """The sentence (or two) most like the quote: (share of the quote found in it, the sentence,
        what differs, in words)."""
        q = mask(fold(quote))
        if not q or not self.sentences:
            return 0.0, None, ""
        grams = _bigrams(q)
        masked = [mask(self.text[s.start : s.end]) for s in self.sentences]
        rough = sorted(range(len(masked)), key=lambda i: -len(grams & _bigrams(masked[i])))[:6]
        best: tuple[float, int, int, int] = (-1.0, 0, 0, 0)
        size = 2 + sum(q.count(ch) for ch in _SENTENCE_END)  # windows up to one sentence more than the quote
        for i in rough:
            windows = [(lo, hi) for lo in range(i - size + 1, i + 1) for hi in range(i + 1, lo + size + 1)]
            for a, b in windows:
                if a < 0 or b > len(masked):
                    continue
                window = "".join(masked[a:b])
                matched = sum(
                    block.size
                    for block in SequenceMatcher(None, q, window, autojunk=False).get_matching_blocks()
                    if block.size >= 3
                )  # runs of 3: not 的, 单位 by chance
                score = matched / len(q)
                if (score, -len(window)) > (best[0], -best[3]):
                    best = (score, a, b, len(window))
        score, a, b, _ = best
        chosen = self.sentences[a:b]
        sentence = (
            chosen[0]
            if len(chosen) == 1
            else Sentence(chosen[0].start, chosen[-1].end, " ".join(s.text for s in chosen), chosen[0].clause)
        )
        end = chosen[-1].end
        stop = min((i for i in (self.text.find(ch, end) for ch in "。！？\n") if i >= 0), default=len(self.text))
        window = "".join(self.text[x.start : x.end] for x in chosen)
        return score, sentence, _difference(fold(quote), window, after=self.text[end:stop])


def _token_at(by_span: dict[tuple[int, int], Token], text: str, a: int, b: int, like: Token) -> Token | None:
    """The notice's token at [a, b), or the text there read alone (a count in the unit of `like`)."""
    token = by_span.get((a, b))
    if token is not None:
        return token
    parsed = tokens(text[a:b])
    if len(parsed) == 1 and parsed[0].text == text[a:b]:
        t = parsed[0]
        return Token(a, b, t.text, t.kind, t.value, like.unit if t.kind == "count" else "")
    return None


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _difference(quote: str, window: str, limit: int = 2, after: str = "") -> str:
    """What the window says instead of the quote, in the aligned region: “old” → “new”, removed
    “…”, added “…” (at most `limit` of them); and how the sentence goes on where the quote ended
    (`after`: the notice's words after the window, up to the end of the sentence)."""
    matcher = SequenceMatcher(None, quote, window, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not blocks:
        return ""
    lo, hi = blocks[0].b, blocks[-1].b + blocks[-1].size
    ops = SequenceMatcher(None, quote, window[lo:hi], autojunk=False).get_opcodes()
    parts = []
    for tag, i1, i2, j1, j2 in ops:
        old, new = quote[i1:i2], window[lo + j1 : lo + j2]
        if all(ch in _NUMERALS for ch in old + new):
            continue  # numbers differ: not what makes the change
        if tag == "replace":
            parts.append(f"“{_short(old)}” now “{_short(new)}”")
        elif tag == "delete":
            parts.append(f"removed “{_short(old)}”")
        elif tag == "insert":
            parts.append(f"added “{_short(new)}”")
    if blocks[-1].a + blocks[-1].size < len(quote):
        # the quote's end is not there: the sentence goes on differently (…评审；受到警告处分的，…)
        tail = re.split(r"[。！？]", window[hi:] + after, maxsplit=1)[0]
        if tail.strip("；;，,"):
            parts.append(f"now goes on “{_short(tail, 30)}”")
    more = len(parts) - limit
    return "; ".join(parts[:limit]) + (f"; {more} more" if more > 0 else "")


def _short(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[:size] + "…"
