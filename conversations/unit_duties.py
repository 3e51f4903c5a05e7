"""The recommending unit's own duties (单位人事/职改部门) for one applicant or a case: the knowledge
file's `unit_duties` that hold for the applicant's answers, each with its clause, and with what
follows from the applicant's outcome (the latest day the publicity can start, counted in working
days; the paper materials of the applicant's level with their copies; the deadline that closes a
duty). Pure: the caller passes the outcome and today's date.

Also the publicity period written into 《公示结果》（附件1）: its first and last day and its length
in working days (conversations.workdays), checked against the notice's minimum.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from conversations.outcome import ChecklistItem, Outcome
from conversations.predicates import PredicateSet
from conversations.season import DeadlineStatus, WorkingDayDateStatus, deadline_status, working_day_dates
from conversations.workdays import is_working_day, working_days_between
from knowledge.model import Interpretation, Notice

PUBLICITY_DATE = "publicity_latest_start"  # the working-day date of the unit's publicity
_COPIES = re.compile(r"(一式[一二三四五六七八九十]份|[0-9]+份|[一二三四五六七八九十]份)$")


@dataclass(frozen=True)
class DutyEntry:
    id: str
    title: str
    text: str
    ref: str
    quote: str
    see_also: tuple[str, ...] = ()
    wording: str | None = None
    unclear: bool = False
    interpretations: tuple[Interpretation, ...] = ()
    date: WorkingDayDateStatus | None = None  # for example the latest start of the publicity
    paper: tuple[ChecklistItem, ...] = ()  # the applicant's paper materials, with copies
    deadline: DeadlineStatus | None = None

    @property
    def refs(self) -> tuple[str, ...]:
        return (self.ref, *self.see_also)


@dataclass(frozen=True)
class UnitDuties:
    applies: bool  # False: the applicant is turned away or not covered, so there is nothing to recommend
    duties: tuple[DutyEntry, ...]

    @property
    def unclear(self) -> bool:
        return any(d.unclear for d in self.duties)

    def duty(self, duty_id: str) -> DutyEntry | None:
        return next((d for d in self.duties if d.id == duty_id), None)


def _facts(outcome: Outcome) -> dict[str, str]:
    return {a.id: a.answer_id for a in outcome.answers}


def unit_duties(notice: Notice, outcome: Outcome, today: dt.date) -> UnitDuties:
    """The unit's duties for an applicant with this outcome, in the order of the knowledge file."""
    if not outcome.has_checklist:
        return UnitDuties(False, ())
    facts = _facts(outcome)
    predicates = PredicateSet(notice)
    dates = {d.id: d for d in working_day_dates(notice, outcome, today)}
    result = []
    for duty in notice.unit_duties:
        if predicates.compile(duty.when)(facts) is not True:
            continue
        deadline = notice.deadline(duty.deadline) if duty.deadline else None
        result.append(
            DutyEntry(
                id=duty.id,
                title=duty.title,
                text=duty.text,
                ref=duty.ref,
                quote=duty.quote,
                see_also=duty.see_also,
                wording=duty.wording,
                unclear=duty.unclear,
                interpretations=tuple(x for x in map(notice.interpretation, duty.interpretations) if x is not None),
                date=dates.get(duty.working_day_date) if duty.working_day_date else None,
                paper=tuple(it for it in outcome.checklist if it.stage == duty.paper_stage and it.copies is not None)
                if duty.paper_stage
                else (),
                deadline=deadline_status(deadline, today) if deadline is not None else None,
            )
        )
    return UnitDuties(True, tuple(result))


def paper_totals(outcomes: Iterable[Outcome]) -> list[tuple[str, int]]:
    """The paper materials a unit sends for several applicants: (title, copies in all), in the
    order of the first applicant's list. An item without a number of copies counts once."""
    totals: Counter[str] = Counter()
    order: list[str] = []
    chosen = [o for o in outcomes if o.has_checklist]
    for outcome in chosen:
        for item in outcome.checklist:
            if item.stage != "paper" or item.copies is None:
                continue
            key = item.id
            if key not in totals:
                order.append(key)
            totals[key] += item.copies
    titles = {it.id: _COPIES.sub("", it.title) for o in chosen for it in o.checklist}
    return [(titles[key], totals[key]) for key in order]


# --- the publicity period of 附件1 ---


class PublicityError(ValueError):
    """A publicity period that cannot be written into 附件1 (too short, ends before it starts)."""


@dataclass(frozen=True)
class PublicityPeriod:
    start: dt.date
    end: dt.date
    working_days: int
    minimum: int
    latest_start: dt.date | None  # the latest start that still meets the online deadline
    latest_end: dt.date | None

    @property
    def late(self) -> bool:
        """The period ends after the last working day before the online deadline (interpretation
        publicity_latest_start)."""
        return self.latest_end is not None and self.end > self.latest_end


def publicity_minimum(notice: Notice) -> tuple[int, WorkingDayDateStatus | None]:
    """The minimum number of working days and the notice's latest-start date, if it has one."""
    entry = next((d for d in notice.working_day_dates if d.id == PUBLICITY_DATE), None)
    if entry is None:
        return 5, None
    status = next((d for d in working_day_dates(notice, None, dt.date.min) if d.id == PUBLICITY_DATE), None)
    return entry.working_days, status


def publicity_period(notice: Notice, start: dt.date, end: dt.date | None = None) -> PublicityPeriod:
    """The period from `start` to `end` (default: the day on which the minimum number of working
    days is reached, the start counted if it is a working day). Raises PublicityError if it is
    shorter than the notice's minimum or ends before it starts."""
    minimum, latest = publicity_minimum(notice)
    if end is None:
        end = start
        counted = 1 if is_working_day(start) else 0
        while counted < minimum:
            end += dt.timedelta(days=1)
            counted += is_working_day(end)
    if end < start:
        raise PublicityError("ends before it starts")
    days = working_days_between(start, end)
    if days < minimum:
        raise PublicityError(f"{days} working days, fewer than {minimum}")
    return PublicityPeriod(start, end, days, minimum, latest.day if latest else None, latest.end if latest else None)
