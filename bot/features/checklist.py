"""The checklist after the interview: /checklist, ticking items off, the checklist document."""

from __future__ import annotations

from bot import callbacks
from bot.actions import EditOrigin, Send, Toast
from bot.events import ChecklistPressed, DocumentPressed, Event, TickPressed
from bot.registry import N_, Registry
from bot.turn import Turn


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


def on_tick(event: TickPressed, turn: Turn) -> None:
    item_id = event.item_id
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
        if any(b.data == callbacks.toggle(item_id) for row in keyboard or () for b in row):
            turn.actions.append(EditOrigin(text, keyboard))
    return None


def on_document_pressed(event: DocumentPressed, turn: Turn) -> None:
    if not turn.finished():
        return turn.stale_button()
    turn.actions.append(Toast(""))
    turn.actions.append(turn.document(turn.outcome()))
    return None


def register(registry: Registry) -> None:
    registry.command(
        "checklist", N_("Your checklist"), N_("your checklist; tap a number to tick an item off"), on_checklist, rank=20
    )
    registry.on(TickPressed, on_tick)
    registry.on(DocumentPressed, on_document_pressed)
    registry.on(ChecklistPressed, on_checklist)
