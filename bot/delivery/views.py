"""What delivery shows but does not word: the views the features register for it (reminders,
the HR reminder, a broadcast's progress and its report). Delivery imports no feature; the
application hands the sender the views the features registered (Registry.delivery_view)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from bot.chat.actions import Keyboard, Send
from conversations.outcome import Outcome
from conversations.season import WorkingDayDateStatus
from knowledge.model import Notice

if TYPE_CHECKING:
    from bot.delivery.broadcasts import Broadcast, Tally

# An applicant's reminder: (notice, outcome, deadline id, today, ticked item ids, locale) -> messages.
ReminderView = Callable[[Notice, Outcome, str, dt.date, Collection[str], str | None], Sequence[Send]]
# An HR officer's reminder: (notice, the publicity date, unit id, unit name, applicants linked,
# applicants needing the publicity, locale) -> the message.
UnitReminderView = Callable[[Notice, WorkingDayDateStatus, int, str, int, int, str | None], Send]
# A broadcast's progress message for its author: (locale, time zone, broadcast, tally) -> (text, keyboard).
ProgressView = Callable[[str, str, "Broadcast", "Tally"], tuple[str, Keyboard | None]]
# The report a broadcast's author gets at its end: (locale, broadcast, tally) -> text.
ReportView = Callable[[str, "Broadcast", "Tally"], str]


@dataclass(frozen=True)
class DeliveryViews:
    reminder: ReminderView
    unit_reminder: UnitReminderView
    progress: ProgressView
    report: ReportView

    @classmethod
    def of(cls, registered: Mapping[str, Callable[..., Any]]) -> DeliveryViews:
        """The views from what the features registered; every one must be there."""
        missing = [f.name for f in fields(cls) if f.name not in registered]
        if missing:
            raise ValueError(f"no feature registered the delivery views {', '.join(missing)}")
        return cls(**{f.name: registered[f.name] for f in fields(cls)})
