"""Settings from environment variables and an optional KEY=VALUE file (environment wins)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import DEFAULT_NOTICE_ID

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DB_PATH = "data/zhicheng.sqlite3"


class SettingsError(ValueError):
    pass


def _read_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SettingsError(f"settings file {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise SettingsError(f"settings file {path}, line {number}: expected KEY=VALUE")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    api_base_url: str = DEFAULT_API_BASE_URL
    db_path: Path = Path(DEFAULT_DB_PATH)
    notice_id: str = DEFAULT_NOTICE_ID
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = None
    log_level: str = "INFO"

    @classmethod
    def load(cls, config_file: str | os.PathLike[str] | None = None) -> Settings:
        values: dict[str, str] = {}
        file = config_file or os.environ.get("ZHICHENG_CONFIG")
        if file:
            values.update(_read_file(Path(file)))
        values.update({k: v for k, v in os.environ.items() if k.startswith(("TELEGRAM_", "ZHICHENG_"))})

        def get(key: str, default: str | None = None) -> str | None:
            value = values.get(key)
            return value if value not in (None, "") else default

        try:
            port = int(get("ZHICHENG_WEBHOOK_PORT", "8443") or "8443")
        except ValueError as exc:
            raise SettingsError("ZHICHENG_WEBHOOK_PORT must be a number") from exc
        return cls(
            token=get("TELEGRAM_BOT_TOKEN"),
            api_base_url=get("TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL) or DEFAULT_API_BASE_URL,
            db_path=Path(get("ZHICHENG_DB", DEFAULT_DB_PATH) or DEFAULT_DB_PATH),
            notice_id=get("ZHICHENG_NOTICE", cls.notice_id) or cls.notice_id,
            webhook_listen=get("ZHICHENG_WEBHOOK_LISTEN", "0.0.0.0") or "0.0.0.0",
            webhook_port=port,
            webhook_secret=get("ZHICHENG_WEBHOOK_SECRET"),
            log_level=(get("ZHICHENG_LOG_LEVEL", "INFO") or "INFO").upper(),
        )
