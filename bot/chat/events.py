"""What a user did, as the conversation sees it, whatever the adapter.

Adapters build these once (a button's callback data parsed into its typed kind by
bot.chat.buttons.parse); the steps that handle them never see raw callback data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.chat.buttons import CallbackData, kind_of, parse

B = TypeVar("B", bound=CallbackData)


@dataclass(frozen=True)
class Event:
    user_id: int
    chat_id: int
    update_id: int | None = None  # repeated deliveries of one update are handled once
    language_code: str | None = None
    message_id: int | None = None  # the user's message (to copy it, for example), if any


@dataclass(frozen=True)
class Command(Event):
    name: str = ""
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class ButtonPressed(Event, Generic[B]):
    """A button press, its data parsed into its typed kind (bot.chat.buttons)."""

    button: B = field(kw_only=True)


@dataclass(frozen=True)
class StalePressed(Event):
    """A button whose data does not parse: from an old version of the bot, or forged. `kind` is the
    kind its prefix names, if any (forged data of a privileged kind is answered 无权限)."""

    data: str = ""
    kind: type[CallbackData] | None = None


@dataclass(frozen=True)
class Text(Event):
    text: str = ""
    edited: bool = False
    html: str | None = None  # the text with its formatting as Telegram HTML, where the adapter has it
    forwarded: bool = False  # forwarded from elsewhere (a broadcast copies it rather than retyping it)


@dataclass(frozen=True)
class Attachment(Event):
    """A sticker, photo, voice note, file, location … A small document (a case file) comes with its
    name and, once downloaded by the adapter, its bytes; `file_size` is what Telegram reported (a
    larger one is not downloaded). `file_ref` is how the adapter fetches a photo or document later
    (actions.ProcessFile): Telegram's file_id, the console's path; None for an edited message."""

    kind: str = "other"
    file_name: str | None = None
    file_size: int | None = None
    content: bytes | None = field(default=None, repr=False)
    file_ref: str | None = None


@dataclass(frozen=True)
class Blocked(Event):
    """Telegram reports that the user blocked the bot (`blocked`) or unblocked it (my_chat_member)."""

    blocked: bool = True


def pressed(data: str | None, **base: object) -> ButtonPressed[CallbackData] | StalePressed:
    """The event of a button press; `base` holds the Event fields (user_id, chat_id …)."""
    button = parse(data)
    if button is None:
        return StalePressed(**base, data=data or "", kind=kind_of(data))  # type: ignore[arg-type]
    return ButtonPressed(**base, button=button)  # type: ignore[arg-type]
