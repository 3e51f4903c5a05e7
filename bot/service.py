"""The conversation with one user, free of Telegram: an event in, actions out.

Each event runs in one SQLite transaction: repeated deliveries are dropped, the user's state
is loaded, one small step function named for what it received changes it, and it is saved.
The Telegram handlers and the console chat both drive this class.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot import callbacks
from bot.actions import Action, Button, EditOrigin, Keyboard, Send, SendDocument, Toast
from bot.events import Command, Event, Pressed, Text, Unsupported
from bot.logsafe import hashed
from bot.storage import Storage, UserState
from bot.texts import gettext, message
from conversations.i18n import LANGUAGE_NAMES, LOCALES, format_duration, normalize_locale
from conversations.interview import Interview, interview_for
from conversations.outcome import Outcome, evaluate
from conversations.render import checklist_messages, head_messages, outcome_html, tail_messages
from knowledge.model import Notice, Question

log = logging.getLogger("zhicheng.updates")

COMMANDS = ("start", "checklist", "deadlines", "restart", "help", "lang", "privacy", "delete_me")
TICK_BUTTONS_PER_ROW = 5
DELETE_CONFIRMATION_VALID = dt.timedelta(minutes=10)


@lru_cache(maxsize=4096)
def _question_text(
    locale: str, notice: Notice, question: Question, number: int, total: int, chosen_id: str | None
) -> str:
    """A question as shown, with its progress; the same few hundred texts recur for every applicant."""
    filled = round(10 * (number - 1) / max(total, 1))
    option = question.option(chosen_id) if chosen_id else None
    return message(
        "question",
        locale,
        question=question,
        number=number,
        total=total,
        bar="▰" * filled + "▱" * (10 - filled),
        chosen=option.label if option else None,
    )


@dataclass
class Turn:
    """One event being handled: the user's state, and the actions gathered for the reply."""

    state: UserState
    notice: Notice
    interview: Interview
    actions: list[Action] = field(default_factory=list)
    deleted: bool = False
    remember: bool = False  # store a user who has not started the interview (a chosen language)

    @property
    def locale(self) -> str:
        return normalize_locale(self.state.locale)

    def _(self, text: str) -> str:
        return gettext(self.locale, text)

    def say(self, template: str, keyboard: Keyboard | None = None, **context: object) -> None:
        self.actions.append(Send(message(template, self.locale, notice=self.notice, **context), keyboard))


