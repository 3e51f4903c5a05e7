"""Tap-to-answer latency of the bot with a Bot API 100 ms away, beside a bare PTB echo bot.

N simulated applicants go through the interview at once. Each sends /start, then taps the
answer to each question T seconds after the previous answer arrived (the first tap at a random
moment within T, so applicants do not move in step). Every Bot API call waits `--delay`
(100 ms) in the offline stand-in (tests/support/offline.py). Updates go through
app.update_queue, the way the updater delivers them, into the real Application:
build_application() with its per-chat update processor, rate limiter and SQLite file.

The echo bot is a bare PTB Application (concurrent_updates on) that answers a tap by editing
the tapped message with the button's data: one Bot API call. It gets the same applicants, the
same taps and the same stand-in.

Tap-to-answer: from putting the tap's update on the queue to the moment the stand-in has
answered the edit that shows the reply (the next question, for the bot). A tap with no answer
after `--lost-after` seconds is lost; its applicant stops. CPU ms per update is the process's
CPU time (bot, stand-in and driver together; the driver is the same for both bots) divided by
the updates handled. Peak RSS is the child process's. The stand-in skips its checks of texts
(validate=False): they are Telegram's work. The last tap of each path is shown apart: the bot
answers it with the outcome (several messages and the checklist file) after the edit, and
with applicants moving in step, all of them finish within the same T seconds. Each run is its own child process.

The search for the largest N: runs at T = `--search-t` with `--search-taps` taps per
applicant, N growing by `--search-factor` from `--search-from` while p95 <= 300 ms and no tap
is lost, then halving the gap `--search-steps` times; at most `--search-max` applicants.

A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/latency.py                 (60 at 2 s, 300 at 3 s, search)
      .venv/bin/python benchmarks/latency.py --runs 60:2 --no-search
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, met  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters  # noqa: E402  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversations.interview import interview_for  # noqa: E402
from knowledge import load_notice, notice_path  # noqa: E402
from tests.support import buttons as callbacks  # noqa: E402
from tests.support.offline import OfflineBotAPI, UpdateFactory  # noqa: E402

P95_TARGET_MS = 300.0
P50_TARGET_MS = 150.0
ECHO_RATIO_TARGET = 1.5
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


def child(kind: str, applicants: int, interval: float, taps: int, args: argparse.Namespace) -> dict[str, Any]:
    """One run in a fresh process: its own CPU time and peak RSS."""
    command = [sys.executable, __file__, "--child", kind, "--child-n", str(applicants), "--child-t", str(interval),
               "--child-taps", str(taps), "--delay", str(args.delay), "--lost-after", str(args.lost_after)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO_DIR, env=os.environ)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def show(result: dict[str, Any]) -> None:
    name = "zhicheng-bot" if result["kind"] == "bot" else "PTB echo bot"
    print(f"  {name:<13} taps {result['taps']:>5}  lost {result['lost']:>3}  "
          f"p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  p99 {result['p99']:7.1f} ms  "
          f"CPU {result['cpu_ms_per_update']:5.2f} ms/update ({result['cpu_share'] * 100:3.0f}% of a core)  "
          f"peak RSS {result['peak_rss_mb']:6.1f} MB")
    print(f"  {'':<13} of which each applicant's last tap: p50 {result['last_p50']:7.1f} ms  "
          f"p95 {result['last_p95']:7.1f} ms")


def holds(result: dict[str, Any]) -> bool:
    return bool(result["lost"] == 0 and result["p95"] <= P95_TARGET_MS)


def search(args: argparse.Namespace) -> Iterator[tuple[int, dict[str, Any]]]:
    """Runs of growing N, then halving the gap between the last N that held and the first that did not."""
    good, bad = 0, None
    n = args.search_from
    while n <= args.search_max:
        result = child("bot", n, args.search_t, args.search_taps, args)
        yield n, result
        if not holds(result):
            bad = n
            break
        good = n
        n = int(n * args.search_factor)
    for _ in range(args.search_steps if bad is not None else 0):
        if bad is None or bad - good <= max(10, good // 20):
            break
        n = (good + bad) // 2
        result = child("bot", n, args.search_t, args.search_taps, args)
        yield n, result
        if holds(result):
            good = n
        else:
            bad = n
    print(f"Largest N holding p95 <= {P95_TARGET_MS:.0f} ms with none lost (T = {args.search_t:g} s, "
          f"{args.search_taps} taps each): {good}" + ("" if bad is not None else f" (the search stopped at "
          f"--search-max {args.search_max}; the limit is higher)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default="60:2,300:3", help="N:T pairs, comma separated (default 60:2,300:3)")
    parser.add_argument("--taps", type=int, default=14, help="taps per applicant at most (default 14, a full path)")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per Bot API call (default 0.1)")
    parser.add_argument("--lost-after", type=float, default=15.0, help="a tap unanswered this long is lost")
    parser.add_argument("--no-search", action="store_true", help="skip the search for the largest N")
    parser.add_argument("--search-t", type=float, default=3.0)
    parser.add_argument("--search-taps", type=int, default=6)
    parser.add_argument("--search-from", type=int, default=300)
    parser.add_argument("--search-factor", type=float, default=1.5)
    parser.add_argument("--search-steps", type=int, default=3)
    parser.add_argument("--search-max", type=int, default=3000)
    parser.add_argument("--child", choices=["bot", "echo"], help=argparse.SUPPRESS)
    parser.add_argument("--child-n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-t", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-taps", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(run_one(args.child, args.child_n, args.child_t, args.child_taps, args.delay,
                                     args.lost_after))
        print(json.dumps(result))
        return

    print(f"Tap-to-answer with {args.delay * 1000:.0f} ms per Bot API call (offline stand-in), "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for pair in args.runs.split(","):
        n_text, t_text = pair.split(":")
        applicants, interval = int(n_text), float(t_text)
        log(f"running N={applicants} T={interval:g} ...")
        print(f"N = {applicants} applicants, T = {interval:g} s, up to {args.taps} taps each:")
        bot = child("bot", applicants, interval, args.taps, args)
        echo = child("echo", applicants, interval, args.taps, args)
        show(bot)
        show(echo)
        ratio = bot["p50"] / echo["p50"]
        print(f"  targets: p50 <= {P50_TARGET_MS:.0f} ms {met(bot['p50'] <= P50_TARGET_MS)}, "
              f"p95 <= {P95_TARGET_MS:.0f} ms {met(bot['p95'] <= P95_TARGET_MS)}, "
              f"p50 within {ECHO_RATIO_TARGET}x of echo ({ratio:.2f}x) {met(ratio <= ECHO_RATIO_TARGET)}, "
              f"none lost {met(bot['lost'] == 0)}")
    if not args.no_search:
        print("Search for the largest N:")
        for n, result in search(args):
            log(f"searched N={n}")
            print(f"  N = {n:>5}: ", end="")
            show(result)


if __name__ == "__main__":
    main()
