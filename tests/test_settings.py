"""Settings: environment variables and an optional KEY=VALUE file, the environment winning."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import DEFAULT_API_BASE_URL, KEYS, PROXY_VARIABLES, Settings, SettingsError

VARIABLES = ("ZHICHENG_CONFIG", *KEYS, *PROXY_VARIABLES)
SALT = "0123456789abcdef0123456789abcdef"


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
    file.write_text(
        "# comment\nTELEGRAM_BOT_TOKEN=1:FILE\nTELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot\n"
        "ZHICHENG_DB='/srv/zb.sqlite3'\nZHICHENG_LOG_SALT=" + SALT + "\n",
        "utf-8",
    )
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


def test_a_webhook_without_a_secret_is_refused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:TEST")
    monkeypatch.setenv("ZHICHENG_LOG_SALT", SALT)
    monkeypatch.setenv("ZHICHENG_DB", str(tmp_path / "z.sqlite3"))
    assert main(["run", "--webhook", "https://bot.example.invalid/hook"]) == 2
    assert "ZHICHENG_WEBHOOK_SECRET" in caplog.text


def test_the_command_line_reports_bad_settings_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.env"
    file.write_text("ZHICHENG_WEBHOOK_PORT=eighty\n", "utf-8")
    assert main(["--config", str(file), "run"]) == 2
    expected = "invalid setting: ZHICHENG_WEBHOOK_PORT ('eighty') must be a number from 1 to 65535\n"
    assert capsys.readouterr().err == expected


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("ZHICHENG_LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("ZHICHENG_NOTICE", "1999-nothing", "is not a bundled notice; known: 2021-xinjiang-nonferrous"),
        ("ZHICHENG_NOTICE", "../notices/2021-xinjiang-nonferrous", "is not a bundled notice"),
        ("ZHICHENG_WEBHOOK_PORT", "70000", "must be a number from 1 to 65535"),
        ("ZHICHENG_WEBHOOK_PORT", "-1", "must be a number from 1 to 65535"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org/bot", "must start with http:// or https://"),
        ("TELEGRAM_API_BASE_URL", "https:///bot", "has no host name"),
        ("ZHICHENG_WEBHOOK_URL", "http://example.org/zhicheng", "must start with https://"),
        ("ZHICHENG_WEBHOOK_LISTEN", "not a host!", "is not an IP address or host name"),
        ("ZHICHENG_DB", ".", "is a folder"),
    ],
)
def test_each_bad_value_gets_one_line_naming_the_setting_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(name, value)
    assert main(["health"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"invalid setting: {name} ({value!r}) {problem}")


def test_every_bad_value_is_reported_at_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZHICHENG_LOG_LEVEL", "LOUD")
    monkeypatch.setenv("ZHICHENG_WEBHOOK_PORT", "x")
    monkeypatch.setenv("ZHICHENG_NOTICE", "nope")
    assert main(["run"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[2] for line in lines] == ["ZHICHENG_NOTICE", "ZHICHENG_WEBHOOK_PORT", "ZHICHENG_LOG_LEVEL"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "no-colon-TOPSECRET"),
        ("ZHICHENG_WEBHOOK_SECRET", "has spaces TOPSECRET"),
        ("ZHICHENG_LOG_SALT", "TOPSECRET"),
    ],
)
def test_a_bad_secret_is_named_but_never_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"invalid setting: {name} " in err and "TOPSECRET" not in err


def test_a_token_needs_a_log_salt_and_the_message_says_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "ZHICHENG_LOG_SALT is required with TELEGRAM_BOT_TOKEN" in err and "secrets.token_hex" in err
    assert "123:abc" not in err


def test_the_log_salt_can_come_from_the_settings_file_and_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    file = tmp_path / "bot.env"
    file.write_text(
        f"TELEGRAM_BOT_TOKEN=42:SECRETTOKEN\nZHICHENG_LOG_SALT={SALT}\n"
        "ZHICHENG_WEBHOOK_SECRET=SECRETHOOK\nZHICHENG_LOG_LEVEL=debug\n",
        "utf-8",
    )
    settings = Settings.load(file)
    assert settings.log_salt == SALT and settings.log_level == "DEBUG"
    shown = repr(settings)
    assert "SECRET" not in shown and SALT not in shown and "db_path" in shown


def test_the_log_salt_changes_the_hashed_user_ids() -> None:
    from bot.logsafe import hashed, set_log_salt

    set_log_salt(SALT)
    first = hashed(12345)
    set_log_salt(SALT[::-1])
    assert hashed(12345) != first and len(first) == 12


def test_an_unknown_setting_in_the_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "bot.env"
    file.write_text("ZHICHENG_LOGLEVEL=DEBUG\n", "utf-8")
    with pytest.raises(SettingsError, match="line 1: unknown setting ZHICHENG_LOGLEVEL"):
        Settings.load(file)


def test_contact_ids_reminder_time_and_grace_are_read_and_checked() -> None:
    from bot.settings import Settings, SettingsError

    settings = Settings.from_values(
        {"ZHICHENG_CONTACT_IDS": "111, 222", "ZHICHENG_REMINDER_TIME": "09:30", "ZHICHENG_REMINDER_GRACE_HOURS": "2"}
    )
    assert settings.contact_ids == frozenset({111, 222})
    assert (settings.reminder_time.hour, settings.reminder_time.minute, settings.reminder_grace_hours) == (9, 30, 2.0)
    defaults = Settings.from_values({})
    assert defaults.contact_ids == frozenset() and defaults.reminder_time.hour == 10
    try:
        Settings.from_values(
            {"ZHICHENG_CONTACT_IDS": "alice", "ZHICHENG_REMINDER_TIME": "ten", "ZHICHENG_REMINDER_GRACE_HOURS": "-1"}
        )
    except SettingsError as exc:
        assert [p.split(" ")[0] for p in exc.problems] == [
            "ZHICHENG_CONTACT_IDS",
            "ZHICHENG_REMINDER_TIME",
            "ZHICHENG_REMINDER_GRACE_HOURS",
        ]
    else:
        raise AssertionError("bad values were accepted")


def test_without_config_the_services_settings_file_is_read_so_operator_commands_find_its_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.settings

    service_file = tmp_path / "zhicheng-bot.env"  # stands for /etc/zhicheng-bot/zhicheng-bot.env
    service_file.write_text(f"ZHICHENG_DB={tmp_path / 'service.sqlite3'}\nTZ=Asia/Urumqi\n", "utf-8")
    monkeypatch.setattr(bot.settings, "DEFAULT_CONFIG_FILE", service_file)
    assert Settings.load().db_path == tmp_path / "service.sqlite3"
    assert main(["health"]) == 1
    assert capsys.readouterr().out == f"unhealthy: storage {tmp_path / 'service.sqlite3'} does not exist\n"
    other = tmp_path / "other.env"
    other.write_text(f"ZHICHENG_DB={tmp_path / 'other.sqlite3'}\n", "utf-8")
    assert Settings.load(other).db_path == tmp_path / "other.sqlite3"  # --config names another
    monkeypatch.setattr(bot.settings, "DEFAULT_CONFIG_FILE", tmp_path / "absent.env")
    assert Settings.load().db_path == Path("data/zhicheng.sqlite3")


def test_a_settings_file_accepts_the_services_other_variables_but_not_a_misspelt_setting_of_the_bot(
    tmp_path: Path,
) -> None:
    file = tmp_path / "bot.env"
    file.write_text(
        "HTTPS_PROXY=http://proxy.office:3128\nNO_PROXY=localhost\nTZ=Asia/Shanghai\n"
        "PYTHONUNBUFFERED=1\nexport LANG=C.UTF-8\n",
        "utf-8",
    )
    assert Settings.load(file).proxy == "http://proxy.office:3128"
    file.write_text("TELEGRAM_TOKEN=1:x\n", "utf-8")
    with pytest.raises(SettingsError, match="line 1: unknown setting TELEGRAM_TOKEN"):
        Settings.load(file)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://proxy:21", "must be a proxy URL"),
        ("http://", "must be a proxy URL"),
        ("http://proxy:99999", "bad port"),
    ],
)
def test_a_bad_proxy_is_named_without_its_value_which_may_hold_a_password(value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_values({"ZHICHENG_PROXY": value})
    assert caught.value.problems[0].startswith("ZHICHENG_PROXY ") and problem in caught.value.problems[0]
    assert f"({value!r})" not in caught.value.problems[0] and value not in caught.value.problems[0].split(" ")[:3]


def test_unsafe_debug_is_a_flag_and_a_base_url_not_ending_in_bot_needs_its_file_url() -> None:
    assert Settings.from_values({"ZHICHENG_LOG_UNSAFE_DEBUG": "1"}).log_unsafe_debug is True
    assert Settings.from_values({}).log_unsafe_debug is False
    with pytest.raises(SettingsError, match="ZHICHENG_LOG_UNSAFE_DEBUG"):
        Settings.from_values({"ZHICHENG_LOG_UNSAFE_DEBUG": "sure"})
    with pytest.raises(SettingsError, match="TELEGRAM_API_FILE_URL"):
        Settings.from_values({"TELEGRAM_API_BASE_URL": "http://10.0.0.1/api"})
