"""An applicant's whole journey through the real PTB Application, offline, on SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conversations.clock import Clock, parse_moment
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.support import buttons as callbacks

USER = 4242
# A 副高级 applicant in a Xinjiang unit, title from another province, in 访惠聚 (六（一）).
ANSWERS = [
    ("employment", "in_service"),
    ("unit_type", "xinjiang"),
    ("sanction", "no"),
    ("misconduct", "none"),
    ("current_title", "other_province"),
    ("direct_recognition", "no"),
    ("submission_status", "no"),
    ("level", "associate_senior"),
    ("meets_conditions", "confirmed"),
    ("evaluated_before", "before"),
    ("specialty_change", "same"),
    ("grassroots_service", "fhj_serving"),
    ("education_verifiable", "yes"),
    ("awards", "no"),
    ("publications", "representative"),
]


async def answer_all(bot: BotUnderTest, answers: list[tuple[str, str]]) -> None:
    for question, option in answers:
        data = callbacks.answer(question, option)
        assert data in [d for _, d in bot.buttons(USER)], f"{data} not offered"
        await bot.press(USER, data)


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


async def test_start_greets_names_the_notice_and_asks_the_first_question(chat_bot: BotUnderTest) -> None:
    calls = await chat_bot.text(USER, "/start")
    joined = "\n".join(texts(calls))
    assert "新色集函〔2021〕121号" in joined
    assert "2021年10月20日" in joined and "2021年10月30日前" in joined
    assert "第1题，共" in joined
    labels = [label for label, _ in chat_bot.buttons(USER)]
    assert "在职专业技术人员" in labels and "重新开始" in labels


async def test_a_full_interview_ends_with_the_checklist_and_its_document(tmp_path: Path) -> None:
    chat_bot = await start_bot(tmp_path / "z.sqlite3", clock=Clock(parse_moment("2021-10-08T10:00:00+08:00")))
    try:
        await _full_interview_ends_with_the_checklist_and_its_document(chat_bot)
    finally:
        await stop_bot(chat_bot)


async def test_after_the_online_deadline_the_outcome_never_says_you_may_apply(tmp_path: Path) -> None:
    bot = await start_bot(tmp_path / "z.sqlite3", clock=Clock(parse_moment("2021-10-21T10:00:00+08:00")))
    try:
        await bot.text(USER, "/start")
        await answer_all(bot, ANSWERS)
        sent = "\n".join(texts(bot.api.calls))
        assert "结论：符合申报条件，但2021年度网上申报已于2021年10月20日截止" in sent
        assert "可以申报" not in sent and "纸质材料须于2021年10月30日前报送" in sent
    finally:
        await stop_bot(bot)


async def _full_interview_ends_with_the_checklist_and_its_document(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    await answer_all(chat_bot, ANSWERS)
    sent = "\n".join(texts(chat_bot.api.calls))
    assert "结论：可以申报" in sent
    assert "（依据：二（二））" in sent
    # 六（一）: exempt from the 2021 specialty certificate and from the defence; 附件3 one copy.
    assert "免除事项" in sent
    assert "《继续教育免试审批表》（附件3）一份" in sent
    # 六（一） waives only the on-site defence: the defence stays, to be confirmed with the office (七（五）).
    assert "答辩：可免除现场答辩，请向联系人确认" in sent
    assert "副高级答辩：另行通知" in sent
    docs = chat_bot.api.sent("sendDocument")
    assert len(docs) == 1
    html = next(iter(docs[0].files.values())).decode("utf-8")
    assert "<!DOCTYPE html>" in html and "外省职称证书、任职资格文件和评审表" in html
    assert "已准备 0/" in sent


async def test_ticking_an_item_updates_the_count_and_the_document(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    await answer_all(chat_bot, ANSWERS)
    tick = callbacks.toggle("work_summary")
    calls = await chat_bot.press(USER, tick, chat_bot.last_keyboard_message(USER))
    toasts = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert toasts and str(toasts[0]).startswith("已准备 1/")
    assert rows(chat_bot.db_path, "SELECT item_id FROM ticks WHERE user_id = ?", USER) == [("work_summary",)]
    calls = await chat_bot.text(USER, "/checklist")
    assert any("已准备 1/" in t for t in texts(calls))
    await chat_bot.press(USER, callbacks.DOCUMENT)
    html = next(iter(chat_bot.api.sent("sendDocument")[-1].files.values())).decode("utf-8")
    assert 'id="item-work_summary"><span class="box">✓' in html


async def test_going_back_to_change_an_answer_keeps_the_later_answers_that_still_apply(
    chat_bot: BotUnderTest,
) -> None:
    await chat_bot.text(USER, "/start")
    await answer_all(chat_bot, ANSWERS[:9])  # now at evaluated_before
    await chat_bot.press(USER, callbacks.back("evaluated_before"))  # back to meets_conditions
    await chat_bot.press(USER, callbacks.back("meets_conditions"))  # back to level
    calls = await chat_bot.press(USER, callbacks.answer("level", "intermediate"))
    # meets_conditions still applies and stays answered: the next question is evaluated_before.
    assert any("您以前是否参加过专业技术职务任职资格评审" in t for t in texts(calls))
    stored = dict(rows(chat_bot.db_path, "SELECT question_id, option_id FROM answers WHERE user_id = ?", USER))
    assert stored["level"] == "intermediate" and stored["meets_conditions"] == "confirmed"


async def test_a_restart_of_the_application_resumes_at_the_same_question(tmp_path: Path) -> None:
    db = tmp_path / "z.sqlite3"
    bot = await start_bot(db)
    await bot.text(USER, "/start")
    await answer_all(bot, ANSWERS[:7])
    await stop_bot(bot)

    bot = await start_bot(db, updates=bot.updates)
    try:
        calls = await bot.text(USER, "随便说说")
        joined = "\n".join(texts(calls))
        assert "请点击问题下方的按钮作答" in joined
        assert "第8题" in joined and "您拟申报哪一级别" in joined
        await bot.press(USER, callbacks.answer("level", "junior"))
        stored = dict(rows(db, "SELECT question_id, option_id FROM answers WHERE user_id = ?", USER))
        assert stored["level"] == "junior" and stored["employment"] == "in_service"
    finally:
        await stop_bot(bot)


async def test_delete_me_leaves_no_row_of_the_user(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    await answer_all(chat_bot, ANSWERS)
    await chat_bot.press(USER, callbacks.toggle("work_summary"), chat_bot.last_keyboard_message(USER))
    await chat_bot.text(USER + 1, "/start")  # another user stays
    await chat_bot.text(USER, "/delete_me")
    calls = await chat_bot.press(USER, callbacks.DELETE_YES)
    assert any("全部数据已删除" in t for t in texts(calls))
    for table in ("users", "interviews", "answers", "ticks"):
        assert rows(chat_bot.db_path, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", USER) == [(0,)], table
    assert rows(chat_bot.db_path, "SELECT COUNT(*) FROM users WHERE user_id = ?", USER + 1) == [(1,)]


async def test_a_double_tap_does_not_advance_twice(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    first = chat_bot.last_keyboard_message(USER)
    await chat_bot.press(USER, callbacks.answer("employment", "in_service"), first)
    calls = await chat_bot.press(USER, callbacks.answer("employment", "in_service"), first)
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == ["已记录"]
    assert not [c for c in calls if c.method == "sendMessage"]
    stored = rows(chat_bot.db_path, "SELECT current_question FROM interviews WHERE user_id = ?", USER)
    assert stored == [("unit_type",)]


async def test_a_forged_button_gets_expired_and_the_current_question(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    calls = await chat_bot.press(USER, "a:level:full_senior")
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == ["此按钮已过期"]
    assert any("第1题" in t for t in texts(calls))
    stored = rows(chat_bot.db_path, "SELECT COUNT(*) FROM answers WHERE user_id = ?", USER)
    assert stored == [(0,)]


async def test_in_a_group_the_bot_only_points_to_its_private_chat(chat_bot: BotUnderTest) -> None:
    calls = await chat_bot.text(USER, "/start", chat_type="supergroup")
    sent = texts(calls)
    assert len(sent) == 1 and "私聊" in sent[0] and "t.me/zhicheng_test_bot" in sent[0]
    assert rows(chat_bot.db_path, "SELECT COUNT(*) FROM users") == [(0,)]


async def test_commands_are_registered_in_chinese_and_english(chat_bot: BotUnderTest) -> None:
    registered = chat_bot.api.sent("setMyCommands")
    by_language = {c.params.get("language_code"): c.params["commands"] for c in registered}
    assert set(by_language) == {None, "zh", "en"}
    names = [c["command"] for c in by_language["en"]]
    assert names == [
        "start",
        "checklist",
        "deadlines",
        "reminders",
        "restart",
        "help",
        "lang",
        "myunit",
        "privacy",
        "delete_me",
    ]
    assert by_language["zh"][0]["description"] == "开始或继续问答"
    assert by_language["en"][0]["description"] == "Start or continue the questions"


async def test_lang_switches_the_interface_to_english(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/lang")
    calls = await chat_bot.press(USER, callbacks.lang("en"))
    assert any("The interface language is now English." in t for t in texts(calls))
    calls = await chat_bot.text(USER, "/start")
    assert any("Question 1 of" in t for t in texts(calls))


async def test_a_deletion_confirmed_after_ten_minutes_has_expired_and_deletes_nothing(
    chat_bot: BotUnderTest,
) -> None:
    await chat_bot.text(USER, "/start")
    await chat_bot.text(USER, "/delete_me")
    with sqlite3.connect(chat_bot.db_path) as conn:
        conn.execute("UPDATE users SET delete_requested_at = '2020-01-01T00:00:00+00:00' WHERE user_id = ?", (USER,))
    calls = await chat_bot.press(USER, callbacks.DELETE_YES)
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == ["此按钮已过期"]
    assert rows(chat_bot.db_path, "SELECT COUNT(*) FROM users WHERE user_id = ?", USER) == [(1,)]


async def test_a_stranger_asking_to_delete_is_told_nothing_is_stored_and_stays_unstored(
    chat_bot: BotUnderTest,
) -> None:
    calls = await chat_bot.text(USER, "/delete_me")
    assert texts(calls) == ["本助手未保存您的任何数据。"]
    await chat_bot.send(chat_bot.updates.sticker(USER))
    assert rows(chat_bot.db_path, "SELECT COUNT(*) FROM users") == [(0,)]
