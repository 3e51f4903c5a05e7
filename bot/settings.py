"""Settings from environment variables and an optional KEY=VALUE file (environment wins).

The file is the one the systemd unit reads as its EnvironmentFile (deploy/zhicheng-bot.env.example):
named by --config or ZHICHENG_CONFIG, else /etc/zhicheng-bot/zhicheng-bot.env when it exists, so the
operator commands (health, backup, broadcast) read the service's settings. Besides the bot's own
settings (ZHICHENG_*, TELEGRAM_*), a file may hold any other environment variable of the service
(HTTPS_PROXY, NO_PROXY, TZ …): those are accepted, and of them the proxy variables are read.

Every value is checked when the settings are loaded; each bad value becomes one line that names
the setting (never its value when it is a secret), and the command line exits with code 2.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from knowledge.loader import DEFAULT_NOTICE_ID, notice_files, notice_path

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# The settings file of the service (the systemd unit's EnvironmentFile), read when no other is named.
DEFAULT_CONFIG_FILE = Path("/etc/zhicheng-bot/zhicheng-bot.env")
DEFAULT_DB_PATH = "data/zhicheng.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SALT_LENGTH = 16
SALT_HINT = "make one with: python3 -c 'import secrets; print(secrets.token_hex(16))'"

# name of the setting -> field of Settings
KEYS = {
    "TELEGRAM_BOT_TOKEN": "token",
    "TELEGRAM_API_BASE_URL": "api_base_url",
    "ZHICHENG_DB": "db_path",
    "ZHICHENG_NOTICE": "notice_id",
    "ZHICHENG_WEBHOOK_URL": "webhook_url",
    "ZHICHENG_WEBHOOK_LISTEN": "webhook_listen",
    "ZHICHENG_WEBHOOK_PORT": "webhook_port",
    "ZHICHENG_WEBHOOK_SECRET": "webhook_secret",
    "ZHICHENG_LOG_LEVEL": "log_level",
    "ZHICHENG_LOG_SALT": "log_salt",
    "ZHICHENG_CONTACT_IDS": "contact_ids",
    "ZHICHENG_REMINDER_TIME": "reminder_time",
    "ZHICHENG_REMINDER_GRACE_HOURS": "reminder_grace_hours",
    "TELEGRAM_API_FILE_URL": "api_file_base_url",
    "ZHICHENG_WEBHOOK_CERT": "webhook_cert",
    "ZHICHENG_PROXY": "proxy",
    "ZHICHENG_LOG_UNSAFE_DEBUG": "log_unsafe_debug",
}
# The bot's own settings start so; any other name in a settings file is an environment variable of
# the service (systemd's EnvironmentFile passes it on), accepted without complaint.
OWN_PREFIXES = ("ZHICHENG_", "TELEGRAM_")
# Standard variables the bot reads: the proxy for its requests to the Bot API, as curl and httpx do.
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
SECRETS = frozenset({"TELEGRAM_BOT_TOKEN", "ZHICHENG_WEBHOOK_SECRET", "ZHICHENG_LOG_SALT"})
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


class SettingsError(ValueError):
    """One or more bad settings; `problems` holds one line per setting."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def _read_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise SettingsError(f"settings file {path}: {reason}") from exc
    problems = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key = key.strip()
        if not sep or not _ENV_NAME.match(key):
            problems.append(f"settings file {path}, line {number}: expected KEY=VALUE")
        elif key not in KEYS and key.startswith(OWN_PREFIXES):
            problems.append(f"settings file {path}, line {number}: unknown setting {key}")
        elif key in KEYS or key in PROXY_VARIABLES:
            values[key] = value.strip().strip('"').strip("'")
        # any other variable is the service's environment (TZ, LANG …): accepted, not the bot's
    if problems:
        raise SettingsError(problems)
    return values


def _url_problem(value: str, *, https_only: bool) -> str | None:
    parts = urlsplit(value)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes:
        return f"must start with {' or '.join(s + '://' for s in schemes)}"
    if not parts.hostname:
        return "has no host name"
    try:
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return "has a bad port"
    return None


def webhook_url_problem(url: str) -> str | None:
    """Why Telegram would not accept this webhook URL (it requires HTTPS), or None."""
    return _url_problem(url, https_only=True)


