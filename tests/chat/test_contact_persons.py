"""The contact persons' side through the real PTB Application, offline, on a real SQLite file: the
/broadcast wizard end to end (formatted text, a copied document, a set time), cancelling at every
step, double taps, what applicants and removed contact persons get (无权限, nothing changed), the
progress message edited in place with its report, /stats on a seeded population, /audit and
/contacts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import broadcasts
from bot.delivery.sender import OutboxSender
from bot.features.broadcast import wizard
from bot.features.broadcast.audiences import FILTERS
from bot.features.contacts.handlers import RemoveContact
from conversations.clock import Clock
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.support.applicants import NOTICE, Seeded, checklist, path, seed
from tests.support.offline import Call

CONTACT = 9001  # named in the settings
OTHER_CONTACT = 9002  # added in the chat
APPLICANT = 101
NOW = dt.datetime(2021, 10, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PRIVILEGED_TABLES = ("broadcasts", "outbox", "audit_log", "contact_persons")


def population() -> list[Seeded]:
    """40 applicants: 10 intermediate eligible (ticked 0, 30, 60, 80, 100 %, twice each), 10
    associate_senior eligible, 8 junior conditional, 4 intermediate other_route, 6 unfinished,
    2 unreachable (among the intermediate eligible); user ids 101-140."""
    people: list[Seeded] = []
    shares = [0.0, 0.3, 0.6, 0.8, 1.0]
    for i in range(10):
        people.append(
            Seeded(101 + i, path("intermediate", "eligible", i), ticked_share=shares[i % 5], unreachable=i in (8, 9))
        )
    people += [Seeded(111 + i, path("associate_senior", "eligible", i)) for i in range(10)]
    people += [Seeded(121 + i, path("junior", "conditional", i)) for i in range(8)]
    people += [Seeded(129 + i, path("intermediate", "other_route", i)) for i in range(4)]
    people += [Seeded(133 + i, path("junior", "eligible", i), finished=False) for i in range(6)]
    people += [Seeded(139 + i, path("junior", "eligible", 50 + i)) for i in range(2)]
    return people


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    bot = await start_bot(
        tmp_path / "office.sqlite3", contact_ids=frozenset({CONTACT}), clock=Clock(NOW), sender_interval=0
    )
    storage = bot.app.bot_data.chat.storage
    people = population()
    await storage.atomically(lambda db: seed(db, people))
    bot.extra["people"] = people
    try:
        yield bot
    finally:
        await stop_bot(bot)


def rows(bot: BotUnderTest, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(bot.db_path) as conn:
        return conn.execute(sql, args).fetchall()


def snapshot(bot: BotUnderTest) -> dict[str, list[tuple[Any, ...]]]:
    tables = {t: rows(bot, f"SELECT * FROM {t} ORDER BY 1") for t in PRIVILEGED_TABLES}
    tables["wizards"] = rows(bot, "SELECT user_id, awaiting, awaiting_data FROM users ORDER BY 1")
    return tables


def data_of(bot: BotUnderTest, chat: int, label: str) -> str:
    """The callback data of the button whose label contains `label`, on the newest keyboard."""
    found = [d for text, d in bot.buttons(chat) if label in text]
    assert found, f"no button {label!r} in {bot.buttons(chat)}"
    return found[0]


async def tap(bot: BotUnderTest, chat: int, label: str) -> list[Call]:
    return await bot.press(chat, data_of(bot, chat, label))


def toasts(calls: list[Call]) -> list[str]:
    return [str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery"]


def markup(call: Call) -> dict[str, Any]:
    value = call.params.get("reply_markup") or {}
    return json.loads(value) if isinstance(value, str) else dict(value)


async def write_text(bot: BotUnderTest) -> list[Call]:
    """/broadcast, then a text with a bold part (as Telegram sends it: text and entities)."""
    await bot.text(CONTACT, "/broadcast")
    return await bot.send(
        bot.updates.message(
            CONTACT, "请于10月20日前完成网上申报", entities=[{"type": "bold", "offset": 2, "length": 6}]
        )
    )


def sender(bot: BotUnderTest) -> OutboxSender:
    s = bot.app.bot_data.sender
    assert isinstance(s, OutboxSender)
    return s


def expected_chats(bot: BotUnderTest, level: str | None = None) -> set[int]:
    people: list[Seeded] = bot.extra["people"]
    return {p.chat_id for p in people if not p.unreachable and (level is None or p.answers.get("level") == level)}


# --- the wizard end to end --------------------------------------------------------------------


async def test_formatted_text_goes_to_the_chosen_level_once_each_with_progress_edited_in_place(
    office: BotUnderTest,
) -> None:
    calls = await write_text(office)
    assert any("第2步" in t and "接收人：全部申报人" in t for t in texts(calls))
    calls = await tap(office, CONTACT, "中级")
    assert "接收人：级别（中级）" in texts(calls)[-1]
    expected = expected_chats(office, "intermediate")  # the unfinished ones have no level yet
    calls = await tap(office, CONTACT, "下一步")
    preview = texts(calls)
    assert f"以下消息将按原样发送给 {len(expected)} 名申报人。" in preview[0]
    assert preview[1] == "请于<b>10月20日</b>前完成网上申报"  # the message exactly as it will look
    assert f"确认将此消息发送给 {len(expected)} 名申报人？" in preview[2]
    assert rows(office, "SELECT COUNT(*) FROM broadcasts") == [(0,)]  # nothing stored before 确认

    calls = await tap(office, CONTACT, "确认发送")
    [progress] = [c for c in calls if c.method == "sendMessage"]
    assert "广播 #1" in progress.params["text"] and f"待发 {len(expected)}" in progress.params["text"]
    assert data_of(office, CONTACT, "取消广播") == wizard.CancelBroadcast(1, "p").pack()
    [(status, progress_id, chat)] = rows(office, "SELECT status, progress_message, author_chat FROM broadcasts")
    assert (status, chat) == ("scheduled", CONTACT) and progress_id is not None
    assert rows(office, "SELECT action, actor_id, recipients FROM audit_log") == [
        ("broadcast.create", CONTACT, len(expected))
    ]

    office.api.clear()
    await sender(office).tick()
    delivered = [c for c in office.api.calls if c.method == "sendMessage" and c.params["chat_id"] != CONTACT]
    assert sorted(c.params["chat_id"] for c in delivered) == sorted(expected)  # each exactly once
    assert {c.params["text"] for c in delivered} == {"请于<b>10月20日</b>前完成网上申报"}
    edits = [c for c in office.api.calls if c.method == "editMessageText"]
    assert edits and {(c.params["chat_id"], c.params["message_id"]) for c in edits} == {(CONTACT, progress_id)}
    final = office.api.messages[(CONTACT, progress_id)]
    assert "发送完毕" in final["text"] and f"已发送 {len(expected)} / 失败 0 / 待发 0" in final["text"]
    assert "reply_markup" not in final  # no 取消广播 once it has ended
    [report] = [c for c in office.api.calls if c.method == "sendMessage" and c.params["chat_id"] == CONTACT]
    assert "广播 #1 发送完毕" in report.params["text"] and f"接收人 {len(expected)} 名" in report.params["text"]
    assert rows(office, "SELECT status, progress_final FROM broadcasts") == [("done", 1)]


async def test_a_progress_message_shows_figures_while_sending_before_the_end(tmp_path: Path) -> None:
    """More recipients than one claimed batch: an edit with 待发 > 0 comes before the final one."""
    bot = await start_bot(
        tmp_path / "big.sqlite3", contact_ids=frozenset({CONTACT}), clock=Clock(NOW), sender_interval=0
    )
    try:
        people = [Seeded(1000 + i, path("intermediate", "eligible", i)) for i in range(75)]
        await bot.app.bot_data.chat.storage.atomically(lambda db: seed(db, people))
        await write_text(bot)
        await tap(bot, CONTACT, "下一步")
        await tap(bot, CONTACT, "确认发送")
        [(progress_id,)] = rows(bot, "SELECT progress_message FROM broadcasts")
        bot.api.clear()
        await sender(bot).tick()
        shown = [
            str(c.params["text"])
            for c in bot.api.calls
            if c.method == "editMessageText" and c.params["message_id"] == progress_id
        ]
        assert any("正在发送" in t and "待发 0" not in t for t in shown), shown
        assert "发送完毕" in shown[-1] and "已发送 75 / 失败 0 / 待发 0" in shown[-1]
    finally:
        await stop_bot(bot)


async def test_a_document_is_broadcast_as_a_copy_of_the_authors_message_never_forwarded(
    office: BotUnderTest,
) -> None:
    await office.text(CONTACT, "/broadcast")
    document = office.updates.message(
        CONTACT, document={"file_id": "f1", "file_unique_id": "u1", "file_name": "答辩安排.pdf"}
    )
    source = document["message"]["message_id"]
    await office.send(document)
    await tap(office, CONTACT, "副高级")
    calls = await tap(office, CONTACT, "下一步")
    [copy] = [c for c in calls if c.method == "copyMessage"]  # the preview is a copy too
    assert (copy.params["chat_id"], copy.params["from_chat_id"], copy.params["message_id"]) == (
        CONTACT,
        CONTACT,
        source,
    )
    await tap(office, CONTACT, "确认发送")
    office.api.clear()
    await sender(office).tick()
    copies = [c for c in office.api.calls if c.method == "copyMessage"]
    assert sorted(c.params["chat_id"] for c in copies) == sorted(expected_chats(office, "associate_senior"))
    assert {(c.params["from_chat_id"], c.params["message_id"]) for c in copies} == {(CONTACT, source)}
    assert not office.api.sent("forwardMessage")


async def test_a_forwarded_text_is_copied_and_a_sticker_is_refused(office: BotUnderTest) -> None:
    await office.text(CONTACT, "/broadcast")
    calls = await office.send(office.updates.sticker(CONTACT))
    assert "此类消息无法广播" in texts(calls)[0]
    assert rows(office, "SELECT awaiting FROM users WHERE user_id = ?", CONTACT) == [("broadcast",)]
    forwarded = office.updates.message(
        CONTACT, "转发的通知", forward_origin={"type": "hidden_user", "sender_user_name": "某人", "date": 1634000000}
    )
    await office.send(forwarded)
    draft = json.loads(rows(office, "SELECT awaiting_data FROM users WHERE user_id = ?", CONTACT)[0][0])
    assert draft["message"] == {"copy": [CONTACT, forwarded["message"]["message_id"]]}


async def test_a_broadcast_at_a_set_time_asks_a_future_beijing_time_and_waits_for_it(office: BotUnderTest) -> None:
    await write_text(office)
    await tap(office, CONTACT, "下一步")
    calls = await tap(office, CONTACT, "定时发送")
    assert "请输入发送时间（北京时间），例如 2021-10-13 10:00" in texts(calls)[-1]
    assert "格式" in texts(await office.text(CONTACT, "明天上午"))[0]
    assert "格式" in texts(await office.text(CONTACT, "2021-13-01 10:00"))[0]  # no such date: asked again
    calls = await office.text(CONTACT, "2021-10-12 09:59")
    assert "该时间已过（现在是2021年10月12日 10:00）" in texts(calls)[0]
    assert rows(office, "SELECT COUNT(*) FROM broadcasts") == [(0,)]
    calls = await office.text(CONTACT, "2021年10月15日 9:30")
    assert texts(calls)[0] == "已定时于2021年10月15日 09:30发送。"
    assert "定于2021年10月15日 09:30发送" in texts(calls)[1] and "取消广播" in json.dumps(
        markup(calls[1]), ensure_ascii=False
    )
    assert rows(office, "SELECT status, scheduled_at FROM broadcasts") == [("scheduled", "2021-10-15T01:30:00+00:00")]
    assert rows(office, "SELECT action FROM audit_log") == [("broadcast.schedule",)]
    office.api.clear()
    await sender(office).tick()  # not yet its time
    assert not [c for c in office.api.calls if c.method == "sendMessage"]
    sender(office).clock = Clock(dt.datetime(2021, 10, 15, 9, 30, tzinfo=NOW.tzinfo))
    await sender(office).tick()
    assert len([c for c in office.api.calls if c.method == "sendMessage" and c.params["chat_id"] != CONTACT]) == len(
        expected_chats(office)
    )


# --- cancelling and double taps -----------------------------------------------------------------


def no_broadcast_left(bot: BotUnderTest) -> None:
    assert rows(bot, "SELECT COUNT(*) FROM broadcasts") == [(0,)]
    assert rows(bot, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert rows(bot, "SELECT awaiting, awaiting_data FROM users WHERE user_id = ?", CONTACT) == [(None, None)]


@pytest.mark.parametrize("step", ["message", "audience", "preview", "time"])
async def test_cancel_at_each_step_leaves_no_broadcast_and_no_outbox_row(office: BotUnderTest, step: str) -> None:
    await office.text(CONTACT, "/broadcast")
    if step != "message":
        await office.text(CONTACT, "通知")
        await tap(office, CONTACT, "中级")
    if step in ("preview", "time"):
        await tap(office, CONTACT, "下一步")
    if step == "time":
        await tap(office, CONTACT, "定时发送")
    stale_confirm = wizard.SendNow(
        json.loads(rows(office, "SELECT awaiting_data FROM users WHERE user_id = ?", CONTACT)[0][0])["token"]
    ).pack()
    calls = await tap(office, CONTACT, "取消")
    assert "已取消，未发送任何消息。" in texts(calls)
    no_broadcast_left(office)
    calls = await office.press(CONTACT, stale_confirm)  # the wizard's old buttons do nothing now
    assert toasts(calls) == ["此按钮已过期"]
    await sender(office).tick()
    no_broadcast_left(office)
    assert not [c for c in office.api.calls if c.method == "sendMessage" and c.params["chat_id"] != CONTACT]


async def test_a_command_ends_the_wizard_without_a_broadcast(office: BotUnderTest) -> None:
    await write_text(office)
    await tap(office, CONTACT, "下一步")
    await office.text(CONTACT, "/help")
    no_broadcast_left(office)
    calls = await office.text(CONTACT, "2021-10-20 10:00")  # no longer awaited: an ordinary message
    assert not rows(office, "SELECT 1 FROM broadcasts") and "定时" not in texts(calls)[0]


async def test_a_double_tap_on_confirm_creates_one_broadcast(office: BotUnderTest) -> None:
    await write_text(office)
    await tap(office, CONTACT, "下一步")
    confirm = data_of(office, CONTACT, "确认发送")
    origin = office.last_keyboard_message(CONTACT)
    first = await office.press(CONTACT, confirm, origin)
    second = await office.press(CONTACT, confirm, origin)
    assert toasts(first) == ["已确认"] and toasts(second) == ["此按钮已过期"]
    assert rows(office, "SELECT COUNT(*) FROM broadcasts") == [(1,)]
    assert rows(office, "SELECT COUNT(*) FROM audit_log WHERE action = 'broadcast.create'") == [(1,)]


async def test_cancelling_from_the_list_withdraws_what_is_queued_and_the_progress_message_says_so(
    office: BotUnderTest,
) -> None:
    await write_text(office)
    await tap(office, CONTACT, "下一步")
    await tap(office, CONTACT, "确认发送")
    [(progress_id,)] = rows(office, "SELECT progress_message FROM broadcasts")
    storage = office.app.bot_data.chat.storage
    await broadcasts.queue_due(storage, NOW, contact_ids={CONTACT})
    queued = len(expected_chats(office))
    calls = await office.text(CONTACT, "/broadcasts")
    assert f"<b>#1</b> · 发送中 · 2021年10月12日 10:00\n已发送 0 / 失败 0 / 待发 {queued}" in texts(calls)[0]
    calls = await tap(office, CONTACT, "取消广播 #1")
    assert toasts(calls) == ["已取消广播 #1"] and "<b>#1</b> · 已取消" in texts(calls)[-1]
    assert f"已撤回 {queued}" in texts(calls)[-1]
    assert rows(office, "SELECT status FROM outbox GROUP BY status") == [("cancelled",)]
    assert rows(office, "SELECT action, detail FROM audit_log WHERE action = 'broadcast.cancel'") == [
        ("broadcast.cancel", json.dumps({"broadcast": 1, "withdrawn": queued}))
    ]
    office.api.clear()
    await sender(office).tick()
    assert not [c for c in office.api.calls if c.method == "sendMessage"]  # nothing sent, no report
    shown = office.api.messages[(CONTACT, progress_id)]
    assert "已取消" in shown["text"] and f"已撤回 {queued}" in shown["text"] and "reply_markup" not in shown
    calls = await office.press(CONTACT, wizard.CancelBroadcast(1, "p").pack())
    assert toasts(calls) == ["该广播已结束，无法取消。"]
    assert rows(office, "SELECT COUNT(*) FROM audit_log WHERE action = 'broadcast.cancel'") == [(1,)]


# --- who may do it ----------------------------------------------------------------------------


def every_privileged_button(token: str) -> list[str]:
    entry = FILTERS[1]
    return [
        wizard.Filter(token, entry.key, "junior").pack(),
        wizard.AllApplicants(token).pack(),
        wizard.ToPreview(token).pack(),
        wizard.BackToAudience(token).pack(),
        wizard.SendNow(token).pack(),
        wizard.SendLater(token).pack(),
        wizard.Quit(token).pack(),
        wizard.CancelBroadcast(1, "p").pack(),
        wizard.CancelBroadcast(1, "l").pack(),
        RemoveContact(OTHER_CONTACT).pack(),
    ]


async def test_an_applicant_gets_no_permission_for_every_privileged_command_and_forged_button(
    office: BotUnderTest,
) -> None:
    await office.text(CONTACT, f"/contacts add {OTHER_CONTACT}")
    await write_text(office)
    await tap(office, CONTACT, "下一步")
    await tap(office, CONTACT, "定时发送")
    await office.text(CONTACT, "2021-10-20 10:00")  # broadcast #1, scheduled
    await write_text(office)  # and a wizard open at the audience step
    token = json.loads(rows(office, "SELECT awaiting_data FROM users WHERE user_id = ?", CONTACT)[0][0])["token"]
    before = snapshot(office)

    for command in ("/broadcast", "/broadcasts", "/stats", "/audit", "/contacts", f"/contacts remove {CONTACT}"):
        calls = await office.text(APPLICANT, command)
        assert [(c.method, c.params.get("text")) for c in calls] == [("sendMessage", "无权限。")], command
    for data in every_privileged_button(token):  # forged: a real token, a real broadcast id
        calls = await office.press(APPLICANT, data)
        assert [(c.method, c.params.get("text"), c.params.get("show_alert")) for c in calls] == [
            ("answerCallbackQuery", "无权限", True)
        ], data
    help_text = texts(await office.text(APPLICANT, "/help"))[0]
    assert all(f"/{name}" not in help_text for name in ("broadcast", "stats", "audit", "contacts"))
    assert snapshot(office) == before


async def test_a_removed_contact_person_loses_access_on_the_next_tap(office: BotUnderTest) -> None:
    calls = await office.text(CONTACT, f"/contacts add {OTHER_CONTACT}")
    menus = [c for c in calls if c.method == "setMyCommands"]
    assert menus and all(c.params["scope"]["chat_id"] == OTHER_CONTACT for c in menus)
    assert all("broadcast" in json.dumps(c.params["commands"]) for c in menus)
    await office.text(OTHER_CONTACT, "/broadcast")
    await office.text(OTHER_CONTACT, "请核对材料")
    next_button = data_of(office, OTHER_CONTACT, "下一步")

    calls = await office.text(CONTACT, f"/contacts remove {OTHER_CONTACT}")
    assert texts(calls)[0] == f"已移除联系人 {OTHER_CONTACT}。"
    resets = [c for c in calls if c.method == "deleteMyCommands"]
    assert len(resets) == 3 and all(c.params["scope"]["chat_id"] == OTHER_CONTACT for c in resets)
    before = snapshot(office)
    calls = await office.press(OTHER_CONTACT, next_button)
    assert [(c.method, c.params.get("text")) for c in calls] == [("answerCallbackQuery", "无权限")]
    assert snapshot(office) == before
    calls = await office.text(OTHER_CONTACT, "2021-10-20 10:00")  # the wizard's input: refused, and no longer awaited
    assert texts(calls) == ["无权限。"]
    assert rows(office, "SELECT awaiting FROM users WHERE user_id = ?", OTHER_CONTACT) == [(None,)]
    assert rows(office, "SELECT COUNT(*) FROM broadcasts") == [(0,)]


async def test_contacts_lists_both_kinds_and_the_settings_contact_cannot_be_removed(office: BotUnderTest) -> None:
    calls = await office.text(CONTACT, f"/contacts add {OTHER_CONTACT}")
    assert texts(calls)[0].startswith(f"已添加联系人 {OTHER_CONTACT}。")
    assert texts(await office.text(CONTACT, f"/contacts add {OTHER_CONTACT}")) == [f"{OTHER_CONTACT} 已是联系人。"]
    listing = texts(await office.text(CONTACT, "/contacts"))[0]
    assert f"{CONTACT}（配置文件指定） · 本人" in listing and f"{OTHER_CONTACT}（{CONTACT} 于2021年10月12日" in listing
    calls = await office.text(OTHER_CONTACT, f"/contacts remove {CONTACT}")
    assert "不能在对话中移除" in texts(calls)[0] and not [c for c in calls if "Commands" in c.method]
    assert "格式" in texts(await office.text(CONTACT, "/contacts add 张三"))[0]
    calls = await tap(office, CONTACT, f"移除 {OTHER_CONTACT}")
    assert toasts(calls) == [f"已移除联系人 {OTHER_CONTACT}。"] and f"{OTHER_CONTACT}（" not in texts(calls)[0]
    assert rows(office, "SELECT action, detail FROM audit_log") == [
        ("contact.add", json.dumps({"user": OTHER_CONTACT})),
        ("contact.remove", json.dumps({"user": OTHER_CONTACT})),
    ]


# --- /stats and /audit ---------------------------------------------------------------------------


async def test_stats_counts_the_seeded_population_and_sends_a_chart_and_a_csv(office: BotUnderTest) -> None:
    await office.text(CONTACT, "/start")  # a contact person who answers the questions is no applicant
    storage = office.app.bot_data.chat.storage
    await storage.atomically(lambda db: seed(db, [Seeded(CONTACT, path("junior", "eligible"))]))
    await storage.atomically(
        lambda db: db.executemany(
            "INSERT INTO outbox (kind, ref, chat_id, payload, not_before, status, created_at) "
            "VALUES ('reminder', ?, 101, '[]', '2021-10-12T00:00:00+00:00', ?, '2021-10-12T00:00:00+00:00')",
            [("a", "sent"), ("b", "sent"), ("c", "failed")],
        )
    )
    calls = await office.text(CONTACT, "/stats")
    [message, photo, document] = calls
    text = str(message.params["text"])
    assert "申报人：40\n已完成问答：34\n无法送达（已屏蔽本助手）：2" in text
    assert "中级：14" in text and "副高级：10" in text and "初级：10" in text  # the unfinished have no level yet
    assert "可以申报：22" in text and "满足条件后可以申报：8" in text and "适用其他途径：4" in text
    bands = dict.fromkeys(["0–25%", "25–50%", "50–75%", "75–99%", "100%"], 0)
    for p in office.extra["people"]:
        items = checklist(p.answers) if p.finished else []
        if items:
            share = len(p.ticks) / len(items)
            bands[list(bands)[4 if share == 1 else int(share * 4)]] += 1
    assert bands["25–50%"] and bands["100%"] == 2
    for band, count in bands.items():
        assert f"{band}：{count}" in text
    assert "<b>提醒</b> 已发送 2，失败 1（已屏蔽本助手 0，无法送达 1），待发 0，已撤回 0" in text
    assert "访谈" not in text
    assert photo.method == "sendPhoto" and next(iter(photo.files.values())).startswith(b"\x89PNG")
    assert document.method == "sendDocument"
    table = list(csv.reader(io.StringIO(next(iter(document.files.values())).decode("utf-8-sig"))))
    assert table[0] == ["类别", "项目", "数量"]
    assert ["申报人", "", "40"] in table and ["已完成问答", "", "34"] in table
    assert ["无法送达（已屏蔽本助手）", "", "2"] in table
    assert ["按结论（已完成问答）", "满足条件后可以申报", "8"] in table and ["按级别", "中级", "14"] in table
    assert ["材料准备进度（已勾选比例）", "100%", "2"] in table
    assert ["提醒", "失败（无法送达）", "1"] in table and ["提醒", "已发送", "2"] in table
    assert ["广播消息", "失败（已屏蔽本助手）", "0"] in table
    assert rows(office, "SELECT action, actor_id FROM audit_log") == [("stats.export", CONTACT)]


async def test_audit_lists_every_privileged_action_and_exports_the_whole_log(office: BotUnderTest) -> None:
    await office.text(CONTACT, f"/contacts add {OTHER_CONTACT}")
    await office.text(CONTACT, f"/contacts remove {OTHER_CONTACT}")
    await write_text(office)
    await tap(office, CONTACT, "下一步")
    await tap(office, CONTACT, "确认发送")
    await tap(office, CONTACT, "取消广播")
    await write_text(office)
    await tap(office, CONTACT, "下一步")
    await tap(office, CONTACT, "定时发送")
    await office.text(CONTACT, "2021-10-20 10:00")
    await office.text(CONTACT, "/stats")
    calls = await office.text(CONTACT, "/audit")
    listing = texts(calls)[0]
    order = [
        "查看并导出操作记录",
        "查看并导出统计",
        "定时广播 #2",
        "取消广播 #1",
        "发送广播 #1",
        f"移除联系人 {OTHER_CONTACT}",
        f"添加联系人 {OTHER_CONTACT}",
    ]
    assert "最近 7 条（共 7 条）" in listing
    positions = [listing.index(entry) for entry in order]
    assert positions == sorted(positions)
    assert f"发送广播 #1 · {len(expected_chats(office))} 人" in listing
    [document] = [c for c in calls if c.method == "sendDocument"]
    table = list(csv.DictReader(io.StringIO(next(iter(document.files.values())).decode("utf-8-sig"))))
    assert [r["action"] for r in table] == [
        "contact.add",
        "contact.remove",
        "broadcast.create",
        "broadcast.cancel",
        "broadcast.schedule",
        "stats.export",
        "audit.export",
    ]
    assert {r["actor_id"] for r in table} == {str(CONTACT)}


def test_every_audience_filter_has_a_one_letter_key_and_fits_the_callback_data() -> None:
    keys = [f.key for f in FILTERS]
    assert len(set(keys)) == len(keys) and all(len(k) == 1 for k in keys)
    assert len(wizard.Filter("abcdef", "n", NOTICE.id).pack().encode()) <= 64
    assert checklist(path("junior", "eligible"))  # the seeded paths have checklists


async def test_a_broadcast_by_unit_goes_to_the_applicants_linked_to_that_unit_only(office: BotUnderTest) -> None:
    from bot.features.units import queries as units

    with sqlite3.connect(office.db_path) as conn:
        first, _ = units.unit_or_new(conn, "新疆某有色金属公司", CONTACT, NOW)
        second, _ = units.unit_or_new(conn, "另一家单位", CONTACT, NOW)
        for user in (111, 112, 113):
            units.link(conn, user, first.id, "chosen", NOW)
        units.link(conn, 114, second.id, "chosen", NOW)
    await write_text(office)
    calls = await tap(office, CONTACT, "新疆某有色金属公司")
    assert "单位" in texts(calls)[-1] and "新疆某有色金属公司" in texts(calls)[-1]
    calls = await tap(office, CONTACT, "下一步")
    assert "以下消息将按原样发送给 3 名申报人。" in texts(calls)[0]
    await tap(office, CONTACT, "确认发送")
    office.api.clear()
    await sender(office).tick()
    delivered = {
        c.params["chat_id"] for c in office.api.calls if c.method == "sendMessage" and c.params["chat_id"] != CONTACT
    }
    assert delivered == {111, 112, 113}
