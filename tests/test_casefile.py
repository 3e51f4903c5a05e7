"""Case files: an applicant's answers as YAML or JSON.

Valid files load (including the shipped examples under examples/cases); every problem
raises CaseFileError naming the field; and, property-based, nothing but CaseFileError
ever escapes, whatever text or structure is fed in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.casefile import (
    MAX_CASE_BYTES,
    Case,
    CaseFileError,
    case_schema,
    load_case,
    parse_case_text,
    validate_case,
)
from conversations.outcome import evaluate
from knowledge import default_notice
from tests.conftest import EXAMPLES_DIR
from tests.support.yamlfast import safe_load

NOTICE = default_notice()
QUESTION_IDS = [q.id for q in NOTICE.questions]
OPTION_IDS = sorted({o.id for q in NOTICE.questions for o in q.options})
EXAMPLES = sorted(p for p in EXAMPLES_DIR.glob("*") if p.suffix in (".yaml", ".yml", ".json"))

# What the notice says each shipped example should get.
EXPECTED_EXAMPLE_VERDICTS = {
    "xinjiang-associate-senior-engineer": "eligible",  # 二（二） in service, unit of the region
    "fanghuiju-associate-senior": "eligible",  # 二（二）, 六（一） exemptions
    "aid-worker-intermediate": "eligible",  # 二（三）
    "retiree": "ineligible",  # 二（二）
    "central-unit-without-letter": "conditional",  # 五（三） letter and its approval first
    "high-skill-technician-junior": "eligible",  # 二（五）
}

XINJIANG_ASSOCIATE_SENIOR = {
    "employment": "in_service",
    "unit_type": "xinjiang",
    "sanction": "no",
    "misconduct": "none",
    "submission_status": "no",
    "level": "associate_senior",
    "meets_conditions": "confirmed",
    "current_title": "xinjiang",
    "direct_recognition": "no",
    "evaluated_before": "before",
    "specialty_change": "same",
    "grassroots_service": "none",
    "education_verifiable": "yes",
    "awards": "yes",
    "publications": "both",
}

HYPOTHESIS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _refused(data: Any) -> CaseFileError:
    with pytest.raises(CaseFileError) as caught:
        validate_case(data, NOTICE)
    assert caught.value.problem
    assert str(caught.value) == f"{caught.value.field}: {caught.value.problem}"
    return caught.value


# --- valid files ------------------------------------------------------------------------


def test_at_least_five_complete_examples_are_shipped_including_a_json_one():
    assert len(EXAMPLES) >= 5
    assert any(p.suffix == ".json" for p in EXAMPLES)
    assert {p.stem for p in EXAMPLES} == set(EXPECTED_EXAMPLE_VERDICTS)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_shipped_example_loads_and_gets_the_verdict_the_notice_gives(path):
    case = load_case(path, NOTICE)
    assert isinstance(case, Case)
    assert case.notice_id in (None, NOTICE.id)
    outcome = evaluate(NOTICE, case.answers)
    assert outcome.verdict == EXPECTED_EXAMPLE_VERDICTS[path.stem]
    assert outcome.ignored_answers == ()  # examples answer exactly the questions asked


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_shipped_example_matches_the_published_case_schema(path):
    data = safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, case_schema(NOTICE))


def test_the_fanghuiju_example_is_exempted_from_the_specialty_course_and_keeps_a_defence_line_to_confirm():
    case = load_case(EXAMPLES_DIR / "fanghuiju-associate-senior.yaml", NOTICE)
    outcome = evaluate(NOTICE, case.answers)
    assert {e.id for e in outcome.exemptions} == {"ce_specialty_2021"}
    defence = next(item for item in outcome.checklist if item.id == "defence")
    assert "可免除现场答辩" in defence.title and defence.ref == "六（一）"
    # Its comment says what it gets: the on-site defence may be waived, the defence line stays.
    comment = "".join(
        line
        for line in (EXAMPLES_DIR / "fanghuiju-associate-senior.yaml").read_text("utf-8").splitlines()
        if line.startswith("#")
    )
    assert "defence stays" in comment and "defence exempted" not in comment and "and the defence" not in comment


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.suffix == ".yaml"], ids=lambda p: p.stem)
def test_each_yaml_example_states_in_its_comment_the_verdict_it_gets(path):
    first = path.read_text("utf-8").split("Expected: ", 1)[1].split()[0].strip(";,.")
    assert first == EXPECTED_EXAMPLE_VERDICTS[path.stem] == evaluate(NOTICE, load_case(path, NOTICE).answers).verdict


def test_a_complete_yaml_case_loads(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(
        yaml.safe_dump({"notice": NOTICE.id, "answers": XINJIANG_ASSOCIATE_SENIOR}, allow_unicode=True),
        encoding="utf-8",
    )
    case = load_case(path, NOTICE)
    assert case == Case(NOTICE.id, XINJIANG_ASSOCIATE_SENIOR)


def test_a_complete_json_case_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "case.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"answers": {"employment": "retired"}}).encode())
    assert load_case(path, NOTICE) == Case(None, {"employment": "retired"})


def test_answers_to_questions_that_do_not_apply_are_accepted_and_ignored_by_the_outcome():
    case = validate_case({"answers": {"employment": "retired", "level": "junior"}}, NOTICE)
    assert case.answers == {"employment": "retired", "level": "junior"}
    assert evaluate(NOTICE, case.answers).ignored_answers == ("level",)


def test_the_case_schema_lists_every_question_with_its_options():
    schema = case_schema(NOTICE)
    jsonschema.Draft202012Validator.check_schema(schema)
    properties = schema["properties"]["answers"]["properties"]
    assert list(properties) == QUESTION_IDS
    for q in NOTICE.questions:
        assert properties[q.id]["enum"] == [o.id for o in q.options]


# --- invalid files name the field -------------------------------------------------------


def test_an_unknown_question_is_refused_naming_answers():
    error = _refused({"answers": {"employment": "in_service", "grade": "senior"}})
    assert error.field == "answers"
    assert "grade" in error.problem


def test_an_option_the_level_question_does_not_have_is_refused_naming_answers_level():
    error = _refused({"answers": {"employment": "in_service", "level": "senior"}})
    assert error.field == "answers.level"
    assert "junior" in error.problem and "associate_senior" in error.problem


def test_a_missing_answer_the_interview_needs_is_refused_naming_that_question():
    error = _refused({"answers": {"employment": "in_service", "unit_type": "xinjiang"}})
    assert error.field == "answers.sanction"
    assert "is required" in error.problem


@pytest.mark.parametrize("question", [q for q in QUESTION_IDS if q in XINJIANG_ASSOCIATE_SENIOR])
def test_leaving_out_any_answer_of_a_complete_case_is_refused_naming_it(question):
    answers = {k: v for k, v in XINJIANG_ASSOCIATE_SENIOR.items() if k != question}
    assert _refused({"answers": answers}).field == f"answers.{question}"


def test_an_unquoted_yaml_no_is_refused_naming_the_question():
    text = "answers:\n  employment: in_service\n  unit_type: xinjiang\n  sanction: no\n"
    error = _refused(parse_case_text(text))
    assert error.field == "answers.sanction"
    assert "False" in error.problem


@pytest.mark.parametrize("data", [[1, 2], "text", None, 3, True], ids=repr)
def test_a_case_that_is_not_a_mapping_is_refused_at_the_top_level(data):
    assert _refused(data).field == "(top level)"


def test_a_case_without_answers_is_refused_at_the_top_level():
    error = _refused({"notice": NOTICE.id})
    assert error.field == "(top level)"
    assert "answers" in error.problem


def test_answers_that_are_not_a_mapping_are_refused_naming_answers():
    assert _refused({"answers": ["employment", "retired"]}).field == "answers"


def test_an_unexpected_top_level_field_is_refused():
    error = _refused({"answers": {"employment": "retired"}, "applicant": "张三"})
    assert error.field == "(top level)"
    assert "applicant" in error.problem


def test_a_case_for_another_notice_is_refused_naming_notice():
    error = _refused({"notice": "2022-test-notice", "answers": {"employment": "retired"}})
    assert error.field == "notice"
    assert "2022-test-notice" in error.problem


def test_a_field_name_that_is_not_text_is_refused():
    assert _refused({1: "x"}).field == "1"
    assert _refused({"answers": {True: "retired"}}).field == "answers.True"


@pytest.mark.parametrize("text", ["answers: [", "{", "answers:\n  employment: 'retired\n", "a: *missing", "\x00"])
def test_bad_yaml_is_refused_naming_the_file(text):
    with pytest.raises(CaseFileError) as caught:
        parse_case_text(text)
    assert caught.value.field == "(file)"
    assert "YAML" in caught.value.problem


def test_a_file_that_is_too_large_is_refused_naming_the_file():
    with pytest.raises(CaseFileError) as caught:
        parse_case_text("# " + "x" * MAX_CASE_BYTES)
    assert caught.value.field == "(file)"


def test_a_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_bytes("answers:\n  employment: retired # 退休\n".encode("gbk"))
    with pytest.raises(CaseFileError) as caught:
        load_case(path, NOTICE)
    assert caught.value.field == "(file)"


def test_a_file_that_does_not_exist_is_refused_naming_the_file(tmp_path):
    with pytest.raises(CaseFileError) as caught:
        load_case(tmp_path / "absent.yaml", NOTICE)
    assert caught.value.field == "(file)"


def test_python_specific_yaml_tags_are_refused_not_executed():
    with pytest.raises(CaseFileError) as caught:
        parse_case_text("answers: !!python/object/apply:os.system ['true']")
    assert caught.value.field == "(file)"


@pytest.mark.parametrize("text", ["!!int ", "answers: !!float ''", "answers: !!bool maybe", "notice: !!timestamp soon"])
def test_malformed_explicitly_tagged_scalars_are_refused_naming_the_file(text):
    with pytest.raises(CaseFileError) as caught:
        parse_case_text(text)
    assert caught.value.field == "(file)"


# --- properties: nothing but CaseFileError escapes ---------------------------------------

FIELD_PREFIXES = ("(file)", "(top level)", "notice", "answers")

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(QUESTION_IDS + OPTION_IDS + ["answers", "notice", NOTICE.id]),
)
json_like = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(st.text(max_size=10), st.sampled_from(["answers", "notice", *QUESTION_IDS])), children, max_size=5
        ),
    ),
    max_leaves=25,
)
odd_keys = st.one_of(st.sampled_from(QUESTION_IDS), st.text(max_size=10), st.integers(), st.booleans(), st.none())
answer_values = st.one_of(st.sampled_from(OPTION_IDS), json_like)
random_answers = st.dictionaries(odd_keys, answer_values, max_size=len(QUESTION_IDS) + 2)


@st.composite
def mostly_real_answers(draw: st.DrawFn) -> dict[str, Any]:
    """For each question in order: skip it, give one of its options, or give something else."""
    answers: dict[str, Any] = {}
    for q in NOTICE.questions:
        choice = draw(st.sampled_from(["option", "option", "option", "skip", "other"]))
        if choice == "option":
            answers[q.id] = draw(st.sampled_from([o.id for o in q.options]))
        elif choice == "other":
            answers[q.id] = draw(answer_values)
    return answers


case_like = st.one_of(
    json_like,
    st.fixed_dictionaries({"answers": random_answers}),
    st.fixed_dictionaries({"answers": mostly_real_answers()}),
    st.fixed_dictionaries({"answers": mostly_real_answers(), "notice": st.one_of(st.just(NOTICE.id), json_scalars)}),
    st.fixed_dictionaries({"answers": mostly_real_answers()}, optional={"extra": json_like}),
)

yaml_fragments = st.sampled_from(
    [
        "answers:",
        "notice:",
        "\n",
        "  ",
        "- ",
        ": ",
        "{",
        "}",
        "[",
        "]",
        ",",
        '"',
        "'",
        "#",
        "? ",
        "&a ",
        "*a",
        "<<: ",
        "!!binary ",
        "!!set ",
        "!!str ",
        "!!omap ",
        "!!python/name:os.system",
        "~",
        "yes",
        "no",
        "null",
        ".nan",
        "2021-10-20",
        "0x1F",
        "1e400",
        "|",
        ">",
        "---",
        "...",
        "%YAML 1.1",
        "\t",
        "\u3000",
        "退休",
        *QUESTION_IDS,
        *OPTION_IDS,
    ]
)
# "!!int", "!!float", "!!bool" and "!!timestamp" are left out here: with a malformed scalar they make
# PyYAML raise IndexError/KeyError/AttributeError, which escape parse_case_text. That reported bug is
# pinned down deterministically by test_malformed_explicitly_tagged_scalars_are_refused_naming_the_file.
yaml_like_text = st.lists(yaml_fragments, max_size=40).map("".join)


def _only_case_file_errors(data: Any) -> Case | None:
    try:
        case = validate_case(data, NOTICE)
    except CaseFileError as error:
        assert error.field
        assert error.field.startswith(FIELD_PREFIXES) or not isinstance(data, dict) or error.field in map(str, data)
        return None
    # A case that validates is complete: the engine can always evaluate it.
    evaluate(NOTICE, case.answers)
    return case


def _parse_then_validate(text):
    try:
        data = parse_case_text(text)
    except CaseFileError as error:
        assert error.field == "(file)"
        return
    _only_case_file_errors(data)


@HYPOTHESIS
@given(st.text(max_size=300))
def test_arbitrary_text_raises_nothing_but_case_file_errors(text):
    _parse_then_validate(text)


@HYPOTHESIS
@given(yaml_like_text)
def test_arbitrary_yaml_like_text_raises_nothing_but_case_file_errors(text):
    _parse_then_validate(text)


@HYPOTHESIS
@given(case_like)
def test_arbitrary_json_like_structures_raise_nothing_but_case_file_errors(data):
    _only_case_file_errors(data)


@HYPOTHESIS
@given(st.fixed_dictionaries({"answers": mostly_real_answers()}))
def test_a_case_that_validates_reads_back_the_same_from_yaml_and_from_json(data):
    case = _only_case_file_errors(data)
    if case is None:
        return
    for text in (yaml.safe_dump(data, allow_unicode=True), json.dumps(data, ensure_ascii=False)):
        assert validate_case(parse_case_text(text), NOTICE) == case


@HYPOTHESIS
@given(st.fixed_dictionaries({"answers": mostly_real_answers()}))
def test_a_refused_case_names_a_question_of_the_notice_or_the_answers_field(data):
    try:
        validate_case(data, NOTICE)
    except CaseFileError as error:
        assert error.field == "answers" or error.field.removeprefix("answers.") in QUESTION_IDS


def test_the_examples_directory_is_where_the_tests_expect_it():
    assert Path(__file__).resolve().parent.parent / "examples" / "cases" == EXAMPLES_DIR
