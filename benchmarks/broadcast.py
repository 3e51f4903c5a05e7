"""A broadcast to 10,000 applicants through the offline stand-in, with a Bot API 50-200 ms away.

Each run is a child process on a copy of one seeded SQLite file (10,000 applicants, 15% of them
unfinished, checklists ticked at random) and the real Application (build_application: the
per-chat update processor, the PriorityRateLimiter with `--rates` as its overall budget, the
outbox sender). A contact person writes the broadcast with the chat wizard (/broadcast, the text,
下一步, 确认发送, through Application.process_update); the sender then runs one tick, which queues
the broadcast and delivers it until nothing is left, editing the author's progress message.

"alone" runs: the broadcast by itself. Printed: the time the preview took (下一步: counting 10,000
applicants), the time to enqueue (one outbox row per recipient), the elapsed time from the start of
the tick to the last delivery against the ideal (recipients ÷ rate), the send rate achieved, lost
(recipients with no copy), duplicated (copies beyond one), peak RSS.

"interactive" runs: 60 applicants go through the interview at once (each taps the answer to its
question T seconds after the previous answer arrived, starting again at the end of its path) for
`--window` seconds, without a broadcast and while a broadcast runs. Tap-to-answer is measured as
in benchmarks/load_common.py: from putting the tap's update on the queue to the stand-in answering
the edit that shows the next question. The broadcast's messages delivered during the window are
printed beside it (interactive requests count against the same budget).

A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/broadcast.py                        (30/s and 1000/s, about 12 minutes)
      .venv/bin/python benchmarks/broadcast.py --rates 1000 --window 30
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, met, reference_loop_ms  # noqa: E402
from load_common import TimedBotAPI, long_paths, percentile  # noqa: E402
from telegram import Update  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.delivery import broadcasts  # noqa: E402
from bot.delivery.sender import OutboxSender  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.storage import Storage  # noqa: E402
from tests.support import buttons as callbacks  # noqa: E402
from tests.support.applicants import INTERVIEW, Seeded, seed  # noqa: E402
from tests.support.offline import UpdateFactory, feed  # noqa: E402

AUTHOR = 9_000_001
FIRST_RECIPIENT = 1_000_000
FIRST_INTERACTIVE = 20_000_000
TEXT = "请于2021年10月20日前完成<b>网上申报</b>，逾期不予受理。"
ELAPSED_TARGET = 1.05  # within 5% of the ideal
P95_RATIO_TARGET = 1.2


class CountingBotAPI(TimedBotAPI):
    """The stand-in of benchmarks/load_common.py, counting each chat's copies of the broadcast."""

    def __init__(self, low: float, high: float) -> None:
        super().__init__(low)
        self.jitter = high - low
        self.copies: Counter[int] = Counter()
        self.first_copy = self.last_copy = 0.0

    def _after_call(self, method: str, params: dict[str, Any], ok: bool) -> None:
        super()._after_call(method, params, ok)
        if ok and method == "sendMessage" and params.get("text") == TEXT and int(params["chat_id"]) != AUTHOR:
            now = time.perf_counter()
            self.first_copy = self.first_copy or now
            self.last_copy = now
            self.copies[int(params["chat_id"])] += 1


def seed_template(path: Path, recipients: int) -> None:
    async def write() -> None:
        storage = await Storage(path).open()
        paths = list(itertools.islice(INTERVIEW.paths(), 20_000))
        rng = random.Random(10)
        people = [
            Seeded(
                FIRST_RECIPIENT + i, dict(rng.choice(paths)), finished=rng.random() > 0.15, ticked_share=rng.random()
            )
            for i in range(recipients)
        ]
        await storage.atomically(lambda db: seed(db, people))
        await storage.close()

    asyncio.run(write())


