"""Next year's notice in the chat (issue 20), through the real Application on the worked example
(examples/notices/2022-…): the offer says what changes for the applicant and only that; pressing
it carries the answers and the ticks of unchanged items over and asks only what is new, in the
interview's order; nothing changes before the press; a double tap and a stale button do nothing;
/notices shows the contact persons the diff with the stored applicants each change concerns."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat.buttons import Answer
from bot.chat.service import ChatService
from bot.features.notices import changes as notice_changes
from bot.features.notices import office
from bot.features.notices.handlers import StartNotice
from bot.features.notices.moving import diff_of
from bot.store.summaries import version_of
from conversations.carry_over import carry_over
from conversations.clock import Clock, parse_moment
from conversations.interview import interview_for
from knowledge import Notice, load_notice
from knowledge.notice_diff import Change
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.conftest import FIXTURES_DIR, NOTICE_YAML, REPO_DIR, TESTS_DIR
from tests.support import buttons as callbacks
from tests.support.offline import Call, UpdateFactory
from tests.support.yamlfast import safe_load

EXAMPLE = REPO_DIR / "examples" / "notices" / "2022-xinjiang-nonferrous-example.yaml"
OTHER_2022 = FIXTURES_DIR / "notices" / "2022-test-notice.yaml"
IN_2021 = "2021-10-13T10:00:00+08:00"
IN_2022 = "2022-09-01T10:00:00+08:00"  # the example's applications are open, 2021's long closed

SENIOR, JUNIOR, RETIREE, CONTACT, STRANGER = 7001, 7002, 7003, 7100, 7200
PERSONAS = {SENIOR: "13", JUNIOR: "18", RETIREE: "01"}
TICKED = {SENIOR: ("work_summary", "paper_evaluation_form", "scans_as_jpg"), JUNIOR: ("work_summary",)}


def persona(number: str) -> dict[str, str]:
    path = next((TESTS_DIR / "personas").glob(f"{number}-*.yaml"))
    answers: dict[str, str] = safe_load(path.read_text(encoding="utf-8"))["answers"]
    return answers


@pytest.fixture(scope="module")
def old() -> Notice:
    return load_notice(NOTICE_YAML)


@pytest.fixture(scope="module")
def new() -> Notice:
    return load_notice(EXAMPLE)


def rows(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def stored(db: Path, user: int) -> tuple[str, dict[str, str], set[str]]:
    [(notice_id,)] = rows(db, "SELECT notice_id FROM interviews WHERE user_id = ?", user)
    answers = dict(rows(db, "SELECT question_id, option_id FROM answers WHERE user_id = ?", user))
    ticks = {item for (item,) in rows(db, "SELECT item_id FROM ticks WHERE user_id = ?", user)}
    return notice_id, answers, ticks


def _labels(call: Call) -> list[tuple[str, str]]:
    """(label, callback data) of the buttons a call shows."""
    markup = call.params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b["callback_data"]) for row in (markup or {}).get("inline_keyboard", []) for b in row]


def asked_questions(calls: list[Call]) -> list[str]:
    """The questions whose answer buttons the calls show, in order."""
    found: list[str] = []
    for call in calls:
        for _, data in _labels(call):
            parsed = callbacks.parse(data)
            if isinstance(parsed, Answer) and parsed.question not in found:
                found.append(parsed.question)
    return found


async def answer_as(
    bot: BotUnderTest, user: int, answers: dict[str, str], notice: Notice, given: dict[str, str] | None = None
) -> list[str]:
    """Answer the interview's questions from `answers`, as the bot asks them; the ids asked."""
    interview = interview_for(notice)
    given = dict(given or {})
    asked = []
    while (question := interview.position(given).question) is not None:
        data = callbacks.answer(question.id, answers[question.id])
        assert data in [d for _, d in bot.buttons(user)], f"{question.id} is not the question shown"
        await bot.press(user, data)
        given[question.id] = answers[question.id]
        asked.append(question.id)
    return asked


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, old: Notice) -> tuple[Path, UpdateFactory]:
    """Three applicants who finished under the 2021 notice, two with ticks (a database to copy)."""
    db = tmp_path_factory.mktemp("carry") / "z.sqlite3"
    updates = UpdateFactory()

    async def seed() -> None:
        bot = await start_bot(db, updates=updates, clock=Clock(parse_moment(IN_2021)), notice=old, notices=[old])
        try:
            for user, number in PERSONAS.items():
                await bot.text(user, "/start")
                await answer_as(bot, user, persona(number), old)
                for item in TICKED.get(user, ()):
                    await bot.press(user, callbacks.toggle(item))
        finally:
            await stop_bot(bot)

    asyncio.run(seed())
    assert stored(db, SENIOR)[2] == set(TICKED[SENIOR])
    return db, updates


