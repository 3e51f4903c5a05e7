"""Tap-to-answer of the bot and of a bare PTB echo bot, in the same run, with the Bot API 100 ms away.

The setup, as applicants meet the bot at the peak of a season:
- A Bot API stand-in (tests/support/offline.py behind HTTP on 127.0.0.1: tests/support/http_api.py)
  answers every call `--delay` (100 ms) after it arrived. Updates reach the bots by long polling,
  at once (only the bots' own calls pay the distance).
- The bot runs as `zhicheng-bot run` in a process of its own (benchmarks/bench_bots.py), with
  PTB's own HTTP client, its SQLite file, the production logging (INFO) and the clock at
  `--now` (during the applications). A bare PTB echo bot runs beside it in another process,
  on the same stand-in, at the same time, with the same applicants and taps.
- N applicants per bot arrive spread over the first think interval T (3 s). Each sends /start,
  waits for the answer, thinks T seconds, taps the answer to the question shown, waits for the
  answer, thinks T … through a whole path of the interview (12 answers; the last one brings the
  outcome). No tap is made after the run's window (long enough for the echo bot to serve every
  tap with room to spare); a tap unanswered after `--lost-after` seconds is lost, and its
  applicant stops.

Tap-to-answer: from the update being handed to the bot's long poll to the stand-in answering the
call that shows the reply (the edit to the next question; for /start the message with the first
question). "Taps" are the button presses: /start (two messages, the welcome and the first
question) is timed apart, and so are the outcome's messages after the last tap (until the first,
until the last).

CPU ms per tap: each bot process's user+system CPU time (/proc/<pid>/stat, all its threads) from
the moment both bots poll to the end of the run, divided by the taps it served (so a tap carries
its share of /start and of the outcome); start-up is left out, and the driver and the stand-in
(the parent process) are measured apart. Peak RSS is the bot process's (VmHWM).

The largest N: runs of the bot alone at N growing by `--search-factor` from the largest N of the
runs above that held (p95 <= 300 ms, none lost), then halving the gap; at most `--search-max`.

--profile N: one run of the bot alone at N applicants, every thread of the bot under cProfile,
and the costs per tap printed (README, "Where a tap's CPU goes").

A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/latency.py                      (60, 300, 600; then the search)
      .venv/bin/python benchmarks/latency.py --runs 300 --no-search
      .venv/bin/python benchmarks/latency.py --profile 300
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, met, reference_loop_ms  # noqa: E402
from load_common import long_paths, percentile  # noqa: E402

from tests.support import buttons as callbacks  # noqa: E402
from tests.support.http_api import BotAPIServer, BotSide  # noqa: E402
from tests.support.offline import UpdateFactory  # noqa: E402

P95_TARGET_MS = 300.0
P50_ECHO_RATIO = 1.5
SERVED_RATIO = 0.95
CPU_ECHO_RATIO = 2.0
FIRST_USER = 10_000_000
TOKENS = {
    "bot": "7000000001:ZHICHENG",
    "echo": "7000000002:ECHO",
    "uvloop": "7000000003:UVLOOP",
    "variant": "7000000004:VARIANT",
}
NAMES = {"bot": "zhicheng-bot", "echo": "PTB echo bot", "uvloop": "bot, uvloop", "variant": "bot, --beside"}
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
DEFAULT_NOW = "2021-10-15T10:00:00+08:00"  # five days before the online deadline: the peak


@dataclass
class Figures:
    kind: str
    applicants: int
    served: int = 0
    lost: int = 0
    starts: list[float] = field(default_factory=list)  # ms, /start until the first question
    latencies: list[float] = field(default_factory=list)  # ms, the button taps
    last_taps: list[float] = field(default_factory=list)
    outcome_first: list[float] = field(default_factory=list)
    outcome_last: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    wall_s: float = 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)

    @property
    def cpu_ms_per_tap(self) -> float:
        return self.cpu_s * 1000 / max(self.served, 1)

    @property
    def holds(self) -> bool:
        return self.lost == 0 and self.p(95) <= P95_TARGET_MS


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


class Run:
    """One run: the stand-in, the bots' processes and the applicants."""

    def __init__(
        self,
        kinds: tuple[str, ...],
        applicants: int,
        think: float,
        args: argparse.Namespace,
        profile: Path | None = None,
    ) -> None:
        self.kinds = kinds
        self.applicants = applicants
        self.think = think
        self.args = args
        self.profile = profile
        self.server = BotAPIServer(args.delay, listener=self.on_call)
        self.factory = UpdateFactory()
        self.paths = long_paths()
        self.rng = random.Random(applicants * 1000 + int(think * 10))
        self.figures = {kind: Figures(kind, applicants) for kind in kinds}
        self.kind_of = {TOKENS[kind]: kind for kind in kinds}
        # per (kind, chat): the newest message with buttons, the reply awaited, the outcome's sends
        self.newest: dict[tuple[str, int], dict[str, Any]] = {}
        self.waiting: dict[tuple[str, int], tuple[str, asyncio.Future[float]]] = {}
        self.outcome_sends: dict[tuple[str, int], list[float]] = {}

    # --- what the stand-in tells ---

    def on_call(self, token: str, method: str, params: dict[str, Any], ok: bool, result: Any, at: float) -> None:
        kind = self.kind_of[token]
        key = (kind, int(params.get("chat_id") or 0))
        if method in ("sendMessage", "sendDocument"):
            if key in self.outcome_sends:
                self.outcome_sends[key].append(at)
            if ok and isinstance(result, dict) and (result.get("reply_markup") or key not in self.newest):
                self.newest[key] = result
        awaited = self.waiting.get(key)
        if awaited is None:
            return
        expected, future = awaited
        reply_shown = (
            method == "editMessageText"
            if expected == "edit"
            else method == "sendMessage" and (kind == "echo" or bool(params.get("reply_markup")))
        )
        if reply_shown and not future.done():
            del self.waiting[key]
            future.set_result(at)

    # --- the applicants ---

    async def exchange(
        self, side: BotSide, key: tuple[str, int], update: dict[str, Any], expected: str
    ) -> float | None:
        """Hand the update to the bot; ms until its reply was shown, None if lost."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = (expected, future)
        handed = time.perf_counter()
        side.push(update)
        try:
            answered = await asyncio.wait_for(future, self.args.lost_after)
        except TimeoutError:
            self.waiting.pop(key, None)
            return None
        return (answered - handed) * 1000

    async def applicant(self, kind: str, index: int, window_end: float) -> None:
        figures = self.figures[kind]
        side = self.server.side(TOKENS[kind])
        user = FIRST_USER + index
        key = (kind, user)
        path = self.paths[index % len(self.paths)]
        await asyncio.sleep(self.rng.uniform(0, self.think))
        ms = await self.exchange(side, key, self.factory.message(user, "/start"), "first")
        if ms is None:
            figures.lost += 1
            return
        figures.starts.append(ms)
        for number, (question_id, option_id) in enumerate(path, start=1):
            await asyncio.sleep(self.think)
            if time.perf_counter() > window_end:
                return
            last = number == len(path)
            if last:
                self.outcome_sends[key] = []
            update = self.factory.callback(user, callbacks.answer(question_id, option_id), self.newest[key])
            tapped = time.perf_counter()
            ms = await self.exchange(side, key, update, "edit")
            if ms is None:
                figures.lost += 1
                return
            figures.served += 1
            figures.latencies.append(ms)
            if last:
                figures.last_taps.append(ms)
                await asyncio.sleep(self.args.outcome_wait)
                sends = self.outcome_sends.pop(key)
                if sends:
                    figures.outcome_first.append((sends[0] - tapped) * 1000)
                    figures.outcome_last.append((sends[-1] - tapped) * 1000)

    # --- the processes ---

    def start_bot(self, kind: str, folder: Path) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKENS[kind],
            "TELEGRAM_API_BASE_URL": self.server.base_url,
            "ZHICHENG_DB": str(folder / f"{kind}.sqlite3"),
            "ZHICHENG_LOG_SALT": "latency-benchmark-salt",
            "ZHICHENG_LOG_LEVEL": "INFO",
            "ZHICHENG_CONFIG": "",
        }
        for name in ("ZHICHENG_CONTACT_IDS", "ZHICHENG_WEBHOOK_URL", "ZHICHENG_NOTICE"):
            env.pop(name, None)
        command = [sys.executable, str(REPO_DIR / "benchmarks" / "bench_bots.py"), "echo" if kind == "echo" else "bot"]
        if kind == "uvloop":
            command += ["--uvloop"]
        if kind == "variant":
            command += shlex.split(self.args.beside)
        if kind == "echo":
            command += ["--transport", self.args.echo_transport]
        if kind != "echo":
            command += ["--now", self.args.now]
            if self.profile is not None:
                command += ["--profile", str(self.profile)]
        logfile = (folder / f"{kind}.log").open("wb")  # what the bot logs goes where journald would take it
        return subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=logfile, stderr=logfile)

    async def run(self) -> dict[str, Figures]:
        await self.server.start()
        for kind in self.kinds:
            self.server.side(TOKENS[kind])
        with tempfile.TemporaryDirectory(prefix="zhicheng-latency-") as tmp:
            folder = Path(tmp)
            processes = {kind: self.start_bot(kind, folder) for kind in self.kinds}
            try:
                await self._wait_until_polling(processes, folder)
                await self._load(processes)
            finally:
                await self._stop(processes)
                await self.server.stop()
        return self.figures

    async def _wait_until_polling(self, processes: dict[str, subprocess.Popen[bytes]], folder: Path) -> None:
        deadline = time.perf_counter() + 120
        while not all(self.server.side(TOKENS[k]).polls for k in self.kinds):
            for kind, process in processes.items():
                if process.poll() is not None:
                    log((folder / f"{kind}.log").read_text(errors="replace")[-3000:])
                    raise RuntimeError(f"the {kind} process ended at start (exit {process.returncode})")
            if time.perf_counter() > deadline:
                raise RuntimeError("the bots did not start polling within 120 s")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the bot's start-up jobs (commands menu, outbox recovery) are done

    async def _load(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        cpu_before = {kind: process_cpu(p.pid) for kind, p in processes.items()}
        started = time.perf_counter()
        longest = max(len(p) for p in self.paths)
        window = self.args.window or self.think + 0.5 + longest * (self.think + 0.25)
        self.window = window
        driver_before = time.process_time()
        await asyncio.gather(
            *(self.applicant(kind, i, started + window) for i in range(self.applicants) for kind in self.kinds)
        )
        self.driver_cpu_share = (time.process_time() - driver_before) / (time.perf_counter() - started)
        for kind, process in processes.items():
            figures = self.figures[kind]
            figures.cpu_s = process_cpu(process.pid) - cpu_before[kind]
            figures.rss_mb = peak_rss_mb(process.pid)
            figures.wall_s = time.perf_counter() - started

    async def _stop(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.perf_counter() + 60
        while any(p.poll() is None for p in processes.values()) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)  # the stand-in keeps answering while the bots stop
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def run(kinds: tuple[str, ...], applicants: int, args: argparse.Namespace, profile: Path | None = None) -> Run:
    one = Run(kinds, applicants, args.think, args, profile)
    asyncio.run(one.run())
    return one


def pair(values_a: list[float], values_b: list[float], q: float) -> str:
    if not values_a:
        return f"{'—':>6} / {'—':>6}"
    return f"{percentile(values_a, q):6.0f} / {percentile(values_b, q):6.0f}"


def row(f: Figures) -> str:
    outcome = pair(f.outcome_first, f.outcome_last, 50)
    return (
        f"  {NAMES[f.kind]:<13}{f.served:>7,} {f.lost:>5} {f.p(50):>8.1f} {f.p(95):>8.1f} {f.p(99):>8.1f}  "
        f"{outcome}   {f.cpu_ms_per_tap:>7.2f} {f.cpu_s / max(f.wall_s, 1e-9) * 100:>5.0f}% {f.rss_mb:>7.1f}"
        f"   {percentile(f.starts, 50):6.0f} / {percentile(f.starts, 95):6.0f}"
    )


HEADER = (
    f"  {'':<13}{'taps':>7} {'lost':>5} {'p50':>8} {'p95':>8} {'p99':>8}  {'outcome 1st/last':>16}   "
    f"{'CPU ms':>7} {'core':>6} {'RSS MB':>7}   {'/start p50/p95':>15}\n"
    f"  {'':<13}{'served':>7} {'':>5} {'ms':>8} {'ms':>8} {'ms':>8}  {'p50 ms after tap':>16}   "
    f"{'per tap':>7} {'':>6} {'peak':>7}   {'ms to question':>15}"
)


def report(one: Run) -> None:
    print(
        f"N = {one.applicants} applicants per bot, T = {one.think:g} s, window {one.window:.0f} s "
        f"(driver and stand-in: {one.driver_cpu_share * 100:.0f}% of a core)"
    )
    print(HEADER)
    for kind in one.kinds:
        print(row(one.figures[kind]))
    if "echo" not in one.figures:
        return
    bot, echo = one.figures["bot"], one.figures["echo"]
    p50_ratio = bot.p(50) / echo.p(50)
    served = bot.served / max(echo.served, 1)
    cpu_ratio = bot.cpu_ms_per_tap / max(echo.cpu_ms_per_tap, 1e-9)
    print(
        f"  bot against echo: p50 {p50_ratio:.2f}x (<= {P50_ECHO_RATIO}x {met(p50_ratio <= P50_ECHO_RATIO)}), "
        f"p95 {bot.p(95):.0f} ms (<= {P95_TARGET_MS:.0f} {met(bot.p(95) <= P95_TARGET_MS)}), "
        f"taps served {served * 100:.1f}% (>= {SERVED_RATIO * 100:.0f}% {met(served >= SERVED_RATIO)}), "
        f"none lost {met(bot.lost == 0)}, CPU per tap {cpu_ratio:.2f}x (<= {CPU_ECHO_RATIO:g}x "
        f"{met(cpu_ratio <= CPU_ECHO_RATIO)})"
    )


def search(args: argparse.Namespace, held: dict[int, bool]) -> Iterator[Run]:
    """Runs of the bot alone, from the runs already made: N grows while it holds, then the gap is halved."""
    good = max((n for n, ok in held.items() if ok), default=0)
    bad = min((n for n, ok in held.items() if not ok and n > good), default=None)
    n = max(int(good * args.search_factor), good + 10) if good else args.search_from
    while bad is None and n <= args.search_max:
        one = run(("bot",), n, args)
        yield one
        if one.figures["bot"].holds:
            good = n
            n = int(n * args.search_factor)
        else:
            bad = n
    for _ in range(args.search_steps):
        if bad is None or bad - good <= max(10, good // 20):
            break
        n = (good + bad) // 2
        one = run(("bot",), n, args)
        yield one
        if one.figures["bot"].holds:
            good = n
        else:
            bad = n
    print(
        f"Largest N with p95 <= {P95_TARGET_MS:.0f} ms and none lost (T = {args.think:g} s): {good}"
        + ("" if bad is not None else f" (the search stopped at --search-max {args.search_max}; it may be higher)")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default="60,300,600", help="applicants per run, comma separated (default 60,300,600)")
    parser.add_argument("--think", type=float, default=3.0, help="think time T between answer and tap (default 3 s)")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per Bot API call (default 0.1)")
    parser.add_argument("--lost-after", type=float, default=15.0, help="a tap unanswered this long is lost")
    parser.add_argument(
        "--window",
        type=float,
        default=0.0,
        help="seconds in which taps are made (default: "
        "T + 0.5 + 12 x (T + 0.25), room for the echo bot to serve every tap)",
    )
    parser.add_argument(
        "--outcome-wait",
        type=float,
        default=3.0,
        help="seconds the applicant keeps reading the outcome's messages after the last tap",
    )
    parser.add_argument("--now", default=DEFAULT_NOW, help=f"the bot's clock at start (default {DEFAULT_NOW})")
    parser.add_argument("--no-echo", action="store_true", help="run the bot alone")
    parser.add_argument(
        "--echo-transport",
        choices=["httpx", "aiohttp"],
        default="httpx",
        help="the echo bot's HTTP client: PTB's default (httpx, the default) or the bot's (aiohttp)",
    )
    parser.add_argument(
        "--beside",
        default="",
        metavar="ARGS",
        help="beside the bot, the bot run with these options of bench_bots.py instead of the echo bot",
    )
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="beside the bot, the bot on uvloop (installed by hand) instead of the echo bot",
    )
    parser.add_argument("--no-search", action="store_true", help="skip the search for the largest N")
    parser.add_argument("--search-from", type=int, default=300)
    parser.add_argument("--search-factor", type=float, default=1.5)
    parser.add_argument("--search-steps", type=int, default=3)
    parser.add_argument("--search-max", type=int, default=1500)
    parser.add_argument("--profile", type=int, metavar="N", help="profile the bot at N applicants (and nothing else)")
    parser.add_argument("--profile-out", default="", help="keep the profile's pstats file here")
    args = parser.parse_args()

    print(
        f"Tap-to-answer, {args.delay * 1000:.0f} ms per Bot API call (HTTP stand-in on 127.0.0.1), "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, reference loop {reference_loop_ms():.0f} ms, "
        f"Python {sys.version.split()[0]}"
    )
    if args.profile:
        from profile_report import print_profile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(args.profile_out or Path(tmp) / "bot.pstats")
            log(f"profiling N={args.profile} ...")
            one = run(("bot",), args.profile, args, profile=path)
            report(one)
            print_profile(path, one.figures["bot"].served)
        return
    kinds = (
        ("bot",)
        if args.no_echo
        else ("bot", "uvloop")
        if args.uvloop
        else ("bot", "variant")
        if args.beside
        else ("bot", "echo")
    )
    held: dict[int, bool] = {}
    for n in (int(x) for x in args.runs.split(",")):
        log(f"running N={n} ...")
        one = run(kinds, n, args)
        report(one)
        held[n] = one.figures["bot"].holds
    if not args.no_search:
        print("Search for the largest N (the bot alone):")
        for one in search(args, held):
            log(f"searched N={one.applicants}")
            report(one)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
