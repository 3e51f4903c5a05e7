"""Typed questions: whatever the user types where no button or wizard expects it is taken as a
question about the notice (conversations.qa). The answer cites its clause; close alternatives come
as buttons; a question the notice does not answer is said to be so, with the contacts, and is
recorded without the user's id for the office (/unanswered, contact persons only). During the
interview the place is kept: a 回到问题 button asks the current question again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from bot.chat.actions import Button, Keyboard, Send, Toast
from bot.chat.buttons import CallbackData
from bot.chat.events import ButtonPressed, Event, Text
from bot.chat.registry import N_, Registry
from bot.chat.roles import CONTACT
from bot.chat.turn import Turn
from bot.features.questions import unanswered
from conversations.qa import Answer, answer, answer_entry, index_for, looks_like_question
from conversations.render import qa_messages
from knowledge.model import Notice


@dataclass(frozen=True)
class Entry(CallbackData, prefix="qa.entry"):
    """An alternative answer: the entry by a short digest of its key (keys hold CJK and colons)."""

    digest: str


@dataclass(frozen=True)
class BackToQuestion(CallbackData, prefix="qa.back"):
    """回到问题: the interview's current question again."""


@cache
def _keys_by_digest(notice: Notice) -> dict[str, str]:
    return {_digest(key): key for key in index_for(notice).entries}


def _digest(key: str) -> str:
    """A short, stable id of an entry for callback data (entry keys hold CJK and colons)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def _keyboard(turn: Turn, reply: Answer) -> Keyboard | None:
    rows: list[tuple[Button, ...]] = [
        (Entry(_digest(c.key)).button(c.label),) for c in reply.alternatives[1:]
    ]
    if turn.in_interview():
        rows.append((BackToQuestion().button(turn._("Back to the question")),))
    return tuple(rows) or None


def _send_answer(turn: Turn, reply: Answer) -> None:
    messages = qa_messages(turn.notice, reply, turn.locale)
    keyboard = _keyboard(turn, reply)
    for i, text in enumerate(messages):
        turn.actions.append(Send(text, keyboard if i == len(messages) - 1 else None))


def on_typed_question(event: Text, turn: Turn) -> None:
    if turn.in_interview() and not looks_like_question(event.text):
        turn.reprompt("text")  # an answer typed instead of pressed (我是工程师): say how to answer
        return
    reply = answer(turn.notice, event.text, answers=turn.state.answers, today=turn.today())
    if not reply.answered:
        unanswered.record(turn.database, event.text, turn.clock())
        if turn.in_interview():  # not covered: say so, then how to go on with the question
            turn.actions.extend(Send(text) for text in qa_messages(turn.notice, reply, turn.locale))
            turn.reprompt("text")
            return
    _send_answer(turn, reply)


def on_back_to_question(event: ButtonPressed[BackToQuestion], turn: Turn) -> None:
    turn.actions.append(Toast(""))
    if turn.in_interview():
        turn.ask()
    else:
        turn.say("idle", finished=turn.finished())


def on_entry_pressed(event: ButtonPressed[Entry], turn: Turn) -> None:
    key = _keys_by_digest(turn.notice).get(event.button.digest)
    reply = answer_entry(turn.notice, key, answers=turn.state.answers, today=turn.today()) if key else None
    if reply is None:  # an entry of an older knowledge file, or forged data
        turn.stale_button()
        return
    turn.actions.append(Toast(""))
    _send_answer(turn, reply)


def on_unanswered(event: Event, turn: Turn) -> None:
    """/unanswered: the questions most often asked that the notice does not answer."""
    questions, kept = unanswered.most_asked(turn.database)
    turn.say("unanswered", questions=questions, kept=kept)


def register(registry: Registry) -> None:
    registry.on_text(on_typed_question)
    registry.on_button(Entry, on_entry_pressed)
    registry.on_button(BackToQuestion, on_back_to_question)
    registry.command("unanswered", N_("Unanswered questions"),
                     N_("the questions most often asked that the notice does not answer"),
                     on_unanswered, rank=200, role=CONTACT)
