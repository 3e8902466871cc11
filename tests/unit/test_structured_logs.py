"""Log lines are JSON for collectors and text in a terminal, name the update (or notification)
they are about, and carry no secret — not even one that JSON escaping would disguise."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram.types import Chat, Message, Update, User

from bot.log_context import LogContextMiddleware, log_context
from bot.logging_setup import (
    MASK,
    Redactor,
    log_renderer,
    redact_record,
    structured_formatter,
)

SECRET = 'pa"ss\\word-SECRET-123'  # a quote and a backslash: JSON would escape both


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Logger, Redactor]]:
    redactor = Redactor([SECRET])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter(redactor, log_renderer("json", stream)))
    logger = logging.getLogger("tests.structured")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield stream, logger, redactor
    logger.handlers.clear()
    logger.propagate = True


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_time_level_logger_event_and_the_bound_ids(
    captured: tuple[io.StringIO, logging.Logger, Redactor],
) -> None:
    stream, logger, _ = captured
    with log_context(update_id=41, update_type="message"):
        logger.warning("slow answer: %d ms", 120, extra={"shipment_id": 9})
    logger.info("after the update")
    first, second = _lines(stream)
    assert first["event"] == "slow answer: 120 ms"
    assert first["level"] == "warning"
    assert first["logger"] == "tests.structured"
    assert first["timestamp"].endswith("Z")
    assert (first["update_id"], first["update_type"], first["shipment_id"]) == (41, "message", 9)
    # The ids end with the work they name.
    assert "update_id" not in second


def test_an_exception_is_logged_masked_even_where_json_would_escape_the_secret(
    captured: tuple[io.StringIO, logging.Logger, Redactor],
) -> None:
    stream, logger, redactor = captured
    try:
        raise RuntimeError(f"connect to postgresql://bot:{SECRET}@db/x failed")
    except RuntimeError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "query %s failed", (SECRET,), None
        )
        record.exc_info = __import__("sys").exc_info()
        redact_record(record, redactor)  # what the process's record factory does
        logger.handle(record)
    output = stream.getvalue()
    (line,) = _lines(stream)
    assert line["event"] == f"query {MASK} failed"
    assert "RuntimeError" in line["exception"]
    assert MASK in line["exception"]
    assert SECRET not in output
    assert json.dumps(SECRET)[1:-1] not in output  # nor its escaped form


def test_an_exception_logged_without_the_record_factory_is_masked_too(
    captured: tuple[io.StringIO, logging.Logger, Redactor],
) -> None:
    stream, logger, _ = captured
    try:
        raise ValueError(SECRET)
    except ValueError:
        logger.exception("failed")
    assert SECRET not in stream.getvalue()
    assert json.dumps(SECRET)[1:-1] not in stream.getvalue()
    assert "ValueError" in _lines(stream)[0]["exception"]


def test_auto_format_is_text_in_a_terminal_and_json_elsewhere() -> None:
    redactor = Redactor([])
    for stream, json_expected in ((_Terminal(), False), (io.StringIO(), True)):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(structured_formatter(redactor, log_renderer("auto", stream)))
        record = logging.LogRecord("tests.auto", logging.INFO, __file__, 1, "hello", None, None)
        with log_context(update_id=7):
            handler.handle(record)
        text = stream.getvalue()
        if json_expected:
            assert json.loads(text)["event"] == "hello"
        else:
            assert not text.startswith("{")
            assert "hello" in text and "update_id=7" in text


async def test_the_middleware_names_the_update_in_every_line_of_its_handling(
    captured: tuple[io.StringIO, logging.Logger, Redactor],
) -> None:
    stream, logger, _ = captured
    user = User(id=5551234, is_bot=False, first_name="Ana")
    message = Message(
        message_id=1, date=0, chat=Chat(id=5551234, type="private"), from_user=user, text="hi"
    )
    update = Update(update_id=77, message=message)

    async def handler(event: Any, data: dict[str, Any]) -> str:
        logger.info("handled")
        return "done"

    assert await LogContextMiddleware()(handler, update, {}) == "done"
    logger.info("outside")
    handled, outside = _lines(stream)
    assert (handled["update_id"], handled["update_type"]) == (77, "message")
    assert "5551234" not in stream.getvalue()  # never the user
    assert "update_id" not in outside


async def test_an_update_of_a_type_aiogram_does_not_know_is_passed_on_named_unknown(
    captured: tuple[io.StringIO, logging.Logger, Redactor],
) -> None:
    """Telegram adds update types before aiogram knows them; the dispatcher skips such an
    update, and the log context must not fail on it first (a webhook would answer 500 and
    Telegram would redeliver it for ever)."""
    stream, logger, _ = captured

    async def handler(event: Any, data: dict[str, Any]) -> str:
        logger.info("handled")
        return "skipped"

    assert await LogContextMiddleware()(handler, Update(update_id=78), {}) == "skipped"
    (handled,) = _lines(stream)
    assert (handled["update_id"], handled["update_type"]) == (78, "unknown")
