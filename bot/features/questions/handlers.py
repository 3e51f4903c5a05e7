"""Typed questions and descriptions: whatever the user types where no button or wizard expects it is
read as a question about the notice (conversations.qa) and as a description of the user's case
(conversations.understand).

- A question is answered with its clause; close alternatives come as buttons; one the notice does not
  answer is said to be so, with the contacts, and is recorded without the user's id for the office
  (/unanswered, contact persons only). During the interview the place is kept (回到问题).
- A description (我是援疆的，援派期两年，想报高工) is shown as understood, 我理解为：…, with ✅ 确认 and
  ✏️ 修改, and kept as a draft until one is pressed (it survives a restart). Nothing is saved before ✅;
  after ✅ the answers are saved, each one that contradicts an earlier answer is asked about first (which
  one holds, two buttons), and the interview asks only the questions still open, in its order. ✏️ asks
  those questions with the buttons instead. A message that both describes and asks gets both: the
  reading to confirm, then the answer, again personalised once confirmed where that changes it.
- A unit's HR or a contact person who is not in their own interview is pointed to /case, which reads a
  description the same way and stores nothing (bot.features.case).
- Text with no Chinese in it (digits, emoji, another language) gets a clear reply and the way back."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from bot.chat.actions import Button, EditOrigin, Keyboard, Send, Toast
from bot.chat.buttons import CallbackData
from bot.chat.drafts import Draft
from bot.chat.events import ButtonPressed, Event, Text
from bot.chat.registry import N_, Registry
from bot.chat.roles import CONTACT, HR
from bot.chat.turn import Turn
from bot.features.questions import unanswered
from bot.features.questions.understood import (
    Pending,
    ask_which_holds,
    keyboard,
    labels,
    option_label,
    understood_text,
    worth_confirming,
)
from conversations.qa import Answer, answer, answer_entry, index_for, looks_like_question
from conversations.render import qa_messages
from conversations.understand import understand
from knowledge.model import Notice

AWAIT_UNDERSTOOD = "understood"
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Entry(CallbackData, prefix="qa.entry"):
    """An alternative answer: the entry by a short digest of its key (keys hold CJK and colons)."""

    digest: str


@dataclass(frozen=True)
class BackToQuestion(CallbackData, prefix="qa.back"):
    """回到问题: the interview's current question again."""


@dataclass(frozen=True)
class Confirm(CallbackData, prefix="qa.ok"):
    """✅ 确认: save the answers a description was read to give."""

    token: str


@dataclass(frozen=True)
class Amend(CallbackData, prefix="qa.edit"):
    """✏️ 修改: answer those questions with the buttons instead."""

    token: str


@dataclass(frozen=True)
class Keep(CallbackData, prefix="qa.keep"):
    """The earlier answer to a question holds over the description's."""

    token: str
    question: str


@dataclass(frozen=True)
class Take(CallbackData, prefix="qa.take"):
    """The description's answer to a question replaces the earlier one."""

    token: str
    question: str


@dataclass
class Understood(Draft):
    """A description awaiting ✅ or ✏️ (the fields of understood.Pending)."""

    answers: dict[str, str]
    evidence: dict[str, str]
    token: str
    question: str = ""
    confirmed: bool = False
    chosen: dict[str, str] = field(default_factory=dict)
    truncated: bool = False

    def pending(self) -> Pending | None:
        return Pending.load(self.dump())


@cache
def _keys_by_digest(notice: Notice) -> dict[str, str]:
    return {_digest(key): key for key in index_for(notice).entries}


