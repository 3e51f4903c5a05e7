"""A typed description in the chat, through the real Application: shown as understood (我理解为：…) with
✅ 确认 and ✏️ 修改, nothing saved before ✅, then only the questions still open; contradictions asked about;
a description that also asks; the pending reading kept across a restart; double and stale taps; /case
reading a description and storing nothing; bad input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.features.case.handlers import CaseAmend, CaseConfirm, CaseKeep, CaseTake
from bot.features.questions.handlers import Amend, Confirm, Keep, Take
from conversations.clock import Clock, parse_moment
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.chat.test_interview_end_to_end import USER, answer_all
from tests.support.offline import Call

CONTACT = 9001
NOW = "2021-10-13T10:00:00+08:00"
DESCRIPTION = "本人系区属国企在职专业技术人员，没有受过处分，拟申报高级工程师"
READ = {"employment": "in_service", "unit_type": "xinjiang", "sanction": "no", "level": "associate_senior"}


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def stored(bot: BotUnderTest, user: int = USER) -> dict[str, str]:
    return {
        str(q): str(o)
        for q, o in rows(bot.db_path, "SELECT question_id, option_id FROM answers WHERE user_id = ?", user)
    }


def current(bot: BotUnderTest, user: int = USER) -> object:
    found = rows(bot.db_path, "SELECT current_question FROM interviews WHERE user_id = ?", user)
    return found[0][0] if found else None


def all_buttons(calls: list[Call]) -> list[tuple[str, str]]:
    """(label, data) of every inline button in the calls' messages."""
    out: list[tuple[str, str]] = []
    for c in calls:
        markup = c.params.get("reply_markup")
        if markup is None:
            continue
        if isinstance(markup, str):
            markup = json.loads(markup)
        out += [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]
    return out


def with_prefix(calls: list[Call], prefix: str) -> list[str]:
    return [data for _, data in all_buttons(calls) if data.startswith(prefix + ":")]


def message_of(bot: BotUnderTest, user: int, data: str) -> dict[str, object]:
    """The newest message in the chat carrying a button with this data."""
    for (chat, _), msg in sorted(bot.api.messages.items(), key=lambda kv: kv[0][1], reverse=True):
        markup = msg.get("reply_markup")
        if chat != user or not markup:
            continue
        markup = json.loads(markup) if isinstance(markup, str) else markup
        if any(b["callback_data"] == data for row in markup["inline_keyboard"] for b in row):
            return msg
    raise AssertionError(f"no message with {data}")


async def press(bot: BotUnderTest, user: int, data: str) -> list[Call]:
    return await bot.press(user, data, message_of(bot, user, data))


