"""The office's side on a real SQLite file: contact persons, the audit log, audiences (property
tests over random populations), statistics and broadcasts through the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chat.actions import CopyMessage, Send
from bot.delivery import broadcasts, outbox
from bot.features.contacts.handlers import audit_csv
from bot.features.contacts.queries import RoleError, add_contact, contacts, remove_contact
from bot.features.stats.handlers import Names, stats_csv
from bot.store import population as store_population
from bot.store.audit import audit_entries
from bot.store.migrations import migrate
from bot.store.population import READINESS_BANDS, Applicant, Audience, stats
from bot.store.storage import Storage
from bot.store.users import UserState, load_user, save_user, set_unreachable, summary
from conversations.interview import interview_for
from conversations.outcome import evaluate
from knowledge import default_notice
from tests.support.paths import every_path

NOTICE = default_notice()
NOW = dt.datetime(2021, 10, 12, 2, 0, tzinfo=dt.UTC)
CONFIGURED = frozenset({1001})


@cache
def sample_paths() -> list[dict[str, str]]:
    return random.Random(5).sample(every_path(), 600)


async def populate(storage: Storage, count: int, seed: int) -> None:
    rng = random.Random(seed)
    for user_id in range(1, count + 1):
        answers = dict(rng.choice(sample_paths()))
        state = UserState(
            user_id=user_id,
            chat_id=user_id + 50_000,
            locale="zh_Hans",
            notice_id=NOTICE.id,
            started=True,
            answers=answers,
        )
        if rng.random() < 0.2:  # never finished
            kept = list(answers)[: rng.randint(1, 4)]
            state.answers = {q: answers[q] for q in kept}
            state.current_question = interview_for(NOTICE).position(state.answers).question.id  # type: ignore[union-attr]
        else:
            items = [item.id for item in evaluate(NOTICE, answers).checklist]
            state.ticks = {i for i in items if rng.random() < rng.random()}
        blocked = rng.random() < 0.05

        def save(db: sqlite3.Connection, state: UserState = state, blocked: bool = blocked) -> None:
            save_user(db, state, None, summary(state, NOTICE))  # as the chat saves it, with its summary
            if blocked:
                set_unreachable(db, state.chat_id, NOW)

        await storage.atomically(save)


def is_contact(db: sqlite3.Connection, user_id: int, configured: frozenset[int]) -> bool:
    return any(c.user_id == user_id for c in contacts(db, configured))


@pytest.fixture
async def storage(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = await Storage(tmp_path / "office.sqlite3").open()
    yield store
    await store.close()


# --- contact persons and the audit log ----------------------------------------------------------


async def test_contact_persons_are_the_configured_ones_and_those_added_in_the_chat(storage: Storage) -> None:
    def work(db: sqlite3.Connection) -> None:
        assert is_contact(db, 1001, CONFIGURED) and not is_contact(db, 2002, CONFIGURED)
        assert add_contact(db, 2002, by=1001, now=NOW)
        assert not add_contact(db, 2002, by=1001, now=NOW)
        assert not add_contact(db, 1001, by=1001, now=NOW, configured=CONFIGURED)  # in the settings already
        assert is_contact(db, 2002, CONFIGURED)
        assert [(c.user_id, c.source) for c in contacts(db, CONFIGURED)] == [(1001, "settings"), (2002, "added")]
        assert remove_contact(db, 2002, CONFIGURED)
        assert not is_contact(db, 2002, CONFIGURED)

    await storage.atomically(work)


async def test_a_configured_contact_person_cannot_be_removed_in_the_chat(storage: Storage) -> None:
    def work(db: sqlite3.Connection) -> None:
        with pytest.raises(RoleError):
            remove_contact(db, 1001, CONFIGURED)
        assert is_contact(db, 1001, CONFIGURED)

    await storage.atomically(work)


async def test_every_broadcast_is_audited_with_who_what_when_and_how_many(storage: Storage) -> None:
    def work(db: sqlite3.Connection) -> tuple[int, list]:  # type: ignore[type-arg]
        broadcast_id = broadcasts.create(
            db,
            author_id=1001,
            author_chat=1001,
            audience=Audience(),
            messages=[Send("通知")],
            at=NOW,
            now=NOW,
            recipients=42,
        )
        broadcasts.cancel(db, broadcast_id, 1001, NOW)
        return broadcast_id, audit_entries(db)

    broadcast_id, entries = await storage.atomically(work)
    assert [(e.action, e.actor_id, e.recipients) for e in entries] == [
        ("broadcast.cancel", 1001, None),
        ("broadcast.create", 1001, 42),
    ]
    assert entries[1].at == "2021-10-12T02:00:00+00:00" and entries[1].detail["broadcast"] == broadcast_id
    exported = audit_csv(entries).decode("utf-8-sig").splitlines()
    assert exported[0] == "id,at_utc,actor_id,action,recipients,detail" and len(exported) == 3


# --- audiences: property tests over random populations ------------------------------------------


def _applicant(draw: st.DrawFn, user_id: int) -> Applicant:
    finished = draw(st.booleans())
    items = draw(st.integers(0, 30)) if finished else 0
    return Applicant(
        user_id=user_id,
        chat_id=user_id,
        notice_id=draw(st.sampled_from(["2021-xinjiang-nonferrous", "2022-x"])),
        finished=finished,
        verdict=draw(st.sampled_from(["eligible", "conditional", "other_route", "ineligible"])) if finished else None,
        level=draw(st.sampled_from([None, "junior", "intermediate", "associate_senior"])),
        items=items,
        ticked=draw(st.integers(0, items)),
        reachable=draw(st.booleans()),
        unit_id=draw(st.sampled_from([None, 1, 2])),
    )


@st.composite
def populations(draw: st.DrawFn) -> list[Applicant]:
    return [_applicant(draw, i) for i in range(draw(st.integers(0, 40)))]


audiences = st.builds(
    Audience,
    notices=st.frozensets(st.sampled_from(["2021-xinjiang-nonferrous", "2022-x"])),
    levels=st.frozensets(st.sampled_from(["junior", "intermediate", "associate_senior"])),
    verdicts=st.frozensets(st.sampled_from(["eligible", "conditional", "other_route", "ineligible"])),
    unticked_only=st.booleans(),
    unfinished_only=st.booleans(),
    units=st.frozensets(st.sampled_from([1, 2, 3])),
)


@cache
def summaries_db() -> sqlite3.Connection:
    """An in-memory database with the bot's schema, for the audiences' SQL."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    migrate(db)
    return db


