"""Malformed notice files are refused with a KnowledgeError naming the file, the entry and the problem.

Each variant is the bundled file loaded as YAML, changed in exactly one place and dumped
to tmp_path with the notice text copied beside it (or, for syntax-level breakage, the
bundled text edited in one place).
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge import KnowledgeError, load_notice
from tests.conftest import BUNDLED_LEXICON, BUNDLED_NOTICE_TXT, NOTICE_YAML
from tests.support.yamlfast import safe_load

ORIGINAL_TEXT = NOTICE_YAML.read_text(encoding="utf-8")
ORIGINAL: dict[str, Any] = safe_load(ORIGINAL_TEXT)

Mutation = Callable[[dict[str, Any]], None]


def _index(data: dict[str, Any], section: str, entry_id: str) -> int:
    return next(i for i, e in enumerate(data[section]) if e["id"] == entry_id)


@pytest.fixture
def write_variant(tmp_path: Path) -> Callable[..., Path]:
    """Write a variant of the bundled file to tmp_path and return its path."""

    def write(mutate: Mutation | None = None, *, text: str | None = None, copy_notice_text: bool = True) -> Path:
        if text is None:
            data = copy.deepcopy(ORIGINAL)
            if mutate is not None:
                mutate(data)
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        path = tmp_path / "variant.yaml"
        path.write_text(text, encoding="utf-8")
        if copy_notice_text:
            shutil.copy(BUNDLED_NOTICE_TXT, tmp_path / BUNDLED_NOTICE_TXT.name)
        shutil.copy(BUNDLED_LEXICON, tmp_path / BUNDLED_LEXICON.name)
        return path

    return write


def _refused(path: Path) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as caught:
        load_notice(path)
    error = caught.value
    # The message names the file, the entry and the problem.
    assert error.file == str(path)
    assert str(error) == f"{path}: {error.entry}: {error.problem}"
    assert error.entry and error.problem
    return error


def test_an_unchanged_round_trip_of_the_file_still_loads(write_variant):
    # Guards every test below: the dump itself is not what breaks the file.
    notice = load_notice(write_variant())
    assert notice.id == "2021-xinjiang-nonferrous"
    assert len(notice.items) == len(ORIGINAL["items"])


def test_a_rule_citing_a_clause_the_notice_does_not_have_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["rules"][0].update(ref="八（一）")))
    assert error.entry == f"rules[0] (id={ORIGINAL['rules'][0]['id']})"
    assert "八（一）" in error.problem and "not listed under clauses" in error.problem


def test_an_exemption_citing_an_unknown_clause_is_refused(write_variant):
    i = _index(ORIGINAL, "items", "defence")
    error = _refused(write_variant(lambda d: d["items"][i].update(exempt_ref="六（四）")))
    assert error.entry == f"items[{i}] (id=defence).exempt_ref"
    assert "六（四）" in error.problem


def test_a_quote_that_is_not_in_the_notice_text_is_refused(write_variant):
    i = _index(ORIGINAL, "items", "education_certificates")
    error = _refused(write_variant(lambda d: d["items"][i].update(quote="上传学历证书的公证件")))
    assert error.entry == f"items[{i}] (id=education_certificates)"
    assert "quote does not appear in the notice text" in error.problem


def test_a_variant_quote_that_is_not_in_the_notice_text_is_refused(write_variant):
    i = _index(ORIGINAL, "items", "paper_evaluation_form")
    error = _refused(write_variant(lambda d: d["items"][i]["variants"][0].update(quote="初级一式三份。")))
    assert error.entry == f"items[{i}] (id=paper_evaluation_form).variants[0]"
    assert "quote does not appear" in error.problem


def test_a_duplicate_item_id_is_refused_at_the_second_occurrence(write_variant):
    first = ORIGINAL["items"][2]["id"]
    error = _refused(write_variant(lambda d: d["items"][3].update(id=first)))
    assert error.entry == f"items[3] (id={first})"
    assert f"duplicate id '{first}'" in error.problem


def test_an_undefined_predicate_is_refused(write_variant):
    i = _index(ORIGINAL, "notes", "specialty_changed")
    error = _refused(write_variant(lambda d: d["notes"][i].update(when="no_such_predicate")))
    assert error.entry == f"notes[{i}] (id=specialty_changed).when"
    assert "undefined predicate 'no_such_predicate'" in error.problem


def test_a_question_asked_if_an_undefined_predicate_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["questions"][2].update(ask_if="central_unit")))
    assert error.entry == f"questions[2] (id={ORIGINAL['questions'][2]['id']}).ask_if"
    assert "undefined predicate 'central_unit'" in error.problem


def test_a_predicate_referring_to_an_unknown_option_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["predicates"].update(junior={"answer": "level", "in": ["apprentice"]})))
    assert error.entry == "predicates.junior"
    assert "unknown option 'apprentice' of question 'level'" in error.problem


def test_a_predicate_referring_to_an_unknown_question_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["predicates"].update(junior={"answer": "grade", "in": ["junior"]})))
    assert error.entry == "predicates.junior"
    assert "unknown question 'grade'" in error.problem


def test_an_item_in_an_unknown_stage_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["items"][3].update(stage="courier")))
    assert error.entry == f"items[3] (id={ORIGINAL['items'][3]['id']})"
    assert "stage 'courier' is not listed under stages" in error.problem


def test_a_question_whose_ask_if_depends_on_a_later_question_is_refused(write_variant):
    # unit_type (asked second) made to depend on level (asked later).
    i = _index(ORIGINAL, "questions", "unit_type")
    error = _refused(write_variant(lambda d: d["questions"][i].update(ask_if={"answer": "level", "in": ["junior"]})))
    assert error.entry == f"questions[{i}] (id=unit_type).ask_if"
    assert "not asked before it: level" in error.problem


def test_a_question_depending_on_a_later_question_through_a_named_predicate_is_refused(write_variant):
    i = _index(ORIGINAL, "questions", "unit_type")
    error = _refused(write_variant(lambda d: d["questions"][i].update(ask_if="associate_senior")))
    assert error.entry == f"questions[{i}] (id=unit_type).ask_if"
    assert "level" in error.problem


def test_a_question_whose_ask_if_depends_on_its_own_answer_is_refused(write_variant):
    i = _index(ORIGINAL, "questions", "unit_type")
    own_answer = {"answer": "unit_type", "in": ["xinjiang"]}
    error = _refused(write_variant(lambda d: d["questions"][i].update(ask_if=own_answer)))
    assert error.entry == f"questions[{i}] (id=unit_type).ask_if"
    assert "unit_type" in error.problem


def test_bad_yaml_syntax_is_refused_with_its_line_and_column(write_variant):
    broken = ORIGINAL_TEXT.replace("  - {id: junior, name: 初级}", "  - {id: junior, name: 初级", 1)
    assert broken != ORIGINAL_TEXT
    line = ORIGINAL_TEXT[: ORIGINAL_TEXT.index("  - {id: junior, name: 初级}")].count("\n") + 1
    error = _refused(write_variant(text=broken))
    assert error.entry.startswith("line ") and ", column " in error.entry
    assert int(error.entry.split()[1].rstrip(",")) >= line
    assert "is not valid YAML" in error.problem


def test_a_tab_indented_line_is_refused_as_bad_yaml(write_variant):
    broken = ORIGINAL_TEXT.replace("levels:\n", "levels:\n\t- junior\n", 1)
    line = ORIGINAL_TEXT[: ORIGINAL_TEXT.index("levels:\n")].count("\n") + 2
    error = _refused(write_variant(text=broken))
    assert error.entry == f"line {line}, column 1"
    assert "is not valid YAML" in error.problem


@pytest.mark.parametrize(("quoted", "boolean"), [('"yes"', True), ('"no"', False)])
def test_an_unquoted_yes_or_no_option_id_turns_into_a_boolean_and_is_refused(write_variant, quoted, boolean):
    i = _index(ORIGINAL, "questions", "sanction")
    j = [o["id"] for o in ORIGINAL["questions"][i]["options"]].index(quoted.strip('"'))
    original_line = f"{{id: {quoted}, label: {ORIGINAL['questions'][i]['options'][j]['label']}}}"
    assert original_line in ORIGINAL_TEXT
    first = ORIGINAL_TEXT.index("- id: sanction")
    unquoted_line = original_line.replace(quoted, quoted.strip('"'))
    broken = ORIGINAL_TEXT[:first] + ORIGINAL_TEXT[first:].replace(original_line, unquoted_line, 1)
    error = _refused(write_variant(text=broken))
    assert error.entry == f"questions[{i}] (id=sanction).options[{j}].id"
    assert f"{boolean} is not of type 'string'" in error.problem


def test_an_unquoted_yes_inside_a_predicate_is_refused(write_variant):
    line = 'under_sanction: {answer: sanction, in: ["yes"]}'
    assert line in ORIGINAL_TEXT
    error = _refused(write_variant(text=ORIGINAL_TEXT.replace(line, line.replace('"yes"', "yes"))))
    assert error.entry == "predicates.under_sanction.in[0]"
    assert "True is not of type 'string'" in error.problem


@pytest.mark.parametrize("section", ["rules", "items", "questions", "clauses", "contacts", "notice"])
def test_a_missing_required_section_is_refused(write_variant, section):
    error = _refused(write_variant(lambda d: d.pop(section)))
    assert error.entry == "(top level)"
    assert f"'{section}' is a required property" in error.problem


def test_a_predicate_defined_in_terms_of_itself_is_refused(write_variant):
    self_ref = {"any": [{"answer": "level", "in": ["junior"]}, "junior"]}
    error = _refused(write_variant(lambda d: d["predicates"].update(junior=self_ref)))
    assert error.entry == "predicates.junior"
    assert "defined in terms of itself" in error.problem


def test_two_predicates_defined_in_terms_of_each_other_are_refused(write_variant):
    def mutate(d: dict[str, Any]) -> None:
        d["predicates"]["junior"] = "two_copy_level"
        d["predicates"]["two_copy_level"] = {"not": "junior"}

    error = _refused(write_variant(mutate))
    assert error.entry in ("predicates.junior", "predicates.two_copy_level")
    assert "defined in terms of itself" in error.problem


def test_a_missing_notice_text_beside_the_file_is_refused(write_variant):
    error = _refused(write_variant(copy_notice_text=False))
    assert error.entry == "notice.text_file"
    assert f"cannot read the notice text '{BUNDLED_NOTICE_TXT.name}'" in error.problem


def test_a_text_file_naming_a_file_that_does_not_exist_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["notice"].update(text_file="nowhere.txt")))
    assert error.entry == "notice.text_file"
    assert "nowhere.txt" in error.problem


def test_a_file_that_does_not_exist_is_refused(tmp_path):
    error = _refused(tmp_path / "absent.yaml")
    assert error.entry == "(file)"
    assert "cannot be read" in error.problem


def test_a_file_that_is_a_list_rather_than_sections_is_refused(write_variant):
    error = _refused(write_variant(text="- just\n- a list\n"))
    assert error.entry == "(top level)"
    assert "mapping" in error.problem


def test_an_unknown_verdict_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["rules"][0].update(verdict="maybe")))
    assert error.entry == f"rules[0] (id={ORIGINAL['rules'][0]['id']}).verdict"
    assert "'maybe'" in error.problem


def test_an_impossible_deadline_date_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["deadlines"][0].update(due="2021-10-32")))
    assert error.entry == f"deadlines[0] (id={ORIGINAL['deadlines'][0]['id']}).due"
    assert "date" in error.problem


def test_an_unknown_placeholder_in_an_item_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["items"][0].update(detail="选择{grade}")))
    assert error.entry == f"items[0] (id={ORIGINAL['items'][0]['id']})"
    assert "{grade}" in error.problem


def test_the_reserved_name_always_cannot_be_redefined(write_variant):
    error = _refused(write_variant(lambda d: d["predicates"].update(always="junior")))
    assert error.entry == "predicates.always"
    assert "reserved" in error.problem


def test_a_duplicate_option_id_is_refused(write_variant):
    error = _refused(write_variant(lambda d: d["questions"][0]["options"][1].update(id="in_service")))
    assert "(id=employment).options" in error.entry
    assert "duplicate option id" in error.problem


def test_levels_that_differ_from_the_level_questions_options_are_refused(write_variant):
    error = _refused(write_variant(lambda d: d["levels"].pop()))
    assert "(id=level)" in error.entry
    assert "level ids" in error.problem


@pytest.mark.parametrize(
    ("mutate", "expected_entry"),
    [
        (lambda d: d["questions"][0]["options"][1].update(id="in_service"), "questions[0] (id=employment).options"),
        (lambda d: d["levels"].pop(), f"questions[{_index(ORIGINAL, 'questions', 'level')}] (id=level)"),
    ],
    ids=["duplicate-option", "levels-mismatch"],
)
def test_question_level_problems_name_the_entry_with_its_index_like_all_others(write_variant, mutate, expected_entry):
    error = _refused(write_variant(mutate))
    assert error.entry == expected_entry


@pytest.mark.parametrize("tagged", ['!!int ""', "!!bool maybe", "!!timestamp soon"])
def test_a_malformed_explicitly_tagged_scalar_is_refused_as_bad_yaml(write_variant, tagged):
    assert "schema_version: 1\n" in ORIGINAL_TEXT
    error = _refused(write_variant(text=ORIGINAL_TEXT.replace("schema_version: 1\n", f"schema_version: {tagged}\n", 1)))
    assert "YAML" in error.problem


def test_the_notice_schema_is_itself_a_valid_json_schema():
    import jsonschema

    from knowledge.loader import notice_schema

    schema = notice_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
