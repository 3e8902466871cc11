"""Application settings, read from environment variables and an optional `.env` file.

Kept free of aiogram so that `sellerbot --help` and `check-config` stay fast.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.locales import SUPPORTED_LOCALES

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    """Everything the bot can be configured with; see README "Configuration"."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str | None = Field(
        default=None, description="Base URL of a Bot API server, e.g. an emulator"
    )
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    redis_url: str | None = None
    operator_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_locale: str = "en"

    # Outgoing message limits (Telegram's documented limits, with head-room).
    send_global_rate_per_second: float = Field(default=25.0, gt=0, le=30)
    # 1 msg/s per chat is Telegram's rule; the extra 50 ms absorbs network jitter.
    send_private_chat_interval_seconds: float = Field(default=1.05, ge=0)
    send_group_per_minute: int = Field(default=20, gt=0, le=20)
    send_max_attempts: int = Field(default=8, ge=1, le=50)
    # Days a notification is kept after it was sent (or given up, or left paused because the
    # recipient blocked the bot); /privacy tells users this figure.
    outbox_retention_days: int = Field(default=30, ge=1, le=3650)

    # Inbound flood protection: more than `flood_max_updates` updates within
    # `flood_window_seconds` from one user are dropped.
    flood_max_updates: int = Field(default=20, ge=1)
    flood_window_seconds: float = Field(default=5.0, gt=0)

    # Tracking provider (used from the tracking issue on).
    tracking_provider: str = Field(default="simulated", pattern="^(simulated|17track)$")
    tracking_api_key: SecretStr | None = None
    tracking_poll_seconds: int = Field(default=300, ge=10)

    # Goods safety: orders worth more than this (in the order's currency) need a photo of the
    # packed parcel before the shipping document is final.
    parcel_photo_min_order_value: Decimal = Field(default=Decimal("200"), ge=0)

    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8080, ge=0, le=65535)

    @field_validator("operator_ids", mode="before")
    @classmethod
    def _parse_operator_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("must be a comma-separated list of Telegram user ids") from None
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("default_locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        bot_id, sep, secret = token.partition(":")
        if not sep or not bot_id.isdigit() or not secret:
            raise ValueError("does not look like a bot token (expected '<digits>:<secret>')")
        return SecretStr(token)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sellerbot.sqlite3').resolve()}"

    @property
    def sandbox_mode(self) -> bool:
        """With no token the bot talks to the built-in emulator instead of Telegram."""
        return self.telegram_bot_token is None

    def is_operator(self, user_id: int) -> bool:
        return user_id in self.operator_ids


class SettingsError(Exception):
    """A configuration problem, phrased as one line for the person running the bot."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings; turn pydantic's report into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = "_".join(str(p) for p in first["loc"]).upper() or "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {variable}: {message}") from None
