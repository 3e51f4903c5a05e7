"""Benchmark of the knowledge engine: loading the notice file, and outcomes per second.

Prints the time to load and fully validate the knowledge file (YAML parse, JSON Schema
check, cross-references and the verbatim-quote check) and the number of outcomes
computed per second over every reachable path of answers.

Targets (issue): load under 200 ms; at least 5,000 outcomes per second on one core.

Run:  (from the repository) .venv/bin/python benchmarks/engine.py

A benchmark, not a test: it prints figures and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, met, reference_loop_ms  # noqa: E402

if TYPE_CHECKING:
    from knowledge.model import Notice

LOAD_TARGET_MS = 200.0
OUTCOMES_TARGET_PER_S = 5_000.0

# Run in a fresh interpreter: time the import of the loader and the first load_notice() call.
COLD_SNIPPET = """
import json, time
t0 = time.perf_counter()
from knowledge.loader import load_notice, notice_path
t1 = time.perf_counter()
load_notice(notice_path({notice_id!r}))
t2 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3, "total_ms": (t2 - t0) * 1e3}}))
"""


def pin_to_one_core() -> str:
    """Pin this process (and the subprocesses it starts) to one CPU, if the OS allows it."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (os.sched_setaffinity is not available on this platform)"
    try:
        allowed = sorted(os.sched_getaffinity(0))
        cpu = 0 if 0 in allowed else allowed[0]
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:
        return f"not pinned ({exc})"
    return f"pinned to CPU {cpu} (os.sched_setaffinity; {len(allowed)} CPU(s) were available)"


def clear_loader_caches() -> None:
    """Forget everything knowledge.loader memoises, so load_notice() starts from scratch."""
    import knowledge.loader as loader

    loader._schema_validator.cache_clear()
    loader.default_notice.cache_clear()


