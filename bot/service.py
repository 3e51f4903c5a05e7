"""The conversation with one user, free of Telegram: an event in, actions out.

Each event runs in one SQLite transaction, in one round trip to the database thread: repeated
deliveries are dropped, the user's state is loaded, the step the feature registry names for the
event (bot.features) changes it, and it is saved. The transaction ends before the adapter sends
anything. The Telegram handlers and the
console chat both drive this class.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot import storage
from bot.actions import Action
from bot.events import Command, Event
from bot.features import REGISTRY
from bot.features import notices as notices_feature
from bot.features.help import on_no_permission, on_unknown_command, on_unsupported
from bot.logsafe import hashed
from bot.registry import Fallbacks, Step
from bot.roles import roles_of
from bot.storage import Storage
from bot.turn import Environment, Turn
from conversations.i18n import normalize_locale
from conversations.interview import interview_for
from conversations.qa import index_for
from conversations.season import offered_notice
from knowledge import load_notices
from knowledge.model import Notice

log = logging.getLogger("zhicheng.updates")

COMMANDS = REGISTRY.command_names()
FALLBACKS = Fallbacks(unknown_command=on_unknown_command, unhandled=on_unsupported, no_permission=on_no_permission)


class ChatService:
    def __init__(
        self,
        storage: Storage,
        notice: Notice,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        env: Environment | None = None,
        notices: Sequence[Notice] = (),
    ) -> None:
        """`notice` is the configured notice (ZHICHENG_NOTICE); `notices` the others loaded, under
        which earlier interviews stay readable. Each interview follows the notice stored with it."""
        self.storage = storage
        self.notice = notice
        self.notices = {n.id: n for n in (*notices, notice)}
        self.interview = interview_for(notice)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.env = env or Environment()
        for each in self.notices.values():
            index_for(each)  # the index of typed questions, built once at start, not on the first question

    def offered(self) -> Notice:
        """The notice a new interview follows today (conversations.season.offered_notice)."""
        today = self.clock().astimezone(ZoneInfo(self.notice.info.timezone)).date()
        return offered_notice(self.notices.values(), self.notice, today)

    def step_for(self, event: Event, roles: frozenset[str] = frozenset(), awaiting: str | None = None) -> Step:
        return REGISTRY.step_for(event, FALLBACKS, roles=roles, awaiting=awaiting)

    async def handle(self, event: Event) -> list[Action] | None:
        """The actions answering the event; None for a repeated delivery, which must not be answered."""
        started = time.perf_counter()
        actions, handler, state_name = await self.storage.atomically(lambda db: self._handle_in(db, event))
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
        if event.update_id is not None and not storage.first_time_update(db, event.update_id):
            return None, "duplicate", "-"
        state = storage.load_user(db, event.user_id, event.chat_id)
        before = state.snapshot()
        if state.locale is None:
            state.locale = normalize_locale(event.language_code)
        offered = self.offered()
        if state.notice_id is None:
            state.notice_id = offered.id
        notice = self.notices.get(state.notice_id)
        roles = roles_of(db, event.user_id, self.env.contact_ids)
        turn = Turn(state, notice or offered, interview_for(notice or offered), self.clock, roles=roles, db=db,
                    env=self.env, offered=offered, notice_gone=notice is None)
        if isinstance(event, Command) and state.awaiting is not None:
            state.await_input(None)  # a command ends any wizard waiting for input
        step = self.step_for(event, roles, state.awaiting)
        if notice is None and not notices_feature.works_without_notice(event):
            step = notices_feature.on_notice_gone  # never read answers under a notice they were not given for
        step(event, turn)
        if turn.deleted:
            storage.delete_user(db, state.user_id)
        elif before.exists and state != before:
            storage.save_user(db, state, before)
        elif not before.exists and (state.started or turn.remember):
            storage.save_user(db, state, None)  # junk from a stranger stores nothing
        state_name = "deleted" if turn.deleted else (state.current_question or ("outcome" if state.started else "new"))
        return turn.actions, step.__name__, state_name


def other_notices(configured: Notice) -> list[Notice]:
    """The bundled notices besides the configured one; a file that does not load is logged and left out."""
    notices, problems = load_notices()
    for problem in problems:
        log.error("notice left out: %s", problem)
    return [n for n in notices if n.id != configured.id]
