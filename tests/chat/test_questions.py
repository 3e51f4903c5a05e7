"""Typed questions in the chat: answered from the notice with the clause, the interview's place kept,
alternatives as buttons, honest "not covered" with the contacts, unanswered questions recorded without
the user for the contact persons."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.features.questions.handlers import BackToQuestion, Entry
from conversations.clock import Clock, parse_moment
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.chat.test_interview_end_to_end import ANSWERS, USER, answer_all

CONTACT = 9001


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    b = await start_bot(
        tmp_path / "z.sqlite3",
        settings={"contact_ids": frozenset({CONTACT})},
        clock=Clock(parse_moment("2021-10-13T10:00:00+08:00")),
    )
    try:
        yield b
    finally:
        await stop_bot(b)


async def test_a_deadline_question_before_the_interview_gets_the_date_the_clause_and_todays_state(
    bot: BotUnderTest,
) -> None:
    shown = "\n".join(texts(await bot.text(USER, "网上申报什么时候截止")))
    assert "2021年10月20日" in shown
    assert "依据" in shown  # the clause is cited
    assert "今天是2021年10月13日，距截止还有7天" in shown  # today's state of the deadline
    assert rows(bot.db_path, "SELECT COUNT(*) FROM unanswered_questions") == [(0,)]


async def test_a_question_during_the_interview_is_answered_and_the_place_is_kept(bot: BotUnderTest) -> None:
    await bot.text(USER, "/start")
    await answer_all(bot, ANSWERS[:3])
    before = rows(bot.db_path, "SELECT current_question FROM interviews WHERE user_id = ?", USER)
    shown = "\n".join(texts(await bot.text(USER, "我退休了还能报吗")))
    assert "退休" in shown and "依据" in shown
    assert ("回到问题", BackToQuestion().pack()) in bot.buttons(USER)
    assert rows(bot.db_path, "SELECT current_question FROM interviews WHERE user_id = ?", USER) == before
    shown = "\n".join(texts(await bot.press(USER, BackToQuestion().pack())))
    assert "第4题" in shown
    await answer_all(bot, ANSWERS[3:4])  # the interview goes on where it was
    stored = dict(rows(bot.db_path, "SELECT question_id, option_id FROM answers WHERE user_id = ?", USER))
    assert stored == dict(ANSWERS[:4])


async def test_a_statement_typed_during_the_interview_is_taken_as_an_answer_and_gets_the_buttons_hint(
    bot: BotUnderTest,
) -> None:
    await bot.text(USER, "/start")
    shown = "\n".join(texts(await bot.text(USER, "我是工程师")))
    assert "请点击问题下方的按钮作答" in shown and "第1题" in shown


async def test_a_question_the_notice_does_not_answer_says_so_gives_the_contacts_and_is_recorded_without_the_user(
    bot: BotUnderTest,
) -> None:
    shown = "\n".join(texts(await bot.text(USER, "评审费多少钱？ 650102199001011234")))
    assert "本通知未涉及此问题" in shown
    assert "0991" in shown  # the office's phone numbers
    recorded = rows(bot.db_path, "SELECT * FROM unanswered_questions")
    assert len(recorded) == 1
    assert "650102199001011234" not in str(recorded) and str(USER) not in str(recorded[0][2])
    columns = [r[1] for r in rows(bot.db_path, "PRAGMA table_info(unanswered_questions)")]
    assert columns == ["id", "asked_at", "text"]


async def test_close_entries_come_as_buttons_and_pressing_one_answers_it(bot: BotUnderTest) -> None:
    await bot.text(USER, "交什么材料")
    offered = [(label, data) for label, data in bot.buttons(USER) if data.startswith(Entry.prefix + ":")]
    assert offered, "a vague question offers its close alternatives"
    _label, data = offered[0]
    shown = "\n".join(texts(await bot.press(USER, data)))
    assert shown.strip() and "依据" in shown


async def test_a_forged_question_button_is_stale_and_changes_nothing(bot: BotUnderTest) -> None:
    await bot.text(USER, "/start")
    calls = await bot.press(USER, Entry("0123456789").pack())
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answers and "已过期" in str(answers[0].params.get("text", ""))
    assert rows(bot.db_path, "SELECT COUNT(*) FROM answers") == [(0,)]


async def test_contact_persons_list_the_most_frequent_unanswered_questions_and_others_get_no_permission(
    bot: BotUnderTest,
) -> None:
    for text in ["评审费多少钱？", "評審費多少錢", "评审费 多少钱", "可以代交材料吗？"]:
        await bot.text(USER, text)
    shown = "\n".join(texts(await bot.text(USER, "/unanswered")))
    assert shown.strip() == "无权限。"
    shown = "\n".join(texts(await bot.text(CONTACT, "/unanswered")))
    assert "评审费多少钱" in shown and "3次" in shown
    assert shown.index("评审费") < shown.index("代交")
    help_text = "\n".join(texts(await bot.text(USER, "/help")))
    assert "/unanswered" not in help_text
    assert "/unanswered" in "\n".join(texts(await bot.text(CONTACT, "/help")))
