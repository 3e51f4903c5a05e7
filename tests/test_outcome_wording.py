"""What the outcome says where the notice is strict, permissive or silent (issue: no firm answer the
notice does not give). Each case is named as a sentence and reads its expectation off the notice."""

from __future__ import annotations

from conversations.outcome import answers_to_retry, evaluate
from conversations.render import outcome_html, outcome_messages, outcome_text
from knowledge import default_notice

NOTICE = default_notice()
IN_SERVICE = {
    "employment": "in_service",
    "unit_type": "xinjiang",
    "sanction": "no",
    "misconduct": "none",
    "current_title": "xinjiang",
    "direct_recognition": "no",
    "submission_status": "no",
}
TAIL = {
    "evaluated_before": "before",
    "specialty_change": "same",
    "grassroots_service": "none",
    "education_verifiable": "yes",
    "awards": "no",
    "publications": "none",
}


def _text(answers: dict[str, str], locale: str = "zh_Hans") -> str:
    return outcome_text(NOTICE, evaluate(NOTICE, answers), locale)


def test_a_retiree_reads_that_they_may_not_apply_not_that_they_may_not_apply_this_year():
    text = _text({"employment": "retired"})
    assert "结论：不能申报" in text and "本年度" not in text
    assert "离退休人员不得申报参加职称评审。" in text


def test_someone_turned_away_sees_no_checklist_no_notes_for_applicants_and_the_contacts():
    for answers in (
        {"employment": "retired"},
        {"employment": "not_technical"},
        {**IN_SERVICE, "submission_status": "returned_third"},
    ):
        outcome = evaluate(NOTICE, answers)
        text = outcome_text(NOTICE, outcome, "zh_Hans")
        assert not outcome.has_checklist and outcome.notes == ()
        assert "材料清单" not in text and "承诺书" not in text and "请注意" not in text
        assert "0991－4841923" in text


def test_materials_returned_after_the_third_submission_bar_this_year_only():
    text = _text({**IN_SERVICE, "submission_status": "returned_third"})
    assert "结论：本年度不能申报" in text and "本年度不再受理" in text and "四（三）" in text


def test_a_sanction_period_bars_the_applicant_at_present():
    assert "结论：目前不能申报" in _text({**IN_SERVICE, "sanction": "yes"})


def test_not_meeting_the_conditions_bars_the_chosen_level_and_offers_another():
    answers = {**IN_SERVICE, "level": "associate_senior", "meets_conditions": "not_met"}
    outcome = evaluate(NOTICE, answers)
    assert (outcome.verdict, outcome.bar, outcome.retry) == ("ineligible", "level", "level")
    assert "结论：不能申报所选级别" in outcome_text(NOTICE, outcome, "zh_Hans")
    again = answers_to_retry(NOTICE, answers)
    assert again == IN_SERVICE  # the level and the conditions are asked anew
    assert (
        evaluate(
            NOTICE,
            {
                **again,
                "level": "intermediate",
                "meets_conditions": "confirmed",
                "current_title": "xinjiang",
                "direct_recognition": "no",
                **TAIL,
            },
        ).verdict
        == "eligible"
    )


def test_an_outcome_without_a_retry_offers_none():
    assert answers_to_retry(NOTICE, {"employment": "retired"}) is None


def test_full_senior_is_said_to_be_unmentioned_by_the_notice_citing_seven_five():
    outcome = evaluate(NOTICE, {**IN_SERVICE, "level": "full_senior"})
    assert outcome.verdict == "not_covered"
    assert [r.ref for r in outcome.reasons] == ["七（五）"]
    assert "本通知未提及正高级" in outcome.reasons[0].text


def test_direct_recognition_is_left_to_the_authorities_and_the_evaluation_stays_as_a_fallback():
    answers = {
        **IN_SERVICE,
        "level": "intermediate",
        "meets_conditions": "confirmed",
        "current_title": "xinjiang",
        "direct_recognition": "yes",
        **TAIL,
    }
    outcome = evaluate(NOTICE, answers)
    text = outcome_text(NOTICE, outcome, "zh_Hans")
    assert outcome.verdict == "other_route" and outcome.has_checklist
    assert "无需参加本次评审" not in text
    assert "是否认定由上述部门决定" in text and "网上申报截止：2021年10月20日" in text
    assert "结论：可走其他途径，也可按本通知申报" in text


def test_the_exam_specialty_note_does_not_send_anyone_to_apply_under_this_notice():
    note = next(n for n in NOTICE.notes if n.id == "exam_specialty")
    assert "按本通知参加评审" not in note.text and "联系人" in note.text


def test_the_reasons_quote_the_notices_own_words_and_the_notice_is_dated():
    text = _text(
        {
            **IN_SERVICE,
            "level": "junior",
            "meets_conditions": "confirmed",
            "current_title": "none",
            **{k: v for k, v in TAIL.items() if k not in ("evaluated_before", "specialty_change")},
        }
    )
    assert "依据新色集函〔2021〕121号（2021年9月13日）" in text
    assert "通知原文：“申报人应当为在职专业技术人员。”" in text


def test_the_steps_before_applying_come_first_and_name_the_online_deadline():
    answers = {
        **IN_SERVICE,
        "unit_type": "central_other_military",
        "entrustment_letter": "letter_only",
        "level": "junior",
        "meets_conditions": "confirmed",
        "current_title": "none",
        "grassroots_service": "none",
        "education_verifiable": "yes",
        "awards": "no",
        "publications": "none",
    }
    text = _text(answers)
    before = text.index("【申报前须办结】（截止：2021年10月20日）")
    assert before < text.index("委托评审函经自治区专业技术人员职称办公室审核同意") < text.index("【网上申报材料】")
    assert text.index("单位内部公示不少于5个工作日") < text.index("《公示结果》（附件1）")


def test_the_defence_form_is_quoted_for_every_associate_senior_in_a_unit_of_the_region():
    answers = {
        **IN_SERVICE,
        "level": "associate_senior",
        "meets_conditions": "confirmed",
        "current_title": "xinjiang",
        "direct_recognition": "no",
        **TAIL,
    }
    text = _text(answers)
    assert "根据自治区疫情防控要求，适时采取现场或视频答辩方式进行。答辩时间、地点另行通知。" in text
    assert "副高级答辩：另行通知" in text


def test_the_english_interface_words_the_new_headlines_in_english():
    text = "\n".join(outcome_messages(NOTICE, evaluate(NOTICE, {"employment": "retired"}), "en"))
    assert "You may not apply" in text and "this year" not in text


def test_the_html_page_of_a_turned_away_applicant_has_no_checklist():
    page = outcome_html(NOTICE, evaluate(NOTICE, {"employment": "retired"}), "zh_Hans")
    assert "离退休人员不得申报参加职称评审" in page and "item-online_registration" not in page
