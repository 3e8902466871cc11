"""Application settings, read from environment variables and an optional `.env` file.

Kept free of aiogram so that `sellerbot --help` and `check-config` stay fast.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import SplitResult, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from domain.locales import SUPPORTED_LOCALES

DEFAULT_DATA_DIR = Path("data")
# What the webhook server (`sellerbot webhook`) serves besides Telegram's webhook; WEBHOOK_URL's
# path may not be one of them. The 17TRACK push path is notifications.tracking.poller.PUSH_PATH.
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
SERVED_PATHS = frozenset({HEALTH_PATH, READY_PATH, METRICS_PATH, "/tracking/17track"})
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


class Settings(BaseSettings):
    """Everything the bot can be configured with; see README "Configuration"."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # A validation report must never carry a value back out: some of them are secrets.
        hide_input_in_errors=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str | None = Field(
        default=None, description="Base URL of a Bot API server, e.g. an emulator"
    )
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    redis_url: str | None = None
    # A PostgreSQL or Redis host that takes the connection and never answers fails after this.
    connect_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    operator_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_locale: str = "en"
    # JSON lines for log collectors, readable text in a terminal; `auto` tells them apart.
    log_format: str = Field(default="auto", pattern="^(auto|json|console)$")

    # Outgoing message limits (Telegram's documented limits, with head-room).
    send_global_rate_per_second: float = Field(default=25.0, gt=0, le=30)
    # Fan-out (the outbox) as Telegram's paid broadcasts, above the free 30/s, paid in Stars,
    # at this rate of its own (Telegram allows up to 1,000/s). Off by default.
    send_paid_broadcast: bool = False
    send_paid_broadcast_rate_per_second: float = Field(default=100.0, gt=0, le=1000)
    # 1 msg/s per chat is Telegram's rule; the extra 50 ms absorbs network jitter.
    send_private_chat_interval_seconds: float = Field(default=1.05, ge=0)
    send_group_per_minute: int = Field(default=20, gt=0, le=20)
    send_max_attempts: int = Field(default=8, ge=1, le=50)
    # Days a notification is kept after it was sent (or given up, or left paused because the
    # recipient blocked the bot); /privacy tells users this figure.
    outbox_retention_days: int = Field(default=30, ge=1, le=3650)
    # How long a claimed notification stays this process's (renewed while it waits): after a
    # crash, its unsent and unrecorded rows are sent by another process once this runs out.
    outbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)

    # Inbound flood protection: more than `flood_max_updates` updates within
    # `flood_window_seconds` from one user are dropped.
    flood_max_updates: int = Field(default=20, ge=1)
    flood_window_seconds: float = Field(default=5.0, gt=0)

    # Shipment tracking: the provider, its API key (a secret) and the polling interval.
    tracking_provider: str = Field(default="simulated", pattern="^(simulated|17track)$")
    tracking_api_key: SecretStr | None = None
    tracking_poll_seconds: int = Field(default=300, ge=10)
    # The simulated provider appends every call it answers to this file (JSON lines): how the
    # cluster test sees which process polled which shipment. Unset: no such file.
    tracking_simulated_call_log: Path | None = None
    # The seller is alerted when a parcel shows no event for this many days, per method.
    tracking_stale_days_express: int = Field(default=4, ge=1, le=60)
    tracking_stale_days_land: int = Field(default=7, ge=1, le=90)
    tracking_stale_days_sea: int = Field(default=14, ge=1, le=120)

    # Goods safety: orders worth more than this (in the order's currency) need a photo of the
    # packed parcel before the shipping document is final.
    parcel_photo_min_order_value: Decimal = Field(default=Decimal("200"), ge=0)

    # Return cases: the seller answers a new case, either side answers an offer, the buyer
    # ships an agreed return within these (the marketplace's 5 days, 72 hours, 10 days), and
    # the store records an agreed refund within this many days of owing it.
    return_seller_answer_days: int = Field(default=5, ge=1, le=30)
    return_offer_answer_hours: int = Field(default=72, ge=2, le=720)
    return_ship_days: int = Field(default=10, ge=1, le=30)
    return_refund_days: int = Field(default=7, ge=1, le=30)

    # Order imports add no new orders while the store holds this many open (not yet shipped)
    # orders; the rows per file and one import at a time per seller are fixed limits.
    # (the default is domain.services.orders.import_jobs.DEFAULT_MAX_OPEN_ORDERS, not imported
    # here: this module stays light.)
    import_max_open_orders: int = Field(default=10_000, ge=1, le=1_000_000)

    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8080, ge=0, le=65535)

    # Webhook mode (`sellerbot webhook`, see docs/deploy.md): the public URL Telegram posts
    # updates to (its path is where the server receives them), the secret Telegram sends back
    # with each one, where the server listens (behind a TLS proxy), how many connections
    # Telegram may open at once, and whether the webhook is removed when the server stops.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    webhook_delete_on_stop: bool = True
    # Whether `sellerbot webhook` also runs the scheduled work (outbox, tracking, reminders,
    # return deadlines). Off: that work belongs to `sellerbot worker` processes, and a webhook
    # process only takes updates and sends their replies (docs/deploy.md, "Processes").
    run_jobs_in_webhook: bool = False

    # `sellerbot worker`: where its health, readiness and metrics server listens.
    worker_http_host: str = "127.0.0.1"
    worker_http_port: int = Field(default=8082, ge=1, le=65535)

    # SIGTERM: how long in-flight updates, sends and jobs get to finish before they are
    # cancelled. Below OUTBOX_LEASE_SECONDS, so rows are handed back while still ours.
    shutdown_timeout_seconds: float = Field(default=20.0, gt=0, le=50)

    @field_validator("operator_ids", mode="before")
    @classmethod
    def _parse_operator_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return _parse_id_list(value)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("operator_ids")
    @classmethod
    def _check_operator_ids(cls, value: frozenset[int]) -> frozenset[int]:
        # Telegram user ids are positive; a negative one is a group or channel.
        if any(user_id <= 0 for user_id in value):
            raise ValueError("must be positive Telegram user ids (a negative id is a group)")
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

    @field_validator("telegram_api_base")
    @classmethod
    def _check_api_base(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        _http_url(
            value.strip(),
            not_http="must be an http:// or https:// URL with a host (and a valid port), "
            "e.g. http://127.0.0.1:8081",
            not_plain="must be a base URL without ?query or #fragment",
        )
        # aiogram appends "/bot<token>/<method>" to it.
        return value.strip().rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = _split_url(value.strip())
        if parts is None or parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                "must be a redis://host:port/db, rediss://host:port/db or unix:///path URL"
            )
        if parts.scheme == "unix":
            if not parts.path:
                raise ValueError("a unix:// URL needs the socket path, e.g. unix:///run/redis.sock")
        elif parts.path.strip("/") and not parts.path.strip("/").isdigit():
            raise ValueError(
                "the database after the host must be a number, e.g. redis://host:6379/0"
            )
        return value.strip()

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = _http_url(
            value.strip(),
            not_http="must be the https:// URL Telegram posts updates to",
            not_plain="must be a URL without ?query or #fragment",
        )
        path = parts.path.rstrip("/")
        if not path:
            raise ValueError("needs a path, e.g. https://bot.example.org/telegram/webhook")
        if path in SERVED_PATHS:
            raise ValueError(f"cannot use the path {path}: the webhook server serves it already")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        # Anyone who knows it can post updates as any user: long enough not to be guessed.
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value().strip()):
            raise ValueError("must be 16 to 256 characters, only A-Z, a-z, 0-9, _ and -")
        return SecretStr(value.get_secret_value().strip())

    @model_validator(mode="after")
    def _check_webhook_scheme(self) -> Self:
        # Telegram posts only to https://; a local Bot API server (TELEGRAM_API_BASE) also to
        # http://, which is how the webhook is tested against the emulator.
        if (
            self.webhook_url
            and not self.webhook_url.startswith("https://")
            and self.telegram_api_base is None
        ):
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "webhook_url",
                            "must be an https:// URL: Telegram posts only to https "
                            "(http:// is accepted with TELEGRAM_API_BASE, a local Bot API server)",
                        ),
                        loc=("webhook_url",),
                        input=self.webhook_url,
                    )
                ],
            )
        return self

    @model_validator(mode="after")
    def _check_shutdown_within_lease(self) -> Self:
        # A stopping process hands back what it claimed; after its lease ran out another
        # process may be sending the same rows.
        if self.shutdown_timeout_seconds >= self.outbox_lease_seconds:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "shutdown_timeout_seconds",
                            "must be below OUTBOX_LEASE_SECONDS ({lease})",
                            {"lease": f"{self.outbox_lease_seconds:g}"},
                        ),
                        loc=("shutdown_timeout_seconds",),
                        input=self.shutdown_timeout_seconds,
                    )
                ],
            )
        return self

    @model_validator(mode="after")
    def _check_data_dir(self) -> Self:
        # Only where DATA_DIR is used: the embedded SQLite database and the sandbox.
        if self.database_url is not None and self.telegram_bot_token is not None:
            return self
        problem = _unusable_directory(self.data_dir)
        if problem is not None:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("data_dir", "{problem}", {"problem": problem}),
                        loc=("data_dir",),
                        input=str(self.data_dir),
                    )
                ],
            )
        return self

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

    @property
    def webhook_path(self) -> str:
        """Where the webhook server receives Telegram's updates: WEBHOOK_URL's path."""
        return urlsplit(self.webhook_url or "").path.rstrip("/") or "/"

    def webhook_mode_problem(self) -> str | None:
        """Why `sellerbot webhook` cannot run with these settings, or None."""
        if self.telegram_bot_token is None:
            return "sellerbot webhook needs TELEGRAM_BOT_TOKEN (the sandbox runs with polling)"
        if self.webhook_url is None:
            return "sellerbot webhook needs WEBHOOK_URL, the https:// URL Telegram posts to"
        if self.webhook_secret is None:
            return "sellerbot webhook needs WEBHOOK_SECRET (16 to 256 of A-Z a-z 0-9 _ -)"
        return None


