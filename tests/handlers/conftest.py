"""Handler tier: real Dispatcher and middlewares, updates fed with `feed_update`, and a
session that records every Bot API request instead of sending it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import Application, create_application
from templates import Renderer, shared_renderer
from tests.conftest import REDIS_TEST_URL, FixedClock, _service_missing, migrated_templates
from tests.e2e.conftest import make_settings
from tests.handlers.chat import Chat, HandlerBot, copy_database
from tests.handlers.recording import RecordingSession

__all__ = ["RecordingSession"]


@pytest.fixture
async def handler_app(database_url: str, tmp_path: Path) -> AsyncIterator[Application]:
    app = await create_application(
        make_settings(database_url, tmp_path), token="123456:HANDLER-TESTS"
    )
    await app.bot.session.close()
    app.bot.session = RecordingSession()
    app.sender.bot = app.bot
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's migrated SQLite database; each conversation test works on a copy of it."""
    return migrated_templates.sqlite_file(tmp_path_factory)


async def _empty_redis() -> str:
    """The test Redis database, emptied (the `redis_url` fixture cannot be asked for from
    inside another async fixture)."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_TEST_URL)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
        await client.flushdb()
    except Exception as error:
        _service_missing("Redis at 127.0.0.1:6379", error)
    finally:
        await client.aclose()
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    """The process's renderer, which every app built in this run shares."""
    return shared_renderer("en")


@pytest.fixture(params=["sql"])
async def handler_bot(
    request: pytest.FixtureRequest,
    migrated_sqlite: Path,
    tmp_path: Path,
    clock: FixedClock,
) -> AsyncIterator[HandlerBot]:
    """The bot on a fresh database, with the conversation state in the database ("sql", the
    default) or in Redis ("redis": parametrize with `indirect=True`)."""
    redis_url = await _empty_redis() if request.param == "redis" else None
    settings = make_settings(
        copy_database(migrated_sqlite, tmp_path / "bot.sqlite3"),
        tmp_path,
        redis_url=redis_url,
        # Replies leave at once: the per-chat rate limit has tests of its own.
        send_private_chat_interval_seconds=0,
    )
    bot = HandlerBot(settings, clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


class _NoRateLimits:
    """A rate limiter that never waits: for tests that feed thousands of updates, where
    Telegram's 30 messages a second (tested on their own) would be most of the run."""

    async def acquire(self, chat_id: int | None, *, bulk: bool = False) -> None:
        return None

    async def answered(self, chat_id: int) -> None:
        return None

    async def pause_chat(self, chat_id: int, seconds: float) -> None:
        return None

    async def pause_global(self, seconds: float) -> None:
        return None


@pytest.fixture
async def busy_bot(
    database_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[HandlerBot]:
    """The bot for thousands of updates, on a fresh SQLite or PostgreSQL database: no inbound
    flood limit and no outbound rate limits (each has tests of its own)."""
    settings = make_settings(
        database_url, tmp_path, send_private_chat_interval_seconds=0, flood_max_updates=10**9
    )
    bot = HandlerBot(settings, clock)
    app = await bot.start()
    app.sender.limiter = _NoRateLimits()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
def chat_of(handler_bot: HandlerBot) -> Callable[..., Chat]:
    """A private chat of the user with this id (English unless `language` says otherwise)."""

    def make(user_id: int, **options: str) -> Chat:
        return Chat(handler_bot, user_id, **options)

    return make
