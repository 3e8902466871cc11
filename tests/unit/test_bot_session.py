"""The Bot API session builds each `Response[...]` model once per process (issue 8, §6).

pydantic's cache of parametrized generics holds its classes weakly; aiogram parametrizes
`Response[method.__returning__]` on every call, so after each cyclic collection the next call
rebuilt the class with a full schema generation. The counter here is pydantic's own: the
`__pydantic_init_subclass__` hook runs once for every class it builds.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import AnswerCallbackQuery, GetUpdates, Response, SendMessage, TelegramMethod
from pydantic import BaseModel

from bot.session import BotApiSession, response_model

SENT = json.dumps(
    {
        "ok": True,
        "result": {"message_id": 7, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"},
    }
)
CALLS = [
    (SendMessage(chat_id=1, text="hi"), SENT),
    (GetUpdates(offset=1), '{"ok": true, "result": []}'),
    (AnswerCallbackQuery(callback_query_id="q"), '{"ok": true, "result": true}'),
]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Counter[Any]:
    """How many times pydantic built `Response[X]`, per X, while the test runs."""
    counter: Counter[Any] = Counter()
    original = Response.__pydantic_init_subclass__

    def counting(cls: type[BaseModel], **kwargs: Any) -> None:
        metadata = cls.__pydantic_generic_metadata__
        if metadata["origin"] is Response:
            counter[metadata["args"]] += 1
        original.__func__(cls, **kwargs)  # type: ignore[attr-defined]

    monkeypatch.setattr(Response, "__pydantic_init_subclass__", classmethod(counting))
    return counter


def _fresh_method() -> type[TelegramMethod[Any]]:
    """A Bot API method whose return type no other test has parametrized `Response` with."""

    class Fresh(BaseModel):
        value: int

    class GetFresh(TelegramMethod[Fresh]):
        __returning__ = Fresh
        __api_method__ = "getFresh"

    return GetFresh


def _answer_many(session: AiohttpSession, calls: list[tuple[Any, str]], rounds: int) -> list[Any]:
    bot = Bot("123:TEST", session=session)
    results = []
    for _ in range(rounds):
        for method, body in calls:
            results.append(session.check_response(bot, method, 200, body).result)
        gc.collect()  # what the cyclic collector does between two bursts of updates
    return results


FRESH_BODY = '{"ok": true, "result": {"value": 3}}'


def test_each_response_model_is_built_once_per_process(builds: Counter[Any]) -> None:
    method = _fresh_method()

    # Each round ends with a full collection, which is slow in a test process that has run
    # hundreds of tests: three rounds show the class outlives collections.
    results = _answer_many(BotApiSession(), [(method(), FRESH_BODY)], rounds=3)

    assert [r.value for r in results] == [3] * 3
    assert builds[(method.__returning__,)] == 1


def test_aiogram_session_alone_rebuilds_after_each_collection(builds: Counter[Any]) -> None:
    """The upstream behaviour bot/session.py works around: if this fails one day, pydantic or
    aiogram hold the classes themselves and the subclass can go."""
    method = _fresh_method()

    _answer_many(AiohttpSession(), [(method(), FRESH_BODY)], rounds=3)

    assert builds[(method.__returning__,)] == 3


def test_the_bot_api_methods_the_bot_calls_most_are_held(builds: Counter[Any]) -> None:
    results = _answer_many(BotApiSession(), CALLS, rounds=3)

    assert results[0].message_id == 7 and results[1] == [] and results[2] is True
    # Built at most once (not at all if an earlier test in this process built them), and the
    # class pydantic hands out is the one held.
    assert all(count <= 1 for count in builds.values()), dict(builds)
    for method, _ in CALLS:
        assert Response[method.__returning__] is response_model(method.__returning__)
