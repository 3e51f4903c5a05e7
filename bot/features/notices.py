"""Several notices: each interview follows the notice stored with it and is never read under
another. When a newer notice is offered (ZHICHENG_NOTICE changed, or another notice's applications
are open) the user is told which notice they are on and may start the new one; a user whose notice
is no longer loaded is told so, and their stored answers stay as they are until they choose."""

from __future__ import annotations

from bot import callbacks
from bot.actions import Button, Toast
from bot.events import (
    ButtonPressed,
    Command,
    DeleteCancelled,
    DeleteConfirmed,
    Event,
    LanguagePressed,
)
from bot.registry import Registry
from bot.turn import Turn
from conversations.interview import interview_for

BUTTON_KEY = "nt"
# What still works for a user whose notice is gone: their data and the language, never the interview.
ACCOUNT_COMMANDS = frozenset({"help", "privacy", "delete_me", "lang"})


def works_without_notice(event: Event) -> bool:
    if isinstance(event, Command):
        return event.name in ACCOUNT_COMMANDS
    if isinstance(event, ButtonPressed):
        return event.key == BUTTON_KEY
    return isinstance(event, (DeleteConfirmed, DeleteCancelled, LanguagePressed))


def _start_button(turn: Turn) -> Button:
    offered = turn.offered or turn.notice
    return Button(turn._("Start under the new notice"), callbacks.button(BUTTON_KEY, "new", offered.id))


def offer_newer_notice(turn: Turn) -> None:
    """Under the welcome: the notice this interview follows, and the newer one with a button."""
    newer = turn.newer_notice
    if newer is not None:
        turn.say("notice_newer", ((_start_button(turn),),), newer=newer)


def on_notice_gone(event: Event, turn: Turn) -> None:
    if isinstance(event, ButtonPressed):
        turn.actions.append(Toast(""))
    turn.say("notice_gone", ((_start_button(turn),),), gone_id=turn.state.notice_id)


def on_new_notice_pressed(event: ButtonPressed, turn: Turn) -> None:
    offered = turn.offered or turn.notice
    if event.args != ("new", offered.id) or (turn.state.notice_id == offered.id and not turn.notice_gone):
        turn.stale_button()  # offered for a notice that is no longer the new one, or already started
        return
    turn.actions.append(Toast(""))
    state = turn.state
    state.notice_id = offered.id
    state.answers.clear()
    state.ticks.clear()
    state.current_question = None
    turn.notice, turn.interview, turn.notice_gone = offered, interview_for(offered), False
    turn.say("notice_started", newer=offered)
    state.started = True
    turn.advance()
    turn.ask()


def register(registry: Registry) -> None:
    registry.on_button(BUTTON_KEY, on_new_notice_pressed)
