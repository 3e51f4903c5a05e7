"""The contact person's screens (issue 18) through the real PTB Application, the outbox sender and
the offline Bot API on a real SQLite file: one count of failures in the progress message, the
report, /broadcasts, /stats and its CSV; /broadcasts showing text, audience and recipients; the
wizard's hint describing its buttons; stale buttons answered per role; /deadlines for those turned
away."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat.buttons import parse
from bot.features.broadcast import wizard
from bot.features.broadcast.audiences import FILTERS
from bot.features.units import queries as units
from conversations.clock import Clock
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.chat.test_contact_persons import CONTACT, population, rows, sender, tap, toasts, write_text
from tests.support import buttons as callbacks
from tests.support.applicants import NOTICE, Seeded, path, seed
from tests.support.offline import OfflineBotAPI

NOW = dt.datetime(2021, 10, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
BLOCKED = 101  # blocked the bot before the broadcasts: a 403 at the first message
LOST = 102  # Telegram no longer knows the chat: 400 chat not found


class Office(OfflineBotAPI):
    def answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> tuple[bool, Any]:
        if str(params.get("chat_id")) == str(LOST) and method == "sendMessage":
            return False, "Bad Request: chat not found"
        return super().answer(method, params, files)


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    bot = await start_bot(
        tmp_path / "office.sqlite3",
        api=Office(blocked={BLOCKED}),
        contact_ids=frozenset({CONTACT}),
        clock=Clock(NOW),
        sender_interval=0,
    )
    people = population()
    await bot.app.bot_data.chat.storage.atomically(lambda db: seed(db, people))
    bot.extra["people"] = people
    try:
        yield bot
    finally:
        await stop_bot(bot)


def reachable(bot: BotUnderTest) -> list[Seeded]:
    return [p for p in bot.extra["people"] if not p.unreachable]


async def broadcast_now(bot: BotUnderTest, text: str) -> None:
    await bot.text(CONTACT, "/broadcast")
    await bot.text(CONTACT, text)
    await tap(bot, CONTACT, "下一步")
    await tap(bot, CONTACT, "确认发送")


# --- one count of failures ----------------------------------------------------------------------


async def test_a_blocked_recipient_is_failed_as_blocked_in_the_report_the_list_stats_and_the_csv(
    office: BotUnderTest,
) -> None:
    """Two broadcasts to everyone: the blocked chat's 403 on the first cancels its queued row of the
    second, which is never tried; both count it as 失败 (已屏蔽), the lost chat as 失败 (无法送达)."""
    await broadcast_now(office, "第一次通知")
    await broadcast_now(office, "第二次通知")
    progress = dict(rows(office, "SELECT id, progress_message FROM broadcasts"))
    office.api.clear()
    await sender(office).tick()

    recipients = len(reachable(office))
    assert rows(office, "SELECT status, last_error FROM outbox WHERE ref = '2' AND chat_id = ?", BLOCKED) == [
        ("cancelled", "unreachable")
    ]  # cancelled when the chat was found blocked, never tried
    assert not [
        c for c in office.api.calls if c.params.get("chat_id") == BLOCKED and c.params.get("text") == "第二次通知"
    ]
    figures = f"已发送 {recipients - 2} / 失败 2 / 待发 0"
    breakdown = "失败：已屏蔽本助手 1，无法送达 1（Telegram拒收，或多次重试后仍未送达）。"
    reports = [str(c.params["text"]) for c in office.api.sent("sendMessage") if c.params["chat_id"] == CONTACT]
    assert len(reports) == 2
    for number, report in enumerate(reports, start=1):
        assert report == (
            f"<b>广播 #{number} 发送完毕</b>\n接收人 {recipients} 名；已发送 {recipients - 2}，失败 2。\n" + breakdown
        )
        final = str(office.api.messages[(CONTACT, progress[number])]["text"])
        assert figures in final and breakdown in final

    listing = texts(await office.text(CONTACT, "/broadcasts"))[0]
    assert listing.count(figures) == 2 and listing.count(breakdown) == 2

    calls = await office.text(CONTACT, "/stats")
    text = texts(calls)[0]
    assert (
        f"<b>广播消息</b> 已发送 {2 * (recipients - 2)}，失败 4（已屏蔽本助手 2，无法送达 2），待发 0，已撤回 0" in text
    )
    assert "<b>广播报告</b> 已发送 2，失败 0" in text
    assert "无法送达（已屏蔽本助手）：3" in text  # the two blocked before, and the chat found blocked now
    [document] = [c for c in calls if c.method == "sendDocument"]
    table = list(csv.reader(io.StringIO(next(iter(document.files.values())).decode("utf-8-sig"))))
    by_outcome = {row[1]: int(row[2]) for row in table if row[0] == "广播消息"}
    assert by_outcome == {
        "已发送": 2 * (recipients - 2),
        "失败（已屏蔽本助手）": 2,
        "失败（无法送达）": 2,
        "待发": 0,
        "已撤回": 0,
    }
    assert ["无法送达（已屏蔽本助手）", "", "3"] in table


# --- /broadcasts --------------------------------------------------------------------------------


async def test_broadcasts_shows_each_ones_text_audience_and_a_scheduled_ones_recipients_counted_now(
    office: BotUnderTest,
) -> None:
    long_text = "a < b & c：" + "请核对材料" * 20
    await office.text(CONTACT, "/broadcast")
    await office.text(CONTACT, long_text)
    await tap(office, CONTACT, "中级")
    await tap(office, CONTACT, "下一步")
    await tap(office, CONTACT, "定时发送")
    await office.text(CONTACT, "2021-10-20 10:00")
    await office.text(CONTACT, "/broadcast")
    await office.send(
        office.updates.message(CONTACT, document={"file_id": "f1", "file_unique_id": "u1", "file_name": "答辩安排.pdf"})
    )
    await tap(office, CONTACT, "副高级")
    await tap(office, CONTACT, "下一步")
    await tap(office, CONTACT, "确认发送")

    intermediate = sum(1 for p in reachable(office) if p.answers.get("level") == "intermediate")
    listing = texts(await office.text(CONTACT, "/broadcasts"))[0]
    scheduled = listing[listing.index("<b>#1</b>") :]
    assert scheduled.startswith(
        "<b>#1</b> · 待发送 · 2021年10月20日 10:00\n"
        f"接收人（按现在计）{intermediate} 名（发送时重新计算）\n接收人：级别（中级）\n"
    )
    shown = long_text[:59].replace("&", "&amp;").replace("<", "&lt;") + "…"
    assert f"消息：{shown}" in scheduled  # the start of the text, escaped
    assert "待发 0" not in scheduled
    copied = listing[listing.index("<b>#2</b>") : listing.index("<b>#1</b>")]
    assert "接收人：级别（副高级）" in copied and "消息：（消息副本：文件、图片或转发的消息）" in copied

    await office.app.bot_data.chat.storage.atomically(  # a new intermediate applicant finishes the questions
        lambda db: seed(db, [Seeded(150, path("intermediate", "eligible", 3))])
    )
    listing = texts(await office.text(CONTACT, "/broadcasts"))[0]
    assert f"接收人（按现在计）{intermediate + 1} 名" in listing


# --- the wizard's hint and its buttons ------------------------------------------------------------


def groups_shown(bot: BotUnderTest) -> tuple[list[str], list[str]]:
    """(the groups the hint names, in order; the groups of the buttons, in order)."""
    msg = bot.last_keyboard_message(CONTACT)
    assert msg is not None
    hint = [line[2:].split("：")[0] for line in str(msg["text"]).splitlines() if line.startswith("• ")]
    titles = {"n": "通知", "l": "级别", "v": "结论", "u": "单位", "p": "进度"}
    keys: list[str] = []
    for _, data in bot.buttons(CONTACT):
        button = parse(data)
        if isinstance(button, wizard.Filter) and (not keys or keys[-1] != button.key):
            keys.append(button.key)
    return hint, [titles[k] for k in keys]


async def test_the_wizards_hint_names_the_groups_of_buttons_it_shows_in_their_order(office: BotUnderTest) -> None:
    assert {f.key for f in FILTERS} == {"n", "l", "v", "u", "p"}
    await write_text(office)
    hint, buttons = groups_shown(office)
    assert hint == buttons == ["通知", "级别", "结论", "进度"]  # no unit created yet: no group of units
    text = str(office.last_keyboard_message(CONTACT)["text"])  # type: ignore[index]
    assert "行" not in text  # the buttons of one group may wrap onto several rows: the hint speaks of groups
    assert "• 进度：只能选一项" in text and "• 级别：可多选，满足其一即可" in text
    await tap(office, CONTACT, "有未勾选的材料")
    calls = await tap(office, CONTACT, "未完成问答")  # one at most, as the hint says
    assert "接收人：进度（未完成问答）" in texts(calls)[-1]
    assert [label for label, _ in office.buttons(CONTACT) if "☑" in label] == ["☑ 未完成问答"]

    with sqlite3.connect(office.db_path) as conn:
        units.unit_or_new(conn, "新疆某有色金属公司", CONTACT, NOW)
    await tap(office, CONTACT, "取消")
    await write_text(office)
    hint, buttons = groups_shown(office)
    assert hint == buttons == ["通知", "级别", "结论", "单位", "进度"]


# --- stale buttons, by role ---------------------------------------------------------------------


async def test_a_stale_button_points_each_role_to_its_own_commands(office: BotUnderTest) -> None:
    with sqlite3.connect(office.db_path) as conn:  # 8001 took an invitation: HR of 甲单位
        unit, _ = units.unit_or_new(conn, "甲单位", CONTACT, NOW)
        invitation, _ = units.create_invitation(conn, unit.id, CONTACT, NOW)
        assert units.use_invitation(conn, invitation, 8001, 8001, NOW)
    stale = "x:gone:1"
    contact = texts(await office.press(CONTACT, stale))
    assert "/broadcast" in contact[0] and "/stats" in contact[0] and "/start" not in contact[0]
    hr_calls = await office.press(8001, stale)
    assert toasts(hr_calls) == ["此按钮已过期"]
    assert texts(hr_calls) == [
        "您是单位人事联系人：请发送 /unit 查看本单位申报人、单位职责和附件，或发送 /case 查询具体情形下通知的规定。"
    ]
    applicant = texts(await office.press(200, stale))
    assert applicant == ["请发送 /start 开始问答。"]
    finished = texts(await office.press(111, stale))  # a seeded applicant who finished
    assert "/checklist" in finished[0] and "/unit" not in finished[0]


# --- /deadlines for someone turned away ---------------------------------------------------------


async def test_a_retired_users_deadlines_say_why_none_apply(office: BotUnderTest) -> None:
    await office.text(300, "/start")
    await office.press(300, callbacks.answer("employment", "retired"))
    text = texts(await office.text(300, "/deadlines"))[0]
    assert text.startswith(f"<b>申报期限</b>\n根据您的回答，{NOTICE.info.number}中的申报期限对您不适用，原因如下：\n")
    assert "• 离退休人员不得申报参加职称评审。（依据：二（二））" in text
    assert "/restart" in text and NOTICE.contacts.phones[0] in text
    assert not re.search(r"\n\s*\n\s*\n", text)  # no header above blank lines
    assert "还有" not in text and "截止" not in text
