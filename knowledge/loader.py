"""Load a notice file, validate it against the schema and its own cross-references."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

from knowledge.entries import entry_name
from knowledge.lexicon import LexiconError, load_lexicon
from knowledge.model import (
    CONTACTS_TARGET,
    TARGET_SECTIONS,
    Attachment,
    Cited,
    Clause,
    Contacts,
    Deadline,
    Interpretation,
    Item,
    Level,
    Lexicon,
    Note,
    Notice,
    NoticeInfo,
    Option,
    Question,
    Recognition,
    RecognizedDocument,
    Review,
    Rule,
    Season,
    Stage,
    Topic,
    UnitDuty,
    UploadRules,
    Variant,
    WorkingDayDate,
    parse_expr,
)

PACKAGE_DIR = Path(__file__).resolve().parent
NOTICES_DIR = PACKAGE_DIR / "notices"
SCHEMA_FILE = PACKAGE_DIR / "notice.schema.json"
DEFAULT_NOTICE_ID = "2021-xinjiang-nonferrous"
LEVEL_QUESTION = "level"
PLACEHOLDERS = frozenset({"level"})
_WHITESPACE = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Where a draft (knowledge.drafting) may mark an entry `review: <reason>` for a person to settle.
REVIEWABLE_MAPPINGS = ("notice", "contacts", "season", "uploads.format", "uploads.upright", "uploads.legible")
REVIEWABLE_SECTIONS = (
    "deadlines",
    "working_day_dates",
    "interpretations",
    "questions",
    "rules",
    "notes",
    "items",
    "attachments",
    "unit_duties",
    "topics",
)
REVIEW_KEY = "review"
# Years and bounds as a quote writes them: 2016-2020年度, 2018年-2020年, 2021年度; 2000-3000字.
_YEAR_RANGE = re.compile(r"((?:19|20)\d\d)\s*年?\s*[-–—~至到]\s*((?:19|20)\d\d)\s*年")
_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
_CHARACTER_BOUNDS = re.compile(r"(\d+)\s*[-–—~至到]\s*(\d+)\s*字")


class KnowledgeError(Exception):
    """A notice file that cannot be used. Names the file, the entry and the problem."""

    def __init__(self, file: Path | str, entry: str, problem: str) -> None:
        self.file = str(file)
        self.entry = entry
        self.problem = problem
        super().__init__(f"{self.file}: {entry}: {problem}")


# A predicate expression as the file writes it (parsed into knowledge.model's types at build).
RawExpr = str | dict[str, Any]

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it


class _StringDateLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader that leaves dates as strings, so the JSON Schema sees what was written."""


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def quoted_years(quote: str) -> tuple[int, ...]:
    """The years a quote asks for: every year of a range (2016-2020年度), else each year named."""
    ranges = _YEAR_RANGE.findall(quote)
    if ranges:
        return tuple(sorted({y for a, b in ranges for y in range(int(a), int(b) + 1)}))
    return tuple(sorted({int(y) for y in _YEAR.findall(quote)}))


def quoted_character_bounds(quote: str) -> tuple[int, int] | None:
    """The least and most 字数 a quote names (字数2000-3000字), or None."""
    found = _CHARACTER_BOUNDS.search(quote)
    if found is None:
        return None
    low, high = int(found.group(1)), int(found.group(2))
    return (low, high) if low <= high else None


def squash(text: str) -> str:
    """The text with all whitespace removed: quotes are compared this way."""
    return _WHITESPACE.sub("", text)


