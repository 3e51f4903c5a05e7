"""The one sender of everything sent outside a reply: on each tick of PTB's JobQueue it re-queues
claims whose lease expired, queues the reminders and broadcasts that have fallen due, then
delivers the outbox through a transport at bulk priority, so interactive replies are never kept
waiting. What is due lives in SQLite (bot.delivery.outbox, .reminders, .broadcasts); the job only
wakes it. The transport (the Telegram adapter's) sends and says how a send failed; the views
(the features') word what is sent. The sender imports neither Telegram nor a feature."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bot.chat.actions import Action, EditMessage, Send
from bot.delivery import broadcasts, outbox
from bot.delivery.reminders import run_due_reminders
from bot.delivery.unit_reminders import run_due_unit_reminders
from bot.delivery.views import DeliveryViews
from bot.store.users import locale_of
from conversations.clock import Clock
from knowledge.model import Notice

if TYPE_CHECKING:
    from bot.store.storage import Storage

log = logging.getLogger("zhicheng.sender")
SENDER_INTERVAL = 20.0  # seconds between ticks
PROGRESS_INTERVAL = 3.0  # seconds between two edits of a broadcast's progress message
REPORT = "broadcast_report"  # the outbox kind of the report a broadcast's author gets at its end
DEFAULT_LOCALE = "zh_Hans"

# Sends actions to a chat at bulk priority; raises outbox.Unreachable, PassingFailure or PermanentFailure.
Transport = Callable[[int, Sequence[Action]], Awaitable[None]]


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
    def __init__(
        self,
        transport: Transport,
        storage: Storage,
        notices: Sequence[Notice],
        clock: Clock,
        views: DeliveryViews,
        *,
        reminder_time: dt.time,
        grace: dt.timedelta,
        contact_ids: frozenset[int] = frozenset(),
        bulk_per_second: int = 30,
    ) -> None:
        self.transport = transport
        self.storage = storage
        self.notices = list(notices)
        self.clock = clock
        self.views = views
        self.reminder_time = reminder_time
        self.grace = grace
        self.contact_ids = contact_ids
        self.timezone = self.notices[0].info.timezone if self.notices else "Asia/Shanghai"
        self.workers, self.batch = concurrency_for(bulk_per_second)
        self._busy = asyncio.Lock()
        self._shown: dict[int, tuple[str, float]] = {}  # broadcast -> (progress text shown, when)
        self._progress: asyncio.Task[None] | None = None
        self._stopping = False

    def stop(self) -> None:
        """Deliver no further batch. The batch in hand finishes; rows claimed and not sent are
        pending again once their lease expires (at the latest, at the next start)."""
        self._stopping = True

    def _going_on(self, context: object) -> bool:
        """Whether to deliver another batch: not once the Application is stopping (Application.stop
        waits for this job, so a long broadcast must not hold up a stop)."""
        application = getattr(context, "application", None)
        return not self._stopping and (application is None or bool(application.running))

    async def recover(self) -> None:
        """At start: every claim is given up (no delivery of this process holds one)."""
        again = await self.storage.atomically(outbox.requeue_expired, self.clock.now(), dt.timedelta(0))
        if again:
            log.warning("outbox: %d messages in flight at the last stop are pending again", again)

    async def deliver(self, row: outbox.OutboxRow) -> None:
        await self.transport(row.chat_id, row.messages)

    async def show_progress(self, *, only_due: bool = True) -> None:
        """Edit the progress messages of broadcasts being sent (at most every PROGRESS_INTERVAL
        seconds each, and only when the figures changed) and show the end of those ended."""

        def read(db: sqlite3.Connection) -> list[tuple[broadcasts.Broadcast, broadcasts.Tally, str]]:
            return [
                (b, broadcasts.tally(db, b.id), locale_of(db, b.author_id) or DEFAULT_LOCALE)
                for b in broadcasts.showing_progress(db)
            ]

        for broadcast, tally, locale in await self.storage.atomically(read):
            final = broadcast.status not in broadcasts.OPEN
            text, keyboard = self.views.progress(locale, self.timezone, broadcast, tally)
            shown, at = self._shown.get(broadcast.id, ("", 0.0))
            if not final and (shown == text or (only_due and time.monotonic() - at < PROGRESS_INTERVAL)):
                continue
            assert broadcast.author_chat is not None and broadcast.progress_message is not None
            try:
                await self.transport(broadcast.author_chat, [EditMessage(broadcast.progress_message, text, keyboard)])
            except (outbox.Unreachable, outbox.PermanentFailure) as exc:  # deleted, the author blocked the bot …
                log.info("progress of broadcast %d cannot be shown: %s", broadcast.id, exc)
            except outbox.PassingFailure as exc:  # time-out, network, flood wait: the next round tries again
                log.info("progress of broadcast %d not shown now: %s", broadcast.id, exc)
                continue
            self._shown[broadcast.id] = (text, time.monotonic())
            if final:
                self._shown.pop(broadcast.id, None)
                await self.storage.atomically(broadcasts.set_progress_final, broadcast.id)

    def _progress_in_background(self) -> None:
        """Progress edits run beside the delivery, never holding it up."""
        if self._progress is None or self._progress.done():
            self._progress = asyncio.create_task(self.show_progress())

    async def _settle(self) -> list[int]:
        """Broadcasts with nothing left to send are done; each author's report is queued with it."""
        now = self.clock.now()

        def settle(db: sqlite3.Connection) -> list[int]:
            done = broadcasts.settle(db)
            for broadcast_id in done:
                broadcast = broadcasts.get(db, broadcast_id)
                if broadcast is None or broadcast.author_chat is None:
                    continue  # written from the command line: nobody to report to in the chat
                locale = locale_of(db, broadcast.author_id) or DEFAULT_LOCALE
                text = self.views.report(locale, broadcast, broadcasts.tally(db, broadcast_id))
                outbox.enqueue(
                    db,
                    kind=REPORT,
                    ref=str(broadcast_id),
                    chat_id=broadcast.author_chat,
                    user_id=broadcast.author_id,
                    messages=[Send(text)],
                    not_before=now,
                    now=now,
                )
            return done

        return await self.storage.atomically(settle)

    async def _deliver_until_done(self, context: object = None) -> None:
        """Claim a batch of due rows and deliver it, again and again, until nothing is due or the
        Application is stopping."""
        while self._going_on(context) and any(
            (await outbox.deliver_due(self.storage, self.deliver, self.clock.now, limit=self.batch)).values()
        ):
            self._progress_in_background()

    async def tick(self, context: object = None) -> None:
        """Queue what has fallen due, then deliver until nothing due is left."""
        if self._busy.locked():
            return  # the previous tick is still sending
        async with self._busy:
            now = self.clock.now()
            expired = await self.storage.atomically(outbox.requeue_expired, now)
            if expired:
                log.warning("outbox: %d claims older than the lease are pending again", expired)
            await run_due_reminders(
                self.storage, self.notices, now, self.views.reminder, grace=self.grace, at=self.reminder_time
            )
            await run_due_unit_reminders(
                self.storage, self.notices, now, self.views.unit_reminder, grace=self.grace, at=self.reminder_time
            )
            await broadcasts.queue_due(self.storage, now, contact_ids=self.contact_ids)
            while True:
                await asyncio.gather(*(self._deliver_until_done(context) for _ in range(self.workers)))
                if self._progress is not None:
                    progress, self._progress = self._progress, None
                    await progress
                settled = await self._settle()
                await self.show_progress(only_due=False)
                if not settled or not self._going_on(context):  # otherwise a report was queued: sent now
                    break
