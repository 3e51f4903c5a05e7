"""The upload checks on generated scans with fake data (tests/support/scans.py): format, orientation,
legibility, the item and year read, the converted .jpg, text documents, refusals, limits, privacy.
The sample is built once per session and each file is checked once (reports are cached)."""

from __future__ import annotations

import dataclasses
import io
import logging
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import matplotlib
import pytest
from docx import Document
from PIL import Image

from bot.features.uploads import check_upload, find_engine, oversized
from bot.features.uploads.pages import turned
from bot.features.uploads.sniff import detect_format
from conversations.uploads import MAX_UPLOAD_BYTES, UploadReport, report_json, report_messages, report_text
from knowledge import default_notice
from tests.support.scans import Scan, ScanSpec, make_scan, small_set_specs
from tests.test_uploads_logic import summary_text

matplotlib.use("Agg")

# Each scan is drawn and checked once per process (a second each): one worker takes the whole module.
pytestmark = pytest.mark.xdist_group("scans")

NOTICE = default_notice()
ENGINE = find_engine()
needs_ocr = pytest.mark.skipif(
    ENGINE is None,
    reason="Tesseract with chi_sim and osd is not installed (apt: tesseract-ocr-chi-sim tesseract-ocr-osd)",
)


@cache
def _checked(name: str) -> UploadReport:
    scan = _scan(name)
    return check_upload(NOTICE, None, scan.filename, scan.content)


@cache
def _scan(name: str) -> Scan:
    return next(spec for spec in small_set_specs() if spec.name == name).make()


@pytest.fixture(scope="session")
def checked() -> Callable[[str], tuple[Scan, UploadReport]]:
    return lambda name: (_scan(name), _checked(name))


def names(predicate: Callable[[ScanSpec], bool]) -> list[str]:
    """The names of the small set's scans that `predicate` picks, known without drawing them."""
    return [spec.name for spec in small_set_specs() if predicate(spec)]


# --- format ---


@pytest.mark.parametrize("name", names(lambda s: s.variant == "upright"))
def test_format_is_named_and_only_jpg_is_taken_as_it_is(checked, name: str) -> None:  # type: ignore[no-untyped-def]
    scan, report = checked(name)
    assert report.format == scan.format and report.refused is None
    if scan.format == "jpeg" and report.upright:
        assert report.accepted is True and report.converted == ()
    else:
        assert report.accepted is False and len(report.converted) == 1
    line = report_json(NOTICE, report, "zh_Hans")["notes"][0]
    assert line.startswith(f"格式：{'JPG' if scan.format == 'jpeg' else scan.format.upper()}") and "四（二）" in line


