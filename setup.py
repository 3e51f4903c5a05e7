"""Compiles the gettext catalogs (.po -> .mo) as part of every install, editable or not.
Everything else about the package is in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE_DIR = Path("conversations") / "locale"


def compile_catalogs(target_root: Path) -> None:
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        mo_path = target_root / po_path.with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog, use_fuzzy=False)


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        # An editable install serves the source tree, a regular one the build folder.
        compile_catalogs(Path(".") if getattr(self, "editable_mode", False) else Path(self.build_lib))


setup(cmdclass={"build_py": BuildPyWithCatalogs})
