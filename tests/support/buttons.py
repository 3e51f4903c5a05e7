"""Callback data of the bot's own buttons, packed from their typed kinds, under short names the
tests read well (answer, toggle, RESTART …)."""

from __future__ import annotations

from bot.chat.buttons import MAX_BYTES, Answer, Back, ChecklistFile, Restart, Retry, Tick, parse
from bot.features.account.handlers import DeleteCancelled, DeleteConfirmed, Language
from bot.features.checklist.handlers import ShowChecklist
from bot.features.deadlines.handlers import Calendar, Reminders

__all__ = ["MAX_BYTES", "parse"]


def answer(question_id: str, option_id: str) -> str:
    return Answer(question_id, option_id).pack()


def back(question_id: str | None) -> str:
    """◀ Back from a question (None: from the outcome)."""
    return Back(question_id or "").pack()


def toggle(item_id: str) -> str:
    return Tick(item_id).pack()


def lang(locale: str) -> str:
    return Language(locale).pack()


RESTART = Restart().pack()
RETRY = Retry().pack()
DOCUMENT = ChecklistFile().pack()
CHECKLIST = ShowChecklist().pack()
CALENDAR = Calendar().pack()
REMINDERS_ON = Reminders(on=True).pack()
REMINDERS_OFF = Reminders(on=False).pack()
DELETE_YES = DeleteConfirmed().pack()
DELETE_NO = DeleteCancelled().pack()
