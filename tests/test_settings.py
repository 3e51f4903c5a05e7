"""Settings: environment variables and an optional KEY=VALUE file, the environment winning."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import DEFAULT_API_BASE_URL, Settings, SettingsError

VARIABLES = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "ZHICHENG_DB", "ZHICHENG_NOTICE", "ZHICHENG_CONFIG",
             "ZHICHENG_WEBHOOK_PORT", "ZHICHENG_WEBHOOK_SECRET", "ZHICHENG_LOG_LEVEL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_without_anything_set_the_bot_has_no_token_and_uses_data_folder() -> None:
    settings = Settings.load()
    assert settings.token is None
    assert settings.api_base_url == DEFAULT_API_BASE_URL
    assert settings.db_path == Path("data/zhicheng.sqlite3")


def test_a_settings_file_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "bot.env"
    file.write_text("# comment\nTELEGRAM_BOT_TOKEN=1:FILE\nTELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot\n"
                    "ZHICHENG_DB='/srv/zb.sqlite3'\n", "utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "2:ENV")
    settings = Settings.load(file)
    assert settings.token == "2:ENV"
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.db_path == Path("/srv/zb.sqlite3")


@pytest.mark.parametrize("content", ["NOT A SETTING\n", "ZHICHENG_WEBHOOK_PORT=eighty\n"])
def test_a_malformed_settings_file_is_refused_with_its_reason(tmp_path: Path, content: str) -> None:
    file = tmp_path / "bad.env"
    file.write_text(content, "utf-8")
    with pytest.raises(SettingsError):
        Settings.load(file)


def test_run_without_a_token_explains_and_exits_2(caplog: pytest.LogCaptureFixture) -> None:
    assert main(["run"]) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in caplog.text


def test_a_webhook_without_a_secret_is_refused(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:TEST")
    monkeypatch.setenv("ZHICHENG_DB", str(tmp_path / "z.sqlite3"))
    assert main(["run", "--webhook", "https://bot.example.invalid/hook"]) == 2
    assert "ZHICHENG_WEBHOOK_SECRET" in caplog.text


def test_the_command_line_reports_bad_settings_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.env"
    file.write_text("ZHICHENG_WEBHOOK_PORT=eighty\n", "utf-8")
    assert main(["--config", str(file), "run"]) == 2
    assert "invalid settings: ZHICHENG_WEBHOOK_PORT must be a number" in capsys.readouterr().err
