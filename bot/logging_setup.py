"""Logging: one readable line per event, and no secret in anything the process prints.

The secrets are the bot token, the tracking API key, the webhook secret and the passwords
inside DATABASE_URL, REDIS_URL and TELEGRAM_API_BASE. They escape through more than log messages: aiohttp puts the
request URL, token included, into its exception text; a traceback repeats it; a warning or an
uncaught exception is written straight to stderr. So secrets are masked in three places:

- every log record, as it is created (a log record factory): the message, the formatted
  exception and the stack, so every handler (ours, a library's, pytest's) sees masked text only;
- the formatter of our handler, on the final line (for records built without the factory);
- ``sys.stdout`` and ``sys.stderr``, for whatever is printed without logging: warnings, the
  traceback of an uncaught exception, the CLI's own lines.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO, cast
from urllib.parse import quote, unquote, urlsplit

from bot.settings import Settings

MASK = "***"
# A shorter literal secret would mask ordinary words all over the output. A URL password of any
# length is still masked by its place in the URL.
MIN_SECRET_LENGTH = 4
# "scheme://user:password@" -> "scheme://user:***@"
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:)[^\s/@]+(?=@)")
_TRACEBACKS = logging.Formatter()


class Redactor:
    """Masks known secrets, in their plain and percent-encoded forms, and URL passwords."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        known = set(self._secrets)
        for secret in secrets:
            for form in (secret, quote(secret, safe=""), unquote(secret)):
                if len(form) >= MIN_SECRET_LENGTH:
                    known.add(form)
        # Longest first: a secret that contains another one is masked whole.
        self._secrets = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        if "://" in text and "@" in text:
            text = _URL_PASSWORD.sub(rf"\g<head>{MASK}", text)
        return text


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold."""
    found: list[str] = []
    if settings.telegram_bot_token is not None:
        # The part after the colon is the secret; the bot id before it is public and useful.
        found.append(settings.telegram_bot_token.get_secret_value().partition(":")[2])
    if settings.tracking_api_key is not None:
        found.append(settings.tracking_api_key.get_secret_value())
    if settings.webhook_secret is not None:
        found.append(settings.webhook_secret.get_secret_value())
    for url in (settings.database_url, settings.redis_url, settings.telegram_api_base):
        password = _password_in(url)
        if password:
            found.append(password)
    return found


def _password_in(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def redact_record(record: logging.LogRecord, redactor: Redactor) -> None:
    """Mask secrets in a record's message, exception text and stack, in place."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: S110 (a broken format string: the handler reports it)
        pass
    else:
        masked = redactor.redact(message)
        if masked != message:
            record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when it is set, so none of them formats the raw exception.
        record.exc_text = redactor.redact(_TRACEBACKS.formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redactor.redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)


class RedactingFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str) -> None:
        super().__init__(fmt)
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.redact(super().format(record))


class RedactingStream:
    """A text stream that masks secrets in everything written through it."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self.wrapped = stream
        self._redactor = redactor

    def write(self, text: str) -> int:
        self.wrapped.write(self._redactor.redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def protect_output(redactor: Redactor, *, streams: bool = True) -> Callable[[], None]:
    """From now on mask secrets in every log record (and in stdout/stderr); returns the undo."""
    previous_factory = logging.getLogRecordFactory()

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        redact_record(record, redactor)
        return record

    logging.setLogRecordFactory(make_record)
    stdout, stderr = sys.stdout, sys.stderr
    if streams:
        sys.stdout = cast(TextIO, RedactingStream(stdout, redactor))
        sys.stderr = cast(TextIO, RedactingStream(stderr, redactor))

    def undo() -> None:
        logging.setLogRecordFactory(previous_factory)
        if streams:
            sys.stdout, sys.stderr = stdout, stderr

    return undo


def configure_logging(settings: Settings, level: int = logging.INFO) -> Redactor:
    """Set up the process's logging and output masking; returns the redactor in use."""
    redactor = Redactor(secrets_of(settings))
    protect_output(redactor)
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter(redactor, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Warnings become log records, so they are masked and formatted like the rest.
    logging.captureWarnings(True)
    # aiogram logs every update at INFO; that is noise at our scale.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # Start-up chatter a person running the bot does not need (migrations still log).
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return redactor
