"""An applicant's deadlines as an iCalendar (.ics) file, with alarms, for phone calendars.

Each dated deadline is an all-day event on its last day; the working-day dates that concern the
applicant (the latest start of the unit's publicity) are events too. Alarms ring 7, 3 and 1 days
before and on the day, at 10:00 in the notice's time zone, like the bot's reminders.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from conversations.i18n import format_day
from conversations.outcome import Outcome
from conversations.season import REMINDER_OFFSETS, REMINDER_TIME, last_day, working_day_dates
from knowledge.model import Notice

if TYPE_CHECKING:
    import icalendar

PRODUCT_ID = "-//zhicheng-bot//职称申报助手//ZH"


def _alarms(title: str, offsets: tuple[int, ...], at: dt.time) -> list[icalendar.Alarm]:
    import icalendar

    alarms = []
    for days in offsets:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        # All-day events start at 00:00 local time: 10:00 seven days before is -P6DT14H.
        alarm.add("trigger", dt.timedelta(days=-days, hours=at.hour, minutes=at.minute))
        alarms.append(alarm)
    return alarms


def _event(uid: str, day: dt.date, summary: str, description: str, stamp: dt.datetime) -> icalendar.Event:
    import icalendar

    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")
    return event


def deadlines_ics(
    notice: Notice,
    outcome: Outcome,
    *,
    now: dt.datetime,
    offsets: tuple[int, ...] = REMINDER_OFFSETS,
    at: dt.time = REMINDER_TIME,
) -> bytes:
    """The .ics file of the outcome's dated deadlines and working-day dates."""
    import icalendar  # loaded with the first .ics, not at the bot's start

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{notice.info.number} 申报期限")
    calendar.add("x-wr-timezone", notice.info.timezone)
    stamp = now.astimezone(dt.UTC)
    source = f"{notice.info.number}（{format_day(notice.info.date, 'zh_Hans')}）"
    for deadline in outcome.deadlines:
        end = last_day(deadline.due, deadline.inclusive)
        if end is None:
            continue
        summary = f"{deadline.title}：{deadline.due_text}"
        description = f"{deadline.note or ''}（依据：{source}，{deadline.ref}）"
        event = _event(f"{notice.id}-{deadline.id}@zhicheng-bot", end, summary, description, stamp)
        for alarm in _alarms(summary, offsets, at):
            event.add_component(alarm)
        calendar.add_component(event)
    today = now.astimezone(dt.UTC).date()
    for entry in working_day_dates(notice, outcome, today):
        summary = f"{entry.title}（{entry.working_days}个工作日）"
        description = (
            f"最迟于当日开始，{entry.working_days}个工作日至{format_day(entry.end, 'zh_Hans')}止。"
            f"通知原文：“{entry.quote}”（依据：{source}，{entry.ref}）"
        )
        event = _event(f"{notice.id}-{entry.id}@zhicheng-bot", entry.day, summary, description, stamp)
        for alarm in _alarms(summary, offsets, at):
            event.add_component(alarm)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
