"""A described situation read into interview answers (conversations.situation), contradictions with
earlier answers, the whole message understood (conversations.understand), the confirmation message
and `zhicheng-bot understand`."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from conversations.casefile import case_schema
from conversations.interview import interview_for
from conversations.reader import READ_LIMIT
from conversations.render import understanding_message, understanding_text
from conversations.situation import Contradiction, read_situation
from conversations.understand import understand
from knowledge import default_notice
from tests.support.yamlfast import safe_load

NOTICE = default_notice()
SITUATIONS: list[dict[str, Any]] = safe_load(
    (Path(__file__).parent / "qa" / "eval" / "tuning" / "situations.yaml").read_text(encoding="utf-8")
)


def answers_of(text: str) -> dict[str, str]:
    return read_situation(NOTICE, text).answers


# ---------------------------------------------------------------- explicit words only


def test_the_level_applied_for_is_not_the_title_held() -> None:
    assert answers_of("我是工程师，想报高工") == {"level": "associate_senior"}
    assert answers_of("我是工程师") == {}
    assert answers_of("我2015年评的助工") == {}


def test_the_level_is_read_from_many_ways_of_saying_it() -> None:
    assert answers_of("今年准备申报副高级")["level"] == "associate_senior"
    assert answers_of("想评个工程师")["level"] == "intermediate"
    assert answers_of("打算报助工")["level"] == "junior"
    assert answers_of("拟申報高級工程師")["level"] == "associate_senior"  # traditional characters


def test_last_year_and_this_year_are_read_against_the_notices_year() -> None:
    assert answers_of("今年在驻村")["grassroots_service"] == "fhj_serving"
    assert answers_of("去年驻村，今年没有")["grassroots_service"] == "earlier_only"
    assert answers_of("2019年当过第一书记，2020年就回来了")["grassroots_service"] == "earlier_only"
    # Only before this year when the words say it ended: 2019年当过第一书记 alone leaves this year open.
    assert "grassroots_service" not in answers_of("2019年当过第一书记")
    assert answers_of("前年报过一次没评上")["evaluated_before"] == "before"


def test_negations_are_respected() -> None:
    assert answers_of("我没有受过处分")["sanction"] == "no"
    assert answers_of("受过记过处分")["sanction"] == "yes"
    assert answers_of("委托函还没开")["entrustment_letter"] == "none"
    assert answers_of("委托函开好了，还没审核同意")["entrustment_letter"] == "letter_only"
    assert answers_of("委托函已经开好了，也报自治区职称办审核同意了")["entrustment_letter"] == "approved"
    assert "employment" not in answers_of("我还没退休")


def test_a_statement_of_the_present_wins_over_one_of_the_past() -> None:
    found = answers_of("原来在央企驻疆的项目部，今年调到自治区区属的有色企业了")
    assert found["unit_type"] == "xinjiang"


def test_a_description_of_several_people_leaves_what_it_says_two_ways_open() -> None:
    assert "level" not in answers_of("我们单位两个人报，一个报高工一个报助工")


def test_what_is_said_of_someone_other_than_the_case_fills_nothing() -> None:
    # the writer speaks of themselves: a colleague, a master or a spouse is not the case
    assert answers_of("我们厂里的老刘是高级技师，他想评工程师，我是他徒弟，我自己是技术员报助工") == {"level": "junior"}
    assert "unit_type" not in answers_of("我是本地人，我爱人是援疆干部，今年我报工程师")
    assert answers_of("隔壁部门老王前年论文造假被处理了，今年我报工程师") == {"level": "intermediate"}
    assert answers_of("领导的意思是让我报个高工试试") == {}
    # unit HR describes an employee: they are the case; what is said of their master or spouse is not
    found = answers_of("申报人小张没受过处分，倒是他师傅前几年受过记过")
    assert found == {"sanction": "no"}
    found = answers_of("我们单位有个助工，他爱人是援疆干部，今年报工程师")
    assert found == {"level": "intermediate"}
    # what is said of the unit holds for the case either way
    assert answers_of("我们是央企驻疆单位，有个同事报高工")["unit_type"] == "central_other_military"


def test_hedges_suppositions_and_the_future_fill_nothing() -> None:
    assert answers_of("好像是2017年在四川评的中级，具体哪年我也记不太清了") == {}
    assert answers_of("单位给了我一个处分，我也不确定是不是记过") == {}
    assert answers_of("学信网可能查不到，还没去试过") == {}
    assert answers_of("听说技能人才也能评工程师了") == {}
    assert answers_of("不知道我够不够报工程师的条件") == {"meets_conditions": "unsure"}  # the doubt is the answer
    assert answers_of("营私舞弊会被怎么处理") == {}
    assert answers_of("要是援派期不满一年的话能报吗") == {}
    assert "employment" not in answers_of("我明年就退休了，想评个高工")
    assert "level" not in answers_of("今年不报，明年报高工")


def test_retirement_sanctions_units_and_years_in_other_words() -> None:
    assert answers_of("去年就到点退休了，现在是退休返聘")["employment"] == "retired"
    assert answers_of("退休两年了，单位又把我返聘回来搞技术")["employment"] == "retired"  # over 搞技术
    assert "employment" not in answers_of("我内退了")  # 内退 is not 离退休: the notice leaves it open
    assert answers_of("去年挨了个记过，处分期还没过完")["sanction"] == "yes"
    assert answers_of("记过处分已经到期了")["sanction"] == "no"
    assert "sanction" not in answers_of("单位给了我一个处分")  # a 处分 need not be 记过以上
    assert answers_of("我在昌吉一家本地的民营矿业公司")["unit_type"] == "xinjiang"
    assert answers_of("去年调到我们这个州属国企了")["unit_type"] == "xinjiang"
    assert answers_of("2015年评职称时弄虚作假被处理过")["misconduct"] == "none"  # five years have passed
    assert answers_of("2019年评职称时弄虚作假被处理了")["misconduct"] == "individual_banned"
    assert answers_of("我们单位2017年因为材料造假被处理过，取消三年参评资格")["misconduct"] == "none"
    assert answers_of("我们单位去年因为造假被处理了")["misconduct"] == "unit_banned"
    assert answers_of("我2018年来新疆援了三年，去年底援疆结束回湖南原单位了") == {"aid_term": "ended"}


def test_the_evidence_is_the_words_as_typed() -> None:
    situation = read_situation(NOTICE, "我們單位有個援疆的工程師，援派期兩年，想報高工")
    assert situation.answers == {
        "unit_type": "aid_xinjiang",
        "aid_term": "over_one_year_serving",
        "level": "associate_senior",
    }
    assert situation.evidence["level"] == "想報高工"
    assert situation.evidence["aid_term"] == "援派期兩年"


def test_every_option_read_is_an_option_of_the_case_file_schema() -> None:
    schema = case_schema(NOTICE)["properties"]["answers"]["properties"]
    for case in SITUATIONS:
        for question, option in answers_of(case["text"]).items():
            assert option in schema[question]["enum"], (case["text"], question, option)


def test_the_tuning_situations_have_valid_labels() -> None:
    schema = case_schema(NOTICE)["properties"]["answers"]["properties"]
    assert len(SITUATIONS) >= 60
    for case in SITUATIONS:
        for question, option in (case.get("answers") or {}).items():
            assert str(option) in schema[question]["enum"], (case["id"], question, option)


BAD_TEXTS = [
    "",
    "😀😀😀",
    "1234567890",
    "I am an engineer and want to apply",
    "مەن ئىنژېنېر، يۇقىرى دەرىجىلىك ئىنژېنېرغا ئىلتىماس قىلماقچى",
    "<b>x</b>",
    "\x00\x1b[31m",
]


@pytest.mark.parametrize("text", BAD_TEXTS)
def test_text_that_states_nothing_gives_no_answers_and_a_clear_message(text: str) -> None:
    u = understand(NOTICE, text)
    assert u.answers == {} and u.evidence == {} and not u.understood
    assert "未能从这段话中读出" in understanding_text(NOTICE, u, "zh_Hans")


def test_a_very_long_text_is_read_from_its_start_and_says_so() -> None:
    u = understand(NOTICE, "我想报高工。" + "啊" * 5000)
    assert u.truncated and u.answers == {"level": "associate_senior"}
    assert f"只读取了这段话的前{READ_LIMIT}个字" in understanding_text(NOTICE, u, "zh_Hans")


# ---------------------------------------------------------------- contradictions, the whole message


def test_a_situation_that_contradicts_an_earlier_answer_is_reported_never_overwritten() -> None:
    stored = {"employment": "in_service", "unit_type": "xinjiang", "level": "intermediate"}
    u = understand(NOTICE, "我在央企驻疆单位，想报高工", stored)
    assert set(u.contradictions) == {
        Contradiction("unit_type", "xinjiang", "central_other_military", "央企驻疆单位"),
        Contradiction("level", "intermediate", "associate_senior", "想报高工"),
    }
    assert u.new_answers == {}
    assert u.merged() == stored  # nothing changes until the asker says which holds
    assert u.merged({"level": "associate_senior"})["level"] == "associate_senior"
    shown = understanding_text(NOTICE, u, "zh_Hans")
    assert (
        "您此前对“拟申报”的回答是“中级（工程师）”，这段话说的是“副高级（高级工程师）”（“想报高工”）。以哪一个为准？"
    ) in shown


def test_new_answers_are_added_to_the_stored_ones_and_the_interview_asks_only_what_is_still_open() -> None:
    stored = {"employment": "in_service"}
    u = understand(NOTICE, "我们是区属企业，没受过处分，想报高工", stored)
    merged = u.merged()
    assert merged == {
        "employment": "in_service",
        "unit_type": "xinjiang",
        "sanction": "no",
        "level": "associate_senior",
    }
    position = interview_for(NOTICE).position(merged)
    assert position.question is not None and position.question.id == "misconduct"


def test_a_mixed_message_is_understood_and_its_question_answered() -> None:
    u = understand(NOTICE, "援派两年想报高工要交什么")
    assert u.answers == {"unit_type": "aid_xinjiang", "aid_term": "over_one_year_serving", "level": "associate_senior"}
    assert u.question_answer is not None and u.question_answer.answered
    message = understanding_message(NOTICE, u, "zh_Hans")
    assert message.startswith(
        "我理解为：单位类别 对口支援新疆的援派人员；援派情况 援派期一年以上，目前正在援疆；拟申报 副高级"
    )


def test_a_pure_description_asks_nothing() -> None:
    u = understand(NOTICE, "我是区属企业的工程师，想报高工")
    assert u.question_answer is None and u.answers


def test_the_confirmation_is_translated() -> None:
    u = understand(NOTICE, "想报高工")
    assert understanding_text(NOTICE, u, "en").startswith("I understood: 拟申报 副高级（高级工程师）")


# ---------------------------------------------------------------- zhicheng-bot understand


def test_the_command_prints_answers_evidence_and_the_notice_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["understand", "我是工程师，想报高工，没有受过处分", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "answers": {"sanction": "no", "level": "associate_senior"},
        "evidence": {"sanction": "没有受过处分", "level": "想报高工"},
        "notice": "2021-xinjiang-nonferrous",
    }


def test_the_command_prints_the_confirmation_message_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["understand", "援派两年想报高工"]) == 0
    assert capsys.readouterr().out.strip() == (
        "我理解为：单位类别 对口支援新疆的援派人员；援派情况 援派期一年以上，目前正在援疆；拟申报 副高级（高级工程师）"
    )


def test_the_command_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("想报助工".encode())))
    assert main(["understand", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["answers"] == {"level": "junior"}


@pytest.mark.parametrize(
    ("raw", "problem"), [(b"\xff\xfe\x00bad", "not UTF-8"), (b"x" * (64 * 1024 + 1), "larger than")]
)
def test_unreadable_standard_input_gets_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], raw: bytes, problem: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert main(["understand", "-"]) == 2
    err = capsys.readouterr().err
    assert problem in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("text", ["😀", "123456", "hello", "مەن ئىنژېنېر", "啊" * 3000])
def test_bad_input_on_the_command_line_gets_a_clear_result(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["understand", text]) == 0
    out = capsys.readouterr().out
    assert "未能从这段话中读出" in out


def test_the_command_lists_contradictions_with_a_case_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("answers:\n  employment: in_service\n  level: intermediate\n", encoding="utf-8")
    assert main(["understand", "想报高工", "--format", "json", "--answers", str(case)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["contradictions"] == [
        {"question": "level", "stored": "intermediate", "found": "associate_senior", "words": "想报高工"}
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers:\n  level: expert\n", encoding="utf-8")
    assert main(["understand", "想报高工", "--answers", str(bad)]) == 2
    assert "answers.level" in capsys.readouterr().err
