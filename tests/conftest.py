"""Shared fixtures: databases (SQLite and PostgreSQL), units of work, a fixed clock.

With CI=true a test that needs PostgreSQL or Redis fails when they are unreachable; elsewhere
it is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import database
from domain.unit_of_work import UnitOfWork

POSTGRES_ADMIN_URL = os.environ.get(
    "SELLERBOT_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _redis_test_url() -> str:
    """The Redis database the tests may empty: SELLERBOT_TEST_REDIS (default db 15); under
    pytest-xdist worker gwN takes the N-th one below it, so two workers never
    flush each other's keys."""
    base = os.environ.get("SELLERBOT_TEST_REDIS", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return base
    prefix, _, database = base.rpartition("/")
    # Redis has databases 0-15 by default: wrap around rather than ask for a negative one.
    return f"{prefix}/{(int(database or 0) - int(worker[2:])) % 16}"


REDIS_TEST_URL = _redis_test_url()
IN_CI = os.environ.get("CI", "").lower() == "true"

pytest_plugins = ["tests.fixtures.emulator"]


def _service_missing(name: str, error: BaseException) -> None:
    message = f"{name} is not reachable ({error!r}); start it to run this test"
    if IN_CI:
        pytest.fail(f"{message} — with CI=true it must run, not skip")
    pytest.skip(message)


async def _postgres_database() -> str:
    """A fresh database for one test, created on the local server."""
    import asyncpg

    admin_dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"sellerbot_t_{uuid.uuid4().hex[:12]}"
    connection = await asyncio.wait_for(asyncpg.connect(admin_dsn), timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _drop_postgres_database(url: str) -> None:
    import asyncpg

    admin_dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """An empty database of each kind, one test at a time."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    try:
        url = await _postgres_database()
    except Exception as error:
        _service_missing("PostgreSQL at 127.0.0.1:5432", error)
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database."""
    engine = database.create_engine(database_url)
    await database.upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


class FixedClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow_factory(engine: AsyncEngine, clock: FixedClock) -> Callable[[], UnitOfWork]:
    session_factory = database.create_session_factory(engine)
    return lambda: UnitOfWork(session_factory, clock=clock)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_TEST_URL)
    try:
        await asyncio.wait_for(client.ping(), timeout=3)
    except Exception as error:
        await client.aclose()
        _service_missing("Redis at 127.0.0.1:6379", error)
    await client.flushdb()
    try:
        yield REDIS_TEST_URL
    finally:
        await client.flushdb()
        await client.aclose()
