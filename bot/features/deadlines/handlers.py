"""Deadlines and reminders: /deadlines (the season, each date with its weekday and countdown,
what it means for this applicant, the contacts), the deadlines as an .ics file, and /reminders
to turn the reminders before each deadline off and on again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.chat.actions import Button, EditOrigin, Keyboard, Send, SendDocument, Toast
from bot.chat.buttons import CallbackData
from bot.chat.events import ButtonPressed, Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import gettext
from bot.chat.turn import Turn
from bot.features.checklist.handlers import ShowChecklist
from conversations.calendar_file import deadlines_ics
from conversations.outcome import Outcome
from conversations.render import deadlines_message, reminder_message
from knowledge.model import Notice

CHECKLIST_LABEL = N_("📋 My checklist")
REMINDERS_OFF_LABEL = N_("🔕 Turn reminders off")


@dataclass(frozen=True)
class Calendar(CallbackData, prefix="dl.ics"):
    """📅 The deadlines as an .ics file."""

    legacy = r"ics"


@dataclass(frozen=True)
class Reminders(CallbackData, prefix="dl.reminders"):
    """🔔/🔕 Reminders on or off."""

    legacy = r"rem:(on|off)"
    on: bool

    @classmethod
    def from_values(cls, values: list[str]) -> Reminders | None:
        return super().from_values(["1" if v == "on" else "0" if v == "off" else v for v in values])


def _reminders_button(turn: Turn) -> Button:
    if turn.state.reminders_on:
        return Reminders(on=False).button(turn._("🔕 Turn reminders off"))
    return Reminders(on=True).button(turn._("🔔 Turn reminders on"))


def _keyboard(turn: Turn) -> Keyboard | None:
    if not turn.finished() or not turn.outcome().has_checklist:
        return None
    return ((Calendar().button(turn._("📅 Add to my calendar (.ics)")), _reminders_button(turn)),)


def on_deadlines(event: Event, turn: Turn) -> None:
    outcome = turn.outcome() if turn.finished() else None
    if outcome is not None and not outcome.deadlines:  # turned away: say why, not an empty list
        turn.say("no_deadlines", outcome=outcome)
        return
    text = deadlines_message(turn.notice, outcome, turn.today(), turn.locale)
    turn.actions.append(Send(text, _keyboard(turn)))


def on_calendar_pressed(event: ButtonPressed[Calendar], turn: Turn) -> None:
    if not turn.finished() or not turn.outcome().has_checklist:
        return turn.stale_button()
    turn.actions.append(Toast(""))
    turn.actions.append(
        SendDocument(
            filename=f"deadlines-{turn.notice.id}-{turn.state.user_id}.ics",
            content=deadlines_ics(turn.notice, turn.outcome(), now=turn.clock(), at=turn.env.reminder_time),
            caption=turn._("Your deadlines with alarms, to import into your phone's calendar"),
        )
    )
    return None


def _reminders_status(turn: Turn) -> str:
    if turn.state.reminders_on:
        return turn._("Reminders are on: 7, 3 and 1 days before each deadline and on the day, at %(time)s.") % {
            "time": turn.env.reminder_time.strftime("%H:%M")
        }
    return turn._("Reminders are off. You can turn them on again at any time.")


def on_reminders(event: Event, turn: Turn) -> None:
    """/reminders: the state of the reminders, with a button to switch them."""
    turn.actions.append(Send(_reminders_status(turn), ((_reminders_button(turn),),)))


def on_reminders_pressed(event: ButtonPressed[Reminders], turn: Turn) -> None:
    turn.state.reminders_on = event.button.on
    turn.remember = True
    turn.actions.append(Toast(turn._("Reminders on") if event.button.on else turn._("Reminders off")))
    turn.actions.append(EditOrigin(_reminders_status(turn), ((_reminders_button(turn),),)))


def reminder_messages(
    notice: Notice, outcome: Outcome, deadline_id: str, today: dt.date, ticks: Collection[str], locale: str | None
) -> Sequence[Send]:
    """A reminder before a deadline (delivery's view), with buttons to the checklist and to turn
    reminders off."""
    loc = locale or "zh_Hans"
    keyboard = (
        (
            ShowChecklist().button(gettext(loc, CHECKLIST_LABEL)),
            Reminders(on=False).button(gettext(loc, REMINDERS_OFF_LABEL)),
        ),
    )
    return [Send(reminder_message(notice, outcome, deadline_id, today, ticks, loc), keyboard)]


def register(registry: Registry) -> None:
    registry.command("deadlines", N_("Deadlines"), N_("the deadlines that apply to you"), on_deadlines, rank=30)
    registry.command(
        "reminders",
        N_("Reminders on or off"),
        N_("turn the reminders before each deadline off or on"),
        on_reminders,
        rank=35,
    )
    registry.on_button(Calendar, on_calendar_pressed)
    registry.on_button(Reminders, on_reminders_pressed)
    registry.delivery_view("reminder", reminder_messages)
