"""Unit HR through the real PTB Application on the offline Bot API and a real SQLite file:
invitations (used, expired, revoked, crafted), HR of one unit never seeing or acting on another,
applicants linking with consent and unlinking, /case leaving no applicant rows, case files sent as
documents, the attachments filled from one typed message that is never stored, the CSV file, and
the HR reminder before the latest publicity start."""

from __future__ import annotations

import html
import io
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml

from bot.cli import main
from bot.features.case.handlers import CaseAnswer, CaseAttachments, CaseChecklistFile
from bot.features.units.buttons import (
    AllUnits,
    Attachments,
    ConfirmRevokeHr,
    NewInvitation,
    RevokeHr,
    RevokeInvitation,
    ShowApplicant,
    ShowUnit,
    UnitCsv,
    UnitDetail,
    Unlink,
)
from bot.store.population import applicants as stored_applicants
from bot.store.population import stats
from conversations.clock import Clock, parse_moment
from conversations.interview import interview_for
from knowledge import default_notice
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.support import buttons as callbacks
from tests.support.clock import SteppedClock
from tests.support.offline import Call
from tests.test_unit_duties import HR_PERSONAS, persona

NOTICE = default_notice()
CONTACT = 9001
HR_A, HR_B = 8001, 8002
APPLICANT_A, APPLICANT_B = 7001, 7002
ID = "11010519491231002X"
AID_ENGINEER = persona(HR_PERSONAS[0])["answers"]
FIRST_TIME = persona(HR_PERSONAS[1])["answers"]


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    stepped = SteppedClock()
    clock = Clock(parse_moment("2021-10-01T10:00:00+08:00"), monotonic=stepped)
    b = await start_bot(tmp_path / "zhicheng.sqlite3", contact_ids=frozenset({CONTACT}), clock=clock)
    b.stepped = stepped  # type: ignore[attr-defined]
    try:
        yield b
    finally:
        await stop_bot(b)


def joined(calls: list[Call]) -> str:
    return "\n".join(texts(calls))


def toasts(calls: list[Call]) -> list[tuple[str | None, bool]]:
    return [
        (c.params.get("text"), bool(c.params.get("show_alert"))) for c in calls if c.method == "answerCallbackQuery"
    ]


def db(bot: BotUnderTest) -> sqlite3.Connection:
    return sqlite3.connect(bot.db_path)


def audit_actions(bot: BotUnderTest) -> list[tuple[str, dict[str, Any]]]:
    import json

    with db(bot) as conn:
        return [(a, json.loads(d)) for a, d in conn.execute("SELECT action, detail FROM audit_log ORDER BY id")]


async def invite(bot: BotUnderTest, unit_name: str) -> str:
    calls = await bot.text(CONTACT, f"/invite {unit_name}")
    match = re.search(r"https://t\.me/zhicheng_test_bot\?start=(hr_[A-Za-z0-9_-]+)", joined(calls))
    assert match, joined(calls)
    return match.group(1)


async def become_hr(bot: BotUnderTest, user: int, unit_name: str) -> None:
    payload = await invite(bot, unit_name)
    calls = await bot.text(user, f"/start {payload}")
    assert f"您已成为本助手中{html.escape(unit_name)}的人事联系人" in joined(calls)


async def unit_link(bot: BotUnderTest, hr: int) -> str:
    match = re.search(r"start=(u_[A-Za-z0-9_-]+)", joined(await bot.text(hr, "/unit")))
    assert match
    return match.group(1)


async def answer(bot: BotUnderTest, user: int, answers: dict[str, str]) -> None:
    """The applicant's own interview, from /start to the outcome."""
    await bot.text(user, "/start")
    interview = interview_for(NOTICE)
    given: dict[str, str] = {}
    while (question := interview.position(given).question) is not None:
        given[question.id] = answers[question.id]
        await bot.press(user, callbacks.answer(question.id, answers[question.id]))


async def link(bot: BotUnderTest, user: int, payload: str) -> str:
    calls = await bot.text(user, f"/start {payload}")
    assert "关联后，该单位人事（职改）部门可在本助手中看到" in joined(calls)
    agree = next(d for label, d in bot.buttons(user) if label == "同意")
    return joined(await bot.press(user, agree))


