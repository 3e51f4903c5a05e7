"""Reminders across the whole 2021 season, on a real SQLite file, with a simulated clock: 500
applicants at various stages, restarts and crashes at chosen and random moments, downtime within
and beyond the grace window, users who turned reminders off or blocked the bot."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections import Counter
from collections.abc import Collection, Sequence
from functools import cache
from pathlib import Path

import pytest

from bot.chat.actions import Send
from bot.delivery import outbox
from bot.delivery.reminders import reminder_ref, run_due_reminders
from bot.store.storage import Storage
from bot.store.users import UserState, delete_user, load_user, save_user
from conversations.interview import interview_for
from conversations.outcome import Outcome, evaluate
from conversations.render import reminder_message
from conversations.season import notice_schedule, reminder_schedule
from knowledge import default_notice
from knowledge.model import Notice
from tests.support.paths import every_path

NOTICE = default_notice()
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SEASON_START = dt.datetime(2021, 10, 1, 0, 0, tzinfo=SHANGHAI)
SEASON_END = dt.datetime(2021, 11, 2, 0, 0, tzinfo=SHANGHAI)


@cache
def sample_paths() -> list[dict[str, str]]:
    """2,000 finished paths of the interview, drawn once for the module."""
    return random.Random(2021).sample(every_path(), 2000)


def render(
    notice: Notice, outcome: Outcome, deadline_id: str, today: dt.date, ticks: Collection[str], locale: str | None
) -> Sequence[Send]:
    return [Send(reminder_message(notice, outcome, deadline_id, today, ticks, locale or "zh_Hans"))]


class Crash(BaseException):
    """The process dies here (as a kill does, it is caught by nothing)."""


def set_reminders(db: sqlite3.Connection, user_id: int, enabled: bool) -> None:
    """What /reminders does: the user's setting changed and saved."""
    state = load_user(db, user_id, user_id + 10_000)
    before = state.snapshot()
    state.reminders_on = enabled
    save_user(db, state, before)


class World:
    """The population, the storage and a fake Bot API that records every delivery."""

    def __init__(self, path: Path, seed: int = 2021) -> None:
        self.path = path
        self.rng = random.Random(seed)
        self.storage = Storage(path)
        self.delivered: Counter[tuple[int, str]] = Counter()
        self.blocked: set[int] = set()
        self.expected: dict[int, set[str]] = {}  # user -> refs of the reminders they must get
        self.crash_deliveries_after: int | None = None

    async def open(self) -> None:
        await self.storage.open()
        await self.storage.atomically(outbox.requeue_expired, dt.datetime.now(dt.UTC), dt.timedelta(0))

    async def restart(self) -> None:
        await self.storage.close()
        self.storage = Storage(self.path)
        await self.open()

    async def populate(self, count: int) -> None:
        paths = sample_paths()
        kinds = ["finished"] * 6 + ["unfinished", "turned_away", "opted_out", "blocked"]
        for user_id in range(1, count + 1):
            kind = self.rng.choice(kinds)
            answers = dict(self.rng.choice(paths))
            outcome = evaluate(NOTICE, answers)
            if kind == "turned_away":
                answers = {"employment": "retired"}
            elif outcome.verdict in ("ineligible", "not_covered") and kind != "unfinished":
                kind = "turned_away"
            state = UserState(
                user_id=user_id,
                chat_id=user_id + 10_000,
                locale="zh_Hans",
                notice_id=NOTICE.id,
                started=True,
                answers=answers,
            )
            if kind == "unfinished":
                first = list(answers)[: self.rng.randint(1, 5)]
                state.answers = {q: answers[q] for q in first}
                state.current_question = interview_for(NOTICE).position(state.answers).question.id  # type: ignore[union-attr]
            checklist = evaluate(NOTICE, state.answers).checklist if kind != "unfinished" else ()
            state.ticks = {item.id for item in checklist if self.rng.random() < 0.3}
            state.reminders_on = kind != "opted_out"
            await self.storage.atomically(save_user, state)
            if kind == "blocked":
                self.blocked.add(user_id + 10_000)
            if kind in ("finished", "blocked"):
                schedule = reminder_schedule(NOTICE, evaluate(NOTICE, state.answers))
                refs = {reminder_ref(NOTICE.id, r.deadline_id, r.days_before) for r in schedule}
                self.expected[user_id] = refs if kind == "finished" else set()

    async def deliver(self, row: outbox.OutboxRow) -> None:
        if self.crash_deliveries_after is not None:
            if self.crash_deliveries_after == 0:
                raise Crash("killed while sending")
            self.crash_deliveries_after -= 1
        if row.chat_id in self.blocked:
            raise outbox.Unreachable("Forbidden: bot was blocked by the user")
        assert row.messages and row.messages[0].text.startswith("<b>提醒：")
        self.delivered[row.user_id or 0, row.ref] += 1

    async def tick(self, now: dt.datetime) -> None:
        await run_due_reminders(self.storage, [NOTICE], now, render, chunk=64)
        while True:
            results = await outbox.deliver_due(self.storage, self.deliver, lambda: now)
            if not any(results.values()):
                return


