"""The one sender of everything sent outside a reply: on each tick of PTB's JobQueue it queues
the reminders and broadcasts that have fallen due, then delivers the outbox at bulk priority
through the shared rate limiter (bot.ratelimit), so interactive replies are never kept waiting.
What is due lives in SQLite (bot.outbox, bot.reminders, bot.broadcasts); the job only wakes it."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Collection, Sequence
from typing import Any

import aiosqlite
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot import broadcasts, callbacks, outbox
from bot.actions import Action, Button, EditMessage, Send
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
PROGRESS_INTERVAL = 3.0  # seconds between two edits of a broadcast's progress message
REPORT = "broadcast_report"  # the outbox kind of the report a broadcast's author gets at its end
CHECKLIST_LABEL = N_("📋 My checklist")
REMINDERS_OFF_LABEL = N_("🔕 Turn reminders off")


def reminder_messages(notice: Notice, outcome: Outcome, deadline_id: str, today: dt.date,
                      ticks: Collection[str], locale: str | None) -> Sequence[Send]:
    """A reminder with buttons to the checklist and to turn reminders off."""
    loc = locale or "zh_Hans"
    keyboard = ((Button(gettext(loc, CHECKLIST_LABEL), callbacks.CHECKLIST),
                 Button(gettext(loc, REMINDERS_OFF_LABEL), callbacks.REMINDERS_OFF)),)
    return [Send(reminder_message(notice, outcome, deadline_id, today, ticks, loc), keyboard)]


async def _locale_of(db: aiosqlite.Connection, user_id: int) -> str:
    rows = list(await db.execute_fetchall("SELECT locale FROM users WHERE user_id = ?", (user_id,)))
    return str(rows[0][0]) if rows and rows[0][0] else "zh_Hans"


def concurrency_for(bulk_per_second: int) -> tuple[int, int]:
    """(workers, rows per claimed batch) that keep a budget of `bulk_per_second` busy with the Bot
    API up to 200 ms away. At Telegram's 30/s: one batch of outbox.BATCH (30) at a time. Higher
    budgets (paid broadcasts) need more messages in flight: two workers with batches of a fifth of
    a second's budget each, so that one batch waits for its slowest reply while the other sends.
    At most workers × batch messages are in flight: the bound on duplicates after a crash."""
    if bulk_per_second <= outbox.BATCH:
        return 1, outbox.BATCH
    return 2, max(outbox.BATCH, bulk_per_second // 5)


class OutboxSender:
    def __init__(self, bot: Any, storage: Storage, notices: Sequence[Notice], clock: Clock,
                 settings: Settings, *, bulk_per_second: int = 30) -> None:
        self.bot = bot
        self.storage = storage
        self.notices = list(notices)
        self.clock = clock
        self.reminder_time = settings.reminder_time
        self.grace = dt.timedelta(hours=settings.reminder_grace_hours)
        self.contact_ids = settings.contact_ids
        self.timezone = self.notices[0].info.timezone if self.notices else "Asia/Shanghai"
        self.workers, self.batch = concurrency_for(bulk_per_second)
        self._busy = asyncio.Lock()
        self._shown: dict[int, tuple[str, float]] = {}  # broadcast -> (progress text shown, when)
        self._progress: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def _priority(self) -> dict[str, Any] | None:
        limited = getattr(self.bot, "rate_limiter", None) is not None  # tests and benchmarks may run without
        return BULK if limited else None

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
            await perform(self.bot, row.chat_id, row.messages, rate_limit_args=self._priority)
        except Forbidden as exc:
            raise outbox.Unreachable() from exc
        except (TimedOut, NetworkError, RetryAfter) as exc:
            raise outbox.PassingFailure(type(exc).__name__) from exc
        except BadRequest as exc:
            raise outbox.PermanentFailure(str(exc)) from exc

    async def show_progress(self, *, only_due: bool = True) -> None:
        """Edit the progress messages of broadcasts being sent (at most every PROGRESS_INTERVAL
        seconds each, and only when the figures changed) and show the end of those ended."""
        from bot.app import perform
        from bot.features.broadcast import progress_view

        async with self.storage.transaction() as db:
            views = [(b, await broadcasts.tally(db, b.id), await _locale_of(db, b.author_id))
                     for b in await broadcasts.showing_progress(db)]
        for broadcast, tally, locale in views:
            final = broadcast.status not in broadcasts.OPEN
            text, keyboard = progress_view(locale, self.timezone, broadcast, tally)
            shown, at = self._shown.get(broadcast.id, ("", 0.0))
            if not final and (shown == text or (only_due and time.monotonic() - at < PROGRESS_INTERVAL)):
                continue
            assert broadcast.author_chat is not None and broadcast.progress_message is not None
            actions: list[Action] = [EditMessage(broadcast.progress_message, text, keyboard)]
            try:
                await perform(self.bot, broadcast.author_chat, actions, rate_limit_args=self._priority)
            except (BadRequest, Forbidden) as exc:  # the message was deleted, the author blocked the bot …
                log.info("progress of broadcast %d cannot be shown: %s", broadcast.id, exc)
            except TelegramError as exc:  # time-out, network, flood wait: the next round tries again
                log.info("progress of broadcast %d not shown now: %r", broadcast.id, exc)
                continue
            self._shown[broadcast.id] = (text, time.monotonic())
            if final:
                self._shown.pop(broadcast.id, None)
                async with self.storage.transaction() as db:
                    await broadcasts.set_progress_final(db, broadcast.id)

    def _progress_in_background(self) -> None:
        """Progress edits run beside the delivery, never holding it up."""
        if self._progress is None or self._progress.done():
            self._progress = asyncio.create_task(self.show_progress())

    async def _settle(self) -> list[int]:
        """Broadcasts with nothing left to send are done; each author's report is queued with it."""
        from bot.features.broadcast import report_text

        now = self.clock.now()
        async with self.storage.transaction() as db:
            done = await broadcasts.settle(db)
            for broadcast_id in done:
                broadcast = await broadcasts.get(db, broadcast_id)
                if broadcast is None or broadcast.author_chat is None:
                    continue  # written from the command line: nobody to report to in the chat
                text = report_text(await _locale_of(db, broadcast.author_id), broadcast,
                                   await broadcasts.tally(db, broadcast_id))
                await outbox.enqueue(db, kind=REPORT, ref=str(broadcast_id), chat_id=broadcast.author_chat,
                                     user_id=broadcast.author_id, messages=[Send(text)], not_before=now, now=now)
        return done

    async def _deliver_until_done(self, context: object = None) -> None:
        """Claim a batch of due rows and deliver it, again and again, until nothing is due or the
        Application is stopping."""
        while self._going_on(context) and any((await outbox.deliver_due(
                self.storage.transaction, self.deliver, self.clock.now, limit=self.batch)).values()):
            self._progress_in_background()

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
            await broadcasts.queue_due(self.storage.transaction, {n.id: n for n in self.notices}, now,
                                       contact_ids=self.contact_ids)
            while True:
                await asyncio.gather(*(self._deliver_until_done(context) for _ in range(self.workers)))
                if self._progress is not None:
                    progress, self._progress = self._progress, None
                    await progress
                settled = await self._settle()
                await self.show_progress(only_due=False)
                if not settled or not self._going_on(context):  # otherwise a report was queued: sent now
                    break
