"""The one registry of what the bot answers: every feature package registers its commands, its
button kinds, the input it awaits, the files it takes, its deep links, the replies to what no
route takes, and the views delivery needs, here. It feeds routing (ChatService), the command
menus (one per role), /help and the outbox sender, so adding a feature touches its package and
the catalogs only; nothing outside bot/features imports a feature.

A route may require a role (bot.chat.roles: "contact", "hr"), or one of several roles. The role
is checked on every call, for commands, buttons (forged callback data included), deep links,
files and awaited input alike; without it the user gets the `no_permission` step and nothing else.

A route needs the notice the user's interview follows unless registered with needs_notice=False
(the account's commands work for a user whose notice is no longer loaded; the rest get the
`notice_gone` step, so that answers are never read under a notice they were not given for).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.chat.buttons import CallbackData
from bot.chat.events import Attachment, Blocked, ButtonPressed, Command, Event, StalePressed, Text

if TYPE_CHECKING:
    from bot.chat.turn import Turn

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
class Route:
    step: Step
    role: Role = None
    needs_notice: bool = True


@dataclass(frozen=True)
class CommandEntry:
    name: str
    description: str  # the command menu's line (msgid)
    help: str  # the line of /help (msgid)
    step: Step
    rank: int  # place in the command menu and /help, lowest first
    role: Role = None  # None: everyone
    needs_notice: bool = True

    @property
    def route(self) -> Route:
        return Route(self.step, self.role, self.needs_notice)


@dataclass(frozen=True)
class FileRoute:
    kinds: frozenset[str]
    route: Route


def _unset(event: Event, turn: Turn) -> None:
    raise RuntimeError("no feature registered this fallback")


@dataclass
class Fallbacks:
    """The steps for what no route takes."""

    unknown_command: Step = _unset
    unhandled: Step = _unset  # free text, stickers … that nothing awaits
    no_permission: Step = _unset
    stale_button: Step = _unset  # data that does not parse, or a kind no longer registered
    notice_gone: Step = _unset  # the user's notice is no longer loaded


@dataclass
class Registry:
    commands: dict[str, CommandEntry] = field(default_factory=dict)
    buttons: dict[type[CallbackData], Route] = field(default_factory=dict)
    awaited: dict[str, Route] = field(default_factory=dict)
    deep_links: dict[str, Route] = field(default_factory=dict)
    files: list[FileRoute] = field(default_factory=list)
    text: Route | None = None  # typed text that nothing awaits
    blocked: Route | None = None  # the user blocked or unblocked the bot
    fallbacks: Fallbacks = field(default_factory=Fallbacks)
    views: dict[str, Callable[..., Any]] = field(default_factory=dict)  # delivery's views (bot.delivery.views)

    def command(
        self,
        name: str,
        description: str,
        help: str,
        step: Step,
        *,
        rank: int,
        role: Role = None,
        needs_notice: bool = True,
    ) -> None:
        if name in self.commands:
            raise ValueError(f"/{name} is registered twice")
        entries = [*self.commands.values(), CommandEntry(name, description, help, step, rank, role, needs_notice)]
        self.commands = {e.name: e for e in sorted(entries, key=lambda e: e.rank)}

    def on_button(self, kind: type[CallbackData], step: Step, *, role: Role = None, needs_notice: bool = True) -> None:
        """Presses of buttons of this kind: `step` gets a ButtonPressed whose `button` is one."""
        if kind in self.buttons:
            raise ValueError(f"button kind {kind.__name__} is registered twice")
        self.buttons[kind] = Route(step, role, needs_notice)

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

    def on_file(self, kinds: Collection[str], step: Step, *, role: Role = None) -> None:
        """Attachments of these kinds (document, photo …) that nothing awaits. Routes with a role
        are tried before routes for everyone; the first the user may use takes the file."""
        self.files.append(FileRoute(frozenset(kinds), Route(step, role)))
        self.files.sort(key=lambda f: f.route.role is None)

    def on_text(self, step: Step) -> None:
        if self.text is not None:
            raise ValueError("typed text is registered twice")
        self.text = Route(step)

    def on_blocked(self, step: Step) -> None:
        self.blocked = Route(step, needs_notice=False)

    def delivery_view(self, name: str, view: Callable[..., Any]) -> None:
        """A view the outbox sender needs (bot.delivery.views.DeliveryViews names them)."""
        if name in self.views:
            raise ValueError(f"delivery view {name!r} is registered twice")
        self.views[name] = view

    def command_names(self) -> tuple[str, ...]:
        return tuple(self.commands)

    def visible_commands(self, roles: Collection[str]) -> list[CommandEntry]:
        """The commands a user with these roles may use, in menu order."""
        return [c for c in self.commands.values() if allowed(c.role, roles)]

    def route_for(self, event: Event, *, roles: Collection[str] = (), awaiting: str | None = None) -> Route:
        """The route that takes the event: its own, or a fallback (no permission, stale, unhandled)."""
        fallbacks = self.fallbacks
        route: Route | None = None
        if isinstance(event, Command):
            entry = self.commands.get(event.name)
            if entry is None:
                return Route(fallbacks.unknown_command)
            route = entry.route
            if event.name == START and event.args:
                prefix, separator, _ = event.args[0].partition("_")
                if separator and prefix in self.deep_links:
                    route = self.deep_links[prefix]
        elif isinstance(event, ButtonPressed):
            route = self.buttons.get(type(event.button))
            if route is None:
                return Route(fallbacks.stale_button)
        elif isinstance(event, StalePressed):
            privileged = event.kind is not None and event.kind in self.buttons and self.buttons[event.kind].role
            return Route(fallbacks.no_permission if privileged else fallbacks.stale_button)
        elif isinstance(event, Blocked):
            route = self.blocked or Route(fallbacks.unhandled, needs_notice=False)
        elif isinstance(event, (Text, Attachment)) and awaiting is not None and awaiting in self.awaited:
            route = self.awaited[awaiting]
        elif isinstance(event, Attachment):
            candidates = [f.route for f in self.files if event.kind in f.kinds]
            route = next((r for r in candidates if allowed(r.role, roles)), None)
            if route is None:  # a file nobody of the user's roles may send: the reply to any other file
                return Route(fallbacks.unhandled)
        elif isinstance(event, Text) and self.text is not None:
            route = self.text
        else:
            return Route(fallbacks.unhandled)
        if not allowed(route.role, roles):
            return Route(fallbacks.no_permission)
        return route