def notice_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def _schema_validator() -> jsonschema.protocols.Validator:
    # The schema itself is checked against its metaschema by the tests, not at every start.
    schema = notice_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def mapping_at(data: Any, dotted: str) -> Any:
    """The mapping a dotted name leads to (uploads.format), or None."""
    for key in dotted.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def take_reviews(path: Path, data: dict[str, Any]) -> list[Review]:
    """Remove the review marks of a draft from its data, and return them (named as the checks name
    the entries). A mark is not part of the schema: a notice with marks is a draft, not a notice."""
    reviews: list[Review] = []

    def take(entry: Any, name: str) -> None:
        if isinstance(entry, dict) and REVIEW_KEY in entry:
            reason = entry.pop(REVIEW_KEY)
            if not isinstance(reason, str) or not reason.strip():
                raise KnowledgeError(path, f"{name}.{REVIEW_KEY}", "must say, in words, what a person must check")
            reviews.append(Review(name, reason.strip()))

    for key in REVIEWABLE_MAPPINGS:
        take(mapping_at(data, key), key)
    for section in REVIEWABLE_SECTIONS:
        entries = data.get(section)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            ident = entry.get("id") if isinstance(entry, dict) else None
            take(entry, f"{section}[{i}]" + (f" (id={ident})" if isinstance(ident, str) else ""))
    return reviews


