"""Persona cases, kept as data in tests/personas/*.yaml.

Every expectation in a persona is read off the notice (each file cites its clauses in a
comment), never off the engine's output. A persona lists the clauses it `covers`; those
must be cited by its outcome, and together the personas cover every clause of
二（一）–（五）, 五（一）1–11, 五（二）–（五）, 六（一）–（三） and 七（一）–（五）.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conversations.outcome import Outcome, evaluate
from knowledge import default_notice
from knowledge.model import VERDICTS
from tests.conftest import TESTS_DIR
from tests.support.yamlfast import safe_load

PERSONA_DIR = TESTS_DIR / "personas"
PERSONA_FILES = sorted(PERSONA_DIR.glob("*.yaml"))

ID_LIST = {"type": "array", "items": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}, "uniqueItems": True}
PERSONA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "covers", "answers", "verdict", "must_include", "must_exclude", "exemptions"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z].* .* .*[^.]$"},
        "covers": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
        "answers": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}},
        "verdict": {"enum": list(VERDICTS)},
        "reasons": ID_LIST,
        "notes": ID_LIST,
        "checklist_empty": {"const": True},
        "must_include": ID_LIST,
        "must_exclude": ID_LIST,
        "exemptions": ID_LIST,
        "copies": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
        "detail_contains": {
            "type": "object",
            "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        },
        "reasons_contain": {
            "type": "object",
            "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        },
        "notes_exclude": ID_LIST,
        "stages": {"type": "object", "additionalProperties": {"type": "string"}},
        "pending_condition": {"type": "boolean"},
        "deadlines": ID_LIST,
        "bar": {"enum": ["level", "year", "period", "person"]},
        "retry": {"type": "string"},
    },
}

REQUIRED_COVERAGE = (
    ["二（一）", "二（二）", "二（三）", "二（四）", "二（五）"]
    + [f"五（一）{n}" for n in range(1, 12)]
    + ["五（二）", "五（三）", "五（四）", "五（五）"]
    + ["六（一）", "六（二）", "六（三）"]
    + ["七（一）", "七（二）", "七（三）", "七（四）", "七（五）"]
)


@cache
def persona(path: Path) -> dict[str, Any]:
    return safe_load(path.read_text(encoding="utf-8"))


@cache
def outcome_of(path: Path) -> Outcome:
    return evaluate(default_notice(), persona(path)["answers"])


def _items(outcome: Outcome) -> dict[str, Any]:
    return {c.id: c for c in outcome.checklist}


def _cited(outcome: Outcome) -> set[str]:
    return (
        {r.ref for r in outcome.reasons}
        | {n.ref for n in outcome.notes}
        | {c.ref for c in outcome.checklist}
        | {e.ref for e in outcome.exemptions}
        | {d.ref for d in outcome.deadlines}
    )


personas = pytest.mark.parametrize("path", PERSONA_FILES, ids=[p.stem for p in PERSONA_FILES])


def test_there_are_at_least_22_personas_with_distinct_names():
    names = [persona(p)["name"] for p in PERSONA_FILES]
    assert len(names) >= 22
    assert len(set(names)) == len(names)


@personas
def test_the_persona_file_is_well_formed(path):
    jsonschema.validate(persona(path), PERSONA_SCHEMA)


@personas
def test_the_persona_cites_the_notice_in_a_comment(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = "".join(line for line in lines[: next(i for i, ln in enumerate(lines) if ln.startswith("name:"))])
    assert lines[0].startswith("#")
    assert re.search(r"[一二三四五六七]（[一二三四五]）|# [一二三四五六七]：|附件\d", comments), "no clause cited"


@personas
def test_the_persona_names_only_real_questions_options_items_and_clauses(path, notice):
    p = persona(path)
    for question, option in p["answers"].items():
        q = notice.question(question)
        assert q is not None, question
        assert q.option(option) is not None, f"{question}: {option}"
    item_ids = {it.id for it in notice.items}
    named = (
        set(p["must_include"])
        | set(p["must_exclude"])
        | set(p["exemptions"])
        | set(p.get("copies", {}))
        | set(p.get("detail_contains", {}))
    )
    assert named <= item_ids, named - item_ids
    assert not set(p["must_include"]) & set(p["must_exclude"])
    assert set(p.get("reasons", [])) <= {r.id for r in notice.rules}
    assert set(p.get("notes", [])) | set(p.get("notes_exclude", [])) <= {n.id for n in notice.notes}
    assert set(p.get("reasons_contain", {})) <= {r.id for r in notice.rules}
    assert set(p.get("stages", {})) <= item_ids and set(p.get("stages", {}).values()) <= {s.id for s in notice.stages}
    assert set(p.get("deadlines", [])) <= {d.id for d in notice.deadlines}
    assert set(p["covers"]) <= {c.ref for c in notice.clauses}


@personas
def test_the_persona_answers_every_question_asked_and_nothing_more(path):
    outcome = outcome_of(path)  # raises IncompleteAnswers if a question is left open
    assert outcome.ignored_answers == ()
    assert {a.id: a.answer_id for a in outcome.answers} == persona(path)["answers"]


@personas
def test_the_persona_gets_the_verdict_the_notice_gives(path):
    assert outcome_of(path).verdict == persona(path)["verdict"]


@personas
def test_the_persona_is_given_the_expected_reasons(path):
    expected = persona(path).get("reasons")
    if expected is None:
        pytest.skip("no reasons stated")
    assert {r.id for r in outcome_of(path).reasons} == set(expected)


@personas
def test_the_persona_is_shown_the_expected_notes(path):
    notes = {n.id for n in outcome_of(path).notes}
    assert set(persona(path).get("notes", [])) <= notes


@personas
def test_the_persona_checklist_includes_what_the_notice_asks_of_them(path):
    p, items = persona(path), _items(outcome_of(path))
    missing = [i for i in p["must_include"] if i not in items]
    assert missing == []
    if p.get("checklist_empty"):
        assert items == {}


@personas
def test_the_persona_checklist_leaves_out_what_the_notice_does_not_ask_of_them(path):
    items = _items(outcome_of(path))
    assert [i for i in persona(path)["must_exclude"] if i in items] == []


@personas
def test_the_persona_is_exempted_exactly_as_the_notice_allows(path):
    assert sorted(e.id for e in outcome_of(path).exemptions) == sorted(persona(path)["exemptions"])


@personas
def test_the_persona_hands_in_the_number_of_copies_the_notice_states(path):
    items = _items(outcome_of(path))
    for item, copies in persona(path).get("copies", {}).items():
        assert item in items, item
        assert items[item].copies == copies, item


@personas
def test_the_persona_checklist_details_carry_the_notices_words(path):
    items = _items(outcome_of(path))
    for item, phrases in persona(path).get("detail_contains", {}).items():
        assert item in items, item
        text = items[item].title + items[item].detail
        assert [ph for ph in phrases if ph not in text] == [], item


@personas
def test_the_persona_reasons_carry_the_expected_words(path):
    reasons = {r.id: r.text for r in outcome_of(path).reasons}
    for rule, phrases in persona(path).get("reasons_contain", {}).items():
        assert rule in reasons, rule
        assert [ph for ph in phrases if ph not in reasons[rule]] == [], rule


@personas
def test_the_persona_is_not_shown_notes_that_do_not_concern_them(path):
    notes = {n.id for n in outcome_of(path).notes}
    assert [n for n in persona(path).get("notes_exclude", []) if n in notes] == []


@personas
def test_the_persona_meets_each_item_at_its_stage(path):
    items = _items(outcome_of(path))
    for item, stage in persona(path).get("stages", {}).items():
        assert item in items, item
        assert items[item].stage == stage, item


@personas
def test_the_persona_is_told_whether_a_condition_is_still_pending(path):
    # Stated where a condition and another route meet; otherwise pending exactly for a conditional verdict.
    p = persona(path)
    expected = p.get("pending_condition", p["verdict"] == "conditional")
    assert outcome_of(path).pending_condition is expected


@personas
def test_the_persona_is_given_exactly_the_expected_deadlines(path):
    expected = persona(path).get("deadlines")
    if expected is None:
        pytest.skip("no deadlines stated")
    assert sorted(d.id for d in outcome_of(path).deadlines) == sorted(expected)


@personas
def test_a_persona_turned_away_is_told_what_is_barred_and_whether_an_answer_can_be_changed(path):
    p, outcome = persona(path), outcome_of(path)
    if p["verdict"] != "ineligible":
        assert outcome.bar is None
        return
    assert outcome.bar == p.get("bar", "person")
    assert outcome.retry == p.get("retry")


@personas
def test_a_persona_turned_away_or_not_covered_sees_no_notes_for_applicants(path):
    if persona(path)["verdict"] in ("ineligible", "not_covered"):
        assert outcome_of(path).notes == ()


@personas
def test_every_clause_the_persona_covers_is_cited_by_its_outcome(path):
    assert [c for c in persona(path)["covers"] if c not in _cited(outcome_of(path))] == []


def test_the_personas_together_cover_every_clause_of_two_five_six_and_seven():
    covered = set().union(*(persona(p)["covers"] for p in PERSONA_FILES))
    assert [c for c in REQUIRED_COVERAGE if c not in covered] == []


def test_the_personas_together_reach_all_five_verdicts():
    assert {persona(p)["verdict"] for p in PERSONA_FILES} == set(VERDICTS)


@pytest.mark.parametrize(
    "path",
    [PERSONA_DIR / "14-fanghuiju-associate-senior.yaml", PERSONA_DIR / "16-temple-management.yaml"],
    ids=["fanghuiju", "temple"],
)
def test_someone_still_serving_is_told_the_exemption_form_also_needs_the_supervising_units_seal(path):
    # The seal rules are cited to 附件3 (its table and its notes), not to 六（一）.
    seals = _items(outcome_of(path))["ce_exemption_form_seals"]
    assert "主管单位" in seals.detail and seals.ref == "附件3" and seals.stage == "before_applying"
