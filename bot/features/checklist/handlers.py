"""The checklist after the interview: /checklist, ticking items off, the checklist document."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.actions import EditOrigin, Send, Toast
from bot.chat.buttons import CallbackData, ChecklistFile, Tick
from bot.chat.events import ButtonPressed, Event
from bot.chat.registry import N_, Registry
from bot.chat.turn import Turn


@dataclass(frozen=True)
class ShowChecklist(CallbackData, prefix="cl.show"):
    """📋 My checklist (the button under a reminder)."""

    legacy = r"cl"


def on_checklist(event: Event, turn: Turn) -> None:
    if not turn.finished():
        turn.say("not_finished")
        turn.ask()
        return
    outcome = turn.outcome()
    if not outcome.checklist:
        turn.send_outcome(with_document=False)
        return
    for text, keyboard in turn.checklist_messages(outcome):
        turn.actions.append(Send(text, keyboard))


def on_tick(event: ButtonPressed[Tick], turn: Turn) -> None:
    item_id = event.button.item
    if not turn.finished():
        return turn.stale_button()
    outcome = turn.outcome()
    if item_id not in {it.id for it in outcome.checklist}:
        return turn.stale_button()
    ticks = turn.state.ticks
    ticks.symmetric_difference_update({item_id})
    done = sum(1 for it in outcome.checklist if it.id in ticks)
    turn.actions.append(Toast(turn._("%(done)s of %(total)s ready") % {"done": done, "total": len(outcome.checklist)}))
    for text, keyboard in turn.checklist_messages(outcome):
        if any(b.data == Tick(item_id).pack() for row in keyboard or () for b in row):
            turn.actions.append(EditOrigin(text, keyboard))
    return None


def on_document_pressed(event: ButtonPressed[ChecklistFile], turn: Turn) -> None:
    if not turn.finished():
        return turn.stale_button()
    turn.actions.append(Toast(""))
    turn.actions.append(turn.document(turn.outcome()))
    return None


def register(registry: Registry) -> None:
    registry.command(
        "checklist", N_("Your checklist"), N_("your checklist; tap a number to tick an item off"), on_checklist, rank=20
    )
    registry.on_button(Tick, on_tick)
    registry.on_button(ChecklistFile, on_document_pressed)
    registry.on_button(ShowChecklist, on_checklist)