def read_data(path: Path, reviews: list[Review] | None = None) -> dict[str, Any]:
    """Parse the YAML file and check it against the JSON Schema. With `reviews`, a draft's review
    marks are taken out (and collected there) first; without, a marked entry fails the schema."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(path, "(file)", f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeError(path, "(file)", "is not UTF-8 text") from exc
    try:
        data = yaml.load(raw, Loader=_StringDateLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeError(path, where, f"is not valid YAML: {problem}") from exc
    except Exception as exc:  # PyYAML's constructors raise IndexError, KeyError … on malformed tagged scalars
        raise KnowledgeError(path, "(file)", f"is not valid YAML: a malformed value ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise KnowledgeError(path, "(top level)", "must be a mapping of sections")
    if reviews is not None:
        reviews.extend(take_reviews(path, data))
    err = jsonschema.exceptions.best_match(_schema_validator().iter_errors(data))
    if err is not None:
        raise KnowledgeError(path, entry_name(data, err.absolute_path), err.message)
    return data


def _expr_refs(expr: RawExpr) -> Iterator[tuple[str, Any]]:
    """Yield ('name', n) and ('answer', (question, option)) references inside an expression."""
    if isinstance(expr, str):
        if expr != "always":
            yield "name", expr
        return
    if "answer" in expr:
        for option in expr["in"]:
            yield "answer", (expr["answer"], option)
    elif "all" in expr or "any" in expr:
        for sub in expr.get("all") or expr.get("any") or []:
            yield from _expr_refs(sub)
    elif "not" in expr:
        yield from _expr_refs(expr["not"])


class _Checker:
    """Cross-reference checks the JSON Schema cannot express."""

    def __init__(self, path: Path, data: dict[str, Any], text: str, reviewed: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.reviewed = reviewed  # entries marked for review: their quotes are the old notice's
        self.data = data
        self.squashed_text = squash(text)
        self.refs = {c["ref"] for c in data["clauses"]}
        self.options = {q["id"]: {o["id"] for o in q["options"]} for q in data["questions"]}

    def fail(self, entry: str, problem: str) -> KnowledgeError:
        return KnowledgeError(self.path, entry, problem)

    def run(self) -> None:
        d = self.data
        for section in (
            "clauses",
            "levels",
            "stages",
            "deadlines",
            "questions",
            "rules",
            "notes",
            "items",
            "attachments",
            "interpretations",
            "working_day_dates",
            "unit_duties",
        ):
            key = "ref" if section == "clauses" else "id"
            seen: set[str] = set()
            for i, entry in enumerate(d.get(section, [])):
                if entry[key] in seen:
                    raise self.fail(f"{section}[{i}] ({key}={entry[key]})", f"duplicate {key} '{entry[key]}'")
                seen.add(entry[key])
        level_ids = {lv["id"] for lv in d["levels"]}
        for i, q in enumerate(d["questions"]):
            ids = [o["id"] for o in q["options"]]
            if len(set(ids)) != len(ids):
                raise self.fail(f"questions[{i}] (id={q['id']}).options", "duplicate option id")
            if q["id"] == LEVEL_QUESTION and set(ids) != level_ids:
                raise self.fail(f"questions[{i}] (id={q['id']})", "its option ids must be exactly the level ids")
        self._check_quote("contacts", d["contacts"]["quote"])
        self._check_ref("contacts", d["contacts"]["ref"])
        self._check_predicates()
        stages = {s["id"] for s in d["stages"]}
        deadline_ids = {x["id"] for x in d["deadlines"]}
        for i, stage in enumerate(d["stages"]):
            if "deadline" in stage and stage["deadline"] not in deadline_ids:
                raise self.fail(
                    f"stages[{i}] (id={stage['id']}).deadline", f"'{stage['deadline']}' is not listed under deadlines"
                )
        for i, rule in enumerate(d["rules"]):
            self._check_rule(f"rules[{i}] (id={rule['id']})", rule)
        self._check_season(deadline_ids)
        for section in (
            "deadlines",
            "questions",
            "rules",
            "notes",
            "items",
            "attachments",
            "interpretations",
            "working_day_dates",
            "unit_duties",
        ):
            for i, entry in enumerate(d.get(section, [])):
                name = f"{section}[{i}] (id={entry['id']})"
                self._check_ref(name, entry["ref"])
                for ref in entry.get("see_also", []):
                    self._check_ref(name + ".see_also", ref)
                if "quote" in entry:
                    self._check_quote(name, entry["quote"])
                for para in entry.get("paragraphs", []):
                    self._check_quote(name + ".paragraphs", para)
                for line in entry.get("heading", []):
                    self._check_quote(name + ".heading", line)
                for key in ("when", "ask_if", "exempt_when"):
                    if key in entry:
                        self._check_expr(f"{name}.{key}", entry[key])
                if section == "items":
                    self._check_item(name, entry, stages)
        self._check_unit_duties(stages, deadline_ids)
        for key, rule in self.data.get("uploads", {}).items():
            self._check_ref(f"uploads.{key}", rule["ref"])
            self._check_quote(f"uploads.{key}", rule["quote"])
        self._check_question_order()
        self._check_topics()

    def _check_topics(self) -> None:
        ids = {section: {e["id"] for e in self.data[section]} for section in TARGET_SECTIONS.values()}
        seen: set[str] = set()
        for i, entry in enumerate(self.data.get("topics", [])):
            name = f"topics[{i}] (id={entry['id']})"
            if entry["id"] in seen:
                raise self.fail(name, f"duplicate id '{entry['id']}'")
            seen.add(entry["id"])
            if not entry.get("points_to") and "ref" not in entry:
                raise self.fail(name, "points at nothing: give points_to, or a ref with its quote")
            for j, target in enumerate(entry.get("points_to", [])):
                if target == CONTACTS_TARGET:
                    continue
                kind, _, target_id = target.partition(":")
                if kind == "clause":
                    self._check_ref(f"{name}.points_to[{j}]", target_id)
                    continue
                if target_id not in ids[TARGET_SECTIONS[kind]]:
                    raise self.fail(f"{name}.points_to[{j}]", f"'{target}': there is no {kind} with id '{target_id}'")
            if "ref" in entry:
                self._check_ref(name, entry["ref"])
                self._check_quote(name, entry["quote"])
            if entry.get("settled") is False and "answer" not in entry:
                raise self.fail(name, "an unsettled question needs an answer saying what the notice leaves open")
            if _PLACEHOLDER.search(entry.get("answer", "")):
                raise self.fail(name, "an answer of its own takes no placeholder")

    def _check_unit_duties(self, stages: set[str], deadline_ids: set[str]) -> None:
        interpretations = {x["id"] for x in self.data["interpretations"]}
        dates = {x["id"] for x in self.data.get("working_day_dates", [])}
        levels = {lv["id"] for lv in self.data["levels"]}
        for i, entry in enumerate(self.data.get("unit_duties", [])):
            name = f"unit_duties[{i}] (id={entry['id']})"
            for j, reading in enumerate(entry.get("interpretations", [])):
                if reading not in interpretations:
                    raise self.fail(f"{name}.interpretations[{j}]", f"'{reading}' is not an interpretation")
            for key, known, what in (
                ("working_day_date", dates, "a working-day date"),
                ("paper_stage", stages, "a stage"),
                ("deadline", deadline_ids, "a deadline"),
            ):
                if key in entry and entry[key] not in known:
                    raise self.fail(f"{name}.{key}", f"'{entry[key]}' is not {what}")
            if "wording" in entry:
                self._check_quote(name + ".wording", entry["wording"])
            if entry.get("unclear") and not entry.get("interpretations"):
                raise self.fail(name, "an unclear duty must name the interpretation that records the reading")
        for i, entry in enumerate(self.data["attachments"]):
            name = f"attachments[{i}] (id={entry['id']})"
            for level in entry.get("level_words", {}):
                if level not in levels:
                    raise self.fail(f"{name}.level_words", f"'{level}' is not a level id")
            for j, reading in enumerate(entry.get("interpretations", [])):
                if reading not in interpretations:
                    raise self.fail(f"{name}.interpretations[{j}]", f"'{reading}' is not an interpretation")

    def _check_ref(self, entry: str, ref: str) -> None:
        if ref not in self.refs:
            raise self.fail(entry, f"cites clause '{ref}', which is not listed under clauses")

    def _check_quote(self, entry: str, quote: str) -> None:
        if entry.split(".")[0] in self.reviewed or any(entry == r or entry.startswith(f"{r}.") for r in self.reviewed):
            return  # marked for review: the old notice's words until a person settles them
        if squash(quote) not in self.squashed_text:
            raise self.fail(entry, f"quote does not appear in the notice text: '{quote[:40]}'")

    def _check_expr(self, entry: str, expr: RawExpr) -> None:
        for kind, value in _expr_refs(expr):
            if kind == "name" and value not in self.data["predicates"]:
                raise self.fail(entry, f"uses undefined predicate '{value}'")
            if kind == "answer":
                question, option = value
                if question not in self.options:
                    raise self.fail(entry, f"refers to unknown question '{question}'")
                if option not in self.options[question]:
                    raise self.fail(entry, f"refers to unknown option '{option}' of question '{question}'")

    def _check_predicates(self) -> None:
        preds = self.data["predicates"]
        if "always" in preds:
            raise self.fail("predicates.always", "'always' is reserved")
        for name, expr in preds.items():
            self._check_expr(f"predicates.{name}", expr)
        # No predicate may depend on itself.
        state: dict[str, int] = {}

        def visit(name: str) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise self.fail(f"predicates.{name}", "is defined in terms of itself")
            state[name] = 1
            for kind, value in _expr_refs(preds[name]):
                if kind == "name":
                    visit(value)
            state[name] = 2

        for name in preds:
            visit(name)

    def _check_season(self, deadline_ids: set[str]) -> None:
        dated = {x["id"] for x in self.data["deadlines"] if x["due"]}
        season = self.data.get("season")
        if season is not None:
            for key in ("submission", "final"):
                if season[key] not in dated:
                    raise self.fail(f"season.{key}", f"'{season[key]}' is not a dated deadline")
        interpretations = {x["id"] for x in self.data["interpretations"]}
        for i, entry in enumerate(self.data.get("working_day_dates", [])):
            name = f"working_day_dates[{i}] (id={entry['id']})"
            if entry["end_before"] not in dated:
                raise self.fail(name + ".end_before", f"'{entry['end_before']}' is not a dated deadline")
            if "interpretation" in entry and entry["interpretation"] not in interpretations:
                raise self.fail(name + ".interpretation", f"'{entry['interpretation']}' is not an interpretation")

    def _check_rule(self, name: str, rule: dict[str, Any]) -> None:
        if "bar" in rule and rule["verdict"] != "ineligible":
            raise self.fail(name + ".bar", "only an ineligible rule bars something")
        if "retry" in rule and rule["retry"] not in self.options:
            raise self.fail(name + ".retry", f"'{rule['retry']}' is not a question")

    def _check_item(self, name: str, item: dict[str, Any], stages: set[str]) -> None:
        if item["stage"] not in stages:
            raise self.fail(name, f"stage '{item['stage']}' is not listed under stages")
        if "exempt_ref" in item:
            self._check_ref(name + ".exempt_ref", item["exempt_ref"])
        if "recognize" in item:
            self._check_recognize(name + ".recognize", item)
        texts = [item["title"], item["detail"]]
        if item.get("variants") and "base_label" not in item:
            raise self.fail(name, "an item with variants needs a base_label (who its own wording is for)")
        if "base_quote" in item:
            self._check_quote(name + ".base_quote", item["base_quote"])
        if "base_ref" in item:
            self._check_ref(name + ".base_ref", item["base_ref"])
        for j, variant in enumerate(item.get("variants", [])):
            self._check_expr(f"{name}.variants[{j}].when", variant["when"])
            self._check_quote(f"{name}.variants[{j}]", variant["quote"])
            if "ref" in variant:
                self._check_ref(f"{name}.variants[{j}].ref", variant["ref"])
            if "label" not in variant:
                raise self.fail(f"{name}.variants[{j}]", "needs a label (who the variant is for)")
            texts += [variant.get("title", ""), variant.get("detail", "")]
        for text in texts:
            for placeholder in _PLACEHOLDER.findall(text):
                if placeholder not in PLACEHOLDERS:
                    raise self.fail(name, f"unknown placeholder '{{{placeholder}}}'")
                if placeholder not in item.get("generic", {}):
                    raise self.fail(
                        name,
                        f"placeholder '{{{placeholder}}}' needs its generic words (generic: "
                        f"{{{placeholder}: …}}), said when no applicant is known",
                    )

    def _check_recognize(self, name: str, item: dict[str, Any]) -> None:
        recognize, quote = item["recognize"], item["quote"]
        if "kind" in recognize and squash(recognize["kind"]) not in squash(quote):
            raise self.fail(name + ".kind", f"'{recognize['kind']}' is not in the item's quote")
        if recognize.get("dated") and not quoted_years(quote):
            raise self.fail(name + ".dated", "the item's quote names no year (2021年度, 2016-2020年度)")
        if recognize.get("counted") and quoted_character_bounds(quote) is None:
            raise self.fail(name + ".counted", "the item's quote names no bounds of 字数 (2000-3000字)")
        if "interpretation" in recognize and recognize["interpretation"] not in {
            x["id"] for x in self.data["interpretations"]
        }:
            raise self.fail(name + ".interpretation", f"'{recognize['interpretation']}' is not an interpretation")
        names = [d["name"] for d in recognize["documents"]]
        if len(set(names)) != len(names):
            raise self.fail(name + ".documents", "duplicate document name")

    def _check_question_order(self) -> None:
        """A question may only depend on the answers of questions asked before it."""
        preds = self.data["predicates"]

        def questions_used(expr: RawExpr) -> set[str]:
            used: set[str] = set()
            for kind, value in _expr_refs(expr):
                if kind == "answer":
                    used.add(value[0])
                else:
                    used |= questions_used(preds[value])
            return used

        asked: set[str] = set()
        for i, q in enumerate(self.data["questions"]):
            later = questions_used(q.get("ask_if", "always")) - asked
            if later:
                raise self.fail(
                    f"questions[{i}] (id={q['id']}).ask_if",
                    f"depends on questions not asked before it: {', '.join(sorted(later))}",
                )
            asked.add(q["id"])


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


_EXPR_KEYS = ("when", "ask_if", "exempt_when")


def _typed(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its predicate expressions parsed (knowledge.model.parse_expr)."""
    return {k: (parse_expr(v) if k in _EXPR_KEYS and v is not None else v) for k, v in entry.items()}


