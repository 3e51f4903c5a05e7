"""The deployment files: the systemd unit passes `systemd-analyze verify` (skipped, with the reason,
where systemd is missing; .ci/run installs it), runs unprivileged with its data folder as state
directory and its settings in an environment file; the examples agree with each other."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import KEYS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "zhicheng-bot.service"


def unit_settings() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in UNIT.read_text("utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (apt-get install systemd; .ci/run does it)")
def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this installation's command.
    command = Path(sys.executable).parent / "zhicheng-bot"
    assert command.exists()
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text("utf-8").replace("/opt/zhicheng-bot/bin/zhicheng-bot", str(command)), "utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert UNIT.name not in result.stdout + result.stderr, result.stdout + result.stderr  # no warning about it


def test_the_unit_runs_unprivileged_with_its_state_directory_and_environment_file() -> None:
    unit = unit_settings()
    assert unit["User"] == ["zhicheng"] and unit["NoNewPrivileges"] == ["yes"]
    assert unit["StateDirectory"] == ["zhicheng-bot"]
    assert unit["Environment"] == ["ZHICHENG_DB=/var/lib/zhicheng-bot/zhicheng.sqlite3"]
    assert unit["EnvironmentFile"] == ["/etc/zhicheng-bot/zhicheng-bot.env"]
    assert unit["ExecStart"] == ["/opt/zhicheng-bot/bin/zhicheng-bot run"]
    assert unit["RestartPreventExitStatus"] == ["2"]  # bad settings and a rejected token are not retried


def test_the_example_settings_are_known_settings_and_the_proxy_serves_the_webhook_path() -> None:
    example = (DEPLOY / "zhicheng-bot.env.example").read_text("utf-8")
    names = re.findall(r"^#? ?([A-Z_]+)=", example, re.M)
    assert names and set(names) <= set(KEYS)
    url = re.search(r"ZHICHENG_WEBHOOK_URL=(\S+)", example)
    assert url is not None
    path = "/" + url.group(1).split("/", 3)[3]
    nginx = (DEPLOY / "nginx-zhicheng-bot.conf").read_text("utf-8")
    assert f"location = {path} " in nginx and "location = /healthz " in nginx
    assert "listen 443 ssl" in nginx and "proxy_pass http://127.0.0.1:8443" in nginx
