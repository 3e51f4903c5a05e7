"""Deadlines and reminders: /deadlines (the season, each date with its weekday and countdown,
what it means for this applicant, the contacts), the deadlines as an .ics file, and /reminders
to turn the reminders before each deadline off and on again."""

from __future__ import annotations

from bot import callbacks
from bot.actions import Button, EditOrigin, Keyboard, Send, SendDocument, Toast
from bot.events import CalendarPressed, Event, RemindersPressed
from bot.registry import N_, Registry
from bot.turn import Turn
from conversations.calendar_file import deadlines_ics
from conversations.render import deadlines_message


def _reminders_button(turn: Turn) -> Button:
    if turn.state.reminders_on:
        return Button(turn._("🔕 Turn reminders off"), callbacks.REMINDERS_OFF)
    return Button(turn._("🔔 Turn reminders on"), callbacks.REMINDERS_ON)


def _keyboard(turn: Turn) -> Keyboard | None:
    if not turn.finished() or not turn.outcome().has_checklist:
        return None
    return ((Button(turn._("📅 Add to my calendar (.ics)"), callbacks.CALENDAR), _reminders_button(turn)),)


def on_deadlines(event: Event, turn: Turn) -> None:
    outcome = turn.outcome() if turn.finished() else None
    text = deadlines_message(turn.notice, outcome, turn.today(), turn.locale)
    turn.actions.append(Send(text, _keyboard(turn)))


def on_calendar_pressed(event: CalendarPressed, turn: Turn) -> None:
    if not turn.finished() or not turn.outcome().has_checklist:
        return turn.stale_button()
    turn.actions.append(Toast(""))
    turn.actions.append(SendDocument(
        filename=f"deadlines-{turn.notice.id}-{turn.state.user_id}.ics",
        content=deadlines_ics(turn.notice, turn.outcome(), now=turn.clock(), at=turn.env.reminder_time),
        caption=turn._("Your deadlines with alarms, to import into your phone's calendar"),
    ))
    return None


def _reminders_status(turn: Turn) -> str:
    if turn.state.reminders_on:
        return turn._("Reminders are on: 7, 3 and 1 days before each deadline and on the day, at %(time)s.") % {
            "time": turn.env.reminder_time.strftime("%H:%M")}
    return turn._("Reminders are off. You can turn them on again at any time.")


def on_reminders(event: Event, turn: Turn) -> None:
    """/reminders: the state of the reminders, with a button to switch them."""
    turn.actions.append(Send(_reminders_status(turn), ((_reminders_button(turn),),)))


def on_reminders_pressed(event: RemindersPressed, turn: Turn) -> None:
    turn.state.reminders_on = event.on
    turn.remember = True
    turn.actions.append(Toast(turn._("Reminders on") if event.on else turn._("Reminders off")))
    turn.actions.append(EditOrigin(_reminders_status(turn), ((_reminders_button(turn),),)))


def register(registry: Registry) -> None:
    registry.command("deadlines", N_("Deadlines"), N_("the deadlines that apply to you"), on_deadlines, rank=30)
    registry.command("reminders", N_("Reminders on or off"), N_("turn the reminders before each deadline off or on"),
                     on_reminders, rank=35)
    registry.on(CalendarPressed, on_calendar_pressed)
    registry.on(RemindersPressed, on_reminders_pressed)