def _recognition(item: dict[str, Any]) -> Recognition | None:
    raw = item.get("recognize")
    if raw is None:
        return None
    return Recognition(
        documents=tuple(
            RecognizedDocument(d["name"], tuple(d["words"]), bool(d.get("sensitive", False))) for d in raw["documents"]
        ),
        kind=raw.get("kind"),
        years=quoted_years(item["quote"]) if raw.get("dated") else (),
        characters=quoted_character_bounds(item["quote"]) if raw.get("counted") else None,
        interpretation=raw.get("interpretation"),
    )


def _upload_rules(d: dict[str, Any]) -> UploadRules | None:
    raw = d.get("uploads")
    if raw is None:
        return None
    fmt = raw["format"]
    return UploadRules(
        formats=tuple(fmt["formats"]),
        label=fmt.get("label", "/".join(fmt["formats"])),
        format=Cited(fmt["ref"], fmt["quote"]),
        upright=Cited(**raw["upright"]),
        legible=Cited(**raw["legible"]),
    )


def _build(path: Path, d: dict[str, Any], text: str, lexicon: Lexicon | None) -> Notice:
    info = dict(d["notice"])
    info["date"] = dt.date.fromisoformat(info["date"])
    return Notice(
        source=path,
        info=NoticeInfo(**info),
        contacts=Contacts(
            **{**d["contacts"], "people": tuple(d["contacts"]["people"]), "phones": tuple(d["contacts"]["phones"])}
        ),
        clauses=tuple(Clause(**c) for c in d["clauses"]),
        levels=tuple(Level(**lv) for lv in d["levels"]),
        stages=tuple(Stage(**s) for s in d["stages"]),
        deadlines=tuple(Deadline(**{**_typed(x), "due": _date(x["due"])}) for x in d["deadlines"]),
        interpretations=tuple(Interpretation(**x) for x in d["interpretations"]),
        predicates=MappingProxyType({name: parse_expr(e) for name, e in d["predicates"].items()}),
        questions=tuple(
            Question(
                **{
                    **_typed(q),
                    "options": tuple(Option(**o) for o in q["options"]),
                    "see_also": tuple(q.get("see_also", [])),
                }
            )
            for q in d["questions"]
        ),
        rules=tuple(Rule(**_typed(r)) for r in d["rules"]),
        notes=tuple(Note(**_typed(n)) for n in d["notes"]),
        items=tuple(
            Item(
                **{
                    **_typed(it),
                    "variants": tuple(Variant(**_typed(v)) for v in it.get("variants", [])),
                    "generic": MappingProxyType(dict(it.get("generic", {}))),
                    "recognize": _recognition(it),
                }
            )
            for it in d["items"]
        ),
        attachments=tuple(
            Attachment(
                **{
                    **a,
                    "paragraphs": tuple(a["paragraphs"]),
                    "fields": tuple(a.get("fields", [])),
                    "heading": tuple(a.get("heading", [])),
                    "level_words": dict(a.get("level_words", {})),
                    "interpretations": tuple(a.get("interpretations", [])),
                }
            )
            for a in d["attachments"]
        ),
        text=text,
        season=Season(**d["season"]) if "season" in d else None,
        working_day_dates=tuple(WorkingDayDate(**_typed(x)) for x in d.get("working_day_dates", [])),
        topics=tuple(Topic(**{**t, "points_to": tuple(t.get("points_to", []))}) for t in d.get("topics", [])),
        unit_duties=tuple(
            UnitDuty(
                **{
                    **_typed(u),
                    "see_also": tuple(u.get("see_also", [])),
                    "interpretations": tuple(u.get("interpretations", [])),
                }
            )
            for u in d.get("unit_duties", [])
        ),
        lexicon=lexicon,
        uploads=_upload_rules(d),
    )


