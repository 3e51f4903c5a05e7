"""`zhicheng-bot check-upload FILE`: the JSON scripts read, --out, --level and --case, and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from bot.features.uploads import find_engine
from tests.conftest import EXAMPLES_DIR
from tests.support.scans import make_scan

needs_ocr = pytest.mark.skipif(find_engine() is None, reason="Tesseract with chi_sim and osd is not installed")
KEYS = {"format", "upright", "rotation", "legible", "item", "year", "notes"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check-upload", *args])
    out, err = capsys.readouterr()
    return code, out, err


@needs_ocr
def test_json_for_a_sideways_certificate_and_the_upright_jpg_written(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scan = make_scan("ce_specialty", 2020, "rot270", "png", 3)
    source = tmp_path / scan.filename
    source.write_bytes(scan.content)
    out = tmp_path / "upright.jpg"
    code, stdout, stderr = run(capsys, str(source), "--format", "json", "--out", str(out))
    assert code == 0 and stderr == ""
    data = json.loads(stdout)
    assert set(data) >= KEYS
    assert (data["format"], data["upright"], data["rotation"], data["legible"]) == ("png", False, 270, True)
    assert (data["item"], data["year"], data["year_ok"]) == ("ce_specialty_2021", 2020, False)
    assert data["written"] == [str(out)]
    assert any("年度不符" in line and "五（一）8要求2021年度" in line for line in data["notes"])
    image = Image.open(out)
    assert image.format == "JPEG"
    upright = Image.open(io.BytesIO(make_scan("ce_specialty", 2020, "upright", "png", 3).content))
    assert image.size == upright.size


def test_text_output_and_an_accepted_jpg_writes_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scan = make_scan("title", None, "upright", "jpeg", 0)
    source = tmp_path / "title.jpg"
    source.write_bytes(scan.content)
    code, stdout, _ = run(capsys, str(source), "--out", str(tmp_path / "x.jpg"))
    assert code == 0 and stdout.startswith("“title.jpg”检查结果")
    assert "格式：JPG，符合平台要求的*.jpg格式。（依据：四（二））" in stdout
    assert not (tmp_path / "x.jpg").exists()


def test_the_case_files_checklist_is_used(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "letter.txt"
    source.write_text("委托评审函\n新疆维吾尔自治区专业技术人员职称办公室：现委托贵办组织评审。", encoding="utf-8")
    code, stdout, _ = run(
        capsys, str(source), "--case", str(EXAMPLES_DIR / "xinjiang-associate-senior-engineer.yaml"), "--format", "json"
    )
    data = json.loads(stdout)
    assert code == 0 and data["item"] == "entrustment_upload"
    assert "按您的回答，此项不在您的材料清单中。" in data["notes"]


def test_a_summary_in_english(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "summary.txt"
    source.write_text("个人业务工作总结\n" + "本人认真工作。" * 300, encoding="utf-8")
    code, stdout, _ = run(capsys, str(source), "--locale", "en", "--level", "intermediate")
    assert code == 0
    assert "Work summary: 2108 characters (字数) by this assistant's count; 1808 Chinese characters alone." in stdout
    assert "Within the bounds. (clause 五（一）10)" in stdout


@pytest.mark.parametrize(
    "args",
    [
        ["/nonexistent/scan.jpg"],
        [".", "--format", "json"],  # a directory
    ],
)
def test_a_missing_or_unreadable_file_is_one_line_and_exit_2(capsys, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    code, stdout, stderr = run(capsys, *args)
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("cannot read ")


def test_a_bad_level_or_case_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "a.txt"
    source.write_text("工作总结", encoding="utf-8")
    code, stdout, stderr = run(capsys, str(source), "--level", "expert")
    assert code == 2 and stdout == "" and stderr.startswith("--level: 'expert' is not a level")
    bad = tmp_path / "case.yaml"
    bad.write_text("answers: {level: x}", encoding="utf-8")
    code, stdout, stderr = run(capsys, str(source), "--case", str(bad))
    assert code == 2 and stdout == "" and stderr.startswith("invalid case file") and len(stderr.splitlines()) == 1


def test_a_file_the_checks_refuse_exits_2_with_the_reason(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "empty.jpg"
    source.write_bytes(b"")
    code, stdout, _ = run(capsys, str(source), "--format", "json")
    data = json.loads(stdout)
    assert code == 2 and data["refused"] == "empty" and data["notes"] == ["文件为空，请重新发送。"]


def test_a_file_above_the_limit_is_refused_without_reading_it(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "huge.pdf"
    with source.open("wb") as f:
        f.truncate(20 * 2**20 + 1)  # sparse: nothing to read
    code, stdout, _ = run(capsys, str(source))
    assert code == 2 and "文件大于20 MB" in stdout
