"""Throughput benchmark of the whole bot: PTB Application, handlers, ChatService, SQLite.

Drives N simulated applicants (default 1,000, 100 at once) through the complete interview
through the full stack with an in-process stand-in for the Bot API (tests/support/offline.py), and the
same harness with a bare PTB echo bot. Prints updates per second for both and their ratio,
p50/p99 handling time per update, and the peak RSS of the bot with 10,000 stored applicants.

Targets (issue): at least half the echo bot's updates per second; p99 under 20 ms;
RSS under 150 MB.

Run:  (from the repository) .venv/bin/python benchmarks/bot_throughput.py [--applicants 1000]
      [--concurrency 100] [--stored 10000] [--db PATH] [--profile]

How it drives the bot (the way run_polling runs it): the Application is initialised, its
post_init run, and app.start() starts PTB's update fetcher, which takes updates from
app.update_queue and processes them one at a time (concurrent_updates is not set). Each
simulated applicant is a task that puts its next update into app.update_queue and waits
until that update has been handled; 100 such tasks run at once, so up to 100 updates wait
in the queue. The handling time of an update is measured around Application.process_update
(wrapped on the instance), i.e. from the moment PTB's fetcher starts processing it until its
handlers (and the Bot API calls they make) are done. Queueing time is reported separately.

A benchmark, not a test: it prints figures and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import itertools
import json
import logging
import math
import os
import platform
import pstats
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, met, reference_loop_ms  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app import build_application  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.storage import Storage  # noqa: E402
from bot.store.users import UserState, first_time_update, save_user  # noqa: E402
from conversations.i18n import normalize_locale  # noqa: E402
from conversations.interview import interview_for  # noqa: E402
from conversations.outcome import ACTIONABLE_VERDICTS, evaluate  # noqa: E402
from knowledge import load_notice, notice_path  # noqa: E402
from tests.support import buttons as callbacks  # noqa: E402
from tests.support.offline import OfflineBotAPI, UpdateFactory  # noqa: E402

RATIO_TARGET = 0.5
P99_TARGET_MS = 20.0
RSS_TARGET_MB = 150.0
TOKEN = "123456:TEST"
API_BASE_URL = "http://127.0.0.1:9/bot"  # never contacted: the offline Bot API answers every call
LANGUAGE = "zh-hans"
SEED = 20211020
WARMUP_APPLICANTS = 5
Job = Callable[[], Awaitable[None]]
FIRST_RUN_USER = 10_000_000  # simulated applicants of the runs; stored applicants are 1 .. --stored


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def rss_now_mb(field: str = "VmRSS") -> float | None:
    """VmRSS (now) or VmHWM (peak) of this process image from /proc (Linux), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (aiosqlite's worker included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --------------------------------------------------------------------------------------
# The stand-in network layer


class BenchBotAPI(OfflineBotAPI):
    """OfflineBotAPI(record=False) that also indexes the messages of each chat, so a simulated
    applicant can press a button of the message it is looking at, and can forget a chat once
    its applicant is done: the offline API otherwise keeps every message ever sent (that is
    Telegram's memory, not the bot's, and would inflate the RSS figure)."""

    def __init__(self) -> None:
        super().__init__(record=False)
        self._by_chat: dict[int, list[int]] = defaultdict(list)
        self.requests = 0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: Any = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        self.requests += 1
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        msg = super()._message(chat_id, **content)
        self._by_chat[chat_id].append(msg["message_id"])
        return msg

    def last_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        for message_id in reversed(self._by_chat.get(chat_id, ())):
            msg = self.messages.get((chat_id, message_id))
            if msg is not None and msg.get("reply_markup"):
                return msg
        return None

    def with_button(
        self, chat_id: int, data: str | None = None, prefix: str | None = None
    ) -> tuple[dict[str, Any], str] | None:
        """The newest message of the chat with a button whose data is `data` (or starts with `prefix`)."""
        for message_id in reversed(self._by_chat.get(chat_id, ())):
            msg = self.messages.get((chat_id, message_id))
            markup = msg.get("reply_markup") if msg else None
            if isinstance(markup, str):
                markup = json.loads(markup)
            for row in (markup or {}).get("inline_keyboard", []):
                for button in row:
                    value = button.get("callback_data") or ""
                    if value == data or (prefix is not None and value.startswith(prefix)):
                        return msg, value  # type: ignore[return-value]
        return None

    def forget(self, chat_id: int) -> None:
        for message_id in self._by_chat.pop(chat_id, ()):
            self.messages.pop((chat_id, message_id), None)


def origin(msg: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of a message as Telegram would embed it in a callback query."""
    if msg is None:
        return None
    copy = dict(msg)
    if isinstance(copy.get("reply_markup"), str):
        copy["reply_markup"] = json.loads(copy["reply_markup"])
    return copy


# --------------------------------------------------------------------------------------
# The simulated applicants


@dataclasses.dataclass(frozen=True)
class Plan:
    user_id: int
    answers: tuple[tuple[str, str], ...]  # (question, option) in the order asked
    verdict: str
    checklist: tuple[str, ...]  # item ids of the checklist at the end
    tick: str | None  # the item the applicant ticks


class Planner:
    """Paths through the interview from a seeded RNG: at each question a random option among
    those that keep the interview going (the next position has a question, or the interview
    ends with an actionable verdict, i.e. a checklist). If a path runs into a dead end it is
    drawn again; after 50 attempts the last path is kept whatever its verdict."""

    def __init__(self, notice: Any, seed: int) -> None:
        self.notice = notice
        self.interview = interview_for(notice)
        self.rng = random.Random(seed)
        self._verdicts: dict[frozenset[tuple[str, str]], tuple[str, tuple[str, ...]]] = {}

    def _outcome(self, answers: dict[str, str]) -> tuple[str, tuple[str, ...]]:
        key = frozenset(answers.items())
        found = self._verdicts.get(key)
        if found is None:
            out = evaluate(self.notice, answers)
            found = self._verdicts[key] = (out.verdict, tuple(it.id for it in out.checklist))
        return found

    def _draw(self) -> tuple[dict[str, str], bool]:
        answers: dict[str, str] = {}
        while True:
            position = self.interview.position(answers)
            question = position.question
            if question is None:
                return answers, self._outcome(answers)[0] in ACTIONABLE_VERDICTS
            options = [o.id for o in question.options]
            self.rng.shuffle(options)
            chosen = None
            for option in options:
                trial = {**position.answers, question.id: option}
                after = self.interview.position(trial)
                if after.question is not None or self._outcome(after.answers)[0] in ACTIONABLE_VERDICTS:
                    chosen = option
                    break
            if chosen is None:
                return {**position.answers, question.id: options[0]}, False
            answers = {**position.answers, question.id: chosen}

    def plan(self, user_id: int) -> Plan:
        for _ in range(50):
            answers, good = self._draw()
            if good:
                break
        position = self.interview.position(answers)
        verdict, checklist = self._outcome(position.answers)
        tick = self.rng.choice(checklist) if checklist else None
        return Plan(user_id, tuple(position.answers.items()), verdict, checklist, tick)


# --------------------------------------------------------------------------------------
# The harness: one Application, the update queue, the timing


class Harness:
    def __init__(
        self, app: Application[Any, Any, Any, Any, Any, Any], api: BenchBotAPI, update_ids: Iterable[int]
    ) -> None:
        self.app = app
        self.api = api
        self.factory = UpdateFactory()
        self.update_ids = iter(update_ids)
        self.handling_ns: list[int] = []
        self.latency_ns: list[int] = []
        self.by_kind: dict[str, list[int]] = defaultdict(list)
        self.updates = 0
        self.returning_ticked = 0
        self._waiting: dict[int, tuple[asyncio.Future[None], int, str]] = {}
        original = app.process_update

        async def timed_process_update(update: object) -> None:
            started = time.perf_counter_ns()
            try:
                await original(update)
            finally:
                finished = time.perf_counter_ns()
                self.handling_ns.append(finished - started)
                entry = self._waiting.pop(getattr(update, "update_id", -1), None)
                if entry is not None:
                    future, enqueued, kind = entry
                    self.latency_ns.append(finished - enqueued)
                    self.by_kind[kind].append(finished - started)
                    if not future.done():
                        future.set_result(None)

        # PTB's update fetcher calls self.process_update(update) for every update it takes
        # from update_queue: wrapping it on the instance times exactly that call.
        app.process_update = timed_process_update  # type: ignore[method-assign]

    def reset(self) -> None:
        self.handling_ns.clear()
        self.latency_ns.clear()
        self.by_kind.clear()
        self.updates = 0
        self.api.requests = 0

    async def send(self, data: dict[str, Any], kind: str) -> None:
        """Put one update into the application's queue and wait until it has been handled."""
        data["update_id"] = next(self.update_ids)
        update = Update.de_json(data, self.app.bot)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[update.update_id] = (future, time.perf_counter_ns(), kind)
        self.updates += 1
        await self.app.update_queue.put(update)
        await future

    async def press(self, user_id: int, data: str, message: dict[str, Any] | None, kind: str) -> None:
        await self.send(self.factory.callback(user_id, data, origin(message), language=LANGUAGE), kind)

    async def new_applicant(self, plan: Plan) -> None:
        """/start, every answer as a button press, then tick one checklist item."""
        uid = plan.user_id
        await self.send(self.factory.message(uid, "/start", language=LANGUAGE), "/start")
        last = len(plan.answers) - 1
        for i, (question, option) in enumerate(plan.answers):
            await self.press(
                uid,
                callbacks.answer(question, option),
                self.api.last_keyboard(uid),
                "last answer (outcome)" if i == last else "answer",
            )
        if plan.tick is not None:
            data = callbacks.toggle(plan.tick)
            found = self.api.with_button(uid, data)
            await self.press(uid, data, found[0] if found else None, "tick")
        self.api.forget(uid)

    async def returning_applicant(self, user_id: int) -> None:
        """A stored applicant comes back: /checklist, then ticks the first box it is shown."""
        await self.send(self.factory.message(user_id, "/checklist", language=LANGUAGE), "/checklist")
        found = self.api.with_button(user_id, prefix="t:")
        if found is not None:
            self.returning_ticked += 1
            await self.press(user_id, found[1], found[0], "tick")
        self.api.forget(user_id)

    async def run(self, jobs: list[Job], concurrency: int, label: str) -> float:
        """Run the applicants' jobs, `concurrency` at once; the wall time in seconds."""
        semaphore = asyncio.Semaphore(concurrency)
        done = 0
        total = len(jobs)
        step = max(1, total // 10)

        async def one(job: Job) -> None:
            nonlocal done
            async with semaphore:
                await job()
            done += 1
            if done % step == 0 or done == total:
                log(f"  {label}: {done}/{total} applicants, {self.updates:,} updates")

        t0 = time.perf_counter()
        await asyncio.gather(*(one(job) for job in jobs))
        return time.perf_counter() - t0


# --------------------------------------------------------------------------------------
# The two applications


def settings_for(db_path: Path) -> Settings:
    return Settings(token=TOKEN, db_path=db_path, api_base_url=API_BASE_URL)


async def start_full(db_path: Path) -> tuple[Application[Any, Any, Any, Any, Any, Any], BenchBotAPI]:
    api = BenchBotAPI()
    app = build_application(settings_for(db_path), request=api, rate_limit=False)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    return app, api


async def stop_full(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()


async def echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "…")


async def echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()


async def start_echo() -> tuple[Application[Any, Any, Any, Any, Any, Any], BenchBotAPI]:
    api = BenchBotAPI()
    app = ApplicationBuilder().token(TOKEN).base_url(API_BASE_URL).request(api).get_updates_request(api).build()
    app.add_handler(MessageHandler(filters.ALL, echo_message))
    app.add_handler(CallbackQueryHandler(echo_button))
    await app.initialize()
    await app.start()
    return app, api


async def stop_echo(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await app.stop()
    await app.shutdown()


# --------------------------------------------------------------------------------------
# Phases


@dataclasses.dataclass
class RunResult:
    label: str
    applicants: int
    updates: int
    seconds: float
    handling_ms: list[float]
    latency_ms: list[float]
    errors: int
    requests: int
    by_kind: dict[str, list[float]]
    cpu_s: float
    breakdown: dict[str, float] | None = None

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def p(self, q: float) -> float:
        return percentile(self.handling_ms, q)


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = f"{record.name}: {record.getMessage()[:300]}"


ERRORS = ErrorCounter()


def configure_logging() -> None:
    """Like bot.logsafe.configure_logging("INFO") in production, but the lines go to /dev/null:
    the per-update INFO record of the service is still formatted and written."""
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    handler = logging.StreamHandler(devnull)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler, ERRORS]
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Breakdown:
    """Diagnostics (only in the --profile run): time inside ChatService.handle, and the SQLite
    work it awaits (aiosqlite runs each statement, fetch and cursor close as one round trip to
    its worker thread; counted at Connection._execute, the single place they all pass)."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.handle_ns = 0
        self.sql_ns = 0
        self.sql_calls = 0
        service = app.bot_data.chat
        db = app.bot_data.chat.storage._db  # the one connection: every transaction passes its _execute
        assert db is not None
        original_handle = service.handle
        original_execute = db._execute

        async def handle(event: Any) -> Any:
            t0 = time.perf_counter_ns()
            try:
                return await original_handle(event)
            finally:
                self.handle_ns += time.perf_counter_ns() - t0

        async def execute(fn: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter_ns()
            try:
                return await original_execute(fn, *args, **kwargs)
            finally:
                self.sql_ns += time.perf_counter_ns() - t0
                self.sql_calls += 1

        service.handle = handle
        db._execute = execute

    def reset(self) -> None:
        self.handle_ns = self.sql_ns = self.sql_calls = 0


async def run_harness(
    kind: str,
    plans: list[Plan],
    warmup: list[Plan],
    concurrency: int,
    db_path: Path | None,
    profile: cProfile.Profile | None = None,
    instrument: bool = False,
) -> RunResult:
    if kind == "full":
        assert db_path is not None
        app, api = await start_full(db_path)
    else:
        app, api = await start_echo()
    harness = Harness(app, api, itertools.count(1_000_001))
    breakdown = Breakdown(app) if instrument else None
    errors_before = ERRORS.count
    try:
        # Warm-up (not measured): templates, catalogs, compiled predicates, SQLite statements.
        await harness.run([partial(harness.new_applicant, p) for p in warmup], concurrency, f"{kind} warm-up")
        harness.reset()
        if breakdown is not None:
            breakdown.reset()
        if profile is not None:
            profile.enable()
        cpu0 = cpu_seconds()
        seconds = await harness.run([partial(harness.new_applicant, p) for p in plans], concurrency, kind)
        cpu = cpu_seconds() - cpu0
        if profile is not None:
            profile.disable()
    finally:
        if kind == "full":
            await stop_full(app)
        else:
            await stop_echo(app)
    parts = None
    if breakdown is not None:
        n = harness.updates
        parts = {
            "handle_ms": breakdown.handle_ns / n / 1e6,
            "sql_ms": breakdown.sql_ns / n / 1e6,
            "sql_calls": breakdown.sql_calls / n,
            "total_ms": sum(harness.handling_ns) / n / 1e6,
        }
    return RunResult(
        kind,
        len(plans),
        harness.updates,
        seconds,
        sorted(ns / 1e6 for ns in harness.handling_ns),
        sorted(ns / 1e6 for ns in harness.latency_ns),
        ERRORS.count - errors_before,
        api.requests,
        {k: sorted(ns / 1e6 for ns in v) for k, v in harness.by_kind.items()},
        cpu,
        parts,
    )


def check_db(db_path: Path, plans: list[Plan]) -> dict[str, int]:
    """What the full stack stored: every applicant finished, with the answers and the tick."""
    users = [p.user_id for p in plans]
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TEMP TABLE run_users (user_id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO run_users VALUES (?)", [(u,) for u in users])
        finished = conn.execute(
            "SELECT COUNT(*) FROM interviews JOIN run_users USING (user_id) "
            "WHERE current_question IS NULL AND started = 1"
        ).fetchone()[0]
        answers = conn.execute("SELECT COUNT(*) FROM answers JOIN run_users USING (user_id)").fetchone()[0]
        ticks = conn.execute("SELECT COUNT(*) FROM ticks JOIN run_users USING (user_id)").fetchone()[0]
    return {
        "finished": finished,
        "answers": answers,
        "ticks": ticks,
        "expected_answers": sum(len(p.answers) for p in plans),
        "expected_ticks": sum(1 for p in plans if p.tick),
    }


def fill_stored(db_path: Path, planner: Planner, stored: int) -> dict[str, int]:
    """--stored applicants as the bot stores them, written through bot.storage.Storage
    (migrations, save_user, first_time_update) in transactions of 500 applicants: 90 % finished
    with every answer and some ticks, 10 % in the middle of the interview; plus 10,000 processed
    update ids (what processed_updates keeps)."""
    pool = [planner.plan(0) for _ in range(min(stored, 1000))]
    rng = random.Random(SEED + 1)
    locale = normalize_locale(LANGUAGE)
    states: list[UserState] = []
    for user_id in range(1, stored + 1):
        plan = rng.choice(pool)
        state = UserState(user_id=user_id, chat_id=user_id, locale=locale, notice_id=planner.notice.id, started=True)
        if rng.random() < 0.9:
            state.answers = dict(plan.answers)
            if plan.checklist:
                state.ticks = set(rng.sample(plan.checklist, rng.randint(0, len(plan.checklist))))
        else:
            cut = rng.randint(1, len(plan.answers) - 1) if len(plan.answers) > 1 else 0
            state.answers = dict(plan.answers[:cut])
            state.current_question = plan.answers[cut][0]
        states.append(state)

    async def write() -> None:
        storage = Storage(db_path)
        await storage.open()
        try:
            for i in range(0, len(states), 500):
                await storage.atomically(lambda db, part=states[i : i + 500]: [save_user(db, s) for s in part])
            for i in range(1, 10_001, 500):
                await storage.atomically(
                    lambda db, i=i: [first_time_update(db, u) for u in range(i, min(i + 500, 10_001))]
                )
        finally:
            await storage.close()
        with sqlite3.connect(db_path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    asyncio.run(write())
    return {
        "users": len(states),
        "answers": sum(len(s.answers) for s in states),
        "ticks": sum(len(s.ticks) for s in states),
        "finished": sum(1 for s in states if s.current_question is None),
    }


def db_size_mb(db_path: Path) -> tuple[float, float]:
    main = db_path.stat().st_size if db_path.exists() else 0
    wal = Path(f"{db_path}-wal")
    return main / 1e6, (wal.stat().st_size if wal.exists() else 0) / 1e6


async def rss_child_main(db_path: Path, applicants: int, returning: int, concurrency: int) -> dict[str, Any]:
    """In a fresh process: start the full bot on the stored database and drive applicants."""
    configure_logging()
    notice = load_notice(notice_path())
    planner = Planner(notice, SEED + 2)
    plans = [planner.plan(FIRST_RUN_USER + i) for i in range(applicants)]
    with sqlite3.connect(db_path) as conn:
        back = [
            row[0]
            for row in conn.execute(
                "SELECT user_id FROM interviews WHERE current_question IS NULL ORDER BY random() LIMIT ?", (returning,)
            )
        ]
    rss_before_start = rss_now_mb()
    app, api = await start_full(db_path)
    rss_started = rss_now_mb()
    harness = Harness(app, api, itertools.count(10_001))
    try:
        jobs: list[Job] = [partial(harness.new_applicant, p) for p in plans]
        jobs += [partial(harness.returning_applicant, u) for u in back]
        random.Random(SEED + 3).shuffle(jobs)
        seconds = await harness.run(jobs, concurrency, "rss")
        users_now = await app.bot_data.chat.storage.atomically(
            lambda db: db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        )
    finally:
        await stop_full(app)
    handling = sorted(ns / 1e6 for ns in harness.handling_ns)
    return {
        "peak_rss_mb": peak_rss_mb(),
        "vmhwm_mb": rss_now_mb("VmHWM"),
        "rss_before_start_mb": rss_before_start,
        "rss_started_mb": rss_started,
        "rss_end_mb": rss_now_mb(),
        "updates": harness.updates,
        "seconds": seconds,
        "new": len(plans),
        "returning": len(back),
        "returning_ticked": harness.returning_ticked,
        "users_in_db": users_now,
        "errors": ERRORS.count,
        "p50_ms": percentile(handling, 50),
        "p99_ms": percentile(handling, 99),
    }


# --------------------------------------------------------------------------------------


def print_profile(profile: cProfile.Profile, top: int = 30) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    print(out.getvalue())
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(20)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applicants", type=int, default=1000, help="simulated applicants per harness (default 1000)")
    parser.add_argument("--concurrency", type=int, default=100, help="applicants at once (default 100)")
    parser.add_argument(
        "--stored", type=int, default=10_000, help="applicants stored before the RSS run (default 10000)"
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="SQLite file of the full-stack run (must not exist; default: a temp file). "
        "The RSS run uses PATH-stored.sqlite3 beside it.",
    )
    parser.add_argument(
        "--rss-applicants",
        type=int,
        default=300,
        help="new applicants driven in the RSS run, plus as many returning stored ones (default 300)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, run the full stack once more under cProfile and print the top functions",
    )
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.rss_child:
        # Linux carries ru_maxrss over fork+execve: this exec'd process starts with the benchmark
        # parent's peak. A fork gets a fresh rusage, so the measurement runs in a forked child.
        sys.stdout.flush()
        pid = os.fork() if hasattr(os, "fork") else 0
        if pid == 0:
            code = 0
            try:
                result = asyncio.run(
                    rss_child_main(args.db, args.rss_applicants, args.rss_applicants, args.concurrency)
                )
                print(json.dumps(result), flush=True)
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                if hasattr(os, "fork"):
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            return code
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)

    configure_logging()
    tmp_dir: Path | None = None
    if args.db is None:
        tmp_dir = Path(tempfile.mkdtemp(prefix="zhicheng-bench-"))
        db_path = tmp_dir / "throughput.sqlite3"
    else:
        db_path = args.db
        if db_path.exists():
            parser.error(f"--db {db_path} exists; give a path for a new file")
    stored_db = db_path.with_name(db_path.stem + "-stored.sqlite3")
    if stored_db.exists():
        parser.error(f"{stored_db} exists; remove it or give another --db")

    try:
        return run_all(args, db_path, stored_db)
    finally:
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)


def run_all(args: argparse.Namespace, db_path: Path, stored_db: Path) -> int:
    ref_before = reference_loop_ms()
    notice = load_notice(notice_path())
    planner = Planner(notice, SEED)
    log(f"planning {args.applicants} applicants…")
    warmup = [planner.plan(FIRST_RUN_USER - 1 - i) for i in range(WARMUP_APPLICANTS)]
    plans = [planner.plan(FIRST_RUN_USER + i) for i in range(args.applicants)]
    verdicts = Counter(p.verdict for p in plans)
    with_checklist = sum(1 for p in plans if p.tick is not None)
    distinct = len({p.answers for p in plans})
    per_applicant = [1 + len(p.answers) + (1 if p.tick else 0) for p in plans]

    print("zhicheng-bot throughput benchmark")
    print(
        f"python {platform.python_version()}, python-telegram-bot {__import__('telegram').__version__}, "
        f"aiosqlite {__import__('aiosqlite').__version__}, SQLite {sqlite3.sqlite_version}; "
        f"{platform.machine()}, {os.cpu_count()} CPU(s), affinity {sorted(os.sched_getaffinity(0))}"
    )
    print(f"reference loop (1M additions, best of 3): {ref_before:.1f} ms — the host is shared, figures vary with it")
    print()
    print("Setup")
    print("  Both harnesses: PTB Application started with app.start() (PTB's update fetcher, as under run_polling),")
    print("  updates put into app.update_queue, processed one at a time (concurrent_updates not set).")
    print("  PTB's AIORateLimiter is OFF in both harnesses (build_application(rate_limit=False)): it caps")
    print("  sending at 30 messages/s by design, which would measure the limiter, not the bot.")
    print("  Network layer: tests.support.offline.OfflineBotAPI(record=False), latency 0, in-process (chats forgotten")
    print("  when their applicant is done). Logging as in production at INFO, written to /dev/null.")
    print(f"  Full stack: bot.app.build_application, handlers, ChatService, SQLite file (WAL) {db_path}")
    print("  Echo: bare Application, MessageHandler -> send_message(chat_id, text), CallbackQueryHandler ->")
    print("  query.answer(); driven by the same applicants' update stream and timed the same way.")
    print(f"  Applicants: {args.applicants:,}, {args.concurrency} at once; each: /start, one button press per")
    print("  question (random option from a seeded RNG among those that keep the interview going), then one")
    print(f"  checklist tick. {WARMUP_APPLICANTS} warm-up applicants per harness are not counted.")
    print(
        f"  Paths: {distinct:,} distinct among {len(plans):,} applicants; {with_checklist:,} reach a checklist; "
        f"verdicts: " + ", ".join(f"{v} {n}" for v, n in verdicts.most_common())
    )
    print(
        f"  Updates per applicant: {min(per_applicant)}–{max(per_applicant)} "
        f"(mean {statistics.mean(per_applicant):.1f})"
    )
    print("  Handling time: Application.process_update of one update, start to end (all handlers and their")
    print("  Bot API calls). Queue wait: from enqueue until handled (includes waiting behind the other")
    print("  applicants' updates).")
    print()

    log("full stack…")
    full = asyncio.run(run_harness("full", plans, warmup, args.concurrency, db_path))
    stored_check = check_db(db_path, plans)
    full_db_main, full_db_wal = db_size_mb(db_path)
    log("echo…")
    echo = asyncio.run(run_harness("echo", plans, warmup, args.concurrency, None))

    print("Throughput")
    print(
        f"  {'':12}{'updates':>9}{'seconds':>9}{'updates/s':>11}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'queue p50 ms':>14}{'errors':>8}"
    )
    for r in (full, echo):
        print(
            f"  {r.label + ' stack' if r.label == 'full' else 'echo bot':12}{r.updates:>9,}{r.seconds:>9.2f}"
            f"{r.rate:>11,.0f}{r.p(50):>9.2f}{percentile(r.handling_ms, 90):>9.2f}{r.p(99):>9.2f}"
            f"{r.handling_ms[-1]:>9.2f}{percentile(r.latency_ms, 50):>14.1f}{r.errors:>8}"
        )
    ratio = full.rate / echo.rate
    print(f"  ratio full/echo: {ratio:.3f} ({full.rate:,.0f} / {echo.rate:,.0f} updates/s)")
    print(
        f"  mean handling time: full stack {statistics.mean(full.handling_ms):.2f} ms, "
        f"echo {statistics.mean(echo.handling_ms):.3f} ms; Bot API calls per update: full stack "
        f"{full.requests / full.updates:.2f}, echo {echo.requests / echo.updates:.2f}"
    )
    print(
        f"  CPU time (all threads) per update: full stack {full.cpu_s / full.updates * 1e3:.2f} ms "
        f"({full.cpu_s / full.seconds:.0%} of wall time), echo {echo.cpu_s / echo.updates * 1e3:.2f} ms "
        f"({echo.cpu_s / echo.seconds:.0%})"
    )
    print("  (the wall time of both includes the driver building each incoming Update with Update.de_json, as")
    print("  PTB's Updater does after getUpdates; for the echo bot that is most of its time per update)")
    print("  handling time by kind of update (ms):")
    print(f"    {'':24}{'count':>7}{'full p50':>10}{'full p99':>10}{'full max':>10}{'echo p50':>10}{'echo p99':>10}")
    for kind in ("/start", "answer", "last answer (outcome)", "tick"):
        f, e = full.by_kind.get(kind, []), echo.by_kind.get(kind, [])
        if f:
            print(
                f"    {kind:24}{len(f):>7,}{percentile(f, 50):>10.2f}{percentile(f, 99):>10.2f}{f[-1]:>10.2f}"
                f"{percentile(e, 50):>10.3f}{percentile(e, 99):>10.3f}"
            )
    print(
        f"  stored by the full stack: {stored_check['finished']:,}/{len(plans):,} interviews finished, "
        f"{stored_check['answers']:,}/{stored_check['expected_answers']:,} answers, "
        f"{stored_check['ticks']:,}/{stored_check['expected_ticks']:,} ticks; "
        f"DB {full_db_main:.2f} MB + WAL {full_db_wal:.2f} MB"
    )
    if ERRORS.first:
        print(f"  first error logged: {ERRORS.first}")
    print()

    log(f"filling {stored_db} with {args.stored:,} stored applicants…")
    t0 = time.perf_counter()
    filled = fill_stored(stored_db, planner, args.stored)
    fill_s = time.perf_counter() - t0
    size_before, _ = db_size_mb(stored_db)
    log("RSS run in a fresh process…")
    child = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--rss-child",
            "--db",
            str(stored_db),
            "--rss-applicants",
            str(args.rss_applicants),
            "--concurrency",
            str(args.concurrency),
        ],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        print("RSS run failed")
        return 1
    sys.stderr.write(child.stderr)
    rss = json.loads(child.stdout.strip().splitlines()[-1])
    size_after, wal_after = db_size_mb(stored_db)

    print(f"Memory with {args.stored:,} stored applicants")
    print(
        f"  stored: {filled['users']:,} users ({filled['finished']:,} finished, the rest mid-interview), "
        f"{filled['answers']:,} answers, {filled['ticks']:,} ticks, 10,000 processed update ids "
        f"(written through bot.storage.Storage.save_user; {fill_s:.1f} s)"
    )
    print(f"  DB file: {size_before:.2f} MB before the run; after: {size_after:.2f} MB + WAL {wal_after:.2f} MB")
    print(
        f"  fresh process: full bot started on that DB, then {rss['new']} new applicants (whole interview) and "
        f"{rss['returning']} returning stored applicants (/checklist + one tick; {rss['returning_ticked']} were "
        f"shown a box to tick), {args.concurrency} at once:"
    )
    print(
        f"  {rss['updates']:,} updates in {rss['seconds']:.2f} s ({rss['updates'] / rss['seconds']:,.0f}/s), "
        f"p50 {rss['p50_ms']:.2f} ms, p99 {rss['p99_ms']:.2f} ms, errors {rss['errors']}; "
        f"users in DB afterwards {rss['users_in_db']:,}"
    )
    print(
        f"  RSS: {rss['rss_before_start_mb']:.1f} MB after imports and notice load, "
        f"{rss['rss_started_mb']:.1f} MB with the bot started, {rss['rss_end_mb']:.1f} MB at the end;"
    )
    print(
        f"  peak: ru_maxrss {rss['peak_rss_mb']:.1f} MB, VmHWM {rss['vmhwm_mb']:.1f} MB (MB = MiB; measured in a "
        "forked child, since Linux carries ru_maxrss over fork+exec from the parent)"
    )
    print()

    ref_after = reference_loop_ms()
    print(f"reference loop after the runs: {ref_after:.1f} ms (before: {ref_before:.1f} ms)")
    print()
    print("Summary")
    print(
        f"  throughput ratio full/echo: {ratio:.3f} ({full.rate:,.0f} vs {echo.rate:,.0f} updates/s) — "
        f"target ≥ {RATIO_TARGET} — {met(ratio >= RATIO_TARGET)}"
    )
    print(
        f"  p99 handling time, full stack: {full.p(99):.2f} ms (p50 {full.p(50):.2f} ms) — target < "
        f"{P99_TARGET_MS:.0f} ms — {met(full.p(99) < P99_TARGET_MS)}"
    )
    print(f"  p99 handling time, echo bot: {echo.p(99):.3f} ms (p50 {echo.p(50):.3f} ms) — for reference")
    print(
        f"  peak RSS with {args.stored:,} stored applicants: {rss['peak_rss_mb']:.1f} MB (DB {size_after:.2f} MB) — "
        f"target < {RSS_TARGET_MB:.0f} MB — {met(rss['peak_rss_mb'] < RSS_TARGET_MB)}"
    )
    errors = full.errors + echo.errors + rss["errors"]
    print(f"  errors logged by the handlers: {errors}")

    if args.profile:
        n = min(200, args.applicants)
        prof_planner = Planner(notice, SEED + 4)
        prof_plans = [prof_planner.plan(FIRST_RUN_USER + i) for i in range(n)]
        prof_warm = [prof_planner.plan(FIRST_RUN_USER - 1 - i) for i in range(WARMUP_APPLICANTS)]
        dbs = [db_path.with_name(db_path.stem + f"-profile{i}.sqlite3") for i in (1, 2)]
        log(f"instrumented full-stack run with {n} applicants…")
        inst = asyncio.run(run_harness("full", prof_plans, prof_warm, args.concurrency, dbs[0], instrument=True))
        b = inst.breakdown or {}
        print()
        print(f"Where the full stack's handling time goes ({n} applicants, {inst.updates:,} updates, instrumented run;")
        print("  means per update; the instrumentation adds a little time of its own)")
        print(f"  process_update total      {b['total_ms']:.2f} ms (p50 {inst.p(50):.2f}, p99 {inst.p(99):.2f})")
        print(f"  ChatService.handle        {b['handle_ms']:.2f} ms  (transaction, load/save state, step, rendering)")
        print(
            f"    awaiting SQLite         {b['sql_ms']:.2f} ms  in {b['sql_calls']:.1f} round trips to aiosqlite's "
            "thread per update"
        )
        print(
            f"  PTB dispatch + perform()  {b['total_ms'] - b['handle_ms']:.2f} ms  (Bot API calls through PTB: "
            f"{inst.requests / inst.updates:.2f} per update)"
        )
        log(f"profiling the full stack with {n} applicants…")
        profile = cProfile.Profile()
        result = asyncio.run(run_harness("full", prof_plans, prof_warm, args.concurrency, dbs[1], profile))
        print()
        print(
            f"Profile of the full stack ({n} applicants, {result.updates:,} updates under cProfile; "
            "event-loop thread only — aiosqlite runs SQL in its own thread; coroutine resumptions count as calls)"
        )
        print_profile(profile)
        if args.db is not None:
            for db in dbs:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
