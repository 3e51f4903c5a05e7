"""Several notices: an interview follows the notice stored with it; a newer notice is offered, never
imposed; a notice that is gone leaves the answers unread and intact; every fixture notice runs through
the chat service."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from bot.chat.actions import Send, expanded
from bot.chat.buttons import Answer
from bot.chat.events import ButtonPressed, Command
from bot.chat.service import ChatService
from bot.features import REGISTRY
from bot.features.notices.handlers import StartNotice
from bot.store.storage import Storage
from conversations.clock import Clock, parse_moment
from conversations.interview import interview_for
from knowledge import Notice, load_notice, notice_files
from tests.chat.conftest import start_bot, stop_bot, texts
from tests.chat.test_interview_end_to_end import ANSWERS, USER, answer_all
from tests.conftest import FIXTURES_DIR
from tests.support import buttons as callbacks
from tests.support.offline import Call, UpdateFactory

OTHER_USER = 5151
SECOND = FIXTURES_DIR / "notices" / "2022-test-notice.yaml"
IN_2021 = "2021-10-13T10:00:00+08:00"
IN_2022 = "2022-09-01T10:00:00+08:00"


def buttons_in(calls: list[Call]) -> list[tuple[str, str]]:
    found = []
    for call in calls:
        markup = call.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            found += [(b["text"], b["callback_data"]) for b in row]
    return found


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def first() -> Notice:
    return load_notice(notice_files()[0])


@pytest.fixture(scope="module")
def second() -> Notice:
    return load_notice(SECOND)


async def _finished_2021_applicant(db: Path) -> tuple[list[tuple[object, ...]], UpdateFactory]:
    bot = await start_bot(db, clock=Clock(parse_moment(IN_2021)))
    try:
        await bot.text(USER, "/start")
        await answer_all(bot, ANSWERS)
        await bot.press(USER, callbacks.toggle("work_summary"), bot.last_keyboard_message(USER))
    finally:
        await stop_bot(bot)
    stored = rows(db, "SELECT question_id, option_id FROM answers WHERE user_id = ? ORDER BY 1", USER)
    return stored, bot.updates


async def test_a_new_notice_leaves_the_2021_interview_intact_tells_which_notice_and_offers_the_new_one(
    tmp_path: Path, first: Notice, second: Notice
) -> None:
    db = tmp_path / "z.sqlite3"
    answers, updates = await _finished_2021_applicant(db)
    bot = await start_bot(
        db, updates=updates, clock=Clock(parse_moment(IN_2022)), notice=second, notices=[first, second]
    )
    try:
        calls = await bot.text(USER, "/start")
        shown = "\n".join(texts(calls))
        assert "新色集函〔2021〕121号" in shown and "测职函〔2022〕7号" in shown
        assert "原样保存" in shown
        offer = StartNotice(second.id).pack()
        assert ("按现行通知开始问答", offer) in buttons_in(calls)
        assert rows(db, "SELECT notice_id FROM interviews WHERE user_id = ?", USER) == [(first.id,)]
        assert rows(db, "SELECT question_id, option_id FROM answers WHERE user_id = ? ORDER BY 1", USER) == answers
        assert rows(db, "SELECT item_id FROM ticks WHERE user_id = ?", USER) == [("work_summary",)]
        checklist = "\n".join(texts(await bot.text(USER, "/checklist")))
        assert "☑" in checklist  # still the 2021 checklist with its tick

        shown = "\n".join(texts(await bot.text(OTHER_USER, "/start")))  # a newcomer gets the new notice
        assert "测职函〔2022〕7号" in shown and "新色集函〔2021〕121号" not in shown
        assert rows(db, "SELECT notice_id FROM interviews WHERE user_id = ?", OTHER_USER) == [(second.id,)]

        shown = "\n".join(texts(await bot.press(USER, offer)))
        assert "第2题" in shown and "您拟申报哪一级别" in shown  # the identity question reads the same: carried
        assert rows(db, "SELECT notice_id FROM interviews WHERE user_id = ?", USER) == [(second.id,)]
        assert rows(db, "SELECT question_id, option_id FROM answers WHERE user_id = ?", USER) == [
            ("employment", "in_service")
        ]
        assert rows(db, "SELECT COUNT(*) FROM ticks WHERE user_id = ?", USER) == [(0,)]  # no such item any more
        calls = await bot.press(USER, offer)  # a second tap: already started
        assert any(c.method == "answerCallbackQuery" and "已过期" in str(c.params.get("text")) for c in calls)
    finally:
        await stop_bot(bot)


async def test_answers_under_a_notice_that_is_gone_are_never_read_under_another(tmp_path: Path, second: Notice) -> None:
    db = tmp_path / "z.sqlite3"
    answers, updates = await _finished_2021_applicant(db)
    bot = await start_bot(db, updates=updates, clock=Clock(parse_moment(IN_2022)), notice=second, notices=[second])
    try:
        for text in ("/start", "/checklist", "/deadlines", "我退休了能报吗"):
            shown = "\n".join(texts(await bot.text(USER, text)))
            assert "2021-xinjiang-nonferrous" in shown and "不再提供" in shown, text
        calls = await bot.press(USER, callbacks.answer("level", "junior"))
        assert "不再提供" in "\n".join(texts(calls))
        privacy = "\n".join(texts(await bot.text(USER, "/privacy")))
        assert privacy.strip()
        assert rows(db, "SELECT question_id, option_id FROM answers WHERE user_id = ? ORDER BY 1", USER) == answers
        shown = "\n".join(texts(await bot.press(USER, StartNotice(second.id).pack())))
        assert "第1题" in shown
        assert rows(db, "SELECT notice_id FROM interviews WHERE user_id = ?", USER) == [(second.id,)]
    finally:
        await stop_bot(bot)


def _fixture_notices() -> list[Path]:
    return [*notice_files(), *sorted((FIXTURES_DIR / "notices").glob("*.yaml"))]


@pytest.mark.parametrize("path", _fixture_notices(), ids=lambda p: p.stem)
async def test_every_notice_runs_through_the_chat_service_on_random_paths(tmp_path: Path, path: Path) -> None:
    notice = load_notice(path)
    interview = interview_for(notice)
    storage = await Storage(tmp_path / "z.sqlite3").open()
    rng = random.Random(path.stem)
    try:
        service = ChatService(storage, notice, REGISTRY, clock=Clock(parse_moment(IN_2021)))
        for user in range(1, 41):
            actions = expanded(await service.handle(Command(user, user, name="start")) or [])
            answers: dict[str, str] = {}
            for _ in range(60):
                question = interview.position(answers).question
                if question is None:
                    break
                option = rng.choice(question.options)
                answers[question.id] = option.id
                event = ButtonPressed(user, user, button=Answer(question.id, option.id))
                actions = expanded(await service.handle(event) or [])
                assert actions, f"{notice.id}: no reply to {question.id}={option.id}"
            assert interview.position(answers).question is None
            assert any(isinstance(a, Send) and "<b>" in a.text for a in actions)
            for command in ("checklist", "deadlines", "privacy"):
                assert expanded(await service.handle(Command(user, user, name=command)) or [])
    finally:
        await storage.close()
