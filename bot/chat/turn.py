"""One event being handled: the user's state, the notice and interview it belongs to, and the
actions gathered for the reply, with the steps every feature shares (ask the current question,
show the outcome, the checklist messages, the checklist document)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.chat.actions import Action, Button, Keyboard, Later, Send, SendDocument, Toast
from bot.chat.buttons import Answer, Back, ChecklistFile, Restart, Retry, Tick
from bot.chat.drafts import Draft
from bot.chat.texts import gettext, message
from bot.store.users import UserState
from conversations.clock import local_today
from conversations.i18n import normalize_locale
from conversations.interview import Interview
from conversations.outcome import Outcome, evaluate
from conversations.render import checklist_messages, head_messages, outcome_html, tail_messages
from conversations.season import REMINDER_TIME
from knowledge.model import Notice, Question

TICK_BUTTONS_PER_ROW = 5
D = TypeVar("D", bound=Draft)


@dataclass(frozen=True)
class Environment:
    """What every turn may need beyond the user's own state, the same for all users."""

    contact_ids: frozenset[int] = frozenset()  # the settings' contact persons (ZHICHENG_CONTACT_IDS)
    bot_username: str | None = None  # known once the adapter has connected (for t.me links)
    reminder_time: dt.time = REMINDER_TIME  # when reminders go out, in the notice's time zone


@lru_cache(maxsize=4096)
def _question_view(
    locale: str, notice: Notice, question: Question, number: int, total: int, chosen_id: str | None
) -> tuple[str, Keyboard]:
    """A question as shown, with its progress and its buttons: the same few hundred messages recur
    for every applicant, so each is rendered once per notice and locale."""
    filled = round(10 * (number - 1) / max(total, 1))
    option = question.option(chosen_id) if chosen_id else None
    text = message(
        "question",
        locale,
        question=question,
        number=number,
        total=total,
        bar="▰" * filled + "▱" * (10 - filled),
        chosen=option.label if option else None,
    )
    rows: list[tuple[Button, ...]] = [
        (Answer(question.id, o.id).button(("✓ " if o.id == chosen_id else "") + o.label),) for o in question.options
    ]
    navigation = []
    if number > 1:
        navigation.append(Back(question.id).button(gettext(locale, "◀ Back")))
    navigation.append(Restart().button(gettext(locale, "Start over")))
    rows.append(tuple(navigation))
    return text, tuple(rows)


@lru_cache(maxsize=256)
def _same_for_everyone(template: str, locale: str, notice: Notice, context: tuple[tuple[str, object], ...]) -> str:
    return message(template, locale, notice=notice, **dict(context))