def selected(population: list[Applicant], audience: Audience) -> set[int]:
    """The audience as the bot selects it: SQL over the applicants' summary rows."""
    db = summaries_db()
    db.execute("DELETE FROM applicant_summaries")
    db.executemany(
        "INSERT INTO applicant_summaries (user_id, chat_id, notice_id, version, finished, verdict, level, items, "
        "ticked, unit_id, reachable, updated_at) VALUES (?, ?, ?, 'v', ?, ?, ?, ?, ?, ?, ?, 'now')",
        [
            (
                a.user_id,
                a.chat_id,
                a.notice_id,
                a.finished,
                a.verdict,
                a.level,
                a.items,
                a.ticked,
                a.unit_id,
                a.reachable,
            )
            for a in population
        ],
    )
    chosen = {a.user_id for a in population_of(db, audience)}
    assert store_population.count(db, audience) == len(chosen)
    return chosen


def population_of(db: sqlite3.Connection, audience: Audience) -> list[Applicant]:
    return store_population.applicants(db, audience=audience)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(population=populations(), audience=audiences)
def test_an_audience_selects_exactly_the_reachable_users_matching_every_chosen_dimension(population, audience):
    chosen = selected(population, audience)
    for a in population:
        expected = (
            a.reachable
            and (not audience.notices or a.notice_id in audience.notices)
            and (not audience.levels or a.level in audience.levels)
            and (not audience.verdicts or a.verdict in audience.verdicts)
            and (not audience.unticked_only or (a.finished and a.ticked < a.items))
            and (not audience.unfinished_only or not a.finished)
            and (not audience.units or a.unit_id in audience.units)
        )
        assert (a.user_id in chosen) == expected, (a, audience)


