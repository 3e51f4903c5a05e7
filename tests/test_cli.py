"""The command line: knowledge check, case files, the committed case-file schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from conversations.casefile import case_schema
from knowledge import default_notice

ROOT = Path(__file__).resolve().parent.parent
IN_SEASON = "2021-10-08T10:00:00+08:00"
CASE = """
answers:
  employment: in_service
  unit_type: xinjiang
  sanction: "no"
  misconduct: none
  submission_status: "no"
  level: junior
  meets_conditions: confirmed
  current_title: none
  grassroots_service: none
  education_verifiable: "yes"
  awards: "no"
  publications: none
"""


def test_the_committed_case_schema_is_the_one_the_notice_generates() -> None:
    committed = json.loads((ROOT / "schemas" / "case-2021-xinjiang-nonferrous.schema.json").read_text("utf-8"))
    assert committed == case_schema(default_notice())


def test_knowledge_check_accepts_the_bundled_notice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "check"]) == 0
    assert "ok:" in capsys.readouterr().out


def test_knowledge_check_names_file_entry_and_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = ROOT / "knowledge" / "notices" / "2021-xinjiang-nonferrous.yaml"
    broken = tmp_path / "broken.yaml"
    broken.write_text(source.read_text("utf-8").replace("ref: 五（一）9\n", "ref: 五（一）99\n"), "utf-8")
    (tmp_path / "2021-xinjiang-nonferrous-notice.txt").write_text(
        (source.parent / "2021-xinjiang-nonferrous-notice.txt").read_text("utf-8"), "utf-8"
    )
    assert main(["knowledge", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml" in err and "id=assessment_2018_2020" in err and "五（一）99" in err


def test_case_prints_json_with_verdict_reasons_checklist_and_deadlines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE, "utf-8")
    assert main(["case", str(case), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "eligible"
    assert all({"text", "ref"} <= set(r) for r in data["reasons"])
    assert all({"id", "stage", "title", "detail", "ref"} <= set(i) for i in data["checklist"])
    # 五（五）1: 初级 hands in one copy of the evaluation form.
    form = next(i for i in data["checklist"] if i["id"] == "paper_evaluation_form")
    assert form["copies"] == 1 and "一式一份" in form["title"]
    assert {d["id"]: d["due"] for d in data["deadlines"]} == {
        "online_submission": "2021-10-20",
        "paper_submission": "2021-10-30",
    }


def test_case_renders_text_and_a_standalone_html_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE, "utf-8")
    assert main(["case", str(case), "--now", IN_SEASON]) == 0
    text = capsys.readouterr().out
    assert "结论：可以申报" in text and "<b>" not in text
    assert main(["case", str(case), "--format", "html", "--locale", "en", "--now", IN_SEASON]) == 0
    html = capsys.readouterr().out
    assert html.startswith("<!DOCTYPE html>") and "@page { size: A4" in html and "You may apply" in html


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("answers: {level: 9}", "answers.level"),
        ("answers: {nonsense: x}", "answers"),
        ("[1, 2]", "(top level)"),
        ("answers: {employment: in_service}", "answers.unit_type"),
        ("notice: 1999-nothing\nanswers: {}", "notice"),
        ("answers: {employment: [unclosed", "(file)"),
    ],
)
def test_an_invalid_case_file_names_the_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, field: str
) -> None:
    case = tmp_path / "bad.yaml"
    case.write_text(content, "utf-8")
    assert main(["case", str(case)]) == 2
    assert f": {field}:" in capsys.readouterr().err


def test_case_reads_at_most_the_size_limit_even_from_an_endless_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["case", "/dev/zero"]) == 2
    assert "(file): is larger than 65536 bytes" in capsys.readouterr().err


def test_case_reads_standard_input_from_a_dash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CASE.encode("utf-8"))))
    assert main(["case", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "eligible"


def test_case_reading_an_endless_standard_input_stops_at_the_limit() -> None:
    import subprocess
    import sys

    with open("/dev/zero", "rb") as zero:
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "case", "-"],
            stdin=zero,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr == "invalid case file (standard input): (file): is larger than 65536 bytes\n"


def test_an_unquoted_yaml_no_gets_a_hint_to_quote_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE.replace('sanction: "no"', "sanction: no"), "utf-8")
    assert main(["case", str(case)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "answers.sanction: False is not an option" in err and 'write sanction: "no"' in err


def test_a_notice_file_that_cannot_be_loaded_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE, "utf-8")
    assert main(["case", str(case), "--notice", str(tmp_path / "nonexistent.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--notice" in err and "nonexistent.yaml" in err


def test_case_help_describes_each_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["case", "--help"])
    assert exit_.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for described in (
        "FILE case file, YAML or JSON",
        "- reads standard input",
        "--format",
        "json: for programs",
        "--locale",
        "language of the interface",
        "--notice NOTICE_FILE use this notice file",
    ):
        assert described in help_text


@pytest.mark.parametrize(
    ("now", "state", "words"),
    [
        ("2021-10-13T09:59:30+08:00", "open", "2021年度网上申报正在进行，截止2021年10月20日（星期三），还有7天。"),
        ("2021-10-20T23:59:00+08:00", "closing", "2021年度网上申报今天（2021年10月20日）截止。"),
        # 16:30 UTC is 00:30 on the 21st in Asia/Shanghai, where the deadlines are reckoned.
        ("2021-10-20T16:30:00+00:00", "paper_only", "2021年度网上申报已于2021年10月20日截止"),
    ],
)
def test_case_states_the_season_as_of_the_time_given_with_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], now: str, state: str, words: str
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE, "utf-8")
    assert main(["case", str(case), "--now", now]) == 0
    assert words in capsys.readouterr().out
    assert main(["case", str(case), "--now", now, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["season"]["state"] == state and data["season"]["submission_last_day"] == "2021-10-20"
    assert data["verdict"] == "eligible"  # the verdict is the notice's, whatever the day
    assert data["headline"] == (
        "可以申报" if state != "paper_only" else "符合申报条件，但2021年度网上申报已于2021年10月20日截止"
    )


def test_case_without_now_states_the_season_of_today(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(CASE, "utf-8")
    assert main(["case", str(case), "--format", "json"]) == 0
    season = json.loads(capsys.readouterr().out)["season"]
    assert season["today"] >= "2021-10-31" and season["state"] == "closed"  # this machine's clock is past 2021


@pytest.mark.parametrize("command", [["case", "x.yaml"], ["console"], ["run"]])
def test_a_now_without_a_utc_offset_is_a_usage_error_naming_the_form(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main([*command, "--now", "2021-10-13 09:59"])
    assert caught.value.code == 2
    assert "2021-10-13T09:59:30+08:00" in capsys.readouterr().err


NOTICE_YAML = ROOT / "knowledge" / "notices" / "2021-xinjiang-nonferrous.yaml"


def _bad_inputs(tmp: Path) -> dict[str, list[str]]:
    """Every kind of bad input to `case`, each as the arguments that give it."""
    ok = tmp / "ok.yaml"
    ok.write_text("answers: {employment: retired}\n", "utf-8")
    files = {
        "empty.yaml": b"",
        "binary.yaml": b"\xff\xfe\x00bad",
        "gbk.yaml": "answers:\n  level: 中级\n".encode("gbk"),
        "trailing.json": b'{"answers": {"employment": "retired"}} trailing',
        "null.yaml": b"answers: null\n",
        "list.yaml": b"answers: [a, b]\n",
        "int-notice.yaml": b"notice: 5\nanswers: {employment: retired}\n",
        "int-key.yaml": b"answers: {1: x}\n",
        "extra.yaml": b"answers: {employment: retired}\nextra: 1\n",
        "colons.yaml": b": : :\n",
        "deep.json": b"[" * 5000 + b"]" * 5000,
        "big.yaml": b"#" * 70_000,
        "not-yaml-notice.yaml": b"not: [yaml\n",
    }
    for name, content in files.items():
        (tmp / name).write_bytes(content)
    (tmp / "folder").mkdir()
    broken = tmp / "broken-notice.yaml"
    false_quote = NOTICE_YAML.read_text("utf-8").replace("quote: 离退休人员不得申报参加职称评审。", "quote: XYZ。", 1)
    broken.write_text(false_quote, "utf-8")
    (tmp / "2021-xinjiang-nonferrous-notice.txt").write_text(
        (NOTICE_YAML.parent / "2021-xinjiang-nonferrous-notice.txt").read_text("utf-8"), "utf-8"
    )
    inputs = {name: [str(tmp / name)] for name in files if name != "not-yaml-notice.yaml"}
    inputs |= {
        "missing file": [str(tmp / "missing.yaml")],
        "a folder": [str(tmp / "folder")],
        "an endless file": ["/dev/zero"],
        "--notice missing": [str(ok), "--notice", str(tmp / "missing.yaml")],
        "--notice a folder": [str(ok), "--notice", str(tmp / "folder")],
        "--notice not YAML": [str(ok), "--notice", str(tmp / "not-yaml-notice.yaml")],
        "--notice a case file": [str(ok), "--notice", str(ok)],
        "--notice with a false quote": [str(ok), "--notice", str(broken)],
        "--notice endless": [str(ok), "--notice", "/dev/zero"],
        "--format unknown": [str(ok), "--format", "pdf"],
        "--locale unknown": [str(ok), "--locale", "fr"],
        "--now not a time": [str(ok), "--now", "yesterday"],
    }
    return inputs


def test_every_bad_input_to_case_exits_2_with_nothing_on_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failures = []
    for what, args in _bad_inputs(tmp_path).items():
        try:
            code = main(["case", *args])
        except SystemExit as exit_:  # argparse: the usage and exit 2
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        usage = len(args) > 1 and args[-2] in ("--format", "--locale", "--now")
        one_line = err.count("\n") == 1 and err.startswith("invalid ")
        if code != 2 or out or not (usage or one_line):
            failures.append(f"{what}: exit {code}, {err[-300:]!r}")
    assert failures == []
