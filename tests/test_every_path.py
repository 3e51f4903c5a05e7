"""Every reachable combination of answers, each evaluated once.

The paths come from walking ``position()`` and trying every option of each next
question (conftest.walk_paths). All per-path checks run in one loop (the ``survey``
fixture) and each test below asserts one of them; then, in the style of GOV.UK Smart
Answers' test/flows, one class per question node states which question (or which
outcome) follows each of its options.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from conversations.outcome import SUPPORTING_VERDICTS
from conversations.render import headline
from conversations.season import season_of
from knowledge.model import BARS, DECISIVE_VERDICTS, VERDICTS

# Both modules read every path's outcome (conftest.every_outcome): one worker evaluates them once.
pytestmark = pytest.mark.xdist_group("every_outcome")

ACTIONABLE = {"eligible", "conditional", "other_route"}
GRASSROOTS_2021 = {"fhj_serving", "temple_or_teaching", "returned", "inland_or_secretary"}
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
    "turned_away_see_no_notes",
    "ineligible_says_what_it_bars",
    "associate_senior_keeps_a_defence_line",
    "only_2021_service_exempts",
    "publicity_comes_before_its_upload",
    "done_steps_are_not_to_dos",
    "unit_duty_is_information_not_an_item",
    "six_two_is_heard_whatever_ended_the_interview",
    "junior_is_never_offered_another_level",
    "no_headline_invites_to_apply_out_of_season",
    "the_headline_invites_to_apply_in_season",
)
# After the online deadline (paper materials only), and after the season.
OUT_OF_SEASON = (dt.date(2021, 10, 21), dt.date(2021, 11, 5))
IN_SEASON = dt.date(2021, 10, 8)
INVITATIONS = ("可以申报", "可按本通知申报", "You may apply", "you may also apply")


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
    closed = [season_of(notice, day) for day in OUT_OF_SEASON]
    assert all(s is not None and not s.accepting for s in closed)
    open_season = season_of(notice, IN_SEASON)
    assert open_season is not None and open_season.accepting

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
        refs = (
            [r.ref for r in out.reasons]
            + [n.ref for n in out.notes]
            + [c.ref for c in out.checklist]
            + [e.ref for e in out.exemptions]
            + [d.ref for d in out.deadlines]
        )
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
        allowed = {out.verdict, *SUPPORTING_VERDICTS.get(out.verdict, ())}
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
        if out.verdict not in ACTIONABLE and out.notes:
            s.fail("turned_away_see_no_notes", answers, f"{out.verdict} with notes {[n.id for n in out.notes]}")
        if (out.verdict == "ineligible") != (out.bar in BARS):
            s.fail("ineligible_says_what_it_bars", answers, f"{out.verdict} bars {out.bar}")
        if (
            out.verdict in ACTIONABLE
            and answers.get("level") == "associate_senior"
            and not ("defence" in ids and "defence" in deadline_ids)
        ):
            s.fail("associate_senior_keeps_a_defence_line", answers, f"items {ids}, deadlines {deadline_ids}")
        exempted = {e.id for e in out.exemptions}
        if answers.get("grassroots_service") not in GRASSROOTS_2021 and (
            exempted or (out.verdict in ACTIONABLE and "ce_specialty_2021" not in ids)
        ):
            s.fail("only_2021_service_exempts", answers, f"exempted {sorted(exempted)}")
        if out.verdict in ACTIONABLE and not ids.index("unit_publicity") < ids.index("publicity_result_upload"):
            s.fail("publicity_comes_before_its_upload", answers, f"{ids}")
        if answers.get("entrustment_letter") == "approved" and "entrustment_approval" in ids:
            s.fail("done_steps_are_not_to_dos", answers, "an approved letter listed as a step to do")
        if "unit_accountability" in ids or (
            out.verdict in ACTIONABLE and "unit_accountability" not in {n.id for n in out.notes}
        ):
            s.fail("unit_duty_is_information_not_an_item", answers, f"{ids}")
        six_two = {r.ref for r in out.reasons} | {n.ref for n in out.notes}
        if answers.get("direct_recognition") == "yes" and "六（二）" not in six_two:
            s.fail("six_two_is_heard_whatever_ended_the_interview", answers, f"{out.verdict}: refs {sorted(six_two)}")
        if answers.get("level") == "junior" and out.retry == "level":
            s.fail("junior_is_never_offered_another_level", answers, f"retry {out.retry}")
        for season in closed:
            for locale in ("zh_Hans", "en"):
                words = headline(out, locale, season)
                if any(w in words for w in INVITATIONS) or (
                    out.has_checklist and "截止" not in words and "closed" not in words
                ):
                    s.fail("no_headline_invites_to_apply_out_of_season", answers, f"{season.state}: {words}")
        if out.verdict == "eligible" and headline(out, "zh_Hans", open_season) != "可以申报":
            s.fail("the_headline_invites_to_apply_in_season", answers, headline(out, "zh_Hans", open_season))
    return s


# --- the paths as a whole ---------------------------------------------------------------


def test_there_are_exactly_125786_reachable_paths(survey):
    # From the interview's structure. The ways to the tail of 2021 grassroots service (6 answers) ×
    # education (2) × awards (2) × publications (4) = 96 completions each. The current title and direct
    # recognition (六（二）) are asked before the submission count and the level: 7 title answers (none, or
    # 2 titles × 3 recognition answers, all going on). Per level and conditions answer (confirmed or unsure):
    # no title e × 96, a title e × (2 specialty answers × 96 + 1 same-level transfer) = e × 193, with e = 1
    # for 初级 and 2 (七（四） asked) above. Per level, 不符合条件 ends (1): without a title 正高级 1 + 初级
    # (1 + 2 × 96) + 中级, 副高级 (1 + 2 × 192) each = 964; with a title 1 + (1 + 2 × 193) + 2 × (1 + 2 × 386)
    # = 1934. Per title answer add 第3次退回 (1): 965 and 1935. Per way to the sanction question: 处分期 1 +
    # banned 2 + 965 + 6 × 1935 = 12578. Per employment (in_service, high_skill): 5 ways (自治区内; three
    # letter answers; 援疆 serving) × 12578 + 2 援疆 ends = 62892. With retired and not_technical: 2 × 62892 + 2.
    assert survey.paths == 2 * (5 * (3 + 965 + 6 * 1935) + 2) + 2 == 125786


def test_ineligible_paths_are_exactly_those_the_notice_excludes(survey):
    # 离退休, 非专业技术人员 (2) + per employment: 援疆 under a year or ended (2, 二（三）) and per way in:
    # 处分期 1 + 弄虚作假 individual/unit 2, then per title answer (7): 第3次提交后退回 1 + 不符合所选级别条件
    # at 3 levels.
    assert survey.verdicts["ineligible"] == 2 + 2 * (2 + 5 * (3 + 7 * 4))


def test_not_covered_paths_are_full_senior_and_same_level_transfers(survey):
    # Per employment, way in and title answer (7): 正高级 (1); and for the 6 title holders 同级转评 at e per
    # level (初级 1, 中级 and 副高级 2) per conditions answer (2): 2 × 5 = 10.
    assert survey.verdicts["not_covered"] == 2 * 5 * (7 + 6 * 10)


def test_other_route_paths_are_the_direct_recognitions_of_six_two_which_still_reach_the_checklist(survey):
    # Per employment, way in and conditions answer: 2 titles × recognition yes × e × 2 specialty answers × 96.
    per = 2 * 1 * 2 * 96 + 2 * (2 * 1 * 2 * 2 * 96)
    assert survey.verdicts["other_route"] == 2 * 5 * 2 * per


def test_eligible_and_conditional_paths_split_on_the_letter_and_the_conditions(survey):
    # Completions per way in and conditions answer without recognition: 6270 − 30 同级转评 − 1920 认定 = 4320.
    # Eligible needs conditions confirmed on one of 3 complete ways in (新疆, letter approved, 援疆 serving).
    assert survey.verdicts["eligible"] == 2 * 3 * 4320
    assert survey.verdicts["conditional"] == 2 * 5 * 2 * 4320 - 2 * 3 * 4320


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
ACTIONABLE_OUTCOMES = ELIGIBLE_OR_CONDITIONAL | {"outcome:other_route"}
GRASSROOTS_OPTIONS = ["none", "fhj_serving", "temple_or_teaching", "returned", "inland_or_secretary", "earlier_only"]


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

    def test_someone_employed_but_not_a_professional_is_told_at_once_that_they_may_not_apply(self, survey):
        # 二（二）: 申报人应当为在职专业技术人员。
        assert _follows(survey, "employment", "not_technical") == {"outcome:ineligible"}


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
    def test_an_aid_worker_outside_two_three_is_outside_the_scope_of_this_evaluation(self, survey, option):
        # 二（三）: 对口支援新疆1年以上，且正在援疆期间的专业技术人员。
        assert _follows(survey, "aid_term", option) == {"outcome:ineligible"}


class TestSanctionQuestion:
    def test_someone_not_under_sanction_is_asked_about_misconduct(self, survey):
        assert _follows(survey, "sanction", "no") == {"misconduct"}

    def test_someone_in_a_sanction_period_may_not_apply(self, survey):
        # 二（二）: 受到记过以上处分的，在受处分期间不得申报职称评审。
        assert _follows(survey, "sanction", "yes") == {"outcome:ineligible"}


class TestMisconductQuestion:
    def test_someone_never_dealt_with_or_whose_period_is_over_is_asked_about_the_current_title(self, survey):
        assert _follows(survey, "misconduct", "none") == {"current_title"}

    @pytest.mark.parametrize("option", ["individual_banned", "unit_banned"])
    def test_a_banned_person_or_unit_may_not_apply(self, survey, option):
        # 七（二）
        assert _follows(survey, "misconduct", option) == {"outcome:ineligible"}


class TestSubmissionStatusQuestion:
    def test_someone_who_has_not_been_returned_three_times_is_asked_the_level(self, survey):
        assert _follows(survey, "submission_status", "no") == {"level"}

    def test_materials_returned_after_the_third_submission_are_not_accepted_this_year(self, survey):
        # 四（三）: 对于第3次提交后申报材料仍不符合要求被退回的，本年度不再受理。
        assert _follows(survey, "submission_status", "returned_third") == {"outcome:ineligible"}


class TestLevelQuestion:
    @pytest.mark.parametrize("option", ["junior", "intermediate", "associate_senior"])
    def test_a_level_the_notice_covers_leads_to_the_conditions_question(self, survey, option):
        assert _follows(survey, "level", option) == {"meets_conditions"}

    def test_full_senior_is_not_covered_by_the_notice(self, survey):
        assert _follows(survey, "level", "full_senior") == {"outcome:not_covered"}


class TestMeetsConditionsQuestion:
    @pytest.mark.parametrize("option", ["confirmed", "unsure"])
    def test_confirmed_or_unsure_goes_on_to_the_first_evaluation_specialty_or_grassroots_question(self, survey, option):
        # 中级以上 are asked 七（四）; 初级 with a title the 六（三） specialty question; 初级 without one 六（一）.
        assert _follows(survey, "meets_conditions", option) == {
            "evaluated_before",
            "specialty_change",
            "grassroots_service",
        }

    def test_not_meeting_the_conditions_ends_ineligible_for_the_chosen_level(self, survey):
        # 二（一）
        assert _follows(survey, "meets_conditions", "not_met") == {"outcome:ineligible"}


class TestCurrentTitleQuestion:
    def test_without_a_title_the_submission_question_follows(self, survey):
        # No title: no 六（二） recognition to ask about.
        assert _follows(survey, "current_title", "none") == {"submission_status"}

    @pytest.mark.parametrize("option", ["xinjiang", "other_province"])
    def test_a_title_holder_is_asked_about_direct_recognition(self, survey, option):
        assert _follows(survey, "current_title", option) == {"direct_recognition"}


class TestDirectRecognitionQuestion:
    @pytest.mark.parametrize("option", ["no", "yes", "exam_specialty"])
    def test_every_answer_goes_on_with_the_evaluation(self, survey, option):
        # 六（二） recognition is decided by the HR bureau: the evaluation stays open as the fallback. It is
        # asked before the answers that can end the interview (submissions, level, conditions), since the
        # route does not rest on them (interpretation recognition_independent).
        assert _follows(survey, "direct_recognition", option) == {"submission_status"}


class TestEvaluatedBeforeQuestion:
    @pytest.mark.parametrize("option", ["first_time", "before"])
    def test_either_answer_goes_to_the_specialty_or_grassroots_question(self, survey, option):
        # Title holders are asked about a specialty change; those without a title are not.
        assert _follows(survey, "evaluated_before", option) == {"specialty_change", "grassroots_service"}


class TestSpecialtyChangeQuestion:
    @pytest.mark.parametrize("option", ["same", "changed"])
    def test_the_same_specialty_or_a_change_towards_the_next_level_goes_to_the_grassroots_question(
        self, survey, option
    ):
        assert _follows(survey, "specialty_change", option) == {"grassroots_service"}

    def test_a_same_level_transfer_is_not_covered_by_six_three(self, survey):
        # 六（三） covers only 需评审高一级专业技术职务任职资格的 … 无需同级转评.
        assert _follows(survey, "specialty_change", "changed_same_level") == {"outcome:not_covered"}


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
    def test_the_last_question_ends_in_an_outcome_with_a_checklist(self, survey, option):
        assert _follows(survey, "publications", option) == ACTIONABLE_OUTCOMES


def test_every_question_node_is_described_by_a_class_above(notice):
    described = {name for name in globals() if name.startswith("Test") and name.endswith("Question")}
    expected = {"Test" + "".join(p.title() for p in q.id.split("_")) + "Question" for q in notice.questions}
    assert expected == described


def test_a_decisive_outcome_ends_the_interview_at_the_deciding_answer(survey):
    decisive_exits = {
        (q, o)
        for (q, o), nxt in survey.transitions.items()
        if any(n.removeprefix("outcome:") in DECISIVE_VERDICTS for n in nxt)
    }
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