@given(audience=audiences)
def test_an_audience_survives_its_round_trip_through_the_database_column(audience):
    assert Audience.from_json(audience.to_json()) == audience


def test_an_audience_stored_before_units_existed_still_reads_as_any_unit():
    stored = '{"levels": ["junior"], "notices": [], "unfinished_only": false, "unticked_only": false, "verdicts": []}'
    assert Audience.from_json(stored) == Audience(levels=frozenset({"junior"}))


# --- the population read back from SQLite ------------------------------------------------------


async def test_the_applicants_read_back_carry_the_engines_verdict_and_their_readiness(storage: Storage) -> None:
    await populate(storage, 120, seed=1)
    applicants = await storage.atomically(store_population.applicants)
    unreachable = {
        r[0]
        for r in await storage.atomically(lambda db: db.execute("SELECT chat_id FROM unreachable_chats").fetchall())
    }
    assert len(applicants) == 120
    for a in applicants:
        state = await storage.atomically(load_user, a.user_id, a.chat_id)
        assert a.reachable == (a.chat_id not in unreachable)
        if state.current_question is None:
            outcome = evaluate(NOTICE, state.answers)
            assert a.verdict == outcome.verdict and a.items == len(outcome.checklist)
            assert a.ticked == len(state.ticks & {i.id for i in outcome.checklist})
        else:
            assert not a.finished and a.verdict is None


async def test_stats_count_by_notice_level_verdict_and_readiness_band(storage: Storage) -> None:
    await populate(storage, 150, seed=2)
    applicants = await storage.atomically(store_population.applicants)
    s = await storage.atomically(stats)
    assert s.applicants == 150 and s.by_notice == {NOTICE.id: 150}
    assert s.finished == sum(s.by_verdict.values()) == sum(1 for a in applicants if a.finished)
    assert set(s.readiness) <= set(READINESS_BANDS)
    assert sum(s.readiness.values()) == sum(1 for a in applicants if a.items)
    rows = stats_csv(s, "zh_Hans", Names({}, {}, {})).decode("utf-8-sig").splitlines()
    assert rows[0] == "类别,项目,数量" and "申报人,,150" in rows
    assert f"按通知,{NOTICE.id},150" in rows  # a notice the names do not know keeps its id
    english = stats_csv(s, "en", Names({NOTICE.id: NOTICE.info.number}, {}, {})).decode("utf-8-sig").splitlines()
    assert english[0] == "Measure,Item,Count" and f"By notice,{NOTICE.info.number},150" in english


async def _link_some(storage: Storage, every: int) -> dict[int, int]:
    """Link every `every`-th user to unit 1 and the next one to unit 2 (as /myunit does); user -> unit."""
    from bot.features.units import queries as units

    def work(db):  # type: ignore[no-untyped-def]
        first, _ = units.unit_or_new(db, "甲单位", 1001, NOW)
        second, _ = units.unit_or_new(db, "乙单位", 1001, NOW)
        linked = {}
        for (user_id,) in db.execute("SELECT user_id FROM users ORDER BY user_id").fetchall():
            if user_id % every == 0:
                linked[user_id] = units.link(db, user_id, first.id, "chosen", NOW).unit_id
            elif user_id % every == 1:
                linked[user_id] = units.link(db, user_id, second.id, "link", NOW).unit_id
        return linked

    return await storage.atomically(work)


