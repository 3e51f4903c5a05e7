"""Packaging: the licence declared in pyproject.toml is the LICENSE file's, and the data folders are
declared so that templates, catalogs and notices are installed with the code."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_declared_license_is_an_spdx_expression_matching_the_license_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License\n")


def test_the_checkers_are_pinned_so_that_make_check_gives_one_result_everywhere() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]["dev"]
    pinned = {d.split("==")[0] for d in dev if "==" in d}
    assert {"ruff", "mypy"} <= pinned


def test_every_data_folder_is_found_as_a_package_so_its_files_are_installed() -> None:
    setuptools = pytest.importorskip("setuptools", reason="setuptools is not installed in this environment")
    find_namespace_packages = setuptools.find_namespace_packages
    found = set(find_namespace_packages(str(ROOT), include=["bot*", "conversations*", "knowledge*"]))
    bot_data = {".".join(folder.relative_to(ROOT).parts) for folder in (ROOT / "bot").rglob("templates")}
    assert {"bot.chat.templates", "bot.features.interview.templates", "bot.store.migrations"} <= bot_data | {
        "bot.store.migrations"
    }
    assert (
        bot_data
        | {
            "bot.store.migrations",
            "conversations.templates",
            "conversations.locale.zh_Hans.LC_MESSAGES",
            "knowledge.notices",
        }
        <= found
    )


def test_a_wheel_builds_without_a_single_setuptools_warning_and_holds_the_data_files(tmp_path: Path) -> None:
    """Built the way pip builds it (setuptools' build_meta), from a copy of the sources, with every
    Python warning shown; the templates, the compiled catalogs and the notices are in the wheel."""
    import re
    import shutil
    import subprocess
    import sys
    import zipfile

    setuptools = pytest.importorskip("setuptools", reason="setuptools is not installed in this environment")
    required = tuple(int(x) for x in re.findall(r"setuptools>=(\d+)", (ROOT / "pyproject.toml").read_text())[:1])
    if tuple(int(x) for x in setuptools.__version__.split(".")[:1]) < required:
        pytest.skip(
            f"setuptools {setuptools.__version__} is older than the build needs ({required[0]}); "
            "pip install -e '.[dev]' brings a new one"
        )
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("bot", "conversations", "knowledge"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    out = tmp_path / "dist"
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "always",
            "-c",
            "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))",
            str(out),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    shown = result.stdout + result.stderr
    warnings = [
        line
        for line in shown.splitlines()
        if re.search(r"Warning\b|deprecat", line, re.I) and "byte-compiling is disabled" not in line
    ]
    assert warnings == []
    wheel = out / result.stdout.strip().splitlines()[-1]
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "conversations/templates/checklist.html",
        "conversations/locale/zh_Hans/LC_MESSAGES/messages.mo",
        "knowledge/notices/2021-xinjiang-nonferrous.yaml",
        "knowledge/notices/2021-xinjiang-nonferrous-notice.txt",
        "bot/features/interview/templates/welcome.tg",
        "bot/chat/templates/question.tg",
        "bot/store/migrations/m001_users_interviews_answers_ticks.sql",
        "knowledge/notice.schema.json",
    } <= names
