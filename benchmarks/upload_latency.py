"""Tap-to-answer latency while uploads are being checked (issue 21): N applicants go through the
interview, tapping every T seconds, with a Bot API 100 ms away (the offline stand-in), while U other
applicants, who have finished, each send a scan (generated with fake data, tests/support/scans.py)
to be checked; against the same taps without uploads.

The bot is the real Application (build_application: per-chat update processor, rate limiter, SQLite
file); updates go through app.update_queue as the updater delivers them. The uploads are fetched from
the stand-in (getFile, then the file URL) and checked in the worker pool (bot.chat.work: two workers
at a lower priority than the event loop). Tap-to-answer: from putting the tap's update on the queue to
the stand-in answering the edit that shows the next question (as benchmarks/latency.py). An upload's
time: from putting its update on the queue to the report's message answered. The taps counted in the
run with uploads are those made while at least one upload was unanswered. Each run is its own child
process; `--compare-priority` adds a run whose workers keep the event loop's priority.

A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/upload_latency.py                       (N = 60, T = 2 s, U = 20)
      .venv/bin/python benchmarks/upload_latency.py --compare-priority
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, met, reference_loop_ms  # noqa: E402
from load_common import TimedBotAPI, long_paths, percentile  # noqa: E402
from telegram import Update  # noqa: E402

import bot.chat.work as work  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversations.interview import interview_for  # noqa: E402
from conversations.outcome import evaluate  # noqa: E402
from knowledge import default_notice  # noqa: E402
from tests.support import buttons as callbacks  # noqa: E402
from tests.support.applicants import Seeded, seed  # noqa: E402
from tests.support.offline import UpdateFactory  # noqa: E402
from tests.support.scans import Scan, make_scan  # noqa: E402

FIRST_TAPPER = 10_000_000
FIRST_UPLOADER = 20_000_000
REPORT_MARK = "检查结果"  # the heading of the report (zh_Hans)
# A spread of what applicants send: each kind, turned, blurred, PNG, JPEG and PDF.
SCAN_SPECS = [
    ("ce_specialty", 2021, "upright", "png"),
    ("ce_specialty", 2020, "upright", "jpeg"),
    ("ce_specialty", 2021, "rot90", "jpeg"),
    ("ce_public", 2018, "upright", "pdf"),
    ("ce_public", 2016, "rot180", "png"),
    ("assessment", 2019, "upright", "jpeg"),
    ("assessment", 2018, "rot270", "pdf"),
    ("assessment", 2020, "blurred", "png"),
    ("title", None, "upright", "png"),
    ("diploma", None, "upright", "jpeg"),
    ("degree", None, "rot90", "png"),
    ("id_card", None, "upright", "jpeg"),
    ("entrustment", None, "upright", "pdf"),
    ("publicity", None, "upright", "png"),
    ("commitment", None, "lowres", "jpeg"),
    ("exemption_form", None, "upright", "png"),
    ("unrelated", None, "upright", "jpeg"),
    ("ce_specialty", 2021, "blurred", "jpeg"),
    ("assessment", 2017, "upright", "png"),
    ("title", None, "rot180", "pdf"),
]


class UploadTimedBotAPI(TimedBotAPI):
    """The stand-in of benchmarks/latency.py, also noting when each uploader's report arrives."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.reports: dict[int, float] = {}

    def _after_call(self, method: str, params: dict[str, Any], ok: bool) -> None:
        super()._after_call(method, params, ok)
        chat = int(params.get("chat_id", 0) or 0)
        if method == "sendMessage" and chat >= FIRST_UPLOADER and REPORT_MARK in str(params.get("text", "")):
            self.reports.setdefault(chat, time.perf_counter())


