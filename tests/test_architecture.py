"""The layout holds: imports go one way (bot -> conversations -> knowledge), infrastructure (the
chat core, the store, delivery, the adapters) never imports a feature, there is no import circle
(typing-only imports included), every feature package is on the one list, and the private
aiosqlite path the store uses is there in the pinned range."""

from __future__ import annotations

import ast
import tomllib
from functools import cache
from pathlib import Path

import aiosqlite
import pytest

from bot import features
from bot.store.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "conversations", "knowledge")
INFRASTRUCTURE = ("bot.chat", "bot.store", "bot.delivery", "bot.telegram", "bot.console")
COMPOSITION = ("bot.app", "bot.cli", "bot.features")  # the only places that import features


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


@cache
def imports_of(name: str) -> frozenset[str]:
    """The project modules a module imports, anywhere in it (functions and typing-only blocks too)."""
    known = modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(known[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return frozenset(m for m in found if m in known and m != name)


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_imports_go_one_way_bot_then_conversations_then_knowledge() -> None:
    wrong = [
        (m, i)
        for m in modules()
        for i in imports_of(m)
        if (m.startswith("knowledge") and i.split(".")[0] in ("bot", "conversations"))
        or (m.startswith("conversations") and i.startswith("bot"))
    ]
    assert not wrong


def test_infrastructure_never_imports_a_feature_or_the_composition_root() -> None:
    wrong = [(m, i) for m in modules() if within(m, INFRASTRUCTURE) for i in imports_of(m) if within(i, COMPOSITION)]
    assert not wrong


def test_no_module_of_the_store_or_delivery_imports_a_feature_or_telegram() -> None:
    wrong = [
        (m, i)
        for m in modules()
        if within(m, ("bot.store", "bot.delivery"))
        for i in imports_of(m)
        if within(i, ("bot.features", "bot.telegram", "bot.console", "telegram"))
    ]
    assert not wrong
    for m in modules():
        if within(m, ("bot.store", "bot.delivery")):
            assert "from telegram" not in modules()[m].read_text(encoding="utf-8"), m


def test_there_is_no_import_circle() -> None:
    graph = {m: imports_of(m) for m in modules()}
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in done:
            return
        assert node not in visiting, " -> ".join([*path[path.index(node) :], node])
        visiting.add(node)
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        visiting.discard(node)
        done.add(node)

    for module in sorted(graph):
        visit(module, [])


def test_every_feature_package_is_on_the_one_list() -> None:
    """Every package of bot/features that can join the bot (it has a register function) is listed."""
    packages = {
        p.name
        for p in (ROOT / "bot" / "features").iterdir()
        if (p / "__init__.py").is_file() and "def register(" in (p / "__init__.py").read_text("utf-8")
    }
    listed = {f.__name__.rsplit(".", 1)[1] for f in features.FEATURES}
    assert listed == packages


def test_a_feature_registers_through_its_package_only() -> None:
    for feature in features.FEATURES:
        assert callable(getattr(feature, "register", None)), feature.__name__


def test_aiosqlite_is_in_the_pinned_range_and_offers_the_private_call_the_store_uses() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    [pin] = [d for d in dependencies if d.startswith("aiosqlite")]
    assert pin == "aiosqlite>=0.22,<0.23"
    major, minor, *_ = (int(x) for x in aiosqlite.__version__.split("."))
    assert (major, minor) == (0, 22), aiosqlite.__version__
    assert callable(getattr(aiosqlite.Connection, "_execute", None))
    assert isinstance(getattr(aiosqlite.Connection, "_conn", None), property)


async def test_a_transaction_runs_on_the_database_thread_and_rolls_back_what_raises(tmp_path: Path) -> None:
    storage = await Storage(tmp_path / "z.sqlite3").open()
    try:

        def fail(db: object) -> None:
            db.execute("INSERT INTO contact_persons VALUES (1, 1, 'now')")  # type: ignore[attr-defined]
            raise RuntimeError("after the insert")

        with pytest.raises(RuntimeError):
            await storage.atomically(fail)
        assert await storage.atomically(lambda db: db.execute("SELECT COUNT(*) FROM contact_persons").fetchone()) == (
            0,
        )
    finally:
        await storage.close()
