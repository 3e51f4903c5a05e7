"""The one registry of what the bot answers: every feature module registers its commands, its
buttons and what it awaits as typed input here. It feeds routing (ChatService), the command
menus (set_my_commands, one per role) and /help, so adding a command touches its feature module
and the catalogs only.

A route may require a role (bot.roles: "contact", "hr"), or one of several roles. The role is
checked on every call, for commands, buttons (forged callback data included), deep links and
awaited input alike; without it the user gets the `no_permission` step and nothing else.

Deep links (t.me/<bot>?start=<prefix>_<token>) arrive as /start with one argument; a feature
that registered the prefix (Registry.on_deep_link) gets that Command, any other /start the
/start command's step.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.events import ButtonPressed, Command, Event, Text, Unsupported

if TYPE_CHECKING:
    from bot.turn import Turn

# A step: one small function named for what it receives; it changes the turn's state and actions.
Step = Callable[[Any, "Turn"], None]
# Who may use a route: everyone (None), one role, or any of several roles.
Role = str | frozenset[str] | None
START = "start"


def allowed(role: Role, roles: Collection[str]) -> bool:
    if role is None:
        return True
    if isinstance(role, str):
        return role in roles
    return any(r in roles for r in role)


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
    role: Role = None  # None: everyone


@dataclass(frozen=True)
class Route:
    step: Step
    role: Role = None


@dataclass(frozen=True)
class Fallbacks:
    """The steps for what no route takes."""

    unknown_command: Step
    unhandled: Step  # free text, stickers … that nothing awaits
    no_permission: Step


class Registry:
    def __init__(self) -> None:
        self.commands: dict[str, CommandEntry] = {}
        self.events: dict[type[Event], Route] = {}
        self.buttons: dict[str, Route] = {}
        self.awaited: dict[str, Route] = {}
        self.deep_links: dict[str, Route] = {}

    def command(
        self, name: str, description: str, help: str, step: Step, *, rank: int, role: Role = None
    ) -> None:
        if name in self.commands:
            raise ValueError(f"/{name} is registered twice")
        entries = [*self.commands.values(), CommandEntry(name, description, help, step, rank, role)]
        self.commands = {e.name: e for e in sorted(entries, key=lambda e: e.rank)}

    def on(self, event_type: type[Event], step: Step, *, role: Role = None) -> None:
        if event_type in self.events:
            raise ValueError(f"{event_type.__name__} is registered twice")
        self.events[event_type] = Route(step, role)

    def on_button(self, key: str, step: Step, *, role: Role = None) -> None:
        """Buttons whose data is bot.callbacks.button(key, …): `step` gets a ButtonPressed."""
        if key in self.buttons:
            raise ValueError(f"button key {key!r} is registered twice")
        self.buttons[key] = Route(step, role)

    def on_awaited(self, key: str, step: Step, *, role: Role = None) -> None:
        """Typed text, files, stickers … while the user's state awaits `key` (UserState.awaiting):
        the next message of a wizard, for example. Any command ends the waiting."""
        if key in self.awaited:
            raise ValueError(f"awaited input {key!r} is registered twice")
        self.awaited[key] = Route(step, role)

    def on_deep_link(self, prefix: str, step: Step, *, role: Role = None) -> None:
        """/start <prefix>_<token> (a t.me deep link): `step` gets the Command, its payload in args[0]."""
        if not prefix.isalnum() or prefix in self.deep_links:
            raise ValueError(f"deep link prefix {prefix!r} is invalid or registered twice")
        self.deep_links[prefix] = Route(step, role)

    def command_names(self) -> tuple[str, ...]:
        return tuple(self.commands)

    def visible_commands(self, roles: Collection[str]) -> list[CommandEntry]:
        """The commands a user with these roles may use, in menu order."""
        return [c for c in self.commands.values() if allowed(c.role, roles)]

    def step_for(
        self, event: Event, fallbacks: Fallbacks, *, roles: Collection[str] = (), awaiting: str | None = None
    ) -> Step:
        route: Route | None
        if isinstance(event, Command):
            entry = self.commands.get(event.name)
            if entry is None:
                return fallbacks.unknown_command
            route = Route(entry.step, entry.role)
            if event.name == START and event.args:
                prefix, separator, _ = event.args[0].partition("_")
                if separator and prefix in self.deep_links:
                    route = self.deep_links[prefix]
        elif isinstance(event, ButtonPressed):
            route = self.buttons.get(event.key)
            if route is None:
                return self.events[type(event)].step if type(event) in self.events else fallbacks.unhandled
        elif isinstance(event, (Text, Unsupported)) and awaiting is not None and awaiting in self.awaited:
            route = self.awaited[awaiting]
        else:
            route = self.events.get(type(event))
            if route is None:
                return fallbacks.unhandled
        if not allowed(route.role, roles):
            return fallbacks.no_permission
        return route.step
