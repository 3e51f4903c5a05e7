"""The question answering against tests/qa/questions.yaml: accuracy, honesty about what the notice
does not answer, answer time and the memory the index adds. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/qa.py            # figures for the tuning part, the held-out part and all
    .venv/bin/python benchmarks/qa.py --misses   # also each question answered wrongly, with what it got
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_common import met, reference_loop_ms  # noqa: E402
from conversations import qa  # noqa: E402
from knowledge import default_notice  # noqa: E402

QUESTIONS = ROOT / "tests" / "qa" / "questions.yaml"
NOT_COVERED = "not_covered"


@dataclass
class Result:
    question: str
    expected: list[str]
    kind: str
    got: tuple[str, ...]
    top1: bool
    top3: bool


def load_questions() -> dict[str, list[dict[str, Any]]]:
    with QUESTIONS.open(encoding="utf-8") as f:
        return yaml.safe_load(f)  # type: ignore[no-any-return]


def expected_of(case: dict[str, Any]) -> list[str]:
    e = case["expect"]
    return [e] if isinstance(e, str) else list(e)


def judge(notice: Any, case: dict[str, Any]) -> Result:
    expected = expected_of(case)
    today = case.get("today")
    a = qa.answer(notice, case["q"], today=dt.date.fromisoformat(str(today)) if today else None)
    if expected == [NOT_COVERED]:
        ok = a.kind == "not_covered"
        return Result(case["q"], expected, a.kind, a.targets, ok, ok)
    top1 = bool(set(expected) & set(a.targets))
    top3 = top1 or any(set(expected) & set(qa.targets_of(notice, c.key)) for c in qa.candidates(notice, case["q"]))
    return Result(case["q"], expected, a.kind, a.targets, top1, top3)


def report(name: str, results: list[Result]) -> None:
    covered = [r for r in results if r.expected != [NOT_COVERED]]
    uncovered = [r for r in results if r.expected == [NOT_COVERED]]
    top1 = sum(r.top1 for r in results) / len(results)
    top3 = sum(r.top3 for r in results) / len(results)
    confident = sum(r.kind != "not_covered" for r in uncovered) / len(uncovered) if uncovered else 0.0
    print(f"{name}: {len(results)} questions ({len(uncovered)} not answered by the notice)")
    print(f"  top-1 accuracy                       {top1:6.1%}   target >= 90%  {met(top1 >= 0.9)}")
    print(f"  top-3 accuracy                       {top3:6.1%}   target >= 97%  {met(top3 >= 0.97)}")
    print(f"  confident answers to uncovered       {confident:6.1%}   target <= 5%   {met(confident <= 0.05)}")
    covered_top1 = sum(r.top1 for r in covered) / len(covered) if covered else 0.0
    print(f"  top-1 on answerable questions        {covered_top1:6.1%}")


def timing(notice: Any, cases: list[dict[str, Any]], rounds: int) -> list[float]:
    times: list[float] = []
    for _ in range(rounds):
        for case in cases:
            t0 = time.perf_counter()
            qa.answer(notice, case["q"], today=dt.date(2021, 10, 18))
            times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the questions answered wrongly")
    parser.add_argument("--rounds", type=int, default=20, help="timing rounds over all questions")
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    notice = default_notice()
    if args.memory_only:  # run in a fresh process: tracemalloc slows the build it measures
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        qa.index_for(notice)
        print((tracemalloc.get_traced_memory()[0] - before) / 2**20)
        return 0
    added_mb = float(subprocess.run([sys.executable, __file__, "--memory-only"], check=True, capture_output=True,
                                    text=True).stdout)
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    qa.index_for(notice)
    build_ms = (time.perf_counter() - t0) * 1e3
    rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    sets = load_questions()
    print(f"reference loop: {reference_loop_ms():.1f} ms (this host's speed now)")
    print(f"index build (first use: lexicon, character tables, every entry): {build_ms:.0f} ms")
    print(f"memory the index adds (tracemalloc in a fresh process, incl. the character tables): {added_mb:.1f} MB"
          f"   target < 50 MB  {met(added_mb < 50)}")
    print(f"peak RSS growth while building it: {rss_mb:.1f} MB")
    everything: list[Result] = []
    for name, cases in sets.items():
        results = [judge(notice, case) for case in cases]
        everything += results
        report(name, results)
        if args.misses:
            for r in results:
                if not r.top1:
                    print(f"    MISS {r.question}  expected {'/'.join(r.expected)}  got {r.kind} {list(r.got)}")
    report("all", everything)

    cases = [c for cs in sets.values() for c in cs]
    times = timing(notice, cases, args.rounds)
    p50 = statistics.median(times)
    p99 = times[int(len(times) * 0.99) - 1]
    print(f"answer time over {len(times)} answers (index built once): p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {times[-1]:.2f} ms   target p99 < 20 ms  {met(p99 < 20)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
