"""Secrets are masked in every log record (message, exception text, traceback, stack) and in
everything written to stdout/stderr, whichever library produced it."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO, cast

import pytest

from bot.logging_setup import (
    MASK,
    RedactingFormatter,
    RedactingStream,
    Redactor,
    protect_output,
    redact_record,
    secrets_of,
)
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "987654321:AAFake-Recognisable-SECRET_token_xyz"
TOKEN_SECRET = TOKEN.split(":", 1)[1]
TRACKING_KEY = "trk-FAKE-KEY-0123456789"
DB_PASSWORD = "db-Pass%40word-9"  # percent-encoded "@" in the URL
REDIS_PASSWORD = "rds-PASS-77"


def fake_settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        tracking_api_key=TRACKING_KEY,
        database_url=f"postgresql+asyncpg://bot:{DB_PASSWORD}@db.example.org:5432/bot",
        redis_url=f"redis://:{REDIS_PASSWORD}@cache.example.org:6379/0",
        telegram_api_base="https://proxy-user:proxy-PASS-5@tg.example.org",
        data_dir=tmp_path,
    )


def leaked(text: str) -> list[str]:
    secrets = [TOKEN_SECRET, TRACKING_KEY, "db-Pass@word-9", DB_PASSWORD, REDIS_PASSWORD]
    secrets.append("proxy-PASS-5")
    return [secret for secret in secrets if secret in text]


@pytest.fixture
def redactor(tmp_path: Path) -> Redactor:
    return Redactor(secrets_of(fake_settings(tmp_path)))


@pytest.fixture
def protected(redactor: Redactor) -> Iterator[Redactor]:
    """Record masking installed as the CLI installs it (streams stay pytest's)."""
    undo = protect_output(redactor, streams=False)
    try:
        yield redactor
    finally:
        undo()


def test_the_token_secret_is_masked_and_the_bot_id_kept(redactor: Redactor) -> None:
    text = redactor.redact(f"InvalidUrlClientError: nonsense/bot{TOKEN}/getMe")
    assert TOKEN_SECRET not in text
    assert text == f"InvalidUrlClientError: nonsense/bot987654321:{MASK}/getMe"


def test_percent_encoded_and_decoded_forms_are_masked(redactor: Redactor) -> None:
    assert leaked(redactor.redact(TOKEN.replace(":", "%3A"))) == []
    assert leaked(redactor.redact("password db-Pass@word-9 rejected")) == []
    assert leaked(redactor.redact(f"key={TRACKING_KEY}&x=1")) == []


def test_any_url_password_is_masked_even_if_unknown_or_short() -> None:
    redactor = Redactor()
    assert redactor.redact("redis://:pw@h:6379/0") == f"redis://:{MASK}@h:6379/0"
    assert (
        redactor.redact("connect postgresql+asyncpg://bot:x@db/bot failed")
        == f"connect postgresql+asyncpg://bot:{MASK}@db/bot failed"
    )
    # Nothing that only looks like a password is touched.
    for text in ("http://host:8080/path@x", "mail me at a@b.org", "redis://cache:6379/0"):
        assert redactor.redact(text) == text


def test_short_secrets_are_not_masked_as_words() -> None:
    """A one-letter password would otherwise mask every "a" of the output."""
    assert Redactor(["a", "pw"]).redact("a pw") == "a pw"


def test_settings_yield_every_secret(tmp_path: Path) -> None:
    secrets = secrets_of(fake_settings(tmp_path))
    for expected in (TOKEN_SECRET, TRACKING_KEY, DB_PASSWORD, REDIS_PASSWORD):
        assert expected in secrets
    assert "proxy-PASS-5" in secrets
    assert "987654321" not in secrets  # the bot id is public


def _raise_with_token() -> None:
    try:
        raise OSError(f"Cannot connect to nonsense/bot{TOKEN}/getMe")
    except OSError as error:
        raise RuntimeError(f"HTTP Client says - {error}") from error


def test_exception_text_and_chained_traceback_are_masked(
    protected: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("aiogram.dispatcher")
    with caplog.at_level(logging.INFO):
        try:
            _raise_with_token()
        except RuntimeError:
            log.exception("polling failed with %s", f"bot{TOKEN}")
    assert "Traceback" in caplog.text and "The above exception" in caplog.text
    assert MASK in caplog.text
    assert leaked(caplog.text) == []
    (record,) = caplog.records
    assert leaked(record.getMessage()) == []
    assert record.exc_text is not None and leaked(record.exc_text) == []


@pytest.mark.parametrize("logger", ["aiohttp.client", "aiohttp.server", "asyncio", "sqlalchemy"])
def test_every_library_logger_is_masked(
    protected: Redactor, caplog: pytest.LogCaptureFixture, logger: str
) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger(logger).warning("request to https://x/bot%s/getMe", TOKEN)
    assert leaked(caplog.text) == []
    assert MASK in caplog.text


async def test_asyncio_unhandled_task_errors_are_masked(
    protected: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    try:
        _raise_with_token()
    except RuntimeError as error:
        with caplog.at_level(logging.ERROR):
            loop.call_exception_handler(
                {"message": f"Task exception was never retrieved ({TOKEN})", "exception": error}
            )
    assert "Traceback" in caplog.text
    assert leaked(caplog.text) == []


def test_stack_info_is_masked(redactor: Redactor) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "here", None, None)
    record.stack_info = f'Stack (most recent call last):\n  url = "bot{TOKEN}"'
    redact_record(record, redactor)
    assert record.stack_info is not None and leaked(record.stack_info) == []


def test_the_formatter_masks_records_made_without_the_factory(redactor: Redactor) -> None:
    record = logging.makeLogRecord({"msg": "url %s", "args": (f"bot{TOKEN}",)})
    record.url = f"bot{TOKEN}"  # an `extra` field a format string may show
    line = RedactingFormatter(redactor, "%(message)s %(url)s").format(record)
    assert leaked(line) == []


def test_streams_mask_what_is_printed(redactor: Redactor) -> None:
    target = io.StringIO()
    stream = cast(TextIO, RedactingStream(target, redactor))
    print(f"token {TOKEN}", file=stream)
    stream.writelines([f"key {TRACKING_KEY}\n", "redis://:short@h/0\n"])
    assert leaked(target.getvalue()) == []
    assert target.getvalue().count(MASK) == 3


def test_protect_output_wraps_and_restores_the_std_streams(redactor: Redactor) -> None:
    stdout, stderr, factory = sys.stdout, sys.stderr, logging.getLogRecordFactory()
    undo = protect_output(redactor)
    try:
        assert isinstance(sys.stdout, RedactingStream)
        assert isinstance(sys.stderr, RedactingStream)
    finally:
        undo()
    assert (sys.stdout, sys.stderr) == (stdout, stderr)
    assert logging.getLogRecordFactory() is factory


def test_a_process_with_logging_configured_prints_no_secret(tmp_path: Path) -> None:
    """Warnings, a logged traceback, a print and an uncaught exception, as the CLI sets up."""
    script = textwrap.dedent(
        f"""
        import logging, warnings
        from bot.logging_setup import configure_logging
        from bot.settings import load_settings

        configure_logging(load_settings())
        token = {TOKEN!r}
        warnings.warn(f"deprecated call with bot{{token}}", DeprecationWarning, stacklevel=1)
        try:
            raise ValueError(f"nonsense/bot{{token}}/getMe")
        except ValueError:
            logging.getLogger("aiohttp.client").exception("request failed")
        print(f"printed bot{{token}}")
        raise RuntimeError(f"uncaught nonsense/bot{{token}}/getMe")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TRACKING_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONWARNINGS="always",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TRACKING_API_KEY=TRACKING_KEY,
        DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "py.warnings" in output and "deprecated call" in output
    assert "ValueError" in output and "RuntimeError: uncaught" in output
    assert "printed bot987654321:***" in output
    assert leaked(output) == []
