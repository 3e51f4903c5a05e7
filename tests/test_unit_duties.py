"""The recommending unit's duties (pure): the HR personas of tests/personas/hr, each read off the
notice; every duty's clause and words; the publicity's latest start and period in working days;
malformed `unit_duties` refused by the knowledge check."""

from __future__ import annotations

import datetime as dt
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from conversations.annexes import needed_attachments
from conversations.casefile import validate_case
from conversations.interview import interview_for
from conversations.outcome import Outcome, evaluate
from conversations.render import duties_messages, to_plain
from conversations.unit_duties import (
    PublicityError,
    paper_totals,
    publicity_period,
    unit_duties,
)
from knowledge import KnowledgeError, default_notice, load_notice
from knowledge.loader import NOTICES_DIR, squash
from tests.conftest import TESTS_DIR
from tests.support.yamlfast import safe_load

NOTICE = default_notice()
HR_PERSONAS = sorted((TESTS_DIR / "personas" / "hr").glob("*.yaml"))
TODAY = dt.date(2021, 10, 1)


@cache
def persona(path: Path) -> dict[str, Any]:
    return safe_load(path.read_text(encoding="utf-8"))


def outcome_of(path: Path) -> Outcome:
    case = validate_case({"answers": persona(path)["answers"]}, NOTICE)  # the answers the interview asks
    return evaluate(NOTICE, case.answers)


def test_there_are_hr_personas_for_the_issues_example_and_the_special_cases() -> None:
    names = [p.stem for p in HR_PERSONAS]
    assert len(names) >= 7 and "01-aid-engineer-associate-senior" in names


@pytest.mark.parametrize("path", HR_PERSONAS, ids=lambda p: p.stem)
def test_an_hr_persona_gets_the_duties_read_off_the_notice(path: Path) -> None:
    p = persona(path)
    outcome = outcome_of(path)
    assert outcome.verdict == p["verdict"]
    duties = unit_duties(NOTICE, outcome, TODAY)
    ids = [d.id for d in duties.duties]
    assert duties.applies == bool(p["duties"])
    assert set(p["duties"]) <= set(ids), set(p["duties"]) - set(ids)
    assert not set(p["duties_exclude"]) & set(ids)
    assert sorted(d.id for d in duties.duties if d.unclear) == sorted(p["unclear"])
    for duty_id, readings in p["readings"].items():
        assert [x.id for x in duties.duty(duty_id).interpretations] == readings  # type: ignore[union-attr]
    paper = duties.duty("paper_materials")
    assert {it.id: it.copies for it in (paper.paper if paper else ())} == p["paper"]
    assert [a.ref for a in needed_attachments(NOTICE, outcome)] == p["attachments"]
    publicity = duties.duty("publicity")
    if "publicity_latest_start" in p:
        assert publicity is not None and publicity.date is not None
        assert publicity.date.day == p["publicity_latest_start"]
        assert publicity.date.working_days == 5 and publicity.date.official


def test_the_issues_example_answers_may_she_and_what_the_unit_sends() -> None:
    outcome = outcome_of(HR_PERSONAS[0])
    assert outcome.verdict == "eligible" and [r.id for r in outcome.reasons] == ["aid_worker"]
    text = "\n".join(
        to_plain(m) for m in duties_messages(NOTICE, unit_duties(NOTICE, outcome, TODAY), "zh_Hans", "本案例")
    )
    assert "按援派期计算" in text and "不要求已在疆工作满一年" in text  # the reading of 二（三）
    assert "派出单位（原所在单位）组织人事部门审核同意" in text
    assert "本通知未写明" in text and "请向下方联系人确认" in text and "0991－4841923" in text
    assert "“本单位已对提供的申报材料逐一审核，真实、完整、有效，同意推荐”" in text
    assert "《专业技术职务任职资格评审表》一式二份" in text and "2021年10月30日前" in text
    assert "单位内部公示最迟开始：2021年10月13日（星期三），5个工作日至2021年10月19日止" in text


def test_every_duty_cites_a_listed_clause_and_quotes_the_notice_verbatim() -> None:
    refs = {c.ref for c in NOTICE.clauses}
    text = squash(NOTICE.text)
    assert {d.id for d in NOTICE.unit_duties} >= {
        "review",
        "accountability",
        "publicity",
        "recommendation_wording",
        "years_proof",
        "aid_worker",
        "entrusted",
        "submission_limit",
        "paper_materials",
    }
    for duty in NOTICE.unit_duties:
        assert duty.ref in refs and set(duty.see_also) <= refs
        assert squash(duty.quote) in text
        if duty.wording:
            assert squash(duty.wording) in text
    cited = {d.ref for d in NOTICE.unit_duties} | {r for d in NOTICE.unit_duties for r in d.see_also}
    assert {"五（二）", "七（一）", "七（四）", "五（四）", "五（三）", "四（三）", "五（五）"} <= cited


