"""The knowledge file against the official notice, the single source of truth.

The file is read here as plain YAML (not through the loader) so these checks do not
depend on the loader's own cross-checks being right.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import yaml

from knowledge import default_notice, load_notice
from tests.conftest import BUNDLED_NOTICE_TXT, NOTICE_YAML, notice_text, split_clauses, squash
from tests.support.yamlfast import safe_load


class _DuplicateKeyLoader(yaml.SafeLoader):
    """SafeLoader that records mappings repeating a key (plain YAML keeps the last silently)."""

    duplicates: ClassVar[list[str]] = []

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                _DuplicateKeyLoader.duplicates.append(f"line {key_node.start_mark.line + 1}: {key!r}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


RAW: dict[str, Any] = safe_load(NOTICE_YAML.read_text(encoding="utf-8"))
TEXT = notice_text()
SQUASHED_TEXT = squash(TEXT)
CLAUSE_TEXT = split_clauses(TEXT)
LISTED_REFS = {c["ref"] for c in RAW["clauses"]}

# The clauses of sections 二, 五, 六 and 七, read off the notice by hand.
CLAUSES_TO_CITE = (
    ["二（一）", "二（二）", "二（三）", "二（四）", "二（五）", "五（一）"]
    + [f"五（一）{n}" for n in range(1, 12)]
    + ["五（二）", "五（三）", "五（四）", "五（五）", "五（五）1", "五（五）2", "五（五）3"]
    + ["六（一）", "六（二）", "六（三）"]
    + ["七（一）", "七（二）", "七（三）", "七（四）", "七（五）"]
)
SECTIONS_WITH_IDS = (
    "levels",
    "stages",
    "deadlines",
    "interpretations",
    "questions",
    "rules",
    "notes",
    "items",
    "attachments",
)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every mapping entry in the file, with readable paths."""
    if isinstance(node, dict):
        label = f" (id={node['id']})" if isinstance(node.get("id"), str) else ""
        for key, value in node.items():
            yield path + label, key, value
            yield from _walk(value, f"{path}{label}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _quotes() -> list[tuple[str, str]]:
    found = []
    for path, key, value in _walk(RAW):
        if key == "quote":
            found.append((f"{path}.quote", value))
        elif key == "paragraphs":
            found += [(f"{path}.paragraphs[{i}]", p) for i, p in enumerate(value)]
    return found


def _cited_refs() -> list[tuple[str, str]]:
    single = [
        (f"{path}.{key}", value)
        for path, key, value in _walk(RAW)
        if key in ("ref", "exempt_ref") and not path.startswith("clauses")
    ]
    listed = [
        (f"{path}.{key}[{i}]", ref)
        for path, key, value in _walk(RAW)
        if key == "see_also"
        for i, ref in enumerate(value)
    ]
    return single + listed


QUOTES = _quotes()
CITED = _cited_refs()


def _citing_entries(ref: str) -> list[str]:
    """Rules, notes, items (also as exemption) and deadlines that cite the clause."""
    found = []
    for section in ("rules", "notes", "items", "deadlines"):
        for entry in RAW[section]:
            if ref in (entry.get("ref"), entry.get("exempt_ref")):
                found.append(f"{section}:{entry['id']}")
    return found


def test_the_bundled_notice_text_is_the_official_notice_word_for_word():
    assert BUNDLED_NOTICE_TXT.read_text(encoding="utf-8") == TEXT


def test_the_knowledge_file_loads_without_complaint():
    notice = load_notice(NOTICE_YAML)
    assert notice.id == "2021-xinjiang-nonferrous"
    assert notice.questions and notice.rules and notice.items


def test_the_default_notice_is_the_2021_xinjiang_nonferrous_notice():
    notice = default_notice()
    assert notice.id == "2021-xinjiang-nonferrous"
    assert notice.source.resolve() == NOTICE_YAML.resolve()
    assert notice.text == TEXT


def test_the_notice_header_is_the_one_printed_on_the_notice():
    info = RAW["notice"]
    assert info["number"] == "新色集函〔2021〕121号"
    assert info["number"] in TEXT
    assert squash(info["title"]) in SQUASHED_TEXT
    assert squash(info["issuer"]) in SQUASHED_TEXT
    assert info["date"] == dt.date(2021, 9, 13)
    assert "2021年9月13日" in TEXT
    assert info["conditions_document"] in TEXT
    assert info["platform"] in TEXT


@pytest.mark.parametrize(("where", "quote"), QUOTES, ids=[w for w, _ in QUOTES])
def test_every_quote_appears_verbatim_in_the_notice(where, quote):
    assert squash(quote), f"{where} is empty"
    assert squash(quote) in SQUASHED_TEXT, f"{where} is not in the notice: {quote}"


def test_the_file_quotes_the_notice_at_least_once_per_rule_note_item_and_deadline():
    quoted_sections = {re.split(r"[\[.]", w)[0] for w, _ in QUOTES}
    assert {"rules", "notes", "items", "deadlines", "contacts", "attachments"} <= quoted_sections
    for section in ("rules", "notes", "items", "deadlines"):
        assert all("quote" in entry for entry in RAW[section]), section


@pytest.mark.parametrize("section", ["rules", "notes", "items", "deadlines"])
def test_every_quote_lies_within_the_clause_it_cites(section):
    for entry in RAW[section]:
        clause = CLAUSE_TEXT.get(entry["ref"], "")
        assert squash(entry["quote"]) in squash(clause), f"{section} {entry['id']}: not in {entry['ref']}"


def test_every_variant_quote_lies_within_the_clause_it_rests_on_or_an_annex():
    annexes = squash("".join(t for ref, t in CLAUSE_TEXT.items() if ref.startswith("附件")))
    for item in RAW["items"]:
        for variant in item.get("variants", []):
            quote = squash(variant["quote"])
            clause = CLAUSE_TEXT[variant.get("ref", item["ref"])]
            assert quote in squash(clause) or quote in annexes, item["id"]


def test_the_attachments_quote_their_own_annex():
    for annex in RAW["attachments"]:
        for paragraph in annex["paragraphs"]:
            assert squash(paragraph) in squash(CLAUSE_TEXT[annex["ref"]]), annex["id"]
        for name in annex.get("fields", []):
            assert squash(name) in squash(CLAUSE_TEXT[annex["ref"]]), name


@pytest.mark.parametrize("ref", sorted(LISTED_REFS))
def test_every_listed_clause_exists_in_the_notice(ref):
    assert ref in CLAUSE_TEXT, f"clause {ref} cannot be found in the notice text"
    assert squash(CLAUSE_TEXT[ref])


@pytest.mark.parametrize(("where", "ref"), CITED, ids=[w for w, _ in CITED])
def test_every_ref_cited_anywhere_is_a_listed_clause(where, ref):
    assert ref in LISTED_REFS, f"{where} cites '{ref}', which is not under clauses"


def test_clause_refs_are_unique():
    refs = [c["ref"] for c in RAW["clauses"]]
    assert len(refs) == len(set(refs))


@pytest.mark.parametrize("section", SECTIONS_WITH_IDS)
def test_ids_are_unique_within_each_section(section):
    ids = [entry["id"] for entry in RAW[section]]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


def test_option_ids_are_unique_within_each_question():
    for question in RAW["questions"]:
        ids = [o["id"] for o in question["options"]]
        assert len(ids) == len(set(ids)), question["id"]


def test_every_question_and_option_id_is_text_not_a_yaml_boolean():
    for question in RAW["questions"]:
        assert isinstance(question["id"], str)
        for option in question["options"]:
            assert isinstance(option["id"], str), f"{question['id']}: {option['id']!r}"


def test_no_mapping_in_the_file_repeats_a_key():
    _DuplicateKeyLoader.duplicates = []
    yaml.load(NOTICE_YAML.read_text(encoding="utf-8"), Loader=_DuplicateKeyLoader)
    assert _DuplicateKeyLoader.duplicates == []


@pytest.mark.parametrize("ref", CLAUSES_TO_CITE)
def test_every_clause_of_sections_two_five_six_and_seven_is_listed(ref):
    assert ref in LISTED_REFS
    assert ref in CLAUSE_TEXT


@pytest.mark.parametrize("ref", CLAUSES_TO_CITE)
def test_every_clause_of_sections_two_five_six_and_seven_is_cited_by_a_rule_note_item_or_deadline(ref):
    assert _citing_entries(ref), f"nothing cites {ref}"


def _date_in(label: str) -> dt.date:
    match = re.search(label + r"：(\d{4})年(\d{1,2})月(\d{1,2})日", TEXT)
    assert match, label
    return dt.date(*map(int, match.groups()))


def test_the_online_deadline_is_20_october_2021_as_in_section_one():
    deadlines = {d.id: d for d in default_notice().deadlines}
    assert _date_in("网上申报截止时间") == dt.date(2021, 10, 20)
    assert deadlines["online_submission"].due == dt.date(2021, 10, 20)
    assert deadlines["online_submission"].due_text in CLAUSE_TEXT["一"]
    assert deadlines["online_submission"].ref == "一"


def test_the_paper_deadline_is_30_october_2021_as_in_section_one():
    deadlines = {d.id: d for d in default_notice().deadlines}
    assert _date_in("纸质材料报送时间") == dt.date(2021, 10, 30)
    assert deadlines["paper_submission"].due == dt.date(2021, 10, 30)
    assert deadlines["paper_submission"].due_text == "2021年10月30日前"
    assert deadlines["paper_submission"].due_text in CLAUSE_TEXT["一"]
    assert deadlines["paper_submission"].ref == "一"


def test_the_online_deadline_includes_its_day_and_the_paper_deadline_is_before_its_day():
    # 一: “网上申报截止时间：2021年10月20日” versus “纸质材料报送时间：2021年10月30日前”.
    deadlines = {d.id: d for d in default_notice().deadlines}
    assert deadlines["online_submission"].inclusive is True
    assert deadlines["paper_submission"].inclusive is False


def test_the_only_dated_deadlines_are_the_two_of_section_one():
    dated = sorted((d.id, d.due) for d in default_notice().deadlines if d.due is not None)
    assert dated == [("online_submission", dt.date(2021, 10, 20)), ("paper_submission", dt.date(2021, 10, 30))]


def test_deadlines_are_reckoned_in_the_asia_shanghai_timezone():
    notice = default_notice()
    assert notice.info.timezone == "Asia/Shanghai"
    zone = zoneinfo.ZoneInfo(notice.info.timezone)
    end_of_online_day = dt.datetime(2021, 10, 20, 23, 59, tzinfo=zone)
    assert end_of_online_day.utcoffset() == dt.timedelta(hours=8)


def test_the_contacts_carry_both_phone_numbers_exactly_as_in_the_notice():
    line = re.search(r"联系电话：(.+)", TEXT)
    assert line
    printed = line.group(1).strip().split("、")
    assert printed == ["0991－4841923", "0991－4841395"]
    assert list(default_notice().contacts.phones) == printed


def test_the_contacts_carry_the_address_exactly_as_in_the_notice():
    line = re.search(r"材料报送地址：(.+)", TEXT)
    assert line
    assert default_notice().contacts.address == line.group(1).strip() == "乌鲁木齐市友好北路636号有色大厦"


def test_the_contacts_name_the_two_people_of_the_notice():
    line = re.search(r"联系人：(.+)", TEXT)
    assert line
    assert list(default_notice().contacts.people) == line.group(1).split() == ["张媛", "黄悠悠"]
    assert default_notice().contacts.ref == "联系方式"


def test_the_level_question_offers_exactly_the_levels():
    notice = default_notice()
    level_question = notice.question("level")
    assert level_question is not None
    assert [o.id for o in level_question.options] == [lv.id for lv in notice.levels]


def test_every_level_name_is_a_level_the_notice_or_its_interpretations_speak_of():
    names = {lv.name for lv in default_notice().levels}
    assert {"初级", "中级", "副高级"} <= names
    for name in ("初级", "中级", "副高级"):
        assert name in TEXT


def test_readme_lists_every_interpretation_of_the_knowledge_file():
    readme = (NOTICE_YAML.parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [i["id"] for i in RAW["interpretations"] if f"| `{i['id']}` | {i['ref']} |" not in readme]
    assert missing == []


def test_expressions_are_parsed_at_load_into_typed_immutable_values(notice):
    import dataclasses

    from knowledge.model import AllOf, Always, AnswerIn, AnyOf, Named, Not

    kinds = (Always, Named, AnswerIn, AllOf, AnyOf, Not)
    exprs = [
        *notice.predicates.values(),
        *(r.when for r in notice.rules),
        *(i.when for i in notice.items),
        *(q.ask_if for q in notice.questions),
        *(v.when for i in notice.items for v in i.variants),
    ]
    assert exprs and all(isinstance(e, kinds) for e in exprs)
    with pytest.raises(TypeError):
        notice.predicates["retired"] = Always()  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        notice.rules[0].when.name = "x"  # type: ignore[union-attr]
    hash(tuple(exprs))  # immutable all the way down
