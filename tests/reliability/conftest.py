"""Fixtures for the sender and outbox tests: a scriptable fake Bot, fast limits, a renderer."""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Message

from domain.unit_of_work import UnitOfWork
from notifications.rate_limits import InProcessRateLimiter, RateLimits
from templates.renderer import Renderer, shared_renderer

FAKE_TOKEN = "4242:SECRET-FAKE-TOKEN"

ErrorFactory = Callable[[TelegramMethod[Any]], Exception]


def retry_after(seconds: int) -> ErrorFactory:
    return lambda method: TelegramRetryAfter(
        method=method, message=f"Too Many Requests: retry after {seconds}", retry_after=seconds
    )


def server_error(method: TelegramMethod[Any]) -> Exception:
    return TelegramServerError(method=method, message="Internal Server Error")


def network_error(method: TelegramMethod[Any]) -> Exception:
    # What aiohttp errors look like once aiogram wraps them; the token must never leak out.
    return TelegramNetworkError(
        method=method, message=f"ClientOSError: reset while calling /bot{FAKE_TOKEN}/sendMessage"
    )


def bad_request(method: TelegramMethod[Any]) -> Exception:
    return TelegramBadRequest(method=method, message="Bad Request: can't parse entities")


def forbidden(method: TelegramMethod[Any]) -> Exception:
    return TelegramForbiddenError(method=method, message="Forbidden: bot was blocked by the user")


class FakeBot:
    """Stands in for `aiogram.Bot`: records every method and fails on demand.

    `fail(chat_id, *errors)` queues errors for the next calls to a chat (None: any chat);
    `always_fail[chat_id]` fails every call to it; `blocked` chats answer 403.
    """

    def __init__(self) -> None:
        self.token = FAKE_TOKEN
        self.calls: list[TelegramMethod[Any]] = []
        self.delivered: dict[int, list[str]] = defaultdict(list)
        self.blocked: set[int] = set()
        self.always_fail: dict[int, ErrorFactory] = {}
        self._queued: dict[int | None, deque[ErrorFactory]] = defaultdict(deque)
        self._message_ids = itertools.count(1)
        # Called after a message is delivered, before the answer returns (crash simulations).
        self.after_delivery: Callable[[SendMessage], None] | None = None

    def fail(self, chat_id: int | None, *errors: ErrorFactory) -> None:
        self._queued[chat_id].extend(errors)

    async def __call__(
        self, method: TelegramMethod[Any], request_timeout: int | None = None
    ) -> Any:
        self.calls.append(method)
        chat_id = getattr(method, "chat_id", None)
        if chat_id in self.blocked:
            raise forbidden(method)
        if chat_id in self.always_fail:
            raise self.always_fail[chat_id](method)
        for key in (chat_id, None):
            if self._queued[key]:
                raise self._queued[key].popleft()(method)
        if isinstance(method, SendMessage):
            assert isinstance(chat_id, int)
            self.delivered[chat_id].append(method.text)
            if self.after_delivery is not None:
                self.after_delivery(method)
            return Message(
                message_id=next(self._message_ids),
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
                text=method.text,
            )
        return True


class SleepRecorder:
    """A sleep that returns at once (after yielding) and a monotonic clock it moves forward."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        import asyncio

        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
def fake_bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def fast_limiter() -> InProcessRateLimiter:
    """Limits that never make a fake-bot test wait noticeably."""
    return InProcessRateLimiter(RateLimits(global_per_second=10_000, chat_interval=0.0))


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    return shared_renderer("en")


async def add_ping(
    uow_factory: Callable[[], UnitOfWork],
    chat_id: int,
    n: int | str,
    *,
    locale: str | None = None,
    key: str | None = None,
) -> None:
    """Queue the test template `tests.ping` for a chat, committed."""
    async with uow_factory() as uow:
        added = await uow.notifications.add(
            dedupe_key=key or f"ping:{chat_id}:{n}",
            chat_id=chat_id,
            template="tests.ping",
            params={"n": n},
            now=uow.now(),
            locale=locale,
        )
        assert added
        await uow.commit()