class ChatService:
    def __init__(
        self, storage: Storage, notice: Notice, *, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.storage = storage
        self.notice = notice
        self.interview = interview_for(notice)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    async def handle(self, event: Event) -> list[Action] | None:
        """The actions answering the event; None for a repeated delivery, which must not be answered."""
        started = time.perf_counter()
        handler = "duplicate"
        state_name = "-"
        actions: list[Action] | None = None
        async with self.storage.transaction():
            if event.update_id is None or await self.storage.first_time_update(event.update_id):
                state = await self.storage.load_user(event.user_id, event.chat_id)
                before = state.snapshot()
                if state.locale is None:
                    state.locale = normalize_locale(event.language_code)
                if state.notice_id is None:
                    state.notice_id = self.notice.id
                turn = Turn(state, self.notice, self.interview)
                step = self._route(event, turn)
                handler = step.__name__
                step(event, turn)
                if turn.deleted:
                    await self.storage.delete_user(state.user_id)
                elif before.exists and state != before:
                    await self.storage.save_user(state, before)
                elif not before.exists and (state.started or turn.remember):
                    await self.storage.save_user(state, None)  # junk from a stranger stores nothing
                state_name = (
                    "deleted" if turn.deleted else (state.current_question or ("outcome" if state.started else "new"))
                )
                actions = turn.actions
        log.info(
            "update user=%s state=%s handler=%s duration_ms=%.1f",
            hashed(event.user_id),
            state_name,
            handler,
            (time.perf_counter() - started) * 1000,
        )
        return actions

    # --- routing: which step receives the event ---

    def _route(self, event: Event, turn: Turn) -> Callable[[Event, Turn], None]:
        if isinstance(event, Command):
            return (
                getattr(self, f"on_{event.name}", self.on_unknown_command)
                if event.name in COMMANDS
                else self.on_unknown_command
            )
        if isinstance(event, Pressed):
            parsed = callbacks.parse(event.data)
            if parsed is None:
                return self.on_stale_button
            return {
                "answer": self.on_answer,
                "back": self.on_back,
                "restart": self.on_restart_button,
                "toggle": self.on_tick,
                "lang": self.on_language_chosen,
                "delete_yes": self.on_delete_confirmed,
                "delete_no": self.on_delete_cancelled,
                "document": self.on_document_requested,
            }[parsed.kind]
        if isinstance(event, Text):
            return self.on_free_text
        if isinstance(event, Unsupported):
            return self.on_unsupported
        return self.on_unsupported

    # --- the interview ---

    def on_start(self, event: Event, turn: Turn) -> None:
        turn.say("welcome")
        turn.state.started = True
        if turn.state.current_question is None and not self._finished(turn):
            self._advance(turn)
        if self._finished(turn):
            self._send_outcome(turn, with_document=False)
        else:
            self._ask(turn)

    def on_restart(self, event: Event, turn: Turn) -> None:
        turn.state.answers.clear()
        turn.state.started = True
        self._advance(turn)
        self._ask(turn)

    def on_restart_button(self, event: Event, turn: Turn) -> None:
        turn.actions.append(Toast(turn._("Starting over")))
        self.on_restart(event, turn)

    def on_answer(self, event: Event, turn: Turn) -> None:
        assert isinstance(event, Pressed)
        parsed = callbacks.parse(event.data)
        question_id, option_id = parsed.args if parsed else ("", "")
        state = turn.state
        if not self.interview.is_valid_answer(question_id, option_id):
            return self.on_stale_button(event, turn)
        if question_id != state.current_question:
            if state.answers.get(question_id) == option_id:  # a double tap: already recorded
                turn.actions.append(Toast(turn._("Already recorded")))
                return None
            return self.on_stale_button(event, turn)
        question = self.interview.question(question_id)
        assert question is not None
        number = self._number_of(turn, question_id)
        state.answers[question_id] = option_id
        turn.actions.append(Toast(turn._("Recorded")))
        self._advance(turn)
        next_question = self.interview.question(state.current_question or "")
        if next_question is not None:  # the question message turns into the next question
            turn.actions.append(EditOrigin(*self._question_message(turn, next_question)))
            return None
        label = question.option(option_id).label  # type: ignore[union-attr]
        answered = message("answered", turn.locale, question=question, number=number, answer=label)
        turn.actions.append(EditOrigin(answered))
        self._send_outcome(turn, with_document=True)
        return None

    def on_back(self, event: Event, turn: Turn) -> None:
        assert isinstance(event, Pressed)
        parsed = callbacks.parse(event.data)
        from_question = parsed.args[0] if parsed else ""
        current = turn.state.current_question
        if (from_question == "-") != (current is None) or (current is not None and from_question != current):
            return self.on_stale_button(event, turn)
        previous = self.interview.previous(turn.state.answers, current)
        if previous is None:
            turn.actions.append(Toast(turn._("This is the first question")))
            return None
        turn.state.current_question = previous.id
        turn.actions.append(Toast(""))
        turn.actions.append(EditOrigin(*self._question_message(turn, previous)))
        return None

    # --- the checklist ---

    def on_checklist(self, event: Event, turn: Turn) -> None:
        if not self._finished(turn):
            turn.say("not_finished")
            self._ask(turn)
            return
        outcome = self._outcome(turn)
        if not outcome.checklist:
            self._send_outcome(turn, with_document=False)
            return
        for text, keyboard in self._checklist_messages(turn, outcome):
            turn.actions.append(Send(text, keyboard))

    def on_tick(self, event: Event, turn: Turn) -> None:
        assert isinstance(event, Pressed)
        parsed = callbacks.parse(event.data)
        item_id = parsed.args[0] if parsed else ""
        if not self._finished(turn):
            return self.on_stale_button(event, turn)
        outcome = self._outcome(turn)
        if item_id not in {it.id for it in outcome.checklist}:
            return self.on_stale_button(event, turn)
        ticks = turn.state.ticks
        ticks.symmetric_difference_update({item_id})
        done = sum(1 for it in outcome.checklist if it.id in ticks)
        turn.actions.append(
            Toast(turn._("%(done)s of %(total)s ready") % {"done": done, "total": len(outcome.checklist)})
        )
        for text, keyboard in self._checklist_messages(turn, outcome):
            if any(b.data == callbacks.toggle(item_id) for row in keyboard or () for b in row):
                turn.actions.append(EditOrigin(text, keyboard))
        return None

    def on_document_requested(self, event: Event, turn: Turn) -> None:
        if not self._finished(turn):
            return self.on_stale_button(event, turn)
        turn.actions.append(Toast(""))
        turn.actions.append(self._document(turn, self._outcome(turn)))
        return None

    def on_deadlines(self, event: Event, turn: Turn) -> None:
        personal = self._finished(turn)
        deadlines = self._outcome(turn).deadlines if personal else self.notice.deadlines
        now = self.clock()
        zone = ZoneInfo(self.notice.info.timezone)
        rows = []
        for d in deadlines:
            left = ""
            if d.due is not None:
                end = dt.datetime.combine(d.due + dt.timedelta(days=1 if d.inclusive else 0), dt.time(), zone)
                if end <= now:
                    left = turn._("Passed")
                else:
                    left = turn._("%(duration)s left") % {"duration": format_duration(end - now, turn.locale)}
            rows.append((d, left))
        turn.say("deadlines", deadlines=rows, personal=personal)

    # --- everything else ---

    def on_help(self, event: Event, turn: Turn) -> None:
        turn.say("help")

    def on_unknown_command(self, event: Event, turn: Turn) -> None:
        turn.say("help")

    def on_lang(self, event: Event, turn: Turn) -> None:
        keyboard = tuple(
            (Button(("✓ " if code == turn.locale else "") + LANGUAGE_NAMES[code], callbacks.lang(code)),)
            for code in LOCALES
        )
        turn.say("lang", keyboard)

    def on_language_chosen(self, event: Event, turn: Turn) -> None:
        assert isinstance(event, Pressed)
        parsed = callbacks.parse(event.data)
        code = parsed.args[0] if parsed else ""
        if code not in LOCALES:
            return self.on_stale_button(event, turn)
        turn.state.locale = code
        turn.remember = True
        turn.actions.append(Toast(""))
        turn.actions.append(EditOrigin(message("lang_set", code, notice=self.notice)))
        return None

    def on_privacy(self, event: Event, turn: Turn) -> None:
        answered = self.interview.asked(turn.state.answers)
        answers = [{"question": q.text, "answer": q.option(turn.state.answers[q.id]).label} for q in answered]  # type: ignore[union-attr]
        turn.say("privacy", answers=answers, ticked=len(turn.state.ticks))

    def on_delete_me(self, event: Event, turn: Turn) -> None:
        if not turn.state.exists:
            turn.say("nothing_stored")
            return
        turn.state.delete_requested_at = self.clock().isoformat(timespec="seconds")
        keyboard = (
            (Button(turn._("Delete everything"), callbacks.DELETE_YES), Button(turn._("Cancel"), callbacks.DELETE_NO)),
        )
        turn.say("delete_confirm", keyboard)

    def _deletion_pending(self, turn: Turn) -> bool:
        requested = turn.state.delete_requested_at
        if requested is None:
            return False
        return self.clock() - dt.datetime.fromisoformat(requested) <= DELETE_CONFIRMATION_VALID

    def on_delete_confirmed(self, event: Event, turn: Turn) -> None:
        if not self._deletion_pending(turn):
            return self.on_stale_button(event, turn)
        turn.deleted = True
        turn.actions.append(Toast(""))
        turn.actions.append(EditOrigin(message("deleted", turn.locale, notice=self.notice)))
        return None

    def on_delete_cancelled(self, event: Event, turn: Turn) -> None:
        if not self._deletion_pending(turn):
            return self.on_stale_button(event, turn)
        turn.state.delete_requested_at = None
        turn.actions.append(Toast(""))
        turn.actions.append(EditOrigin(message("delete_cancelled", turn.locale, notice=self.notice)))
        return None

    def on_free_text(self, event: Event, turn: Turn) -> None:
        self._reprompt(turn, "text")

    def on_unsupported(self, event: Event, turn: Turn) -> None:
        self._reprompt(turn, "other")

    def on_stale_button(self, event: Event, turn: Turn) -> None:
        turn.actions.append(Toast(turn._("This button has expired")))
        if self._in_interview(turn):
            turn.say("stale")
            self._ask(turn)
        else:
            turn.say("idle", finished=self._finished(turn))

    # --- helpers ---

    def _in_interview(self, turn: Turn) -> bool:
        return turn.state.started and turn.state.current_question is not None

    def _finished(self, turn: Turn) -> bool:
        return (
            turn.state.started
            and turn.state.current_question is None
            and self.interview.position(turn.state.answers).finished
        )

    def _reprompt(self, turn: Turn, kind: str) -> None:
        if self._in_interview(turn):
            turn.say("reprompt", kind=kind)
            self._ask(turn)
        else:
            turn.say("idle", finished=self._finished(turn))

    def _advance(self, turn: Turn) -> None:
        position = self.interview.position(turn.state.answers)
        turn.state.current_question = position.question.id if position.question else None

    def _number_of(self, turn: Turn, question_id: str) -> int:
        path = list(self.interview.position(turn.state.answers).answers)
        return path.index(question_id) + 1 if question_id in path else len(path) + 1

    def _question_message(self, turn: Turn, question: Question) -> tuple[str, Keyboard]:
        answers = turn.state.answers
        position = self.interview.position(answers)
        path = list(position.answers)
        number = path.index(question.id) + 1 if question.id in path else len(path) + 1
        total = max(position.total, number)
        chosen_id = answers.get(question.id)
        text = _question_text(turn.locale, self.notice, question, number, total, chosen_id)
        rows: list[tuple[Button, ...]] = [
            (Button(("✓ " if o.id == chosen_id else "") + o.label, callbacks.answer(question.id, o.id)),)
            for o in question.options
        ]
        navigation = []
        if number > 1:
            navigation.append(Button(turn._("◀ Back"), callbacks.back(question.id)))
        navigation.append(Button(turn._("Start over"), callbacks.RESTART))
        rows.append(tuple(navigation))
        return text, tuple(rows)

    def _ask(self, turn: Turn) -> None:
        turn.state.started = True
        question = self.interview.question(turn.state.current_question or "")
        if question is None:  # a question id no longer in the knowledge file: continue from the answers
            self._advance(turn)
            question = self.interview.question(turn.state.current_question or "")
            if question is None:
                self._send_outcome(turn, with_document=False)
                return
        turn.actions.append(Send(*self._question_message(turn, question)))

    def _outcome(self, turn: Turn) -> Outcome:
        return evaluate(self.notice, turn.state.answers)

    def _send_outcome(self, turn: Turn, *, with_document: bool) -> None:
        outcome = self._outcome(turn)
        turn.say("outcome_intro")
        for text in head_messages(self.notice, outcome, turn.locale):
            turn.actions.append(Send(text))
        for text, keyboard in self._checklist_messages(turn, outcome):
            turn.actions.append(Send(text, keyboard))
        tail = tail_messages(self.notice, outcome, turn.locale)
        for i, text in enumerate(tail):
            keyboard = (
                (Button(turn._("◀ Back"), callbacks.back(None)), Button(turn._("Start over"), callbacks.RESTART)),
            )
            turn.actions.append(Send(text, keyboard if i == len(tail) - 1 else None))
        if with_document and outcome.checklist:
            turn.actions.append(self._document(turn, outcome))

    def _checklist_messages(self, turn: Turn, outcome: Outcome) -> list[tuple[str, Keyboard | None]]:
        numbers = {it.id: n for n, it in enumerate(outcome.checklist, start=1)}
        ticks = turn.state.ticks
        result: list[tuple[str, Keyboard | None]] = []
        chunks = checklist_messages(self.notice, outcome, turn.locale, ticks)
        for index, (text, item_ids) in enumerate(chunks):
            buttons = [Button(("☑ " if i in ticks else "☐ ") + str(numbers[i]), callbacks.toggle(i)) for i in item_ids]
            rows = [tuple(buttons[k : k + TICK_BUTTONS_PER_ROW]) for k in range(0, len(buttons), TICK_BUTTONS_PER_ROW)]
            if index == len(chunks) - 1:
                rows.append((Button(turn._("📄 Checklist file"), callbacks.DOCUMENT),))
            result.append((text, tuple(rows) or None))
        return result

    def _document(self, turn: Turn, outcome: Outcome) -> SendDocument:
        zone = ZoneInfo(self.notice.info.timezone)
        generated = self.clock().astimezone(zone).strftime("%Y-%m-%d %H:%M")
        html = outcome_html(self.notice, outcome, turn.locale, turn.state.ticks, generated=generated)
        return SendDocument(
            filename=f"checklist-{self.notice.id}.html",
            content=html.encode("utf-8"),
            caption=turn._("Your checklist as a page to open on the phone or print on A4"),
        )