# Notices loaded, by (path, allow_review): (the files' state when loaded, the notice).
_LOADED: dict[tuple[Path, bool], tuple[tuple[object, ...], Notice]] = {}


def _files_state(path: Path) -> tuple[object, ...] | None:
    """What says a notice file and the texts and lexicons beside it are unchanged: their sizes and times."""
    try:
        beside = {path, *path.parent.glob("*.txt"), *path.parent.glob(f"*{LEXICON_SUFFIX}")}
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(beside))
    except OSError:
        return None


def load_notice(path: Path | str, *, allow_review: bool = False) -> Notice:
    """Load and fully validate one notice file. Raises KnowledgeError on any problem.

    A file loaded before and unchanged since (nor the texts beside it) gives the same Notice:
    every part of the bot (and every test) shares one object and the indexes built for it.

    A draft (knowledge.drafting) has entries marked `review: <reason>`. It is refused unless
    `allow_review` (for `knowledge check` and `knowledge diff`): then the marked entries' quotes,
    which are still the old notice's words, are not checked, and the marks are in Notice.reviews.
    The bot never loads with allow_review."""
    path = Path(path)
    state = _files_state(path)
    key = (path.resolve() if state is not None else path, allow_review)
    known = _LOADED.get(key)
    if state is not None and known is not None and known[0] == state:
        return known[1]
    notice = _load_notice(path, allow_review)
    if state is not None:
        _LOADED[key] = (state, notice)
    return notice


