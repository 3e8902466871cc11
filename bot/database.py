"""Engine creation and schema migrations (Alembic, applied on start and by `sellerbot migrate`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

SQLITE_BUSY_TIMEOUT_MS = 15_000
# A checkpoint waits this long for the write lock per attempt, so it never queues behind a
# busy bot for long; it tries again a few times, then leaves the work to the next one.
CHECKPOINT_BUSY_TIMEOUT_SECONDS = 0.2
CHECKPOINT_ATTEMPTS = 4
# How long a transaction waits for the in-process write gate before it asks SQLite directly.
GATE_TIMEOUT_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000
_HOLDS_GATE = "sellerbot_holds_write_gate"

log = logging.getLogger(__name__)

# How long connecting to PostgreSQL or Redis may take (the setting CONNECT_TIMEOUT_SECONDS).
CONNECT_TIMEOUT_SECONDS = 10.0


def create_engine(
    url: str, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS, **kwargs: Any
) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and foreign keys on every connection.

    A server database gets `connect_timeout` for the whole connection set-up: a host that
    accepts the connection and never answers (a firewall, a stopped VM) fails in seconds
    instead of asyncpg's default minute.
    """
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 15}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE is possible.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros, not just unlinked: after an erasure (and
            # the checkpoint that follows it) the file keeps no copy of what was deleted.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        gate = WriteGate()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            gate.enter(connection)
            # Take the write lock up front: a deferred transaction that later upgrades to a
            # writer fails with "database is locked" instead of waiting for the busy timeout.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine.sync_engine, "commit")
        @event.listens_for(engine.sync_engine, "rollback")
        def _end(connection: Connection) -> None:
            gate.leave(connection.info)

        @event.listens_for(engine.sync_engine, "checkin")
        def _returned(_dbapi_connection: Any, record: Any) -> None:
            gate.leave(record.info)  # a transaction that ended without commit or rollback

        return engine
    connect_args = {"timeout": connect_timeout} if "asyncpg" in url else {}
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


class WriteGate:
    """This process's transactions on one SQLite database, let in one at a time, in order.

    Every transaction takes SQLite's write lock (BEGIN IMMEDIATE). Without the gate, those
    that find it taken wait in SQLite's busy handler, which sleeps and retries (1, 2, 5, ...
    then 100 ms between tries): an update queued behind an import batch waits up to 100 ms
    more than the batch took, and a burst of updates is served in no particular order. With
    it they wait on an asyncio lock, first come first served, and the next one starts as the
    lock is released. The gate only orders this process's transactions; SQLite still decides:
    one that waited longer than `GATE_TIMEOUT_SECONDS` goes on without it to the busy handler,
    as before (so a transaction opened inside another one fails as it always did, never hangs).
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    def enter(self, connection: Connection) -> None:
        if connection.info.get(_HOLDS_GATE):
            return
        try:
            await_only(asyncio.wait_for(self._lock.acquire(), GATE_TIMEOUT_SECONDS))
        except TimeoutError:
            log.warning("SQLite write gate: waited %s s; going on without it", GATE_TIMEOUT_SECONDS)
            return
        except MissingGreenlet:
            return  # a synchronous use of the engine (none in the bot): SQLite alone decides
        connection.info[_HOLDS_GATE] = True

    def leave(self, info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_GATE, False):
            self._lock.release()


def sqlite_file(engine: AsyncEngine) -> str | None:
    """The database file of a SQLite engine; None for PostgreSQL or an in-memory database."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return database if database and database != ":memory:" else None


def _checkpoint_once(database: str) -> bool:
    # A connection of its own, outside SQLAlchemy's pool and its BEGIN IMMEDIATE: a checkpoint
    # cannot run inside a transaction. Its busy timeout bounds the wait for the write lock.
    connection = sqlite3.connect(
        database, timeout=CHECKPOINT_BUSY_TIMEOUT_SECONDS, isolation_level=None
    )
    try:
        busy, _frames, _copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(busy) == 0
    finally:
        connection.close()


async def checkpoint_sqlite(engine: AsyncEngine) -> bool:
    """Copy the write-ahead log into the database file and truncate the log to zero bytes.

    Run after a commit that deleted personal data: the log still holds the pages as they were
    before, and with `secure_delete` the checkpoint overwrites the file's copies with the
    zeroed ones. The write lock is held only while the log is copied; the work runs in a
    thread, off the event loop. Never raises (it runs after the commit, where a failure must
    not undo the answer to the user); returns whether the log was emptied. Nothing to do on
    PostgreSQL.
    """
    database = sqlite_file(engine)
    if database is None:
        return False
    for attempt in range(CHECKPOINT_ATTEMPTS):
        if attempt:
            await asyncio.sleep(0.05 * 2**attempt)
        try:
            if await asyncio.to_thread(_checkpoint_once, database):
                return True
        except sqlite3.Error as error:
            log.warning("SQLite checkpoint failed: %s", error)
    log.warning("SQLite checkpoint did not finish; the hourly one will try again")
    return False


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run_alembic(engine: AsyncEngine, action: str, revision: str) -> Any:
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    return run


def _with_foreign_keys_deferred(run: Callable[[Connection], Any]) -> Callable[[Connection], Any]:
    """On SQLite, runs the migration with foreign keys off, and checks them all before it
    commits.

    SQLite cannot alter most of a table in place, so Alembic's batch mode copies it: a new
    table, the rows, then DROP TABLE on the old one. With foreign keys on, that DROP deletes
    the table's rows one by one first, and every ON DELETE CASCADE below it fires: dropping
    a column of `sellers` emptied `warehouses` and `orders`. The switch only works outside a
    transaction, so it is set on the driver's connection before this one begins."""

    def wrapped(connection: Connection) -> Any:
        _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                before = _heads(connection)
                result = run(connection)
                # Checking reads every row that has a key: only after a migration that ran
                # (a start on an up-to-date database runs none).
                moved = _heads(connection) != before
                broken = moved and connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    tables = sorted({row[0] for row in broken})
                    raise RuntimeError(
                        f"the migration left {len(broken)} rows pointing at missing rows "
                        f"(tables {', '.join(tables)}); nothing was changed"
                    )
            return result
        finally:
            _pragma(connection, "foreign_keys=ON")

    return wrapped


def _heads(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def _pragma(connection: Connection, pragma: str) -> None:
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


async def _migrate_to(engine: AsyncEngine, action: str, revision: str) -> None:
    run = _run_alembic(engine, action, revision)
    if engine.dialect.name != "sqlite":
        async with engine.begin() as connection:
            await connection.run_sync(run)
        return
    async with engine.connect() as connection:
        await connection.run_sync(_with_foreign_keys_deferred(run))


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision` through the given engine."""
    await _migrate_to(engine, "upgrade", revision)


def known_revisions() -> frozenset[str]:
    """Every migration this release ships."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(revision.revision for revision in script.walk_revisions())


async def newer_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The schema's revisions this release does not know: a newer release migrated the
    database (a rolling upgrade, docs/deploy.md). Empty for a fresh or an older schema."""

    async with engine.connect() as connection:
        applied = await connection.run_sync(_heads)
    return frozenset(applied) - known_revisions()


async def upgrade_unless_newer(engine: AsyncEngine) -> frozenset[str]:
    """Apply this release's migrations, unless a newer release already moved the schema past
    them: migrations only add, so this release runs on that schema as it is. Returns the
    newer revisions found (empty when it migrated)."""
    newer = await newer_revisions(engine)
    if not newer:
        await upgrade(engine)
    return newer


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _migrate_to(engine, "downgrade", revision)


def migrate(url: str, connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Synchronous entry point for the CLI."""

    async def run() -> None:
        engine = create_engine(url, connect_timeout=connect_timeout)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
