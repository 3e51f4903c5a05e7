"""A second, fictional notice (tests/fixtures/notices/2022-test-notice.*) runs on the same code.

It differs from the 2021 notice in its dates (2022-09-30 online, 2022-10-15 paper), its
levels (中级, 副高级, 正高级 — no 初级) and one material (考核登记表 for 2019-2021
instead of 2018-2020). Nothing in Python knows about it: it is only a file.
"""

from __future__ import annotations

import datetime as dt

import pytest

from conversations.casefile import CaseFileError, case_schema, validate_case
from conversations.interview import interview_for
from conversations.outcome import IncompleteAnswers, evaluate
from knowledge import load_notice
from tests.conftest import FIXTURES_DIR

SECOND = FIXTURES_DIR / "notices" / "2022-test-notice.yaml"


@pytest.fixture(scope="module")
def second():
    return load_notice(SECOND)


def test_the_second_notice_loads_with_the_same_loader(second):
    assert second.id == "2022-test-notice"
    assert second.info.date == dt.date(2022, 8, 1)
    assert second.source == SECOND
    assert "2022年9月30日" in second.text


def test_the_second_notice_is_a_different_notice_from_the_default(second, notice):
    assert second.id != notice.id
    assert second.text != notice.text


def test_the_second_notice_offers_its_own_levels_and_not_junior(second):
    level = interview_for(second).question("level")
    assert level is not None
    assert [o.label for o in level.options] == ["中级", "副高级", "正高级"]
    assert [lv.name for lv in second.levels] == ["中级", "副高级", "正高级"]
    assert second.level("junior") is None


def test_a_junior_answer_does_not_count_under_the_second_notice(second):
    interview = interview_for(second)
    position = interview.position({"employment": "in_service", "level": "junior"})
    assert position.question is not None and position.question.id == "level"
    assert "level" not in position.answers
    with pytest.raises(IncompleteAnswers) as caught:
        evaluate(second, {"employment": "in_service", "level": "junior"})
    assert caught.value.question_id == "level"


def test_a_junior_case_file_is_refused_under_the_second_notice_but_accepted_under_the_first(second, notice):
    with pytest.raises(CaseFileError) as caught:
        validate_case({"answers": {"employment": "in_service", "level": "junior"}}, second)
    assert caught.value.field == "answers.level"
    assert case_schema(second)["properties"]["answers"]["properties"]["level"]["enum"] == [
        "intermediate",
        "associate_senior",
        "full_senior",
    ]
    assert "junior" in case_schema(notice)["properties"]["answers"]["properties"]["level"]["enum"]


def test_a_full_senior_applicant_is_eligible_under_the_second_notice(second):
    outcome = evaluate(second, {"employment": "in_service", "level": "full_senior"})
    assert outcome.verdict == "eligible"
    assert outcome.level == "正高级"
    assert outcome.notice_id == "2022-test-notice"
    items = {c.id: c for c in outcome.checklist}
    assert "选择正高级" in items["online_registration"].detail
    assert items["paper_evaluation_form"].copies == 3
    assert "defence" in items


def test_an_intermediate_applicant_needs_two_copies_and_no_defence_under_the_second_notice(second):
    outcome = evaluate(second, {"employment": "in_service", "level": "intermediate"})
    items = {c.id: c for c in outcome.checklist}
    assert outcome.level == "中级"
    assert items["paper_evaluation_form"].copies == 2
    assert "defence" not in items
    assert "defence" not in {d.id for d in outcome.deadlines}


def test_the_second_notice_produces_its_own_dates(second):
    outcome = evaluate(second, {"employment": "in_service", "level": "associate_senior"})
    due = {d.id: d.due for d in outcome.deadlines}
    assert due == {
        "online_submission": dt.date(2022, 9, 30),
        "paper_submission": dt.date(2022, 10, 15),
        "defence": None,
    }
    assert outcome.to_dict()["deadlines"][0]["due"] == "2022-09-30"


def test_the_second_notice_asks_for_the_2019_2021_assessment_records_not_the_2018_2020_ones(second, notice):
    answers = {"employment": "in_service", "level": "intermediate"}
    items = {c.id: c for c in evaluate(second, answers).checklist}
    assert "assessment_2019_2021" in items
    assert "2019年、2020年、2021年" in items["assessment_2019_2021"].detail
    assert "assessment_2018_2020" not in items
    assert notice.items and any(it.id == "assessment_2018_2020" for it in notice.items)


def test_a_retiree_is_ineligible_under_the_second_notice_too(second):
    outcome = evaluate(second, {"employment": "retired"})
    assert outcome.verdict == "ineligible"
    assert outcome.checklist == () and outcome.deadlines == ()


def test_every_path_of_the_second_notice_uses_only_its_own_dates_and_levels(second, path_walker):
    paths = list(path_walker(second))
    assert len(paths) == 1 + 3  # retired, or in service at one of three levels
    for answers in paths:
        outcome = evaluate(second, answers)
        for deadline in outcome.deadlines:
            assert deadline.due is None or deadline.due.year == 2022
        assert outcome.level in (None, "中级", "副高级", "正高级")


def test_evaluating_the_second_notice_leaves_the_default_notice_unchanged(second, notice):
    evaluate(second, {"employment": "in_service", "level": "full_senior"})
    outcome = evaluate(
        notice,
        {
            "employment": "in_service",
            "unit_type": "xinjiang",
            "sanction": "no",
            "misconduct": "none",
            "current_title": "none",
            "submission_status": "no",
            "level": "full_senior",
        },
    )
    assert outcome.verdict == "not_covered"
    assert outcome.notice_id == "2021-xinjiang-nonferrous"