@pytest.fixture
def db(seeded: tuple[Path, UpdateFactory], tmp_path: Path) -> Path:
    source, _ = seeded
    for path in source.parent.glob(source.name + "*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / source.name


@pytest.fixture
async def bot(db: Path, seeded: tuple[Path, UpdateFactory], old: Notice, new: Notice) -> AsyncIterator[BotUnderTest]:
    bot = await start_bot(
        db,
        updates=seeded[1],
        clock=Clock(parse_moment(IN_2022)),
        notice=new,
        notices=[old, new],
        contact_ids=frozenset({CONTACT}),
    )
    try:
        yield bot
    finally:
        await stop_bot(bot)


def offer_in(calls: list[Call]) -> str:
    """The offer of the new notice: from the notice the answers follow to the message with the button."""
    shown, started = [], False
    for call in calls:
        text = str(call.params.get("text", ""))
        started = started or "现原样保存" in text
        if started and call.method == "sendMessage":
            shown.append(text)
            if any(data.startswith("nt.") for _, data in _labels(call)):
                return "\n".join(shown)
    raise AssertionError("no offer of the new notice")


def titles(change: Change, old: Notice, new: Notice) -> set[str]:
    """The words by which the applicant would know a change: the entry's title or text, before and after."""
    found = {change.title}
    for notice, entry_id in ((old, change.old_id), (new, change.new_id)):
        for section in ("items", "notes", "questions", "rules", "deadlines"):
            for entry in getattr(notice, section):
                if entry.id == entry_id and section == change.section:
                    found.add(getattr(entry, "title", None) or getattr(entry, "text", None) or change.title)
    return found


# --- the offer ---


async def test_the_offer_names_the_changes_that_concern_the_applicant_and_only_those(
    bot: BotUnderTest, db: Path, old: Notice, new: Notice
) -> None:
    before = {user: stored(db, user) for user in PERSONAS}
    senior_calls = await bot.text(SENIOR, "/start")
    senior = offer_in(senior_calls)
    junior = offer_in(await bot.text(JUNIOR, "/start"))
    for shown in (senior, junior):
        assert "新色集函〔2021〕121号" in shown and "新色集函〔2022〕87号" in shown
        assert "网上申报截止：2021年10月20日 → 2022年10月14日" in shown
        assert "纸质材料报送：2021年10月30日前 → 2022年10月25日前" in shown
        assert "联系人：张媛、黄悠悠 → 张媛、马丽" in shown and "0991－4841266" in shown
        assert "专业科目继续教育：2021年度培训合格证书 → 专业科目继续教育：2022年度培训合格证书" in shown
        assert "新增：近1年在现工作单位的社会保险缴纳证明" in shown
        assert "在您按下按钮之前，您的回答和勾选保持不变。" in shown
    # copies as each one's checklist shows them: 副高级 二份 → 三份, 初级 一份 → 二份
    assert "《专业技术职务任职资格评审表》一式二份 → 《专业技术职务任职资格评审表》一式三份" in senior
    assert "《专业技术职务任职资格评审表》一式一份 → 《专业技术职务任职资格评审表》一式二份" in junior
    assert "一式三份" not in junior
    # the defence (答辩) concerns the 副高级 applicant only
    assert "参加副高级答辩" in senior and "现场或视频答辩方式进行”改为“答辩采取现场答辩方式进行”" in senior
    assert "答辩" not in junior
    assert "不再询问：您现在从事的专业技术工作与原职称的专业是否相符？" in senior
    to_ask = carry_over(old, new, persona(PERSONAS[SENIOR])).to_ask
    assert f"至多{len(to_ask)}题" in senior and "已勾选的材料沿用1项；因内容有改动须重新勾选2项。" in senior

    diff = diff_of(old, new)
    for user, shown in ((SENIOR, senior), (JUNIOR, junior)):
        concerned = {c.key for c in carry_over(old, new, persona(PERSONAS[user]), diff).changes}
        for change in diff.changes:
            if change.key not in concerned and change.topic != "notice":
                for words in titles(change, old, new):
                    assert words not in shown, (user, change.key, words)
    offers = [d for c in senior_calls for _, d in _labels(c) if d.startswith("nt.")]
    assert offers == [StartNotice(new.id).pack()]
    assert {user: stored(db, user) for user in PERSONAS} == before  # nothing changes before the button


# --- pressing it ---


async def test_pressing_carries_the_answers_over_and_asks_only_what_is_new_in_order(
    bot: BotUnderTest, db: Path, old: Notice, new: Notice
) -> None:
    answers = persona(PERSONAS[SENIOR])
    moved = carry_over(old, new, answers)
    await bot.text(SENIOR, "/start")
    calls = await bot.press(SENIOR, StartNotice(new.id).pack())
    shown = "\n".join(texts(calls))
    assert "以下问答依据2022年8月26日印发的新色集函〔2022〕87号" in shown
    assert f"已沿用回答{len(moved.answers)}项、材料勾选1项。" in shown
    position = interview_for(new).position(moved.answers)
    assert position.question is not None and position.question.id == moved.to_ask[0] == "sanction"
    assert f"第{position.number}题" in shown and asked_questions(calls) == ["sanction"]  # the first not carried
    notice_id, carried, ticks = stored(db, SENIOR)
    assert notice_id == new.id and carried == moved.answers and ticks == {"work_summary"}

    asked = await answer_as(bot, SENIOR, answers, new, given=moved.answers)
    assert ["sanction", *asked[1:]] == list(moved.to_ask) == ["sanction", "submission_status", "grassroots_service"]
    outcome = "\n".join(texts(bot.api.calls[-12:]))
    assert "2022年10月14日" in outcome and "一式三份" in outcome
    notice_id, final, _ = stored(db, SENIOR)
    assert final == {**moved.answers, **{q: answers[q] for q in moved.to_ask}}
    assert "specialty_change" not in final  # the question is gone with 六（三）
    summary = rows(
        db,
        "SELECT notice_id, version, finished, verdict, level, items, ticked FROM applicant_summaries WHERE user_id = ?",
        SENIOR,
    )
    [(summary_notice, version, finished, verdict, level, items, ticked)] = summary
    assert (summary_notice, version, finished, verdict, level) == (
        new.id,
        version_of(new),
        1,
        "eligible",
        "associate_senior",
    )
    assert items > 20 and ticked == 1


async def test_a_dropped_answer_is_asked_again_in_the_new_words(
    bot: BotUnderTest, db: Path, old: Notice, new: Notice
) -> None:
    answers = persona(PERSONAS[JUNIOR])
    await bot.text(JUNIOR, "/start")
    await bot.press(JUNIOR, StartNotice(new.id).pack())
    _, carried, _ = stored(db, JUNIOR)
    assert not {"grassroots_service", "submission_status", "sanction"} & set(carried)  # changed, or this year's
    seen: list[str] = []
    interview = interview_for(new)
    given = dict(carried)
    while (question := interview.position(given).question) is not None:
        seen.append("\n".join(texts(bot.api.calls[-3:])))
        await bot.press(JUNIOR, callbacks.answer(question.id, answers[question.id]))
        given[question.id] = answers[question.id]
    grassroots = next(text for text in seen if "访惠聚" in text)
    assert "2022年度，您是否参加“访惠聚”驻村" in grassroots and "2021年度，您是否" not in grassroots
    assert stored(db, JUNIOR)[1]["grassroots_service"] == answers["grassroots_service"]


async def test_ticks_carry_over_where_the_item_is_unchanged(
    bot: BotUnderTest, db: Path, old: Notice, new: Notice
) -> None:
    answers = persona(PERSONAS[SENIOR])
    await bot.text(SENIOR, "/start")
    moved = carry_over(old, new, answers)
    await bot.press(SENIOR, StartNotice(new.id).pack())
    await answer_as(bot, SENIOR, answers, new, given=moved.answers)
    # work_summary is the same item; 评审表 now 一式三份 and scans_as_jpg became scans_as_pdf: ticked anew
    assert stored(db, SENIOR)[2] == {"work_summary"}
    calls = await bot.text(SENIOR, "/checklist")
    ticked = [label for call in calls for label, _ in _labels(call) if label.startswith("☑")]
    assert len(ticked) == 1
    assert "已准备 1/" in "\n".join(texts(calls))


async def test_a_double_tap_does_nothing_twice(bot: BotUnderTest, db: Path, new: Notice) -> None:
    await bot.text(SENIOR, "/start")
    first = await bot.press(SENIOR, StartNotice(new.id).pack())
    after_first = stored(db, SENIOR)
    second = await bot.press(SENIOR, StartNotice(new.id).pack())
    assert any(c.method == "answerCallbackQuery" and "已过期" in str(c.params.get("text")) for c in second)
    assert "已沿用回答" in "\n".join(texts(first)) and "已沿用回答" not in "\n".join(texts(second))
    assert stored(db, SENIOR) == after_first


async def test_a_stale_button_after_the_notice_changed_again_does_nothing(
    db: Path, seeded: tuple[Path, UpdateFactory], old: Notice, new: Notice
) -> None:
    bot = await start_bot(db, updates=seeded[1], clock=Clock(parse_moment(IN_2022)), notice=new, notices=[old, new])
    try:
        await bot.text(SENIOR, "/start")
        offer = bot.last_keyboard_message(SENIOR)
    finally:
        await stop_bot(bot)
    before = stored(db, SENIOR)
    other = load_notice(OTHER_2022)  # the office switched again, to another notice
    bot = await start_bot(db, updates=seeded[1], clock=Clock(parse_moment(IN_2022)), notice=other, notices=[old, other])
    try:
        calls = await bot.press(SENIOR, StartNotice(new.id).pack(), offer)
        assert any(c.method == "answerCallbackQuery" and "已过期" in str(c.params.get("text")) for c in calls)
        assert "已沿用回答" not in "\n".join(texts(calls))
        assert stored(db, SENIOR) == before
        calls = await bot.text(SENIOR, "/start")
        shown = offer_in(calls)
        assert "测职函〔2022〕7号" in shown and "新色集函〔2022〕87号" not in shown
        assert [d for c in calls for _, d in _labels(c) if d.startswith("nt.")] == [StartNotice(other.id).pack()]
    finally:
        await stop_bot(bot)


async def test_when_nothing_is_left_to_ask_the_outcome_under_the_new_notice_follows(
    bot: BotUnderTest, db: Path, new: Notice
) -> None:
    offer = offer_in(await bot.text(RETIREE, "/start"))
    assert "无须再回答问题" in offer
    calls = await bot.press(RETIREE, StartNotice(new.id).pack())
    shown = "\n".join(texts(calls))
    assert "无须再回答问题，以下是按新通知得出的结果。" in shown and "不能申报" in shown
    assert not asked_questions(calls)
    assert rows(db, "SELECT notice_id, finished, verdict FROM applicant_summaries WHERE user_id = ?", RETIREE) == [
        (new.id, 1, "ineligible")
    ]


# --- /notices for contact persons ---


async def test_notices_shows_contact_persons_the_diff_with_the_applicants_each_change_concerns(
    bot: BotUnderTest, db: Path, old: Notice, new: Notice, monkeypatch: pytest.MonkeyPatch
) -> None:
    worked_out: list[int] = []
    inside: list[int] = []
    real_carry_over = notice_changes.carry_over

    def counting(*args: Any, **kwargs: Any) -> Any:
        worked_out.append(1)
        return real_carry_over(*args, **kwargs)

    real_handle_in = ChatService._handle_in

    def in_transaction(self: ChatService, connection: sqlite3.Connection, event: Any) -> Any:
        before = len(worked_out)
        result = real_handle_in(self, connection, event)
        inside.append(len(worked_out) - before)
        return result

    monkeypatch.setattr(notice_changes, "carry_over", counting)
    monkeypatch.setattr(ChatService, "_handle_in", in_transaction)
    calls = await bot.text(CONTACT, "/notices")
    assert inside == [0] and len(worked_out) == len(PERSONAS)  # worked out after the transaction, once each
    shown = "\n".join(texts(calls))
    assert "已载入的通知：2份" in shown and "新的问答按此通知进行" in shown
    assert f"新色集函〔2022〕87号与新色集函〔2021〕121号相比：共{len(diff_of(old, new).changes)}项变化" in shown
    assert f"按新色集函〔2021〕121号保存的申请人：{len(PERSONAS)}人" in shown
    assert "可以申报：副高级1人、初级1人" in shown and "不能申报：未选级别1人" in shown
    assert "涉及已保存的申请人1人" in shown  # the defence: the 副高级 applicant only
    assert "<code>zhicheng-bot broadcast --notice 2021-xinjiang-nonferrous" in "\n".join(
        str(c.params.get("text")) for c in calls
    )
    assert all(len(text) <= 4096 for text in texts(calls))

    [document] = [c for c in calls if c.method == "sendDocument"]
    table = list(csv.DictReader(io.StringIO(next(iter(document.files.values())).decode("utf-8-sig"))))
    totals = {r["change"]: int(r["applicants"]) for r in table if not r["verdict"]}
    # the same counts as `zhicheng-bot knowledge diff --db` works out from the answers alone
    found = notice_changes.reach(diff_of(old, new), old, new, notice_changes.stored_applicants(db, old.id))
    assert totals == {c.key: sum(found.of(c).values()) for c in diff_of(old, new).changes}
    assert totals["items.defence"] == 1 and totals["contacts.contacts"] == len(PERSONAS)
    defence = next(r for r in table if r["change"] == "items.defence" and not r["verdict"])
    assert defence["broadcast"] == (
        "zhicheng-bot broadcast --notice 2021-xinjiang-nonferrous --verdict eligible "
        "--level associate_senior --text-file MSG.html"
    )
    assert rows(db, "SELECT action, actor_id FROM audit_log") == [("notices.view", CONTACT)]


async def test_notices_is_for_contact_persons_only(bot: BotUnderTest, db: Path) -> None:
    for user in (STRANGER, SENIOR):
        calls = await bot.text(user, "/notices")
        assert [(c.method, c.params.get("text")) for c in calls] == [("sendMessage", "无权限。")]
    assert rows(db, "SELECT COUNT(*) FROM audit_log") == [(0,)]


async def test_a_long_comparison_comes_as_messages_and_a_text_document(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(office, "MAX_MESSAGES", 1)
    calls = await bot.text(CONTACT, "/notices")
    shown = texts(calls)
    assert len(shown) == 3  # the overview, the first message of the comparison, the pointer to the document
    assert "全文见下方文本文件" in shown[-1]
    documents = {name: content for c in calls if c.method == "sendDocument" for name, content in c.files.items()}
    text = next(content for name, content in documents.items() if name.endswith(".txt")).decode("utf-8")
    assert "参加副高级答辩" in text and "<b>" not in text and "受众及广播命令" in text
    assert any(name.endswith(".csv") for name in documents)


async def test_with_one_notice_loaded_there_is_nothing_to_compare(
    db: Path, seeded: tuple[Path, UpdateFactory], old: Notice
) -> None:
    bot = await start_bot(
        db,
        updates=seeded[1],
        clock=Clock(parse_moment(IN_2021)),
        notice=old,
        notices=[old],
        contact_ids=frozenset({CONTACT}),
    )
    try:
        calls = await bot.text(CONTACT, "/notices")
        shown = "\n".join(texts(calls))
        assert "已载入的通知：1份" in shown and "只载入了一份通知" in shown
        assert f"按此通知保存的申请人：{len(PERSONAS)}人" in shown
        assert not [c for c in calls if c.method == "sendDocument"]
    finally:
        await stop_bot(bot)


# --- any pair of notices ---


def _notice_files() -> list[Path]:
    return [NOTICE_YAML, EXAMPLE, OTHER_2022]


@pytest.mark.parametrize("old_path", _notice_files(), ids=lambda p: p.stem)
@pytest.mark.parametrize("new_path", _notice_files(), ids=lambda p: p.stem)
def test_any_pair_of_notices_is_worded_within_telegrams_limits(old_path: Path, new_path: Path) -> None:
    """Whatever the next notice changes, the offer and /notices render (both languages) in messages
    of at most 4,096 characters, and an applicant's lines are among the changes that concern them."""
    from bot.chat.texts import message
    from bot.features.notices.moving import plan
    from bot.features.notices.wording import sections
    from conversations.render import SPLIT, pack

    old_notice, new_notice = load_notice(old_path), load_notice(new_path)
    found = notice_changes.reach_groups(diff_of(old_notice, new_notice), old_notice, new_notice, [])
    for locale in ("zh_Hans", "en"):
        chunks, table = office.diff_messages(old_notice, new_notice, found, locale)
        assert chunks and all(0 < len(c) <= 4096 for c in chunks) and table.startswith("\ufeff".encode())
    rng = random.Random(f"{old_path.stem}-{new_path.stem}")
    interview = interview_for(old_notice)
    for _ in range(40):  # random paths through the old interview, finished or not
        answers: dict[str, str] = {}
        while (question := interview.position(answers).question) is not None and rng.random() > 0.03:
            answers[question.id] = rng.choice(question.options).id
        move = plan(old_notice, new_notice, answers, {i.id for i in old_notice.items}, "zh_Hans")
        concerned = {c.key for c in move.carried.changes}
        assert {line.key for line in move.lines} <= concerned
        text = message(
            "notice_newer",
            "zh_Hans",
            notice=old_notice,
            newer=new_notice,
            move=move,
            sections=sections(list(move.lines)),
        )
        assert all(len(c) <= 4096 for c in pack(text.split(SPLIT)))
        assert move.ticks <= {i.id for i in new_notice.items}


def test_a_rule_whose_verdict_changed_is_named_in_the_offices_words() -> None:
    from bot.chat.texts import _environment
    from bot.features.notices.wording import for_office, sections
    from knowledge.notice_diff import FieldChange

    old_notice = load_notice(NOTICE_YAML)
    rule = old_notice.rules[0]
    change = Change(
        "eligibility",
        "changed",
        "rules",
        rule.id,
        rule.id,
        "某项规定",
        rule.ref,
        fields=(FieldChange("verdict", "eligible", "ineligible"), FieldChange("when", "a", "b")),
    )
    line = for_office(change, old_notice, old_notice, "zh_Hans")
    template = _environment("zh_Hans").from_string('{% import "notice_lines.tg" as c %}{{ c.sections(s) }}')
    shown = template.render(s=sections([line]))
    assert "某项规定" in shown and "适用范围有改动" in shown
    assert "结论：可以申报 → 不能申报" in shown