def _no_proxy(host: str, no_proxy: str) -> bool:
    """True when NO_PROXY (comma-separated host names, domains, '*') exempts the host, as curl reads it."""
    for entry in (e.strip().lower().lstrip(".") for e in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


def proxy_for(api_base_url: str, values: dict[str, str]) -> str | None:
    """The proxy of the requests to the Bot API: ZHICHENG_PROXY, else the standard variables for the
    scheme of the Bot API's URL (HTTPS_PROXY or HTTP_PROXY, then ALL_PROXY, upper case first), unless
    NO_PROXY names its host or the host is this machine."""
    if values.get("ZHICHENG_PROXY"):
        return values["ZHICHENG_PROXY"]
    parts = urlsplit(api_base_url)
    host = (parts.hostname or "").lower()
    no_proxy = values.get("NO_PROXY") or values.get("no_proxy") or ""
    if host in ("localhost", "127.0.0.1", "::1") or _no_proxy(host, no_proxy):
        return None
    scheme = "HTTPS" if parts.scheme == "https" else "HTTP"
    for name in (f"{scheme}_PROXY", f"{scheme.lower()}_proxy", "ALL_PROXY", "all_proxy"):
        if values.get(name):
            return values[name]
    return None


def _proxy_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        return "must be a proxy URL such as http://proxy.example.org:3128 (http, https, socks5 or socks5h)"
    try:
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return "has a bad port"
    if parts.scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        return "is a SOCKS proxy, which needs python-telegram-bot[socks] installed"
    return None


def derived_file_url(api_base_url: str) -> str | None:
    """The Bot API's file URL beside its method URL: …/bot -> …/file/bot (as api.telegram.org and the
    self-hosted telegram-bot-api server serve them); None when the method URL does not end in /bot."""
    stripped = api_base_url.rstrip("/")
    if not stripped.endswith("/bot"):
        return None
    return stripped.removesuffix("/bot") + "/file/bot"


def _certificate_problem(path: Path) -> str | None:
    try:
        text = path.read_text("ascii", errors="replace")
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if "PRIVATE KEY" in text:
        return "holds a private key; name the public certificate only (the key stays with nginx)"
    if "-----BEGIN CERTIFICATE-----" not in text:
        return "is not a PEM certificate (-----BEGIN CERTIFICATE-----)"
    return None


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOSTNAME.match(value))
    return True


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    db_path: Path = Path(DEFAULT_DB_PATH)
    notice_id: str = DEFAULT_NOTICE_ID
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    log_salt: str | None = field(default=None, repr=False)
    contact_ids: frozenset[int] = frozenset()  # Telegram user ids of the office's contact persons
    reminder_time: dt.time = dt.time(10, 0)  # in the notice's time zone
    reminder_grace_hours: float = 6.0
    api_file_base_url: str | None = None  # TELEGRAM_API_FILE_URL; None: beside api_base_url
    webhook_cert: Path | None = None  # public certificate uploaded with setWebhook (self-signed)
    proxy: str | None = field(default=None, repr=False)  # may carry a password
    log_unsafe_debug: bool = False  # ZHICHENG_LOG_UNSAFE_DEBUG=1: the libraries' debug lines too

    @property
    def api_file_url(self) -> str:
        """Where files are downloaded from (PTB's base_file_url): the same Bot API server as the methods."""
        return self.api_file_base_url or derived_file_url(self.api_base_url) or DEFAULT_API_BASE_URL

    @property
    def reminder_grace(self) -> dt.timedelta:
        """How late a reminder may still go out after its time (the bot was down)."""
        return dt.timedelta(hours=self.reminder_grace_hours)

    @classmethod
    def load(cls, config_file: str | os.PathLike[str] | None = None) -> Settings:
        """The settings from `config_file` (or $ZHICHENG_CONFIG, or the service's file when it exists)
        and the environment, checked."""
        values: dict[str, str] = {}
        file = config_file or os.environ.get("ZHICHENG_CONFIG")
        if not file and DEFAULT_CONFIG_FILE.exists():
            file = DEFAULT_CONFIG_FILE
        if file:
            values.update(_read_file(Path(file)))
        values.update({k: v for k, v in os.environ.items() if k in KEYS or k in PROXY_VARIABLES})
        return cls.from_values({k: v.strip() for k, v in values.items() if v.strip()})

    @classmethod
    def from_values(cls, values: dict[str, str]) -> Settings:
        problems: list[str] = []
        kwargs: dict[str, object] = {}

        def bad(key: str, problem: str) -> None:
            shown = "" if key in SECRETS else f" ({values[key]!r})"
            problems.append(f"{key}{shown} {problem}")

        for key, name in KEYS.items():
            if key in values:
                kwargs[name] = values[key]
        kwargs.pop("log_unsafe_debug", None)
        kwargs.pop("webhook_cert", None)

        token = values.get("TELEGRAM_BOT_TOKEN")
        if token is not None and not _TOKEN.match(token):
            bad("TELEGRAM_BOT_TOKEN", "is not a token as @BotFather gives it (digits, a colon, then letters)")
        if "TELEGRAM_API_BASE_URL" in values:
            problem = _url_problem(values["TELEGRAM_API_BASE_URL"], https_only=False)
            if problem:
                bad("TELEGRAM_API_BASE_URL", problem)
            elif "TELEGRAM_API_FILE_URL" not in values and derived_file_url(values["TELEGRAM_API_BASE_URL"]) is None:
                bad(
                    "TELEGRAM_API_BASE_URL",
                    "does not end in /bot; name the server's file URL in "
                    "TELEGRAM_API_FILE_URL (for example http://127.0.0.1:8081/file/bot)",
                )
        if "TELEGRAM_API_FILE_URL" in values:
            problem = _url_problem(values["TELEGRAM_API_FILE_URL"], https_only=False)
            if problem:
                bad("TELEGRAM_API_FILE_URL", problem)
        if "ZHICHENG_DB" in values:
            db_path = Path(values["ZHICHENG_DB"])
            kwargs["db_path"] = db_path
            if db_path.is_dir():
                bad("ZHICHENG_DB", "is a folder; name the SQLite file, for example data/zhicheng.sqlite3")
        notice_id = values.get("ZHICHENG_NOTICE")
        if notice_id is not None and ("/" in notice_id or not notice_path(notice_id).is_file()):
            bad("ZHICHENG_NOTICE", "is not a bundled notice; known: " + ", ".join(p.stem for p in notice_files()))
        if "ZHICHENG_WEBHOOK_URL" in values:
            problem = webhook_url_problem(values["ZHICHENG_WEBHOOK_URL"])
            if problem:
                bad("ZHICHENG_WEBHOOK_URL", problem + " (Telegram sends webhooks over HTTPS only)")
        if "ZHICHENG_WEBHOOK_LISTEN" in values and not _is_host(values["ZHICHENG_WEBHOOK_LISTEN"]):
            bad("ZHICHENG_WEBHOOK_LISTEN", "is not an IP address or host name")
        if "ZHICHENG_WEBHOOK_PORT" in values:
            port = values["ZHICHENG_WEBHOOK_PORT"]
            if not port.isdigit() or not 1 <= int(port) <= 65535:
                bad("ZHICHENG_WEBHOOK_PORT", "must be a number from 1 to 65535")
            else:
                kwargs["webhook_port"] = int(port)
        secret = values.get("ZHICHENG_WEBHOOK_SECRET")
        if secret is not None and not _WEBHOOK_SECRET.match(secret):
            bad("ZHICHENG_WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if "ZHICHENG_LOG_LEVEL" in values:
            level = values["ZHICHENG_LOG_LEVEL"].upper()
            kwargs["log_level"] = level
            if level not in LOG_LEVELS:
                bad("ZHICHENG_LOG_LEVEL", "must be one of " + ", ".join(LOG_LEVELS))
        salt = values.get("ZHICHENG_LOG_SALT")
        if salt is not None and len(salt) < MIN_SALT_LENGTH:
            bad("ZHICHENG_LOG_SALT", f"must be at least {MIN_SALT_LENGTH} characters; {SALT_HINT}")
        elif salt is None and token is not None:
            problems.append(
                f"ZHICHENG_LOG_SALT is required with TELEGRAM_BOT_TOKEN "
                f"(it keeps the user ids in the logs one-way); {SALT_HINT}"
            )
        if "ZHICHENG_CONTACT_IDS" in values:
            parts = [p.strip() for p in values["ZHICHENG_CONTACT_IDS"].replace(";", ",").split(",") if p.strip()]
            if not parts or not all(p.isdigit() and 0 < int(p) < 2**63 for p in parts):
                bad("ZHICHENG_CONTACT_IDS", "must be Telegram user ids separated by commas, for example 12345,67890")
            else:
                kwargs["contact_ids"] = frozenset(int(p) for p in parts)
        if "ZHICHENG_REMINDER_TIME" in values:
            try:
                kwargs["reminder_time"] = dt.time.fromisoformat(values["ZHICHENG_REMINDER_TIME"])
            except ValueError:
                bad("ZHICHENG_REMINDER_TIME", "must be a time of day such as 10:00")
        if "ZHICHENG_REMINDER_GRACE_HOURS" in values:
            try:
                hours = float(values["ZHICHENG_REMINDER_GRACE_HOURS"])
            except ValueError:
                hours = -1.0
            if not 0 <= hours <= 72:
                bad("ZHICHENG_REMINDER_GRACE_HOURS", "must be a number of hours from 0 to 72")
            else:
                kwargs["reminder_grace_hours"] = hours
        if "ZHICHENG_WEBHOOK_CERT" in values:
            cert = Path(values["ZHICHENG_WEBHOOK_CERT"])
            problem = _certificate_problem(cert)
            if problem:
                bad("ZHICHENG_WEBHOOK_CERT", problem)
            else:
                kwargs["webhook_cert"] = cert
        proxy = proxy_for(values.get("TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL), values)
        kwargs["proxy"] = proxy
        if proxy is not None:
            problem = _proxy_problem(proxy)
            if problem:
                name = next((k for k in ("ZHICHENG_PROXY", *PROXY_VARIABLES) if values.get(k) == proxy), "proxy")
                problems.append(f"{name} {problem}")  # the value is not shown: it may hold a password
        if "ZHICHENG_LOG_UNSAFE_DEBUG" in values:
            flag = values["ZHICHENG_LOG_UNSAFE_DEBUG"].lower()
            if flag not in ("0", "1", "yes", "no", "true", "false"):
                bad("ZHICHENG_LOG_UNSAFE_DEBUG", "must be 1 (on) or 0 (off)")
            kwargs["log_unsafe_debug"] = flag in ("1", "yes", "true")
        if problems:
            raise SettingsError(problems)
        return cls(**kwargs)  # type: ignore[arg-type]
