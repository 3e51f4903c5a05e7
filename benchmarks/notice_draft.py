"""Figures of `zhicheng-bot knowledge draft`: how long a draft takes, and how much of the old
knowledge file comes through without a person, for two next-year notices built on the 2021 one:

- the worked example (examples/notices/2022-xinjiang-nonferrous-example-notice.txt): dates, copies,
  years and a contact changed, two sentences rewritten, a clause removed, a requirement added;
- a numbers-only notice derived from the 2021 text (tests/support/notice_variants.py): every date,
  year and stated count changed, nothing else.

For each: the draft time (median of --runs), entries carried over unchanged, updated mechanically,
flagged for review, the share without a person, the changes listed, and the new sentences; for the
numbers-only notice also whether every changed number inside a quote was caught.

    .venv/bin/python benchmarks/notice_draft.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from knowledge.draft_entries import entries, quote_fields  # noqa: E402
from knowledge.drafting import Draft, draft_notice  # noqa: E402
from knowledge.loader import notice_path, read_data, squash  # noqa: E402
from tests.support.notice_variants import ChangedNumber, numbers_only  # noqa: E402

OLD_YAML = notice_path()
OLD_TEXT = (OLD_YAML.parent / "2021-xinjiang-nonferrous-notice.txt").read_text(encoding="utf-8")
EXAMPLE_TEXT = (REPO_DIR / "examples" / "notices" / "2022-xinjiang-nonferrous-example-notice.txt").read_text(
    encoding="utf-8"
)


def timed(text: str, runs: int, new_id: str) -> tuple[Draft, list[float]]:
    times = []
    draft = None
    for _ in range(runs):
        started = time.perf_counter()
        draft = draft_notice(OLD_YAML, text, text_file="new.txt", new_id=new_id)
        times.append(time.perf_counter() - started)
    assert draft is not None
    return draft, times


def caught(draft: Draft, changes: list[ChangedNumber]) -> tuple[int, int]:
    """(quotes holding a changed number, of them updated or flagged): every one must be."""
    data = read_data(OLD_YAML)
    flagged = {r.entry for r in draft.report.review}
    updated = {u.entry for u in draft.report.updated}
    squashed_old = squash(OLD_TEXT)
    holding = handled = 0
    positions = [len(squash(OLD_TEXT[: c.start])) for c in changes]
    for entry in entries(data):
        for _, quote in quote_fields(str(entry.path[0]), entry.data):
            at = squashed_old.find(squash(quote))
            if at < 0 or not any(at <= p < at + len(squash(quote)) for p in positions):
                continue
            holding += 1
            handled += entry.name in flagged or entry.name in updated
    return holding, handled


def report(name: str, draft: Draft, times: list[float]) -> None:
    r = draft.report
    print(f"{name}")
    print(
        f"  draft time        median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms "
        f"({len(times)} runs)"
    )
    print(
        f"  entries           {r.entries}: {r.carried} carried over unchanged, {r.updated_entries} updated "
        f"mechanically ({len(r.updated)} changes), {r.flagged_entries} flagged for review"
    )
    print(f"  without a person  {r.without_person:.1%}")
    print(f"  new sentences     {len(r.new_sentences)}")
    for sentence in r.new_sentences:
        print(f"    {sentence.clause}: {sentence.text}")
    for item in r.review:
        print(f"  flagged           {item.entry}: {item.reason[:100]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("knowledge draft: next year's notice built on 2021-xinjiang-nonferrous (188 entries)")
    print("(figures taken on a shared machine are indicative only)\n")
    draft, times = timed(EXAMPLE_TEXT, args.runs, "2022-xinjiang-nonferrous-example")
    report("worked example (examples/notices/2022-xinjiang-nonferrous-example-notice.txt)", draft, times)
    print()
    text, changes = numbers_only(OLD_TEXT)
    draft, times = timed(text, args.runs, "2022-numbers-only")
    report(f"numbers-only notice ({len(changes)} numbers and dates changed)", draft, times)
    holding, handled = caught(draft, changes)
    print(
        f"  changed numbers   {holding} quotes hold one; {handled} updated or flagged"
        f" ({'every one caught' if holding == handled else f'{holding - handled} MISSED'})"
    )


if __name__ == "__main__":
    main()
