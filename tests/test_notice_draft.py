"""Drafting next year's knowledge file from the old one (knowledge.drafting, `zhicheng-bot knowledge draft`).

The new notices here are derived from the 2021 text: one that changes only numbers and dates
(tests/support/notice_variants.py: every date, year and stated count), and small edits that
exercise each way a sentence can change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from knowledge import KnowledgeError, load_notice
from knowledge.draft_entries import entries, quote_fields, text_fields
from knowledge.drafting import Draft, draft_notice
from knowledge.loader import read_data
from knowledge.numerals import tokens
from knowledge.textmatch import Folded
from tests.conftest import BUNDLED_NOTICE_TXT, NOTICE_YAML
from tests.support.notice_variants import COUNT_UNITS, numbers_only

OLD_TEXT = BUNDLED_NOTICE_TXT.read_text(encoding="utf-8")
OLD_DATA = read_data(NOTICE_YAML)


def _draft(text: str, **kwargs: Any) -> Draft:
    return draft_notice(NOTICE_YAML, text, text_file="new.txt", **kwargs)


def _edited(*pairs: tuple[str, str]) -> str:
    text = OLD_TEXT
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


def _entry(draft: Draft, section: str, entry_id: str) -> dict[str, Any]:
    return next(e for e in draft.data[section] if e["id"] == entry_id)


def _write(tmp_path: Path, draft: Draft, text: str) -> Path:
    (tmp_path / "new.txt").write_text(text, encoding="utf-8")
    path = tmp_path / "new.yaml"
    draft.write(path)  # with the lexicon carried over beside it
    return path


# --- the same notice ---


def test_the_same_text_carries_every_entry_over_unchanged() -> None:
    draft = _draft(OLD_TEXT, new_id=OLD_DATA["notice"]["id"])
    report = draft.report
    assert report.entries == len(list(entries(OLD_DATA))) > 150 and report.carried == report.entries
    assert report.review == [] and report.new_sentences == []
    assert draft.data == {**OLD_DATA, "notice": {**OLD_DATA["notice"], "text_file": "new.txt"}}


def test_the_draft_keeps_the_old_files_comments_and_layout() -> None:
    draft = _draft(_edited(("一式二份", "一式三份")), new_id="2022-x")
    old_lines = NOTICE_YAML.read_text(encoding="utf-8").splitlines()
    new_lines = draft.yaml_text.splitlines()
    assert len(new_lines) == len(old_lines)
    assert [line for line in old_lines if line.lstrip().startswith("#")] == [
        line for line in new_lines if line.lstrip().startswith("#")
    ]
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert all(("一式三份" in b or "copies: 3" in b or "2022-x" in b or "new.txt" in b) for _, b in changed), changed


# --- a notice that changes only numbers and dates ---


@pytest.fixture(scope="module")
def numbers() -> tuple[str, Draft, list[Any]]:
    text, changes = numbers_only(OLD_TEXT)
    return text, _draft(text), changes


def test_numbers_only_at_least_nine_in_ten_entries_need_no_person(numbers: tuple[str, Draft, list[Any]]) -> None:
    _, draft, changes = numbers
    assert len(changes) >= 35
    report = draft.report
    assert report.without_person >= 0.9
    assert report.flagged_entries <= 3
    assert report.new_sentences == []  # numbers-only changes are no new text


def test_numbers_only_every_quote_holding_a_changed_number_is_updated(numbers: tuple[str, Draft, list[Any]]) -> None:
    _, draft, changes = numbers
    flagged = {r.entry for r in draft.report.review}
    updated = {(u.entry, u.field) for u in draft.report.updated}
    old_folded = Folded.of(OLD_TEXT)
    changed_at = [old_folded.folded_index(c.start) for c in changes]
    checked = 0
    for entry in entries(OLD_DATA):
        for path, quote in quote_fields(str(entry.path[0]), entry.data):
            at = old_folded.text.find(
                re.sub(r"\s+", "", quote)
                .replace("（", "(")
                .replace("）", ")")
                .replace("：", ":")
                .replace("，", ",")
                .replace("；", ";")
                .replace("－", "-")
            )
            if at < 0:
                continue
            end = at + len(re.sub(r"\s+", "", quote))
            if any(at <= c < end for c in changed_at) and entry.name not in flagged:
                field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
                assert (entry.name, field) in updated, (entry.name, field, quote)
                checked += 1
    assert checked >= 25


def _shift(day: dt.date) -> dt.date:
    return day.replace(year=day.year + 1) - dt.timedelta(days=5)


def test_numbers_only_every_changed_number_reaches_the_data(numbers: tuple[str, Draft, list[Any]]) -> None:
    """Each date, year and count in a title, detail, reason, label or answer follows the notice,
    and the fields that hold numbers (due, copies, working days) do too."""
    _, draft, changes = numbers
    changed_counts = {(c.token.value, c.token.unit) for c in changes if c.token.kind == "count"}
    flagged = {r.entry for r in draft.report.review}
    seen = 0
    for old_entry, new_entry in zip(entries(OLD_DATA), entries(draft.data), strict=True):
        if old_entry.name in flagged or old_entry.name == "notice":
            continue
        for path, old_text in text_fields(old_entry.data):
            new_text = new_entry.data
            for step in path:
                new_text = new_text[step]
            before, after = _numbers_of(old_text), _numbers_of(str(new_text))
            assert len(before) == len(after), (old_entry.name, path, old_text, new_text)
            for old, new in zip(before, after, strict=True):
                if old.kind == "date":
                    assert new.value == _shift(old.value), (old_entry.name, path, old.text, new.text)  # type: ignore[arg-type]
                    seen += 1
                elif old.kind == "year" and old.unit != "〕":
                    assert new.value == old.value + 1, (old_entry.name, path, old.text, new.text)  # type: ignore[operator]
                    seen += 1
                elif old.kind == "count" and (old.value, old.unit) in changed_counts and old.text != "一":
                    assert new.value != old.value, (old_entry.name, path, old.text, new.text)
                    seen += 1
    assert seen >= 60
    deadlines = {d["id"]: d["due"] for d in draft.data["deadlines"]}
    assert deadlines == {"online_submission": "2022-10-15", "paper_submission": "2022-10-25", "defence": None}
    assert _entry(draft, "working_day_dates", "publicity_latest_start")["working_days"] == 6
    form = _entry(draft, "items", "paper_evaluation_form")
    assert (form["copies"], form["variants"][0]["copies"]) == (3, 2)
    assert _entry(draft, "items", "paper_ce_exemption_form")["copies"] == 2
    item_ids = {i["id"] for i in draft.data["items"]}
    assert {"ce_specialty_2022", "ce_public_2017_2021", "assessment_2019_2021"} <= item_ids
    assert draft.data["notice"]["date"] == "2022-09-08"
    assert draft.data["notice"]["number"] == "新色集函〔2022〕122号"
    assert draft.data["contacts"]["phones"] == ["0991－4841924", "0991－4841396"]
    assert draft.data["contacts"]["address"] == "乌鲁木齐市友好北路637号有色大厦"
    assert draft.data["season"]["name"] == "2022年度"


def _numbers_of(text: str) -> list[Any]:
    folded = Folded.of(text).text
    cn = "[一二三四五六七八九十]"
    refs = [m.span() for m in re.finditer(rf"附件\d+|{cn}\({cn}+\)\d*|\({cn}+\)", folded)]
    return [
        t
        for t in tokens(folded)
        if not any(a <= t.start < b for a, b in refs)
        and (t.kind != "count" or t.unit.startswith(COUNT_UNITS) or t.unit in ("月", "日", "号"))
    ]


def test_numbers_only_the_draft_loads_and_only_its_review_marks_stop_it(
    numbers: tuple[str, Draft, list[Any]], tmp_path: Path
) -> None:
    text, draft, _ = numbers
    path = _write(tmp_path, draft, text)
    notice = load_notice(path, allow_review=True)
    assert {r.entry.split(" ")[0].split("[")[0] for r in notice.reviews} <= {
        "interpretations",
        "topics",
        "rules",
        "items",
        "questions",
        "notes",
    }
    assert len(notice.reviews) == draft.report.flagged_entries
    if notice.reviews:
        with pytest.raises(KnowledgeError, match="marked for review"):
            load_notice(path)


def test_numbers_only_the_day_before_a_deadline_moves_with_it(numbers: tuple[str, Draft, list[Any]]) -> None:
    _, draft, _ = numbers
    reading = _entry(draft, "interpretations", "paper_deadline_last_day")
    assert "最迟于2022年10月24日办结" in reading["choice"] and "“2022年10月25日前”" in reading["choice"]
    topic = _entry(draft, "topics", "paper_last_day")  # an answer in words of its own follows the dates too
    assert "“2022年10月25日前”" in topic["answer"] and "最迟于2022年10月24日办结" in topic["answer"]


# --- each way a sentence can change ---


def test_dates_written_in_another_form_and_numbers_in_other_numerals_are_followed() -> None:
    draft = _draft(
        _edited(
            ("2021年10月20日", "2022.10.18"),
            ("2021年10月30日前", "2022-10-28前"),
            ("一式二份", "一式3份"),
            ("2021年9月13日", "二〇二二年九月五日"),
        ),
        new_id="x-2022",
    )
    online = _entry(draft, "deadlines", "online_submission")
    assert (online["due"], online["due_text"], online["quote"]) == (
        "2022-10-18",
        "2022.10.18",
        "网上申报截止时间：2022.10.18",
    )
    paper = _entry(draft, "deadlines", "paper_submission")
    assert (paper["due"], paper["due_text"]) == ("2022-10-28", "2022-10-28前")
    assert _entry(draft, "items", "paper_evaluation_form")["copies"] == 3
    assert draft.data["notice"]["date"] == "2022-09-05"


def test_a_sentence_changed_beyond_numbers_keeps_the_old_data_and_shows_the_closest_new_one() -> None:
    draft = _draft(
        _edited(("需扫描后保存为图片（*.jpg）格式再正向上传", "需扫描后保存为PDF格式再正向上传")), new_id="x-2021"
    )
    (item,) = [r for r in draft.report.review if r.entry == "items.scans_as_jpg"]
    assert "changed beyond numbers" in item.reason and "PDF" in item.reason
    assert item.closest == "网上要求上传的附件材料，需扫描后保存为PDF格式再正向上传。"
    assert item.old_quote == "网上要求上传的附件材料，需扫描后保存为图片（*.jpg）格式再正向上传。"
    entry = _entry(draft, "items", "scans_as_jpg")
    old = next(e for e in OLD_DATA["items"] if e["id"] == "scans_as_jpg")
    assert {k: v for k, v in entry.items() if k != "review"} == old
    assert entry["review"].startswith("quote: changed beyond numbers")
    # the item and the platform's format rule quote the sentence; nothing else is flagged
    assert {r.entry for r in draft.report.review} == {"items.scans_as_jpg", "uploads.format", "uploads.upright"}


def test_a_removed_clause_flags_what_rests_on_it_and_the_clauses_after_it_are_renumbered() -> None:
    draft = _draft(
        _edited(
            ("4.工作简历：按要求填报相关信息。\n\n", ""),
            ("5.实践能力", "4.实践能力"),
            ("6.获奖情况", "5.获奖情况"),
            ("7.著作、论文", "6.著作、论文"),
            ("8.继续教育", "7.继续教育"),
            ("9.(聘)任现职", "8.(聘)任现职"),
            ("10.任现职以来", "9.任现职以来"),
            ("    11.其他附件", "    10.其他附件"),
        ),
        new_id="x-2021",
    )
    flagged = {r.entry for r in draft.report.review}
    assert "items.work_history" in flagged
    assert _entry(draft, "items", "awards")["ref"] == "五（一）5"
    assert _entry(draft, "items", "assessment_2018_2020")["ref"] == "五（一）8"
    reading = _entry(draft, "interpretations", "ce_exemption_form_paper")
    assert "按五（一）7上传扫描件" in reading["choice"]
    refs = [c["ref"] for c in draft.data["clauses"]]
    assert "五（一）11" not in refs and refs.count("五（一）10") == 1
    assert "五（一）4" in refs  # still cited by the entry under review
    assert not any(e.startswith("items.awards") for e in flagged)


def test_a_new_sentence_is_listed_with_its_clause_and_its_clause_can_be_cited() -> None:
    point_11 = "《专业技术资格评审材料真实性承诺书》（附件2）。\n"
    draft = _draft(
        _edited((point_11, point_11 + "12.社会保险缴纳证明：上传近1年在现工作单位缴纳社会保险的证明。\n")),
        new_id="x-2021",
    )
    assert [(s.clause, s.text) for s in draft.report.new_sentences] == [
        ("五（一）12", "12.社会保险缴纳证明：上传近1年在现工作单位缴纳社会保险的证明。")
    ]
    assert {"ref": "五（一）12", "heading": "社会保险缴纳证明"} in draft.data["clauses"]
    assert draft.report.review == []


def test_new_contacts_are_read_by_their_labels() -> None:
    draft = _draft(
        _edited(
            ("联系人：张媛  黄悠悠", "联系人：李明、王芳、赵磊"), ("0991－4841923、0991－4841395", "0991－4841000")
        ),
        new_id="x-2021",
    )
    contacts = draft.data["contacts"]
    assert contacts["people"] == ["李明", "王芳", "赵磊"]
    assert contacts["phones"] == ["0991－4841000"]
    assert contacts["quote"].startswith("联系人：李明、王芳、赵磊 联系电话：0991－4841000")
    assert {u.field for u in draft.report.updated if u.entry == "contacts"} == {"people", "phones", "quote"}


def test_the_json_report_has_exactly_the_documented_keys() -> None:
    draft = _draft(
        _edited(("一式二份", "一式三份"), ("需扫描后保存为图片（*.jpg）格式", "需扫描后保存为PDF格式")), new_id="x-2021"
    )
    data = draft.report.to_json()
    assert list(data) == ["carried", "updated", "review", "new_sentences"]
    assert all(list(u) == ["entry", "field", "old", "new", "sentence"] for u in data["updated"])
    assert all(list(r) == ["entry", "old_quote", "closest", "reason"] for r in data["review"])
    copies = next(u for u in data["updated"] if u["field"] == "copies")
    assert copies == {
        "entry": "items.paper_evaluation_form",
        "field": "copies",
        "old": 2,
        "new": 3,
        "sentence": "1.《专业技术职务任职资格评审表》高、中级申报一式三份，初级一式一份。",
    }
    json.dumps(data, ensure_ascii=False)


# --- the command line ---


@pytest.fixture
def new_notice(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "2022-notice.txt"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_draft_then_check_on_the_command_line(
    new_notice: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = new_notice(
        _edited(
            ("一式二份", "一式三份"),
            ("需扫描后保存为图片（*.jpg）格式", "需扫描后保存为PDF格式"),
            ("2021年10月20日", "2021年10月18日"),
        )
    )
    out = tmp_path / "drafts" / "2022.yaml"
    assert (
        main(
            [
                "knowledge",
                "draft",
                str(text),
                "--from",
                "2021-xinjiang-nonferrous",
                "-o",
                str(out),
                "--id",
                "2022-xinjiang-nonferrous",
                "--format",
                "json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert [r["entry"] for r in report["review"]] == ["uploads.format", "uploads.upright", "items.scans_as_jpg"]
    assert load_notice(out, allow_review=True).info.id == "2022-xinjiang-nonferrous"
    assert main(["knowledge", "check", str(out)]) == 1
    captured = capsys.readouterr()
    assert "review: " in captured.out and "(id=scans_as_jpg): quote: changed beyond numbers" in captured.out
    assert "3 entries marked for review" in captured.err
    assert (
        main(
            [
                "knowledge",
                "draft",
                str(text),
                "--from",
                "2021-xinjiang-nonferrous",
                "-o",
                str(out),
                "--id",
                "2022-xinjiang-nonferrous",
            ]
        )
        == 2
    )
    assert "exists" in capsys.readouterr().err


def test_draft_refuses_bad_input_with_one_line(
    new_notice: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.yaml"
    assert (
        main(
            ["knowledge", "draft", str(tmp_path / "missing.txt"), "--from", "2021-xinjiang-nonferrous", "-o", str(out)]
        )
        == 2
    )
    assert "invalid notice text" in capsys.readouterr().err
    text = new_notice(OLD_TEXT)
    assert main(["knowledge", "draft", str(text), "--from", "no-such-notice", "-o", str(out)]) == 2
    assert "unknown notice" in capsys.readouterr().err
    (tmp_path / "latin1.txt").write_bytes(b"\xff\xfe\xfa not UTF-8")
    assert (
        main(["knowledge", "draft", str(tmp_path / "latin1.txt"), "--from", "2021-xinjiang-nonferrous", "-o", str(out)])
        == 2
    )
    assert not out.exists()


def test_without_an_id_and_without_a_new_year_the_draft_asks_for_one(
    new_notice: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = new_notice(OLD_TEXT)
    assert (
        main(["knowledge", "draft", str(text), "--from", "2021-xinjiang-nonferrous", "-o", str(tmp_path / "x.yaml")])
        == 1
    )
    assert "--id" in capsys.readouterr().err


def test_a_sentence_that_goes_on_with_a_new_rule_is_flagged_and_the_rule_listed() -> None:
    draft = _draft(
        _edited(
            (
                "受到记过以上处分的，在受处分期间不得申报职称评审。",
                "受到记过以上处分的，在受处分期间不得申报职称评审；受到警告处分的，一年内不得申报。",
            )
        ),
        new_id="x-2021",
    )
    (item,) = [r for r in draft.report.review if r.entry == "rules.under_sanction"]
    assert "now goes on “;受到警告处分的,一年内不得申报”" in item.reason
    assert ("二（二）", "受到警告处分的，一年内不得申报。") in {(s.clause, s.text) for s in draft.report.new_sentences}
    # the answers that point at the rule say the same thing in their own words: checked with it
    assert {"topics.sanction", "topics.warning_sanction"} <= {r.entry for r in draft.report.review}


def test_a_text_that_is_not_the_next_notice_is_refused(
    new_notice: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for text in ("", "关于做好2022年度春季学期开学工作的通知\n一、总体要求\n各学校要做好开学准备。\n"):
        out = tmp_path / "x.yaml"
        assert (
            main(
                [
                    "knowledge",
                    "draft",
                    str(new_notice(text)),
                    "--from",
                    "2021-xinjiang-nonferrous",
                    "--id",
                    "x-2022",
                    "-o",
                    str(out),
                ]
            )
            == 1
        )
        assert "is it the next notice of the same kind" in capsys.readouterr().err
        assert not out.exists()
