"""A next year's notice that changes only numbers and dates, derived from a notice's text.

Every date moves one year on and five days earlier (2021年10月20日 -> 2022年10月15日), every year
moves one year on (2016-2020年度 -> 2017-2021年度, 〔2021〕 -> 〔2022〕, 2019年修订 -> 2020年修订),
and every count the notice states changes: copies (一式二份 -> 一式三份, 1份 -> 2份), times
(3次 -> 4次), working days, years of a period (近3年, 三年内, 五年内, 一年以上), words (2000-3000字),
document numbers (121号) and phone numbers. Clause numbers (1. 2. …, 附件1) and Chinese numerals
inside words (统一, 第一书记, 一票否决, 高一级) stay as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from knowledge.numerals import Token, render_like, tokens

COUNT_UNITS = ("份", "次", "个工", "年", "字", "号")


@dataclass(frozen=True)
class ChangedNumber:
    start: int  # in the old text
    end: int
    old: str
    new: str
    token: Token


def _new_value(text: str, t: Token) -> float | dt.date | None:
    if t.kind == "date" and isinstance(t.value, dt.date):
        moved = t.value.replace(year=t.value.year + 1) - dt.timedelta(days=5)
        return moved
    if t.kind == "year":
        return t.as_int() + 1
    before = text[max(0, t.start - 2) : t.start]
    line_start = text.rfind("\n", 0, t.start) + 1
    if before.endswith("附件") or (text[line_start : t.start].strip() == "" and text[t.end : t.end + 1] in ".．"):
        return None  # 附件1, or the number of a clause
    if t.text[0].isdigit() and not t.unit and len(t.text) >= 7:
        return t.as_int() + 1  # a phone number
    if t.unit.startswith(COUNT_UNITS):
        if not t.text[0].isdigit() and t.unit == "号":
            return None
        return t.as_int() + (1000 if t.as_int() >= 1000 else 1)
    return None


def numbers_only(text: str) -> tuple[str, list[ChangedNumber]]:
    """The text with its numbers and dates changed, and each change."""
    changes = []
    for t in tokens(text):
        value = _new_value(text, t)
        if value is None:
            continue
        new = render_like(t, value)
        if new != t.text:
            changes.append(ChangedNumber(t.start, t.end, t.text, new, t))
    out = text
    for c in reversed(changes):
        out = out[: c.start] + c.new + out[c.end :]
    return out, changes
