"""Several notices: each interview follows the notice stored with it and is never read under
another. When a newer notice is offered (ZHICHENG_NOTICE changed, or another notice's applications
are open) the user is told which notice they are on and may start the new one; a user whose notice
is no longer loaded is told so, and their stored answers stay as they are until they choose."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.actions import Button, Toast
from bot.chat.buttons import CallbackData
from bot.chat.events import ButtonPressed, Event
from bot.chat.registry import Registry
from bot.chat.turn import Turn
from conversations.interview import interview_for


@dataclass(frozen=True)
class StartNotice(CallbackData, prefix="nt.start"):
    """按现行通知开始问答: start anew under the notice offered today."""

    legacy = r"x:nt:new:([A-Za-z0-9_.\-]{1,40})"
    notice: str


def _start_button(turn: Turn) -> Button:
    offered = turn.offered or turn.notice
    return StartNotice(offered.id).button(turn._("Start under the new notice"))


def offer_newer_notice(turn: Turn) -> None:
    """Under the welcome: the notice this interview follows, and the newer one with a button."""
    newer = turn.newer_notice
    if newer is not None:
        turn.say("notice_newer", ((_start_button(turn),),), newer=newer)


def on_notice_gone(event: Event, turn: Turn) -> None:
    if isinstance(event, ButtonPressed):
        turn.actions.append(Toast(""))
    turn.say("notice_gone", ((_start_button(turn),),), gone_id=turn.state.notice_id)


def on_new_notice_pressed(event: ButtonPressed[StartNotice], turn: Turn) -> None:
    offered = turn.offered or turn.notice
    if event.button.notice != offered.id or (turn.state.notice_id == offered.id and not turn.notice_gone):
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
    registry.on_button(StartNotice, on_new_notice_pressed, needs_notice=False)
    registry.fallbacks.notice_gone = on_notice_gone
