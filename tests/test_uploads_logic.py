"""The pure side of the upload checks (conversations.uploads and the knowledge file's recognize
blocks): which item a text belongs to, its kind and year, 字数 and its bounds, and the rendering."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from conversations.casefile import load_case
from conversations.outcome import Outcome, evaluate
from conversations.uploads import (
    CharacterCount,
    Match,
    Scope,
    UploadReport,
    check_summary,
    missing_years,
    missing_years_text,
    read_year,
    recognize,
    report_json,
    report_text,
    scope_of,
    years_text,
)
from knowledge import KnowledgeError, default_notice, load_notice
from knowledge.loader import quoted_character_bounds, quoted_years
from tests.conftest import EXAMPLES_DIR, NOTICE_YAML
from tests.support.yamlfast import safe_load

NOTICE = default_notice()
CE_SPECIALTY = (
    "继续教育培训合格证书 王某同志：于{year}年度参加专业技术人员专业科目继续教育培训，完成规定学时90学时，经考核合格。"
)
CE_PUBLIC = (
    "继续教育培训合格证书 王某同志：于{year}年度参加专业技术人员公需科目继续教育培训，完成规定学时30学时，经考核合格。"
)
ASSESSMENT = "专业技术人员业务考核登记表（{year}年度） 姓名 王某 考核年度 {year}年度 考核等次 合格 {next}年1月5日"


# --- the knowledge file ---


def test_the_years_and_bounds_come_from_the_items_quotes() -> None:
    items = {it.id: it for it in NOTICE.items}
    assert items["ce_specialty_2021"].recognize.years == (2021,)  # type: ignore[union-attr]
    assert items["ce_public_2016_2020"].recognize.years == (2016, 2017, 2018, 2019, 2020)  # type: ignore[union-attr]
    assert items["assessment_2018_2020"].recognize.years == (2018, 2019, 2020)  # type: ignore[union-attr]
    assert items["work_summary"].recognize.characters == (2000, 3000)  # type: ignore[union-attr]
    dated = ("ce_specialty_2021", "ce_public_2016_2020", "assessment_2018_2020", "work_summary")
    assert [items[i].ref for i in dated] == ["五（一）8", "五（一）8", "五（一）9", "五（一）10"]


def test_quoted_years_and_bounds() -> None:
    assert quoted_years("专业科目提供2021年度培训合格证书") == (2021,)
    assert quoted_years("公需科目提供2016-2020年度培训合格证书") == (2016, 2017, 2018, 2019, 2020)
    assert quoted_years("按要求上传近3年（2018年-2020年）《专业技术人员业务考核登记表》。") == (2018, 2019, 2020)
    assert quoted_years("上传学历、学位证书") == ()
    assert quoted_character_bounds("字数2000-3000字。") == (2000, 3000)
    assert quoted_character_bounds("字数若干") is None


def test_the_upload_rules_cite_clause_4_2_with_the_notices_words() -> None:
    rules = NOTICE.uploads
    assert rules is not None
    assert rules.formats == ("jpeg",) and rules.label == "*.jpg"
    assert {rules.format.ref, rules.upright.ref, rules.legible.ref} == {"四（二）"}
    assert "正向上传" in rules.upright.quote and "不清晰" in rules.legible.quote


def _broken(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = safe_load(NOTICE_YAML.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    change(data)
    target = tmp_path / NOTICE_YAML.name
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp_path / data["notice"]["text_file"]).write_text(NOTICE.text, encoding="utf-8")
    return target


def _item(data: dict, item_id: str) -> dict:  # type: ignore[type-arg]
    return next(it for it in data["items"] if it["id"] == item_id)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: _item(d, "ce_specialty_2021")["recognize"].update(kind="公需科目"), "is not in the item's quote"),
        (
            lambda d: _item(d, "title_certificate").update(
                recognize={"documents": [{"name": "x", "words": ["职称"]}], "dated": True}
            ),
            "names no year",
        ),
        (
            lambda d: _item(d, "title_certificate").update(
                recognize={"documents": [{"name": "x", "words": ["职称"]}], "counted": True}
            ),
            "names no bounds",
        ),
        (
            lambda d: _item(d, "work_summary")["recognize"].update(interpretation="nope"),
            "'nope' is not an interpretation",
        ),
        (lambda d: d["uploads"]["format"].update(quote="上传PDF"), "quote does not appear in the notice text"),
        (lambda d: d["uploads"]["legible"].update(ref="九"), "cites clause '九'"),
    ],
)
def test_a_broken_recognize_or_uploads_block_is_named(tmp_path: Path, change, problem: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KnowledgeError) as err:
        load_notice(_broken(tmp_path, change))
    assert problem in str(err.value)


def test_the_counting_reading_is_recorded_as_an_interpretation() -> None:
    reading = NOTICE.interpretation("summary_character_count")
    assert reading is not None and reading.ref == "五（一）10"
    assert "空格" in reading.choice and "标点" in reading.choice


# --- recognition ---


@pytest.mark.parametrize(
    ("text", "item", "year", "ok"),
    [
        (CE_SPECIALTY.format(year=2021), "ce_specialty_2021", 2021, True),
        (CE_SPECIALTY.format(year=2020), "ce_specialty_2021", 2020, False),  # 五（一）8 asks for 2021
        (CE_PUBLIC.format(year=2016), "ce_public_2016_2020", 2016, True),
        (CE_PUBLIC.format(year=2020), "ce_public_2016_2020", 2020, True),
        (CE_PUBLIC.format(year=2015), "ce_public_2016_2020", 2015, False),
        (CE_PUBLIC.format(year=2021), "ce_public_2016_2020", 2021, False),
        (ASSESSMENT.format(year=2019, next=2020), "assessment_2018_2020", 2019, True),
        (ASSESSMENT.format(year=2017, next=2018), "assessment_2018_2020", 2017, False),  # outside 2018-2020
        (ASSESSMENT.format(year=2021, next=2022), "assessment_2018_2020", 2021, False),
    ],
)
def test_dated_items_and_their_years(text: str, item: str, year: int, ok: bool) -> None:
    match = recognize(NOTICE, text)
    assert match is not None
    assert (match.item, match.year, match.year_ok) == (item, year, ok)


@pytest.mark.parametrize(
    ("text", "item", "document"),
    [
        (
            "职称证书 姓名：王某 资格名称：工程师 评审机构：某某评审委员会 批准文号：新色职字〔2015〕12号",
            "title_certificate",
            "职称证书",
        ),
        (
            "普通高等学校 毕业证书 学生王某，于2008年9月至2012年7月在本校本科学习，成绩合格，准予毕业。",
            "education_certificates",
            "毕业证书",
        ),
        (
            "学士学位证书 王某，男。经审核符合《中华人民共和国学位条例》的规定，授予工学学士学位。",
            "education_certificates",
            "学位证书",
        ),
        ("委托评审函 新疆维吾尔自治区专业技术人员职称办公室：现委托贵办组织评审。", "entrustment_upload", "委托评审函"),
        (
            "公 示 结 果 王某同志申报材料在本单位公示5天，公示期间未收到投诉、举报，公示无异议。",
            "publicity_result_upload",
            "公示结果",
        ),
        (
            "专业技术职务任职资格评审材料真实性 承 诺 书 本人承诺：所提供的证明材料真实有效。",
            "commitment_letter_upload",
            "承诺书",
        ),
        ("继续教育学习免试审批表 姓名 免考理由 参加“访惠聚”驻村工作", "ce_exemption_form_upload", "继续教育免试审批表"),
        ("姓名 王某 性别 男 民族 汉 住址 某某路1号 公民身份号码 650102199001011234", "id_card_and_photo", "身份证"),
    ],
)
def test_each_kind_the_checklist_names_is_recognised(text: str, item: str, document: str) -> None:
    match = recognize(NOTICE, text)
    assert match is not None and (match.item, match.document) == (item, document)


def test_an_id_card_is_only_named_nothing_on_it_is_read() -> None:
    match = recognize(NOTICE, "居民身份证 签发机关 某某公安局 有效期限 2015.01.01-2035.01.01 出生 1990年1月1日")
    assert match is not None and match.sensitive and match.item == "id_card_and_photo"
    assert match.year is None and match.kind is None


def test_ocr_slips_are_tolerated() -> None:
    # One character misread, added or dropped (as Tesseract does on seals and borders).
    assert recognize(NOTICE, "于2021年度参加专业技术人员专业科时继续教肓培训，完成规定学时").item == "ce_specialty_2021"  # type: ignore[union-attr]
    assert recognize(NOTICE, "继续教育培训合格证书 于2016年度参加公和需科目继续教育").item == "ce_public_2016_2020"  # type: ignore[union-attr]


def test_unrelated_or_empty_text_is_no_item() -> None:
    assert recognize(NOTICE, "关于召开安全生产例会的通知 各车间：定于下周三召开例会。") is None
    assert recognize(NOTICE, "") is None


def test_a_certificate_without_its_kind_is_not_guessed_unless_the_checklist_settles_it() -> None:
    text = "继续教育培训合格证书 王某同志：于2020年度参加继续教育培训，完成规定学时30学时。"
    match = recognize(NOTICE, text)
    assert match is not None and match.item is None
    assert match.document == "继续教育培训合格证书" and set(match.kinds) == {"专业科目", "公需科目"}
    # For an applicant exempted from 专业科目 (六（一）), only 公需科目 can be meant.
    fanghuiju = _outcome("fanghuiju-associate-senior.yaml")
    assert "ce_specialty_2021" in {e.id for e in fanghuiju.exemptions}
    mine = recognize(NOTICE, text, scope_of(NOTICE, fanghuiju))
    assert mine is not None and mine.item == "ce_public_2016_2020" and mine.year == 2020


def _outcome(case_file: str) -> Outcome:
    return evaluate(NOTICE, load_case(EXAMPLES_DIR / case_file, NOTICE).answers)


def test_the_applicants_checklist_decides_between_items_of_the_same_document() -> None:
    text = "职称证书 资格名称：工程师 评审机构：某某评审委员会"
    aid_worker = _outcome("aid-worker-intermediate.yaml")  # a title from another province (五（一）3)
    match = recognize(NOTICE, text, scope_of(NOTICE, aid_worker))
    assert match is not None and match.item == "title_docs_elsewhere" and match.on_checklist is True
    assert recognize(NOTICE, text).item == "title_certificate"  # type: ignore[union-attr]


def test_an_item_not_on_the_checklist_is_said_so() -> None:
    outcome = _outcome("xinjiang-associate-senior-engineer.yaml")
    assert "entrustment_upload" not in {it.id for it in outcome.checklist}
    match = recognize(NOTICE, "委托评审函 现委托贵办组织评审", scope_of(NOTICE, outcome))
    assert match is not None and match.item == "entrustment_upload" and match.on_checklist is False
    assert "不在您的材料清单中" in report_text(
        NOTICE, UploadReport("x.jpg", 1, "jpeg", match=match, recognition="on"), "zh_Hans"
    )


def test_partial_answers_rule_out_items_by_level() -> None:
    junior = scope_of(NOTICE, {"level": "junior"})
    senior = scope_of(NOTICE, {"level": "associate_senior"})
    assert "defence" not in junior.possible and "defence" in senior.possible
    assert junior.personal and not scope_of(NOTICE, None).personal
    assert scope_of(NOTICE, None).possible == frozenset(it.id for it in NOTICE.items)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("于2020年度参加培训 2021年1月5日发证", 2020),  # the training year, not the date of issue
        ("考核年度：2019 2020年1月", 2019),
        ("2021年参加学习 2022年1月颁发", 2021),  # no 年度: the earliest of the most frequent
        ("证书编号 XJ2021001", None),
    ],
)
def test_read_year(text: str, year: int | None) -> None:
    assert read_year(text) == year


def test_missing_years() -> None:
    match = recognize(NOTICE, ASSESSMENT.format(year=2018, next=2019))
    assert match is not None
    assert missing_years(match, [2018, 2020]) == (2019,)
    assert missing_years_text(NOTICE, match, [2018, 2020], "zh_Hans") == "还缺2019年度专业技术人员业务考核登记表。"
    assert missing_years_text(NOTICE, match, [2018, 2019, 2020], "zh_Hans") == ""


def test_years_text() -> None:
    assert years_text([2021]) == "2021"
    assert years_text([2016, 2017, 2018, 2019, 2020]) == "2016-2020"
    assert years_text([2016, 2018]) == "2016、2018"


# --- 字数 ---


def test_how_characters_are_counted() -> None:
    count = CharacterCount.of("本人自任现职以来，完成ISO9001认证和2021年度任务。\n\n  第二段 A-1 (x)")
    # 本人自任现职以来 8 + 完成 2 + 认证和 3 + 年度任务 4 + 第二段 3 = 20 Chinese characters;
    # ，。 2 punctuation; ISO9001, 2021, A-1, x: 4 runs; ( ) 2 half-width signs; spaces and line breaks 0.
    assert (count.han, count.punctuation, count.runs, count.signs) == (20, 2, 4, 2)
    assert count.total == 28


def summary_text(total: int, punctuation_every: int = 15, digits: bool = True) -> str:
    """A work summary of exactly `total` characters by the interpretation's count, with Chinese
    punctuation, numbers (unless digits=False) and blank lines (which count nothing)."""
    body = "本人自任现职以来认真履行岗位职责积极参与生产工艺改进和技术攻关注重业务学习"
    parts: list[str] = ["个人业务工作总结\n\n"]
    counted = 8
    i = 0
    while counted < total:
        if digits and counted + 1 < total and i % 97 == 96:
            parts.append(" 2021 ")  # one run of digits
        elif i % punctuation_every == punctuation_every - 1:
            parts.append("，" if i % 4 else "。\n")
        else:
            parts.append(body[i % len(body)])
        i += 1
        counted = CharacterCount.of("".join(parts)).total if i % 50 == 0 or total - counted < 4 else counted + 1
    text = "".join(parts)
    while CharacterCount.of(text).total > total:
        text = text[:-1]
    while CharacterCount.of(text).total < total:
        text += "务"
    assert CharacterCount.of(text).total == total
    return text


@pytest.mark.parametrize(
    ("total", "verdict"),
    [
        (1999, "under"),
        (2000, "within"),
        (2001, "within"),
        (2999, "within"),
        (3000, "within"),
        (3001, "over"),
    ],
)
def test_the_summary_just_under_at_and_over_each_bound(total: int, verdict: str) -> None:
    check = check_summary(NOTICE, summary_text(total))
    assert check is not None
    assert (check.low, check.high, check.ref) == (2000, 3000, "五（一）10")
    assert check.count.total == total and check.verdict == verdict


def test_a_summary_within_by_one_count_and_under_by_the_other_is_flagged() -> None:
    check = check_summary(NOTICE, summary_text(2050, punctuation_every=8))
    assert check is not None and check.verdict == "within" and check.han_verdict == "under"
    text = report_text(NOTICE, UploadReport("总结.docx", 1, "docx", summary=check, recognition="text"), "zh_Hans")
    assert "只计汉字" in text and "稳妥起见" in text
    assert NOTICE.interpretation("summary_character_count").choice in text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("total", "line"),
    [(1999, "字数不足：请至少补充1字。"), (3001, "字数过多：请至少删减1字。"), (2500, "在规定范围之内。")],
)
def test_the_summary_verdict_cites_5_1_10(total: int, line: str) -> None:
    check = check_summary(NOTICE, summary_text(total, punctuation_every=40))
    text = report_text(NOTICE, UploadReport("总结.txt", 1, "txt", summary=check, recognition="text"), "zh_Hans")
    assert line in text and "（依据：五（一）10）" in text
    assert f"共{total}字" in text


# --- rendering ---


def _report(**kw: object) -> UploadReport:
    base: dict[str, object] = {"filename": "scan.png", "size": 10, "format": "png", "recognition": "on"}
    return UploadReport(**{**base, **kw})  # type: ignore[arg-type]


def test_every_verdict_cites_its_clause() -> None:
    match = recognize(NOTICE, CE_SPECIALTY.format(year=2020))
    from conversations.uploads import Legibility

    report = _report(
        accepted=False,
        upright=False,
        rotation=90,
        match=match,
        converted=(b"jpg",),
        legibility=Legibility(False, ("blurred",), 1600, 1131, 0.1, 200.0),
    )
    lines = report_json(NOTICE, report, "zh_Hans")["notes"]
    cited = [line for line in lines if re.search(r"（依据：\S+）$", line)]
    assert any(line.startswith("格式：PNG") and "四（二）" in line for line in cited)
    assert any(line.startswith("方向：不是正向，需顺时针旋转90°") and "四（二）" in line for line in cited)
    assert any("不清晰（图像模糊）" in line for line in lines)
    assert any("因申报人上传材料虚假、不清晰" in line and line.endswith("（依据：四（二））") for line in cited)
    assert any(
        line == "材料：继续教育培训合格证书（专业科目），"
        "对应清单“专业科目继续教育：2021年度培训合格证书”。（依据：五（一）8）"
        for line in cited
    )
    assert "年度不符：这是2020年度的专业科目继续教育培训合格证书，五（一）8要求2021年度。" in lines


def test_the_json_has_the_fields_scripts_read() -> None:
    data = report_json(NOTICE, _report(accepted=True, upright=True, rotation=0), "en")
    assert {"format", "upright", "rotation", "legible", "item", "year", "notes"} <= set(data)
    assert data["item"] is None and data["notes"]


def test_english_interface_keeps_the_notices_chinese() -> None:
    match = recognize(NOTICE, ASSESSMENT.format(year=2017, next=2018))
    text = report_text(NOTICE, _report(match=match, upright=True, rotation=0), "en")
    assert "Wrong year: this 专业技术人员业务考核登记表 is for 2017; clause 五（一）9 asks for 2018-2020." in text


def test_a_match_without_years_has_no_year_verdict() -> None:
    match = Match(document="职称证书", item="title_certificate", title="职称证书", ref="五（一）3")
    assert match.year_ok is None and not match.dated
    assert Scope(frozenset()).personal is False
