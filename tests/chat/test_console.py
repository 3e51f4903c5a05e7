"""The console chat (bot/console.py) driven in-process: typed lines in, plain text out."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.chat.buttons import Answer, Restart
from bot.chat.events import ButtonPressed, Command, Text
from bot.chat.service import ChatService
from bot.console.chat import ConsoleChat
from bot.features import REGISTRY
from bot.store.storage import Storage
from conversations.interview import interview_for
from knowledge import default_notice
from tests.chat.test_interview_end_to_end import ANSWERS
from tests.support import buttons as callbacks

NOTICE = default_notice()
INTERVIEW = interview_for(NOTICE)
USER = 7
DOCUMENT_NAME = f"{USER}/checklist-{NOTICE.id}.html"


@dataclass
class Console:
    chat: ConsoleChat
    out: io.StringIO
    db: Path
    documents: Path
    _read: int = 0

    async def say(self, line: str) -> str:
        """Type a line; return what the console printed for it."""
        await self.chat.send_line(line)
        shown = self.out.getvalue()[self._read :]
        self._read = len(self.out.getvalue())
        return shown

    def shown_choices(self, shown: str) -> dict[int, str]:
        """{number: label} of the "[n] label" choices printed in `shown`."""
        return {int(n): label.strip() for n, label in re.findall(r"\[(\d+)\] (.+?)(?=\s{3}\[|$)", shown, re.M)}

    async def choose(self, shown: str, label: str) -> str:
        numbers = [n for n, text in self.shown_choices(shown).items() if text == label]
        assert numbers, f"no choice {label!r} in:\n{shown}"
        return await self.say(str(numbers[-1]))

    def answers(self) -> dict[str, str]:
        with contextlib.closing(sqlite3.connect(self.db)) as conn:
            return dict(conn.execute("SELECT question_id, option_id FROM answers WHERE user_id = ?", (USER,)))


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    storage = await Storage(tmp_path / "z.sqlite3").open()
    out = io.StringIO()
    documents = tmp_path / "documents"
    try:
        chat = ConsoleChat(ChatService(storage, NOTICE, REGISTRY), USER, out, documents)
        yield Console(chat, out, storage.path, documents)
    finally:
        await storage.close()


def label_of(question_id: str, option_id: str) -> str:
    question = INTERVIEW.question(question_id)
    assert question is not None
    return question.option(option_id).label  # type: ignore[union-attr]


async def test_the_numbered_choices_are_the_buttons_shown_in_order(console: Console) -> None:
    shown = await console.say("/start")
    employment = INTERVIEW.question("employment")
    assert employment is not None
    expected = [callbacks.answer("employment", o.id) for o in employment.options] + [callbacks.RESTART]
    assert console.chat.choices == expected
    assert console.shown_choices(shown) == {
        **{n: o.label for n, o in enumerate(employment.options, start=1)},
        len(expected): "重新开始",
    }
    option = employment.options[1]
    assert console.chat.event_for("2") == ButtonPressed(USER, USER, None, button=Answer("employment", option.id))
    assert console.chat.event_for(f" {len(expected)} ") == ButtonPressed(USER, USER, None, button=Restart())


async def test_typing_a_number_presses_that_button_and_moves_to_the_next_question(console: Console) -> None:
    shown = await console.say("/start")
    shown = await console.choose(shown, label_of("employment", "in_service"))
    assert "〔已记录〕" in shown
    assert "您目前的身份是？" not in shown  # the question message turned into the next question
    assert "第2题" in shown and "您的工作单位属于哪一类？" in shown
    assert console.answers() == {"employment": "in_service"}
    # The second question shows ◀ Back beside Start over, after its options.
    assert list(console.shown_choices(shown).values())[-2:] == ["◀ 上一步", "重新开始"]


async def test_back_by_number_returns_to_the_previous_question_with_the_answer_marked(console: Console) -> None:
    shown = await console.say("/start")
    shown = await console.choose(shown, label_of("employment", "in_service"))
    shown = await console.choose(shown, "◀ 上一步")
    assert "第1题" in shown and "当前回答：在职专业技术人员" in shown
    assert "✓ 在职专业技术人员" in console.shown_choices(shown).values()


async def test_plain_text_gets_the_reprompt_and_the_question_again(console: Console) -> None:
    await console.say("/start")
    shown = await console.say("我是工程师")
    assert "请点击问题下方的按钮作答。" in shown
    assert "第1题" in shown and "您目前的身份是？" in shown
    assert console.chat.choices[0] == callbacks.answer("employment", "in_service")
    assert console.answers() == {}


@pytest.mark.parametrize("line", ["0", "99", "-1", "1.5", "一", "[1]", "<b>1</b>"])
async def test_a_line_that_is_not_a_number_on_screen_is_plain_text_and_gets_the_reprompt(
    console: Console, line: str
) -> None:
    await console.say("/start")
    assert isinstance(console.chat.event_for(line), Text)
    shown = await console.say(line)
    assert "请点击问题下方的按钮作答。" in shown and "第1题" in shown
    assert console.answers() == {}


async def test_a_number_after_a_message_without_buttons_is_plain_text(console: Console) -> None:
    await console.say("/start")
    shown = await console.say("/help")
    assert "/delete_me" in shown and console.chat.choices == []
    shown = await console.say("1")
    assert "请点击问题下方的按钮作答。" in shown
    assert console.answers() == {}


async def test_commands_are_typed_as_in_telegram(console: Console) -> None:
    assert console.chat.event_for("/Lang extra") == Command(USER, USER, None, name="lang", args=("extra",))
    shown = await console.say("/lang")
    shown = await console.choose(shown, "English")
    assert "The interface language is now English." in shown
    shown = await console.say("/start")
    assert "Question 1 of" in shown
    shown = await console.say("/")
    assert "How to use this bot" in shown


async def test_start_typed_right_after_the_consoles_own_welcome_does_not_show_it_twice(console: Console) -> None:
    await console.chat.welcome()
    welcome = console.out.getvalue()
    assert welcome.count("欢迎使用职称申报助手") == 1
    console._read = len(welcome)
    shown = await console.say("/start")
    assert "欢迎使用职称申报助手" not in shown and "第1题" not in shown
    assert shown.strip() == "/start 的内容就在上方：请输入编号选择，或输入其他命令。"
    shown = await console.say("1")  # the numbers of the welcome's question still work
    assert "第2题" in shown
    shown = await console.say("/start")  # typed later, /start answers as always
    assert "第2题" in shown


async def test_html_of_the_messages_is_shown_as_plain_text(console: Console) -> None:
    shown = await console.say("/start")
    assert "<b>" not in shown and "</b>" not in shown
    assert "欢迎使用职称申报助手" in shown  # the welcome itself (the console's header line says 职称申报助手 too)


async def test_a_full_path_to_the_outcome_writes_the_checklist_document_into_the_documents_folder(
    console: Console,
) -> None:
    shown = await console.say("/start")
    for question_id, option_id in ANSWERS:
        shown = await console.choose(shown, label_of(question_id, option_id))
    assert console.answers() == dict(ANSWERS)
    document = console.documents / DOCUMENT_NAME
    assert "📄 " in shown and str(document) in shown
    html = document.read_text(encoding="utf-8")
    assert "<!DOCTYPE html>" in html and "外省职称证书、任职资格文件和评审表" in html
    assert "已准备 0/" in shown
    # The checklist's numbers are choices too: ticking one by number counts it.
    shown = await console.choose(shown, "☐ 1")
    assert re.search(r"〔已准备 1/\d+〕", shown)
    assert "☑ 1" in console.shown_choices(shown).values()
    # 📄 writes the document again, with the tick.
    shown = await console.say("/checklist")
    shown = await console.choose(shown, "📄 清单文件")
    assert str(document) in shown
    assert '<span class="box">✓' in document.read_text(encoding="utf-8")


async def test_a_line_the_service_cannot_handle_gets_the_error_message_and_the_console_goes_on(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    await console.say("/start")

    async def broken(event: object) -> list[object]:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(console.chat.service, "handle", broken)
        shown = await console.say("1")
    assert "抱歉，系统处理时出现问题" in shown
    shown = await console.say("/start")
    assert "第1题" in shown


async def _at_the_outcome(console: Console) -> str:
    shown = await console.say("/start")
    for question_id, option_id in ANSWERS:
        shown = await console.choose(shown, label_of(question_id, option_id))
    return shown


async def test_a_tick_prints_its_own_line_only_and_every_number_on_screen_keeps_working(console: Console) -> None:
    outcome = await _at_the_outcome(console)
    back = [n for n, label in console.shown_choices(outcome).items() if label == "◀ 上一步"][-1]
    tick = [n for n, label in console.shown_choices(outcome).items() if label == "☐ 1"][-1]
    shown = await console.say(str(tick))
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) <= 4, shown  # the toast, the count, the item's line and its button, not 120 lines
    assert any("1. ☑" in line for line in lines)
    assert f"[{tick}] ☑ 1" in shown
    shown = await console.say(str(tick))  # the same number again: unticked
    assert f"[{tick}] ☐ 1" in shown
    document = [n for n, label in console.shown_choices(outcome).items() if label == "📄 清单文件"][-1]
    shown = await console.say(str(document))
    assert "📄 " in shown
    shown = await console.say(str(back))  # still the ◀ of the outcome, after a tick and the 📄
    assert "第" in shown and "题" in shown
    assert "请点击问题下方的按钮作答" not in shown


async def test_documents_are_written_per_user_and_deleted_with_the_users_data(console: Console) -> None:
    await _at_the_outcome(console)
    folder = console.documents / str(USER)
    assert (folder / f"checklist-{NOTICE.id}.html").is_file()
    shown = await console.say("/delete_me")
    shown = await console.choose(shown, "确认删除")
    assert not folder.exists()
    assert console.answers() == {}


def test_ctrl_c_leaves_the_console_at_once_with_a_goodbye(tmp_path: Path) -> None:
    import signal
    import time

    from tests.chat.test_kill9 import console as console_process

    with console_process(tmp_path / "z.sqlite3") as proc:
        shown = proc.until_prompt()
        assert "第1题" in shown
        started = time.monotonic()
        proc.proc.send_signal(signal.SIGINT)  # no Enter follows
        assert proc.proc.wait(timeout=30) == 0
        assert time.monotonic() - started < 8  # at once: no Enter is awaited (a loaded machine is slow)
        assert "再见" in _rest_of_output(proc)


def _rest_of_output(proc: Any) -> str:
    """What the console process printed after its last prompt, until it closed its output."""
    import queue as queue_module

    text = ""
    chunks = proc._chunks
    while True:
        try:
            chunk = chunks.get(timeout=2)
        except queue_module.Empty:
            return text
        if chunk is None:
            return text
        text += chunk.decode("utf-8", "replace")
