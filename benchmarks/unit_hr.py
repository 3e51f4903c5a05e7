"""Benchmark of the unit HR side, through the real PTB Application on the offline Bot API and a
real SQLite file: /unit for a unit with N linked applicants (each with a finished interview), one
applicant's duties, the attachments (.docx and HTML) from the typed message, and a case file.

Prints handling times (median and max over repeats, the network stand-in answering at once), the
part of them spent inside the update's SQLite transaction (when other chats' updates wait), and
the sizes of what is sent. A benchmark, not a test: it prints figures and asserts nothing.

Run:  .venv/bin/python benchmarks/unit_hr.py [--applicants 200] [--repeats 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from bench_common import log, reference_loop_ms  # noqa: E402

HR, CONTACT = 8001, 9001
ID = "11010519491231002X"


async def run(applicants: int, repeats: int) -> None:
    import yaml

    from bot.features.units import queries as units
    from bot.features.units.buttons import Attachments, ShowApplicant, UnitCsv
    from bot.store.storage import Storage
    from bot.store.users import UserState, save_user, summary
    from conversations.clock import Clock, parse_moment
    from conversations.interview import interview_for
    from conversations.outcome import evaluate
    from knowledge import default_notice
    from tests.chat.conftest import start_bot, stop_bot

    notice = default_notice()
    paths = [
        p
        for p in random.Random(3).sample(list(interview_for(notice).paths()), 2000)
        if evaluate(notice, p).has_checklist
    ][:applicants]
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.sqlite3"
        storage = await Storage(db_path).open()
        now = parse_moment("2021-10-01T10:00:00+08:00")

        def setup(db):  # type: ignore[no-untyped-def]
            unit, _ = units.unit_or_new(db, "新疆有色测试有限公司", CONTACT, now)
            invitation, _ = units.create_invitation(db, unit.id, CONTACT, now)
            units.use_invitation(db, invitation, HR, HR, now)
            return unit

        unit = await storage.atomically(setup)
        for i, answers in enumerate(paths, start=1):
            state = UserState(
                user_id=i, chat_id=i, locale="zh_Hans", notice_id=notice.id, started=True, answers=dict(answers)
            )
            await storage.atomically(save_user, state, None, summary(state, notice))
            await storage.atomically(lambda db, i=i: units.link(db, i, unit.id, "chosen", now))
        await storage.close()
        log(f"{len(paths)} linked applicants stored")
        bot = await start_bot(db_path, contact_ids=frozenset({CONTACT}), clock=Clock(now))
        service = bot.app.bot_data.chat
        inside: list[float] = []  # time spent inside the update's transaction (other chats wait meanwhile)
        handle_in = service._handle_in

        def timed_handle_in(db, event):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return handle_in(db, event)
            finally:
                inside.append((time.perf_counter() - t0) * 1e3)

        service._handle_in = timed_handle_in

        async def timed(label: str, action, repeat: int = repeats) -> None:  # type: ignore[no-untyped-def]
            times = []
            inside.clear()
            sent = 0
            for _ in range(repeat):
                t0 = time.perf_counter()
                calls = await action()
                times.append((time.perf_counter() - t0) * 1e3)
                sent = sum(len(c.params.get("text", "")) for c in calls) + sum(
                    len(b) for c in calls for b in c.files.values()
                )
            print(
                f"{label:<52} median {statistics.median(times):6.1f} ms (in the transaction "
                f"{statistics.median(inside):5.1f} ms)   max {max(times):6.1f} ms   {sent:>7,} characters/bytes sent"
            )

        await timed(f"/unit with {len(paths)} linked applicants", lambda: bot.text(HR, "/unit"))
        await timed("one applicant's duties (button)", lambda: bot.press(HR, ShowApplicant(unit.id, 1).pack()))

        async def attachments():  # type: ignore[no-untyped-def]
            await bot.press(HR, Attachments(unit.id, 1).pack())
            return await bot.text(HR, f"张三 {ID} 2021年10月11日")

        await timed("attachments: .docx and HTML from the typed message", attachments)
        await timed("CSV file of the unit", lambda: bot.press(HR, UnitCsv(unit.id).pack()))
        case = yaml.safe_dump({"answers": dict(paths[0])}).encode()
        await timed("a case file sent as a document", lambda: bot.document(HR, "case.yaml", case))
        await stop_bot(bot)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"reference loop: {reference_loop_ms():.1f} ms (this CPU right now)")
    asyncio.run(run(args.applicants, args.repeats))


if __name__ == "__main__":
    main()