def test_format_is_read_from_the_bytes_not_the_name() -> None:
    scan = _scan(next(spec.name for spec in small_set_specs() if spec.format == "png"))
    assert detect_format("scan.jpg", scan.content) == "png"
    assert detect_format("x", b"%PDF-1.4 ...") == "pdf"
    assert detect_format("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == "doc"
    assert detect_format("a.bin", bytes(range(256))) == "unknown"
    assert detect_format("note.txt", "工作总结".encode("gb18030")) == "txt"


# --- orientation ---


@needs_ocr
@pytest.mark.parametrize("name", names(lambda s: s.legible))
def test_orientation_of_legible_scans(checked, name: str) -> None:  # type: ignore[no-untyped-def]
    scan, report = checked(name)
    assert report.rotation == scan.rotation
    assert report.upright is (scan.rotation == 0)
    if scan.rotation:
        assert f"需顺时针旋转{scan.rotation}°" in report_text(NOTICE, report, "zh_Hans")


@needs_ocr
@pytest.mark.parametrize("name", names(lambda s: s.rotation != 0 or s.variant == "exif"))
def test_the_converted_jpg_is_upright(checked, name: str) -> None:  # type: ignore[no-untyped-def]
    scan, report = checked(name)
    assert len(report.converted) == 1
    image = Image.open(io.BytesIO(report.converted[0]))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.getexif().get(0x0112) is None  # no orientation tag left for a viewer to apply
    upright = Image.open(io.BytesIO(make_scan(scan.kind, scan.year, "upright", "png", 0).content))
    assert image.size == upright.size
    assert ENGINE.orientation(image) == 0  # type: ignore[union-attr]


def test_a_photo_turned_by_its_exif_tag_is_named_and_turned(checked) -> None:  # type: ignore[no-untyped-def]
    _, report = checked(names(lambda s: s.variant == "exif")[0])
    assert report.exif_turned and report.accepted is False
    assert "照片以旋转状态保存" in report_text(NOTICE, report, "zh_Hans")


# --- legibility ---


@pytest.mark.parametrize("name", names(lambda s: True))
def test_legibility(checked, name: str) -> None:  # type: ignore[no-untyped-def]
    scan, report = checked(name)
    assert report.legible is scan.legible
    text = report_text(NOTICE, report, "zh_Hans")
    if scan.variant == "blurred":
        assert "blurred" in report.legibility.problems  # type: ignore[union-attr]
        assert "不清晰（图像模糊）" in text and "放平、对焦" in text
    elif scan.variant == "lowres":
        assert "low_resolution" in report.legibility.problems  # type: ignore[union-attr]
        assert "分辨率过低" in text
    else:
        assert "清晰度：清晰" in text


# --- the item and its year ---


@needs_ocr
@pytest.mark.parametrize("name", names(lambda s: s.legible))
def test_the_item_and_the_year_are_read(checked, name: str) -> None:  # type: ignore[no-untyped-def]
    scan, report = checked(name)
    assert report.recognition == "on"
    assert report.item == scan.item
    if scan.year is not None:
        assert report.year == scan.year


@needs_ocr
@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "ce_specialty-2020-upright-jpeg-0",
            "年度不符：这是2020年度的专业科目继续教育培训合格证书，五（一）8要求2021年度。",
        ),
        (
            "ce_public-2015-upright-png-0",
            "年度不符：这是2015年度的公需科目继续教育培训合格证书，五（一）8要求2016-2020年度。",
        ),
        (
            "assessment-2017-upright-jpeg-0",
            "年度不符：这是2017年度的专业技术人员业务考核登记表，五（一）9要求2018-2020年度。",
        ),
        ("ce_specialty-2021-upright-jpeg-0", "年度：2021年度，符合要求。（依据：五（一）8）"),
        ("assessment-2019-upright-pdf-0", "年度：2019年度，符合要求。（依据：五（一）9）"),
    ],
)
def test_wrong_years_are_named(checked, name: str, line: str) -> None:  # type: ignore[no-untyped-def]
    _, report = checked(name)
    assert line in report_text(NOTICE, report, "zh_Hans").split("\n")


@needs_ocr
def test_an_id_card_is_only_confirmed_as_present(checked) -> None:  # type: ignore[no-untyped-def]
    scan, report = checked("id_card-x-upright-jpeg-0")
    text = report_text(NOTICE, report, "zh_Hans")
    assert "已识别为身份证扫描件" in text
    assert report.item == "id_card_and_photo" and report.year is None
    assert scan.id_number and scan.id_number not in text


