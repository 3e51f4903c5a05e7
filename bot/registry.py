"""The one registry of what the bot answers: every feature module registers its commands and
button events here. It feeds routing (ChatService), the command menu (set_my_commands) and
/help, so adding a command touches its feature module and the catalogs only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.events import Event

if TYPE_CHECKING:
    from bot.turn import Turn

# A step: one small function named for what it receives; it changes the turn's state and actions.
Step = Callable[[Any, "Turn"], None]


def N_(text: str) -> str:
    """Marks a string for the catalog; it is translated where it is shown."""
    return text


@dataclass(frozen=True)
class CommandEntry:
    name: str
    description: str  # the command menu's line (msgid)
    help: str  # the line of /help (msgid)
    step: Step
    rank: int  # place in the command menu and /help, lowest first


class Registry:
    def __init__(self) -> None:
        self.commands: dict[str, CommandEntry] = {}
        self.events: dict[type[Event], Step] = {}

    def command(self, name: str, description: str, help: str, step: Step, *, rank: int) -> None:
        if name in self.commands:
            raise ValueError(f"/{name} is registered twice")
        entries = [*self.commands.values(), CommandEntry(name, description, help, step, rank)]
        self.commands = {e.name: e for e in sorted(entries, key=lambda e: e.rank)}

    def on(self, event_type: type[Event], step: Step) -> None:
        if event_type in self.events:
            raise ValueError(f"{event_type.__name__} is registered twice")
        self.events[event_type] = step

    def command_names(self) -> tuple[str, ...]:
        return tuple(self.commands)

    def step_for(self, event: Event, unknown_command: Step, fallback: Step) -> Step:
        from bot.events import Command

        if isinstance(event, Command):
            entry = self.commands.get(event.name)
            return entry.step if entry else unknown_command
        return self.events.get(type(event), fallback)
