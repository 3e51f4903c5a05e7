"""Callback data of inline buttons: built and parsed here only, and turned into typed events
(event_for) once, by the adapter. Every value fits 64 bytes and anything that does not parse
becomes a StalePressed event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.events import (
    AnswerPressed,
    BackPressed,
    ButtonPressed,
    CalendarPressed,
    ChecklistPressed,
    DeleteCancelled,
    DeleteConfirmed,
    DocumentPressed,
    Event,
    LanguagePressed,
    RemindersPressed,
    RestartPressed,
    RetryPressed,
    StalePressed,
    TickPressed,
)

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
    "retry": re.compile(r"rt"),
    "checklist": re.compile(r"cl"),
    "calendar": re.compile(r"ics"),
    "reminders": re.compile(r"rem:(on|off)"),
    "button": re.compile(r"x:([a-z][a-z0-9_]{0,11})((?::[A-Za-z0-9_.\-]{1,40})*)"),
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


def event_for(data: str | None, **base: Any) -> Event:
    """The typed event of a button press; `base` holds the Event fields (user_id, chat_id …)."""
    parsed = parse(data)
    if parsed is None:
        return StalePressed(**base, data=data or "")
    args = parsed.args
    if parsed.kind == "answer":
        return AnswerPressed(**base, question_id=args[0], option_id=args[1])
    if parsed.kind == "back":
        return BackPressed(**base, from_question=None if args[0] == "-" else args[0])
    if parsed.kind == "toggle":
        return TickPressed(**base, item_id=args[0])
    if parsed.kind == "lang":
        return LanguagePressed(**base, locale=args[0])
    if parsed.kind == "reminders":
        return RemindersPressed(**base, on=args[0] == "on")
    if parsed.kind == "button":
        return ButtonPressed(**base, key=args[0], args=tuple(args[1].split(":")[1:]))
    simple: dict[str, type[Event]] = {
        "restart": RestartPressed,
        "delete_yes": DeleteConfirmed,
        "delete_no": DeleteCancelled,
        "document": DocumentPressed,
        "retry": RetryPressed,
        "checklist": ChecklistPressed,
        "calendar": CalendarPressed,
    }
    return simple[parsed.kind](**base)


def _checked(data: str) -> str:
    if len(data.encode("utf-8")) > MAX_BYTES or parse(data) is None:
        raise ValueError(f"callback data {data!r} would not parse back")
    return data


def button(key: str, *args: object) -> str:
    """Data of a feature's own button (see Registry.on_button); args are short ids or numbers."""
    return _checked(":".join(["x", key, *(str(a) for a in args)]))


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
RETRY = "rt"
CHECKLIST = "cl"
CALENDAR = "ics"
REMINDERS_ON = "rem:on"
REMINDERS_OFF = "rem:off"
