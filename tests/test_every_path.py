"""Every reachable combination of answers, each evaluated once.

The paths come from walking ``position()`` and trying every option of each next
question (conftest.walk_paths). All per-path checks run in one loop (the ``survey``
fixture) and each test below asserts one of them; then, in the style of GOV.UK Smart
Answers' test/flows, one class per question node states which question (or which
outcome) follows each of its options.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from knowledge.model import DECISIVE_VERDICTS, VERDICTS

ACTIONABLE = {"eligible", "conditional"}
CHECKS = (
    "verdict_is_one_of_five",
    "has_a_reason",
    "refs_exist",
    "item_ids_unique",
    "not_both_listed_and_exempt",
    "non_actionable_has_empty_checklist",
    "actionable_has_online_deadline",
    "actionable_has_paper_deadline",
    "reasons_belong_to_the_verdict",
    "stages_known_and_in_order",
    "no_unfilled_placeholders",
    "answers_echoed",
    "level_named",
    "exemptions_are_items_with_reason",
)


@dataclass
class Survey:
    paths: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    violations: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    transitions: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    first_questions: set[str] = field(default_factory=set)
    questions_seen: set[str] = field(default_factory=set)
    options_seen: set[tuple[str, str]] = field(default_factory=set)
    examples: dict[str, Any] = field(default_factory=dict)

    def fail(self, check: str, answers: dict[str, str], problem: str) -> None:
        if len(self.violations[check]) < 5:  # keep failure messages readable
            self.violations[check].append(f"{problem} <- {answers}")
        else:
            self.violations[check].append("…")


@pytest.fixture(scope="module")
def survey(notice, every_outcome) -> Survey:
    """One pass over every (answers, outcome): record transitions and every violation."""
    s = Survey()
    clause_refs = {c.ref for c in notice.clauses}
    rule_verdict = {r.id: r.verdict for r in notice.rules}
    stage_order = {st.id: i for i, st in enumerate(notice.stages)}
    item_ids = {it.id for it in notice.items}
    labels = {(q.id, o.id): o.label for q in notice.questions for o in q.options}

    for answers, out in every_outcome:
        s.paths += 1
        s.verdicts[out.verdict] += 1
        asked = list(answers)
        s.first_questions.add(asked[0])
        s.questions_seen.update(asked)
        s.options_seen.update(answers.items())
        for i, q in enumerate(asked):
            s.transitions[q, answers[q]].add(asked[i + 1] if i + 1 < len(asked) else f"outcome:{out.verdict}")
        s.examples.setdefault(out.verdict, out)

        if out.verdict not in VERDICTS:
            s.fail("verdict_is_one_of_five", answers, out.verdict)
        if not out.reasons:
            s.fail("has_a_reason", answers, "no reason")
        refs = ([r.ref for r in out.reasons] + [n.ref for n in out.notes] + [c.ref for c in out.checklist]
                + [e.ref for e in out.exemptions] + [d.ref for d in out.deadlines])
        unknown = [r for r in refs if r not in clause_refs]
        if unknown:
            s.fail("refs_exist", answers, f"unknown refs {unknown}")
        ids = [c.id for c in out.checklist]
        if len(ids) != len(set(ids)):
            s.fail("item_ids_unique", answers, f"duplicates in {ids}")
        both = set(ids) & {e.id for e in out.exemptions}
        if both:
            s.fail("not_both_listed_and_exempt", answers, f"{sorted(both)}")
        deadline_ids = {d.id for d in out.deadlines}
        if out.verdict in ACTIONABLE:
            if "online_submission" not in deadline_ids:
                s.fail("actionable_has_online_deadline", answers, f"deadlines {sorted(deadline_ids)}")
            if "paper_submission" not in deadline_ids:
                s.fail("actionable_has_paper_deadline", answers, f"deadlines {sorted(deadline_ids)}")
        elif out.checklist or out.exemptions:
            s.fail("non_actionable_has_empty_checklist", answers, f"{out.verdict} with {ids}")
        allowed = {out.verdict} | ({"eligible"} if out.verdict == "conditional" else set())
        if any(rule_verdict.get(r.id) not in allowed for r in out.reasons):
            s.fail("reasons_belong_to_the_verdict", answers, f"{out.verdict}: {[r.id for r in out.reasons]}")
        if out.verdict == "conditional" and not any(rule_verdict.get(r.id) == "conditional" for r in out.reasons):
            s.fail("reasons_belong_to_the_verdict", answers, "conditional without a conditional reason")
        positions = [stage_order.get(c.stage, -1) for c in out.checklist]
        if -1 in positions or positions != sorted(positions):
            s.fail("stages_known_and_in_order", answers, f"stages {[c.stage for c in out.checklist]}")
        if any("{" in text for c in out.checklist for text in (c.title, c.detail)):
            s.fail("no_unfilled_placeholders", answers, "a {placeholder} left in the checklist")
        echoed = {a.id: a.answer_id for a in out.answers}
        if echoed != answers or out.ignored_answers or any(a.answer != labels[a.id, a.answer_id] for a in out.answers):
            s.fail("answers_echoed", answers, f"echoed {echoed}, ignored {out.ignored_answers}")
        if "level" in answers and out.level != notice.level(answers["level"]).name:
            s.fail("level_named", answers, f"level {out.level}")
        if any(e.id not in item_ids or not e.reason or e.ref not in clause_refs for e in out.exemptions):
            s.fail("exemptions_are_items_with_reason", answers, f"{out.exemptions}")
    return s


# --- the paths as a whole ---------------------------------------------------------------

def test_there_are_exactly_72195_reachable_paths(survey):
    # From the interview's structure: after employment (in_service or high_skill) come five ways to reach
    # the sanction question (自治区内单位; 中央驻疆 with one of three letter answers; 援疆 serving) and two
    # ends (援疆 too short or ended). Each of those leads to 7219 paths: sanction yes (1), or misconduct
    # banned (2), or misconduct none then 7216 = 初级 1445 + 中级 2885 + 副高级 2885 + 正高级 1.
    # 1 (retired) + 2 × (5 × 7219 + 2) = 72195.
    assert survey.paths == 72195


def test_ineligible_paths_are_exactly_those_the_notice_excludes(survey):
    # 离退休 (1) + per (employment × way in): 处分期 1 + 弄虚作假 individual/unit 2 + 不符合条件 at 3 levels = 6.
    assert survey.verdicts["ineligible"] == 1 + 2 * 5 * 6


def test_not_covered_paths_are_short_aid_terms_and_full_senior(survey):
    # Per employment: 援疆 under one year or ended (2) + 正高级 on each of the five ways in (5).
    assert survey.verdicts["not_covered"] == 2 * (2 + 5)


def test_other_route_paths_are_the_direct_recognitions_of_six_two(survey):
    # 2 employments × 5 ways in × 3 levels × 2 (confirmed/unsure) × 2 titles (新疆/外省).
    assert survey.verdicts["other_route"] == 2 * 5 * 3 * 2 * 2


def test_eligible_and_conditional_paths_split_on_the_letter_and_the_conditions(survey):
    # Actionable completions per way in and conditions answer: 初级 720 + 中级 1440 + 副高级 1440 = 3600.
    # Eligible needs conditions confirmed on one of 3 complete ways in (新疆, letter approved, 援疆 serving).
    assert survey.verdicts["eligible"] == 2 * 3 * 3600
    assert survey.verdicts["conditional"] == 2 * 5 * 2 * 3600 - 2 * 3 * 3600


def test_every_one_of_the_five_verdicts_is_reached(survey):
    assert set(survey.verdicts) == set(VERDICTS)


@pytest.mark.parametrize("check", CHECKS)
def test_every_outcome_passes_the_check(survey, check):
    assert survey.violations.get(check, []) == [], f"{len(survey.violations[check])} paths fail {check}"


def test_every_outcome_has_a_verdict_from_the_five(survey):
    assert sum(survey.verdicts.values()) == survey.paths
    assert not survey.violations.get("verdict_is_one_of_five")


def test_every_question_is_reachable_in_ask_order(survey, notice):
    assert [q.id for q in notice.questions if q.id in survey.questions_seen] == [q.id for q in notice.questions]


def test_every_option_of_every_question_appears_on_some_path(survey, notice):
    missing = [(q.id, o.id) for q in notice.questions for o in q.options if (q.id, o.id) not in survey.options_seen]
    assert missing == []


def test_an_outcome_of_each_verdict_turns_into_plain_json(survey):
    for verdict, outcome in survey.examples.items():
        data = json.loads(json.dumps(outcome.to_dict(), ensure_ascii=False))
        assert data["verdict"] == verdict
        assert all(d["due"] is None or isinstance(d["due"], str) for d in data["deadlines"])


# --- one class per question node: what follows each option --------------------------------

ELIGIBLE_OR_CONDITIONAL = {"outcome:eligible", "outcome:conditional"}
GRASSROOTS_OPTIONS = ["none", "fhj_serving", "temple_or_teaching", "returned", "inland_or_secretary"]


def _follows(survey: Survey, question: str, option: str) -> set[str]:
    return survey.transitions[question, option]


class TestEmploymentQuestion:
    def test_it_is_the_first_question_of_every_path(self, survey):
        assert survey.first_questions == {"employment"}

    @pytest.mark.parametrize("option", ["in_service", "high_skill"])
    def test_a_professional_or_high_skill_talent_is_asked_about_the_unit_next(self, survey, option):
        assert _follows(survey, "employment", option) == {"unit_type"}

    def test_a_retiree_is_told_at_once_that_they_may_not_apply(self, survey):
        # 二（二）: 离退休人员不得申报参加职称评审。
        assert _follows(survey, "employment", "retired") == {"outcome:ineligible"}


class TestUnitTypeQuestion:
    def test_a_unit_of_the_region_goes_straight_to_the_sanction_question(self, survey):
        assert _follows(survey, "unit_type", "xinjiang") == {"sanction"}

    def test_a_central_other_province_or_military_unit_is_asked_about_the_entrustment_letter(self, survey):
        # 二（四）, 五（三）
        assert _follows(survey, "unit_type", "central_other_military") == {"entrustment_letter"}

    def test_an_aid_worker_is_asked_about_the_aid_term(self, survey):
        # 二（三）
        assert _follows(survey, "unit_type", "aid_xinjiang") == {"aid_term"}


class TestEntrustmentLetterQuestion:
    @pytest.mark.parametrize("option", ["approved", "letter_only", "none"])
    def test_every_answer_about_the_letter_goes_on_to_the_sanction_question(self, survey, option):
        assert _follows(survey, "entrustment_letter", option) == {"sanction"}


class TestAidTermQuestion:
    def test_an_aid_worker_of_over_a_year_still_serving_goes_on(self, survey):
        assert _follows(survey, "aid_term", "over_one_year_serving") == {"sanction"}

    @pytest.mark.parametrize("option", ["under_one_year", "ended"])
    def test_an_aid_worker_outside_two_three_is_not_covered_by_the_notice(self, survey, option):
        assert _follows(survey, "aid_term", option) == {"outcome:not_covered"}


class TestSanctionQuestion:
    def test_someone_not_under_sanction_is_asked_about_misconduct(self, survey):
        assert _follows(survey, "sanction", "no") == {"misconduct"}

    def test_someone_in_a_sanction_period_may_not_apply(self, survey):
        # 二（二）: 受到记过以上处分的，在受处分期间不得申报职称评审。
        assert _follows(survey, "sanction", "yes") == {"outcome:ineligible"}


class TestMisconductQuestion:
    def test_someone_without_misconduct_is_asked_the_level(self, survey):
        assert _follows(survey, "misconduct", "none") == {"level"}

    @pytest.mark.parametrize("option", ["individual_banned", "unit_banned"])
    def test_a_banned_person_or_unit_may_not_apply(self, survey, option):
        # 七（二）
        assert _follows(survey, "misconduct", option) == {"outcome:ineligible"}


class TestLevelQuestion:
    @pytest.mark.parametrize("option", ["junior", "intermediate", "associate_senior"])
    def test_a_level_the_notice_covers_leads_to_the_conditions_question(self, survey, option):
        assert _follows(survey, "level", option) == {"meets_conditions"}

    def test_full_senior_is_not_covered_by_the_notice(self, survey):
        assert _follows(survey, "level", "full_senior") == {"outcome:not_covered"}


class TestMeetsConditionsQuestion:
    @pytest.mark.parametrize("option", ["confirmed", "unsure"])
    def test_confirmed_or_unsure_goes_on_to_the_current_title(self, survey, option):
        assert _follows(survey, "meets_conditions", option) == {"current_title"}

    def test_not_meeting_the_conditions_ends_ineligible(self, survey):
        # 二（一）
        assert _follows(survey, "meets_conditions", "not_met") == {"outcome:ineligible"}


class TestCurrentTitleQuestion:
    def test_without_a_title_the_first_evaluation_or_grassroots_question_follows(self, survey):
        # No title: no 六（二） recognition and no 六（三） change; 中级以上 is asked 七（四）, 初级 is not.
        assert _follows(survey, "current_title", "none") == {"evaluated_before", "grassroots_service"}

    @pytest.mark.parametrize("option", ["xinjiang", "other_province"])
    def test_a_title_holder_is_asked_about_direct_recognition(self, survey, option):
        assert _follows(survey, "current_title", option) == {"direct_recognition"}


class TestDirectRecognitionQuestion:
    @pytest.mark.parametrize("option", ["no", "exam_specialty"])
    def test_no_recognition_or_an_exam_specialty_goes_on_with_the_evaluation(self, survey, option):
        # 中级以上 are asked 七（四） next; 初级 go to the 六（三） specialty question.
        assert _follows(survey, "direct_recognition", option) == {"evaluated_before", "specialty_change"}

    def test_three_years_of_grassroots_service_rated_excellent_is_another_route(self, survey):
        assert _follows(survey, "direct_recognition", "yes") == {"outcome:other_route"}


class TestEvaluatedBeforeQuestion:
    @pytest.mark.parametrize("option", ["first_time", "before"])
    def test_either_answer_goes_to_the_specialty_or_grassroots_question(self, survey, option):
        # Title holders are asked about a specialty change; those without a title are not.
        assert _follows(survey, "evaluated_before", option) == {"specialty_change", "grassroots_service"}


class TestSpecialtyChangeQuestion:
    @pytest.mark.parametrize("option", ["same", "changed"])
    def test_either_answer_goes_to_the_grassroots_question(self, survey, option):
        assert _follows(survey, "specialty_change", option) == {"grassroots_service"}


class TestGrassrootsServiceQuestion:
    @pytest.mark.parametrize("option", GRASSROOTS_OPTIONS)
    def test_every_answer_goes_to_the_education_question(self, survey, option):
        assert _follows(survey, "grassroots_service", option) == {"education_verifiable"}


class TestEducationVerifiableQuestion:
    @pytest.mark.parametrize("option", ["yes", "no"])
    def test_either_answer_goes_to_the_awards_question(self, survey, option):
        assert _follows(survey, "education_verifiable", option) == {"awards"}


class TestAwardsQuestion:
    @pytest.mark.parametrize("option", ["yes", "no"])
    def test_either_answer_goes_to_the_publications_question(self, survey, option):
        assert _follows(survey, "awards", option) == {"publications"}


class TestPublicationsQuestion:
    @pytest.mark.parametrize("option", ["published", "representative", "both", "none"])
    def test_the_last_question_ends_in_an_actionable_outcome(self, survey, option):
        assert _follows(survey, "publications", option) == ELIGIBLE_OR_CONDITIONAL


def test_every_question_node_is_described_by_a_class_above(notice):
    described = {name for name in globals() if name.startswith("Test") and name.endswith("Question")}
    expected = {"Test" + "".join(p.title() for p in q.id.split("_")) + "Question" for q in notice.questions}
    assert expected == described


def test_a_decisive_outcome_ends_the_interview_at_the_deciding_answer(survey):
    decisive_exits = {(q, o) for (q, o), nxt in survey.transitions.items()
                      if any(n.removeprefix("outcome:") in DECISIVE_VERDICTS for n in nxt)}
    # A decisive answer never also leads on to another question.
    for key in decisive_exits:
        assert all(n.startswith("outcome:") for n in survey.transitions[key]), key


def test_along_sampled_paths_the_question_number_counts_up_and_the_total_never_grows(notice, interview, every_outcome):
    from conversations.outcome import IncompleteAnswers, evaluate

    for answers, _ in every_outcome[::97]:  # ~750 paths; every prefix is walked
        items = list(answers.items())
        previous_total = len(notice.questions)
        for i in range(len(items)):
            position = interview.position(dict(items[:i]))
            assert position.question is not None and position.question.id == items[i][0]
            assert position.number == i + 1
            assert position.number <= position.total <= previous_total
            previous_total = position.total
            with pytest.raises(IncompleteAnswers) as caught:
                evaluate(notice, dict(items[:i]))
            assert caught.value.question_id == items[i][0]
        final = interview.position(answers)
        assert final.question is None and final.number == final.total == len(items) <= previous_total
