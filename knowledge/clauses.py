"""The notice's text cut into its clauses, keyed like the knowledge file's refs (一, 二（三）, 五（一）8,
联系方式, 附件1). A parent's text includes its children. Used to search the notice's own words."""

from __future__ import annotations

import re
from functools import cache

from knowledge.model import Notice

_SECTION = re.compile(r"^[ \t\u3000]*([一二三四五六七八九十])、", re.M)
_PARAGRAPH = re.compile(r"^[ \t\u3000]*[（(]([一二三四五六七八九十])[）)]", re.M)  # （一） or (一)
_POINT = re.compile(r"^[ \t\u3000]*(\d+)[.．、]", re.M)  # 1. or 1、
_ANNEX = re.compile(r"^附件(\d)[：:]", re.M)
_CONTACTS_START = "联系人："
_CONTACTS_END = "附件："


def split_clauses(text: str) -> dict[str, str]:
    """Clause ref -> its words. Clauses the text does not lay out this way are simply absent."""
    return {ref: text[start:end] for ref, (start, end) in clause_spans(text).items()}


def clause_spans(text: str) -> dict[str, tuple[int, int]]:
    """Clause ref -> (start, end) of its words in the text, parents before their children."""
    spans: dict[str, tuple[int, int]] = {}
    start = text.find(_CONTACTS_START)
    body_end = len(text) if start < 0 else start
    if start >= 0:
        end = text.find(_CONTACTS_END, start)
        spans["联系方式"] = (start, end if end >= 0 else len(text))
    sections = list(_SECTION.finditer(text, 0, body_end))
    for i, sec in enumerate(sections):
        sec_end = sections[i + 1].start() if i + 1 < len(sections) else body_end
        spans[sec.group(1)] = (sec.start(), sec_end)
        paragraphs = list(_PARAGRAPH.finditer(text, sec.start(), sec_end))
        for j, par in enumerate(paragraphs):
            par_end = paragraphs[j + 1].start() if j + 1 < len(paragraphs) else sec_end
            par_ref = f"{sec.group(1)}（{par.group(1)}）"
            spans[par_ref] = (par.start(), par_end)
            points = list(_POINT.finditer(text, par.start(), par_end))
            for k, point in enumerate(points):
                end = points[k + 1].start() if k + 1 < len(points) else par_end
                spans[f"{par_ref}{point.group(1)}"] = (point.start(), end)
    annexes = list(_ANNEX.finditer(text))
    for i, annex in enumerate(annexes):
        end = annexes[i + 1].start() if i + 1 < len(annexes) else len(text)
        spans[f"附件{annex.group(1)}"] = (annex.start(), end)
    return spans


@cache
def clause_texts(notice: Notice) -> dict[str, str]:
    """The words of each clause the knowledge file lists (whitespace runs collapsed)."""
    found = split_clauses(notice.text)
    return {c.ref: " ".join(found[c.ref].split()) for c in notice.clauses if c.ref in found}
