"""/help (listing the commands the user may use), and the replies to what no route takes: an
unknown command, free text or a file nothing awaits, a stale or forged button, a privileged
route without the role."""

from __future__ import annotations

from bot.chat.actions import Toast
from bot.chat.events import Attachment, ButtonPressed, Event, StalePressed, Text
from bot.chat.registry import N_, Registry
from bot.chat.turn import Turn


def on_no_permission(event: Event, turn: Turn) -> None:
    """A privileged command, button or input from someone without the role: 无权限, nothing more."""
    if isinstance(event, (ButtonPressed, StalePressed)):
        turn.actions.append(Toast(turn._("No permission"), alert=True))
    else:
        if isinstance(event, (Text, Attachment)) and turn.state.awaiting is not None:
            turn.state.await_input(None)  # a wizard of a role taken away: its input is awaited no more
        turn.say("no_permission")


def on_unhandled(event: Event, turn: Turn) -> None:
    turn.reprompt("other")


def on_stale_button(event: Event, turn: Turn) -> None:
    turn.stale_button()


def register(registry: Registry) -> None:
    def on_help(event: Event, turn: Turn) -> None:
        """/help: the commands of the registry this feature joined, as far as the user may use them."""
        turn.say("help", commands=registry.visible_commands(turn.roles))

    def on_unknown_command(event: Event, turn: Turn) -> None:
        on_help(event, turn)

    registry.command("help", N_("Help"), N_("this help"), on_help, rank=50, needs_notice=False)
    registry.fallbacks.unknown_command = on_unknown_command
    registry.fallbacks.unhandled = on_unhandled
    registry.fallbacks.no_permission = on_no_permission
    registry.fallbacks.stale_button = on_stale_button
