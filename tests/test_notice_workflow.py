"""The office's workflow for next year's notice, on the worked example (examples/notices/):
draft -> resolve the review items -> check -> diff -> the bot's outcome for applicants under the new
notice, and their answers carried over.

The 2022 notice there is fictional, written from the 2021 text: new dates, copies (一式三份/一式二份),
certificate and assessment years, two submissions instead of three, PDF scans instead of JPG, an
on-site defence, 六（三） removed, a social-insurance proof added (online and on paper), a contact and
a phone changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.store.storage import Storage
from bot.store.users import UserState, save_user
from conversations.carry_over import NOT_REACHED, QUESTION_CHANGED, QUESTION_GONE, SEASON_ONLY, carry_over
from conversations.outcome import evaluate
from knowledge import load_notice
from knowledge.clauses import split_clauses
from knowledge.draft_entries import entries, quote_fields, text_fields
from knowledge.drafting import Draft, draft_notice
from knowledge.loader import read_data, squash
from knowledge.notice_diff import diff_notices
from tests.conftest import NOTICE_YAML, REPO_DIR, TESTS_DIR
from tests.support.yamlfast import safe_load

EXAMPLE_DIR = REPO_DIR / "examples" / "notices"


def load_module(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


resolve_example = load_module("resolve_example", EXAMPLE_DIR / "resolve_example.py")
NEW_TEXT_FILE = EXAMPLE_DIR / "2022-xinjiang-nonferrous-example-notice.txt"
RESOLVED = EXAMPLE_DIR / "2022-xinjiang-nonferrous-example.yaml"
NEW_ID = "2022-xinjiang-nonferrous-example"
OLD_TEXT = (NOTICE_YAML.parent / "2021-xinjiang-nonferrous-notice.txt").read_text(encoding="utf-8")
NEW_TEXT = NEW_TEXT_FILE.read_text(encoding="utf-8")

# The entries a person must settle, and why: the sentences that changed beyond numbers or went away,
# and what rests on them.
EXPECTED_REVIEW = {
    "items.scans_as_jpg",
    "uploads.format",
    "uploads.upright",  # JPG -> PDF
    "items.defence",  # on site only
    "interpretations.defence_exemption_open",  # cites the words on video defences
    "topics.grassroots_defence",
    "topics.defence_others",
    "topics.defence_other_levels",  # answers pointing at
    # the two above
    "rules.same_level_transfer",
    "notes.specialty_changed",  # 六（三） removed
    "questions.specialty_change",
    "interpretations.transfer_higher_only",
    "topics.same_level_transfer",
    "interpretations.recognition_independent",  # mentions the 3rd submission: the 2nd now
}


@pytest.fixture(scope="module")
def draft() -> Draft:
    return draft_notice(NOTICE_YAML, NEW_TEXT, text_file=NEW_TEXT_FILE.name, new_id=NEW_ID)


@pytest.fixture(scope="module")
def old() -> Any:
    return load_notice(NOTICE_YAML)


@pytest.fixture(scope="module")
def new() -> Any:
    return load_notice(RESOLVED)


# --- draft ---


def test_the_draft_flags_exactly_the_entries_resting_on_changed_sentences(draft: Draft) -> None:
    assert {r.entry for r in draft.report.review} == EXPECTED_REVIEW
    assert [(s.clause, s.text) for s in draft.report.new_sentences] == [
        ("五（一）12", "12.社会保险缴纳证明：上传近1年在现工作单位缴纳社会保险的证明。"),
        ("五（五）4", "4.社会保险缴纳证明复印件1份。"),
    ]
    assert draft.report.without_person >= 0.9


COUNTED = re.compile(r"\d+(?:次|个工作日|份|天)")  # a number with what it counts, as the notice writes it


def test_every_changed_sentence_is_updated_or_flagged_and_no_unchanged_entry_is_flagged(draft: Draft) -> None:
    old_data = read_data(NOTICE_YAML)
    flagged = {r.entry for r in draft.report.review}
    updated = {(u.entry, u.field) for u in draft.report.updated}
    new_squashed, old_squashed = squash(NEW_TEXT), squash(OLD_TEXT)
    gone_clauses = set(split_clauses(OLD_TEXT)) - set(split_clauses(NEW_TEXT))
    assert gone_clauses == {"六（三）"}
    changed_quote: set[str] = set()
    for entry in entries(old_data):
        for path, quote in quote_fields(str(entry.path[0]), entry.data):
            if squash(quote) not in new_squashed:
                changed_quote.add(entry.name)
                field = re.sub(r"\.\[", "[", ".".join(f"[{p}]" if isinstance(p, int) else p for p in path))
                assert entry.name in flagged or (entry.name, field) in updated, (entry.name, quote)
    # A flagged entry rests on something that changed: its own words, a clause gone, words it cites
    # in “…” that the new notice no longer has, or an entry it points at that is flagged.
    reasons: dict[str, str] = {}
    for entry in entries(old_data):
        texts = [t for _, t in text_fields(entry.data)]
        refs = {entry.data.get("ref"), *entry.data.get("see_also", [])}
        cited = [w for t in texts for w in re.findall(r"“([^“”]{4,})”", t)]
        if entry.name in changed_quote:
            reasons[entry.name] = "quote"
        elif refs & gone_clauses or any(ref in t for t in texts for ref in gone_clauses):
            reasons[entry.name] = "clause gone"
        elif any(squash(w) in old_squashed and squash(w) not in new_squashed for w in cited):
            reasons[entry.name] = "cited words gone"
        elif any(n in old_squashed and n not in new_squashed for t in texts for n in COUNTED.findall(t)):
            reasons[entry.name] = "a number it mentions changed"
    for entry in entries(old_data):
        kinds = {"item": "items", "interpretation": "interpretations", "rule": "rules", "note": "notes"}
        targets = [f"{kinds.get(k, k)}.{t}" for k, _, t in (p.partition(":") for p in entry.data.get("points_to", []))]
        if entry.name not in reasons and "answer" in entry.data and any(t in reasons for t in targets):
            reasons[entry.name] = "points at a flagged entry"
    assert flagged <= set(reasons), flagged - set(reasons)


def test_the_resolved_example_is_the_draft_with_the_offices_decisions(draft: Draft) -> None:
    assert resolve_example.resolve(draft.data) == read_data(RESOLVED)


def test_check_refuses_the_draft_and_passes_the_resolved_file(
    draft: Draft, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / NEW_TEXT_FILE.name).write_text(NEW_TEXT, encoding="utf-8")
    out = tmp_path / "draft.yaml"
    assert (
        main(
            [
                "knowledge",
                "draft",
                str(tmp_path / NEW_TEXT_FILE.name),
                "--from",
                "2021-xinjiang-nonferrous",
                "--id",
                NEW_ID,
                "-o",
                str(out),
            ]
        )
        == 0
    )
    report = capsys.readouterr().out
    assert "14 marked for review" in report and "New sentences that no entry quotes (2)" in report
    assert main(["knowledge", "check", str(out)]) == 1
    listed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("review: ")]
    assert len(listed) == len(EXPECTED_REVIEW)
    assert main(["knowledge", "check", str(RESOLVED)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {RESOLVED}")


def test_the_bot_refuses_a_draft_that_still_has_review_marks(draft: Draft, tmp_path: Path) -> None:
    folder = tmp_path / "notices"
    folder.mkdir()
    (folder / NEW_TEXT_FILE.name).write_text(NEW_TEXT, encoding="utf-8")
    draft.write(folder / f"{NEW_ID}.yaml")
    from knowledge import KnowledgeError, load_notices

    notices, problems = load_notices(folder)
    assert notices == [] and len(problems) == 1 and "marked for review" in str(problems[0])
    with pytest.raises(KnowledgeError, match="marked for review"):
        load_notice(folder / f"{NEW_ID}.yaml")


# --- diff ---


EXPECTED_CHANGES = {
    "notice.2022-xinjiang-nonferrous-example",
    "deadlines.online_submission",
    "deadlines.paper_submission",
    "rules.not_accepted_this_year",
    "rules.same_level_transfer",
    "questions.submission_status",
    "questions.grassroots_service",
    "questions.specialty_change",
    "items.scans_as_pdf",
    "items.ce_specialty_2022",
    "items.ce_public_2017_2021",
    "items.assessment_2019_2021",
    "items.social_insurance_upload",
    "items.review_submission_limit",
    "items.paper_evaluation_form",
    "items.paper_social_insurance",
    "items.defence",
    "notes.ce_public_unclear",
    "notes.grassroots_earlier_only",
    "notes.specialty_changed",
    "items.materials_since_post",
    "notes.earlier_only_defence",  # the years and the year of service moved
    "attachments.annex1_publicity_result",
    "contacts.contacts",
}


def test_the_diff_names_each_change_once(old: Any, new: Any) -> None:
    diff = diff_notices(old, new)
    keys = [c.key for c in diff.changes]
    assert len(keys) == len(set(keys))
    assert set(keys) == EXPECTED_CHANGES
    kinds = {c.key: c.kind for c in diff.changes}
    assert kinds["items.social_insurance_upload"] == kinds["items.paper_social_insurance"] == "added"
    assert kinds["rules.same_level_transfer"] == kinds["questions.specialty_change"] == "removed"
    renamed = {c.old_id: c.new_id for c in diff.changes if c.kind == "changed" and c.old_id != c.new_id}
    assert renamed == {
        "2021-xinjiang-nonferrous": NEW_ID,
        "scans_as_jpg": "scans_as_pdf",
        "ce_specialty_2021": "ce_specialty_2022",
        "ce_public_2016_2020": "ce_public_2017_2021",
        "assessment_2018_2020": "assessment_2019_2021",
    }
    form = next(c for c in diff.changes if c.key == "items.paper_evaluation_form")
    fields = {f.field: (f.old, f.new) for f in form.fields}
    assert fields["copies"] == (2, 3) and fields["variants[0].copies"] == (1, 2)
    assert form.stage_title == "纸质材料"
    defence = next(c for c in diff.changes if c.key == "items.defence")
    assert defence.stage_title == "答辩"
    online = next(c for c in diff.changes if c.key == "deadlines.online_submission")
    assert {f.field: (f.old, f.new) for f in online.fields}["due"] == (dt.date(2021, 10, 20), dt.date(2022, 10, 14))


def test_the_diff_text_mentions_each_changed_fact_in_one_change(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "diff", "2021-xinjiang-nonferrous", str(RESOLVED)]) == 0
    text = capsys.readouterr().out
    blocks = re.split(r"\n  (?=new:|changed:|removed:)", text)
    for fact in (
        "一式三份",
        "2022年10月14日",
        "2022年10月25日前",
        "马丽",
        "社会保险缴纳证明复印件",
        "现场答辩方式进行",
        "PDF",
        "提交不超过2次",
    ):
        assert sum(fact in block for block in blocks) == 1, fact
    # the assessment records' years are stated by their item and by 七（三）'s qualification beside it
    assert sum("2019-2021年" in block for block in blocks) == 2
    for heading in ("Deadlines", "Who may apply", "Checklist items: 纸质材料", "Checklist items: 答辩", "Contacts"):
        assert f"\n{heading}\n" in text


# --- the bot under the new notice ---


def _persona(name: str) -> dict[str, str]:
    path = next((TESTS_DIR / "personas").glob(f"{name}-*.yaml"))
    answers: dict[str, str] = safe_load(path.read_text(encoding="utf-8"))["answers"]
    return answers


def _under_new(old: Any, new: Any, answers: dict[str, str], **more: str) -> Any:
    """The persona moves to the new notice: carried answers, and the questions asked anew answered
    as before (their option ids are the same), or as `more` says for questions never reached."""
    moved = carry_over(old, new, answers)
    given = dict(moved.answers)
    for question in moved.to_ask:
        if question in answers or question in more:
            given[question] = more.get(question, answers.get(question, ""))
    return evaluate(new, given)


def test_an_associate_senior_gets_the_new_checklist(old: Any, new: Any) -> None:
    outcome = _under_new(old, new, _persona("13"))
    assert outcome.verdict == "eligible" and outcome.notice_id == NEW_ID
    items = {i.id: i for i in outcome.checklist}
    assert {
        "scans_as_pdf",
        "social_insurance_upload",
        "paper_social_insurance",
        "ce_specialty_2022",
        "ce_public_2017_2021",
        "assessment_2019_2021",
        "defence",
    } <= set(items)
    assert not {"scans_as_jpg", "ce_specialty_2021", "assessment_2018_2020"} & set(items)
    assert items["paper_evaluation_form"].copies == 3 and "一式三份" in items["paper_evaluation_form"].title
    assert items["paper_social_insurance"].copies == 1
    assert "2019年、2020年、2021年" in items["assessment_2019_2021"].detail
    assert "现场答辩方式进行" in items["defence"].detail and "视频" not in items["defence"].detail
    assert "2次" in items["review_submission_limit"].title
    deadlines = {d.id: (d.due, d.due_text, d.inclusive) for d in outcome.deadlines}
    assert deadlines["online_submission"] == (dt.date(2022, 10, 14), "2022年10月14日", True)
    assert deadlines["paper_submission"] == (dt.date(2022, 10, 25), "2022年10月25日前", False)


def test_a_junior_gets_two_copies_and_no_defence(old: Any, new: Any) -> None:
    items = {i.id: i for i in _under_new(old, new, _persona("18")).checklist}
    assert items["paper_evaluation_form"].copies == 2 and "一式二份" in items["paper_evaluation_form"].title
    assert "defence" not in items


def test_a_village_worker_keeps_the_exemptions_under_the_new_year(old: Any, new: Any) -> None:
    outcome = _under_new(old, new, _persona("14"))
    assert {e.id for e in outcome.exemptions} == {"ce_specialty_2022"}
    items = {i.id: i for i in outcome.checklist}
    assert items["defence"].title == "答辩：可免除现场答辩，请向联系人确认"
    assert "视频" not in items["defence"].detail
    assert "paper_ce_exemption_form" in items


def test_a_same_level_transfer_is_no_longer_a_question(old: Any, new: Any) -> None:
    answers = _persona("34")
    assert evaluate(old, answers).verdict == "not_covered"
    moved = carry_over(old, new, answers)
    assert ("specialty_change", QUESTION_GONE) in {(d.question, d.why) for d in moved.dropped}
    assert (
        _under_new(
            old,
            new,
            answers,
            grassroots_service="none",
            education_verifiable="yes",
            awards="no",
            publications="published",
        ).verdict
        == "eligible"
    )


def test_a_retiree_stays_ineligible(old: Any, new: Any) -> None:
    assert _under_new(old, new, _persona("01")).verdict == "ineligible"


# --- answers carry over ---


def test_answers_carry_over_and_only_what_is_new_is_asked(old: Any, new: Any) -> None:
    answers = _persona("13")
    moved = carry_over(old, new, answers)
    dropped = {d.question: d.why for d in moved.dropped}
    assert dropped == {
        "sanction": SEASON_ONLY,
        "submission_status": QUESTION_CHANGED,
        "grassroots_service": QUESTION_CHANGED,
        "specialty_change": QUESTION_GONE,
    }
    assert moved.to_ask == ("sanction", "submission_status", "grassroots_service")
    assert moved.next_question == "sanction"
    assert set(moved.answers) == set(answers) - set(dropped)
    assert moved.old_outcome is not None and moved.new_outcome is None
    concerned = {c.key for c in moved.changes}
    assert concerned == {
        "notice.2022-xinjiang-nonferrous-example",
        "contacts.contacts",
        "attachments.annex1_publicity_result",
        "deadlines.online_submission",
        "deadlines.paper_submission",
        "questions.submission_status",
        "questions.grassroots_service",
        "questions.specialty_change",
        "items.scans_as_pdf",
        "items.ce_specialty_2022",
        "items.ce_public_2017_2021",
        "items.assessment_2019_2021",
        "items.social_insurance_upload",
        "items.review_submission_limit",
        "items.paper_evaluation_form",
        "items.paper_social_insurance",
        "items.defence",
        "items.materials_since_post",
    }  # not the rules, notes or removed ones that never held
    junior = {c.key for c in carry_over(old, new, _persona("18")).changes}
    assert "items.defence" not in junior and "items.paper_evaluation_form" in junior


def test_under_an_unchanged_notice_only_this_seasons_status_is_asked_anew(old: Any) -> None:
    moved = carry_over(old, old, _persona("13"))
    assert moved.changes == ()
    assert {(d.question, d.why) for d in moved.dropped} == {
        ("sanction", SEASON_ONLY),
        ("submission_status", SEASON_ONLY),
    }
    assert moved.to_ask == ("sanction", "submission_status") and not moved.complete
    given = {**moved.answers, "sanction": "no", "submission_status": "no"}
    assert evaluate(old, given).checklist == evaluate(old, _persona("13")).checklist


def test_an_answer_the_new_interview_no_longer_reaches_is_dropped(old: Any) -> None:
    answers = {**_persona("01"), "level": "junior"}  # a retiree's stale answer to a later question
    moved = carry_over(old, old, answers)
    assert ("level", NOT_REACHED) in {(d.question, d.why) for d in moved.dropped}
    assert moved.complete and moved.new_outcome is not None and moved.new_outcome.verdict == "ineligible"


# --- the diff with the stored applicants ---


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    people = {1: _persona("13"), 2: _persona("18"), 3: _persona("14"), 4: _persona("01")}

    async def fill() -> None:
        storage = await Storage(path).open()

        def write(db: sqlite3.Connection) -> None:
            for user_id, answers in people.items():
                save_user(
                    db,
                    UserState(
                        user_id=user_id,
                        chat_id=user_id,
                        notice_id="2021-xinjiang-nonferrous",
                        started=True,
                        answers=dict(answers),
                    ),
                )
            save_user(
                db,
                UserState(
                    user_id=5,
                    chat_id=5,
                    notice_id="2021-xinjiang-nonferrous",
                    started=True,
                    current_question="level",
                    answers={"employment": "in_service"},
                ),
            )
            save_user(
                db, UserState(user_id=6, chat_id=6, notice_id="other-notice", started=True, answers=dict(people[1]))
            )

        await storage.atomically(write)
        await storage.close()

    asyncio.run(fill())
    return path


def test_the_diff_counts_the_applicants_each_change_concerns_and_offers_the_broadcast(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = database.read_bytes()
    assert (
        main(
            ["knowledge", "diff", "2021-xinjiang-nonferrous", str(RESOLVED), "--db", str(database), "--format", "json"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert database.read_bytes() == before  # read-only
    assert data["applicants"] == 5  # the other notice's applicant is not counted
    by_key = {c["key"]: c["applicants"] for c in data["changes"]}

    def groups(key: str) -> set[tuple[str, str, int]]:
        return {(g["verdict"], g["level"], g["count"]) for g in by_key[key]["groups"]}

    # the unfinished applicant will have the evaluation form whatever they answer; the defence depends on the level
    assert groups("items.paper_evaluation_form") == {
        ("eligible", "associate_senior", 2),
        ("eligible", "junior", 1),
        ("unfinished", "-", 1),
    }
    assert groups("items.defence") == {("eligible", "associate_senior", 2)}
    assert groups("contacts.contacts") == {
        ("eligible", "associate_senior", 2),
        ("eligible", "junior", 1),
        ("ineligible", "-", 1),
        ("unfinished", "-", 1),
    }
    assert groups("notes.grassroots_earlier_only") == set()
    assert by_key["items.defence"]["broadcast"] == [
        "zhicheng-bot broadcast --notice 2021-xinjiang-nonferrous --verdict eligible --level associate_senior "
        "--text-file MSG.html"
    ]
    assert by_key["items.paper_evaluation_form"]["broadcast"][0] == (
        "zhicheng-bot broadcast --notice 2021-xinjiang-nonferrous --verdict eligible --level associate_senior "
        "--level junior --text-file MSG.html"
    )
    assert by_key["contacts.contacts"]["broadcast"][-1] == (
        "zhicheng-bot broadcast --notice 2021-xinjiang-nonferrous --unfinished --text-file MSG.html"
    )
    assert main(["knowledge", "diff", "2021-xinjiang-nonferrous", str(RESOLVED), "--db", str(database)]) == 0
    text = capsys.readouterr().out
    assert "concerns 2 stored applicants: eligible/associate_senior 2" in text
    assert (
        "zhicheng-bot broadcast --notice 2021-xinjiang-nonferrous --verdict eligible --level associate_senior "
        "--text-file MSG.html  # reaches 2"
    ) in text


def test_diff_refuses_a_missing_database_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["knowledge", "diff", "2021-xinjiang-nonferrous", str(RESOLVED), "--db", str(tmp_path / "none.sqlite3")])
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