def newest_button(api: CountingBotAPI, chat: int, label: str) -> tuple[str, dict[str, Any]]:
    origin = api.newest[chat]
    markup = origin["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    data = next(b["callback_data"] for row in markup["inline_keyboard"] for b in row if label in b["text"])
    return data, origin


async def write_broadcast(app: Any, api: CountingBotAPI, factory: UpdateFactory) -> float:
    """The contact person's wizard; returns how long 下一步 (the preview's count) took, in ms."""
    await feed(app, factory.message(AUTHOR, "/broadcast"))
    await feed(
        app,
        factory.message(
            AUTHOR,
            "请于2021年10月20日前完成网上申报，逾期不予受理。",
            entities=[{"type": "bold", "offset": 16, "length": 4}],
        ),
    )
    data, origin = newest_button(api, AUTHOR, "下一步")
    started = time.perf_counter()
    await feed(app, factory.callback(AUTHOR, data, origin))
    preview_ms = (time.perf_counter() - started) * 1000
    data, origin = newest_button(api, AUTHOR, "确认发送")
    await feed(app, factory.callback(AUTHOR, data, origin))
    return preview_ms


async def run_one(args: argparse.Namespace) -> dict[str, Any]:
    workdir = tempfile.TemporaryDirectory(prefix="zhicheng-broadcast-")
    db = Path(workdir.name) / "bench.sqlite3"
    shutil.copy(args.template, db)
    api = CountingBotAPI(args.low, args.high)
    settings = Settings(
        token="123456:BENCH", db_path=db, api_base_url="http://127.0.0.1:9/bot", contact_ids=frozenset({AUTHOR})
    )
    app = build_application(settings, request=api, sender_interval=0, bulk_per_second=args.rate or 30)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    sender: OutboxSender = app.bot_data.sender
    storage: Storage = app.bot_data.chat.storage
    factory = UpdateFactory()
    result: dict[str, Any] = {"mode": args.child, "rate": args.rate}

    broadcasting = args.rate > 0
    if broadcasting:
        result["preview_ms"] = await write_broadcast(app, api, factory)
    tick_started = time.perf_counter()
    enqueued = asyncio.get_running_loop().create_future()

    async def broadcast() -> None:
        original = broadcasts.queue_due

        async def timed_queue_due(*a: Any, **kw: Any) -> list[int]:
            started = time.perf_counter()
            queued = await original(*a, **kw)
            enqueued.set_result(time.perf_counter() - started)
            return queued

        broadcasts.queue_due = timed_queue_due  # type: ignore[assignment]
        try:
            await sender.tick()
        finally:
            broadcasts.queue_due = original  # type: ignore[assignment]

    sending = asyncio.create_task(broadcast()) if broadcasting else None
    latencies: list[tuple[float, float]] = []  # (tapped at, ms)
    lost = taps = 0
    if args.child == "interactive":
        latencies, lost, taps = await interactive(app, api, factory, args)
        result["bulk_in_window"] = sum(api.copies.values())
        result["window_s"] = args.window
        if broadcasting:  # the taps made while the broadcast was being queued and sent
            sending_until = api.last_copy if sum(api.copies.values()) >= args.recipients else float("inf")
            during = [ms for at, ms in latencies if at <= sending_until]
            result.update(
                sending_taps=len(during),
                sending_p95=percentile(during, 95),
                sending_s=min(sending_until, time.perf_counter()) - tick_started,
            )
        if sending is not None:
            sending.cancel()
    elif sending is not None:
        await sending
    if broadcasting and enqueued.done():
        result["enqueue_s"] = enqueued.result()
    if args.child == "alone":
        [(recipients,)] = await storage.atomically(
            lambda db: db.execute("SELECT recipients FROM broadcasts").fetchall()
        )
        expected = {FIRST_RECIPIENT + i for i in range(args.recipients)}
        unreachable = {
            r[0]
            for r in await storage.atomically(lambda db: db.execute("SELECT chat_id FROM unreachable_chats").fetchall())
        }
        result.update(
            recipients=recipients,
            elapsed_s=api.last_copy - tick_started,
            sending_s=api.last_copy - api.first_copy,
            lost=len(expected - unreachable - set(api.copies)),
            duplicated=sum(n - 1 for n in api.copies.values()),
        )
    values = [ms for _, ms in latencies]
    result.update(
        taps=taps,
        lost_taps=lost,
        p50=percentile(values, 50),
        p95=percentile(values, 95),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()
    workdir.cleanup()
    return result


async def interactive(
    app: Any, api: CountingBotAPI, factory: UpdateFactory, args: argparse.Namespace
) -> tuple[list[tuple[float, float]], int, int]:
    """60 applicants tapping through the interview for `--window` seconds (benchmarks/load_common.py)."""
    paths = long_paths()
    latencies: list[tuple[float, float]] = []
    lost = taps = 0
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    end = loop.time() + args.window

    async def wait_for_question(user: int, deadline: float) -> bool:
        while user not in api.newest or not api.newest[user].get("reply_markup"):
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def applicant(index: int) -> None:
        nonlocal lost, taps
        user = FIRST_INTERACTIVE + index
        await asyncio.sleep(rng.uniform(0, args.interval))
        await app.update_queue.put(Update.de_json(factory.message(user, "/start"), app.bot))
        if not await wait_for_question(user, loop.time() + args.lost_after):
            lost += 1
            return
        while loop.time() < end:
            for question_id, option_id in paths[index % len(paths)][:-1]:  # the outcome tap is latency.py's
                await asyncio.sleep(args.interval)
                if loop.time() >= end:
                    return
                waiter: asyncio.Future[float] = loop.create_future()
                api.waiting[user] = waiter
                update = factory.callback(user, callbacks.answer(question_id, option_id), api.newest[user])
                tapped = time.perf_counter()
                await app.update_queue.put(Update.de_json(update, app.bot))
                taps += 1
                try:
                    answered = await asyncio.wait_for(waiter, args.lost_after)
                except TimeoutError:
                    lost += 1
                    return
                latencies.append((tapped, (answered - tapped) * 1000))
            api.newest.pop(user, None)  # start over: /restart asks the first question anew
            await app.update_queue.put(Update.de_json(factory.message(user, "/restart"), app.bot))
            if not await wait_for_question(user, loop.time() + args.lost_after):
                lost += 1
                return

    await asyncio.gather(*(applicant(i) for i in range(args.applicants)))
    return latencies, lost, taps


def child(mode: str, rate: int, args: argparse.Namespace, template: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--child-rate",
        str(rate),
        "--template",
        str(template),
        "--recipients",
        str(args.recipients),
        "--applicants",
        str(args.applicants),
        "--interval",
        str(args.interval),
        "--window",
        str(args.window),
        "--low",
        str(args.low),
        "--high",
        str(args.high),
        "--lost-after",
        str(args.lost_after),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO_DIR, env=os.environ)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="30,1000", help="overall budgets in messages/s (default 30,1000)")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--applicants", type=int, default=60, help="interactive applicants (default 60)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between an applicant's taps")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of interactive taps per run")
    parser.add_argument("--low", type=float, default=0.05, help="least seconds per Bot API call")
    parser.add_argument("--high", type=float, default=0.2, help="most seconds per Bot API call")
    parser.add_argument("--lost-after", type=float, default=15.0)
    parser.add_argument("--child", choices=["alone", "interactive"], help=argparse.SUPPRESS)
    parser.add_argument("--child-rate", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--template", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.rate = args.child_rate
        print(json.dumps(asyncio.run(run_one(args))))
        return

    print(
        f"Broadcast to {args.recipients:,} applicants, Bot API {args.low * 1000:.0f}-{args.high * 1000:.0f} ms "
        f"away (offline stand-in), {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"reference loop {reference_loop_ms():.0f} ms"
    )
    with tempfile.TemporaryDirectory(prefix="zhicheng-broadcast-template-") as folder:
        template = Path(folder) / "template.sqlite3"
        log(f"seeding {args.recipients} applicants ...")
        seed_template(template, args.recipients)
        log("interactive applicants without a broadcast ...")
        baseline = child("interactive", 0, args, template)
        print(
            f"{args.applicants} interactive applicants, a tap every {args.interval:g} s, {args.window:g} s, "
            f"no broadcast: taps {baseline['taps']}, lost {baseline['lost_taps']}, "
            f"p50 {baseline['p50']:.1f} ms, p95 {baseline['p95']:.1f} ms"
        )
        for rate in (int(r) for r in args.rates.split(",")):
            log(f"broadcast alone at {rate}/s ...")
            alone = child("alone", rate, args, template)
            ideal = alone["recipients"] / rate
            print(f"At {rate} messages/s: {alone['recipients']:,} recipients (all applicants)")
            print(
                f"  preview (下一步, counting the applicants) {alone['preview_ms']:.0f} ms; "
                f"enqueue {alone['enqueue_s']:.2f} s"
            )
            print(
                f"  elapsed (enqueue and sending) {alone['elapsed_s']:.1f} s against the ideal {ideal:.1f} s "
                f"({alone['elapsed_s'] / ideal:.3f}x) {met(alone['elapsed_s'] <= ideal * ELAPSED_TARGET)}; "
                f"sending alone {alone['sending_s']:.1f} s, {alone['recipients'] / alone['sending_s']:.1f}/s"
            )
            print(
                f"  lost {alone['lost']} {met(alone['lost'] == 0)}, duplicated {alone['duplicated']} "
                f"{met(alone['duplicated'] == 0)}, peak RSS {alone['peak_rss_mb']:.1f} MB"
            )
            log(f"interactive applicants during a broadcast at {rate}/s ...")
            busy = child("interactive", rate, args, template)
            ratio = busy["sending_p95"] / baseline["p95"]
            print(
                f"  {args.applicants} interactive applicants, {busy['window_s']:g} s from the start of the "
                f"tick: taps {busy['taps']}, lost {busy['lost_taps']}, p50 {busy['p50']:.1f} ms, "
                f"p95 {busy['p95']:.1f} ms; broadcast messages delivered meanwhile: {busy['bulk_in_window']}"
            )
            print(
                f"  of which the {busy['sending_taps']} taps while the broadcast was queued and sent "
                f"({busy['sending_s']:.1f} s): p95 {busy['sending_p95']:.1f} ms ({ratio:.2f}x without) "
                f"{met(ratio <= P95_RATIO_TARGET)}"
            )


if __name__ == "__main__":
    main()
