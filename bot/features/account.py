"""The user's own account: /lang, /privacy (what is stored) and /delete_me with its confirmation."""

from __future__ import annotations

import datetime as dt

from bot import callbacks, units
from bot.actions import Button, EditOrigin, Toast
from bot.events import DeleteCancelled, DeleteConfirmed, Event, LanguagePressed
from bot.registry import N_, Registry
from bot.texts import message
from bot.turn import Turn
from conversations.i18n import LANGUAGE_NAMES, LOCALES

DELETE_CONFIRMATION_VALID = dt.timedelta(minutes=10)


def on_lang(event: Event, turn: Turn) -> None:
    keyboard = tuple(
        (Button(("✓ " if code == turn.locale else "") + LANGUAGE_NAMES[code], callbacks.lang(code)),)
        for code in LOCALES
    )
    turn.say("lang", keyboard)


def on_language_chosen(event: LanguagePressed, turn: Turn) -> None:
    code = event.locale
    if code not in LOCALES:
        return turn.stale_button()
    turn.state.locale = code
    turn.remember = True
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(message("lang_set", code, notice=turn.notice)))
    return None


def on_privacy(event: Event, turn: Turn) -> None:
    answered = turn.interview.asked(turn.state.answers)
    answers = [{"question": q.text, "answer": q.option(turn.state.answers[q.id]).label} for q in answered]  # type: ignore[union-attr]
    link = units.link_of(turn.database, turn.state.user_id)
    hr_of = units.units_of_hr(turn.database, turn.state.user_id)
    turn.say("privacy", answers=answers, ticked=len(turn.state.ticks), link=link, hr_of=hr_of)


def on_delete_me(event: Event, turn: Turn) -> None:
    if not turn.state.exists:
        turn.say("nothing_stored")
        return
    turn.state.delete_requested_at = turn.clock().isoformat(timespec="seconds")
    keyboard = (
        (Button(turn._("Delete everything"), callbacks.DELETE_YES), Button(turn._("Cancel"), callbacks.DELETE_NO)),
    )
    turn.say("delete_confirm", keyboard)


def _deletion_pending(turn: Turn) -> bool:
    requested = turn.state.delete_requested_at
    if requested is None:
        return False
    return turn.clock() - dt.datetime.fromisoformat(requested) <= DELETE_CONFIRMATION_VALID


def on_delete_confirmed(event: DeleteConfirmed, turn: Turn) -> None:
    if not _deletion_pending(turn):
        return turn.stale_button()
    turn.deleted = True
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(message("deleted", turn.locale, notice=turn.notice)))
    return None


def on_delete_cancelled(event: DeleteCancelled, turn: Turn) -> None:
    if not _deletion_pending(turn):
        return turn.stale_button()
    turn.state.delete_requested_at = None
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(message("delete_cancelled", turn.locale, notice=turn.notice)))
    return None


def register(registry: Registry) -> None:
    registry.command("lang", N_("Language"), N_("change the language"), on_lang, rank=60)
    registry.command("privacy", N_("What is stored about you"), N_("what is stored about you"), on_privacy, rank=70)
    registry.command("delete_me", N_("Delete all your data"), N_("delete all your data"), on_delete_me, rank=80)
    registry.on(LanguagePressed, on_language_chosen)
    registry.on(DeleteConfirmed, on_delete_confirmed)
    registry.on(DeleteCancelled, on_delete_cancelled)
