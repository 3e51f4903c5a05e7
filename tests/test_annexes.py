"""The attachments filled for one applicant (pure): what HR types is read and checked; the .docx
opens with python-docx and holds the filled fields in the notice's words; the HTML page the same."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest

from conversations.annexes import (
    AnnexFill,
    AnnexInputError,
    Identity,
    annex1_paragraphs,
    annex_file_name,
    annexes_docx,
    exemption_reason,
    id_number_valid,
    needed_attachments,
    parse_annex_input,
)
from conversations.outcome import evaluate
from conversations.render import annexes_html
from conversations.unit_duties import publicity_period
from knowledge import default_notice
from tests.test_unit_duties import HR_PERSONAS, outcome_of

NOTICE = default_notice()
ID = "11010519491231002X"  # the standard's example number (GB 11643), a valid check character


def fill_for(
    persona_index: int,
    unit: str | None = "新疆有色测试有限公司",
    start: dt.date = dt.date(2021, 10, 11),
    reason: str | None = None,
) -> AnnexFill:
    outcome = outcome_of(HR_PERSONAS[persona_index])
    level_id = dict((a.id, a.answer_id) for a in outcome.answers)["level"]
    assert outcome.level is not None
    return AnnexFill(
        Identity("张三", ID),
        level_id,
        outcome.level,
        unit,
        publicity_period(NOTICE, start),
        needed_attachments(NOTICE, outcome),
        reason,
    )


def test_an_id_number_needs_eighteen_characters_and_its_check_character() -> None:
    assert id_number_valid(ID)
    assert not id_number_valid("110105194912310021")  # wrong check character
    assert not id_number_valid("11010519491231002")
    assert not id_number_valid("11010519491231002Y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"张三 {ID}", ("张三", ID, None, None)),
        (f"张三，{ID.lower()}，2021年10月11日", ("张三", ID, dt.date(2021, 10, 11), None)),
        (
            f"{ID} 阿依古丽·买买提 2021-10-11 2021-10-18",
            ("阿依古丽·买买提", ID, dt.date(2021, 10, 11), dt.date(2021, 10, 18)),
        ),
        (f"张三 {ID} 10月11日", ("张三", ID, dt.date(2021, 10, 11), None)),
    ],
)
def test_the_typed_name_id_number_and_dates_are_read(text: str, expected: tuple[object, ...]) -> None:
    identity, start, end = parse_annex_input(text, 2021)
    assert (identity.name, identity.id_number, start, end) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ID, "name"),
        ("张三", "id_number"),
        ("张三 110105194912310021", "id_checksum"),
        (f"张三 {ID} 2021年13月1日", "date"),
        (f"张三 {ID} 1 2 3", "too_many"),
    ],
)
def test_unusable_input_names_the_problem(text: str, problem: str) -> None:
    with pytest.raises(AnnexInputError) as error:
        parse_annex_input(text, 2021)
    assert error.value.problem == problem


def test_sex_and_birth_month_follow_from_the_id_number() -> None:
    identity = Identity("张三", ID)
    assert identity.birth == dt.date(1949, 12, 31) and identity.sex == "女"


def test_annex1_is_the_notices_template_with_its_blanks_filled() -> None:
    fill = fill_for(0)  # 副高级
    text, seal, date_line = annex1_paragraphs(NOTICE, fill)
    template = NOTICE.attachment("附件1").paragraphs[0]  # type: ignore[union-attr]
    expected = (
        template.replace("×××同志（身份证号码：××××××××）", f"张三同志（身份证号码：{ID}）", 1)
        .replace("于××××年××月××日至××××年××月××日", "于2021年10月11日至2021年10月15日")
        .replace("公示××天", "公示5天")
        .replace("同意推荐×××同志", "同意推荐张三同志")
        .replace("×（高、中、初）级", "高级")
    )
    assert text == expected and "×" not in text
    assert seal == "新疆有色测试有限公司（公章）" and date_line.startswith("2021年")


@pytest.mark.parametrize(("index", "word"), [(0, "高级"), (1, "中级"), (2, "初级")])
def test_annex1_writes_the_level_as_the_template_offers_it(index: int, word: str) -> None:
    text = annex1_paragraphs(NOTICE, fill_for(index))[0]
    assert f"有色金属专业{word}专业技术任职资格" in text


def _document_text(content: bytes) -> tuple[str, list[list[str]]]:
    document = docx.Document(io.BytesIO(content))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    cells = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    return paragraphs, cells


def test_the_docx_opens_and_holds_annex1_and_annex2_filled() -> None:
    fill = fill_for(0)
    text, cells = _document_text(annexes_docx(NOTICE, fill))
    assert "公 示 结 果" in text and "承  诺  书" in text
    assert annex1_paragraphs(NOTICE, fill)[0] in text
    assert "本人申报工程系列有色金属专业 副高 级专业技术职务任职资格" in text
    assert "兹证明 张三 同志确系本单位在职专业技术人员" in text
    assert not cells  # no 附件3 for this applicant
    document = docx.Document(io.BytesIO(annexes_docx(NOTICE, fill)))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # type: ignore[union-attr]


def test_the_exemption_form_is_included_only_for_the_six_one_group_and_filled() -> None:
    fill = fill_for(3, reason="目前仍在参加“访惠聚”驻村工作（六（一））")
    assert [a.ref for a in fill.attachments] == ["附件1", "附件2", "附件3"]
    text, cells = _document_text(annexes_docx(NOTICE, fill))
    assert "继续教育学习免试审批表" in text
    flat = [c for row in cells for c in row]
    assert {"张三", ID, "女", "1949年12月", "新疆有色测试有限公司", "工程系列有色金属专业副高级"} <= set(flat)
    assert "目前仍在参加“访惠聚”驻村工作" in flat  # the field holds the fact, not its clause
    assert not [c for c in flat if "六（一）" in c]
    labels = [row[0] for row in cells]
    assert labels[:6] == ["姓名", "身份证号", "何时何学校何专业毕业", "现工作单位", "现有专业技术职务", "免考理由"]
    assert "注：1、目前仍参加“访惠聚”驻村工作" in text


def test_the_html_page_holds_the_same_filled_text_with_each_attachment_on_its_page() -> None:
    fill = fill_for(3, reason="x")
    html = annexes_html(NOTICE, fill, "zh_Hans")
    assert ID in html and "公示5天" in html and "同意推荐张三同志" in html
    assert len(re.findall(r'<article class="annex-doc"', html)) == 3
    assert ".annex-doc + .annex-doc { break-before: page; }" in html


def test_a_unit_not_known_leaves_the_seal_line_as_in_the_template() -> None:
    assert annex1_paragraphs(NOTICE, fill_for(0, unit=None))[1] == "单位名称（公章）"


def test_applicants_turned_away_or_not_covered_need_no_attachments() -> None:
    assert needed_attachments(NOTICE, outcome_of(HR_PERSONAS[5])) == ()
    answers = {
        "employment": "in_service",
        "unit_type": "xinjiang",
        "sanction": "no",
        "misconduct": "none",
        "current_title": "none",
        "submission_status": "no",
        "level": "full_senior",
    }
    assert needed_attachments(NOTICE, evaluate(NOTICE, answers)) == ()


# --- the .docx as Word and LibreOffice read it: its XML ---------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _xml(content: bytes, part: str) -> Any:
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return etree.fromstring(archive.read(part))


def _full_fill() -> AnnexFill:
    outcome = outcome_of(HR_PERSONAS[3])  # the 六（一） group: 附件1–3
    level_id = dict((a.id, a.answer_id) for a in outcome.answers)["level"]
    assert outcome.level is not None
    return AnnexFill(
        Identity("阿依古丽·买买提", ID),
        level_id,
        outcome.level,
        "新疆有色测试有限公司",
        publicity_period(NOTICE, dt.date(2021, 10, 11)),
        needed_attachments(NOTICE, outcome),
        exemption_reason(NOTICE, outcome),
    )


def test_the_docx_is_in_simplified_chinese_in_its_defaults_every_style_and_every_run() -> None:
    content = annexes_docx(NOTICE, _full_fill())
    styles, document = _xml(content, "word/styles.xml"), _xml(content, "word/document.xml")
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert default is not None and default.get(f"{W}eastAsia") == "zh-CN"
    style_langs = [s.find(f"{W}rPr/{W}lang") for s in styles.iter(f"{W}style")]
    assert style_langs and all(lang is not None and lang.get(f"{W}eastAsia") == "zh-CN" for lang in style_langs)
    runs = list(document.iter(f"{W}r"))
    assert len(runs) > 40
    assert all(
        r.find(f"{W}rPr/{W}lang") is not None and r.find(f"{W}rPr/{W}lang").get(f"{W}eastAsia") == "zh-CN" for r in runs
    )
    assert docx.Document(io.BytesIO(content)).core_properties.language == "zh-CN"


def test_the_id_number_of_the_exemption_form_sits_in_a_cell_wide_enough_that_does_not_wrap() -> None:
    document = _xml(annexes_docx(NOTICE, _full_fill()), "word/document.xml")
    cells = [c for c in document.iter(f"{W}tc") if "".join(c.itertext()) == ID]
    assert len(cells) == 1
    assert cells[0].find(f"{W}tcPr/{W}noWrap") is not None
    width = int(cells[0].find(f"{W}tcPr/{W}tcW").get(f"{W}w"))  # twentieths of a point
    needed = 18 * 10.5 / 2 * 20 + 2 * 108  # 18 half-width characters at 五号, and the cell's margins
    assert width >= needed
    runs = [r for r in cells[0].iter(f"{W}r")]
    assert len(runs) == 1  # one run: nothing to break it apart


def test_no_field_of_a_form_holds_a_clause_reference() -> None:
    import re

    document = _xml(annexes_docx(NOTICE, _full_fill()), "word/document.xml")
    table = document.find(f".//{W}tbl")
    assert table is not None
    values = ["".join(c.itertext()) for c in table.iter(f"{W}tc")]
    assert "目前仍在参加“访惠聚”驻村工作（含抽调到各级“访惠聚”办公室）" in values
    assert [v for v in values if re.search(r"[一二三四五六七]（[一二三四五六七]）", v)] == []


def test_the_file_name_says_whose_attachments_and_which() -> None:
    fill = _full_fill()
    assert annex_file_name(fill, "docx") == "阿依古丽·买买提_附件1、附件2、附件3.docx"
    without_annex3 = fill_for(0)
    assert annex_file_name(without_annex3, "html") == "张三_附件1、附件2.html"


def test_the_exemption_reason_is_the_applicants_answer_in_its_words() -> None:
    reason = exemption_reason(NOTICE, outcome_of(HR_PERSONAS[3]))
    assert reason == "目前仍在参加“访惠聚”驻村工作（含抽调到各级“访惠聚”办公室）"
    assert exemption_reason(NOTICE, outcome_of(HR_PERSONAS[0])) is None  # no exemption, no 附件3


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdftotext") is None,
    reason="LibreOffice or pdftotext is not installed (apt-get install libreoffice-writer-nogui poppler-utils)",
)
def test_libreoffice_prints_the_id_number_on_one_line_in_the_text_and_in_the_form(tmp_path: Path) -> None:
    import subprocess

    source = tmp_path / "annexes.docx"
    source.write_bytes(annexes_docx(NOTICE, _full_fill()))
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "annexes.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    lines_with_id = [line for line in text.splitlines() if ID in line.replace(" ", "")]
    assert len(lines_with_id) == 2, text  # 附件1's text and 附件3's form, each on one line
    assert "ID" not in text and text.count(ID[:6]) == 2  # nowhere a piece of it on another line
