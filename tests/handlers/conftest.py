"""Handler tier: real Dispatcher and middlewares, updates fed with `feed_update`, and a
session that records every Bot API request instead of sending it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot import database
from bot.app import Application, create_application
from templates import Renderer
from tests.conftest import (
    REDIS_TEST_URL,
    FixedClock,
    _drop_postgres_database,
    _postgres_database,
    _service_missing,
)
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
    """One migrated SQLite database per run; each conversation test works on a copy of it
    (migrating for every test would be most of the tier's time)."""
    path = tmp_path_factory.mktemp("handlers") / "migrated.sqlite3"

    async def migrate() -> None:
        engine = database.create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await database.upgrade(engine)
        finally:
            await engine.dispose()

    # Session fixtures are first asked for inside a test's running loop: migrate in a thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate()).result()
    return path


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
    """The templates and six catalogs, loaded once per run rather than once per app."""
    return Renderer("en")


@pytest.fixture(params=["sql"])
async def handler_bot(
    request: pytest.FixtureRequest,
    migrated_sqlite: Path,
    tmp_path: Path,
    clock: FixedClock,
    renderer: Renderer,
    monkeypatch: pytest.MonkeyPatch,
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
    monkeypatch.setattr("bot.app.Renderer", lambda default_locale: renderer)
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

    async def pause_chat(self, chat_id: int, seconds: float) -> None:
        return None

    async def pause_global(self, seconds: float) -> None:
        return None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def busy_bot(
    request: pytest.FixtureRequest,
    migrated_sqlite: Path,
    tmp_path: Path,
    clock: FixedClock,
    renderer: Renderer,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[HandlerBot]:
    """The bot for thousands of updates, on a fresh SQLite or PostgreSQL database: no inbound
    flood limit and no outbound rate limits (each has tests of its own)."""
    if request.param == "sqlite":
        url = copy_database(migrated_sqlite, tmp_path / "bot.sqlite3")
    else:
        url = await _migrated_postgres()
    settings = make_settings(
        url, tmp_path, send_private_chat_interval_seconds=0, flood_max_updates=10**9
    )
    monkeypatch.setattr("bot.app.Renderer", lambda default_locale: renderer)
    bot = HandlerBot(settings, clock)
    app = await bot.start()
    app.sender.limiter = _NoRateLimits()
    try:
        yield bot
    finally:
        await bot.stop()
        if request.param != "sqlite":
            await _drop_postgres_database(url)


async def _migrated_postgres() -> str:
    try:
        url = await _postgres_database()
    except Exception as error:
        _service_missing("PostgreSQL at 127.0.0.1:5432", error)
    engine = database.create_engine(url)
    try:
        await database.upgrade(engine)
    finally:
        await engine.dispose()
    return url


@pytest.fixture
def chat_of(handler_bot: HandlerBot) -> Callable[..., Chat]:
    """A private chat of the user with this id (English unless `language` says otherwise)."""

    def make(user_id: int, **options: str) -> Chat:
        return Chat(handler_bot, user_id, **options)

    return make
