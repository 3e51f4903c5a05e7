"""The conversation with one user, free of Telegram: an event in, actions out.

Each event runs in one SQLite transaction, in one round trip to the database thread: repeated
deliveries are dropped, the user's state is loaded, the step the registry names for the event
changes it, and what changed is saved, with the applicant's summary when the interview changed.
The transaction ends before the adapter sends anything. The Telegram handlers and the console
chat both drive this class; the features reach it only through the registry it is given.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence

from bot.chat.actions import Action
from bot.chat.events import Blocked, Command, Event
from bot.chat.registry import Registry
from bot.chat.roles import roles_of
from bot.chat.turn import Environment, Turn
from bot.logsafe import hashed
from bot.store import summaries, users
from bot.store.storage import Storage
from bot.store.users import UserState
from conversations.clock import local_today
from conversations.i18n import normalize_locale
from conversations.interview import interview_for
from conversations.qa import index_for
from conversations.season import offered_notice
from knowledge import load_notices
from knowledge.model import Notice

log = logging.getLogger("zhicheng.updates")


class ChatService:
    def __init__(
        self,
        storage: Storage,
        notice: Notice,
        registry: Registry,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        env: Environment | None = None,
        notices: Sequence[Notice] = (),
    ) -> None:
        """`notice` is the configured notice (ZHICHENG_NOTICE); `notices` the others loaded, under
        which earlier interviews stay readable. Each interview follows the notice stored with it."""
        self.storage = storage
        self.notice = notice
        self.registry = registry
        self.notices = {n.id: n for n in (*notices, notice)}
        self.interview = interview_for(notice)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.env = env or Environment()
        self._offered: tuple[dt.date, Notice] | None = None
        for each in self.notices.values():
            index_for(each)  # the index of typed questions, built once at start, not on the first question

    def offered(self) -> Notice:
        """The notice a new interview follows today (conversations.season.offered_notice), worked
        out once a day."""
        today = local_today(self.clock(), self.notice.info.timezone)
        if self._offered is None or self._offered[0] != today:
            self._offered = (today, offered_notice(self.notices.values(), self.notice, today))
        return self._offered[1]

    async def refresh_summaries(self) -> int:
        """At start: the applicant summaries of a changed notice (or none yet) worked out anew."""
        return await summaries.refresh(self.storage, self.notices.values())

    async def handle(self, event: Event) -> list[Action] | None:
        """The actions answering the event; None for a repeated delivery, which must not be answered."""
        started = time.perf_counter()
        actions, handler, state_name = await self.storage.atomically(lambda db: self._handle_in(db, event))
        if log.isEnabledFor(logging.INFO):  # the user's hash is not worked out for a log that drops the line
            log.info(
                "update user=%s state=%s handler=%s duration_ms=%.1f",
                hashed(event.user_id),
                state_name,
                handler,
                (time.perf_counter() - started) * 1000,
            )
        return actions

    def _handle_in(self, db: sqlite3.Connection, event: Event) -> tuple[list[Action] | None, str, str]:
        """The whole update inside its transaction, on the database thread: (actions, step, state)."""
        if event.update_id is not None and not users.first_time_update(db, event.update_id):
            return None, "duplicate", "-"
        state = users.load_user(db, event.user_id, event.chat_id)
        before = state.snapshot()
        if state.locale is None:
            state.locale = normalize_locale(event.language_code)
        if not isinstance(event, Blocked):
            state.unreachable = False  # the user wrote to the bot: reachable again
        offered = self.offered()
        if state.notice_id is None:
            state.notice_id = offered.id
        notice = self.notices.get(state.notice_id)
        roles = roles_of(db, event.user_id, self.env.contact_ids)
        turn = Turn(
            state,
            notice or offered,
            interview_for(notice or offered),
            self.clock,
            roles=roles,
            db=db,
            env=self.env,
            offered=offered,
            notice_gone=notice is None,
            loaded=self.notices,
        )
        if isinstance(event, Command) and state.awaiting is not None:
            state.await_input(None)  # a command ends any wizard waiting for input
        route = self.registry.route_for(event, roles=roles, awaiting=state.awaiting)
        step = route.step
        if notice is None and route.needs_notice:
            step = self.registry.fallbacks.notice_gone  # never read answers under a notice they were not given for
        step(event, turn)
        if turn.deleted:
            users.delete_user(db, state.user_id)
        elif (before.exists and state != before) or (not before.exists and (state.started or turn.remember)):
            # a stranger's junk stores nothing
            summary = None
            if (
                state.started
                and state.notice_id is not None
                and state.interview_changed(before if before.exists else None)
            ):
                summary = users.summary(state, self.notices.get(state.notice_id))
                if self._summary_stored(before, summary, state.chat_id):
                    summary = None  # an answer in mid-interview: the stored row says this already
            users.save_user(db, state, before if before.exists else None, summary)
        state_name = "deleted" if turn.deleted else (state.current_question or ("outcome" if state.started else "new"))
        return turn.actions, step.__name__, state_name

    def _summary_stored(self, before: UserState, summary: summaries.Summary, chat_id: int) -> bool:
        """Whether the applicant's summary row already holds `summary` (and `chat_id`): it was
        written whenever it changed (and worked out anew at start for a changed notice), so the
        summary of the state as loaded is what the row holds."""
        if not (before.exists and before.started and before.notice_id is not None and before.chat_id == chat_id):
            return False
        return users.summary(before, self.notices.get(before.notice_id)) == summary


def other_notices(configured: Notice) -> list[Notice]:
    """The bundled notices besides the configured one; a file that does not load is logged and left out."""
    notices, problems = load_notices()
    for problem in problems:
        log.error("notice left out: %s", problem)
    return [n for n in notices if n.id != configured.id]
