"""What a user did, as the conversation sees it, whatever the adapter.

Adapters build these once (button presses through bot.callbacks.event_for); the steps that
handle them never see callback data.
"""

from __future__ import annotations

from dataclasses import dataclass


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
class AnswerPressed(Event):
    question_id: str = ""
    option_id: str = ""


@dataclass(frozen=True)
class BackPressed(Event):
    from_question: str | None = None  # None: pressed under the outcome


@dataclass(frozen=True)
class RestartPressed(Event):
    pass


@dataclass(frozen=True)
class TickPressed(Event):
    item_id: str = ""


@dataclass(frozen=True)
class LanguagePressed(Event):
    locale: str = ""


@dataclass(frozen=True)
class DeleteConfirmed(Event):
    pass


@dataclass(frozen=True)
class DeleteCancelled(Event):
    pass


@dataclass(frozen=True)
class DocumentPressed(Event):
    pass


@dataclass(frozen=True)
class RetryPressed(Event):
    """Answer anew the question the outcome offers to change (for example another level)."""


@dataclass(frozen=True)
class ChecklistPressed(Event):
    """Show the checklist (the button under a reminder)."""


@dataclass(frozen=True)
class CalendarPressed(Event):
    """Send the deadlines as an .ics file."""


@dataclass(frozen=True)
class RemindersPressed(Event):
    on: bool = True


@dataclass(frozen=True)
class ButtonPressed(Event):
    """A button of a feature that registered its own key (Registry.on_button): data
    `x:<key>:<arg>:<arg>…`, the feature reads `args`."""

    key: str = ""
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class StalePressed(Event):
    """A button whose data does not parse: from an old version of the bot, or forged."""

    data: str = ""


@dataclass(frozen=True)
class Text(Event):
    text: str = ""
    edited: bool = False
    html: str | None = None  # the text with its formatting as Telegram HTML, where the adapter has it
    forwarded: bool = False  # forwarded from elsewhere (a broadcast copies it rather than retyping it)


@dataclass(frozen=True)
class Unsupported(Event):
    """A sticker, photo, voice note, file, location … where the bot expects a button or command.
    A small document (a case file) comes with its name and, once downloaded by the adapter, its
    bytes; `file_size` is what Telegram reported (a larger one is not downloaded)."""

    kind: str = "other"
    file_name: str | None = None
    file_size: int | None = None
    content: bytes | None = None