async def two_units(bot: BotUnderTest) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    await become_hr(bot, HR_B, "乙单位有限公司")
    await answer(bot, APPLICANT_A, AID_ENGINEER)
    await answer(bot, APPLICANT_B, FIRST_TIME)
    await link(bot, APPLICANT_A, await unit_link(bot, HR_A))
    await link(bot, APPLICANT_B, await unit_link(bot, HR_B))


# --- invitations ---


async def test_a_contact_persons_invitation_makes_the_one_who_opens_it_hr_of_the_unit(bot: BotUnderTest) -> None:
    calls = await bot.text(HR_A, "/unit")
    assert "无权限" in joined(calls)
    payload = await invite(bot, "新疆有色测试有限公司")
    calls = await bot.text(HR_A, f"/start {payload}")
    assert "您已成为本助手中新疆有色测试有限公司的人事联系人" in joined(calls)
    assert "第1题" not in joined(calls)  # the HR officer's own interview is not started
    help_text = joined(await bot.text(HR_A, "/help"))
    assert "/unit" in help_text and "/case" in help_text and "/invite" not in help_text
    with db(bot) as conn:
        (token_hash,) = conn.execute("SELECT token_hash FROM invitations").fetchone()
        assert payload.partition("_")[2] not in token_hash  # only a hash of the token is stored
        assert conn.execute("SELECT unit_id, user_id, revoked_at FROM unit_hr").fetchall() == [(1, HR_A, None)]
    assert [a for a, _ in audit_actions(bot)] == ["invitation.create", "invitation.use"]


async def test_a_used_expired_revoked_or_crafted_invitation_is_refused_and_audited(bot: BotUnderTest) -> None:
    used = await invite(bot, "甲单位有限公司")
    await bot.text(HR_A, f"/start {used}")
    assert "已被使用" in joined(await bot.text(HR_B, f"/start {used}"))

    expiring = await invite(bot, "甲单位有限公司")
    bot.stepped.now += 8 * 86400  # type: ignore[attr-defined]  # 8 days later, by the bot's clock
    assert "已过期" in joined(await bot.text(HR_B, f"/start {expiring}"))

    revoked = await invite(bot, "甲单位有限公司")
    await bot.text(CONTACT, "/units")
    await bot.press(CONTACT, UnitDetail(1).pack())
    revoke = next(d for label, d in bot.buttons(CONTACT) if label.startswith("撤销邀请"))
    calls = await bot.press(CONTACT, revoke)
    assert ("邀请已撤销", False) in toasts(calls)
    assert "已被评审办公室撤销" in joined(await bot.text(HR_B, f"/start {revoked}"))

    assert "该邀请链接无效" in joined(await bot.text(HR_B, "/start hr_forgedTOKENforgedTOKEN1234"))
    forged = used[:-1] + ("y" if used.endswith("x") else "x")  # one character changed
    assert "该邀请链接无效" in joined(await bot.text(HR_B, f"/start {forged}"))
    assert "无权限" in joined(await bot.text(HR_B, "/unit"))
    refused = [d["reason"] for a, d in audit_actions(bot) if a == "invitation.refused"]
    assert refused == ["used", "expired", "revoked", "unknown", "unknown"]
    assert [a for a, _ in audit_actions(bot)].count("invitation.revoke") == 1


async def test_hr_and_applicants_cannot_use_the_contact_persons_unit_commands_or_buttons(bot: BotUnderTest) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    for command in ("/invite 丙单位", "/units"):
        assert "无权限" in joined(await bot.text(HR_A, command))
        assert "无权限" in joined(await bot.text(APPLICANT_A, command))
    for data in (
        UnitDetail(1).pack(),
        RevokeInvitation(1).pack(),
        RevokeHr(1, HR_A).pack(),
        ConfirmRevokeHr(1, HR_A).pack(),
        NewInvitation(1).pack(),
        AllUnits().pack(),
    ):
        calls = await bot.press(HR_A, data)
        assert toasts(calls) == [("无权限", True)] and not texts(calls)
    with db(bot) as conn:
        assert conn.execute("SELECT COUNT(*) FROM invitations").fetchone() == (1,)
        assert conn.execute("SELECT revoked_at FROM unit_hr").fetchone() == (None,)


