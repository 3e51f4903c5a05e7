"""What the conversation asks an adapter (Telegram or the console) to do, free of any library."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data, at most 64 bytes


Keyboard = tuple[tuple[Button, ...], ...]


# Run once a message has been sent, with its message id, in a transaction of its own.
OnSent = Callable[[sqlite3.Connection, int], None]


@dataclass(frozen=True)
class Send:
    """Send a new message (Telegram HTML). `on_sent`, if given, learns the sent message's id (for
    example to store a broadcast's progress message, which the sender edits later)."""

    text: str
    keyboard: Keyboard | None = None
    on_sent: OnSent | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class EditOrigin:
    """Replace the message whose button was pressed."""

    text: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True)
class EditMessage:
    """Replace a message the bot sent earlier in this chat (a broadcast's progress)."""

    message_id: int
    text: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True)
class Toast:
    """The short answer to a button press (a popup with alert=True)."""

    text: str
    alert: bool = False


@dataclass(frozen=True)
class SendDocument:
    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class SendPhoto:
    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class SetCommands:
    """Give a chat the command menu of these roles; no roles: back to everyone's menu."""

    chat_id: int
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class WakeSender:
    """Ask the outbox sender to run now instead of at its next tick (a broadcast was confirmed)."""


@dataclass(frozen=True)
class CopyMessage:
    """Send a copy of a message (a contact person's formatted text or document), not a forward."""

    from_chat_id: int
    message_id: int


@dataclass(frozen=True)
class Later:
    """Actions rendered only when the adapter reaches them: after the transaction has ended and
    the actions before them have gone out (the outcome, after the edit showing the last answer)."""

    render: Callable[[], list[Action]]


@dataclass(frozen=True)
class Fetched:
    """What became of the file a ProcessFile asked for: its bytes, or the problem that kept them away
    (too_large: above the action's max_bytes, not fetched; unavailable: it could not be fetched; busy:
    too many files are waiting for the worker pool; timeout: the work outlasted its time)."""

    content: bytes | None = field(default=None, repr=False)
    size: int | None = None  # in bytes, where known
    problem: str | None = None


@dataclass(frozen=True)
class ProcessFile:
    """Fetch a file the user sent and hand it to `work`, which the adapter runs in its worker pool
    (bot.chat.work: off the event loop, after the update's transaction has ended); then carry out the
    actions `work` returns, in this one's place. A file above `max_bytes` (by the size the user's
    message gave, else by the size the server tells before the download) is never fetched; `work`
    then gets Fetched(problem="too_large") at once, as it gets any other problem. Nothing of the file
    is kept once `work` has returned."""

    ref: str  # the file as the adapter knows it: Telegram's file_id, the console's path
    size: int | None  # the size the user's message gave, if any
    max_bytes: int
    work: Callable[[Fetched], list[Action]] = field(compare=False, repr=False)
    timeout: float = 60.0  # seconds for `work` once a worker has taken it
    content: bytes | None = field(default=None, repr=False)  # already fetched by the adapter (a small document)


Action = (
    Send
    | EditOrigin
    | EditMessage
    | Toast
    | SendDocument
    | SendPhoto
    | CopyMessage
    | SetCommands
    | WakeSender
    | Later
    | ProcessFile
)


def expanded(actions: list[Action]) -> list[Action]:
    """The actions with every Later rendered in its place (for adapters that send nothing slow)."""
    result: list[Action] = []
    for action in actions:
        result.extend(expanded(action.render()) if isinstance(action, Later) else [action])
    return result