def _load_notice(path: Path, allow_review: bool) -> Notice:
    reviews: list[Review] = []
    data = read_data(path, reviews)
    if reviews and not allow_review:
        first = reviews[0]
        more = f" (and {len(reviews) - 1} more)" if len(reviews) > 1 else ""
        raise KnowledgeError(
            path,
            first.entry,
            f"is a draft entry marked for review{more}: {first.reason}; "
            "settle it and delete its review line (zhicheng-bot knowledge check lists them)",
        )
    text_path = path.parent / data["notice"]["text_file"]
    try:
        text = text_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"cannot read the notice text '{text_path.name}': {exc}"
        raise KnowledgeError(path, "notice.text_file", problem) from exc
    _Checker(path, data, text, frozenset(r.entry for r in reviews)).run()
    lexicon = None
    if "lexicon_file" in data["notice"]:
        lexicon_path = path.parent / data["notice"]["lexicon_file"]
        try:
            lexicon = load_lexicon(lexicon_path, data)
        except LexiconError as exc:
            raise KnowledgeError(lexicon_path, exc.entry, exc.problem) from exc
    notice = _build(path, data, text, lexicon)
    return dataclasses.replace(notice, reviews=tuple(reviews)) if reviews else notice


LEXICON_SUFFIX = ".lexicon.yaml"


def notice_files(directory: Path = NOTICES_DIR) -> list[Path]:
    """The notice files of a folder (a notice's lexicon beside it is part of that notice)."""
    return sorted(p for p in directory.glob("*.yaml") if not p.name.endswith(LEXICON_SUFFIX))


def load_notices(directory: Path = NOTICES_DIR) -> tuple[list[Notice], list[KnowledgeError]]:
    """Every notice of a folder that loads, and the problems of those that do not (a malformed
    file is reported, never fatal: the interviews under the other notices go on)."""
    notices: list[Notice] = []
    problems: list[KnowledgeError] = []
    for path in notice_files(directory):
        try:
            notices.append(load_notice(path))
        except KnowledgeError as exc:
            problems.append(exc)
    return notices, problems


def notice_path(notice_id: str = DEFAULT_NOTICE_ID, directory: Path = NOTICES_DIR) -> Path:
    return directory / f"{notice_id}.yaml"


@cache
def default_notice() -> Notice:
    return load_notice(notice_path())