@needs_ocr
def test_nothing_read_from_a_scan_is_kept_logged_or_written(checked, caplog, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    scan = make_scan("id_card", None, "upright", "png", 7)
    assert scan.id_number
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # any temporary file would land here
    with caplog.at_level(logging.DEBUG):
        report = check_upload(NOTICE, None, scan.filename, scan.content)
    assert report.item == "id_card_and_photo"
    assert list(tmp_path.iterdir()) == []
    everything = (
        repr(report)
        + str(report_json(NOTICE, report, "zh_Hans"))
        + "".join(report_messages(NOTICE, report, "zh_Hans"))
        + caplog.text
    )
    for secret in (scan.id_number, scan.id_number[-6:], scan.id_number[6:14]):
        assert secret not in everything
    # The report's fields hold verdicts and numbers, never text read from the file.
    for f in dataclasses.fields(report):
        value = getattr(report, f.name)
        if isinstance(value, str):
            assert len(value) < 40


# --- recognition off, time limit ---


def test_without_tesseract_everything_but_recognition_still_works() -> None:
    scan = make_scan("ce_specialty", 2021, "rot90", "png", 0)
    report = check_upload(NOTICE, None, scan.filename, scan.content, engine=None)
    assert report.recognition == "off" and report.item is None and report.upright is None
    assert report.legible is True and report.format == "png" and len(report.converted) == 1
    text = report_text(NOTICE, report, "zh_Hans")
    assert "文字识别未开启（本机未安装Tesseract）" in text and "未检查方向" in text


@needs_ocr
def test_when_time_runs_out_recognition_stops_and_the_rest_is_reported() -> None:
    scan = make_scan("assessment", 2019, "upright", "jpeg", 0)
    report = check_upload(NOTICE, None, scan.filename, scan.content, time_limit=0.0)
    assert report.recognition == "timeout" and report.item is None
    assert report.legible is True and report.accepted is None  # right format; orientation not told
    assert "文字识别超时已停止" in report_text(NOTICE, report, "zh_Hans")


# --- documents: the work summary ---


def _docx(text: str) -> bytes:
    document = Document()
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _text_pdf(text: str) -> bytes:
    from matplotlib import font_manager, rcParams
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    rcParams["pdf.fonttype"] = 42
    font = font_manager.FontProperties(fname="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    flat = text.replace("\n", "")
    lines = [flat[i : i + 40] for i in range(0, len(flat), 40)]
    out = io.BytesIO()
    with PdfPages(out) as pdf:
        for start in range(0, len(lines), 45):
            figure = Figure(figsize=(8.27, 11.69))
            for row, line in enumerate(lines[start : start + 45]):
                figure.text(0.08, 0.95 - row * 0.02, line, fontproperties=font, fontsize=10)
            pdf.savefig(figure)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["docx", "txt", "txt-gb18030", "pdf"])
@pytest.mark.parametrize(("total", "verdict"), [(1999, "under"), (2000, "within"), (3000, "within"), (3001, "over")])
def test_the_work_summary_is_counted_in_each_format(kind: str, total: int, verdict: str) -> None:
    text = summary_text(total, punctuation_every=40, digits=kind != "pdf")  # a PDF line may break inside 2021
    if kind == "pdf":
        content, name = _text_pdf(text), "总结.pdf"
    elif kind == "docx":
        content, name = _docx(text), "总结.docx"
    else:
        content, name = text.encode("gb18030" if kind == "txt-gb18030" else "utf-8"), "总结.txt"
    report = check_upload(NOTICE, None, name, content, engine=None)
    assert report.refused is None and report.summary is not None
    assert report.summary.count.total == total and report.summary.verdict == verdict
    assert report.item == "work_summary" and report.converted == ()
    data = report_json(NOTICE, report, "zh_Hans")
    assert data["characters"]["count"] == total and data["characters"]["interpretation"] == "summary_character_count"
    assert any("（依据：五（一）10）" in line for line in data["notes"])


def test_a_signed_letter_sent_as_word_is_recognised_not_counted() -> None:
    content = _docx("专业技术职务任职资格评审材料真实性\n承诺书\n本人承诺：所提供的证明材料真实有效。")
    report = check_upload(NOTICE, None, "承诺书.docx", content, engine=None)
    assert report.item == "commitment_letter_upload" and report.summary is None
    assert "是文字文件，不是扫描件" in report_text(NOTICE, report, "zh_Hans")


# --- refusals and limits ---


def test_a_file_above_telegrams_limit_is_refused_with_one_clear_line() -> None:
    report = check_upload(NOTICE, None, "big.jpg", b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES, engine=None)
    assert report.refused == "too_large" and report.size == MAX_UPLOAD_BYTES + 3
    assert oversized("big.jpg", 10**9).refused == "too_large"
    lines = report_json(NOTICE, report, "zh_Hans")["notes"]
    assert lines == ["文件大于20 MB，超过机器人可从Telegram下载的上限。请压缩后或分页发送。"]


@pytest.mark.parametrize(
    ("name", "content", "refused"),
    [
        ("empty.jpg", b"", "empty"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "unreadable"),
        ("broken.pdf", b"%PDF-1.4\n garbage", "unreadable"),
        ("broken.docx", b"PK\x03\x04" + b"\0" * 64, "unsupported"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "unsupported"),
        ("random.bin", bytes(range(256)) * 4, "unsupported"),
    ],
)
def test_bad_files_get_a_clear_reply_and_never_crash(name: str, content: bytes, refused: str) -> None:
    report = check_upload(NOTICE, None, name, content, engine=None)
    assert report.refused == refused
    assert len(report_json(NOTICE, report, "zh_Hans")["notes"]) == 1


def test_a_docx_whose_text_would_not_fit_in_memory_is_not_parsed() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (60 * 2**20) + b"</w:document>")
    report = check_upload(NOTICE, None, "bomb.docx", out.getvalue(), engine=None)
    assert report.refused == "too_large"


