"""Case files: an applicant's answers as YAML or JSON, the engine's input outside the chat.

    notice: 2021-xinjiang-nonferrous     # optional; the default notice otherwise
    answers:
      employment: in_service
      unit_type: xinjiang
      ...

The fields are documented by a JSON Schema generated from the notice (case_schema) and
committed under schemas/. Every problem raises CaseFileError naming the field.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import jsonschema
import yaml

from conversations.interview import interview_for
from knowledge.model import Notice

MAX_CASE_BYTES = 64 * 1024


class CaseFileError(ValueError):
    """An unusable case file. `field` names the offending field (a JSON path like answers.level)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class Case:
    notice_id: str | None
    answers: dict[str, str]


def case_schema(notice: Notice) -> dict[str, Any]:
    """The JSON Schema of a case file for this notice: every question and its option ids."""
    properties: dict[str, Any] = {}
    for q in notice.questions:
        properties[q.id] = {
            "description": f"{q.text}（{q.ref}）",
            "enum": [o.id for o in q.options],
            "x-options": {o.id: o.label for o in q.options},
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://zhicheng-bot.invalid/schemas/case-{notice.id}.schema.json",
        "title": f"Case file for {notice.info.number}",
        "description": "An applicant's answers. Only the questions the interview would ask need answers; "
        "answers to questions that do not apply are ignored.",
        "type": "object",
        "additionalProperties": False,
        "required": ["answers"],
        "properties": {
            "notice": {"description": "Notice id; defaults to the bundled notice.", "const": notice.id},
            "answers": {"type": "object", "additionalProperties": False, "properties": properties},
        },
    }


def parse_case_text(text: str) -> Any:
    """Parse YAML or JSON text (JSON is YAML). Raises CaseFileError on a syntax error."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CASE_BYTES:
        raise CaseFileError("(file)", f"is larger than {MAX_CASE_BYTES} bytes")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CaseFileError("(file)", f"is neither valid YAML nor JSON{where}") from exc
    except Exception as exc:  # PyYAML's constructors raise IndexError, KeyError … on malformed tagged scalars
        raise CaseFileError("(file)", f"is neither valid YAML nor JSON: {type(exc).__name__}") from exc


def read_case_bytes(stream: BinaryIO) -> bytes:
    """At most MAX_CASE_BYTES from the stream: one byte more is read only to refuse the file."""
    raw = stream.read(MAX_CASE_BYTES + 1)
    if len(raw) > MAX_CASE_BYTES:
        raise CaseFileError("(file)", f"is larger than {MAX_CASE_BYTES} bytes")
    return raw


def read_case_file(path: Path | str, stdin: BinaryIO | None = None) -> Any:
    """Read and parse a case file; `-` reads standard input (or `stdin`)."""
    try:
        if str(path) == "-":
            raw = read_case_bytes(stdin if stdin is not None else sys.stdin.buffer)
        else:
            with Path(path).open("rb") as stream:
                raw = read_case_bytes(stream)
    except OSError as exc:
        raise CaseFileError("(file)", f"cannot be read: {exc.strerror or exc}") from exc
    return parse_case_bytes(raw)


def parse_case_bytes(raw: bytes) -> Any:
    """Parse a case file's bytes (UTF-8, a BOM allowed), at most MAX_CASE_BYTES: a file read from
    disk or standard input, or one sent to the bot as a document."""
    if len(raw) > MAX_CASE_BYTES:
        raise CaseFileError("(file)", f"is larger than {MAX_CASE_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseFileError("(file)", "is not UTF-8 text") from exc
    return parse_case_text(text)


def _field_name(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def validate_case(data: Any, notice: Notice, *, complete: bool = True) -> Case:
    """Check parsed case data against the notice; every answer the interview needs must be there
    (unless complete=False: answers given so far, as `zhicheng-bot understand --answers` takes them)."""
    if not isinstance(data, Mapping):
        raise CaseFileError("(top level)", "must be a mapping with an 'answers' field")
    for key in data:
        if not isinstance(key, str):
            raise CaseFileError(str(key), "field names must be text")
    answers = data.get("answers")
    if isinstance(answers, Mapping):
        for key in answers:
            if not isinstance(key, str):
                raise CaseFileError(f"answers.{key}", "question ids must be text")
    try:
        validator = jsonschema.Draft202012Validator(case_schema(notice))
        error = jsonschema.exceptions.best_match(validator.iter_errors(json.loads(json.dumps(data, default=str))))
    except (TypeError, ValueError, RecursionError) as exc:
        raise CaseFileError("(top level)", f"contains values that are not plain text, numbers or lists: {exc}") from exc
    if error is not None:
        field = _field_name(error.absolute_path)
        if error.validator == "additionalProperties":
            field = _field_name(error.absolute_path) or "(top level)"
        raise CaseFileError(field, _describe(error, notice))
    assert isinstance(answers, Mapping)
    clean = {str(k): str(v) for k, v in answers.items()}
    position = interview_for(notice).position(clean)
    if complete and position.question is not None:
        q = position.question
        options = ", ".join(f"{o.id}（{o.label}）" for o in q.options)
        raise CaseFileError(f"answers.{q.id}", f"is required: “{q.text}” Options: {options}")
    notice_id = data.get("notice")
    return Case(str(notice_id) if notice_id is not None else None, clean)


def _describe(error: jsonschema.ValidationError, notice: Notice) -> str:
    path = list(error.absolute_path)
    if error.validator == "enum" and len(path) == 2 and path[0] == "answers":
        q = notice.question(str(path[1]))
        ids = [o.id for o in q.options] if q else []
        problem = f"{error.instance!r} is not an option of this question; options: {', '.join(ids)}"
        if isinstance(error.instance, bool):  # YAML 1.1 reads unquoted yes/no/on/off as true/false
            word = next(
                (w for w in (("yes", "true", "on") if error.instance else ("no", "false", "off")) if w in ids),
                "yes" if error.instance else "no",
            )
            problem += f' (YAML reads an unquoted {word} as {str(error.instance).lower()}: write {path[1]}: "{word}")'
        return problem
    if error.validator == "additionalProperties" and path == ["answers"]:
        known = {q.id for q in notice.questions}
        unknown = sorted(str(k) for k in error.instance if k not in known)  # type: ignore[union-attr]
        return f"unknown question id(s): {', '.join(unknown)}"
    if error.validator == "const" and path == ["notice"]:
        return f"this case file is for notice {error.instance!r}, not {notice.id!r}"
    return error.message


def load_case(path: Path | str, notice: Notice) -> Case:
    return validate_case(read_case_file(path), notice)
