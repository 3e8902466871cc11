"""Shared fixtures: databases (SQLite and PostgreSQL), units of work, a fixed clock.

With CI=true a test that needs PostgreSQL or Redis fails when they are unreachable; elsewhere
it is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

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
T = TypeVar("T")

pytest_plugins = [
    "tests.fixtures.emulator",
    "tests.fixtures.private_services",
    "tests.fixtures.ordering",
]


def _service_missing(name: str, error: BaseException) -> None:
    message = f"{name} is not reachable ({error!r}); start it to run this test"
    if IN_CI:
        pytest.fail(f"{message} — with CI=true it must run, not skip")
    pytest.skip(message)


def _in_own_loop(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `work` to completion on a loop of its own (session-wide set-up is first asked for
    inside a test's running loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work()).result()


async def _admin_execute(*statements: str) -> None:
    """`statements` one after the other, each in a transaction of its own (CREATE DATABASE
    may not share one)."""
    import asyncpg

    admin_dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncio.wait_for(asyncpg.connect(admin_dsn), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _postgres_url(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def _migrate(url: str) -> None:
    engine = database.create_engine(url)
    try:
        await database.upgrade(engine)
    finally:
        await engine.dispose()


class _MigratedTemplates:
    """One migrated database of each kind per test process, copied for every test that wants
    a database at the head revision: migrating for each test was a large share of the suite's
    time. PostgreSQL copies it with CREATE DATABASE … TEMPLATE, SQLite as a file."""

    def __init__(self) -> None:
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite_file(self, factory: pytest.TempPathFactory) -> Path:
        if self._sqlite is None:
            path = factory.mktemp("migrated") / "template.sqlite3"
            _in_own_loop(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
            self._sqlite = path
        return self._sqlite

    def postgres_name(self) -> str:
        if self._postgres is None:
            name = f"sellerbot_tpl_{uuid.uuid4().hex[:12]}"

            async def create() -> None:
                await _admin_execute(f'CREATE DATABASE "{name}"')
                await _migrate(_postgres_url(name))

            _in_own_loop(create)
            self._postgres = name
        return self._postgres

    def drop(self) -> None:
        if self._postgres is not None:
            statement = f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)'
            _in_own_loop(lambda: _admin_execute(statement))
            self._postgres = None


migrated_templates = _MigratedTemplates()


# The longest tests, longest first (seconds each on the 2-core machine, in the full suite):
# the soak (~100), the cluster (~95), the crash recovery (~85), the storage faults (~45), two
# browser stories (~50 each), the hostile-input shares (15 to 40 each), the graceful shutdown
# of two workers (~30). Started last, any of them would keep one worker busy long after the
# others ran out of work.
_LONG_RUNNING = (
    "tests/reliability/test_soak.py::",
    "tests/e2e/test_cluster.py::",
    "tests/reliability/test_crash_recovery.py::",
    "tests/reliability/test_storage_faults.py::test_the_bot_rides_out",
    "tests/browser/test_sandbox_returns.py::",
    "tests/browser/test_sandbox.py::test_demo_plays",
    "tests/handlers/test_hostile_input.py::test_generated",
    "tests/e2e/test_graceful_shutdown.py::test_two_workers",
)


def _rank_if_long(item: pytest.Item) -> int | None:
    return next(
        (rank for rank, prefix in enumerate(_LONG_RUNNING) if item.nodeid.startswith(prefix)),
        None,
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a parallel run, start each of the longest tests first on a worker of its own.

    pytest-xdist's work stealing hands each worker an equal, consecutive share of the
    collection at the start and later moves the tail of a busy worker's share to an idle one.
    So the longest tests are dealt out in turn to the head of each share: they start at once,
    and the short tests after them are what the other workers take over. Every worker orders
    the collection alike (xdist requires it); a run without workers keeps the order.
    """
    workers = int(getattr(config, "workerinput", {}).get("workercount", 0))
    if workers < 2:
        return
    long = sorted(
        (item for item in items if _rank_if_long(item) is not None),
        key=lambda item: _rank_if_long(item) or 0,
    )
    rest = [item for item in items if _rank_if_long(item) is None]
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for index, item in enumerate(long):
        shares[index % workers].append(item)
    # The share sizes xdist deals: what is left, divided among the workers not yet served.
    remaining = len(items)
    for served, share in enumerate(shares):
        size = remaining // (workers - served)
        remaining -= size
        take = max(0, size - len(share))
        share.extend(rest[:take])
        del rest[:take]
    shares[-1].extend(rest)
    items[:] = [item for share in shares for item in share]


def pytest_sessionfinish(session: pytest.Session) -> None:
    with contextlib.suppress(Exception):
        migrated_templates.drop()


async def _postgres_database(template: str | None = None) -> str:
    """A fresh database for one test on the local server: empty, or a copy of `template`.

    Copied file by file (PostgreSQL 15's default writes the whole copy through the WAL: four
    times slower here, for a few megabytes). Its commits do not wait for the WAL to reach the
    disk: no test crashes this server (the storage-fault tests run servers of their own), and
    a test commits hundreds of times."""
    name = f"sellerbot_t_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    await _admin_execute(
        f'CREATE DATABASE "{name}"{copy_of} STRATEGY FILE_COPY',
        f'ALTER DATABASE "{name}" SET synchronous_commit TO off',
    )
    return _postgres_url(name)


async def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _database(
    kind: str, tmp_path: Path, factory: pytest.TempPathFactory, *, migrated: bool
) -> AsyncIterator[str]:
    if kind == "sqlite":
        path = tmp_path / "test.sqlite3"
        if migrated:
            shutil.copyfile(migrated_templates.sqlite_file(factory), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    try:
        template = migrated_templates.postgres_name() if migrated else None
        url = await _postgres_database(template)
    except Exception as error:
        _service_missing("PostgreSQL at 127.0.0.1:5432", error)
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


DATABASE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASE_KINDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A database of each kind at the head revision, one test at a time."""
    async for url in _database(request.param, tmp_path, tmp_path_factory, migrated=True):
        yield url


@pytest.fixture(params=DATABASE_KINDS)
async def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """An empty database of each kind (no tables), for tests of the migrations themselves."""
    async for url in _database(request.param, tmp_path, tmp_path_factory, migrated=False):
        yield url


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