# --- one unit's HR never sees another's ---


async def test_hr_of_unit_a_never_sees_or_acts_on_unit_b_by_any_command_or_forged_button(bot: BotUnderTest) -> None:
    await two_units(bot)
    unit_view = joined(await bot.text(HR_A, "/unit"))
    assert "甲单位有限公司" in unit_view and "乙单位有限公司" not in unit_view
    assert "已关联申报人：1名" in unit_view and "1号 · 副高级 · 可以申报" in unit_view
    assert "中级" not in unit_view  # B's applicant applies for 中级
    for data in (
        ShowUnit(2).pack(),
        UnitCsv(2).pack(),
        ShowApplicant(2, 1).pack(),
        Attachments(2, 1).pack(),
        "hr.applicant:2:x",
        ShowUnit(99).pack(),
    ):
        calls = await bot.press(HR_A, data)
        assert toasts(calls) == [("无权限", True)], data
        assert not texts(calls) and not [c for c in calls if c.method == "sendDocument"]
    # HR A's CSV file holds A's one applicant only
    calls = await bot.press(HR_A, UnitCsv(1).pack())
    [document] = [c for c in calls if c.method == "sendDocument"]
    rows = next(iter(document.files.values())).decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2 and rows[1].startswith("1,2021-10-01,副高级,可以申报,是")
    # opening B's applicant link gives HR A no view of B: it only offers to link A as an applicant
    await link(bot, HR_A, await unit_link(bot, HR_B))
    assert "乙单位有限公司" not in joined(await bot.text(HR_A, "/unit"))
    assert toasts(await bot.press(HR_A, ShowApplicant(2, 1).pack())) == [("无权限", True)]
    # nor does a crafted deep link
    assert "该单位链接无效" in joined(await bot.text(HR_A, "/start u_nosuchunit"))
    assert "该邀请链接无效" in joined(await bot.text(HR_A, "/start hr_"))


async def test_revoking_hr_rights_takes_effect_at_the_next_tap(bot: BotUnderTest) -> None:
    await two_units(bot)
    await bot.text(HR_A, "/unit")
    await bot.text(CONTACT, "/units")
    await bot.press(CONTACT, UnitDetail(1).pack())
    revoke = next(d for label, d in bot.buttons(CONTACT) if label == f"撤销人事联系人 {HR_A}")
    await bot.press(CONTACT, revoke)
    confirm = next(d for label, d in bot.buttons(CONTACT) if label == "确认撤销")
    assert ("已撤销人事权限，并已通知该人员", False) in toasts(await bot.press(CONTACT, confirm))
    assert "无权限" in joined(await bot.text(HR_A, "/unit"))
    assert toasts(await bot.press(HR_A, ShowApplicant(1, 1).pack())) == [("无权限", True)]
    assert ("hr.revoke", {"unit": 1, "user": HR_A}) in audit_actions(bot)


# --- applicants and their unit ---


