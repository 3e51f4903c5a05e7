"""Shared fixtures: the bundled notice, its interview, and every reachable path of answers.

A *path* is the dict of answers that count (``Position.answers``) once the interview is
finished, in the order the questions were asked. Paths are found by walking
``interview.position()`` from no answers and trying every option of each next question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conversations.interview import interview_for
from conversations.outcome import Outcome, evaluate
from knowledge import Notice, default_notice
from tests.support.paths import every_path

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent
NOTICE_YAML = REPO_DIR / "knowledge" / "notices" / "2021-xinjiang-nonferrous.yaml"
# The single source of truth, as published, in the shared folder beside the repository (CI has it
# there). The copy beside the YAML must be the same text.
OFFICIAL_NOTICE_TXT = REPO_DIR.parent / "shared" / "notices" / "2021-xinjiang-nonferrous-notice.txt"
BUNDLED_NOTICE_TXT = REPO_DIR / "knowledge" / "notices" / "2021-xinjiang-nonferrous-notice.txt"
BUNDLED_LEXICON = REPO_DIR / "knowledge" / "notices" / "2021-xinjiang-nonferrous.lexicon.yaml"
FIXTURES_DIR = TESTS_DIR / "fixtures"
EXAMPLES_DIR = REPO_DIR / "examples" / "cases"

_WHITESPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """The text with all whitespace removed, the way quotes are compared with the notice."""
    return _WHITESPACE.sub("", text)


def walk_paths(notice: Notice) -> Iterator[dict[str, str]]:
    """Every reachable finished path of answers, depth first, each in ask order."""
    return interview_for(notice).paths()


def split_clauses(text: str) -> dict[str, str]:
    """The notice cut into its clauses, keyed like the knowledge file's refs.

    一 … 七 are sections, 二（三） a paragraph of a section, 五（一）8 a numbered point of a
    paragraph; a parent's text includes its children. 联系方式 is the block of contacts and
    附件1 … 附件3 are the annexes. Built from the text alone, independently of the YAML.
    """
    clauses: dict[str, str] = {}
    start_contacts = text.index("联系人：")
    clauses["联系方式"] = text[start_contacts : text.index("附件：")]
    body = text[:start_contacts]
    sections = list(re.finditer(r"^[ \t\u3000]*([一二三四五六七八九十])、", body, re.M))
    for i, sec in enumerate(sections):
        sec_text = body[sec.start() : sections[i + 1].start() if i + 1 < len(sections) else len(body)]
        clauses[sec.group(1)] = sec_text
        paragraphs = list(re.finditer(r"^[ \t\u3000]*（([一二三四五六七八九十])）", sec_text, re.M))
        for j, par in enumerate(paragraphs):
            par_text = sec_text[par.start() : paragraphs[j + 1].start() if j + 1 < len(paragraphs) else len(sec_text)]
            par_ref = f"{sec.group(1)}（{par.group(1)}）"
            clauses[par_ref] = par_text
            points = list(re.finditer(r"^[ \t\u3000]*(\d+)[.．]", par_text, re.M))
            for k, point in enumerate(points):
                end = points[k + 1].start() if k + 1 < len(points) else len(par_text)
                clauses[f"{par_ref}{point.group(1)}"] = par_text[point.start() : end]
    annexes = list(re.finditer(r"^附件(\d)：", text, re.M))
    for i, annex in enumerate(annexes):
        end = annexes[i + 1].start() if i + 1 < len(annexes) else len(text)
        clauses[f"附件{annex.group(1)}"] = text[annex.start() : end]
    return clauses


def copy_companions(directory: Path) -> None:
    """Copy the files a variant of the bundled notice needs beside it: the notice text and the lexicon."""
    for path in (BUNDLED_NOTICE_TXT, BUNDLED_LEXICON):
        (directory / path.name).write_bytes(path.read_bytes())


def notice_text() -> str:
    """The official notice text. Its absence is an error, never a reason to check the bundled copy
    against itself."""
    if not OFFICIAL_NOTICE_TXT.is_file():
        pytest.fail(
            f"the official notice is missing: {OFFICIAL_NOTICE_TXT} (../shared/notices beside the "
            "repository); the knowledge file is checked against it",
            pytrace=False,
        )
    return OFFICIAL_NOTICE_TXT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def notice() -> Notice:
    return default_notice()


@pytest.fixture(scope="session")
def interview(notice: Notice):
    return interview_for(notice)


@pytest.fixture(scope="session")
def official_text() -> str:
    return notice_text()


@pytest.fixture(scope="session")
def clause_text(official_text: str) -> dict[str, str]:
    """Clause ref -> the words of that clause in the official notice."""
    return split_clauses(official_text)


@pytest.fixture(scope="session")
def path_walker() -> Callable[[Notice], Iterator[dict[str, str]]]:
    """The helper that enumerates every reachable path of answers of a notice."""
    return walk_paths


@pytest.fixture(scope="session")
def every_outcome(notice: Notice) -> list[tuple[dict[str, str], Outcome]]:
    """Every reachable path of the bundled notice with its outcome, each evaluated exactly once."""
    assert notice is default_notice()
    return [(answers, evaluate(notice, answers)) for answers in every_path()]