def test_the_recommendation_wording_is_the_notices_to_the_character() -> None:
    duty = next(d for d in NOTICE.unit_duties if d.id == "recommendation_wording")
    assert duty.wording == "本单位已对提供的申报材料逐一审核，真实、完整、有效，同意推荐"
    assert f"“{duty.wording}”" in NOTICE.text


def test_duties_messages_fit_telegram_and_end_with_the_contacts() -> None:
    for path in HR_PERSONAS:
        messages = duties_messages(NOTICE, unit_duties(NOTICE, outcome_of(path), TODAY), "zh_Hans", "x")
        assert all(len(m) <= 4096 for m in messages)
        assert "黄悠悠" in messages[-1]


def test_turned_away_applicants_leave_the_unit_nothing_to_recommend() -> None:
    messages = duties_messages(NOTICE, unit_duties(NOTICE, outcome_of(HR_PERSONAS[5]), TODAY), "zh_Hans", "x")
    assert "单位无需审核或推荐" in to_plain("\n".join(messages))


def test_paper_totals_add_the_copies_of_several_applicants() -> None:
    outcomes = [outcome_of(p) for p in HR_PERSONAS[:3]]  # 副高级, 中级, 初级
    totals = dict(paper_totals(outcomes))
    assert totals["《专业技术职务任职资格评审表》"] == 2 + 2 + 1
    assert totals["《公示结果》（附件1）"] == 3


def test_a_publicity_period_counts_working_days_across_a_weekend_and_the_holiday() -> None:
    period = publicity_period(NOTICE, dt.date(2021, 10, 14))  # Thursday
    assert (period.end, period.working_days) == (dt.date(2021, 10, 20), 5)
    assert period.late and period.latest_start == dt.date(2021, 10, 13)
    before_holiday = publicity_period(NOTICE, dt.date(2021, 9, 29))  # 国庆 from 1 October; 9 October is worked
    assert before_holiday.end == dt.date(2021, 10, 11) and before_holiday.working_days == 5
    assert not publicity_period(NOTICE, dt.date(2021, 10, 11)).late


def test_a_publicity_shorter_than_five_working_days_is_refused() -> None:
    with pytest.raises(PublicityError):
        publicity_period(NOTICE, dt.date(2021, 10, 11), dt.date(2021, 10, 14))
    with pytest.raises(PublicityError):
        publicity_period(NOTICE, dt.date(2021, 10, 11), dt.date(2021, 10, 10))
    # 8 October (Friday), 9 October (a Saturday worked for the holiday), 11–15 and 18 October
    assert publicity_period(NOTICE, dt.date(2021, 10, 8), dt.date(2021, 10, 18)).working_days == 8


def test_a_notice_without_unit_duties_gives_none() -> None:
    second = load_notice(TESTS_DIR / "fixtures" / "notices" / "2022-test-notice.yaml")
    outcome = evaluate(second, next(iter(interview_for(second).paths())))
    assert unit_duties(second, outcome, TODAY).duties == ()


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: d["unit_duties"][0].update(interpretations=["nope"]), "'nope' is not an interpretation"),
        (lambda d: d["unit_duties"][0].update(quote="通知里没有这句话"), "quote does not appear"),
        (lambda d: d["unit_duties"][0].update(ref="九（九）"), "not listed under clauses"),
        (lambda d: d["unit_duties"][0].update(unclear=True), "must name the interpretation"),
        (lambda d: d["unit_duties"][0].update(working_day_date="nope"), "is not a working-day date"),
        (lambda d: d["unit_duties"][0].update(wording="不在通知里的措辞"), "quote does not appear"),
        (lambda d: d["attachments"][0]["level_words"].update(master="硕"), "is not a level id"),
    ],
)
def test_a_malformed_unit_duty_is_refused_naming_the_entry(tmp_path: Path, edit: Any, problem: str) -> None:
    source = NOTICES_DIR / "2021-xinjiang-nonferrous.yaml"
    data = safe_load(source.read_text(encoding="utf-8"))
    edit(data)
    shutil.copy(NOTICES_DIR / "2021-xinjiang-nonferrous-notice.txt", tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_notice(broken)
    assert problem in str(error.value)
    assert "unit_duties[0]" in str(error.value) or "attachments[0]" in str(error.value)
