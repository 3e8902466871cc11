"""Logging: one readable line per event; secrets (the bot token) never reach a log line."""

from __future__ import annotations

import logging

from bot.settings import Settings


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                for secret in self._secrets:
                    message = message.replace(secret, "***")
                record.msg, record.args = message, None
        return True


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = []
    if settings.telegram_bot_token is not None:
        secrets.append(settings.telegram_bot_token.get_secret_value())
    if settings.tracking_api_key is not None:
        secrets.append(settings.tracking_api_key.get_secret_value())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiogram logs every update at INFO; that is noise at our scale.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # Start-up chatter a person running the bot does not need (migrations still log).
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
