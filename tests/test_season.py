"""The season, working days, the applicant's dates, reminders and the .ics file, against dates
derived by hand from the 2021 calendar and the notice's words."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from conversations.calendar_file import deadlines_ics
from conversations.clock import Clock, ClockError, parse_moment
from conversations.outcome import evaluate
from conversations.render import deadlines_message, outcome_messages, reminder_message, season_text
from conversations.season import current_notice, reminder_schedule, season_of, working_day_dates
from conversations.workdays import is_working_day, latest_start, working_days_between
from knowledge import default_notice

NOTICE = default_notice()
D = dt.date.fromisoformat
APPLICANT = {
    "employment": "in_service",
    "unit_type": "xinjiang",
    "sanction": "no",
    "misconduct": "none",
    "submission_status": "no",
    "level": "intermediate",
    "meets_conditions": "confirmed",
    "current_title": "none",
    "evaluated_before": "first_time",
    "grassroots_service": "none",
    "education_verifiable": "yes",
    "awards": "no",
    "publications": "none",
}
OUTCOME = evaluate(NOTICE, APPLICANT)


# --- working days, checked by hand against the 2021 official calendar -------------------------


@pytest.mark.parametrize("day", [f"2021-10-0{n}" for n in range(1, 8)])
def test_the_national_day_holiday_of_1_to_7_october_2021_has_no_working_day(day):
    assert not is_working_day(D(day))


@pytest.mark.parametrize("day", ["2021-09-26", "2021-10-09"])
def test_the_make_up_sunday_26_september_and_saturday_9_october_2021_are_working_days(day):
    assert D(day).weekday() >= 5 and is_working_day(D(day))


def test_september_27_to_october_12_2021_hold_eight_working_days():
    # 27, 28, 29, 30 September; 8 (Fri), 9 (Sat, 调休), 11, 12 October.
    assert working_days_between(D("2021-09-27"), D("2021-10-12")) == 8


def test_the_unit_publicity_must_start_by_13_october_2021_to_end_before_the_online_deadline():
    # 五（二）: at least 5 working days; 附件1 is uploaded by 20 October (interpretation publicity_latest_start):
    # 13 (Wed), 14, 15, 18 (Mon), 19 October, leaving the 20th to issue and upload the result.
    period = latest_start(5, D("2021-10-20"))
    assert (period.start, period.end) == (D("2021-10-13"), D("2021-10-19"))
    assert period.days == (D("2021-10-13"), D("2021-10-14"), D("2021-10-15"), D("2021-10-18"), D("2021-10-19"))
    assert period.official


def test_a_period_across_the_national_day_holiday_skips_it_and_counts_the_make_up_saturday():
    period = latest_start(5, D("2021-10-12"))
    assert period.days == (D("2021-09-29"), D("2021-09-30"), D("2021-10-08"), D("2021-10-09"), D("2021-10-11"))


def test_a_year_without_official_data_falls_back_to_weekdays_and_says_so():
    period = latest_start(5, D("2099-10-20"))
    assert not period.official and all(d.weekday() < 5 for d in period.days)


def test_the_applicants_dates_name_the_publicity_start_with_its_clause():
    [entry] = working_day_dates(NOTICE, OUTCOME, D("2021-10-11"))
    assert (entry.id, entry.day, entry.end, entry.ref, entry.days_left) == (
        "publicity_latest_start",
        D("2021-10-13"),
        D("2021-10-19"),
        "五（二）",
        2,
    )


def test_an_applicant_turned_away_has_no_dates_and_no_reminders():
    retired = evaluate(NOTICE, {"employment": "retired"})
    assert working_day_dates(NOTICE, retired, D("2021-10-11")) == []
    assert reminder_schedule(NOTICE, retired) == []


# --- the season at each boundary ------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "state", "words"),
    [
        ("2021-09-13", "open", "2021年度网上申报正在进行，截止2021年10月20日（星期三），还有37天。"),
        ("2021-10-13", "open", "还有7天"),
        ("2021-10-14", "closing", "2021年度网上申报即将截止：2021年10月20日（星期三），还有6天。"),
        ("2021-10-19", "closing", "还有1天"),
        ("2021-10-20", "closing", "2021年度网上申报今天（2021年10月20日）截止。"),
        ("2021-10-21", "paper_only", "2021年度网上申报已于2021年10月20日截止；纸质材料须于2021年10月30日前报送。"),
        ("2021-10-29", "paper_only", "已于2021年10月20日截止"),
        (
            "2021-10-30",
            "closed",
            "2021年度申报已结束：网上申报已于2021年10月20日截止，纸质材料报送期限（2021年10月30日前）已过。",
        ),
        ("2026-11-28", "closed", "2021年度申报已结束"),
    ],
)
def test_the_season_is_worded_by_the_day_before_of_and_after_each_deadline(day, state, words):
    season = season_of(NOTICE, D(day))
    assert season is not None and season.state == state
    assert words in season_text(NOTICE, D(day), "zh_Hans")


def test_after_the_season_the_outcome_says_so_beside_the_verdict():
    head = outcome_messages(NOTICE, OUTCOME, "zh_Hans", today=D("2026-11-28"))[0]
    assert "结论：符合申报条件，但2021年度网上申报已于2021年10月20日截止" in head and "2021年度申报已结束" in head
    assert "可以申报" not in head


def test_once_the_online_deadline_has_passed_the_headline_says_eligibility_and_closure_together():
    head = outcome_messages(NOTICE, OUTCOME, "zh_Hans", today=D("2021-10-21"))[0]
    assert head.startswith("<b>结论：符合申报条件，但2021年度网上申报已于2021年10月20日截止</b>")
    assert "纸质材料须于2021年10月30日前报送" in head and "可以申报" not in head


def test_on_the_last_day_of_the_online_applications_the_headline_still_invites_to_apply():
    head = outcome_messages(NOTICE, OUTCOME, "zh_Hans", today=D("2021-10-20"))[0]
    assert "结论：可以申报" in head and "今天（2021年10月20日）截止" in head


def test_from_the_latest_publicity_start_on_the_outcome_says_what_is_left_of_the_publicity():
    before = outcome_messages(NOTICE, OUTCOME, "zh_Hans", today=D("2021-10-12"))[0]
    assert "单位内部公示最迟开始" not in before
    on_the_day = outcome_messages(NOTICE, OUTCOME, "zh_Hans", today=D("2021-10-13"))[0]
    assert "单位内部公示最迟开始：今天（2021年10月13日）" in on_the_day
    after = outcome_messages(NOTICE, OUTCOME, "zh_Hans", today=D("2021-10-14"))[0]
    assert "单位内部公示最迟开始：2021年10月13日，已过" in after
    assert "尚未开始的，已无法在2021年10月20日前满5个工作日" in after
    assert "此日期为本助手按工作日推算" in after  # marked as the assistant's reckoning, in words (no reading id)
    closed = outcome_messages(NOTICE, OUTCOME, "zh_Hans", today=D("2021-10-21"))[0]
    assert "单位内部公示最迟开始" not in closed  # the closure says it all


def test_the_open_notice_is_offered_and_a_finished_one_is_kept_when_none_is_open():
    assert current_notice([NOTICE], D("2021-10-01")) is NOTICE
    assert current_notice([NOTICE], D("2026-11-28")) is NOTICE


# --- /deadlines ------------------------------------------------------------------------------


def test_deadlines_give_weekdays_countdowns_the_publicity_start_and_the_contacts():
    text = deadlines_message(NOTICE, OUTCOME, D("2021-10-15"), "zh_Hans")
    assert "网上申报截止：2021年10月20日（星期三） · <b>还有5天</b>" in text
    assert "纸质材料报送：2021年10月30日前（星期六） · <b>还有14天</b>" in text
    assert "最后一天按2021年10月29日（星期五）计算" in text
    assert "单位内部公示最迟开始：2021年10月13日（星期三），5个工作日至2021年10月19日止 · <b>已截止</b>" in text
    assert "0991－4841923" in text


def test_on_the_day_a_deadline_says_due_today_and_after_it_passed():
    assert "<b>今天截止</b>" in deadlines_message(NOTICE, OUTCOME, D("2021-10-20"), "zh_Hans")
    assert "网上申报截止：2021年10月20日（星期三） · <b>已截止</b>" in deadlines_message(
        NOTICE, OUTCOME, D("2021-10-21"), "zh_Hans"
    )


# --- reminders -------------------------------------------------------------------------------


def test_reminders_fall_7_3_1_and_0_days_before_each_last_day_at_10_in_urumqi_office_time():
    times = [(r.deadline_id, r.days_before, r.send_at) for r in reminder_schedule(NOTICE, OUTCOME)]
    at10 = lambda day: dt.datetime.fromisoformat(f"{day}T10:00:00+08:00").astimezone(dt.UTC)  # noqa: E731
    assert times == [
        ("online_submission", 7, at10("2021-10-13")),
        ("online_submission", 3, at10("2021-10-17")),
        ("online_submission", 1, at10("2021-10-19")),
        ("online_submission", 0, at10("2021-10-20")),
        ("paper_submission", 7, at10("2021-10-22")),
        ("paper_submission", 3, at10("2021-10-26")),
        ("paper_submission", 1, at10("2021-10-28")),
        ("paper_submission", 0, at10("2021-10-29")),
    ]


def test_a_reminder_names_the_deadline_the_days_left_and_the_unticked_items():
    text = reminder_message(NOTICE, OUTCOME, "online_submission", D("2021-10-17"), {"work_summary"}, "zh_Hans")
    assert "提醒：网上申报截止" in text and "还有3天" in text
    assert "任现职以来个人业务工作总结" not in text and "工作简历" in text
    all_ticked = {item.id for item in OUTCOME.checklist}
    assert "材料已全部准备好。" in reminder_message(
        NOTICE, OUTCOME, "online_submission", D("2021-10-17"), all_ticked, "zh_Hans"
    )


# --- the .ics file ---------------------------------------------------------------------------


def test_the_ics_file_parses_back_with_the_deadlines_the_publicity_start_and_alarms():
    data = deadlines_ics(NOTICE, OUTCOME, now=dt.datetime(2021, 10, 11, 2, tzinfo=dt.UTC))
    calendar = icalendar.Calendar.from_ical(data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"2021-xinjiang-nonferrous-{i}@zhicheng-bot"
        for i in ("online_submission", "paper_submission", "publicity_latest_start")
    }
    online = events["2021-xinjiang-nonferrous-online_submission@zhicheng-bot"]
    assert online.decoded("dtstart") == D("2021-10-20") and "2021年10月20日" in str(online["summary"])
    paper = events["2021-xinjiang-nonferrous-paper_submission@zhicheng-bot"]
    assert paper.decoded("dtstart") == D("2021-10-29")  # the last day of “2021年10月30日前”
    triggers = sorted(a.decoded("trigger") for a in online.walk("VALARM"))
    assert triggers == [
        dt.timedelta(days=-7, hours=10),
        dt.timedelta(days=-3, hours=10),
        dt.timedelta(days=-1, hours=10),
        dt.timedelta(hours=10),
    ]


# --- the clock -------------------------------------------------------------------------------


def test_a_set_clock_runs_on_from_the_moment_it_was_set():
    ticks = iter([100.0, 130.5])
    clock = Clock(parse_moment("2021-10-13T09:59:30+08:00"), monotonic=lambda: next(ticks))
    assert clock.now() == dt.datetime(2021, 10, 13, 2, 0, 0, 500000, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["2021-10-13", "yesterday", "2021-10-13T09:59:30"])
def test_a_moment_without_a_utc_offset_or_not_iso_is_refused_with_an_example(text):
    with pytest.raises(ClockError, match="2021-10-13T09:59:30"):
        parse_moment(text)
