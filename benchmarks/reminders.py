"""Reminders at scale: computing and queueing those of 10,000 applicants, the send rate under a
30 messages/s limit of the Bot API stand-in, and interactive tap-to-answer during a reminder run.

1. 10,000 finished interviews (answer paths of the bundled notice, random ticks) are written to a
   real SQLite file; `run_due_reminders` then runs at 2021年10月13日 10:00 (7 days before the online
   deadline): the time to compute every applicant's outcome and message and to queue it.
2. The real Application (PriorityRateLimiter, OutboxSender on the JobQueue) starts on that file with
   its clock at that moment and a stand-in 50–200 ms away that refuses (429, RetryAfter) a message
   beyond 30 in any second. Sent messages are counted for `--window` seconds after the first.
3. The load of benchmarks/load_common.py (N applicants tapping every T seconds) runs twice in fresh
   processes: with the 10,000 reminders waiting in the outbox, and without. Tap-to-answer p50/p95.

A benchmark, not a test: it prints figures and asserts nothing.
Run:  .venv/bin/python benchmarks/reminders.py [--applicants 10000] [--window 40] [--runs 60:2]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
for folder in (REPO_DIR, REPO_DIR / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench_common import log, met  # noqa: E402
from load_common import TimedBotAPI, long_paths, run_one  # noqa: E402
from telegram.error import RetryAfter  # noqa: E402

from bot.delivery.reminders import run_due_reminders  # noqa: E402
from bot.features.deadlines.handlers import reminder_messages  # noqa: E402
from bot.store.storage import Storage  # noqa: E402
from conversations.clock import Clock, parse_moment  # noqa: E402
from knowledge import load_notice, notice_path  # noqa: E402

MOMENT = "2021-10-13T10:00:05+08:00"
LIMIT_PER_SECOND = 30
FIRST_APPLICANT = 50_000_000
MESSAGE_METHODS = {"sendMessage", "sendDocument", "copyMessage", "sendPhoto"}


def seed(db_path: Path, applicants: int) -> None:
    """Finished interviews written straight into the bot's tables (as the chat would have left them)."""
    asyncio.run(_migrate(db_path))
    notice = load_notice(notice_path())
    paths = long_paths(256)
    items = [it.id for it in notice.items]
    rng = random.Random(7)
    now = "2021-10-01T00:00:00+00:00"
    with sqlite3.connect(db_path) as db:
        for i in range(applicants):
            user = FIRST_APPLICANT + i
            db.execute(
                "INSERT INTO users (user_id, chat_id, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (user, user, "zh_Hans", now, now),
            )
            db.execute(
                "INSERT INTO interviews (user_id, notice_id, current_question, started, updated_at) "
                "VALUES (?, ?, NULL, 1, ?)",
                (user, notice.id, now),
            )
            db.executemany(
                "INSERT INTO answers VALUES (?, ?, ?, ?)", [(user, q, o, now) for q, o in paths[i % len(paths)]]
            )
            db.executemany(
                "INSERT OR IGNORE INTO ticks VALUES (?, ?, ?)",
                [(user, item, now) for item in rng.sample(items, rng.randint(0, len(items) // 2))],
            )


async def _migrate(db_path: Path) -> None:
    storage = await Storage(db_path).open()
    await storage.close()


async def queue_reminders(db_path: Path) -> dict[str, Any]:
    notice = load_notice(notice_path())
    storage = await Storage(db_path).open()
    try:
        started = time.perf_counter()
        report = await run_due_reminders(storage, [notice], parse_moment(MOMENT), reminder_messages)
        seconds = time.perf_counter() - started
    finally:
        await storage.close()
    return {
        "seconds": seconds,
        "enqueued": report.enqueued,
        "applicants": report.applicants,
        "slots_done": report.slots_done,
        "slots_skipped": report.slots_skipped,
    }


class LimitedBotAPI(TimedBotAPI):
    """The stand-in 50–200 ms away, with Telegram's "about 30 messages a second" as it sees them
    arrive: `model` "bucket" is a token bucket of 30 refilled at 30/s (short bunches pass while the
    average stays under the limit); "window" refuses any message beyond 30 in any sliding second."""

    def __init__(self, model: str) -> None:
        super().__init__(0.05)
        self.jitter = 0.15
        self.before_call = self._limit
        self.model = model
        self.window: collections.deque[float] = collections.deque()
        self.tokens = float(LIMIT_PER_SECOND)
        self.filled_at = time.perf_counter()
        self.sent: list[float] = []
        self.refused = 0

    def _allowed(self, now: float) -> bool:
        if self.model == "bucket":
            self.tokens = min(LIMIT_PER_SECOND, self.tokens + (now - self.filled_at) * LIMIT_PER_SECOND)
            self.filled_at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= LIMIT_PER_SECOND:
            return False
        self.window.append(now)
        return True

    async def _limit(self, method: str, params: dict[str, Any]) -> None:
        if method not in MESSAGE_METHODS:
            return
        now = time.perf_counter()
        if not self._allowed(now):
            self.refused += 1
            raise RetryAfter(1)
        self.sent.append(now)


async def send_rate(db_path: Path, window: float, model: str) -> dict[str, Any]:
    api = LimitedBotAPI(model)
    result = await run_one(
        "bot",
        0,
        1.0,
        0,
        0.05,
        10.0,
        api=api,
        db_template=db_path,
        clock=Clock(parse_moment(MOMENT)),
        sender_interval=1.0,
        hold=window + 3.0,
    )
    sent = api.sent
    first = sent[0] if sent else 0.0
    counted = [t for t in sent if t - first <= window]
    span = (counted[-1] - first) if len(counted) > 1 else 0.0
    return {
        "sent": len(counted),
        "span": span,
        "rate": (len(counted) - 1) / span if span else 0.0,
        "refused": api.refused,
        "rss": result["peak_rss_mb"],
    }


def interactive(db_path: Path | None, applicants: int, interval: float, taps: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child-interactive",
        str(db_path or ""),
        "--child-n",
        str(applicants),
        "--child-t",
        str(interval),
        "--child-taps",
        str(taps),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO_DIR)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


async def _interactive_child(db: str, applicants: int, interval: float, taps: int) -> dict[str, Any]:
    api = TimedBotAPI(0.05)
    api.jitter = 0.15
    sent_before = time.perf_counter()
    result = await run_one(
        "bot",
        applicants,
        interval,
        taps,
        0.05,
        15.0,
        api=api,
        db_template=Path(db) if db else None,
        clock=Clock(parse_moment(MOMENT)),
        sender_interval=1.0,
    )
    bulk = sum(1 for (chat, _), _m in api.messages.items() if chat >= FIRST_APPLICANT)
    result["bulk_sent"] = bulk
    result["bulk_rate"] = bulk / max(time.perf_counter() - sent_before, 1e-9)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applicants", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=40.0, help="seconds of sending to measure the rate over")
    parser.add_argument("--runs", default="60:2", help="N:T of the interactive load (default 60:2)")
    parser.add_argument("--taps", type=int, default=8)
    parser.add_argument("--child-interactive", help=argparse.SUPPRESS)
    parser.add_argument("--child-n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-t", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-taps", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_interactive is not None:
        print(
            json.dumps(
                asyncio.run(_interactive_child(args.child_interactive, args.child_n, args.child_t, args.child_taps))
            )
        )
        return

    with tempfile.TemporaryDirectory(prefix="zhicheng-reminders-") as tmp:
        db = Path(tmp) / "reminders.sqlite3"
        log(f"seeding {args.applicants} applicants ...")
        seed(db, args.applicants)
        queued = asyncio.run(queue_reminders(db))
        print(
            f"1. Compute and queue the reminders of {args.applicants:,} applicants at {MOMENT}: "
            f"{queued['seconds']:.2f} s ({queued['enqueued']:,} queued, "
            f"{queued['seconds'] * 1e6 / max(queued['enqueued'], 1):.0f} µs each; slots sent "
            f"{', '.join(queued['slots_done']) or '-'}; skipped as past the grace window "
            f"{len(queued['slots_skipped'])})"
        )
        print(f"2. Send rate under the stand-in's {LIMIT_PER_SECOND}/s limit, 50–200 ms away:")
        for model, name in (("bucket", "token bucket of 30 at 30/s"), ("window", "strict sliding second")):
            log(f"measuring the send rate ({model}) ...")
            rate = asyncio.run(send_rate(db, args.window, model))
            within = abs(rate["rate"] - LIMIT_PER_SECOND) / LIMIT_PER_SECOND <= 0.05
            print(
                f"   {name:<27} {rate['rate']:6.2f} messages/s over {rate['span']:.1f} s ({rate['sent']} sent, "
                f"{rate['refused']} refused with 429) — within 5% of {LIMIT_PER_SECOND}/s {met(within)}"
            )
        for pair in args.runs.split(","):
            n_text, t_text = pair.split(":")
            n, t = int(n_text), float(t_text)
            log(f"interactive N={n} T={t:g}, with and without the reminder run ...")
            busy = interactive(db, n, t, args.taps)
            calm = interactive(None, n, t, args.taps)
            print(f"3. Tap-to-answer, {n} applicants tapping every {t:g} s, {args.taps} taps, 50–200 ms away:")
            for name, r in (("during the reminder run", busy), ("without it", calm)):
                print(
                    f"   {name:<24} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  p99 {r['p99']:7.1f} ms  "
                    f"lost {r['lost']}  reminders sent meanwhile {r['bulk_sent']} ({r['bulk_rate']:.1f}/s)"
                )
            print(
                f"   p95 no worse than without the run ({busy['p95'] / calm['p95']:.2f}x): "
                f"{met(busy['p95'] <= calm['p95'] * 1.05)}"
            )


if __name__ == "__main__":
    main()
