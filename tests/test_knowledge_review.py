"""Review marks of a draft: the loader reads them for `knowledge check` and `knowledge diff`, and
refuses them otherwise, so that the bot never runs on a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_notice
from tests.conftest import NOTICE_YAML, copy_companions


def _variant(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = NOTICE_YAML.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    copy_companions(tmp_path)
    return path


def item_entry(item_id: str) -> str:
    """How the loader names an item of the bundled file: items[<index>] (id=<id>)."""
    index = next(i for i, item in enumerate(load_notice(NOTICE_YAML).items) if item.id == item_id)
    return f"items[{index}] (id={item_id})"


MARKED = ("  - id: scans_as_jpg\n", "  - id: scans_as_jpg\n    review: the notice now asks for PDF\n")
OLD_WORDS = ("需扫描后保存为图片（*.jpg）格式再正向上传。", "需扫描后保存为PDF格式再正向上传。")


def test_a_marked_entry_keeps_its_old_words_and_is_listed(tmp_path: Path) -> None:
    path = _variant(tmp_path, MARKED, OLD_WORDS)
    notice = load_notice(path, allow_review=True)
    assert [(r.entry, r.reason) for r in notice.reviews] == [
        (item_entry("scans_as_jpg"), "the notice now asks for PDF")
    ]
    with pytest.raises(KnowledgeError) as caught:
        load_notice(path)
    assert caught.value.entry == item_entry("scans_as_jpg")
    assert "marked for review" in caught.value.problem and "the notice now asks for PDF" in caught.value.problem


def test_a_mark_excuses_only_its_own_entry(tmp_path: Path) -> None:
    wrong = ("quote: 工作简历：按要求填报相关信息。", "quote: 工作简历：按要求填报全部信息。")
    path = _variant(tmp_path, MARKED, OLD_WORDS, wrong)
    with pytest.raises(KnowledgeError) as caught:
        load_notice(path, allow_review=True)
    assert caught.value.entry == item_entry("work_history")
    assert "does not appear in the notice text" in caught.value.problem


def test_an_empty_mark_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, ("  - id: scans_as_jpg\n", '  - id: scans_as_jpg\n    review: ""\n'))
    with pytest.raises(KnowledgeError, match="must say, in words"):
        load_notice(path, allow_review=True)


def test_a_mark_is_not_part_of_a_notice(tmp_path: Path) -> None:
    """Without allow_review the schema never sees the mark: the refusal names the mark, not the schema."""
    path = _variant(
        tmp_path, ("  id: 2021-xinjiang-nonferrous\n", "  id: 2021-xinjiang-nonferrous\n  review: check the date\n")
    )
    with pytest.raises(KnowledgeError) as caught:
        load_notice(path)
    assert caught.value.entry == "notice" and "check the date" in caught.value.problem
    assert load_notice(path, allow_review=True).reviews[0].entry == "notice"
