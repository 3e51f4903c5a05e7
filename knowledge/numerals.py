"""Numbers and dates as a notice writes them: Arabic or Chinese numerals (一式二份, 近3年, 5个工作日,
2016-2020年度) and dates in several forms (2021年10月20日, 2021-10-20, 2021.10.20, 二〇二一年九月十三日).

Used by the drafting of a next notice: a quote's numbers are found, compared and rewritten in the
style in which each text writes them. Works on normalized text (knowledge.textmatch.normalize:
full-width digits and dashes already folded).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN = "〇零一二两三四五六七八九十百千"
CN_CHARS = frozenset(_CN)
NUMBER_PATTERN = rf"(?:\d+(?:\.\d+)?|[{_CN}]+)"
_CN_DAY = "[一二三四五六七八九十]{1,3}"
_WEEKDAY = r"(?:[(（](?:星期|周)[一二三四五六日天][)）])"
WEEKDAYS = "一二三四五六日"
DATE_PATTERN = (
    rf"(?:(?:\d{{4}}年\d{{1,2}}月\d{{1,2}}日|\d{{4}}[-./]\d{{1,2}}[-./]\d{{1,2}}(?![\d.])"
    rf"|[〇零一二三四五六七八九]{{4}}年{_CN_DAY}月{_CN_DAY}日){_WEEKDAY}?)"
)
_DATE = re.compile(DATE_PATTERN)
_NUMBER = re.compile(NUMBER_PATTERN)
_DATE_PARTS = re.compile(r"(\d{4}|[〇零一二三四五六七八九]{4})(年|[-./])(\S{1,3}?)(?:月|[-./])(\S{1,3}?)日?$")
YEARS = range(1990, 2101)
DOCUMENT_YEAR = "〕"  # the unit of a year inside a document number (新人社发〔2020〕25号): a name, not a period


def cn_to_int(text: str) -> int | None:
    """二 -> 2, 十二 -> 12, 二十 -> 20, 一百零五 -> 105, 二〇二一 -> 2021 (digit by digit); None if not a numeral."""
    if not text or any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in text):
        return None
    if not any(ch in CN_UNITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + CN_DIGITS[ch]
        return value
    total, digit = 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def int_to_cn(value: int) -> str:
    """2 -> 二, 12 -> 十二, 20 -> 二十, 105 -> 一百零五 (counts as notices write them, below 10,000)."""
    digits = "零一二三四五六七八九"
    if value < 10:
        return digits[value]
    if value < 20:
        return "十" + (digits[value % 10] if value % 10 else "")
    out = ""
    zero = False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, value = divmod(value, unit)
        if d:
            if zero and out:
                out += "零"
            out += digits[d] + name
            zero = False
        elif out:
            zero = True
    return out


def number_value(text: str) -> float | None:
    if text and text[0].isdigit():
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return None
    return cn_to_int(text)


def render_number(value: float, like: str) -> str:
    """The value written the way `like` is written (Arabic or Chinese, 两 kept for 2)."""
    if like and not like[0].isdigit() and float(value).is_integer():
        if value == 2 and like == "两":
            return "两"
        if len(like) == 4 and int(value) in YEARS:  # 二〇二一
            return "".join("〇一二三四五六七八九"[int(d)] for d in str(int(value)))
        return int_to_cn(int(value))
    if float(value).is_integer():
        return str(int(value))
    return str(value)


def parse_date(text: str) -> dt.date | None:
    m = _DATE_PARTS.match(re.sub(_WEEKDAY + "$", "", text))
    if not m:
        return None
    year, month, day = (number_value(part) for part in (m.group(1), m.group(3), m.group(4)))
    try:
        return dt.date(int(year or 0), int(month or 0), int(day or 0))
    except (ValueError, TypeError):
        return None


def render_date(value: dt.date, like: str) -> str:
    """The date written in the form of `like` (年月日, ISO, dotted, slashed, or Chinese numerals, with
    its weekday if it names one: 2022年10月14日（星期五）)."""
    weekday = re.search(_WEEKDAY + "$", like)
    if weekday:
        day = weekday.group()
        name = WEEKDAYS[value.weekday()]
        name = "天" if name == "日" and day[-2] == "天" else name
        return render_date(value, like[: weekday.start()]) + day[:-2] + name + day[-1]
    if like and not like[0].isdigit():
        year = "".join("〇一二三四五六七八九"[int(d)] for d in str(value.year))
        return f"{year}年{int_to_cn(value.month)}月{int_to_cn(value.day)}日"
    for sep in "-./":
        if sep in like and "年" not in like:
            padded = re.fullmatch(r"\d{4}[-./]\d\d[-./]\d\d", like) is not None  # 2021.09.13, 2021.10.20
            month, day = (f"{value.month:02d}", f"{value.day:02d}") if padded else (str(value.month), str(value.day))
            return f"{value.year}{sep}{month}{sep}{day}"
    return f"{value.year}年{value.month}月{value.day}日"


@dataclass(frozen=True)
class Token:
    """A number or date in a text: where it is, what it says, and the unit written after it."""

    start: int
    end: int
    text: str
    kind: str  # "date", "year" or "count"
    value: float | dt.date
    unit: str = ""  # the characters after a count: 份, 个工, 次, 年 … ("" for none)

    def as_int(self) -> int:
        """The number as a whole number (a date has none: 0)."""
        return 0 if isinstance(self.value, dt.date) else int(self.value)

    @property
    def key(self) -> tuple[str, object]:
        """What the token stands for, independent of how it is written: its date, its year, or
        its count with the unit (5 个工作日 and 五个工作日 are the same)."""
        return (self.kind, self.value if self.kind != "count" else (self.value, self.unit))


def unit_after(text: str, end: int) -> str:
    nxt = text[end : end + 1]
    if not nxt or not ("\u4e00" <= nxt <= "\u9fff" or nxt in ".%"):
        return ""
    return text[end : end + 2] if nxt == "个" else nxt


def tokens(text: str) -> list[Token]:
    """The dates, years and counts of a (normalized) text, in order. A Chinese numeral inside a
    word (统一, 逐一) is a count too: it only matters if it changes."""
    found: list[Token] = []
    taken = [False] * len(text)
    for m in _DATE.finditer(text):
        day = parse_date(m.group())
        if day is not None:
            found.append(Token(m.start(), m.end(), m.group(), "date", day))
            for i in range(m.start(), m.end()):
                taken[i] = True
    for m in _NUMBER.finditer(text):
        if taken[m.start()]:
            continue
        value = number_value(m.group())
        if value is None:
            continue
        is_year = _is_year(text, m, value)
        kind = "year" if is_year else "count"
        unit = (DOCUMENT_YEAR if text[m.end() : m.end() + 1] == "〕" else "") if is_year else unit_after(text, m.end())
        found.append(Token(m.start(), m.end(), m.group(), kind, int(value) if is_year else value, unit))
    found.sort(key=lambda t: t.start)
    for i in range(len(found) - 2, -1, -1):  # 2000-3000字: both ends of a range count in the same unit
        first, second = found[i], found[i + 1]
        if first.kind == second.kind == "count" and text[first.end : second.start] == "-" and not first.unit:
            found[i] = Token(first.start, first.end, first.text, "count", first.value, second.unit)
    return found


_RANGE_TAIL = re.compile(r"-(?:\d{4}|[〇零一二三四五六七八九]{4})")


def _is_year(text: str, m: re.Match[str], value: float) -> bool:
    """A four-digit number in 1990-2100 written as a year: followed by 年 (also after a range,
    2016-2020年度), inside 〔〕 of a document number, or standing alone; 2000-3000字 is a count."""
    if len(m.group()) != 4 or not float(value).is_integer() or int(value) not in YEARS:
        return False
    if not (m.group()[0].isdigit() or all(ch in CN_DIGITS for ch in m.group())):
        return False
    end = m.end()
    tail = _RANGE_TAIL.match(text, end)
    if tail:
        end = tail.end()
    nxt = text[end : end + 1]
    return nxt in ("年", "〕", "") or not ("\u4e00" <= nxt <= "\u9fff")


def render_like(token: Token, value: float | dt.date) -> str:
    """`value` written in the style of `token`."""
    if isinstance(value, dt.date):
        return render_date(value, token.text)
    return render_number(value, token.text)
