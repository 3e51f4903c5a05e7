"""Compiles the gettext catalogs (.po -> .mo) as part of every install, editable or not.
Everything else about the package is in pyproject.toml."""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent))  # an isolated build runs this file from elsewhere
from conversations.i18n import compile_catalog  # noqa: E402  # the one place catalogs are compiled (needs babel)

LOCALE_DIR = Path("conversations") / "locale"


def compile_catalogs(target_root: Path) -> None:
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        mo_path = target_root / po_path.with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        mo_path.write_bytes(compile_catalog(po_path))


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        # An editable install serves the source tree, a regular one the build folder.
        compile_catalogs(Path(".") if getattr(self, "editable_mode", False) else Path(self.build_lib))


setup(cmdclass={"build_py": BuildPyWithCatalogs})
