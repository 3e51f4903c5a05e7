"""Where the season stands on a given day, each deadline's countdown, the dates worked out in
working days, and when reminders fall due. Pure: the caller passes today's date (or the moment).

A deadline's last day is its date, or the day before for one written "…前" (interpretation
paper_deadline_last_day). The season is open until the last `closing_days` days before the
submission deadline, closing during them, paper_only between the submission and the final
deadline, and closed after that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from conversations.outcome import DeadlineEntry, Outcome
from conversations.predicates import PredicateSet
from conversations.workdays import latest_start
from knowledge.model import Deadline, Notice

SEASON_STATES = ("open", "closing", "paper_only", "closed")
REMINDER_OFFSETS = (7, 3, 1, 0)  # days before a deadline's last day
REMINDER_TIME = dt.time(10, 0)  # in the notice's time zone


def last_day(due: dt.date | None, inclusive: bool) -> dt.date | None:
    """The last day on which a step can still be done: the due date itself (interpretation
    online_day_inclusive), or the day before it for a deadline written "…前" (interpretation
    paper_deadline_last_day). None for a deadline without a date (另行通知)."""
    if due is None:
        return None
    return due if inclusive else due - dt.timedelta(days=1)


@dataclass(frozen=True)
class DeadlineStatus:
    id: str
    title: str
    due: dt.date | None
    due_text: str
    inclusive: bool
    ref: str
    last_day: dt.date | None
    days_left: int | None  # days from today to the last day: 0 today, negative once passed
    note: str | None = None

    @property
    def state(self) -> str:
        if self.days_left is None:
            return "unscheduled"
        if self.days_left > 0:
            return "upcoming"
        return "today" if self.days_left == 0 else "passed"


def deadline_status(deadline: Deadline | DeadlineEntry, today: dt.date) -> DeadlineStatus:
    end = last_day(deadline.due, deadline.inclusive)
    return DeadlineStatus(
        id=deadline.id,
        title=deadline.title,
        due=deadline.due,
        due_text=deadline.due_text,
        inclusive=deadline.inclusive,
        ref=deadline.ref,
        last_day=end,
        days_left=(end - today).days if end is not None else None,
        note=deadline.note,
    )


@dataclass(frozen=True)
class SeasonState:
    notice_id: str
    name: str
    state: str  # one of SEASON_STATES
    submission: DeadlineStatus
    final: DeadlineStatus

    @property
    def accepting(self) -> bool:
        """Applications can still be filed online."""
        return self.state in ("open", "closing")

    @property
    def over(self) -> bool:
        return self.state == "closed"


def season_of(notice: Notice, today: dt.date) -> SeasonState | None:
    """The season of a notice on a day; None for a notice that does not define its season."""
    season = notice.season
    if season is None:
        return None
    submission_deadline = notice.deadline(season.submission)
    final_deadline = notice.deadline(season.final)
    assert submission_deadline is not None and final_deadline is not None  # checked at load
    submission = deadline_status(submission_deadline, today)
    final = deadline_status(final_deadline, today)
    assert submission.days_left is not None and final.days_left is not None
    if submission.days_left >= season.closing_days:
        state = "open"
    elif submission.days_left >= 0:
        state = "closing"
    elif final.days_left >= 0:
        state = "paper_only"
    else:
        state = "closed"
    return SeasonState(notice.id, season.name, state, submission, final)


def current_notice(notices: Iterable[Notice], today: dt.date) -> Notice | None:
    """The notice whose applications are open (the one closing soonest), else the latest one."""
    candidates = [n for n in notices if n.season is not None]
    accepting = [
        (s.submission.last_day, n)
        for n in candidates
        if (s := season_of(n, today)) is not None and s.accepting and s.submission.last_day
    ]
    if accepting:
        return min(accepting, key=lambda pair: pair[0])[1]
    return max(candidates, key=lambda n: n.info.date, default=None)


def offered_notice(notices: Iterable[Notice], configured: Notice, today: dt.date) -> Notice:
    """The notice a new interview follows: one whose applications are open (the one closing
    soonest), else the configured one (ZHICHENG_NOTICE)."""
    accepting = [
        (s.submission.last_day, n.id, n)
        for n in notices
        if (s := season_of(n, today)) is not None and s.accepting and s.submission.last_day
    ]
    return min(accepting, key=lambda t: (t[0], t[1]))[2] if accepting else configured


@dataclass(frozen=True)
class WorkingDayDateStatus:
    id: str
    title: str
    day: dt.date  # the latest start
    end: dt.date  # the last working day of the period
    working_days: int
    ref: str
    quote: str
    official: bool  # computed with the official holiday calendar
    days_left: int
    interpretation: str | None = None
    deadline_day: dt.date | None = None  # the last day of the deadline the period must end before

    @property
    def state(self) -> str:
        if self.days_left > 0:
            return "upcoming"
        return "today" if self.days_left == 0 else "passed"


def _facts(outcome: Outcome) -> dict[str, str]:
    return {a.id: a.answer_id for a in outcome.answers}


def working_day_dates(notice: Notice, outcome: Outcome | None, today: dt.date) -> list[WorkingDayDateStatus]:
    """The notice's working-day dates that concern this applicant (all of them without an outcome;
    none for an outcome without a checklist)."""
    if outcome is not None and not outcome.has_checklist:
        return []
    predicates = PredicateSet(notice)
    facts = _facts(outcome) if outcome is not None else None
    result = []
    for entry in notice.working_day_dates:
        if facts is not None and predicates.compile(entry.when)(facts) is not True:
            continue
        deadline = notice.deadline(entry.end_before)
        assert deadline is not None  # checked at load
        end = last_day(deadline.due, deadline.inclusive)
        assert end is not None  # checked at load: a working-day date ends before a dated deadline
        period = latest_start(entry.working_days, end)
        result.append(
            WorkingDayDateStatus(
                id=entry.id,
                title=entry.title,
                day=period.start,
                end=period.end,
                working_days=entry.working_days,
                ref=entry.ref,
                quote=entry.quote,
                official=period.official,
                days_left=(period.start - today).days,
                interpretation=entry.interpretation,
                deadline_day=end,
            )
        )
    return result


@dataclass(frozen=True)
class Reminder:
    deadline_id: str
    days_before: int
    last_day: dt.date
    send_at: dt.datetime  # aware, UTC


def reminder_schedule(
    notice: Notice,
    outcome: Outcome,
    *,
    offsets: Sequence[int] = REMINDER_OFFSETS,
    at: dt.time = REMINDER_TIME,
) -> list[Reminder]:
    """The reminders an applicant is due: `offsets` days before the last day of each dated deadline
    of their outcome, at `at` in the notice's time zone. None for an outcome without a checklist."""
    if not outcome.has_checklist:
        return []
    return _schedule(notice, outcome.deadlines, offsets, at)


def notice_schedule(
    notice: Notice, *, offsets: Sequence[int] = REMINDER_OFFSETS, at: dt.time = REMINDER_TIME
) -> list[Reminder]:
    """Every reminder slot of the notice: the schedule of all its dated deadlines."""
    return _schedule(notice, notice.deadlines, offsets, at)


def _schedule(
    notice: Notice, deadlines: Iterable[Deadline | DeadlineEntry], offsets: Sequence[int], at: dt.time
) -> list[Reminder]:
    zone = ZoneInfo(notice.info.timezone)
    reminders = []
    for deadline in deadlines:
        end = last_day(deadline.due, deadline.inclusive)
        if end is None:
            continue
        for offset in sorted(set(offsets), reverse=True):
            moment = dt.datetime.combine(end - dt.timedelta(days=offset), at, zone)
            reminders.append(Reminder(deadline.id, offset, end, moment.astimezone(dt.UTC)))
    return sorted(reminders, key=lambda r: (r.send_at, r.deadline_id))
