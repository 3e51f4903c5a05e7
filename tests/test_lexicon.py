"""The notice's lexicon (knowledge/notices/<id>.lexicon.yaml): loaded with the notice, checked against its
schema and against the notice; a malformed lexicon is a KnowledgeError naming the file, the entry and
the problem."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli import main
from knowledge import KnowledgeError, default_notice, load_notice, notice_files
from knowledge.lexicon import SCHEMA_FILE
from tests.conftest import BUNDLED_LEXICON, BUNDLED_NOTICE_TXT, NOTICE_YAML
from tests.support.yamlfast import safe_load

ORIGINAL: dict[str, Any] = safe_load(BUNDLED_LEXICON.read_text(encoding="utf-8"))


def _thing(data: dict[str, Any], thing_id: str) -> dict[str, Any]:
    return next(t for t in data["things"] if t["id"] == thing_id)


@pytest.fixture
def write_lexicon(tmp_path: Path) -> Callable[..., Path]:
    """The bundled notice in tmp_path with a changed copy of its lexicon; returns the notice's path."""

    def write(mutate: Callable[[dict[str, Any]], None] | None = None, *, text: str | None = None) -> Path:
        shutil.copy(NOTICE_YAML, tmp_path / NOTICE_YAML.name)
        shutil.copy(BUNDLED_NOTICE_TXT, tmp_path / BUNDLED_NOTICE_TXT.name)
        if text is None:
            data = copy.deepcopy(ORIGINAL)
            if mutate is not None:
                mutate(data)
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        (tmp_path / BUNDLED_LEXICON.name).write_text(text, encoding="utf-8")
        return tmp_path / NOTICE_YAML.name

    return write


def test_the_bundled_lexicon_loads_with_its_notice() -> None:
    notice = default_notice()
    lexicon = notice.lexicon
    assert lexicon is not None and lexicon.source.name == BUNDLED_LEXICON.name
    assert {k.id for k in lexicon.kinds} >= {
        "when",
        "copies",
        "seal",
        "upload",
        "may",
        "duration",
        "where",
        "format",
        "whatif",
        "why",
    }
    assert lexicon.negations and lexicon.past and lexicon.years["去年"] == -1


def test_the_lexicon_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_central_units_and_the_military_are_covered_and_the_bingtuan_is_not() -> None:
    lexicon = default_notice().lexicon
    assert lexicon is not None
    central = lexicon.thing("central_military")
    assert central is not None and central.covered
    assert {"央企", "中直", "部队", "军队"} <= set(central.names)
    assert central.sets == {"unit_type": "central_other_military"}
    bingtuan = lexicon.thing("bingtuan")
    assert bingtuan is not None and not bingtuan.covered and "兵团" in bingtuan.names


def test_a_lexicon_beside_a_notice_is_not_taken_for_a_notice() -> None:
    assert all(not p.name.endswith(".lexicon.yaml") for p in notice_files())
    assert BUNDLED_LEXICON.exists()


def _refused(path: Path) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as caught:
        load_notice(path)
    error = caught.value
    assert error.file.endswith(BUNDLED_LEXICON.name)
    assert str(error) == f"{error.file}: {error.entry}: {error.problem}"
    return error


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = _thing(data, key.removeprefix("thing=")) if key.startswith("thing=") else node[key]
        node[last] = value

    return mutate


def _set_kind_alone(target: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        next(k for k in data["kinds"] if k["id"] == "when")["alone"] = target

    return mutate


@pytest.mark.parametrize(
    ("mutate", "entry", "problem"),
    [
        (
            _set("thing=retired.answers", {"default": "rule:no_such_rule"}),
            "things[",
            "'rule:no_such_rule': there is no rule with id 'no_such_rule'",
        ),
        (
            _set("thing=retired.answers", {"default": "topic:nothing"}),
            "answers.default",
            "there is no topic with id 'nothing'",
        ),
        (
            _set("thing=retired.answers", {"default": "clause:九（一）"}),
            "answers.default",
            "the notice lists no clause '九（一）'",
        ),
        (
            _set("thing=retired.answers", {"sometime": "rule:retired"}),
            "answers.sometime",
            "'sometime' is neither a question kind nor default",
        ),
        (_set("thing=retired.answers", {"default": "rules:retired"}), "answers.default", "does not match"),
        (_set("thing=retired.names", ["退休", "评审表"]), "(id=", "'评审表' is already a form of the thing"),
        (_set("thing=retired.names", []), "names", "should be non-empty"),
        (
            _set("thing=retired.sets", {"employmnet": "retired"}),
            "sets.employmnet",
            "'employmnet' is not a question of the interview",
        ),
        (
            _set("thing=retired.sets", {"employment": "pensioner"}),
            "sets.employment",
            "'pensioner' is not an option of 'employment'",
        ),
        (_set("thing=temple.is", ["nothing"]), "is", "'nothing' is not another thing"),
        (
            _set("routes", [{"things": ["retired", "ghost"], "answer": "rule:retired"}]),
            "routes[0].things",
            "'ghost' is not a thing",
        ),
        (
            _set("routes", [{"things": ["retired"], "kinds": ["never"], "answer": "rule:retired"}]),
            "routes[0].kinds",
            "'never' is not a question kind",
        ),
        (
            _set("situations", [{"sets": {"level": "junior"}, "patterns": ["想报(初级"]}]),
            "situations[0].patterns[0]",
            "is not a valid pattern",
        ),
        (
            _set("situations", [{"sets": {"level": "junior"}, "patterns": ["{nobody}初级"]}]),
            "situations[0].patterns[0]",
            "unknown macro '{nobody}'",
        ),
        (
            _set("situations", [{"sets": {"level": "expert"}, "patterns": ["专家"]}]),
            "situations[0].sets.level",
            "'expert' is not an option of 'level'",
        ),
        (_set("notice", "2022-test-notice"), "notice", "is not this notice"),
        (_set_kind_alone("topic:nothing"), "kinds[0] (id=when).alone", "there is no topic with id 'nothing'"),
        (_set("words", {"retired": ["退休"]}), "words.retired", "is also the id of a thing"),
    ],
)
def test_a_malformed_lexicon_is_refused_naming_the_file_the_entry_and_the_problem(
    write_lexicon: Callable[..., Path], mutate: Callable[[dict[str, Any]], None], entry: str, problem: str
) -> None:
    error = _refused(write_lexicon(mutate))
    assert entry in error.entry and problem in error.problem, str(error)


def test_a_lexicon_that_is_not_yaml_or_is_missing_is_refused(write_lexicon: Callable[..., Path]) -> None:
    error = _refused(write_lexicon(text="things: [unclosed\n"))
    assert error.entry.startswith("line ") and "is not valid YAML" in error.problem
    path = write_lexicon()
    (path.parent / BUNDLED_LEXICON.name).unlink()
    assert "cannot be read" in _refused(path).problem


def test_knowledge_check_reports_a_malformed_lexicon_on_one_line(
    write_lexicon: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lexicon(_set("thing=retired.answers", {"default": "rule:no_such_rule"}))
    assert main(["knowledge", "check", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and BUNDLED_LEXICON.name in err and "no_such_rule" in err