async def test_an_applicant_links_only_after_consent_and_unlinking_removes_the_units_view_at_once(
    bot: BotUnderTest,
) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    await answer(bot, APPLICANT_A, AID_ENGINEER)
    payload = await unit_link(bot, HR_A)
    await bot.text(APPLICANT_A, f"/start {payload}")
    refuse = next(d for label, d in bot.buttons(APPLICANT_A) if label == "不同意")
    assert "未关联" in joined(await bot.press(APPLICANT_A, refuse))
    assert "已关联申报人：0名" in joined(await bot.text(HR_A, "/unit"))

    linked = await link(bot, APPLICANT_A, payload)
    assert "您在单位名单中的编号：1" in linked
    privacy = joined(await bot.text(APPLICANT_A, "/privacy"))
    assert "已关联到甲单位有限公司（编号1）" in privacy
    calls = await bot.press(HR_A, ShowApplicant(1, 1).pack())
    shown = joined(calls)
    assert "甲单位有限公司 1号申报人" in shown and "推荐单位须办理的事项" in shown
    assert "援派人员：派出单位审核同意" in shown
    assert "在其他省区取得" not in shown and "受处分" not in shown  # other answers are never shown

    await bot.text(APPLICANT_A, "/myunit")
    calls = await bot.press(APPLICANT_A, Unlink().pack())
    assert "该单位人事部门即时不能再看到您的任何信息" in joined(calls)
    calls = await bot.press(HR_A, ShowApplicant(1, 1).pack())
    assert toasts(calls) == [("该申报人已不再关联本单位", True)] and not texts(calls)
    assert "已关联申报人：0名" in joined(await bot.text(HR_A, "/unit"))
    assert "已关联到" not in joined(await bot.text(APPLICANT_A, "/privacy"))


async def test_choosing_a_unit_with_myunit_asks_for_consent_and_delete_me_removes_the_link(
    bot: BotUnderTest,
) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    calls = await bot.text(APPLICANT_A, "/myunit")
    assert "请在下方选择您所在的单位" in joined(calls)
    choose = next(d for label, d in bot.buttons(APPLICANT_A) if label == "甲单位有限公司")
    calls = await bot.press(APPLICANT_A, choose)
    assert "是否关联到甲单位有限公司" in joined(calls)
    await bot.press(APPLICANT_A, next(d for label, d in bot.buttons(APPLICANT_A) if label == "同意"))
    with db(bot) as conn:
        assert conn.execute("SELECT unit_id, number, via FROM applicant_units").fetchall() == [(1, 1, "chosen")]
    await bot.text(APPLICANT_A, "/delete_me")
    await bot.press(APPLICANT_A, callbacks.DELETE_YES)
    with db(bot) as conn:
        assert conn.execute("SELECT COUNT(*) FROM applicant_units").fetchone() == (0,)


# --- /case ---


async def test_a_case_leaves_no_applicant_rows_and_never_touches_the_officers_own_interview(
    bot: BotUnderTest,
) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    await bot.text(HR_A, "/start")
    await bot.press(HR_A, callbacks.answer("employment", "in_service"))  # the officer's own interview
    calls = await bot.text(HR_A, "/case")
    assert "具体案例" in joined(calls) and "案例不作为申报人保存" in joined(calls)
    interview = interview_for(NOTICE)
    given: dict[str, str] = {}
    while (question := interview.position(given).question) is not None:
        given[question.id] = AID_ENGINEER[question.id]
        calls = await bot.press(HR_A, CaseAnswer(question.id, AID_ENGINEER[question.id]).pack())
    result = joined(calls)
    assert "案例结果" in result and "结论：可以申报" in result and "推荐单位须办理的事项" in result
    assert "按援派期计算" in result and "“本单位已对提供的申报材料逐一审核，真实、完整、有效，同意推荐”" in result
    with db(bot) as conn:
        assert conn.execute("SELECT question_id, option_id FROM answers WHERE user_id = ?", (HR_A,)).fetchall() == [
            ("employment", "in_service")
        ]
        assert conn.execute("SELECT current_question FROM interviews WHERE user_id = ?", (HR_A,)).fetchone() == (
            "unit_type",
        )
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone() == (1,)
        assert conn.execute("SELECT COUNT(*) FROM ticks").fetchone() == (0,)
    # a contact person's case starts no interview: no applicant, nothing counted in the statistics
    await bot.text(CONTACT, "/case")
    await bot.press(CONTACT, CaseAnswer("employment", "retired").pack())
    with db(bot) as conn:
        applicants = stored_applicants(conn)
        assert [a.user_id for a in applicants] == [HR_A] and stats(conn).finished == 0
    # any command ends the case; its buttons then say so
    await bot.text(HR_A, "/help")
    calls = await bot.press(HR_A, CaseAttachments().pack())
    assert toasts(calls) == [("该案例已结束，请发送 /case 开始新的案例", True)]


