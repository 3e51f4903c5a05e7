"""The deployment files: the systemd unit passes `systemd-analyze verify` (skipped, with the reason,
where systemd is missing; .ci/run installs it), runs unprivileged with its data folder as state
directory and its settings in an environment file; the nginx example passes `nginx -t` on the nginx
installed (Debian 12: 1.22), with a certificate made as README says; the examples agree with each other."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import KEYS, PROXY_VARIABLES, Settings

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


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (apt-get install systemd; .ci/run does it)",
)
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
    assert names and set(names) <= set(KEYS) | set(PROXY_VARIABLES)
    url = re.search(r"ZHICHENG_WEBHOOK_URL=(\S+)", example)
    assert url is not None
    path = "/" + url.group(1).split("/", 3)[3]
    nginx = (DEPLOY / "nginx-zhicheng-bot.conf").read_text("utf-8")
    assert f"location = {path} " in nginx and "location = /healthz " in nginx
    assert "listen 443 ssl" in nginx and "proxy_pass http://127.0.0.1:8443" in nginx


def test_the_example_settings_file_loads_and_names_the_database_of_the_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    # The operator commands read this file by themselves, so it must name the database the service uses.
    for name in (*KEYS, *PROXY_VARIABLES, "ZHICHENG_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.load(DEPLOY / "zhicheng-bot.env.example")
    assert f"ZHICHENG_DB={settings.db_path}" in unit_settings()["Environment"]


NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
OPENSSL = shutil.which("openssl")


def _nginx_test(site: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` of a site file inside a minimal main configuration, under a temporary prefix (no root
    needed), with a self-signed certificate made as README says in place of Let's Encrypt's."""
    assert NGINX is not None and OPENSSL is not None
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    if not cert.exists():
        subprocess.run(
            [
                OPENSSL,
                "req",
                "-newkey",
                "rsa:2048",
                "-sha256",
                "-nodes",
                "-x509",
                "-days",
                "3",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-subj",
                "/CN=bot.example.org",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    site_file = tmp_path / "zhicheng-bot.conf"
    site_file.write_text(
        site.replace("/etc/letsencrypt/live/bot.example.org/fullchain.pem", str(cert)).replace(
            "/etc/letsencrypt/live/bot.example.org/privkey.pem", str(key)
        ),
        "utf-8",
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {site_file};\n}}\n",
        "utf-8",
    )
    return subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(main), "-e", "stderr"], capture_output=True, text=True, timeout=60
    )


def _nginx_version() -> tuple[int, ...]:
    assert NGINX is not None
    shown = subprocess.run([NGINX, "-v"], capture_output=True, text=True, timeout=30).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", shown)
    assert found, shown
    return tuple(int(part) for part in found.groups())


needs_nginx = pytest.mark.skipif(
    NGINX is None or OPENSSL is None, reason="nginx or openssl is not installed (apt-get install nginx-light openssl)"
)


@needs_nginx
def test_the_nginx_example_passes_nginx_t_on_the_installed_nginx(tmp_path: Path) -> None:
    result = _nginx_test((DEPLOY / "nginx-zhicheng-bot.conf").read_text("utf-8"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@needs_nginx
def test_the_nginx_check_does_catch_a_directive_this_nginx_lacks(tmp_path: Path) -> None:
    """The control of the test above: `http2 on;` (nginx 1.25.1 and later) fails on Debian 12's 1.22."""
    if _nginx_version() >= (1, 25, 1):
        pytest.skip("this nginx knows `http2 on;`")
    site = (DEPLOY / "nginx-zhicheng-bot.conf").read_text("utf-8")
    site = site.replace("listen 443 ssl http2;", "listen 443 ssl;\n    http2 on;", 1)
    result = _nginx_test(site, tmp_path)
    assert result.returncode != 0 and 'unknown directive "http2"' in result.stderr


def test_the_nginx_example_passes_the_client_address_and_keeps_healthz_local() -> None:
    nginx = (DEPLOY / "nginx-zhicheng-bot.conf").read_text("utf-8")
    assert "proxy_set_header X-Real-IP $remote_addr;" in nginx
    assert "http2 on;" not in nginx.replace("`http2 on;`", "")  # only named in a comment


@needs_nginx
def test_the_first_certificate_step_of_readme_gives_a_port_80_server_that_nginx_accepts(tmp_path: Path) -> None:
    """README: nginx will not start with the example until the certificate exists, so the first one is
    obtained through the example's port-80 server alone, cut out with the awk line README gives."""
    readme = (ROOT / "README.md").read_text("utf-8")
    line = next(ln for ln in readme.replace("\\\n", " ").splitlines() if ln.startswith("awk '/^server"))
    command = line.split("| sudo tee")[0]
    site = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert "listen 80;" in site and "listen 443" not in site and "ssl_certificate" not in site
    assert "location /.well-known/acme-challenge/" in site and "server_name YOUR.NAME;" in site
    result = _nginx_test(site, tmp_path)
    assert result.returncode == 0, result.stderr
