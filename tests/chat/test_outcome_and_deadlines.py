"""Through the real PTB Application: what a turned-away applicant sees, choosing another level,
/deadlines with its calendar file, and turning reminders off and on."""

from __future__ import annotations

import sqlite3

import icalendar

from tests.chat.conftest import BotUnderTest, texts
from tests.chat.test_interview_end_to_end import ANSWERS, USER, answer_all
from tests.support import buttons as callbacks


async def test_a_retiree_sees_the_reason_and_contacts_but_no_checklist_or_checklist_button(
    chat_bot: BotUnderTest,
) -> None:
    await chat_bot.text(USER, "/start")
    calls = await chat_bot.press(USER, callbacks.answer("employment", "retired"))
    sent = "\n".join(texts(calls))
    assert "结论：不能申报" in sent and "离退休人员不得申报参加职称评审" in sent and "0991－4841923" in sent
    assert "材料清单" not in sent and "0/0" not in sent and "承诺书" not in sent
    assert callbacks.DOCUMENT not in [d for _, d in chat_bot.buttons(USER)]


async def test_not_meeting_the_conditions_offers_another_level_and_asks_the_level_again(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    await answer_all(chat_bot, ANSWERS[:7])  # up to the level question
    await chat_bot.press(USER, callbacks.answer("level", "associate_senior"))
    calls = await chat_bot.press(USER, callbacks.answer("meets_conditions", "not_met"))
    assert "结论：不能申报所选级别" in "\n".join(texts(calls))
    assert ("改选级别", callbacks.RETRY) in chat_bot.buttons(USER)
    calls = await chat_bot.press(USER, callbacks.RETRY)
    assert any("您拟申报哪一级别" in t for t in texts(calls))
    await chat_bot.press(USER, callbacks.answer("level", "intermediate"))
    calls = await chat_bot.press(USER, callbacks.answer("meets_conditions", "confirmed"))
    assert any("您以前是否参加过专业技术职务任职资格评审" in t for t in texts(calls))


async def test_deadlines_give_the_season_and_a_calendar_file_with_the_applicants_dates(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    await answer_all(chat_bot, ANSWERS)
    calls = await chat_bot.text(USER, "/deadlines")
    sent = "\n".join(texts(calls))
    assert "2021年度申报已结束" in sent  # this machine's clock is past the season
    assert "网上申报截止：2021年10月20日（星期三）" in sent and "单位内部公示最迟开始" in sent
    await chat_bot.press(USER, callbacks.CALENDAR)
    [doc] = chat_bot.api.sent("sendDocument")[-1:]
    calendar = icalendar.Calendar.from_ical(next(iter(doc.files.values())))
    assert {str(e["summary"]).split("：")[0] for e in calendar.walk("VEVENT")} >= {"网上申报截止", "纸质材料报送"}


async def test_reminders_can_be_turned_off_and_on_and_the_choice_is_stored(chat_bot: BotUnderTest) -> None:
    await chat_bot.text(USER, "/start")
    await answer_all(chat_bot, ANSWERS)
    calls = await chat_bot.text(USER, "/reminders")
    assert any("提醒已开启" in t for t in texts(calls))
    await chat_bot.press(USER, callbacks.REMINDERS_OFF)
    with sqlite3.connect(chat_bot.db_path) as conn:
        assert conn.execute("SELECT enabled FROM reminder_settings WHERE user_id = ?", (USER,)).fetchone() == (0,)
    await chat_bot.press(USER, callbacks.REMINDERS_ON)
    with sqlite3.connect(chat_bot.db_path) as conn:
        assert conn.execute("SELECT enabled FROM reminder_settings WHERE user_id = ?", (USER,)).fetchone() == (1,)


async def test_the_sender_delivers_a_due_reminder_with_its_buttons_through_the_application(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conversations.clock import Clock, parse_moment
    from tests.chat.conftest import start_bot, stop_bot

    bot = await start_bot(tmp_path / "z.sqlite3", clock=Clock(parse_moment("2021-10-17T10:00:30+08:00")))
    try:
        await bot.text(USER, "/start")
        await answer_all(bot, ANSWERS)
        before = len(bot.api.calls)
        await bot.app.bot_data.sender.tick()
        sent = [c for c in bot.api.calls[before:] if c.method == "sendMessage"]
        assert len(sent) == 1 and sent[0].params["chat_id"] == USER
        assert "提醒：网上申报截止" in sent[0].params["text"] and "还有3天" in sent[0].params["text"]
        buttons = [
            (b["text"], b["callback_data"]) for row in sent[0].params["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert buttons == [("📋 我的材料清单", callbacks.CHECKLIST), ("🔕 关闭提醒", callbacks.REMINDERS_OFF)]
        await bot.app.bot_data.sender.tick()  # nothing twice
        assert not [c for c in bot.api.calls[before + 1 :] if c.method == "sendMessage"]
    finally:
        await stop_bot(bot)


async def test_the_reminders_say_the_configured_time_and_the_calendar_alarms_use_it(tmp_path) -> None:
    import datetime as dt

    from conversations.clock import Clock, parse_moment
    from tests.chat.conftest import start_bot, stop_bot

    bot = await start_bot(
        tmp_path / "z.sqlite3",
        settings={"reminder_time": dt.time(8, 30)},
        clock=Clock(parse_moment("2021-10-01T09:00:00+08:00")),
    )
    try:
        await bot.text(USER, "/start")
        await answer_all(bot, ANSWERS)
        shown = "\n".join(texts(await bot.text(USER, "/reminders")))
        assert "08:30" in shown and "10:00" not in shown
        await bot.text(USER, "/deadlines")
        calls = await bot.press(USER, callbacks.CALENDAR)
        documents = [c for c in calls if c.method == "sendDocument"]
        content = next(iter(documents[0].files.values()))
        calendar = icalendar.Calendar.from_ical(content if isinstance(content, bytes) else content[1])
        alarms = [a for a in calendar.walk("VALARM")]
        assert alarms
        assert {a.decoded("trigger").seconds for a in alarms} == {8 * 3600 + 30 * 60}  # 08:30 on each day
    finally:
        await stop_bot(bot)
