"""Does memory stay flat when one process starts and stops the bot again and again, as the test
suite does (every chat test builds its own Application on its own SQLite file)?

Each round builds the real Application on a fresh SQLite file behind the offline Bot API, starts it,
lets one applicant send /start and tap the first answer, then stops and shuts it down. The peak and
current RSS are printed every `--every` rounds, and the growth per round over the second half
(after the caches have filled). A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/bot_starts.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import sys
import tempfile
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from tests.chat.conftest import start_bot, stop_bot  # noqa: E402


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def one_round(folder: Path, number: int) -> int:
    """One start, /start and a tap, one stop; returns the Bot API calls the applicant's two updates made."""
    bot = await start_bot(folder / f"z{number}.sqlite3")
    await bot.app.start()
    try:
        calls = len(await bot.text(1, "/start"))
        buttons = bot.buttons(1)
        if buttons:
            calls += len(await bot.press(1, buttons[0][1]))
        return calls
    finally:
        await bot.app.stop()
        await stop_bot(bot)


async def main(rounds: int, every: int) -> None:
    samples: list[tuple[int, float]] = []
    calls = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for number in range(1, rounds + 1):
            calls += await one_round(folder, number)
            (folder / f"z{number}.sqlite3").unlink()
            if number % every == 0 or number == 1:
                gc.collect()
                rss = current_rss_mb()
                samples.append((number, rss))
                print(f"  after {number:4d} starts   RSS {rss:6.1f} MB   peak {peak_rss_mb():6.1f} MB", flush=True)
    print(f"{rounds} starts, {calls} Bot API calls answered to the applicant's /start and tap")
    half = [s for s in samples if s[0] >= rounds // 2]
    if len(half) >= 2:
        (n0, r0), (n1, r1) = half[0], half[-1]
        print(f"growth over starts {n0}-{n1}: {(r1 - r0) * 1024 / max(n1 - n0, 1):.1f} KB per start")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--every", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.every))