def ticks_between(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    moments = []
    while start < end:
        moments.append(start)
        start += step
    return moments


async def test_every_due_reminder_is_sent_exactly_once_through_a_season_with_restarts(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3")
    await world.open()
    await world.populate(500)
    rng = random.Random(7)
    for now in ticks_between(SEASON_START, SEASON_END, dt.timedelta(minutes=30)):
        if rng.random() < 0.05:
            await world.restart()
        await world.tick(now.astimezone(dt.UTC))
    await world.storage.close()

    sent_by_user: dict[int, set[str]] = {}
    for (user, ref), times in world.delivered.items():
        assert times == 1, f"user {user} got {ref} {times} times"
        sent_by_user.setdefault(user, set()).add(ref)
    for user, refs in world.expected.items():
        assert sent_by_user.get(user, set()) == refs, user
    # opted out, unfinished, turned away and blocked applicants got nothing
    assert set(sent_by_user) <= {u for u, refs in world.expected.items() if refs}
    assert sum(len(r) for r in world.expected.values()) == sum(world.delivered.values()) > 1000


async def test_a_crash_part_way_through_queuing_a_slot_loses_none_and_duplicates_none(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3", seed=11)
    await world.open()
    await world.populate(300)
    due = dt.datetime(2021, 10, 13, 10, 0, 30, tzinfo=SHANGHAI).astimezone(dt.UTC)
    calls = 0

    def crashing_render(*args: object) -> Sequence[Send]:
        nonlocal calls
        calls += 1
        if calls == 100:
            raise Crash("killed while queuing")
        return render(*args)  # type: ignore[arg-type]

    with pytest.raises(Crash):
        await run_due_reminders(world.storage, [NOTICE], due, crashing_render, chunk=40)
    await world.restart()
    await world.tick(due + dt.timedelta(minutes=1))
    ref = reminder_ref(NOTICE.id, "online_submission", 7)
    wanted = {u for u, refs in world.expected.items() if ref in refs}
    assert {u for (u, r) in world.delivered if r == ref} == wanted
    assert all(times == 1 for times in world.delivered.values())
    await world.storage.close()


async def test_a_crash_while_sending_repeats_at_most_the_messages_in_flight(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3", seed=12)
    await world.open()
    await world.populate(200)
    due = dt.datetime(2021, 10, 13, 10, 1, tzinfo=SHANGHAI).astimezone(dt.UTC)
    await run_due_reminders(world.storage, [NOTICE], due, render)
    world.crash_deliveries_after = 10
    with pytest.raises(Crash):
        await outbox.deliver_due(world.storage, world.deliver, lambda: due, limit=outbox.BATCH)
    # the process dies here: the claimed batch is left `sending`
    world.crash_deliveries_after = None
    await world.restart()
    await world.tick(due + dt.timedelta(minutes=1))
    ref = reminder_ref(NOTICE.id, "online_submission", 7)
    wanted = {u for u, refs in world.expected.items() if ref in refs}
    assert {u for (u, r) in world.delivered if r == ref} == wanted  # none lost
    duplicates = sum(times - 1 for times in world.delivered.values())
    assert duplicates <= outbox.BATCH  # the bound stated in bot/outbox.py
    await world.storage.close()


async def test_downtime_within_the_grace_window_delays_and_beyond_it_skips_the_slot(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3", seed=13)
    await world.open()
    await world.populate(100)
    # Down from 09:00 to 15:59 on 17 October: the 10:00 slot is 5 h 59 min late: still sent.
    await world.tick(dt.datetime(2021, 10, 17, 15, 59, tzinfo=SHANGHAI).astimezone(dt.UTC))
    # Down from 09:00 on 19 October until 16:01: the 10:00 slot is beyond 6 hours: skipped.
    await world.tick(dt.datetime(2021, 10, 19, 16, 1, tzinfo=SHANGHAI).astimezone(dt.UTC))
    refs = {ref for (_, ref) in world.delivered}
    assert reminder_ref(NOTICE.id, "online_submission", 3) in refs
    assert reminder_ref(NOTICE.id, "online_submission", 1) not in refs
    # slots long past when the bot first ran (7 days before, on 13 October) are skipped, not sent late
    assert reminder_ref(NOTICE.id, "online_submission", 7) not in refs
    rows = dict(
        await world.storage.atomically(
            lambda db: db.execute("SELECT deadline_id || ':' || days_before, status FROM reminder_slots").fetchall()
        )
    )
    assert rows == {"online_submission:7": "skipped", "online_submission:3": "done", "online_submission:1": "skipped"}
    await world.storage.close()


async def test_a_finished_season_sends_nothing(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3", seed=14)
    await world.open()
    await world.populate(50)
    await world.tick(dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC))
    assert not world.delivered
    statuses = {
        r[0]
        for r in await world.storage.atomically(lambda db: db.execute("SELECT status FROM reminder_slots").fetchall())
    }
    assert statuses == {"skipped"} and len(notice_schedule(NOTICE)) == 8
    await world.storage.close()


async def test_a_blocked_chat_is_marked_unreachable_once_and_skipped_from_then_on(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3", seed=15)
    await world.open()
    await world.populate(60)
    for day in (13, 17):
        await world.tick(dt.datetime(2021, 10, day, 10, 5, tzinfo=SHANGHAI).astimezone(dt.UTC))
    unreachable = {
        r[0]
        for r in await world.storage.atomically(
            lambda db: db.execute("SELECT chat_id FROM unreachable_chats").fetchall()
        )
    }
    attempts = await world.storage.atomically(
        lambda db: db.execute(
            "SELECT COUNT(*) FROM outbox WHERE chat_id IN (SELECT chat_id FROM unreachable_chats)"
        ).fetchall()
    )
    assert unreachable == world.blocked and world.blocked
    assert attempts[0][0] == len(world.blocked)  # one try each, on the 13th; nothing queued on the 17th
    await world.storage.close()


async def test_turning_reminders_off_withdraws_those_queued_and_on_again_resumes(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3", seed=16)
    await world.open()
    await world.populate(40)
    user = next(u for u, refs in world.expected.items() if refs)
    due = dt.datetime(2021, 10, 13, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
    await run_due_reminders(world.storage, [NOTICE], due, render)
    await world.storage.atomically(set_reminders, user, False)
    await world.tick(due)
    assert not any(u == user for (u, _) in world.delivered)
    await world.storage.atomically(set_reminders, user, True)
    await world.tick(dt.datetime(2021, 10, 17, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC))
    assert (user, reminder_ref(NOTICE.id, "online_submission", 3)) in world.delivered
    await world.storage.close()


async def test_delete_me_removes_the_users_queued_messages_and_setting(tmp_path: Path) -> None:
    world = World(tmp_path / "z.sqlite3", seed=17)
    await world.open()
    await world.populate(20)
    user = next(u for u, refs in world.expected.items() if refs)
    due = dt.datetime(2021, 10, 13, 10, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
    await run_due_reminders(world.storage, [NOTICE], due, render)
    await world.storage.atomically(set_reminders, user, False)
    await world.storage.atomically(set_reminders, user, True)
    await world.storage.atomically(delete_user, user)
    left = await world.storage.atomically(
        lambda db: db.execute(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE user_id = ?), "
            "(SELECT COUNT(*) FROM reminder_settings WHERE user_id = ?)",
            (user, user),
        ).fetchall()
    )
    assert list(left) == [(0, 0)]
    await world.storage.close()
