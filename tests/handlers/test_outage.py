"""A database (or Redis) that cannot be reached outside the error middleware: the update changed
nothing, so its sender is told to send it again — in their Telegram language, once a minute —
and the bot goes on answering once storage is back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from domain.repositories.infrastructure import ProcessedUpdateRepository
from tests.handlers.chat import Chat, HandlerBot


def _unreachable(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("INSERT INTO processed_updates", {}, ConnectionRefusedError(111))


async def test_an_unreachable_database_is_answered_once_a_minute_then_work_resumes(
    handler_bot: HandlerBot,
    chat_of: Callable[..., Chat],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = chat_of(7101, language="fr")
    monkeypatch.setattr(ProcessedUpdateRepository, "claim", _unreachable)

    first = await chat.send("/help")
    assert first.texts == [handler_bot.text("errors.unavailable", "fr")]
    assert "nothing was saved" in caplog.text
    # The same person again within the minute: logged, not told twice.
    assert (await chat.send("/help")).texts == []
    # Someone else hears it too, in their own language.
    other = await chat_of(7102, language="es").send("/start")
    assert other.texts == [handler_bot.text("errors.unavailable", "es")]

    monkeypatch.undo()
    back = await chat.send("/help")
    assert back.texts
    assert handler_bot.text("errors.unavailable", "fr") not in back.texts


async def test_a_webhook_lets_the_failure_through_so_telegram_redelivers(
    handler_bot: HandlerBot, chat_of: Callable[..., Chat], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler_bot.app.outage.tell_user = False
    monkeypatch.setattr(ProcessedUpdateRepository, "claim", _unreachable)

    sent_before = len(handler_bot.session.requests)
    with pytest.raises(OperationalError):
        await chat_of(7103).send("/help")
    await handler_bot.app.replies.drain()
    assert handler_bot.session.requests[sent_before:] == []
