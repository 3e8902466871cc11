"""Logging: one event per line — JSON for machines, readable text in a terminal — and no
secret in anything the process prints.

Every library and module logs through the standard `logging` module; the one handler renders
records with structlog's `ProcessorFormatter`: JSON lines (`LOG_FORMAT=json`, the default when
stderr is not a terminal, e.g. under systemd or in a container) or aligned text
(`LOG_FORMAT=console`, the default in a terminal). Each line carries the time (UTC), level,
logger, the event, and the ids bound to what is being done — `update_id` and `update_type`
while an update is handled (`bot.log_context`), `notification_id` while the outbox sends,
`import_id` while an order file is imported — plus any `extra={...}` of the call. Telegram user
and chat ids, names and texts are personal data and are not logged.

The secrets are the bot token, the tracking API key, the webhook secret and the passwords
inside DATABASE_URL, REDIS_URL and TELEGRAM_API_BASE. They escape through more than log
messages: aiohttp puts the request URL, token included, into its exception text; a traceback
repeats it; a warning or an uncaught exception is written straight to stderr. So secrets are masked in three places:

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

import structlog
from structlog.typing import EventDict, Processor

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


def _logger_name(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    record = event_dict.get("_record")
    if record is not None:
        event_dict["logger"] = record.name
    return event_dict


def _masked_exception(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """The traceback as the record factory masked it (`exc_text`), never the raw exception."""
    exc_info = event_dict.pop("exc_info", None)
    record = event_dict.get("_record")
    if record is not None and record.exc_text:
        event_dict["exception"] = record.exc_text
    elif exc_info:
        event_dict["exception"] = _TRACEBACKS.formatException(exc_info)
    stack = event_dict.pop("stack_info", None)
    if stack:
        event_dict["stack"] = stack
    return event_dict


class _RedactValues:
    """Masks secrets in every text value of the event, before it is rendered (JSON escaping
    would otherwise hide a secret with a quote or backslash in it from the line's masking)."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def __call__(self, _logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        for key, value in event_dict.items():
            if isinstance(value, str):
                event_dict[key] = self._redactor.redact(value)
        return event_dict


class RedactingProcessorFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, with the rendered line masked once more."""

    def __init__(self, redactor: Redactor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor.redact(super().format(record))


def log_renderer(log_format: str, stream: TextIO) -> Processor:
    """JSON lines, or readable text; `auto` picks text only when `stream` is a terminal."""
    if log_format == "auto":
        log_format = "console" if _is_terminal(stream) else "json"
    if log_format == "console":
        return structlog.dev.ConsoleRenderer(colors=False, sort_keys=True)
    return structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=True)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def structured_formatter(redactor: Redactor, renderer: Processor) -> logging.Formatter:
    pre_chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.ExtraAdder(),
        structlog.stdlib.add_log_level,
        _logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _masked_exception,
    ]
    return RedactingProcessorFormatter(
        redactor,
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            cast(Processor, _RedactValues(redactor)),
            renderer,
        ],
    )


def configure_logging(settings: Settings, level: int = logging.INFO) -> Redactor:
    """Set up the process's logging and output masking; returns the redactor in use."""
    redactor = Redactor(secrets_of(settings))
    stream = sys.stderr
    protect_output(redactor)
    handler = logging.StreamHandler()
    handler.setFormatter(structured_formatter(redactor, log_renderer(settings.log_format, stream)))
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
