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


Action = (Send | EditOrigin | EditMessage | Toast | SendDocument | SendPhoto | CopyMessage | SetCommands
          | WakeSender | Later)


def expanded(actions: list[Action]) -> list[Action]:
    """The actions with every Later rendered in its place (for adapters that send nothing slow)."""
    result: list[Action] = []
    for action in actions:
        result.extend(expanded(action.render()) if isinstance(action, Later) else [action])
    return result
