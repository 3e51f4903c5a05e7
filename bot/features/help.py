"""/help (listing every registered command), and the replies to what is no command or button:
an unknown command, free text, a sticker or photo, a stale button."""

from __future__ import annotations

from bot.events import ButtonPressed, Event, StalePressed, Text, Unsupported
from bot.registry import N_, Registry
from bot.roles import CONTACT, HR
from bot.turn import Turn


def on_help(event: Event, turn: Turn) -> None:
    from bot.features import REGISTRY

    turn.say("help", commands=REGISTRY.visible_commands(turn.roles))


def on_unknown_command(event: Event, turn: Turn) -> None:
    on_help(event, turn)


def on_no_permission(event: Event, turn: Turn) -> None:
    """A privileged command, button or input from someone without the role: 无权限, nothing more."""
    from bot.actions import Toast

    if isinstance(event, ButtonPressed):
        turn.actions.append(Toast(turn._("No permission"), alert=True))
    else:
        if isinstance(event, (Text, Unsupported)) and turn.state.awaiting is not None:
            turn.state.await_input(None)  # a wizard of a role taken away: its input is awaited no more
        turn.say("no_permission")


def on_unsupported(event: Event, turn: Turn) -> None:
    if isinstance(event, Unsupported) and event.kind == "document" and (turn.has_role(HR) or turn.has_role(CONTACT)):
        from bot.features.case import on_case_file  # the unit's HR and contact persons may send a case file

        on_case_file(event, turn)
        return
    turn.reprompt("other")


def on_stale_button(event: StalePressed, turn: Turn) -> None:
    turn.stale_button()


def register(registry: Registry) -> None:
    registry.command("help", N_("Help"), N_("this help"), on_help, rank=50)
    registry.on(Unsupported, on_unsupported)
    registry.on(StalePressed, on_stale_button)
    registry.on(ButtonPressed, on_stale_button)  # a feature's key that no longer exists
