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
        "bot.store.migrations"}
    assert bot_data | {"bot.store.migrations", "conversations.templates", "conversations.locale.zh_Hans.LC_MESSAGES",
                       "knowledge.notices"} <= found