def _digest(key: str) -> str:
    """A short, stable id of an entry for callback data (entry keys hold CJK and colons)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def _keyboard(turn: Turn, reply: Answer) -> Keyboard | None:
    rows: list[tuple[Button, ...]] = [(Entry(_digest(c.key)).button(c.label),) for c in reply.alternatives[1:]]
    if turn.in_interview():
        rows.append((BackToQuestion().button(turn._("Back to the question")),))
    return tuple(rows) or None


def _send_answer(turn: Turn, reply: Answer) -> None:
    messages = qa_messages(turn.notice, reply, turn.locale)
    keyboard_ = _keyboard(turn, reply)
    for i, text in enumerate(messages):
        turn.actions.append(Send(text, keyboard_ if i == len(messages) - 1 else None))


def unreadable(text: str) -> str | None:
    """Why a text cannot be read as a question: "signs" (only digits, signs, emoji) or "language" (letters of
    another language, no Chinese); None for text with Chinese in it."""
    folded = unicodedata.normalize("NFKC", text)
    if _CJK.search(folded):
        return None
    return "language" if _WORD.search(folded) else "signs"


def _is_own_case(turn: Turn) -> bool:
    """Whether what the user describes is taken as their own answers: not for a unit's HR or a contact
    person outside their own interview (they describe others: /case)."""
    return turn.in_interview() or not (turn.has_role(HR) or turn.has_role(CONTACT))


def on_typed_question(event: Text, turn: Turn) -> None:
    kind = unreadable(event.text)
    if kind is not None and turn.in_interview():  # typed instead of pressed: answer with the buttons
        if kind == "language":
            turn.say("unreadable", kind=kind)
        turn.reprompt("text")
        return
    if kind is not None:
        turn.say("unreadable", kind=kind)
        return
    u = understand(turn.notice, event.text, turn.state.answers, today=turn.today())
    if worth_confirming(u):
        if _is_own_case(turn):
            pending = Pending.of(u, event.text)
            turn.keep_draft(AWAIT_UNDERSTOOD, Understood(**pending.dump()))
            turn.actions.append(
                Send(
                    understood_text(turn, pending, turn.state.answers, case=False),
                    keyboard(turn, Confirm(pending.token), Amend(pending.token)),
                )
            )
            if u.question_answer is not None:
                _answer_text(turn, event.text, u.question_answer)
            return
        if u.question_answer is not None:
            _answer_text(turn, event.text, u.question_answer)
        turn.say("understood_for_hr")
        return
    if turn.in_interview() and not looks_like_question(event.text):
        turn.reprompt("text")  # an answer typed instead of pressed (我是工程师): say how to answer
        return
    _answer_text(
        turn,
        event.text,
        u.question_answer or answer(turn.notice, event.text, answers=turn.state.answers, today=turn.today()),
    )


def _answer_text(turn: Turn, text: str, reply: Answer) -> None:
    if not reply.answered:
        unanswered.record(turn.database, text, turn.clock())
        if turn.in_interview():  # not covered: say so, then how to go on with the question
            turn.actions.extend(Send(t) for t in qa_messages(turn.notice, reply, turn.locale))
            turn.reprompt("text")
            return
    _send_answer(turn, reply)


def on_awaited_input(event: Event, turn: Turn) -> None:
    """Input while a description awaits ✅ or ✏️: text is read again (a newer description replaces it, a
    question is answered and it stays open); a file or a sticker is asked to wait for the decision."""
    if isinstance(event, Text):
        on_typed_question(event, turn)
        return
    draft = turn.draft(AWAIT_UNDERSTOOD, Understood)
    pending = draft.pending() if draft else None
    if pending is None:
        turn.state.await_input(None)
        turn.reprompt("other")
        return
    turn.actions.append(
        Send(
            understood_text(turn, pending, turn.state.answers, case=False)
            + "\n\n"
            + turn._("Please first press ✅ Confirm or ✏️ Change above; then send the file again."),
            keyboard(turn, Confirm(pending.token), Amend(pending.token)),
        )
    )


def _pending(turn: Turn, token: str) -> Pending | None:
    draft = turn.draft(AWAIT_UNDERSTOOD, Understood)
    pending = draft.pending() if draft else None
    return pending if pending is not None and pending.token == token else None


def _expired(turn: Turn) -> None:
    """A ✅ or ✏️ pressed twice, after a restart of the wizard or for a reading a newer one replaced."""
    turn.actions.append(Toast(turn._("This confirmation is no longer open"), alert=False))
    turn.say("understood_expired")
    if turn.in_interview():
        turn.ask()


def on_confirm(event: ButtonPressed[Confirm], turn: Turn) -> None:
    pending = _pending(turn, event.button.token)
    if pending is None or pending.confirmed:
        if pending is not None:  # a double tap while a contradiction is being decided
            turn.actions.append(Toast(turn._("Already recorded")))
            return
        _expired(turn)
        return
    turn.actions.append(Toast(turn._("Confirmed")))
    turn.actions.append(EditOrigin(understood_text(turn, pending, turn.state.answers, case=False, state="confirmed")))
    pending.confirmed = True
    _go_on(turn, pending)


def _go_on(turn: Turn, pending: Pending) -> None:
    """Ask about the next contradiction, or save."""
    stored = turn.state.answers
    contradicted = pending.contradicted(stored)
    if contradicted:
        turn.keep_draft(AWAIT_UNDERSTOOD, Understood(**pending.dump()))
        q = contradicted[0]
        turn.actions.append(
            ask_which_holds(
                turn,
                q,
                stored[q],
                pending.answers[q],
                pending.evidence.get(q, ""),
                Keep(pending.token, q),
                Take(pending.token, q),
            )
        )
        return
    _save(turn, pending)


def _save(turn: Turn, pending: Pending) -> None:
    before = dict(turn.state.answers)
    merged = pending.merged(before)
    changed = {q: o for q, o in merged.items() if before.get(q) != o}
    turn.state.answers = merged
    turn.state.await_input(None)
    turn.state.started = True
    turn.advance()
    finished = turn.state.current_question is None
    turn.say("understood_saved", saved=labels(turn, changed), case=False, finished=finished)
    if pending.question:  # the message also asked something: answered again by the answers confirmed
        again = answer(turn.notice, pending.question, answers=merged, today=turn.today())
        earlier = answer(turn.notice, pending.question, answers=before, today=turn.today())
        if qa_messages(turn.notice, again, turn.locale) != qa_messages(turn.notice, earlier, turn.locale):
            turn.actions.extend(Send(t) for t in qa_messages(turn.notice, again, turn.locale))
    if finished:
        turn.send_outcome(with_document=True)
    else:
        turn.ask()


def on_decide(event: ButtonPressed[Keep] | ButtonPressed[Take], turn: Turn) -> None:
    pending = _pending(turn, event.button.token)
    question = event.button.question
    if pending is None or not pending.confirmed or question not in pending.answers:
        _expired(turn)
        return
    stored = turn.state.answers
    if question in pending.chosen or question not in stored:
        turn.actions.append(Toast(turn._("Already recorded")))
        return
    keep = isinstance(event.button, Keep)
    pending.chosen[question] = stored[question] if keep else pending.answers[question]
    turn.actions.append(Toast(turn._("Recorded")))
    label = option_label(turn, question, pending.chosen[question])
    turn.actions.append(EditOrigin(turn._("Holds: %(answer)s") % {"answer": label}))
    _go_on(turn, pending)


def on_amend(event: ButtonPressed[Amend], turn: Turn) -> None:
    pending = _pending(turn, event.button.token)
    if pending is None or pending.confirmed:
        _expired(turn)
        return
    turn.actions.append(Toast(""))
    turn.actions.append(EditOrigin(understood_text(turn, pending, turn.state.answers, case=False, state="amended")))
    turn.state.await_input(None)
    turn.state.started = True
    interview = turn.interview
    position = interview.position(turn.state.answers)
    reachable = [q.id for q in interview.asked(turn.state.answers)]
    if position.question is not None:
        reachable.append(position.question.id)
    first = next((q for q in reachable if q in pending.answers), None)
    if first is not None:  # the first question the description answered, with the buttons
        turn.state.current_question = first
    else:
        turn.advance()
    if turn.state.current_question is None:
        turn.send_outcome(with_document=False)
    else:
        turn.ask()


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
    registry.on_awaited(AWAIT_UNDERSTOOD, on_awaited_input)
    registry.on_button(Entry, on_entry_pressed)
    registry.on_button(BackToQuestion, on_back_to_question)
    registry.on_button(Confirm, on_confirm)
    registry.on_button(Amend, on_amend)
    registry.on_button(Keep, on_decide)
    registry.on_button(Take, on_decide)
    registry.command(
        "unanswered",
        N_("Unanswered questions"),
        N_("the questions most often asked that the notice does not answer"),
        on_unanswered,
        rank=200,
        role=CONTACT,
    )
