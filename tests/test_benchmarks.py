"""Every benchmark script still starts: its imports resolve and it parses its arguments (--help).

The benchmarks print figures and take minutes, so they are not run here; this catches a script left
behind when a module it imports moves (as upload_latency.py was, once)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(p for p in (ROOT / "benchmarks").glob("*.py") if 'if __name__ == "__main__"' in p.read_text("utf-8"))

# One interpreter runs every script's --help in turn (a process each would cost a second apiece).
RUNNER = """
import contextlib, io, os, runpy, sys
failed = []
for path in sys.argv[1:]:
    sys.path.insert(0, os.path.dirname(path))  # as when the script is run: its folder first
    sys.argv = [path, "--help"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (0, None) or "usage:" not in out.getvalue():
            failed.append(f"{path}: exit {exc.code}")
    except BaseException as exc:
        failed.append(f"{path}: {type(exc).__name__}: {exc}")
    else:
        failed.append(f"{path}: --help did not exit")
print("\\n".join(failed))
"""


def test_there_are_benchmarks_to_check() -> None:
    assert len(SCRIPTS) >= 10, SCRIPTS


def test_every_benchmark_script_starts_and_prints_its_usage() -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *map(str, SCRIPTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", done.stdout