async def test_applicants_cannot_run_a_case(bot: BotUnderTest) -> None:
    assert "无权限" in joined(await bot.text(APPLICANT_A, "/case"))
    assert toasts(await bot.press(APPLICANT_A, CaseAnswer("employment", "retired").pack())) == [("无权限", True)]


def cli_line(tmp_path: Path, name: str, content: bytes, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["case", str(path)]) == 2
    return capsys.readouterr().err.strip().replace(str(path), name)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("level.yaml", b"answers:\n  level: x\n"),
        ("sanction.yaml", b"answers:\n  employment: in_service\n  unit_type: xinjiang\n  sanction: no\n"),
        ("missing.json", b'{"answers": {"employment": "in_service"}}'),
        ("broken.yaml", b"answers: [\n"),
        ("latin1.yaml", "answers:\n  level: 中级\n".encode("gbk")),
    ],
)
async def test_a_bad_case_file_gets_the_command_lines_one_line_error(
    bot: BotUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes
) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    expected = cli_line(tmp_path, name, content, capsys)
    calls = await bot.document(HR_A, name, content)
    assert "案例文件无法使用" in joined(calls)
    code = re.search(r"<code>(.*)</code>", joined(calls))
    assert code is not None
    assert html.unescape(code.group(1)) == expected


async def test_a_case_file_too_large_is_not_downloaded_and_gets_the_same_error(bot: BotUnderTest) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    calls = await bot.document(HR_A, "big.yaml", b"#" * 70_000)
    assert "invalid case file big.yaml: (file): is larger than 65536 bytes" in joined(calls)
    assert not [c for c in calls if c.method in ("getFile", "downloadFile")]


@pytest.mark.parametrize("path", HR_PERSONAS, ids=lambda p: p.stem)
async def test_each_hr_persona_sent_as_a_case_file_gets_its_verdict_and_duties(bot: BotUnderTest, path: Path) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    p = persona(path)
    content = yaml.safe_dump({"answers": p["answers"]}, allow_unicode=True).encode("utf-8")
    calls = await bot.document(HR_A, path.name, content)
    result = joined(calls)
    assert "案例结果" in result
    headline = {"eligible": "结论：可以申报", "conditional": "结论：满足条件后可以申报", "ineligible": "结论："}
    assert headline[p["verdict"]] in result
    titles = {d.id: d.title for d in NOTICE.unit_duties}
    for duty in p["duties"]:
        assert titles[duty] in result
    if not p["duties"]:
        assert "单位无需审核或推荐" in result
    with db(bot) as conn:
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)


async def test_an_applicants_document_is_not_read_as_a_case(bot: BotUnderTest) -> None:
    content = yaml.safe_dump({"answers": AID_ENGINEER}).encode("utf-8")
    calls = await bot.document(APPLICANT_A, "case.yaml", content)
    assert "案例结果" not in joined(calls) and texts(calls)


# --- the attachments ---