@dataclass
class Turn:
    state: UserState
    notice: Notice
    interview: Interview
    clock: Callable[[], dt.datetime]
    actions: list[Action] = field(default_factory=list)
    deleted: bool = False
    remember: bool = False  # store a user who has not started the interview (a chosen language)
    roles: frozenset[str] = frozenset()  # bot.roles, looked up for this update
    db: sqlite3.Connection | None = None  # the update's transaction, for privileged features' own tables
    env: Environment = field(default_factory=Environment)
    offered: Notice | None = None  # the notice new interviews follow today (None: this turn's notice)
    notice_gone: bool = False  # the user's stored notice is no longer loaded; `notice` is the offered one
    loaded: Mapping[str, Notice] = field(default_factory=dict)  # every notice loaded, by id

    @property
    def newer_notice(self) -> Notice | None:
        """The notice offered to new interviews when it is not the one this user's interview follows."""
        if self.offered is None or self.offered.id == self.notice.id or self.notice_gone:
            return None
        return self.offered

    def draft(self, key: str, kind: type[D]) -> D | None:
        """The draft of the wizard awaiting input `key`, if that wizard is open."""
        if self.state.awaiting != key:
            return None
        return kind.load(self.state.awaiting_data)

    def keep_draft(self, key: str, draft: Draft) -> None:
        """Await input `key` with this draft (stored with the user, even one not yet interviewed)."""
        self.state.await_input(key, **draft.dump())
        self.remember = True

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def database(self) -> sqlite3.Connection:
        """The update's transaction; steps are always handed one by ChatService."""
        if self.db is None:
            raise RuntimeError("this turn has no database connection")
        return self.db

    @property
    def locale(self) -> str:
        return normalize_locale(self.state.locale)

    def _(self, text: str) -> str:
        return gettext(self.locale, text)

    def say(self, template: str, keyboard: Keyboard | None = None, **context: object) -> None:
        self.actions.append(Send(message(template, self.locale, notice=self.notice, **context), keyboard))

    def say_same(self, template: str, **context: object) -> None:
        """A message that reads the same for everyone given the same (hashable) context, such as the
        welcome: rendered once per notice, locale and context."""
        text = _same_for_everyone(template, self.locale, self.notice, tuple(sorted(context.items())))
        self.actions.append(Send(text))

    # --- where the user is ---

    def in_interview(self) -> bool:
        return self.state.started and self.state.current_question is not None

    def finished(self) -> bool:
        return (
            self.state.started
            and self.state.current_question is None
            and self.interview.position(self.state.answers).finished
        )

    def advance(self) -> None:
        position = self.interview.position(self.state.answers)
        self.state.current_question = position.question.id if position.question else None

    def number_of(self, question_id: str) -> int:
        path = list(self.interview.position(self.state.answers).answers)
        return path.index(question_id) + 1 if question_id in path else len(path) + 1

    # --- replies every feature uses ---

    def stale_button(self) -> None:
        self.actions.append(Toast(self._("This button has expired")))
        if self.in_interview():
            self.say("stale")
            self.ask()
        else:
            self.say("idle", finished=self.finished(), roles=self.roles)

    def reprompt(self, kind: str) -> None:
        if self.in_interview():
            self.say("reprompt", kind=kind)
            self.ask()
        else:
            self.say("idle", finished=self.finished(), roles=self.roles)

    def question_message(self, question: Question) -> tuple[str, Keyboard]:
        answers = self.state.answers
        position = self.interview.position(answers)
        path = list(position.answers)
        number = path.index(question.id) + 1 if question.id in path else len(path) + 1
        total = max(position.total, number)
        return _question_view(self.locale, self.notice, question, number, total, answers.get(question.id))

    def ask(self) -> None:
        self.state.started = True
        question = self.interview.question(self.state.current_question or "")
        if question is None:  # a question id no longer in the knowledge file: continue from the answers
            self.advance()
            question = self.interview.question(self.state.current_question or "")
            if question is None:
                self.send_outcome(with_document=False)
                return
        self.actions.append(Send(*self.question_message(question)))

    def outcome(self) -> Outcome:
        return evaluate(self.notice, self.state.answers)

    def send_outcome(self, *, with_document: bool) -> None:
        """The outcome, its checklist and (with_document) the checklist file, rendered from the
        state as it is now once the actions before it have been sent."""
        frozen = Turn(
            self.state.snapshot(), self.notice, self.interview, self.clock, env=self.env, offered=self.offered
        )
        self.actions.append(Later(lambda: frozen.outcome_actions(with_document=with_document)))

    def today(self) -> dt.date:
        """Today where the notice's deadlines are reckoned, by the bot's clock."""
        return local_today(self.clock(), self.notice.info.timezone)

    def outcome_actions(self, *, with_document: bool) -> list[Action]:
        """The verdict first (in one message with the line saying all questions are answered, where
        Telegram's limit allows), then the checklist, the deadlines and contacts; the checklist file
        is rendered only once those have gone out."""
        outcome = self.outcome()
        intro = message("outcome_intro", self.locale, notice=self.notice)
        for text in head_messages(self.notice, outcome, self.locale, today=self.today(), lead=intro):
            self.actions.append(Send(text))
        if outcome.has_checklist:  # those turned away see no checklist, no 0/0 and no 📄 button
            for text, keyboard in self.checklist_messages(outcome):
                self.actions.append(Send(text, keyboard))
        tail = tail_messages(self.notice, outcome, self.locale)
        navigation: list[Button] = []
        if outcome.retry is not None:
            label = self._("Choose another level") if outcome.retry == "level" else self._("Change that answer")
            navigation.append(Retry().button(label))
        navigation += [Back("").button(self._("◀ Back")), Restart().button(self._("Start over"))]
        for i, text in enumerate(tail):
            self.actions.append(Send(text, (tuple(navigation),) if i == len(tail) - 1 else None))
        if with_document and outcome.checklist:
            self.actions.append(Later(lambda: [self.document(outcome)]))
        return self.actions

    def checklist_messages(self, outcome: Outcome) -> list[tuple[str, Keyboard | None]]:
        numbers = {it.id: n for n, it in enumerate(outcome.checklist, start=1)}
        ticks = self.state.ticks
        result: list[tuple[str, Keyboard | None]] = []
        chunks = checklist_messages(self.notice, outcome, self.locale, ticks)
        for index, (text, item_ids) in enumerate(chunks):
            buttons = [Tick(i).button(("☑ " if i in ticks else "☐ ") + str(numbers[i])) for i in item_ids]
            rows = [tuple(buttons[k : k + TICK_BUTTONS_PER_ROW]) for k in range(0, len(buttons), TICK_BUTTONS_PER_ROW)]
            if index == len(chunks) - 1:
                rows.append((ChecklistFile().button(self._("📄 Checklist file")),))
            result.append((text, tuple(rows) or None))
        return result

    def document(self, outcome: Outcome) -> SendDocument:
        zone = ZoneInfo(self.notice.info.timezone)
        generated = self.clock().astimezone(zone).strftime("%Y-%m-%d %H:%M")
        html = outcome_html(
            self.notice, outcome, self.locale, self.state.ticks, generated=generated, today=self.today()
        )
        return SendDocument(
            filename=f"checklist-{self.notice.id}.html",
            content=html.encode("utf-8"),
            caption=self._("Your checklist as a page to open on the phone or print on A4"),
        )
