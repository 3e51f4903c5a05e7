"""Callback data of inline buttons: built and parsed here only. Every value fits 64 bytes and
anything that does not parse is treated as a stale or forged button."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_ID = r"[a-z][a-z0-9_]{0,23}"
_PATTERNS = {
    "answer": re.compile(rf"a:({_ID}):({_ID})"),
    "back": re.compile(rf"b:({_ID}|-)"),
    "toggle": re.compile(rf"t:({_ID})"),
    "lang": re.compile(r"l:([A-Za-z_]{2,10})"),
    "restart": re.compile(r"r"),
    "delete_yes": re.compile(r"del:yes"),
    "delete_no": re.compile(r"del:no"),
    "document": re.compile(r"doc"),
}


@dataclass(frozen=True)
class Callback:
    kind: str
    args: tuple[str, ...] = ()


def parse(data: str | None) -> Callback | None:
    if not data or len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(data)
        if match:
            return Callback(kind, match.groups())
    return None


def _checked(data: str) -> str:
    if len(data.encode("utf-8")) > MAX_BYTES or parse(data) is None:
        raise ValueError(f"callback data {data!r} would not parse back")
    return data


def answer(question_id: str, option_id: str) -> str:
    return _checked(f"a:{question_id}:{option_id}")


def back(question_id: str | None) -> str:
    return _checked(f"b:{question_id or '-'}")


def toggle(item_id: str) -> str:
    return _checked(f"t:{item_id}")


def lang(locale: str) -> str:
    return _checked(f"l:{locale}")


RESTART = "r"
DELETE_YES = "del:yes"
DELETE_NO = "del:no"
DOCUMENT = "doc"
