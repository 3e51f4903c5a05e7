"""Typed Chinese made comparable: full-width to half-width, traditional to simplified characters,
lower case, with each character's place in the original text kept (so the words a reading rests on
can be quoted as typed). Also the toneless pinyin of characters, for homophone typos."""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from opencc import OpenCC  # type: ignore[import-untyped]

_NON_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


@cache
def _converter() -> Any:
    return OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC t2s)."""
    return str(_converter().convert(text))


def normalise(text: str) -> str:
    """Full-width to half-width, traditional to simplified, lower case, punctuation and spaces removed
    (runs of them become one space)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NON_WORD.sub(" ", simplified(text)).strip()


def squash(text: str) -> str:
    """normalise() without any spaces: how words are compared."""
    return normalise(text).replace(" ", "")


@dataclass(frozen=True)
class Normalised:
    """A text normalised character by character: `text` (NFKC, lower case, simplified; punctuation kept)
    and for each of its characters the index of the character of `original` it comes from."""

    original: str
    text: str
    origin: tuple[int, ...]

    def words(self, start: int, end: int) -> str:
        """The original words behind text[start:end], as typed."""
        if start >= end or not self.origin:
            return ""
        first = self.origin[start]
        last = self.origin[end - 1]
        return self.original[first : last + 1]


def normalised(text: str) -> Normalised:
    pieces: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).lower()
        pieces.append(folded)
        origin.extend([i] * len(folded))
    folded_text = "".join(pieces)
    converted = simplified(folded_text)
    if len(converted) != len(folded_text):  # a phrase conversion changed the length: convert one by one
        converted = "".join(simplified(ch) if len(simplified(ch)) == 1 else ch for ch in folded_text)
    return Normalised(text, converted, tuple(origin))


@cache
def pinyin_table() -> dict[str, str]:
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


def pinyin(text: str) -> tuple[str, ...]:
    """Each character's toneless pinyin (the character itself where it has none)."""
    table = pinyin_table()
    return tuple(table.get(ch, ch) for ch in text)


def alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the words, the longest first (None for no words)."""
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


def clause_start(s: str, pos: int, breaks: str) -> int:
    """Where the clause around `pos` begins: just after the nearest break before it."""
    i = pos
    while i > 0 and s[i - 1] not in breaks:
        i -= 1
    return i


def clause_end(s: str, pos: int, breaks: str) -> int:
    """Where the clause around `pos` ends: at the nearest break from it on."""
    i = pos
    while i < len(s) and s[i] not in breaks:
        i += 1
    return i
