"""The entries of a knowledge file as drafting walks them: which fields quote the notice, which are
free text, and how a field is named in a report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from knowledge.loader import REVIEW_KEY, REVIEWABLE_MAPPINGS, REVIEWABLE_SECTIONS, mapping_at

# Keys whose values are ids, references, expressions or flags: never rewritten as text.
STRUCTURAL_KEYS = frozenset(
    {
        "id",
        "ref",
        "see_also",
        "stage",
        "deadline",
        "when",
        "ask_if",
        "exempt_when",
        "exempt_ref",
        "points_to",
        "interpretations",
        "interpretation",
        "paper_stage",
        "working_day_date",
        "end_before",
        "settled",
        "inclusive",
        "ends_interview",
        "bar",
        "retry",
        "verdict",
        "level_words",
        "carry_over",
        "timezone",
        "text_file",
        "submission",
        "final",
        "closing_days",
        "due",
        "date",
        "lexicon_file",
        REVIEW_KEY,
    }
)
# Fields that hold a number the notice states, and the units it is written with.
NUMBER_FIELDS = {"copies": ("份",), "working_days": ("个工", "天", "日")}
FieldPath = tuple[str | int, ...]


@dataclass
class Entry:
    name: str  # items.awards, contacts, notice
    path: FieldPath  # where it sits in the file
    data: dict[str, Any]


def entries(data: dict[str, Any]) -> Iterator[Entry]:
    for key in REVIEWABLE_MAPPINGS:
        found = mapping_at(data, key)
        if isinstance(found, dict):
            yield Entry(key, tuple(key.split(".")), found)
    for section in REVIEWABLE_SECTIONS:
        for i, entry in enumerate(data.get(section, [])):
            yield Entry(f"{section}.{entry['id']}", (section, i), entry)


def quote_fields(section: str, entry: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """The fields of an entry that the loader checks against the notice's words."""
    out: list[tuple[FieldPath, str]] = []
    if section == "contacts":
        return out  # read by its labels (_Drafter._contacts)
    for key in ("quote", "wording"):
        if isinstance(entry.get(key), str):
            out.append(((key,), entry[key]))
    if section == "attachments":
        for key in ("paragraphs", "heading"):
            out += [((key, i), text) for i, text in enumerate(entry.get(key, []))]
    for j, variant in enumerate(entry.get("variants", [])):
        out.append((("variants", j, "quote"), variant["quote"]))
    return out


def text_fields(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every free text of an entry (titles, details, reasons, labels, phrasings …)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from text_fields(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in STRUCTURAL_KEYS and key not in ("quote", "wording", "paragraphs", "heading"):
                yield from text_fields(item, (*path, key))


def get_at(data: Any, path: FieldPath) -> Any:
    for step in path:
        data = data[step]
    return data


def set_at(data: Any, path: FieldPath, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def field_name(path: FieldPath) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (("." if out else "") + step)
    return out


def cited_refs(data: dict[str, Any]) -> set[str]:
    cited = {data["contacts"]["ref"]}
    for section in REVIEWABLE_SECTIONS:
        for entry in data.get(section, []):
            for key in ("ref", "exempt_ref"):
                if isinstance(entry.get(key), str):
                    cited.add(entry[key])
            cited.update(entry.get("see_also", []))
            cited.update(v["ref"] for v in entry.get("variants", []) if "ref" in v)
    return cited