def scans(count: int) -> list[Scan]:
    return [
        make_scan(kind, year, variant, fmt, seed)
        for seed in range(count // len(SCAN_SPECS) + 1)
        for kind, year, variant, fmt in SCAN_SPECS
    ][:count]


async def run(
    applicants: int, interval: float, taps: int, uploads: int, delay: float, nice: int, lost_after: float
) -> dict[str, Any]:
    work._shared = work.WorkPool(nice=nice)  # this run's pool: the workers' priority as asked
    files = scans(uploads)
    api = UploadTimedBotAPI(delay)
    workdir = tempfile.TemporaryDirectory(prefix="zhicheng-upload-latency-")
    settings = Settings(
        token="123456:BENCH", db_path=Path(workdir.name) / "bench.sqlite3", api_base_url="http://127.0.0.1:9/bot"
    )
    app = build_application(settings, request=api)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    notice = default_notice()
    eligible = next(dict(a) for a in interview_for(notice).paths() if evaluate(notice, a).verdict == "eligible")
    people = [Seeded(FIRST_UPLOADER + i, eligible) for i in range(uploads)]
    await app.bot_data.chat.storage.atomically(lambda db: seed(db, people))
    await app.start()
    factory = UpdateFactory()
    paths = long_paths()
    rng = random.Random(applicants * 1000 + uploads)
    taps_made: list[tuple[float, float]] = []  # (tapped at, latency ms)
    sent: dict[int, float] = {}
    lost = 0
    loop = asyncio.get_running_loop()

    async def applicant(index: int) -> None:
        nonlocal lost
        user = FIRST_TAPPER + index
        path = paths[index % len(paths)][:taps]
        await asyncio.sleep(rng.uniform(0, interval))
        await app.update_queue.put(Update.de_json(factory.message(user, "/start"), app.bot))
        deadline = loop.time() + lost_after
        while user not in api.newest or not api.newest[user].get("reply_markup"):
            if loop.time() > deadline:
                lost += 1
                return
            await asyncio.sleep(0.01)
        for question_id, option_id in path:
            await asyncio.sleep(interval)
            waiter: asyncio.Future[float] = loop.create_future()
            api.waiting[user] = waiter
            update = Update.de_json(
                factory.callback(user, callbacks.answer(question_id, option_id), api.newest[user]), app.bot
            )
            tapped = time.perf_counter()
            await app.update_queue.put(update)
            try:
                answered = await asyncio.wait_for(waiter, lost_after)
            except TimeoutError:
                lost += 1
                return
            taps_made.append((tapped, (answered - tapped) * 1000))

    async def uploader(index: int, scan: Scan) -> None:
        user = FIRST_UPLOADER + index
        file_id = f"scan{index}"
        api.files[file_id] = scan.content
        await asyncio.sleep(interval + rng.uniform(0, interval))  # once the tappers are under way
        sent[user] = time.perf_counter()
        await app.update_queue.put(
            Update.de_json(factory.document(user, file_id, scan.filename, len(scan.content)), app.bot)
        )

    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    await asyncio.gather(*(applicant(i) for i in range(applicants)), *(uploader(i, s) for i, s in enumerate(files)))
    deadline = loop.time() + 300
    while len(api.reports) < len(sent) and loop.time() < deadline:  # the last reports, if any still run
        await asyncio.sleep(0.05)
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    await app.stop()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    await app.shutdown()
    work.shared_pool().shutdown()
    workdir.cleanup()
    upload_times = [(api.reports[u] - sent[u]) for u in sent if u in api.reports]
    if sent:
        start, end = min(sent.values()), max(api.reports.values(), default=wall_before)
        counted = [ms for at, ms in taps_made if start <= at <= end]
    else:
        start = end = 0.0
        counted = [ms for _, ms in taps_made]
    return {
        "applicants": applicants,
        "interval": interval,
        "uploads": uploads,
        "nice": nice,
        "taps": len(counted),
        "taps_all": len(taps_made),
        "lost": lost,
        "p50": percentile(counted, 50),
        "p95": percentile(counted, 95),
        "p99": percentile(counted, 99),
        "max": max(counted, default=float("nan")),
        "uploads_answered": len(upload_times),
        "upload_p50": percentile(upload_times, 50),
        "upload_p95": percentile(upload_times, 95),
        "upload_max": max(upload_times, default=float("nan")),
        "window_s": end - start,
        "cpu_share": cpu / wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(args: argparse.Namespace, uploads: int, nice: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--applicants",
        str(args.applicants),
        "--interval",
        str(args.interval),
        "--taps",
        str(args.taps),
        "--uploads",
        str(uploads),
        "--delay",
        str(args.delay),
        "--nice",
        str(nice),
        "--lost-after",
        str(args.lost_after),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO_DIR, env=os.environ)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def show(name: str, r: dict[str, Any]) -> None:
    print(
        f"  {name:<34} taps {r['taps']:>4}  lost {r['lost']:>2}  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
        f"p99 {r['p99']:7.1f} ms  max {r['max']:7.1f} ms  CPU {r['cpu_share'] * 100:3.0f}% of a core  "
        f"peak RSS {r['peak_rss_mb']:6.1f} MB"
    )
    if r["uploads"]:
        print(
            f"  {'':<34} uploads answered {r['uploads_answered']}/{r['uploads']} within {r['window_s']:.1f} s: "
            f"report after p50 {r['upload_p50']:.2f} s, p95 {r['upload_p95']:.2f} s, max {r['upload_max']:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applicants", type=int, default=60, help="applicants tapping (default 60)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between taps (default 2)")
    parser.add_argument("--taps", type=int, default=14, help="taps per applicant at most (default 14)")
    parser.add_argument("--uploads", type=int, default=20, help="uploads checked meanwhile (default 20)")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per Bot API call (default 0.1)")
    parser.add_argument("--lost-after", type=float, default=15.0, help="a tap unanswered this long is lost")
    parser.add_argument(
        "--compare-priority", action="store_true", help="also a run whose workers keep the event loop's priority"
    )
    parser.add_argument("--nice", type=int, default=work.WORKER_NICE, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(
                asyncio.run(
                    run(args.applicants, args.interval, args.taps, args.uploads, args.delay, args.nice, args.lost_after)
                )
            )
        )
        return
    print(
        f"Tap-to-answer of {args.applicants} applicants tapping every {args.interval:g} s, Bot API "
        f"{args.delay * 1000:.0f} ms away, while {args.uploads} uploads are checked by {work.WORKERS} workers; "
        f"{os.cpu_count()} CPUs, reference loop {reference_loop_ms():.0f} ms (a shared machine varies)"
    )
    log("without uploads ...")
    quiet = child(args, 0, args.nice)
    log("with uploads ...")
    busy = child(args, args.uploads, args.nice)
    show("without uploads", quiet)
    show(f"while {args.uploads} uploads are checked", busy)
    if args.compare_priority:
        log("with uploads, workers at the event loop's priority ...")
        same = child(args, args.uploads, 0)
        show("the same, workers not deprioritised", same)
    ratio = busy["p95"] / quiet["p95"]
    print(
        f"  p95 with uploads / without: {ratio:.2f}x (taps unharmed, within 1.2x: {met(ratio <= 1.2)}); "
        f"none lost: {met(busy['lost'] == 0 and quiet['lost'] == 0)}"
    )


if __name__ == "__main__":
    main()
