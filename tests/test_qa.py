"""Typed questions answered from the notice (conversations.qa): the entry with its clause and words,
the personal line, deadlines against today, honest "not covered" with the contacts, rendering."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.chat.html import check_html
from bot.cli import main
from conversations import qa
from conversations.render import TELEGRAM_LIMIT, qa_messages, qa_text
from knowledge import default_notice, load_notice
from knowledge.clauses import clause_texts
from tests.conftest import BUNDLED_NOTICE_TXT, FIXTURES_DIR, NOTICE_YAML, split_clauses, squash

NOTICE = default_notice()
QUESTIONS: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "qa" / "questions.yaml").read_text(encoding="utf-8")
)
CASES = [case for cases in QUESTIONS.values() for case in cases]
JUNIOR_IN_XINJIANG = {
    "employment": "in_service", "unit_type": "xinjiang", "sanction": "no", "misconduct": "none",
    "submission_status": "no", "level": "junior", "meets_conditions": "confirmed", "current_title": "none",
    "grassroots_service": "none", "education_verifiable": "yes", "awards": "no", "publications": "none",
}
RETIREE = {"employment": "retired"}
UNCOVERED = ["评审费多少钱", "评上以后工资涨多少", "明年还有评审吗", "外语要考吗", "社保不在本单位能报吗",
             "可以破格申报吗"]


def _all_keys() -> list[str]:
    return list(qa.index_for(NOTICE).entries)


# ---------------------------------------------------------------- answers with their clause


def test_a_retiree_asking_if_they_can_apply_gets_the_clause_that_bars_them() -> None:
    a = qa.answer(NOTICE, "我退休了能报吗")
    assert a.kind == "answer"
    assert a.targets[0] == "rule:retired"
    assert a.ref == "二（二）"
    assert "离退休人员不得申报参加职称评审" in a.quote
    assert squash(a.quote) in squash(NOTICE.text)


def test_a_returned_retiree_typing_in_traditional_characters_gets_the_same_answer() -> None:
    assert qa.answer(NOTICE, "退休返聘人員能申報嗎").targets[0] == "rule:retired"


def test_a_homophone_typo_still_finds_the_entry() -> None:
    # 申抱 for 申报, 退修 for 退休: the pinyin is the same.
    assert qa.answer(NOTICE, "我退修了还能申抱吗").targets[0] == "rule:retired"


def test_full_width_digits_and_letters_are_read_like_half_width_ones() -> None:
    assert qa.answer(NOTICE, "附件能传ＰＤＦ吗").targets == qa.answer(NOTICE, "附件能传pdf吗").targets


def test_a_question_on_the_evaluation_form_copies_gets_the_item_and_the_notices_words() -> None:
    a = qa.answer(NOTICE, "评审表要交几份")
    assert a.targets[0] == "item:paper_evaluation_form"
    assert a.ref == "五（五）1"
    assert "一式二份" in a.quote and "初级一式一份" in a.quote


def test_the_personal_line_gives_a_junior_applicant_one_copy_of_the_form() -> None:
    a = qa.answer(NOTICE, "评审表要交几份", answers=JUNIOR_IN_XINJIANG)
    assert a.personal == qa.Personal("in_checklist", "《专业技术职务任职资格评审表》一式一份", "五（五）1")
    text = qa_messages(NOTICE, a, "zh_Hans")[0]
    assert "按您的情况：《专业技术职务任职资格评审表》一式一份" in html.unescape(text)


def test_the_personal_line_tells_a_retiree_that_the_bar_applies_to_them() -> None:
    a = qa.answer(NOTICE, "退休了能申报吗", answers=RETIREE)
    assert a.personal is not None and a.personal.kind == "applies"
    assert "按您的情况：此条适用于您。" in qa_messages(NOTICE, a, "zh_Hans")[0]


def test_the_personal_line_is_left_out_while_the_interview_is_unfinished() -> None:
    assert qa.answer(NOTICE, "评审表要交几份", answers={"employment": "in_service"}).personal is None


def test_an_exempted_item_says_so_in_the_personal_line() -> None:
    answers = dict(JUNIOR_IN_XINJIANG, grassroots_service="fhj_serving")
    a = qa.answer(NOTICE, "专业科目证书要哪一年的", answers=answers)
    assert a.targets[0] == "item:ce_specialty_2021"
    assert a.personal is not None and a.personal.kind == "exempt" and a.personal.ref == "六（一）"


def test_a_question_the_notice_leaves_open_is_answered_as_not_settled_with_the_contacts() -> None:
    a = qa.answer(NOTICE, "正高级能报吗")
    assert a.kind == "not_covered" and not a.settled
    assert "interpretation:full_senior_not_covered" in a.targets
    assert a.contacts == NOTICE.contacts
    text = qa_messages(NOTICE, a, "zh_Hans")[0]
    assert "本通知对此未作明确规定" in text and "0991－4841923" in text


@pytest.mark.parametrize("question", ["公示5个工作日包不包括周末", "工作日怎么算", "以考代评的专业能直接认定吗"])
def test_what_a_working_day_is_and_other_open_points_are_never_given_a_firm_answer(question: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind == "not_covered" and a.contacts is not None


# ---------------------------------------------------------------- not covered


@pytest.mark.parametrize("question", UNCOVERED)
def test_a_question_the_notice_does_not_answer_gets_the_contacts_and_no_entry(question: str) -> None:
    a = qa.answer(NOTICE, question)
    assert a.kind == "not_covered"
    assert a.entry is None and a.targets == ()
    assert a.confidence < qa.CONFIDENCE_THRESHOLD
    text = html.unescape(qa_messages(NOTICE, a, "zh_Hans")[0])
    assert "本通知未涉及此问题" in text and "不作推测" in text
    for person in NOTICE.contacts.people:
        assert person in text
    for phone in NOTICE.contacts.phones:
        assert phone in text


@pytest.mark.parametrize("text", ["", "   ", "？？？", "😀", "a" * 5000, "嗯哼" * 2000, "<script>"])
def test_empty_or_junk_input_is_not_covered_and_does_not_crash(text: str) -> None:
    a = qa.answer(NOTICE, text)
    assert a.kind == "not_covered"
    messages = qa_messages(NOTICE, a, "zh_Hans")
    assert all(len(m) <= TELEGRAM_LIMIT and check_html(m) is None for m in messages)


def test_the_threshold_separates_the_same_words_with_and_without_a_topic_of_the_notice() -> None:
    assert qa.answer(NOTICE, "继续教育证书要哪几年的").kind == "answer"
    assert qa.answer(NOTICE, "健身卡要哪几年的").kind == "not_covered"


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("today", "state", "days_left"),
    [
        (dt.date(2021, 9, 20), "open", 30),
        (dt.date(2021, 10, 19), "open", 1),
        (dt.date(2021, 10, 20), "last_day", 0),
        (dt.date(2021, 10, 21), "passed", 0),
        (dt.date(2021, 10, 30), "passed", 0),
    ],
)
def test_asking_whether_online_filing_has_closed_answers_with_todays_state(
    today: dt.date, state: str, days_left: int
) -> None:
    a = qa.answer(NOTICE, "网上申报截止了吗", today=today)
    assert a.targets[0] == "deadline:online_submission"
    assert a.deadline is not None
    assert (a.deadline.state, a.deadline.days_left) == (state, days_left)
    assert a.deadline.last_day == dt.date(2021, 10, 20)


@pytest.mark.parametrize(
    ("today", "state", "phrase"),
    [
        (dt.date(2021, 10, 20), "open", "距2021年10月29日（稳妥起见的最后一天）还有9天"),
        (dt.date(2021, 10, 29), "last_day", "稳妥起见的最后一天"),
        (dt.date(2021, 10, 30), "unclear_day", "未写明当日是否仍在期限内"),
        (dt.date(2021, 10, 31), "passed", "此期限已过"),
    ],
)
def test_the_paper_deadline_written_as_before_the_30th_treats_the_30th_as_unsettled(
    today: dt.date, state: str, phrase: str
) -> None:
    a = qa.answer(NOTICE, "纸质材料什么时候交", today=today)
    assert a.targets[0] == "deadline:paper_submission"
    assert a.deadline is not None and a.deadline.state == state
    text = qa_messages(NOTICE, a, "zh_Hans")[0]
    assert phrase in text and "2021年10月30日前" in text


def test_the_online_deadline_on_its_day_says_the_day_still_counts() -> None:
    text = qa_messages(NOTICE, qa.answer(NOTICE, "网报几号截止", today=dt.date(2021, 10, 20)), "zh_Hans")[0]
    assert "网上申报截止：2021年10月20日" in text and "当天仍在期限内" in text


def test_without_today_a_deadline_answer_gives_the_date_and_no_state() -> None:
    a = qa.answer(NOTICE, "网上申报什么时候截止")
    assert a.deadline is not None and a.deadline.state is None
    assert "2021年10月20日" in qa_messages(NOTICE, a, "zh_Hans")[0]


def test_today_in_the_notice_timezone_is_the_shanghai_date() -> None:
    late_utc = dt.datetime(2021, 10, 20, 17, 0, tzinfo=dt.UTC)  # 01:00 on the 21st in Urumqi's official time
    assert qa.today_in(NOTICE, late_utc) == dt.date(2021, 10, 21)


# ---------------------------------------------------------------- alternatives and chosen entries


def test_close_entries_are_offered_as_alternatives_each_under_its_own_key_and_label() -> None:
    a = qa.answer(NOTICE, "援疆")  # one word: the aid worker's eligibility, term and unit duties are all close
    assert a.kind == "choose"
    keys = [c.key for c in a.alternatives]
    assert len(keys) == len(set(keys)) >= 2 and a.entry == keys[0]
    labels = [c.label for c in a.alternatives]
    assert len(labels) == len(set(labels)) and all(0 < len(label) <= 30 for label in labels)
    assert all(c.confidence >= qa.CONFIDENCE_THRESHOLD for c in qa.candidates(NOTICE, "援疆"))


def test_a_clear_question_gets_one_answer_without_alternatives() -> None:
    a = qa.answer(NOTICE, "考核表要哪几年的")
    assert a.kind == "answer" and a.alternatives == ()


def test_choosing_an_alternative_answers_that_entry_and_a_stale_key_gets_none() -> None:
    a = qa.answer_entry(NOTICE, "item:unit_publicity", answers=JUNIOR_IN_XINJIANG)
    assert a is not None and a.kind == "answer" and a.targets == ("item:unit_publicity",)
    assert a.personal is not None and a.personal.kind == "on_checklist"
    assert qa.answer_entry(NOTICE, "item:no_such_item") is None


def test_every_entry_key_fits_in_telegram_callback_data_with_room_for_a_prefix() -> None:
    assert max(len(key.encode("utf-8")) for key in _all_keys()) <= 56


# ---------------------------------------------------------------- the index


def test_the_index_holds_every_clause_rule_note_item_deadline_interpretation_faq_and_the_contacts() -> None:
    keys = set(_all_keys())
    expected = (
        {f"clause:{c.ref}" for c in NOTICE.clauses}
        | {f"rule:{r.id}" for r in NOTICE.rules}
        | {f"note:{n.id}" for n in NOTICE.notes}
        | {f"item:{it.id}" for it in NOTICE.items}
        | {f"deadline:{d.id}" for d in NOTICE.deadlines}
        | {f"interpretation:{i.id}" for i in NOTICE.interpretations}
        | {f"question:{q.id}" for q in NOTICE.questions}
        | {f"attachment:{a.id}" for a in NOTICE.attachments}
        | {f"faq:{f.id}" for f in NOTICE.faq}
        | {"contacts"}
    )
    assert keys == expected


def test_the_index_is_built_once_per_notice() -> None:
    assert qa.index_for(NOTICE) is qa.index_for(NOTICE)


def test_the_clause_texts_are_the_clauses_the_tests_cut_from_the_notice_independently() -> None:
    ours = clause_texts(NOTICE)
    theirs = split_clauses(NOTICE.text)
    assert set(ours) == {c.ref for c in NOTICE.clauses}
    for ref, text in ours.items():
        assert squash(text) == squash(theirs[ref]), ref


def test_a_notice_without_faq_or_synonyms_loads_and_is_answered_from_its_entries() -> None:
    other = load_notice(FIXTURES_DIR / "notices" / "2022-test-notice.yaml")
    assert other.faq == () and other.synonyms == ()
    a = qa.answer(other, "网上申报截止时间", today=dt.date(2022, 9, 30))
    assert a.deadline is not None and a.deadline.due == dt.date(2022, 9, 30) and a.deadline.state == "last_day"
    assert qa.answer(other, "评审费多少钱").kind == "not_covered"


# ---------------------------------------------------------------- the knowledge file's faq


def test_every_faq_quote_lies_within_the_clause_it_cites() -> None:
    clauses = split_clauses(NOTICE.text)
    for entry in NOTICE.faq:
        if entry.quote:
            assert entry.ref is not None
            assert squash(entry.quote) in squash(clauses[entry.ref]), entry.id


def test_every_unsettled_faq_entry_points_at_an_interpretation_a_not_covered_rule_a_note_or_the_contacts() -> None:
    rules = {f"rule:{r.id}": r.verdict for r in NOTICE.rules}
    for entry in NOTICE.faq:
        if entry.settled:
            continue
        assert any(t.startswith(("interpretation:", "note:")) or t == "contacts" or rules.get(t) == "not_covered"
                   for t in entry.points_to), entry.id


def _write_with_faq(tmp_path: Path, faq: list[dict[str, Any]]) -> Path:
    data = yaml.safe_load(NOTICE_YAML.read_text(encoding="utf-8"))
    data["faq"] = faq
    path = tmp_path / "faq-variant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    (tmp_path / BUNDLED_NOTICE_TXT.name).write_text(BUNDLED_NOTICE_TXT.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("faq", "entry", "problem"),
    [
        ([{"id": "oops", "phrasings": ["退休能报吗"], "points_to": ["rule:no_such_rule"]}],
         "faq[0] (id=oops).points_to[0]", "there is no rule with id 'no_such_rule'"),
        ([{"id": "oops", "phrasings": ["退休能报吗"], "points_to": ["rules:retired"]}],
         "faq[0] (id=oops).points_to[0]", "does not match"),
        ([{"id": "oops", "phrasings": ["退休能报吗"]}], "faq[0] (id=oops)", "points at nothing"),
        ([{"id": "oops", "phrasings": ["退休能报吗"], "ref": "二（二）", "quote": "退休人员可以申报"}],
         "faq[0] (id=oops)", "quote does not appear in the notice text"),
        ([{"id": "oops", "phrasings": ["退休能报吗"], "ref": "九（一）", "quote": "离退休人员不得申报参加职称评审。"}],
         "faq[0] (id=oops)", "cites clause '九（一）'"),
        ([{"id": "oops", "phrasings": ["正高能报吗"], "points_to": ["contacts"], "settled": False}],
         "faq[0] (id=oops)", "needs an answer"),
        ([{"id": "twice", "phrasings": ["甲乙"], "points_to": ["contacts"]},
          {"id": "twice", "phrasings": ["丙丁"], "points_to": ["contacts"]}], "faq[1] (id=twice)", "duplicate id"),
        ([{"id": "oops", "phrasings": [], "points_to": ["contacts"]}],
         "faq[0] (id=oops).phrasings", "should be non-empty"),
    ],
)
def test_knowledge_check_refuses_a_malformed_faq_naming_the_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], faq: list[dict[str, Any]], entry: str, problem: str
) -> None:
    path = _write_with_faq(tmp_path, faq)
    assert main(["knowledge", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "faq-variant.yaml" in err and entry in err and problem in err, err


def test_knowledge_check_refuses_a_word_in_two_synonym_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(NOTICE_YAML.read_text(encoding="utf-8"))
    data["synonyms"] = [["退休", "返聘"], ["返聘", "聘用"]]
    path = tmp_path / "syn.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    (tmp_path / BUNDLED_NOTICE_TXT.name).write_text(BUNDLED_NOTICE_TXT.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["knowledge", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "synonyms[1]" in err and "'返聘' is already in synonyms[0]" in err


# ---------------------------------------------------------------- rendering and the log


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_answer_to_the_evaluation_questions_fits_telegram_with_valid_html(locale: str) -> None:
    for case in CASES:
        for a in (qa.answer(NOTICE, case["q"], today=dt.date(2021, 10, 30), answers=JUNIOR_IN_XINJIANG),
                  qa.answer(NOTICE, case["q"])):
            messages = qa_messages(NOTICE, a, locale)
            assert len(messages) == 1, case["q"]
            assert 0 < len(messages[0]) <= TELEGRAM_LIMIT
            assert check_html(messages[0]) is None, messages[0][:200]


def test_every_entry_chosen_as_an_alternative_renders_within_telegram_limits() -> None:
    for key in _all_keys():
        a = qa.answer_entry(NOTICE, key, answers=JUNIOR_IN_XINJIANG, today=dt.date(2021, 10, 1))
        assert a is not None
        for text in qa_messages(NOTICE, a, "zh_Hans"):
            assert len(text) <= TELEGRAM_LIMIT and check_html(text) is None, key
        assert qa_text(NOTICE, a, "zh_Hans").strip()


def test_knowledge_text_in_an_answer_is_escaped() -> None:
    evil = qa.Answer(kind="answer", question="", entry="faq:x", targets=("contacts",), title="<b>x</b> & y",
                     sentences=("a < b",), quote="<i>q</i>", ref="一")
    text = qa_messages(NOTICE, evil, "zh_Hans")[0]
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text and "a &lt; b" in text and check_html(text) is None


def test_the_unanswered_log_keeps_normalised_text_without_numbers_that_could_identify_someone() -> None:
    assert qa.unanswered_text("  評審費 多少錢？  ") == "评审费 多少钱?"
    assert qa.unanswered_text("我身份证650102199001011234能报吗") == "我身份证#能报吗"
    assert qa.unanswered_text("电话13912345678") == "电话#"
    assert qa.unanswered_text("   ") is None
    logged = qa.unanswered_text("长" * 1000)
    assert logged is not None and len(logged) == 200


def test_the_most_frequent_unanswered_questions_count_variants_of_one_question_together() -> None:
    logged = ["评审费多少钱？", "評審費 多少錢", "评审费多少钱?", "工资涨多少", "评审费多少钱?"]
    assert qa.most_frequent(logged) == [("评审费多少钱?", 4), ("工资涨多少", 1)]
    assert qa.most_frequent(logged, limit=1) == [("评审费多少钱?", 4)]
    assert qa.most_frequent([]) == []


def test_only_answers_without_an_entry_are_for_the_unanswered_log() -> None:
    assert not qa.answer(NOTICE, "评审费多少钱").answered
    assert qa.answer(NOTICE, "正高级能报吗").answered  # not settled, but the notice's words answer it
    assert qa.answer(NOTICE, "我退休了能报吗").answered


# ---------------------------------------------------------------- the evaluation set itself


def test_the_evaluation_set_is_large_enough_and_names_only_entries_that_exist() -> None:
    keys = set(_all_keys())
    assert len(CASES) >= 120
    assert sum(1 for c in CASES if c["expect"] == "not_covered") >= 20
    assert len(QUESTIONS["heldout"]) >= 40
    for case in CASES:
        expected = [case["expect"]] if isinstance(case["expect"], str) else case["expect"]
        for key in expected:
            assert key == "not_covered" or key in keys, (case["q"], key)


def test_the_faq_does_not_copy_a_held_out_question() -> None:
    held_out = {qa.normalise(c["q"]).replace(" ", "") for c in QUESTIONS["heldout"]}
    phrasings = {qa.normalise(p).replace(" ", "") for f in NOTICE.faq for p in f.phrasings}
    assert held_out & phrasings == set()


def test_a_very_long_message_is_matched_on_its_start_and_rendered_within_limits() -> None:
    a = qa.answer(NOTICE, "我退休了能报吗" + "退休" * 2000)
    assert a.targets[0] == "rule:retired"
    assert all(len(m) <= TELEGRAM_LIMIT for m in qa_messages(NOTICE, a, "zh_Hans"))
