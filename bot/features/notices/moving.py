"""An applicant moving to the new notice: the answers that carry over
(conversations.carry_over), the ticks that carry over, and the changes that concern them, worded.

A tick carries over when its item keeps its id and the applicant's checklist shows it as before
(the same title, details and copies): a tick of 《评审表》一式二份 does not stand for 一式三份."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.features.notices.wording import Line, for_applicant, seen_item
from conversations.carry_over import CarryOver, carry_over
from knowledge.model import Notice
from knowledge.notice_diff import NoticeDiff, diff_notices


@lru_cache(maxsize=16)
def diff_of(old: Notice, new: Notice) -> NoticeDiff:
    """The diff of two loaded notices, worked out once (a loaded notice is a value: identity hash)."""
    return diff_notices(old, new)


@dataclass(frozen=True)
class Move:
    carried: CarryOver
    ticks: frozenset[str]  # the ticks that carry over
    ticks_dropped: int  # ticks of items on the old checklist that do not
    lines: tuple[Line, ...]  # the changes that concern the applicant, as they see them

    @property
    def complete(self) -> bool:
        return self.carried.complete


def kept_ticks(
    old: Notice, new: Notice, old_answers: Mapping[str, str], carried: CarryOver, ticks: Collection[str]
) -> frozenset[str]:
    kept = set()
    for item_id in ticks:
        before = next((i for i in old.items if i.id == item_id), None)
        after = next((i for i in new.items if i.id == item_id), None)
        if before is None or after is None:
            continue
        seen_before = seen_item(old, before, old_answers, carried.old_outcome)
        seen_after = seen_item(new, after, carried.answers, carried.new_outcome)
        if seen_before is not None and seen_before == seen_after:
            kept.add(item_id)
    return frozenset(kept)


def plan(old: Notice, new: Notice, answers: Mapping[str, str], ticks: Collection[str], locale: str) -> Move:
    """What moving to `new` means for an applicant with these answers and ticks under `old`."""
    carried = carry_over(old, new, answers, diff_of(old, new))
    kept = kept_ticks(old, new, answers, carried, ticks)
    on_checklist = {i.id for i in carried.old_outcome.checklist} if carried.old_outcome is not None else set(ticks)
    lines = tuple(
        line
        for change in carried.changes
        if (line := for_applicant(change, old, new, locale, answers, carried)) is not None
    )
    return Move(carried, kept, len((set(ticks) & on_checklist) - kept), lines)