_OPERATOR_IDS_FORM = "must be Telegram user ids, comma-separated (1,2) or a JSON list ([1, 2])"


def _parse_id_list(text: str) -> frozenset[int]:
    """Comma/semicolon/space separated ids, or the JSON list form pydantic users write."""
    text = text.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            raise ValueError(_OPERATOR_IDS_FORM) from None
        if not isinstance(items, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in items
        ):
            raise ValueError(_OPERATOR_IDS_FORM)
        return frozenset(items)
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        return frozenset(int(p) for p in parts)
    except ValueError:
        raise ValueError(_OPERATOR_IDS_FORM) from None


def _http_url(value: str, *, not_http: str, not_plain: str) -> SplitResult:
    """An http(s):// URL with a host and no ?query or #fragment; `not_http` and `not_plain`
    say what is wrong otherwise."""
    parts = _split_url(value)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(not_http)
    if parts.query or parts.fragment:
        raise ValueError(not_plain)
    return parts


def _split_url(value: str) -> SplitResult | None:
    """The URL's parts, or None when it cannot be parsed (a bad port, an unclosed bracket)."""
    if any(ch.isspace() for ch in value):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (parsing the port is the check: it raises on a bad one)
    except ValueError:
        return None
    return parts


def _unusable_directory(path: Path) -> str | None:
    """Why the bot could not create `path` or write into it, or None if it can."""
    try:
        if path.exists():
            if not path.is_dir():
                return f"{path} is not a directory"
            if not os.access(path, os.W_OK | os.X_OK):
                return f"{path} is not writable"
            return None
        existing = next(parent for parent in path.absolute().parents if parent.exists())
    except OSError as error:
        return f"{path} is not accessible ({error.strerror or error})"
    if not existing.is_dir():
        return f"{path} cannot be created: {existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{path} cannot be created: {existing} is not writable"
    return None


class SettingsError(Exception):
    """A configuration problem, phrased as one line for the person running the bot."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings; turn pydantic's report into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except SourceError as exc:
        # pydantic-settings names the field, never the value.
        raise SettingsError(f"invalid settings: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = "_".join(str(p) for p in first["loc"]).upper() or "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {variable}: {message}") from None