async def test_stats_give_the_readiness_by_unit_of_linked_applicants(storage: Storage) -> None:
    await populate(storage, 120, seed=4)
    linked = await _link_some(storage, 3)
    applicants = await storage.atomically(store_population.applicants)
    names = await storage.atomically(store_population.unit_names)
    assert {a.user_id: a.unit_id for a in applicants if a.unit_id is not None} == linked
    s = await storage.atomically(stats)
    assert dict(s.linked_by_unit) == {u: list(linked.values()).count(u) for u in set(linked.values())}
    for unit_id, bands in s.readiness_by_unit.items():
        assert sum(bands.values()) == sum(1 for a in applicants if a.unit_id == unit_id and a.items)
    rows = stats_csv(s, "zh_Hans", Names({}, {}, names)).decode("utf-8-sig").splitlines()
    assert f"关联单位的申报人,甲单位,{s.linked_by_unit[1]}" in rows
    second = [r for r in rows if r.startswith("材料准备进度（已勾选比例）：乙单位,")]
    assert len(second) == 5 and sum(int(r.rsplit(",", 1)[1]) for r in second) == sum(s.readiness_by_unit[2].values())


async def test_a_broadcast_by_unit_reaches_only_that_units_linked_applicants(storage: Storage) -> None:
    await populate(storage, 90, seed=6)
    linked = await _link_some(storage, 4)
    chosen = await storage.atomically(population_of, Audience(units=frozenset({1})))
    assert chosen and {a.user_id for a in chosen} <= {u for u, unit in linked.items() if unit == 1}
    assert all(a.reachable for a in chosen)


# --- broadcasts --------------------------------------------------------------------------------


async def test_a_broadcast_reaches_exactly_its_audience_once_and_a_copy_stays_a_copy(storage: Storage) -> None:
    await populate(storage, 200, seed=3)
    audience = Audience(levels=frozenset({"associate_senior"}), unticked_only=True)
    expected = {a.chat_id for a in await storage.atomically(population_of, audience)}
    bid = await storage.atomically(
        broadcasts.create,
        author_id=1001,
        author_chat=1001,
        audience=audience,
        messages=[CopyMessage(1001, 77)],
        at=NOW,
        now=NOW,
        recipients=len(expected),
    )
    assert await broadcasts.queue_due(storage, NOW) == [bid]
    assert await broadcasts.queue_due(storage, NOW) == []  # queued once
    got: list[int] = []

    async def deliver(row: outbox.OutboxRow) -> None:
        assert row.messages == [CopyMessage(1001, 77)]
        got.append(row.chat_id)

    while any((await outbox.deliver_due(storage, deliver, lambda: NOW)).values()):
        pass
    assert sorted(got) == sorted(expected) and expected
    assert await storage.atomically(broadcasts.settle) == [bid]
    assert await storage.atomically(broadcasts.progress, bid) == {"sent": len(expected)}


async def test_a_scheduled_broadcast_waits_for_its_time_and_a_cancelled_one_sends_nothing(storage: Storage) -> None:
    await populate(storage, 60, seed=4)
    later = NOW + dt.timedelta(hours=3)
    bid = await storage.atomically(
        broadcasts.create,
        author_id=1001,
        author_chat=1001,
        audience=Audience(),
        messages=[Send("明天截止")],
        at=later,
        now=NOW,
        recipients=0,
    )
    assert await broadcasts.queue_due(storage, NOW) == []
    assert await broadcasts.queue_due(storage, later) == [bid]
    withdrawn = await storage.atomically(broadcasts.cancel, bid, 1001, later)
    left = await storage.atomically(broadcasts.progress, bid)
    assert withdrawn > 0 and left == {"cancelled": withdrawn}


