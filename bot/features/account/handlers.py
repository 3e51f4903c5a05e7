"""The user's own account: /lang, /privacy (what is stored) and /delete_me with its confirmation,
which work even for a user whose notice is no longer loaded; and whether the chat can be reached
(Telegram reports the bot blocked or unblocked)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.chat.actions import EditOrigin, Toast
from bot.chat.buttons import CallbackData
from bot.chat.events import Blocked, ButtonPressed, Event
from bot.chat.registry import N_, Registry
from bot.chat.texts import message
from bot.chat.turn import Turn
from bot.features.units import queries as units
from bot.store.users import set_unreachable
from conversations.i18n import LANGUAGE_NAMES, LOCALES

DELETE_CONFIRMATION_VALID = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Language(CallbackData, prefix="ac.lang"):
    legacy = r"l:([A-Za-z_]{2,10})"
    locale: str


@dataclass(frozen=True)
class DeleteConfirmed(CallbackData, prefix="ac.delete"):
    legacy = r"del:yes"


@dataclass(frozen=True)
class DeleteCancelled(CallbackData, prefix="ac.keep"):
    legacy = r"del:no"


def on_lang(event: Event, turn: Turn) -> None:
    keyboard = tuple(
        (Language(code).button(("✓ " if code == turn.locale else "") + LANGUAGE_NAMES[code]),) for code in LOCALES
    )
    turn.say("lang", keyboard)


def on_language_chosen(event: ButtonPressed[Language], turn: Turn) -> None:
    code = event.button.locale
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
    keyboard = ((DeleteConfirmed().button(turn._("Delete everything")), DeleteCancelled().button(turn._("Cancel"))),)
    turn.say("delete_confirm", keyboard)


def _deletion_pending(turn: Turn) -> bool:
    requested = turn.state.delete_requested_at
    if requested is None:
        return False
    return turn.clock() - dt.datetime.fromisoformat(requested) <= DELETE_CONFIRMATION_VALID


def on_delete_confirmed(event: ButtonPressed[DeleteConfirmed], turn: Turn) -> None:
    if not _deletion_pending(turn):
        return turn.stale_button()
    turn.deleted = True
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(message("deleted", turn.locale, notice=turn.notice)))
    return None


def on_delete_cancelled(event: ButtonPressed[DeleteCancelled], turn: Turn) -> None:
    if not _deletion_pending(turn):
        return turn.stale_button()
    turn.state.delete_requested_at = None
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(message("delete_cancelled", turn.locale, notice=turn.notice)))
    return None


def on_blocked(event: Blocked, turn: Turn) -> None:
    """Telegram reports the bot blocked (nothing more is queued for the chat, and what is queued is
    withdrawn) or unblocked (reminders and broadcasts reach the chat again). No reply either way."""
    if not turn.state.exists:
        return  # a stranger: nothing is stored about them
    if event.blocked:
        set_unreachable(turn.database, turn.state.chat_id, turn.clock())
    turn.state.unreachable = event.blocked


def register(registry: Registry) -> None:
    registry.command("lang", N_("Language"), N_("change the language"), on_lang, rank=60, needs_notice=False)
    registry.command(
        "privacy",
        N_("What is stored about you"),
        N_("what is stored about you"),
        on_privacy,
        rank=70,
        needs_notice=False,
    )
    registry.command(
        "delete_me", N_("Delete all your data"), N_("delete all your data"), on_delete_me, rank=80, needs_notice=False
    )
    registry.on_button(Language, on_language_chosen, needs_notice=False)
    registry.on_button(DeleteConfirmed, on_delete_confirmed, needs_notice=False)
    registry.on_button(DeleteCancelled, on_delete_cancelled, needs_notice=False)
    registry.on_blocked(on_blocked)