def toast(calls: list[Call]) -> str:
    return " ".join(str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery")


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    b = await start_bot(
        tmp_path / "z.sqlite3", settings={"contact_ids": frozenset({CONTACT})}, clock=Clock(parse_moment(NOW))
    )
    try:
        yield b
    finally:
        await stop_bot(b)


async def test_a_description_is_shown_as_understood_and_nothing_is_saved_before_confirming(bot: BotUnderTest) -> None:
    calls = await bot.text(USER, DESCRIPTION)
    shown = "\n".join(texts(calls))
    assert "我理解为：" in shown and "副高级" in shown and "区属" not in shown.split("我理解为：")[0]
    assert "✅ 确认" in [label for label, _ in all_buttons(calls)]
    assert "✏️ 修改" in [label for label, _ in all_buttons(calls)]
    assert stored(bot) == {} and current(bot) is None
    [confirm] = with_prefix(calls, Confirm.prefix)
    calls = await press(bot, USER, confirm)
    assert stored(bot) == READ
    shown = "\n".join(texts(calls))
    assert "已保存" in shown and "拟申报 副高级" in shown.replace("：", " ")
    # only the questions still open, in the interview's order: the first one not answered is misconduct
    assert current(bot) == "misconduct"
    assert "第" in shown and "弄虚作假" in shown


async def test_the_interview_then_skips_what_the_description_answered(bot: BotUnderTest) -> None:
    calls = await bot.text(USER, DESCRIPTION)
    await press(bot, USER, with_prefix(calls, Confirm.prefix)[0])
    await answer_all(
        bot,
        [
            ("misconduct", "none"),
            ("current_title", "xinjiang"),
            ("direct_recognition", "no"),
            ("submission_status", "no"),
        ],
    )
    assert current(bot) == "meets_conditions"  # the level was given by the description: not asked again
    assert stored(bot)["level"] == "associate_senior"


async def test_change_answers_the_questions_with_the_buttons_instead_and_saves_nothing(bot: BotUnderTest) -> None:
    calls = await bot.text(USER, DESCRIPTION)
    [amend] = with_prefix(calls, Amend.prefix)
    calls = await press(bot, USER, amend)
    assert stored(bot) == {}
    shown = "\n".join(texts(calls))
    assert "未采用以上内容" in shown and "第1题" in shown
    assert current(bot) == "employment"
    await answer_all(bot, [("employment", "in_service")])
    assert stored(bot) == {"employment": "in_service"}


async def test_the_pending_reading_survives_a_restart_between_the_description_and_confirming(tmp_path: Path) -> None:
    db = tmp_path / "z.sqlite3"
    first = await start_bot(db, clock=Clock(parse_moment(NOW)))
    calls = await first.text(USER, DESCRIPTION)
    [confirm] = with_prefix(calls, Confirm.prefix)
    origin = message_of(first, USER, confirm)
    await stop_bot(first)
    assert stored(first) == {}
    second = await start_bot(db, api=first.api, updates=first.updates, clock=Clock(parse_moment(NOW)))
    try:
        await second.press(USER, confirm, origin)
        assert stored(second) == READ
        assert current(second) == "misconduct"
    finally:
        await stop_bot(second)


async def test_a_double_tap_on_confirm_saves_once_and_says_so(bot: BotUnderTest) -> None:
    calls = await bot.text(USER, DESCRIPTION)
    [confirm] = with_prefix(calls, Confirm.prefix)
    origin = message_of(bot, USER, confirm)
    await bot.press(USER, confirm, origin)
    again = await bot.press(USER, confirm, origin)
    assert "已处理或已失效" in toast(again)
    assert stored(bot) == READ
    assert rows(bot.db_path, "SELECT COUNT(*) FROM answers WHERE user_id = ?", USER) == [(len(READ),)]


async def test_a_stale_confirm_of_a_replaced_reading_changes_nothing(bot: BotUnderTest) -> None:
    older = with_prefix(await bot.text(USER, "我是援疆的，援派期两年"), Confirm.prefix)[0]
    older_message = message_of(bot, USER, older)
    newer = with_prefix(await bot.text(USER, DESCRIPTION), Confirm.prefix)[0]
    assert older != newer
    calls = await bot.press(USER, older, older_message)
    assert "已处理或已失效" in toast(calls) and "未作任何更改" in "\n".join(texts(calls))
    assert stored(bot) == {}
    await press(bot, USER, newer)  # the newer reading is still open
    assert stored(bot) == READ


async def test_a_contradiction_with_an_earlier_answer_asks_which_one_holds_and_never_overwrites(
    bot: BotUnderTest,
) -> None:
    await bot.text(USER, "/start")
    await answer_all(bot, [("employment", "in_service"), ("unit_type", "xinjiang")])
    calls = await bot.text(USER, "我是援疆的，援派期两年")
    shown = "\n".join(texts(calls))
    assert "以哪一个为准" in shown
    await press(bot, USER, with_prefix(calls, Confirm.prefix)[0])
    assert stored(bot)["unit_type"] == "xinjiang"  # not overwritten by confirming the reading
    keep = [d for _, d in bot.buttons(USER) if d.startswith(Keep.prefix + ":")]
    take = [d for _, d in bot.buttons(USER) if d.startswith(Take.prefix + ":")]
    assert len(keep) == len(take) == 1
    await bot.press(USER, keep[0])
    assert stored(bot)["unit_type"] == "xinjiang"  # the earlier answer holds


async def test_taking_the_descriptions_answer_replaces_the_earlier_one(bot: BotUnderTest) -> None:
    await bot.text(USER, "/start")
    await answer_all(bot, [("employment", "in_service"), ("unit_type", "xinjiang")])
    calls = await bot.text(USER, "我是援疆的，援派期两年")
    await press(bot, USER, with_prefix(calls, Confirm.prefix)[0])
    take = [d for _, d in bot.buttons(USER) if d.startswith(Take.prefix + ":")]
    calls = await bot.press(USER, take[0])
    answers = stored(bot)
    assert answers["unit_type"] == "aid_xinjiang" and answers["aid_term"] == "over_one_year_serving"
    assert "已保存" in "\n".join(texts(calls))
    assert current(bot) == "sanction"  # aid_term was answered by the description: the next open one


async def test_a_message_that_describes_and_asks_gets_both_and_the_answer_again_once_confirmed(
    bot: BotUnderTest,
) -> None:
    calls = await bot.text(USER, "我是初级职称，今年想报中级，评审表交几份")
    shown = texts(calls)
    assert "我理解为：" in shown[0]
    assert any("一式二份" in text for text in shown[1:])  # the answer follows the reading
    calls = await press(bot, USER, with_prefix(calls, Confirm.prefix)[0])
    assert stored(bot) == {"level": "intermediate"}
    assert "已保存" in "\n".join(texts(calls))


async def test_a_contact_persons_case_reads_a_description_and_stores_nothing(bot: BotUnderTest) -> None:
    await bot.text(CONTACT, "/case")
    calls = await bot.text(CONTACT, "我们单位有个援疆的工程师，援派期两年，想报高工，要交什么")
    shown = "\n".join(texts(calls))
    assert "我理解为：" in shown and "用于本案" in shown
    [confirm] = with_prefix(calls, CaseConfirm.prefix)
    calls = await press(bot, CONTACT, confirm)
    shown = "\n".join(texts(calls))
    assert "已用于本案" in shown and "第1题" in shown  # the case goes on with its first open question
    assert rows(bot.db_path, "SELECT COUNT(*) FROM answers") == [(0,)]
    assert rows(bot.db_path, "SELECT COUNT(*) FROM interviews WHERE user_id = ? AND started", CONTACT) == [(0,)]
    draft = rows(bot.db_path, "SELECT awaiting, awaiting_data FROM users WHERE user_id = ?", CONTACT)
    assert draft[0][0] == "case" and "aid_xinjiang" in str(draft[0][1])


async def test_a_case_description_can_be_changed_and_contradictions_are_asked(bot: BotUnderTest) -> None:
    await bot.text(CONTACT, "/case")
    calls = await bot.text(CONTACT, "我们单位有个援疆的工程师，援派期两年")
    await press(bot, CONTACT, with_prefix(calls, CaseConfirm.prefix)[0])
    calls = await bot.text(CONTACT, "他其实是区属企业的")
    [amend] = with_prefix(calls, CaseAmend.prefix)
    [confirm] = with_prefix(calls, CaseConfirm.prefix)
    origin = message_of(bot, CONTACT, amend)
    calls = await press(bot, CONTACT, confirm)
    keep = [d for _, d in all_buttons(calls) if d.startswith(CaseKeep.prefix + ":")]
    take = [d for _, d in all_buttons(calls) if d.startswith(CaseTake.prefix + ":")]
    assert keep and take and "以哪一个为准" in "\n".join(texts(calls))
    await press(bot, CONTACT, take[0])
    draft = rows(bot.db_path, "SELECT awaiting_data FROM users WHERE user_id = ?", CONTACT)
    assert '"unit_type": "xinjiang"' in str(draft[0][0])
    calls = await bot.press(CONTACT, amend, origin)
    assert "已处理或已失效" in toast(calls)  # the reading was confirmed: its ✏️ is no longer open


async def test_a_question_typed_in_the_middle_of_a_case_is_answered_and_the_case_goes_on(bot: BotUnderTest) -> None:
    await bot.text(CONTACT, "/case")
    shown = "\n".join(texts(await bot.text(CONTACT, "纸质材料什么时候交")))
    assert "2021年10月30日前" in shown and "第1题" in shown
    assert rows(bot.db_path, "SELECT awaiting FROM users WHERE user_id = ?", CONTACT) == [("case",)]


async def test_a_contact_persons_description_outside_a_case_is_pointed_to_case(bot: BotUnderTest) -> None:
    shown = "\n".join(texts(await bot.text(CONTACT, "我们单位有个援疆的工程师，援派期两年，想报高工，要交什么")))
    assert "/case" in shown and "我理解为" not in shown
    assert rows(bot.db_path, "SELECT COUNT(*) FROM answers") == [(0,)]


# ---------------------------------------------------------------- bad input


async def test_emoji_digits_and_another_language_get_a_clear_reply_and_the_way_back(bot: BotUnderTest) -> None:
    for text in ["👍👍🙏", "13800138000"]:  # outside the interview: what can be read
        shown = "\n".join(texts(await bot.text(USER, text)))
        assert "没有可以读懂的文字" in shown and "中文" in shown, text
    await bot.text(USER, "/start")
    for text in ["👍👍🙏", "13800138000"]:  # in the interview: taken as an answer typed, the buttons' hint
        shown = "\n".join(texts(await bot.text(USER, text)))
        assert "请点击问题下方的按钮作答" in shown and "第1题" in shown, text
    for text in ["how many copies of the form?", "رەھمەت"]:  # another language: Chinese, or the office
        shown = "\n".join(texts(await bot.text(USER, text)))
        assert "只能读懂中文提问" in shown and "0991" in shown and "第1题" in shown, text
    assert stored(bot) == {}


async def test_mixed_uyghur_and_chinese_is_answered(bot: BotUnderTest) -> None:
    shown = "\n".join(texts(await bot.text(USER, "Yaxshimusiz 请问这次评审的联系人是哪位老师？rehmet")))
    assert "张媛" in shown


async def test_a_sticker_gets_the_way_back(bot: BotUnderTest) -> None:
    await bot.text(USER, "/start")
    shown = "\n".join(texts(await bot.send(bot.updates.sticker(USER))))
    assert "按钮" in shown and "第1题" in shown


async def test_a_very_long_message_is_read_from_its_start_within_telegrams_limits(bot: BotUnderTest) -> None:
    text = ("我是援疆的工程师，援派期两年，想报高工。" + "我们矿上的情况比较复杂，" * 400)[:4000]
    calls = await bot.text(USER, text)
    shown = texts(calls)
    assert shown and all(len(t) <= 4096 for t in shown)
    assert "只读取了这段话的前1000个字" in "\n".join(shown)
    assert stored(bot) == {}


async def test_a_file_while_a_reading_awaits_confirming_is_asked_to_wait(bot: BotUnderTest) -> None:
    await bot.text(USER, DESCRIPTION)
    shown = "\n".join(texts(await bot.document(USER, "scan.jpg", b"\xff\xd8\xff")))
    assert "请先点击上面的" in shown
    assert stored(bot) == {}
    confirm = [d for _, d in bot.buttons(USER) if d.startswith(Confirm.prefix + ":")]
    await bot.press(USER, confirm[0])
    assert stored(bot) == READ


async def test_unanswered_speaks_of_the_lexicon_not_a_faq_section(bot: BotUnderTest) -> None:
    await bot.text(USER, "评审费多少钱？")
    shown = "\n".join(texts(await bot.text(CONTACT, "/unanswered")))
    assert "词表" in shown and "faq" not in shown.lower()
