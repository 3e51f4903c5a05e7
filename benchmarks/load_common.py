"""The in-process load the older benchmarks share (broadcast.py, office_load.py, reminders.py): N
applicants tapping through the interview every T seconds, each run's bot inside the driver's
process on the in-process Bot API stand-in (tests/support/offline.py), 100 ms away.

benchmarks/latency.py measures what users see with each bot in a process of its own; this is the
lighter harness for benchmarks that compare a run with itself (with and without a broadcast,
reminders or an office at work).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversations.interview import interview_for  # noqa: E402
from knowledge import load_notice, notice_path  # noqa: E402
from tests.support import buttons as callbacks  # noqa: E402
from tests.support.offline import OfflineBotAPI, UpdateFactory  # noqa: E402

FIRST_USER = 10_000_000


class TimedBotAPI(OfflineBotAPI):
    """The stand-in, noting each chat's newest message and waking the applicant whose reply came."""

    def __init__(self, delay: float) -> None:
        super().__init__(latency=delay, record=False, validate=False, after_call=self._after_call)
        self.newest: dict[int, dict[str, Any]] = {}
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        msg = super()._message(chat_id, **content)
        if content.get("reply_markup") or chat_id not in self.newest:
            self.newest[chat_id] = msg
        return msg

    def _after_call(self, method: str, params: dict[str, Any], ok: bool) -> None:
        if method == "editMessageText":
            waiter = self.waiting.pop(int(params.get("chat_id", 0)), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.perf_counter())


def long_paths(limit: int = 64) -> list[list[tuple[str, str]]]:
    """Answer paths of the bundled notice with many questions (a full load per applicant)."""
    notice = load_notice(notice_path())
    paths: list[list[tuple[str, str]]] = []
    for answers in itertools.islice(interview_for(notice).paths(), 5000):
        if len(answers) >= 10:
            paths.append(list(answers.items()))
            if len(paths) >= limit:
                break
    return paths


def echo_application(api: OfflineBotAPI) -> Application[Any, Any, Any, Any, Any, Any]:
    async def echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    async def echo_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.edit_message_text(update.callback_query.data or "")

    app = (
        ApplicationBuilder()
        .token("123456:BENCH")
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo_text))
    app.add_handler(CallbackQueryHandler(echo_tap))
    return app


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


async def run_one(
    kind: str,
    applicants: int,
    interval: float,
    taps: int,
    delay: float,
    lost_after: float,
    *,
    api: TimedBotAPI | None = None,
    db_template: Path | None = None,
    clock: Any = None,
    sender_interval: float | None = None,
    hold: float = 0.0,
) -> dict[str, Any]:
    """One run. `api` (default TimedBotAPI(delay)) is the stand-in; `db_template` a SQLite file to
    start from (copied: an outbox full of reminders, for example); `clock` the bot's clock."""
    api = api or TimedBotAPI(delay)
    workdir = tempfile.TemporaryDirectory(prefix="zhicheng-latency-")
    if kind == "bot":
        db_path = Path(workdir.name) / "bench.sqlite3"
        if db_template is not None:
            shutil.copyfile(db_template, db_path)
        settings = Settings(token="123456:BENCH", db_path=db_path, api_base_url="http://127.0.0.1:9/bot")
        options: dict[str, Any] = {"clock": clock}
        if sender_interval is not None:
            options["sender_interval"] = sender_interval
        app = build_application(settings, request=api, **options)
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
    else:
        app = echo_application(api)
        await app.initialize()
    await app.start()
    factory = UpdateFactory()
    paths = long_paths()
    latencies: list[float] = []
    last_taps: list[float] = []  # the tap that finishes the interview: the outcome follows its edit
    lost = 0
    handled = 0
    rng = random.Random(applicants * 1000 + int(interval * 10))

    async def applicant(index: int) -> None:
        nonlocal lost, handled
        user = FIRST_USER + index
        path = paths[index % len(paths)][:taps]
        await asyncio.sleep(rng.uniform(0, interval))
        await app.update_queue.put(Update.de_json(factory.message(user, "/start"), app.bot))
        handled += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lost_after
        while user not in api.newest or (kind == "bot" and not api.newest[user].get("reply_markup")):
            if loop.time() > deadline:
                lost += 1
                return
            await asyncio.sleep(0.01)
        for number, (question_id, option_id) in enumerate(path, start=1):
            await asyncio.sleep(interval)
            origin = api.newest[user]
            waiter: asyncio.Future[float] = loop.create_future()
            api.waiting[user] = waiter
            update = Update.de_json(factory.callback(user, callbacks.answer(question_id, option_id), origin), app.bot)
            tapped = time.perf_counter()
            await app.update_queue.put(update)
            handled += 1
            try:
                answered = await asyncio.wait_for(waiter, lost_after)
            except TimeoutError:
                lost += 1
                return
            latencies.append((answered - tapped) * 1000)
            if number == len(path):
                last_taps.append((answered - tapped) * 1000)

    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    await asyncio.gather(*(applicant(i) for i in range(applicants)))
    if hold:  # keep the bot running (its jobs deliver the outbox meanwhile)
        await asyncio.sleep(hold)
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    await app.stop()
    if kind == "bot" and app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()
    workdir.cleanup()
    return {
        "kind": kind,
        "applicants": applicants,
        "interval": interval,
        "taps": len(latencies),
        "lost": lost,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "last_p50": percentile(last_taps, 50),
        "last_p95": percentile(last_taps, 95),
        "cpu_ms_per_update": cpu * 1000 / max(handled, 1),
        "cpu_share": cpu / wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "wall_s": wall,
    }