def test_an_image_with_too_many_pixels_is_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 7_000), 1).save(out, "PNG")
    report = check_upload(NOTICE, None, "huge.png", out.getvalue(), engine=None)
    assert report.refused == "too_many_pixels"
    assert "兆像素" in report_text(NOTICE, report, "zh_Hans")


def test_a_pdf_with_several_pages_is_converted_page_by_page() -> None:
    pages = [make_scan("assessment", year, "rot90" if year == 2019 else "upright", "png", 0) for year in (2018, 2019)]
    images = [Image.open(io.BytesIO(p.content)).convert("RGB") for p in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=150.0, save_all=True, append_images=images[1:])
    report = check_upload(NOTICE, None, "考核表.pdf", out.getvalue(), engine=ENGINE)
    assert (report.pages, report.pages_checked, len(report.converted)) == (2, 2, 2)
    assert "共2页，已检查前2页。" in report_text(NOTICE, report, "zh_Hans")
    if ENGINE is not None:
        assert report.upright is False and report.rotation == 0  # the first page is upright, the second not
        for data in report.converted:
            assert ENGINE.orientation(Image.open(io.BytesIO(data))) == 0


def test_turned_turns_clockwise() -> None:
    image = Image.new("RGB", (4, 2))
    image.putpixel((0, 0), (255, 0, 0))  # top left
    assert turned(image, 90).size == (2, 4) and turned(image, 90).getpixel((1, 0)) == (255, 0, 0)  # now top right
    assert turned(image, 180).getpixel((3, 1)) == (255, 0, 0)
    assert turned(image, 270).getpixel((0, 3)) == (255, 0, 0)


def test_the_check_is_a_plain_function_for_a_worker_thread(checked) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    scans = [_scan(name) for name in names(lambda s: s.legible)[:4]]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda s: check_upload(NOTICE, None, s.filename, s.content), scans))
    for scan, report in zip(scans, reports, strict=True):
        assert report.legible is True
        if ENGINE is not None:
            assert report.item == scan.item


def test_paths_are_never_in_the_report(tmp_path: Path) -> None:
    scan = make_scan("title", None, "upright", "jpeg", 0)
    report = check_upload(NOTICE, None, scan.filename, scan.content, engine=None)
    assert str(tmp_path) not in repr(report) and report.filename == scan.filename


def test_a_notice_without_upload_rules_or_recognize_blocks_still_gets_the_checks() -> None:
    from knowledge import load_notice
    from tests.conftest import FIXTURES_DIR

    other = load_notice(FIXTURES_DIR / "notices" / "2022-test-notice.yaml")
    assert other.uploads is None and not any(it.recognize for it in other.items)
    scan = make_scan("ce_specialty", 2021, "upright", "png", 0)
    report = check_upload(other, None, scan.filename, scan.content, engine=None)
    assert report.item is None and report.legible is True and report.accepted is None and report.converted == ()
    text = report_text(other, report, "zh_Hans")
    assert "格式：PNG。" in text and "四（二）" not in text


def test_an_iphone_heic_photo_gets_an_upright_jpg() -> None:
    scan = make_scan("title", None, "rot90", "png", 0)
    out = io.BytesIO()
    Image.open(io.BytesIO(scan.content)).save(out, "HEIF", quality=90)  # pillow-heif registered its opener
    report = check_upload(NOTICE, None, "IMG_0001.HEIC", out.getvalue(), engine=ENGINE)
    assert report.format == "heic" and report.accepted is False and len(report.converted) == 1
    assert Image.open(io.BytesIO(report.converted[0])).format == "JPEG"
    assert report_text(NOTICE, report, "zh_Hans").split("\n")[1].startswith("格式：HEIC。通知要求扫描后保存为*.jpg格式")
    if ENGINE is not None:
        assert report.rotation == 90 and report.item == "title_certificate"


@pytest.mark.parametrize(("variant", "legible"), [("upright", True), ("blurred", False)])
def test_sensor_noise_neither_blurs_a_sharp_scan_nor_sharpens_a_blurred_one(variant: str, legible: bool) -> None:
    import numpy as np

    from bot.features.uploads.legibility import measure
    from bot.features.uploads.pages import open_image

    scan = make_scan("commitment", None, variant, "png", 5)
    pixels = np.asarray(open_image(scan.content).images[0], dtype=np.float32)
    noisy = np.clip(pixels + np.random.default_rng(1).normal(0, 12, pixels.shape), 0, 255).astype(np.uint8)
    assert measure(Image.fromarray(noisy)).legible is legible
