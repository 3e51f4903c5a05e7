"""The one sender of everything sent outside a reply: on each tick of PTB's JobQueue it queues
the reminders and broadcasts that have fallen due, then delivers the outbox at bulk priority
through the shared rate limiter (bot.ratelimit), so interactive replies are never kept waiting.
What is due lives in SQLite (bot.outbox, bot.reminders, bot.broadcasts); the job only wakes it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Collection, Sequence
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import broadcasts, callbacks, outbox
from bot.actions import Button, Send
from bot.ratelimit import BULK
from bot.registry import N_
from bot.reminders import run_due_reminders
from bot.settings import Settings
from bot.storage import Storage
from bot.texts import gettext
from bot.unit_reminders import run_due_unit_reminders
from conversations.clock import Clock
from conversations.outcome import Outcome
from conversations.render import reminder_message
from knowledge.model import Notice

log = logging.getLogger("zhicheng.sender")
SENDER_INTERVAL = 20.0  # seconds between ticks
CHECKLIST_LABEL = N_("📋 My checklist")
REMINDERS_OFF_LABEL = N_("🔕 Turn reminders off")


def reminder_messages(notice: Notice, outcome: Outcome, deadline_id: str, today: dt.date,
                      ticks: Collection[str], locale: str | None) -> Sequence[Send]:
    """A reminder with buttons to the checklist and to turn reminders off."""
    loc = locale or "zh_Hans"
    keyboard = ((Button(gettext(loc, CHECKLIST_LABEL), callbacks.CHECKLIST),
                 Button(gettext(loc, REMINDERS_OFF_LABEL), callbacks.REMINDERS_OFF)),)
    return [Send(reminder_message(notice, outcome, deadline_id, today, ticks, loc), keyboard)]


class OutboxSender:
    def __init__(self, bot: Any, storage: Storage, notices: Sequence[Notice], clock: Clock,
                 settings: Settings) -> None:
        self.bot = bot
        self.storage = storage
        self.notices = list(notices)
        self.clock = clock
        self.reminder_time = settings.reminder_time
        self.grace = dt.timedelta(hours=settings.reminder_grace_hours)
        self._busy = asyncio.Lock()
        self._stopping = False

    def stop(self) -> None:
        """Deliver no further batch. The batch in hand finishes; rows claimed and not sent are
        pending again at the next start (outbox.recover)."""
        self._stopping = True

    def _going_on(self, context: object) -> bool:
        """Whether to deliver another batch: not once the Application is stopping (Application.stop
        waits for this job, so a long broadcast must not hold up a stop)."""
        application = getattr(context, "application", None)
        return not self._stopping and (application is None or bool(application.running))

    async def recover(self) -> None:
        async with self.storage.transaction() as db:
            again = await outbox.recover(db)
        if again:
            log.warning("outbox: %d messages in flight at the last stop are pending again", again)

    async def deliver(self, row: outbox.OutboxRow) -> None:
        from bot.app import perform  # the adapter's one way of sending

        try:
            limited = getattr(self.bot, "rate_limiter", None) is not None  # tests and benchmarks may run without
            await perform(self.bot, row.chat_id, row.messages, rate_limit_args=BULK if limited else None)
        except Forbidden as exc:
            raise outbox.Unreachable() from exc
        except (TimedOut, NetworkError, RetryAfter) as exc:
            raise outbox.PassingFailure(type(exc).__name__) from exc
        except BadRequest as exc:
            raise outbox.PermanentFailure(str(exc)) from exc

    async def tick(self, context: object = None) -> None:
        """Queue what has fallen due, then deliver until nothing due is left."""
        if self._busy.locked():
            return  # the previous tick is still sending
        async with self._busy:
            now = self.clock.now()
            await run_due_reminders(self.storage.transaction, self.notices, now, reminder_messages,
                                    grace=self.grace, at=self.reminder_time)
            await run_due_unit_reminders(self.storage.transaction, self.notices, now, grace=self.grace,
                                         at=self.reminder_time)
            await broadcasts.queue_due(self.storage.transaction, {n.id: n for n in self.notices}, now)
            while self._going_on(context) and any(
                    (await outbox.deliver_due(self.storage.transaction, self.deliver, self.clock.now)).values()):
                pass
            async with self.storage.transaction() as db:
                await broadcasts.settle(db)