async def test_the_attachments_are_filled_from_one_message_and_nothing_typed_is_stored_or_logged(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    await two_units(bot)
    await bot.press(HR_A, ShowApplicant(1, 1).pack())
    calls = await bot.press(HR_A, Attachments(1, 1).pack())
    assert "请在一条消息中发送申报人姓名和身份证号码" in joined(calls)
    assert "不保存，也不记入日志" in joined(calls)
    calls = await bot.text(HR_A, "买买提江 110105194912310021")  # a wrong check character
    assert "校验位不符" in joined(calls)
    caplog.set_level(logging.INFO)
    calls = await bot.text(HR_A, f"买买提江 {ID} 2021年10月11日")
    documents = {next(iter(c.files)): next(iter(c.files.values())) for c in calls if c.method == "sendDocument"}
    # the files say whose attachments they are and which (the name goes to the chat, never to storage)
    assert set(documents) == {"买买提江_附件1、附件2.docx", "买买提江_附件1、附件2.html"}
    document = docx.Document(io.BytesIO(documents["买买提江_附件1、附件2.docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"买买提江同志（身份证号码：{ID}）申报材料于2021年10月11日至2021年10月15日在本单位公示5天" in text
    assert "同意推荐买买提江同志申报工程系列有色金属专业高级专业技术任职资格" in text
    assert "甲单位有限公司（公章）" in text and "兹证明 买买提江 同志" in text
    assert ID in documents["买买提江_附件1、附件2.html"].decode("utf-8")
    assert "公示期：2021年10月11日至2021年10月15日，共5个工作日" in joined(calls)
    assert "买买提江" not in joined(calls) and ID not in joined(calls)  # only in the documents
    # nothing typed is in the database (its file and write-ahead log) or the log
    stored = b"".join(f.read_bytes() for f in bot.db_path.parent.glob(bot.db_path.name + "*"))
    for secret in ("买买提江", ID, ID[:14]):
        assert secret.encode("utf-8") not in stored
        assert secret not in caplog.text
    with db(bot) as conn:
        assert conn.execute("SELECT awaiting, awaiting_data FROM users WHERE user_id = ?", (HR_A,)).fetchone() == (
            None,
            None,
        )
    [detail] = [d for a, d in audit_actions(bot) if a == "annex.generate"]
    assert detail == {"attachments": ["附件1", "附件2"], "number": 1, "unit": 1}


async def test_attachments_wait_for_a_typed_message_and_are_refused_once_the_applicant_unlinks(
    bot: BotUnderTest,
) -> None:
    await two_units(bot)
    await bot.press(HR_A, Attachments(1, 1).pack())
    await bot.text(APPLICANT_A, "/myunit")
    await bot.press(APPLICANT_A, Unlink().pack())
    calls = await bot.text(HR_A, f"张三 {ID}")
    assert "已无法生成上述附件" in joined(calls)
    assert not [c for c in calls if c.method == "sendDocument"]


async def test_a_case_gives_the_attachments_with_the_unit_name_of_its_hr(bot: BotUnderTest) -> None:
    await become_hr(bot, HR_A, "甲单位有限公司")
    content = yaml.safe_dump({"answers": persona(HR_PERSONAS[3])["answers"]}, allow_unicode=True).encode("utf-8")
    await bot.document(HR_A, "fanghuiju.yaml", content)
    calls = await bot.press(HR_A, CaseAttachments().pack())
    assert "可打印的附件：附件1、附件2、附件3" in joined(calls)
    calls = await bot.text(HR_A, f"张三 {ID}")
    [docx_call] = [c for c in calls if c.method == "sendDocument" and "张三_附件1、附件2、附件3.docx" in c.files]
    document = docx.Document(io.BytesIO(docx_call.files["张三_附件1、附件2、附件3.docx"]))
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert {"张三", ID, "甲单位有限公司", "工程系列有色金属专业副高级"} <= cells
    assert "2021年10月13日至2021年10月19日" in "\n".join(p.text for p in document.paragraphs)  # the latest start
    assert toasts(await bot.press(HR_A, CaseChecklistFile().pack()))  # the case is still open for its buttons


# --- the reminder ---


async def test_hr_is_reminded_before_the_latest_publicity_start_through_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "z.sqlite3"
    first = await start_bot(
        path, contact_ids=frozenset({CONTACT}), clock=Clock(parse_moment("2021-10-01T09:00:00+08:00"))
    )
    try:
        await become_hr(first, HR_A, "甲单位有限公司")
        await answer(first, APPLICANT_A, AID_ENGINEER)
        await link(first, APPLICANT_A, await unit_link(first, HR_A))
    finally:
        await stop_bot(first)
    bot = await start_bot(
        path,
        contact_ids=frozenset({CONTACT}),
        updates=first.updates,
        clock=Clock(parse_moment("2021-10-10T10:00:30+08:00")),
    )
    try:
        before = len(bot.api.calls)
        await bot.app.bot_data.sender.tick()
        sent = [c for c in bot.api.calls[before:] if c.method == "sendMessage" and c.params["chat_id"] == HR_A]
        assert len(sent) == 1
        text = sent[0].params["text"]
        assert "提醒（甲单位有限公司）：单位内部公示" in text and "单位内部公示最迟开始：2021年10月13日" in text
        assert "还有3天" in text and "其中可以申报、须在单位内部公示的：1名" in text
        keyboard = sent[0].params["reply_markup"]["inline_keyboard"]
        assert keyboard == [[{"text": "🏢 本单位申报人", "callback_data": ShowUnit(1).pack()}]]
        with db(bot) as conn:
            assert conn.execute("SELECT status FROM outbox WHERE kind = 'unit_reminder'").fetchall() == [("sent",)]
        await bot.app.bot_data.sender.tick()
        assert not [
            c for c in bot.api.calls[before + len(sent) :] if c.method == "sendMessage" and c.params["chat_id"] == HR_A
        ]
    finally:
        await stop_bot(bot)


# --- malformed input ---

FEATURE_KEYS = (
    "units",
    "unit",
    "ivrv",
    "hrrv",
    "ivnew",
    "un",
    "uc",
    "ua",
    "ud",
    "ump",
    "uch",
    "ulk",
    "uun",
    "cq",
    "cb",
    "cr",
    "cd",
    "ch",
)
MALFORMED_ARGS: tuple[tuple[str, ...], ...] = (
    (),
    ("x",),
    ("-1",),
    ("99999999999",),
    ("1", "999"),
    ("1", "l", "z"),
    ("employment", "nope"),
    ("1", "2", "3", "4"),
)


@pytest.mark.parametrize("user", [HR_A, CONTACT, APPLICANT_A])
async def test_malformed_or_forged_feature_buttons_are_answered_and_never_crash(bot: BotUnderTest, user: int) -> None:
    await two_units(bot)
    for key in FEATURE_KEYS:
        for args in MALFORMED_ARGS:
            data = ":".join(["x", key, *args])
            calls = await bot.press(user, data)
            assert [c for c in calls if c.method == "answerCallbackQuery"], data
            assert "抱歉，系统处理时出现问题" not in joined(calls), data
    for text in (
        "/start hr_",
        "/start u_",
        "/start hr_" + "A" * 60,
        "/invite " + "长" * 61,
        "/invite <b>x</b>",
        "/unit 2",
        "/case now",
    ):
        calls = await bot.text(user, text)
        assert texts(calls) and "抱歉，系统处理时出现问题" not in joined(calls), text
    with db(bot) as conn:
        assert conn.execute("SELECT COUNT(*) FROM units").fetchone() == (2,)
        assert conn.execute("SELECT COUNT(*) FROM unit_hr WHERE revoked_at IS NULL").fetchone() == (2,)


async def test_a_unit_name_with_an_ampersand_is_shown_safely_everywhere(bot: BotUnderTest) -> None:
    await become_hr(bot, HR_A, "A&B有色金属公司")
    await answer(bot, APPLICANT_A, AID_ENGINEER)
    assert "A&amp;B有色金属公司" in await link(bot, APPLICANT_A, await unit_link(bot, HR_A))
    await bot.text(APPLICANT_A, "/myunit")
    assert "A&amp;B有色金属公司" in joined(await bot.press(APPLICANT_A, Unlink().pack()))
    assert "A&amp;B有色金属公司" in joined(await bot.text(HR_A, "/unit"))


# --- HR's screens in words, revoking with a confirmation (issue 18) ---


def internal_ids() -> set[str]:
    """Ids of the knowledge file that are no words (annex1_level_word, publicity_latest_start …)."""
    found = {x.id for x in NOTICE.interpretations} | {w.id for w in NOTICE.working_day_dates}
    found |= {i.id for i in NOTICE.items} | {r.id for r in NOTICE.rules} | {q.id for q in NOTICE.questions}
    found |= {d.id for d in NOTICE.deadlines} | {a.id for a in NOTICE.attachments} | {d.id for d in NOTICE.unit_duties}
    return {i for i in found if "_" in i}


async def test_hrs_screens_word_every_reading_from_the_knowledge_file_and_show_no_internal_id(
    bot: BotUnderTest,
) -> None:
    await two_units(bot)
    shown = joined(await bot.text(HR_A, "/unit"))
    shown += joined(await bot.press(HR_A, ShowApplicant(1, 1).pack()))
    shown += joined(await bot.press(HR_A, Attachments(1, 1).pack()))
    done = joined(await bot.text(HR_A, f"买买提江 {ID} 2021年10月18日"))  # ends after the latest end: late
    shown += done
    leaked = sorted(i for i in internal_ids() if i in shown)
    assert not leaked, leaked
    for reading in ("annex1_level_word", "annex1_publicity_days", "publicity_latest_start"):
        interpretation = NOTICE.interpretation(reading)
        assert interpretation is not None and html.escape(interpretation.choice, quote=False) in done
    assert "如有疑问，请咨询评审办公室联系人。" in done


async def test_revoking_hr_asks_for_confirmation_and_tells_the_officer_through_the_outbox(bot: BotUnderTest) -> None:
    await two_units(bot)
    await bot.text(CONTACT, "/units")
    await bot.press(CONTACT, UnitDetail(1).pack())
    revoke = next(d for label, d in bot.buttons(CONTACT) if label == f"撤销人事联系人 {HR_A}")
    asked = joined(await bot.press(CONTACT, revoke))
    assert f"确认撤销 Telegram 用户 {HR_A} 在甲单位有限公司的人事联系人权限？" in asked
    assert [label for label, _ in bot.buttons(CONTACT)] == ["确认撤销", "◀ 返回单位"]
    assert "1号" in joined(await bot.text(HR_A, "/unit"))  # nothing revoked by the first tap
    back = next(d for label, d in bot.buttons(CONTACT) if label == "◀ 返回单位")
    assert "人事联系人" in joined(await bot.press(CONTACT, back))
    with db(bot) as conn:
        assert conn.execute("SELECT COUNT(*) FROM unit_hr WHERE revoked_at IS NOT NULL").fetchone() == (0,)

    await bot.press(CONTACT, revoke)
    confirm = next(d for label, d in bot.buttons(CONTACT) if label == "确认撤销")
    calls = await bot.press(CONTACT, confirm)
    assert ("已撤销人事权限，并已通知该人员", False) in toasts(calls)
    menus = [c for c in calls if c.method == "deleteMyCommands"]
    assert menus and all(c.params["scope"]["chat_id"] == HR_A for c in menus)  # everyone's menu again
    assert not [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == HR_A]  # not in the reply
    with db(bot) as conn:
        assert conn.execute("SELECT kind, chat_id, status FROM outbox WHERE kind = 'hr_revoked'").fetchall() == [
            ("hr_revoked", HR_A, "pending")
        ]
    assert ("hr.revoke", {"unit": 1, "user": HR_A}) in audit_actions(bot)
    sender = bot.app.bot_data.sender
    assert sender is not None
    bot.api.clear()
    await sender.tick()
    [told] = [str(c.params["text"]) for c in bot.api.sent("sendMessage") if c.params["chat_id"] == HR_A]
    assert "评审办公室已撤销您在本助手中作为甲单位有限公司人事联系人的权限" in told
    assert all(person in told for person in NOTICE.contacts.people) and NOTICE.contacts.phones[0] in told
    assert "无权限" in joined(await bot.text(HR_A, "/unit"))
    audit_text = joined(await bot.text(CONTACT, "/audit"))
    assert f"撤销人事权限 {HR_A} · 甲单位有限公司" in audit_text and "创建人事邀请 · 甲单位有限公司" in audit_text
    assert "hr.revoke" not in audit_text and "invitation.create" not in audit_text


async def test_an_invitation_used_gives_the_new_officer_hrs_command_menu_at_once(bot: BotUnderTest) -> None:
    payload = await invite(bot, "甲单位有限公司")
    calls = await bot.text(HR_A, f"/start {payload}")
    menus = [c for c in calls if c.method == "setMyCommands"]
    assert menus and all(c.params["scope"]["chat_id"] == HR_A for c in menus)
    assert all("unit" in str(c.params["commands"]) and "broadcast" not in str(c.params["commands"]) for c in menus)
