"""Does the office's work over the whole population delay an applicant's tap?

10,000 applicants are stored (finished interviews with their summaries, as the chat writes them).
The real Application runs on that SQLite file behind the offline Bot API 100 ms away. Applicants
tap through the interview (one tap every `--interval` seconds each); their tap-to-answer is
measured twice in the same process: alone, and while a contact person keeps asking for the
broadcast preview (the exact count of an audience) and /stats, one after the other, without a
pause. The office's own actions are timed too, with the time their update held the database
(the lock every other update waits for).

Before issue 16 these computed every applicant's outcome inside the update's transaction (README
said the preview held every user up for 2–3 s at 10,000 applicants); now they are SQL aggregates
over the applicant summaries.

A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/office_load.py
      .venv/bin/python benchmarks/office_load.py --population 2000 --applicants 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log  # noqa: E402
from load_common import TimedBotAPI, long_paths, percentile  # noqa: E402
from telegram import Update  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.features.broadcast.wizard import BackToAudience, ToPreview  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.storage import Storage  # noqa: E402
from tests.support import buttons as callbacks  # noqa: E402
from tests.support.applicants import Seeded, path, paths_by_kind, seed  # noqa: E402
from tests.support.offline import UpdateFactory  # noqa: E402

CONTACT = 1
FIRST_USER = 900_000


async def populate(db_path: Path, count: int) -> None:
    kinds = sorted(paths_by_kind(), key=str)
    rng = random.Random(16)
    people = []
    for i in range(count):
        level, verdict = rng.choice(kinds)
        people.append(Seeded(100_000 + i, path(level, verdict, i), ticked_share=rng.random()))
    storage = await Storage(db_path).open()
    try:
        for start in range(0, count, 1000):
            await storage.atomically(seed, people[start : start + 1000])
    finally:
        await storage.close()


class Office:
    """The contact person: the broadcast wizard at its audience step, then preview, back, preview …,
    and /stats between, as fast as the bot answers."""

    def __init__(self, app: Any, api: TimedBotAPI, factory: UpdateFactory) -> None:
        self.app, self.api, self.factory = app, api, factory
        self.timings: dict[str, list[float]] = {"preview": [], "stats": []}
        self.token = ""

    async def open_wizard(self) -> None:
        await self.app.process_update(Update.de_json(self.factory.message(CONTACT, "/broadcast"), self.app.bot))
        await self.app.process_update(
            Update.de_json(self.factory.message(CONTACT, "明天截止，请抓紧提交"), self.app.bot)
        )
        state = await self.app.bot_data.chat.storage.atomically(
            lambda db: db.execute("SELECT awaiting_data FROM users WHERE user_id = ?", (CONTACT,)).fetchone()
        )
        self.token = json.loads(state[0])["token"]

    async def press(self, data: str) -> None:
        origin = self.api.newest.get(CONTACT)
        await self.app.process_update(Update.de_json(self.factory.callback(CONTACT, data, origin), self.app.bot))

    async def work(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            await self.press(ToPreview(self.token).pack())
            self.timings["preview"].append((time.perf_counter() - started) * 1000)
            await self.press(BackToAudience(self.token).pack())
            started = time.perf_counter()
            await self.app.process_update(Update.de_json(self.factory.message(CONTACT, "/stats"), self.app.bot))
            self.timings["stats"].append((time.perf_counter() - started) * 1000)


async def taps(
    app: Any, api: TimedBotAPI, factory: UpdateFactory, applicants: int, interval: float, first_user: int, count: int
) -> list[float]:
    """Applicants tap through the interview; returns each tap's time to its answer (ms)."""
    paths = long_paths()
    latencies: list[float] = []
    rng = random.Random(first_user)

    async def applicant(index: int) -> None:
        user = first_user + index
        await asyncio.sleep(rng.uniform(0, interval))
        await app.update_queue.put(Update.de_json(factory.message(user, "/start"), app.bot))
        while not api.newest.get(user, {}).get("reply_markup"):
            await asyncio.sleep(0.01)
        for question_id, option_id in paths[index % len(paths)][:count]:
            await asyncio.sleep(interval)
            waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            api.waiting[user] = waiter
            update = Update.de_json(
                factory.callback(user, callbacks.answer(question_id, option_id), api.newest[user]), app.bot
            )
            tapped = time.perf_counter()
            await app.update_queue.put(update)
            latencies.append((await asyncio.wait_for(waiter, 30) - tapped) * 1000)

    await asyncio.gather(*(applicant(i) for i in range(applicants)))
    return latencies


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="zhicheng-office-") as folder:
        db_path = Path(folder) / "office.sqlite3"
        started = time.perf_counter()
        await populate(db_path, args.population)
        log(f"{args.population:,} applicants stored in {time.perf_counter() - started:.1f} s")
        api = TimedBotAPI(args.delay)
        settings = Settings(
            token="123456:BENCH",
            db_path=db_path,
            api_base_url="http://127.0.0.1:9/bot",
            contact_ids=frozenset({CONTACT}),
        )
        app = build_application(settings, request=api, sender_interval=0)
        await app.initialize()
        started = time.perf_counter()
        await app.post_init(app)  # the summaries are already there: nothing is worked out anew
        log(f"bot started in {time.perf_counter() - started:.2f} s")
        await app.start()
        factory = UpdateFactory()
        try:
            alone = await taps(app, api, factory, args.applicants, args.interval, FIRST_USER, args.taps)
            office = Office(app, api, factory)
            await office.open_wizard()
            stop = asyncio.Event()
            working = asyncio.create_task(office.work(stop))
            busy = await taps(app, api, factory, args.applicants, args.interval, FIRST_USER + 10_000, args.taps)
            stop.set()
            await working
        finally:
            await app.stop()
            await app.post_shutdown(app)
            await app.shutdown()
    print(
        f"Office work over {args.population:,} applicants vs. {args.applicants} applicants tapping every "
        f"{args.interval:g} s, Bot API {args.delay * 1000:.0f} ms away:"
    )
    for name, values in (("taps, the office idle", alone), ("taps, the office at work", busy)):
        print(
            f"  {name:<26} p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms   "
            f"({len(values)} taps)"
        )
    ratio = percentile(busy, 95) / percentile(alone, 95)
    print(f"  p95 with the office at work / idle: {ratio:.2f}")
    for name, values in office.timings.items():
        print(
            f"  the office's {name:<8} p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms   "
            f"({len(values)} times; each includes its Bot API calls)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=10_000)
    parser.add_argument("--applicants", type=int, default=30)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--taps", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.1)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
