"""Checking uploads in the chat (issue 21), through the real Application on the offline Bot API: an
applicant who has finished the interview sends a scan (generated with fake data, tests/support/scans.py)
as a document or a photo and gets the verdicts, the upright .jpg, the item with its year, ✅ and the
years still missing; refusals before any download; nothing of a file stored or logged."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.chat.actions import Fetched, ProcessFile
from bot.chat.service import ChatService
from bot.chat.work import Busy, WorkPool, carry_out
from bot.console.chat import ConsoleChat
from bot.features import REGISTRY
from bot.features.uploads import find_engine
from bot.features.uploads.chat import Confirm
from bot.store.storage import Storage
from conversations.outcome import evaluate
from conversations.uploads import MAX_UPLOAD_BYTES
from knowledge import default_notice
from tests.chat.conftest import BotUnderTest, start_bot, stop_bot, texts
from tests.support import buttons as callbacks
from tests.support.applicants import Seeded, checklist, paths_by_kind, seed
from tests.support.offline import Call
from tests.support.scans import Scan, make_scan

NOTICE = default_notice()
NOTICE_TEXT = Path(__file__).resolve().parents[2] / "knowledge" / "notices" / "2021-xinjiang-nonferrous-notice.txt"
ENGINE = find_engine()
pytestmark = pytest.mark.skipif(
    ENGINE is None,
    reason="Tesseract with chi_sim and osd is not installed (apt: tesseract-ocr-chi-sim tesseract-ocr-osd)",
)
USER = 501
CE = "ce_specialty_2021"
ASSESSMENT = "assessment_2018_2020"
ID_CARD = "id_card_and_photo"


def eligible_answers() -> dict[str, str]:
    """An associate senior applicant whose checklist has the certificates, the 考核表 and the ID card,
    none of them exempted."""
    for answers in paths_by_kind()[("associate_senior", "eligible")]:
        outcome = evaluate(NOTICE, answers)
        if {CE, ASSESSMENT, ID_CARD} <= set(checklist(answers)) and not outcome.exemptions:
            return answers
    raise AssertionError("no such path")


def turned_away_answers() -> dict[str, str]:
    for (_, verdict), paths in paths_by_kind().items():
        if verdict == "ineligible":
            for answers in paths:
                if not evaluate(NOTICE, answers).checklist:
                    return answers
    raise AssertionError("no such path")


async def seeded(bot: BotUnderTest, user: int = USER, answers: dict[str, str] | None = None) -> None:
    people = [Seeded(user, answers or eligible_answers())]
    await bot.app.bot_data.chat.storage.atomically(lambda db: seed(db, people))


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    under_test = await start_bot(tmp_path / "zhicheng.sqlite3")
    await seeded(under_test)
    try:
        yield under_test
    finally:
        await stop_bot(under_test)


def number_of(item_id: str) -> int:
    return checklist(eligible_answers()).index(item_id) + 1


def joined(calls: list[Call]) -> str:
    return "\n".join(texts(calls))


def keyboards(calls: list[Call]) -> list[str]:
    """The callback data of every button the calls sent."""
    found = []
    for call in calls:
        markup = call.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        found += [b["callback_data"] for row in (markup or {}).get("inline_keyboard", []) for b in row]
    return found


def labels(calls: list[Call]) -> list[str]:
    found = []
    for call in calls:
        markup = call.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        found += [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row]
    return found


def rows(bot: BotUnderTest, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(bot.db_path)) as conn:
        return conn.execute(sql, args).fetchall()


def ticks(bot: BotUnderTest, user: int = USER) -> set[str]:
    return {r[0] for r in rows(bot, "SELECT item_id FROM ticks WHERE user_id = ?", user)}


def scan(kind: str, year: int | None, variant: str = "upright", fmt: str = "jpeg") -> Scan:
    return make_scan(kind, year, variant, fmt, 0)


async def upload(bot: BotUnderTest, s: Scan, user: int = USER) -> list[Call]:
    return await bot.document(user, s.filename, s.content)


def documents(calls: list[Call]) -> dict[str, bytes]:
    return {name: content for c in calls if c.method == "sendDocument" for name, content in c.files.items()}


# --- the report, the .jpg, the item and ✅ ---


async def test_a_png_gets_the_report_then_an_upright_jpg_and_the_item_with_its_year_to_tick(bot: BotUnderTest) -> None:
    s = scan("ce_specialty", 2021, fmt="png")
    calls = await upload(bot, s)
    said = texts(calls)
    assert said[0].startswith("正在对照通知检查") and s.filename in said[0]
    report = said[1]
    assert "格式：PNG" in report and "（依据：四（二））" in report and "已转换为1张正向JPG图片" in report
    assert "继续教育培训合格证书（专业科目）" in report and "年度：2021年度，符合要求。（依据：五（一）8）" in report
    [(name, jpg)] = documents(calls).items()
    assert name == s.filename.replace(".png", ".jpg")
    with Image.open(io.BytesIO(jpg)) as image:
        assert image.format == "JPEG" and image.getexif().get(0x0112) in (None, 1)
    methods = [c.method for c in calls if c.method != "answerCallbackQuery"]
    # the acknowledgement first, the download after it (outside the update's transaction), the ✅ last
    assert methods.index("sendMessage") < methods.index("getFile") < methods.index("downloadFile")
    assert methods[-1] == "sendMessage" and methods[-2] == "sendDocument"
    prompt = said[-1]
    assert f"识别为清单第{number_of(CE)}项“专业科目继续教育：2021年度培训合格证书”：2021年度。" in prompt
    assert keyboards(calls) == [Confirm(CE, 2021).pack()]
    assert bot.buttons(USER) == [(f"✅ 勾选第{number_of(CE)}项", Confirm(CE, 2021).pack())]


async def test_a_sideways_scan_is_named_and_comes_back_upright(bot: BotUnderTest) -> None:
    calls = await upload(bot, scan("ce_specialty", 2021, "rot90", "png"))
    assert "方向：不是正向，需顺时针旋转90°" in joined(calls)
    [jpg] = documents(calls).values()
    assert ENGINE is not None
    with Image.open(io.BytesIO(jpg)) as image:
        assert ENGINE.orientation(image) == 0  # upright by Tesseract's own reading
    assert keyboards(calls) == [Confirm(CE, 2021).pack()]


async def test_an_upright_jpg_needs_no_conversion(bot: BotUnderTest) -> None:
    calls = await upload(bot, scan("ce_specialty", 2021))
    assert "格式：JPG，符合平台要求的*.jpg格式" in joined(calls) and not documents(calls)


async def test_a_blurred_scan_is_told_to_be_scanned_again_and_offers_no_tick(bot: BotUnderTest) -> None:
    calls = await upload(bot, scan("ce_specialty", 2021, "blurred"))
    assert "清晰度：不清晰" in joined(calls) and "请重新扫描，或拍摄时放平、对焦、光线充足" in joined(calls)
    assert keyboards(calls) == [] and ticks(bot) == set()


async def test_a_2020_specialty_certificate_when_2021_is_asked_is_named_and_not_offered_to_tick(
    bot: BotUnderTest,
) -> None:
    calls = await upload(bot, scan("ce_specialty", 2020))
    said = joined(calls)
    assert "年度不符：这是2020年度的专业科目继续教育培训合格证书，五（一）8要求2021年度。" in said
    assert f"清单第{number_of(CE)}项“专业科目继续教育：2021年度培训合格证书”：此文件不属于所要求的年度。" in said
    assert "还缺2021年度专业科目继续教育培训合格证书。" in said
    assert keyboards(calls) == []


async def test_tick_ticks_the_item_the_summary_follows_and_checklist_shows_it(bot: BotUnderTest) -> None:
    await upload(bot, scan("ce_specialty", 2021))
    before = rows(bot, "SELECT ticked FROM applicant_summaries WHERE user_id = ?", USER)
    calls = await bot.press(USER, Confirm(CE, 2021).pack())
    assert ticks(bot) == {CE}
    total = len(checklist(eligible_answers()))
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [f"已准备 1/{total}"]
    title = "专业科目继续教育：2021年度培训合格证书"
    assert texts(calls) == [f"☑ 已勾选清单第{number_of(CE)}项“{title}”：已准备 1/{total}。"]
    assert rows(bot, "SELECT ticked FROM applicant_summaries WHERE user_id = ?", USER) == [(before[0][0] + 1,)]
    assert rows(bot, "SELECT item_id, year FROM upload_years WHERE user_id = ?", USER) == [(CE, 2021)]
    calls = await bot.text(USER, "/checklist")
    assert f"☑ {number_of(CE)}" in labels(calls) and f"☐ {number_of(ASSESSMENT)}" in labels(calls)


async def test_a_double_tap_on_tick_is_recorded_once(bot: BotUnderTest) -> None:
    await upload(bot, scan("ce_specialty", 2021))
    origin = bot.last_keyboard_message(USER)
    first = await bot.press(USER, Confirm(CE, 2021).pack(), origin)
    second = await bot.press(USER, Confirm(CE, 2021).pack(), origin)
    assert ticks(bot) == {CE}
    assert rows(bot, "SELECT COUNT(*) FROM upload_years WHERE user_id = ?", USER) == [(1,)]
    toasts = [c.params.get("text") for c in first + second if c.method == "answerCallbackQuery"]
    assert toasts[1] == "此前已记下，无需再点" and toasts[0].startswith("已准备 1/")


async def test_a_stale_or_forged_tick_changes_nothing(bot: BotUnderTest) -> None:
    await upload(bot, scan("ce_specialty", 2021))
    for forged in (
        Confirm(ASSESSMENT, 2017).pack(),
        Confirm(CE, 0).pack(),
        Confirm("title_docs_elsewhere", 0).pack(),
        "up.ok:x",
        "up.ok:ce_specialty_2021:twenty",
    ):
        calls = await bot.press(USER, forged)
        assert "此按钮已过期" in [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"], forged
    await bot.text(USER, "/restart")  # the interview begins again: the ✅ of the old checklist is stale
    calls = await bot.press(USER, Confirm(CE, 2021).pack())
    assert "此按钮已过期" in [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert ticks(bot) == set() and rows(bot, "SELECT COUNT(*) FROM upload_years") == [(0,)]


async def test_the_missing_years_are_said_and_the_item_is_ticked_once_every_year_is_there(bot: BotUnderTest) -> None:
    title = "2018-2020年《专业技术人员业务考核登记表》"
    calls = await upload(bot, scan("assessment", 2019))
    assert f"识别为清单第{number_of(ASSESSMENT)}项“{title}”：2019年度。" in joined(calls)
    assert "还缺2018、2020年度专业技术人员业务考核登记表。" in joined(calls)
    assert bot.buttons(USER) == [("✅ 记下2019年度", Confirm(ASSESSMENT, 2019).pack())]
    calls = await bot.press(USER, Confirm(ASSESSMENT, 2019).pack())
    assert "已记下清单第" in joined(calls) and "还缺2018、2020年度专业技术人员业务考核登记表。" in joined(calls)
    assert ASSESSMENT not in ticks(bot)
    await upload(bot, scan("assessment", 2018, fmt="pdf"))
    calls = await bot.press(USER, Confirm(ASSESSMENT, 2018).pack())
    assert "还缺2020年度专业技术人员业务考核登记表。" in joined(calls) and ASSESSMENT not in ticks(bot)
    calls = await upload(bot, scan("assessment", 2020, fmt="png"))
    assert "加上此件，所要求的各年度已齐全：请点 ✅ 勾选此项。" in joined(calls)
    assert bot.buttons(USER) == [(f"✅ 勾选第{number_of(ASSESSMENT)}项", Confirm(ASSESSMENT, 2020).pack())]
    await bot.press(USER, Confirm(ASSESSMENT, 2020).pack())
    assert ASSESSMENT in ticks(bot)
    years = rows(bot, "SELECT year FROM upload_years WHERE item_id = ?", ASSESSMENT)
    assert sorted(years) == [(2018,), (2019,), (2020,)]


async def test_a_photo_is_checked_from_its_largest_size(bot: BotUnderTest) -> None:
    s = scan("ce_specialty", 2021)
    bot.api.files["big"] = s.content
    bot.api.files["thumb"] = b"\xff\xd8\xff not the one"
    sizes = [
        {"file_id": "thumb", "file_unique_id": "t", "width": 90, "height": 128, "file_size": 20},
        {"file_id": "big", "file_unique_id": "b", "width": 1240, "height": 1754, "file_size": len(s.content)},
    ]
    calls = await bot.send(bot.updates.message(USER, photo=sizes))
    assert [c.params["file_id"] for c in calls if c.method == "getFile"] == ["big"]
    assert "“照片.jpg”检查结果" in joined(calls) and "年度：2021年度，符合要求" in joined(calls)
    assert keyboards(calls) == [Confirm(CE, 2021).pack()]


# --- refusals ---


async def test_an_upload_before_the_interview_is_finished_gets_the_way_on_and_is_not_downloaded(
    bot: BotUnderTest,
) -> None:
    s = scan("ce_specialty", 2021, fmt="png")
    assert len(s.content) > 64 * 1024  # above what the adapter fetches before the transaction (case files)
    calls = await upload(bot, s, user=USER + 1)
    assert "请先回答问题。发送 /start 开始。" in joined(calls)
    await bot.text(USER + 1, "/start")
    calls = await upload(bot, s, user=USER + 1)
    assert "请先回答完问题" in joined(calls)
    assert "第1题" in texts(calls)[-1]  # the question asked again
    await seeded(bot, USER + 2, turned_away_answers())
    calls = await upload(bot, s, user=USER + 2)
    assert "没有需要上传的材料清单，因此不检查文件" in joined(calls) and "/restart" in joined(calls)
    assert not [c for c in bot.api.calls if c.method in ("getFile", "downloadFile")]


async def test_a_contact_persons_photo_points_to_their_own_commands_and_hr_documents_stay_case_files(
    tmp_path: Path,
) -> None:
    contact = 777
    bot = await start_bot(tmp_path / "z.sqlite3", contact_ids=frozenset({contact}))
    try:
        s = scan("ce_specialty", 2021, fmt="png")
        bot.api.files["p"] = s.content
        size = {"file_id": "p", "file_unique_id": "p", "width": 1600, "height": 1131, "file_size": len(s.content)}
        calls = await bot.send(bot.updates.message(contact, photo=[size]))
        assert "/broadcast" in joined(calls) and "/start" not in joined(calls)
        calls = await upload(bot, s, user=contact)  # a document from a contact person is read as a case file
        assert "案例文件无法使用" in joined(calls) and "检查结果" not in joined(calls)
        assert not [c for c in bot.api.calls if c.method == "downloadFile"]
    finally:
        await stop_bot(bot)


async def test_a_file_too_large_is_refused_with_one_line_and_never_downloaded(bot: BotUnderTest) -> None:
    calls = await bot.document(USER, "全部材料.pdf", b"%PDF-1.4 small", size=MAX_UPLOAD_BYTES + 1)
    assert "文件大于20 MB，超过机器人可从Telegram下载的上限" in joined(calls)
    assert not [c for c in calls if c.method in ("getFile", "downloadFile")]
    # Telegram did not say the size in the message: getFile does, and the file is not downloaded
    calls = await bot.document(USER, "扫描.pdf", b"%PDF-" + bytes(MAX_UPLOAD_BYTES), size=None)
    assert "文件大于20 MB" in joined(calls)
    assert [c.method for c in calls if c.method in ("getFile", "downloadFile")] == ["getFile"]


async def test_an_old_word_document_is_refused_with_the_hint_before_any_download(bot: BotUnderTest) -> None:
    calls = await bot.document(USER, "工作总结.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(70_000))
    said = joined(calls)
    assert "不读取旧版Word文档（.doc、.wps）。请另存为.docx或PDF" in said
    assert not [c for c in calls if c.method in ("getFile", "downloadFile")]
    calls = await bot.document(USER, "照片.zip", b"PK\x03\x04" + bytes(70_000))
    assert "不检查此类文件" in joined(calls)


async def test_a_file_that_cannot_be_fetched_is_asked_for_again(bot: BotUnderTest) -> None:
    calls = await bot.send(bot.updates.document(USER, "gone", "证书.png", 100_000))
    assert "未能从Telegram取得“证书.png”，请重新发送。" in joined(calls)


async def test_a_work_summary_within_the_bounds_can_be_ticked(bot: BotUnderTest) -> None:
    text = ("个人业务工作总结\n" + "本人任现职以来认真履行岗位职责，完成冶炼技术改造与安全生产工作。" * 80)[:2400]
    calls = await bot.document(USER, "工作总结.txt", text.encode("utf-8"))
    assert "在规定范围之内。" in joined(calls)
    assert keyboards(calls) == [Confirm("work_summary", 0).pack()]


# --- privacy ---


async def test_nothing_of_an_id_card_or_a_certificate_is_stored_or_logged(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every library's debug lines too
    card, certificate = scan("id_card", None), scan("ce_specialty", 2021, fmt="png")
    assert card.id_number
    calls = await upload(bot, card)
    assert "已识别为身份证扫描件" in joined(calls)
    assert card.id_number not in joined(calls) and card.id_number[:6] not in joined(calls)
    await bot.press(USER, Confirm(ID_CARD, 0).pack())
    calls = await upload(bot, certificate)
    converted = next(iter(documents(calls).values()))
    await bot.press(USER, Confirm(CE, 2021).pack())
    assert ticks(bot) == {ID_CARD, CE}
    assert ENGINE is not None
    with Image.open(io.BytesIO(certificate.content)) as image:
        read = ENGINE.read(image, 30).text + ENGINE.read(Image.open(io.BytesIO(card.content)), 30).text
    notice_text = NOTICE_TEXT.read_text("utf-8")
    # what Tesseract reads on them that is not the notice's own words: names, units, numbers
    words = {w for w in re.findall(r"[\u4e00-\u9fff]{3,}|\d{6,}", read.replace(" ", "")) if w not in notice_text}
    assert len(words) >= 3, words
    stored = b"".join(f.read_bytes() for f in bot.db_path.parent.glob(bot.db_path.name + "*"))
    assert any(f.name.endswith("-wal") for f in bot.db_path.parent.glob(bot.db_path.name + "*"))
    for secret in (card.id_number, card.id_number[:14], *words):
        assert secret.encode("utf-8") not in stored, secret
        assert secret not in caplog.text, secret
    # not even the file's name, in the lines logged without ZHICHENG_LOG_UNSAFE_DEBUG (PTB's own debug
    # lines carry the messages sent, where the name is the report's heading)
    logged = "\n".join(
        r.getMessage() for r in caplog.records if r.levelno >= logging.INFO or r.name.startswith("zhicheng")
    )
    for name in (card.filename, certificate.filename):
        assert name.encode("utf-8") not in stored and name not in logged
    for content in (card.content, certificate.content, converted):
        assert content[2000:2064] not in stored
    assert rows(bot, "SELECT item_id, year FROM upload_years") == [(CE, 2021)]
    # deleting the user's data deletes the years too
    await bot.text(USER, "/delete_me")
    await bot.press(USER, callbacks.DELETE_YES)
    assert rows(bot, "SELECT COUNT(*) FROM upload_years") == [(0,)]


# --- the worker pool ---


async def test_the_pool_refuses_work_beyond_its_queue_and_stops_waiting_at_the_time_limit() -> None:
    pool = WorkPool(workers=1, max_waiting=1, nice=0)
    gate = threading.Event()
    try:
        first = asyncio.ensure_future(pool.run(gate.wait, timeout=30))
        second = asyncio.ensure_future(pool.run(lambda: "second", timeout=30))
        while pool.admitted < 2:
            await asyncio.sleep(0)
        with pytest.raises(Busy):
            await pool.run(lambda: "third", timeout=30)
        gate.set()
        assert await first is True and await second == "second" and pool.admitted in (0, 1)
        slow = threading.Event()
        with pytest.raises(TimeoutError):
            await pool.run(lambda: slow.wait(5), timeout=0.05)
        slow.set()
        answered = await carry_out(
            ProcessFile("f", 1, 10, lambda f: [f.problem or "ok"], timeout=30),  # type: ignore[list-item,arg-type]
            Fetched(b"x", 1),
            pool,
        )
        assert answered == ["ok"]
    finally:
        gate.set()
        pool.shutdown()


# --- the console ---


async def test_the_console_checks_a_file_typed_as_upload_path(tmp_path: Path) -> None:
    storage = await Storage(tmp_path / "z.sqlite3").open()
    out = io.StringIO()
    try:
        await storage.atomically(lambda db: seed(db, [Seeded(USER, eligible_answers())]))
        chat = ConsoleChat(ChatService(storage, NOTICE, REGISTRY), USER, out, tmp_path / "documents")
        s = scan("ce_specialty", 2021, "rot90", "png")
        path = tmp_path / s.filename
        path.write_bytes(s.content)
        await chat.send_line(f"/upload {path}")
        shown = out.getvalue()
        assert "正在对照通知检查" in shown and "方向：不是正向，需顺时针旋转90°" in shown
        assert (tmp_path / "documents" / str(USER) / s.filename.replace(".png", ".jpg")).is_file()
        number = re.findall(r"\[(\d+)\] ✅ 勾选第", shown)
        await chat.send_line(number[-1])
        assert "☑ 已勾选清单第" in out.getvalue()
        await chat.send_line(f"/upload {tmp_path / 'nothing.png'}")
        assert "处没有可发送的文件" in out.getvalue()
    finally:
        await storage.close()
