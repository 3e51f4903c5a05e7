"""Typed callback data, in the spirit of aiogram's CallbackData: one small frozen dataclass per
button kind, with a readable prefix and typed fields (str, int, bool), packed into at most 64
bytes (`prefix:field:field…`) and parsed back by `parse`, which returns None for anything stale
or forged. The adapters parse once; steps receive the typed value (ButtonPressed.button).

The interview's and the checklist's kinds are here, since the turn draws their keyboards; every
other kind lives in its feature's package. A kind may read the data of an older release
(`legacy`), so buttons already in users' chats and in the outbox keep working after an upgrade.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from bot.chat.actions import Button

MAX_BYTES = 64  # Telegram's limit on callback data
PREFIX = re.compile(r"[a-z]{2}\.[a-z][a-z0-9_]{0,14}")
VALUE = re.compile(r"[A-Za-z0-9_.\-]{0,48}")
_KINDS: dict[str, type[CallbackData]] = {}
_LEGACY: list[tuple[re.Pattern[str], type[CallbackData]]] = []


class CallbackData:
    """Base of every button kind: subclass with `prefix=` and decorate with @dataclass(frozen=True)."""

    prefix: ClassVar[str]
    legacy: ClassVar[str | None] = None  # a regex of an older release's data, with one group per field

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not PREFIX.fullmatch(prefix) or prefix in _KINDS:
            raise ValueError(f"button prefix {prefix!r} is malformed or taken")
        cls.prefix = prefix
        _KINDS[prefix] = cls
        if cls.__dict__.get("legacy"):
            _LEGACY.append((re.compile(cls.__dict__["legacy"]), cls))

    @classmethod
    def _fields(cls) -> tuple[dataclasses.Field[Any], ...]:
        return dataclasses.fields(cls)  # type: ignore[arg-type]

    def pack(self) -> str:
        """The callback data; ValueError if a value cannot be packed or the data is too long."""
        parts = [self.prefix]
        for f in self._fields():
            value = getattr(self, f.name)
            if isinstance(value, bool):
                text = "1" if value else "0"
            elif isinstance(value, int):
                text = str(value)
            elif isinstance(value, str) and VALUE.fullmatch(value):
                text = value
            else:
                raise ValueError(f"{type(self).__name__}.{f.name}={value!r} cannot be packed")
            parts.append(text)
        data = ":".join(parts)
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
        return data

    @classmethod
    def from_values(cls, values: list[str]) -> Self | None:
        """The button from its packed field values; None if they do not fit the fields."""
        fields = cls._fields()
        if len(values) != len(fields):
            return None
        parsed: dict[str, object] = {}
        for f, text in zip(fields, values, strict=True):
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
            if kind == "bool":
                if text not in ("0", "1"):
                    return None
                parsed[f.name] = text == "1"
            elif kind == "int":
                if not re.fullmatch(r"-?\d{1,19}", text):
                    return None
                parsed[f.name] = int(text)
            elif VALUE.fullmatch(text):
                parsed[f.name] = text
            else:
                return None
        return cls(**parsed)

    def button(self, label: str) -> Button:
        """An inline button with this data."""
        return Button(label, self.pack())


def parse(data: str | None) -> CallbackData | None:
    """The typed button of callback data; None for data that is stale, forged or too long."""
    if not data or len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None
    prefix, separator, rest = data.partition(":")
    kind = _KINDS.get(prefix)
    if kind is not None:
        return kind.from_values(rest.split(":") if separator else [])
    for pattern, legacy_kind in _LEGACY:
        match = pattern.fullmatch(data)
        if match:
            return legacy_kind.from_values(list(match.groups()))
    return None


def kind_of(data: str | None) -> type[CallbackData] | None:
    """The kind the data's prefix names, whether or not the rest of it parses."""
    return _KINDS.get((data or "").partition(":")[0])


def kinds() -> dict[str, type[CallbackData]]:
    """Every button kind defined so far, by prefix."""
    return dict(_KINDS)


# --- the interview's and the checklist's buttons, drawn by the turn ---


@dataclass(frozen=True)
class Answer(CallbackData, prefix="iv.answer"):
    """An option of a question of the interview."""

    legacy = r"a:([a-z][a-z0-9_]{0,23}):([a-z][a-z0-9_]{0,23})"
    question: str
    option: str


@dataclass(frozen=True)
class Back(CallbackData, prefix="iv.back"):
    """◀ Back from a question ("" : from the outcome)."""

    legacy = r"b:([a-z][a-z0-9_]{0,23}|)-?"
    question: str


@dataclass(frozen=True)
class Restart(CallbackData, prefix="iv.restart"):
    legacy = r"r"


@dataclass(frozen=True)
class Retry(CallbackData, prefix="iv.retry"):
    """Answer anew the question the outcome offers to change (another level)."""

    legacy = r"rt"


@dataclass(frozen=True)
class Tick(CallbackData, prefix="cl.tick"):
    """Tick a checklist item off, or untick it."""

    legacy = r"t:([a-z][a-z0-9_]{0,23})"
    item: str


@dataclass(frozen=True)
class ChecklistFile(CallbackData, prefix="cl.file"):
    """📄 The checklist as a page."""

    legacy = r"doc"
