"""What a user did, as the conversation sees it, whatever the adapter."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    user_id: int
    chat_id: int
    update_id: int | None = None  # repeated deliveries of one update are handled once
    language_code: str | None = None


@dataclass(frozen=True)
class Command(Event):
    name: str = ""
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pressed(Event):
    data: str = ""


@dataclass(frozen=True)
class Text(Event):
    text: str = ""
    edited: bool = False


@dataclass(frozen=True)
class Unsupported(Event):
    """A sticker, photo, voice note, file, location … where the bot expects a button or command."""

    kind: str = "other"