async def test_faults_during_a_2000_recipient_broadcast_leave_every_reachable_recipient_one_copy(
    storage: Storage,
) -> None:
    await populate(storage, 2000, seed=6)
    bid = await storage.atomically(
        broadcasts.create,
        author_id=1001,
        author_chat=1001,
        audience=Audience(),
        messages=[Send("请按时提交")],
        at=NOW,
        now=NOW,
        recipients=0,
    )
    await broadcasts.queue_due(storage, NOW)
    rng = random.Random(9)
    blocked = {chat for chat in range(50_001, 52_001) if rng.random() < 0.03}
    received: dict[int, int] = {}
    clock = [NOW]

    async def deliver(row: outbox.OutboxRow) -> None:
        await asyncio.sleep(0)
        if row.chat_id in blocked:
            raise outbox.Unreachable("Forbidden: bot was blocked by the user")
        roll = rng.random()
        if roll < 0.05:
            raise outbox.PassingFailure("timed out")
        received[row.chat_id] = received.get(row.chat_id, 0) + 1

    for _ in range(2000):
        results = await outbox.deliver_due(storage, deliver, lambda: clock[0], limit=100)
        if not any(results.values()):
            due = await storage.atomically(outbox.next_due)
            if due is None:
                break
            clock[0] = max(clock[0], due)
    reachable = {a.chat_id for a in await storage.atomically(store_population.applicants) if a.reachable}
    state = await storage.atomically(broadcasts.progress, bid)
    assert all(times == 1 for times in received.values())
    assert set(received) == reachable
    assert state.get("pending", 0) == 0 and state.get("failed", 0) == 0


def _system_cjk_fonts() -> list[str]:
    """Font files fontconfig says cover Chinese (fonts-noto-cjk …), read without matplotlib."""
    import shutil
    import subprocess

    if shutil.which("fc-list") is None:
        return []
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
    return [line.split(":")[0] for line in listed.splitlines() if line.strip()]


def _chart_stats():  # type: ignore[no-untyped-def]
    from collections import Counter

    from bot.store.population import Stats

    return Stats(
        applicants=10,
        finished=8,
        by_verdict=Counter({"eligible": 5, "conditional": 3}),
        readiness=Counter({"0–25%": 2, "100%": 6}),
    )


def test_the_stats_chart_is_a_png_with_chinese_labels_where_a_cjk_font_is_installed() -> None:
    import warnings

    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from bot.features.stats.chart import chart_labels, cjk_font, stats_chart

    s = _chart_stats()
    if not _system_cjk_fonts():
        assert cjk_font() is None and chart_labels(s, "zh_Hans").title.startswith("Applicants")
        pytest.skip("no CJK font installed (fonts-noto-cjk adds one): the chart is labelled in English")
    font = cjk_font()
    assert font is not None, "fontconfig lists a CJK font, but the chart does not find it"
    labels = chart_labels(s, "zh_Hans")
    assert labels.title == "申报人 10 名；已完成问答 8 名"  # the words of /stats: 问答, never 访谈
    assert labels.verdict_title == "按结论（已完成问答）" and labels.readiness_title == "材料准备进度（已勾选比例）"
    assert labels.verdicts == [("可以申报", 5), ("满足条件后可以申报", 3)]
    face = FT2Font(font_manager.findfont(font_manager.FontProperties(family=font), fallback_to_default=False))
    words = labels.title + labels.verdict_title + labels.readiness_title + "".join(n for n, _ in labels.verdicts)
    assert all(face.get_char_index(ord(c)) for c in words if not c.isspace())  # every glyph is in the font
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for boxes
        png = stats_chart(s)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_a_cjk_font_installed_after_matplotlib_built_its_cache_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is built once; fonts-noto-cjk installed later is not in it. The chart reads the
    system's font files itself when the cache names no CJK font."""
    from matplotlib import font_manager

    from bot.features.stats import chart

    if not _system_cjk_fonts():
        pytest.skip("no CJK font installed (fonts-noto-cjk adds one)")
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in chart.CJK_FONTS and "CJK" not in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # as if cached before the fonts came
    chart.cjk_font.cache_clear()
    try:
        assert chart._known(font_manager) is None
        assert chart.cjk_font() in chart.CJK_FONTS
        assert any(f.name == chart.cjk_font() for f in font_manager.fontManager.ttflist)
    finally:
        chart.cjk_font.cache_clear()
