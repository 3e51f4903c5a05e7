"""Work shared between applicants (issue 19): outcomes by answer set, the interview's position
by answers, the outcome's messages and checklist page rendered once. What each applicant reads
must be exactly what rendering it afresh gives."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from conversations import render
from conversations.interview import Interview, interview_for
from conversations.outcome import evaluate
from conversations.render import head_messages, outcome_html, pack
from knowledge import load_notice, notice_path
from knowledge.model import Notice

TODAY = dt.date(2021, 10, 15)


@pytest.fixture(scope="module")
def notice() -> Notice:
    return load_notice(notice_path())


@pytest.fixture(scope="module")
def paths(notice: Notice) -> list[dict[str, str]]:
    return list(itertools.islice(interview_for(notice).paths(), 0, 4000, 97))


def test_the_same_answers_in_any_order_share_one_outcome(notice: Notice, paths: list[dict[str, str]]) -> None:
    for answers in paths:
        backwards = dict(reversed(list(answers.items())))
        assert evaluate(notice, answers) is evaluate(notice, backwards)


def test_a_remembered_position_is_the_position_worked_out_afresh(notice: Notice, paths: list[dict[str, str]]) -> None:
    shared = interview_for(notice)
    for answers in paths:
        items = list(answers.items())
        for end in range(len(items) + 1):
            partial = dict(items[:end])
            fresh = Interview(notice).position(partial)
            assert shared.position(partial) == fresh
            assert shared.position(partial) == fresh  # the second time from the memo


def test_the_checklist_page_is_the_page_rendered_afresh_with_its_own_moment(
    notice: Notice, paths: list[dict[str, str]]
) -> None:
    outcome = evaluate(notice, next(a for a in paths if evaluate(notice, a).checklist))
    ticked = {outcome.checklist[0].id}
    for moment in ("2021-10-15 10:00", "2021-10-15 10:01", "<&>"):
        page = outcome_html(notice, outcome, "zh_Hans", ticked, generated=moment, today=TODAY)
        afresh = render.render(
            "checklist.html",
            "zh_Hans",
            generated=moment,
            **render.checklist_page_context(notice, outcome, ticked, TODAY),
        )
        assert page == afresh
    assert outcome_html(notice, outcome, "zh_Hans", (), today=TODAY) == render.render(
        "checklist.html", "zh_Hans", generated=None, **render.checklist_page_context(notice, outcome, (), TODAY)
    )


def test_the_line_before_the_verdict_joins_its_message_with_the_texts_unchanged(
    notice: Notice, paths: list[dict[str, str]]
) -> None:
    for answers in paths[:10]:
        outcome = evaluate(notice, answers)
        alone = head_messages(notice, outcome, "zh_Hans", today=TODAY)
        joined = head_messages(notice, outcome, "zh_Hans", today=TODAY, lead="<b>问答已完成。</b>")
        assert joined[0] == "<b>问答已完成。</b>\n\n" + alone[0]
        assert joined[1:] == alone[1:]
        assert all(len(text) <= render.TELEGRAM_LIMIT for text in joined)


def test_a_lead_that_does_not_fit_goes_in_a_message_of_its_own() -> None:
    verdict = "结论" * 2045  # 4,090 characters: with the lead and a blank line it would pass 4,096
    assert pack(["问答已完成。", verdict]) == ["问答已完成。", verdict]
    assert pack(["问答已完成。", "结论"]) == ["问答已完成。\n\n结论"]
