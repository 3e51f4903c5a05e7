"""A notice's lexicon: how people type about it. Loaded from `<notice>.lexicon.yaml` beside the notice,
checked against knowledge/lexicon.schema.json and against the notice it belongs to (every entry, question
and option it names must exist). Pure data; conversations.reader reads text with it."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache, partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

from knowledge.entries import entry_name
from knowledge.model import (
    CONTACTS_TARGET,
    TARGET_SECTIONS,
    Detail,
    Lexicon,
    OutsideTopic,
    Persons,
    QuestionKind,
    Route,
    SituationRule,
    Thing,
)

SCHEMA_FILE = Path(__file__).resolve().parent / "lexicon.schema.json"
DEFAULT_ANSWER = "default"
# Macros of situation patterns that are not things or word lists.
RESERVED_MACROS = ("this_year", "earlier_year", "negation")
# The forms of a thing, all of which it is found by.
FORMS = ("names", "abbreviations", "colloquial", "typos", "traditional")
_MACRO = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it


class LexiconError(Exception):
    """A problem of a lexicon: where (entry) and what (problem). The loader names the file."""

    def __init__(self, entry: str, problem: str) -> None:
        self.entry = entry
        self.problem = problem
        super().__init__(f"{entry}: {problem}")


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def read_lexicon_data(path: Path) -> dict[str, Any]:
    """The file parsed and checked against the schema. Raises LexiconError (entry '(file)' for I/O)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LexiconError("(file)", f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise LexiconError("(file)", "is not UTF-8 text") from exc
    try:
        data = yaml.load(raw, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise LexiconError(where, f"is not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise LexiconError("(top level)", "must be a mapping of sections")
    err = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if err is not None:
        raise LexiconError(entry_name(data, err.absolute_path), err.message)
    return data


def thing_forms(entry: Mapping[str, Any]) -> list[str]:
    """Every form a thing is typed in, in the file's order."""
    return [word for form in FORMS for word in entry.get(form, [])]


def expand_pattern(
    lexicon: Lexicon, pattern: str, notice_year: int, normalise: Callable[[str], str] = lambda s: s
) -> str:
    """A situation pattern as a regular expression: {thing} becomes the thing's forms, {words} a word
    list, {this_year} the words for the notice's year, {earlier_year} those for a year before it,
    {negation} the negations; every word passed through `normalise` (as the text it is matched in)."""
    things = {t.id: t for t in lexicon.things}

    def alternation(words: Iterable[str]) -> str:
        forms = sorted({normalise(w) for w in words if normalise(w)}, key=len, reverse=True)
        return "(?:" + "|".join(re.escape(w) for w in forms) + ")"

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in things:
            return alternation(things[name].names)
        if name in lexicon.words:
            return alternation(lexicon.words[name])
        if name == "negation":
            return alternation(lexicon.negations)
        if name == "this_year":
            words = [w for w, offset in lexicon.years.items() if offset == 0]
            return "(?:" + "|".join([f"{notice_year}年?度?", *(re.escape(normalise(w)) for w in words)]) + ")"
        if name == "earlier_year":
            words = [w for w, offset in lexicon.years.items() if offset < 0]
            years = "|".join(str(y) for y in range(notice_year - 10, notice_year))
            return "(?:" + "|".join([f"(?:{years})年?度?", *(re.escape(normalise(w)) for w in words)]) + ")"
        raise LexiconError(pattern, f"unknown macro '{{{name}}}'")

    return _MACRO.sub(expand, pattern)


class _Checker:
    def __init__(self, data: dict[str, Any], notice: Mapping[str, Any]) -> None:
        self.data = data
        self.notice = notice
        self.ids = {section: {e["id"] for e in notice.get(section, [])} for section in TARGET_SECTIONS.values()}
        self.ids["topics"] = {e["id"] for e in notice.get("topics", [])}
        self.refs = {c["ref"] for c in notice["clauses"]}
        self.options = {q["id"]: {o["id"] for o in q["options"]} for q in notice["questions"]}

    def run(self) -> None:
        d = self.data
        if d["notice"] != self.notice["notice"]["id"]:
            raise LexiconError("notice", f"'{d['notice']}' is not this notice ('{self.notice['notice']['id']}')")
        kinds = self._unique("kinds", d["kinds"])
        for i, kind in enumerate(d["kinds"]):
            if "alone" in kind:
                self._target(f"kinds[{i}] (id={kind['id']}).alone", kind["alone"])
        things = self._unique("things", d["things"])
        self._unique("outside", d.get("outside", []))
        self._unique("details", d.get("details", []))
        for name in d.get("words", {}):
            if name in things or name in RESERVED_MACROS:
                raise LexiconError(f"words.{name}", "is also the id of a thing or a reserved macro")
        owner: dict[str, str] = {}
        for i, thing in enumerate(d["things"]):
            name = f"things[{i}] (id={thing['id']})"
            for word in thing_forms(thing):
                if word in owner and owner[word] != thing["id"]:
                    raise LexiconError(name, f"'{word}' is already a form of the thing '{owner[word]}'")
                owner[word] = thing["id"]
            for parent in thing.get("is", []):
                if parent not in things or parent == thing["id"]:
                    raise LexiconError(f"{name}.is", f"'{parent}' is not another thing")
            for kind, target in thing.get("answers", {}).items():
                if kind != DEFAULT_ANSWER and kind not in kinds:
                    raise LexiconError(f"{name}.answers.{kind}", f"'{kind}' is neither a question kind nor default")
                self._target(f"{name}.answers.{kind}", target)
            if "sets" in thing:
                self._answers(f"{name}.sets", thing["sets"])
            for kind in thing.get("open_kinds", []):
                if kind not in kinds:
                    raise LexiconError(f"{name}.open_kinds", f"'{kind}' is not a question kind")
        for i, route in enumerate(d.get("routes", [])):
            name = f"routes[{i}]"
            for thing_id in route["things"]:
                if thing_id not in things:
                    raise LexiconError(f"{name}.things", f"'{thing_id}' is not a thing")
            for kind in route.get("kinds", []):
                if kind not in kinds:
                    raise LexiconError(f"{name}.kinds", f"'{kind}' is not a question kind")
            self._target(f"{name}.answer", route["answer"])
        for i, rule in enumerate(d.get("situations", [])):
            name = f"situations[{i}]"
            self._answers(f"{name}.sets", rule["sets"])
            for key in ("negated", "earlier", "unit", "withdraws"):
                if key in rule:
                    self._answers(f"{name}.{key}", rule[key])
            if "expires" in rule:
                self._answers(f"{name}.expires.sets", rule["expires"]["sets"])

    def _unique(self, section: str, entries: list[dict[str, Any]]) -> set[str]:
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            if entry["id"] in seen:
                raise LexiconError(f"{section}[{i}] (id={entry['id']})", f"duplicate id '{entry['id']}'")
            seen.add(entry["id"])
        return seen

    def _target(self, entry: str, target: str) -> None:
        if target == CONTACTS_TARGET:
            return
        kind, _, target_id = target.partition(":")
        if kind == "clause":
            if target_id not in self.refs:
                raise LexiconError(entry, f"'{target}': the notice lists no clause '{target_id}'")
            return
        section = "topics" if kind == "topic" else TARGET_SECTIONS[kind]
        if target_id not in self.ids[section]:
            raise LexiconError(entry, f"'{target}': there is no {kind} with id '{target_id}'")

    def _answers(self, entry: str, answers: Mapping[str, str]) -> None:
        for question, option in answers.items():
            if question not in self.options:
                raise LexiconError(f"{entry}.{question}", f"'{question}' is not a question of the interview")
            if option not in self.options[question]:
                raise LexiconError(
                    f"{entry}.{question}",
                    f"'{option}' is not an option of '{question}'; options: "
                    + ", ".join(sorted(self.options[question])),
                )


def build_lexicon(path: Path, data: dict[str, Any]) -> Lexicon:
    return Lexicon(
        source=path,
        fillers=tuple(data.get("fillers", [])),
        negations=tuple(data.get("negations", [])),
        past=tuple(data.get("past", [])),
        years=MappingProxyType(dict(data.get("years", {}))),
        kinds=tuple(
            QuestionKind(
                k["id"],
                tuple(k["markers"]),
                bool(k.get("contingency", False)),
                tuple(k.get("expects", [])),
                tuple(k.get("patterns", [])),
                k.get("alone"),
            )
            for k in data["kinds"]
        ),
        things=tuple(
            Thing(
                id=t["id"],
                names=tuple(thing_forms(t)),
                answers=MappingProxyType(dict(t.get("answers", {}))),
                sets=MappingProxyType(dict(t.get("sets", {}))),
                parents=tuple(t.get("is", [])),
                weight=float(t.get("weight", 1.0)),
                covered=bool(t.get("covered", True)),
                open_kinds=tuple(t.get("open_kinds", [])),
                patterns=tuple(t.get("patterns", [])),
            )
            for t in data["things"]
        ),
        routes=tuple(Route(tuple(r["things"]), r["answer"], tuple(r.get("kinds", []))) for r in data.get("routes", [])),
        outside=tuple(OutsideTopic(o["id"], tuple(o["markers"])) for o in data.get("outside", [])),
        words=MappingProxyType({k: tuple(v) for k, v in data.get("words", {}).items()}),
        open_points=tuple(data.get("open_points", [])),
        several=tuple(data.get("several", [])),
        function_words=tuple(data.get("function_words", [])),
        alternatives=tuple(data.get("alternatives", [])),
        acceptability=tuple(data.get("acceptability", [])),
        conditions=tuple(data.get("conditions", [])),
        condition_ends=tuple(data.get("condition_ends", [])),
        hedges=tuple(data.get("hedges", [])),
        future=tuple(data.get("future", [])),
        besides=tuple(data.get("besides", [])),
        persons=Persons(**{k: tuple(v) for k, v in data.get("persons", {}).items()}),
        details=tuple(Detail(d["id"], tuple(d["asks"]), tuple(d.get("stated", []))) for d in data.get("details", [])),
        situations=tuple(
            SituationRule(
                sets=MappingProxyType(dict(s["sets"])),
                patterns=tuple(s["patterns"]),
                negated=MappingProxyType(dict(s["negated"])) if "negated" in s else None,
                earlier=MappingProxyType(dict(s["earlier"])) if "earlier" in s else None,
                hedged=bool(s.get("hedged", False)),
                expires_after=s["expires"]["years"] if "expires" in s else None,
                expired=MappingProxyType(dict(s["expires"]["sets"])) if "expires" in s else None,
                of_unit=MappingProxyType(dict(s["unit"])) if "unit" in s else None,
                withdraws=MappingProxyType(dict(s["withdraws"])) if "withdraws" in s else None,
                yields=bool(s.get("yields", False)),
            )
            for s in data.get("situations", [])
        ),
    )


def load_lexicon(path: Path, notice: Mapping[str, Any]) -> Lexicon:
    """Read, check and build a lexicon for the notice whose (schema-checked) data is `notice`.
    Raises LexiconError naming the entry and the problem."""
    data = read_lexicon_data(path)
    _Checker(data, notice).run()
    lexicon = build_lexicon(path, data)
    year = int(str(notice["notice"]["date"])[:4])
    for i, kind in enumerate(lexicon.kinds):
        for j, pattern in enumerate((*kind.expects, *kind.patterns)):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise LexiconError(f"kinds[{i}] (id={kind.id}).expects[{j}]", f"is not a valid pattern: {exc}") from exc
    for i, thing in enumerate(lexicon.things):
        for j, pattern in enumerate(thing.patterns):
            try:
                re.compile(expand_pattern(lexicon, pattern, year))
            except LexiconError as exc:
                raise LexiconError(f"things[{i}] (id={thing.id}).patterns[{j}]", exc.problem) from exc
            except re.error as exc:
                raise LexiconError(
                    f"things[{i}] (id={thing.id}).patterns[{j}]", f"is not a valid pattern: {exc}"
                ) from exc
    for key in ("introducing", "names"):
        for j, pattern in enumerate(getattr(lexicon.persons, key)):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise LexiconError(f"persons.{key}[{j}]", f"is not a valid pattern: {exc}") from exc
    for i, detail in enumerate(lexicon.details):
        for key in ("asks", "stated"):
            for j, pattern in enumerate(getattr(detail, key)):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise LexiconError(
                        f"details[{i}] (id={detail.id}).{key}[{j}]", f"is not a valid pattern: {exc}"
                    ) from exc
    for i, rule in enumerate(lexicon.situations):
        for j, pattern in enumerate(rule.patterns):
            try:
                re.compile(expand_pattern(lexicon, pattern, year))
            except LexiconError as exc:
                raise LexiconError(f"situations[{i}].patterns[{j}]", exc.problem) from exc
            except re.error as exc:
                raise LexiconError(f"situations[{i}].patterns[{j}]", f"is not a valid pattern: {exc}") from exc
    return lexicon


def draft_lexicon(old: dict[str, Any], notice: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The old notice's lexicon for the draft of the next notice (`notice`: its data): the same words,
    for the new notice's id, without the routes, answers and situation rules that point at entries,
    clauses, questions or options the new notice no longer has. Returns (lexicon data, what was
    taken out, each as 'entry: why')."""
    data = copy.deepcopy(dict(old))
    data["notice"] = notice["notice"]["id"]
    checker = _Checker(data, notice)
    removed: list[str] = []

    def fits(entry: str, check: Callable[[], None]) -> bool:
        try:
            check()
        except LexiconError as exc:
            removed.append(f"{exc.entry}: {exc.problem}")
            return False
        return True

    for i, thing in enumerate(data.get("things", [])):
        name = f"things[{i}] (id={thing['id']})"
        answers = thing.get("answers", {})
        kept_answers = {
            kind: target
            for kind, target in answers.items()
            if fits(f"{name}.answers.{kind}", partial(checker._target, f"{name}.answers.{kind}", target))
        }
        if kept_answers:
            thing["answers"] = kept_answers
        else:
            thing.pop("answers", None)  # still a word the reader knows, answering nothing by itself
        sets = thing.get("sets")
        if sets and not fits(f"{name}.sets", partial(checker._answers, f"{name}.sets", sets)):
            del thing["sets"]
    data["routes"] = [
        route
        for i, route in enumerate(data.get("routes", []))
        if fits(f"routes[{i}]", partial(checker._target, f"routes[{i}].answer", route["answer"]))
    ]
    kept = []
    for i, rule in enumerate(data.get("situations", [])):
        name = f"situations[{i}]"
        keys = [key for key in ("sets", "negated", "earlier", "unit", "withdraws") if key in rule]
        fine = all(fits(f"{name}.{key}", partial(checker._answers, f"{name}.{key}", rule[key])) for key in keys)
        if "expires" in rule:
            fine = fine and fits(
                f"{name}.expires", partial(checker._answers, f"{name}.expires.sets", rule["expires"]["sets"])
            )
        if fine:
            kept.append(rule)
    data["situations"] = kept
    return data, removed


def retarget(data: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """The lexicon with its answers pointing at renamed entries under their new names
    ({"item:scans_as_jpg": "item:scans_as_pdf"})."""
    data = copy.deepcopy(dict(data))
    for thing in data.get("things", []):
        if "answers" in thing:
            thing["answers"] = {kind: renames.get(target, target) for kind, target in thing["answers"].items()}
    for route in data.get("routes", []):
        route["answer"] = renames.get(route["answer"], route["answer"])
    return data
