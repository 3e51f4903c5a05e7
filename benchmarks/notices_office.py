"""What next year's notice costs in the chat, on a large population (issue 20).

`--population` applicants are stored under the 2021 notice (finished interviews with their summaries,
as the chat writes them, over many different answer paths). The real Application runs on that SQLite
file with the worked example of 2022 (examples/notices/) offered to new interviews. Timed:

- /notices for a contact person: the update's transaction (the lock every other update waits for:
  it only reads the summaries and answers under the old notice) and the whole reply (who each change
  concerns worked out after the transaction, off the event loop, grouped by identical answers);
- an applicant's /start with the offer of the new notice (one carry-over and its wording, inside the
  transaction) and the press of 按现行通知开始问答.

A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/notices_office.py
      .venv/bin/python benchmarks/notices_office.py --population 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, reference_loop_ms  # noqa: E402
from telegram import Update  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.chat.service import ChatService  # noqa: E402
from bot.features.notices.handlers import StartNotice  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.storage import Storage  # noqa: E402
from conversations.clock import Clock, parse_moment  # noqa: E402
from knowledge import default_notice, load_notice  # noqa: E402
from tests.support.applicants import Seeded, path, paths_by_kind, seed  # noqa: E402
from tests.support.offline import OfflineBotAPI, UpdateFactory  # noqa: E402

EXAMPLE = REPO_DIR / "examples" / "notices" / "2022-xinjiang-nonferrous-example.yaml"
IN_2022 = "2022-09-01T10:00:00+08:00"
CONTACT = 1
FIRST = 100_000


async def populate(db_path: Path, count: int) -> int:
    kinds = sorted(paths_by_kind(), key=str)
    people = [
        Seeded(FIRST + i, path(*kinds[i % len(kinds)], i // len(kinds)), ticked_share=(i % 5) / 4) for i in range(count)
    ]
    storage = await Storage(db_path).open()
    try:
        for start in range(0, count, 1000):
            await storage.atomically(seed, people[start : start + 1000])
    finally:
        await storage.close()
    return len({tuple(sorted(p.answers.items())) for p in people})


async def main_async(args: argparse.Namespace) -> None:
    old, new = default_notice(), load_notice(EXAMPLE)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "z.sqlite3"
        log(f"storing {args.population} applicants …")
        distinct = await populate(db, args.population)
        settings = Settings(
            token="123456:TEST", db_path=db, api_base_url="http://127.0.0.1:9/bot", contact_ids=frozenset({CONTACT})
        )
        app = build_application(
            settings,
            request=OfflineBotAPI(),
            rate_limit=False,
            clock=Clock(parse_moment(IN_2022)),
            notice=new,
            notices=[old, new],
            sender_interval=0,
        )
        await app.initialize()
        await app.post_init(app)
        held: list[float] = []
        real = ChatService._handle_in

        def timed(self: ChatService, connection: Any, event: Any) -> Any:
            started = time.perf_counter()
            try:
                return real(self, connection, event)
            finally:
                held.append((time.perf_counter() - started) * 1000)

        ChatService._handle_in = timed  # type: ignore[method-assign]
        factory = UpdateFactory()

        async def send(data: dict[str, Any]) -> float:
            started = time.perf_counter()
            await app.process_update(Update.de_json(data, app.bot))
            return (time.perf_counter() - started) * 1000

        try:
            office: list[tuple[float, float]] = []
            for _ in range(args.repeat):
                total = await send(factory.message(CONTACT, "/notices"))
                office.append((held[-1], total))
            offers, presses = [], []
            for i in range(args.applicants):
                user = FIRST + i * 7
                total = await send(factory.message(user, "/start"))
                offers.append((held[-1], total))
                total = await send(factory.callback(user, StartNotice(new.id).pack()))
                presses.append((held[-1], total))
        finally:
            ChatService._handle_in = real  # type: ignore[method-assign]
            await app.post_shutdown(app)
            await app.shutdown()

    def line(name: str, pairs: list[tuple[float, float]]) -> str:
        inside = statistics.median(p[0] for p in pairs)
        whole = statistics.median(p[1] for p in pairs)
        return f"{name:<34} transaction {inside:8.1f} ms   whole reply {whole:8.1f} ms   (median of {len(pairs)})"

    print(f"population {args.population} applicants under {old.id}, {distinct} different answer paths")
    print(f"reference loop {reference_loop_ms():.1f} ms (the machine's speed now; it may be shared)")
    print(line("/notices (contact person)", office))
    print(line("/start with the offer (applicant)", offers))
    print(line("按现行通知开始问答 (applicant)", presses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="/notices requests")
    parser.add_argument("--applicants", type=int, default=20, help="applicants shown the offer who press it")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