def bench_load(notice_id: str, runs: int) -> tuple[list[float], list[dict[str, float]]]:
    from knowledge.loader import load_notice, notice_path

    path = notice_path(notice_id)
    # Warm-up: one full load, discarded (the modules are imported by now).
    clear_loader_caches()
    load_notice(path)
    times: list[float] = []
    for _ in range(runs):
        clear_loader_caches()
        gc.collect()
        t0 = time.perf_counter()
        load_notice(path)
        times.append((time.perf_counter() - t0) * 1e3)
    cold: list[dict[str, float]] = []
    for i in range(runs_cold := 5):
        log(f"  cold subprocess {i + 1}/{runs_cold}")
        out = subprocess.run(
            [sys.executable, "-c", COLD_SNIPPET.format(notice_id=notice_id)],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        cold.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return times, cold


def walk_paths(notice: Notice) -> Iterator[dict[str, str]]:
    """Every reachable finished path of answers."""
    from conversations.interview import interview_for

    return interview_for(notice).paths()


@dataclass
class OutcomeRuns:
    paths: int
    walk_s: float
    run_times: list[float]
    verdicts: Counter[str]
    questions: int
    rules: int
    items: int


def bench_outcomes(notice_id: str, repeats: int) -> OutcomeRuns:
    from conversations.outcome import evaluate
    from knowledge.loader import load_notice, notice_path

    notice = load_notice(notice_path(notice_id))
    t0 = time.perf_counter()
    paths = list(walk_paths(notice))
    walk_s = time.perf_counter() - t0
    log(f"  {len(paths):,} paths enumerated in {walk_s:.2f} s")
    evaluate(notice, paths[0])  # compiles the notice's predicates once (cached per notice)
    verdicts: Counter[str] = Counter()
    run_times: list[float] = []
    for i in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        outcomes = [evaluate(notice, answers) for answers in paths]
        run_times.append(time.perf_counter() - t0)
        log(f"  run {i + 1}/{repeats}: {len(paths) / run_times[-1]:,.0f} outcomes/s")
        if i == 0:
            verdicts.update(o.verdict for o in outcomes)
        del outcomes
    return OutcomeRuns(
        len(paths), walk_s, run_times, verdicts, len(notice.questions), len(notice.rules), len(notice.items)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notice", default="2021-xinjiang-nonferrous", help="notice id (file under knowledge/notices)")
    parser.add_argument("--load-runs", type=int, default=20, help="timed load_notice() runs (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over all paths (default 3)")
    args = parser.parse_args(argv)

    pinning = pin_to_one_core()
    ref_start = reference_loop_ms()
    t_import = time.perf_counter()
    import knowledge.loader  # noqa: F401  (the warm-up import)

    import_ms = (time.perf_counter() - t_import) * 1e3

    print("zhicheng-bot engine benchmark")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s); {pinning}")
    print(f"notice: {args.notice}")
    print()

    log("loading the knowledge file…")
    times, cold = bench_load(args.notice, args.load_runs)
    ref_after_load = reference_loop_ms()
    median_ms = statistics.median(times)
    print("1. Load and validate the knowledge file (load_notice: YAML, JSON Schema, cross-references, quotes)")
    print(f"   warm-up import of knowledge.loader in this process: {import_ms:.1f} ms")
    print(
        f"   warm, fresh state ({args.load_runs} runs after one discarded load; "
        "_schema_validator cache cleared before each run):"
    )
    print(f"     min {min(times):.1f} ms   median {median_ms:.1f} ms   max {max(times):.1f} ms")
    cold_load = [c["load_ms"] for c in cold]
    cold_total = [c["total_ms"] for c in cold]
    print(
        f"   cold first call, each in a fresh `python -c` subprocess ({len(cold)} subprocesses, "
        "same CPU pinning; interpreter start-up not included):"
    )
    for c in cold:
        print(
            f"     import {c['import_ms']:6.1f} ms + first load_notice {c['load_ms']:6.1f} ms = {c['total_ms']:6.1f} ms"
        )
    print(
        f"     median: load alone {statistics.median(cold_load):.1f} ms, "
        f"import+load {statistics.median(cold_total):.1f} ms"
    )
    print()

    log("enumerating and evaluating every path…")
    result = bench_outcomes(args.notice, args.repeats)
    paths = result.paths
    run_times = result.run_times
    median_s = statistics.median(run_times)
    rate = paths / median_s
    verdicts = result.verdicts
    print("2. Outcomes over every reachable path (evaluate(); predicates compiled once before timing)")
    print(f"   notice: {result.questions} questions, {result.rules} rules, {result.items} checklist items")
    print(f"   reachable paths: {paths:,} (enumerated by walking position() in {result.walk_s:.2f} s)")
    print(f"   runs ({len(run_times)} passes over all paths): " + ", ".join(f"{paths / t:,.0f}/s" for t in run_times))
    print(f"   median: {rate:,.0f} outcomes/s, {median_s / paths * 1e6:.1f} µs per outcome ({median_s:.2f} s per pass)")
    print("   verdicts: " + ", ".join(f"{v} {n:,} ({n / paths:.1%})" for v, n in verdicts.most_common()))
    print()

    ref_end = reference_loop_ms()
    print(
        f"Reference loop (1M additions, best of 3): {ref_start:.1f} ms at the start, {ref_after_load:.1f} ms "
        f"after the load runs, {ref_end:.1f} ms at the end — this shared host's CPU speed varies; read the "
        "figures with it"
    )
    print()
    print("Summary")
    print(
        f"  load (median, warm, fresh caches): {median_ms:.1f} ms — target < {LOAD_TARGET_MS:.0f} ms — "
        f"{met(median_ms < LOAD_TARGET_MS)}"
    )
    print(
        f"  load (max of {len(times)}): {max(times):.1f} ms — target < {LOAD_TARGET_MS:.0f} ms — "
        f"{met(max(times) < LOAD_TARGET_MS)}"
    )
    cold_med = statistics.median(cold_load)
    print(
        f"  load (cold first call in a fresh process, median): {cold_med:.1f} ms — target < "
        f"{LOAD_TARGET_MS:.0f} ms — {met(cold_med < LOAD_TARGET_MS)}"
    )
    print(
        f"  outcomes (median of {len(run_times)}, one core): {rate:,.0f}/s — target ≥ "
        f"{OUTCOMES_TARGET_PER_S:,.0f}/s — {met(rate >= OUTCOMES_TARGET_PER_S)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
