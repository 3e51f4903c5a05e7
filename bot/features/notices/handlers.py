"""Several notices: each interview follows the notice stored with it and is never read under
another. When a newer notice is offered (ZHICHENG_NOTICE changed, or another notice's applications
are open) the user is told which notice they are on, what the new one changes for them, and may
start it: the answers to unchanged questions and the ticks of unchanged items carry over
(bot.features.notices.moving), and only what is new is asked. Nothing changes before the button is
pressed. A user whose notice is no longer loaded is told so, and their stored answers stay as they
are until they choose (they cannot be carried over: the questions they answered are not loaded)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.actions import Button, Send, Toast
from bot.chat.buttons import CallbackData
from bot.chat.events import ButtonPressed, Event
from bot.chat.registry import Registry
from bot.chat.texts import message
from bot.chat.turn import Turn
from bot.features.notices.moving import plan
from bot.features.notices.wording import sections
from conversations.interview import interview_for
from conversations.render import SPLIT, pack


@dataclass(frozen=True)
class StartNotice(CallbackData, prefix="nt.start"):
    """按现行通知开始问答: start anew under the notice offered today."""

    legacy = r"x:nt:new:([A-Za-z0-9_.\-]{1,40})"
    notice: str


def _start_button(turn: Turn) -> Button:
    offered = turn.offered or turn.notice
    return StartNotice(offered.id).button(turn._("Start under the new notice"))


def offer_newer_notice(turn: Turn) -> None:
    """Under the welcome: the notice this interview follows, the newer one, what it changes for
    this applicant and what carries over, with the button (the last message carries it)."""
    newer = turn.newer_notice
    if newer is None:
        return
    move = plan(turn.notice, newer, turn.state.answers, turn.state.ticks, turn.locale) if turn.state.answers else None
    text = message(
        "notice_newer",
        turn.locale,
        notice=turn.notice,
        newer=newer,
        move=move,
        sections=sections(list(move.lines)) if move is not None else [],
    )
    chunks = pack(text.split(SPLIT))
    for i, chunk in enumerate(chunks):
        turn.actions.append(Send(chunk, ((_start_button(turn),),) if i == len(chunks) - 1 else None))


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
    move = None
    if turn.notice_gone or not state.started:
        state.answers.clear()
        state.ticks.clear()
    else:
        move = plan(turn.notice, offered, state.answers, state.ticks, turn.locale)
        state.answers = dict(move.carried.answers)
        state.ticks = set(move.ticks)
    state.notice_id = offered.id
    state.current_question = None
    turn.notice, turn.interview, turn.notice_gone = offered, interview_for(offered), False
    turn.say("notice_started", newer=offered, move=move)
    state.started = True
    turn.advance()
    if turn.finished():
        turn.send_outcome(with_document=True)
    else:
        turn.ask()


def register(registry: Registry) -> None:
    registry.on_button(StartNotice, on_new_notice_pressed, needs_notice=False)
    registry.fallbacks.notice_gone = on_notice_gone
