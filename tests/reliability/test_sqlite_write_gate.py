"""SQLite transactions of one process are let in one at a time, first come first served
(bot/database.py, `WriteGate`), and the gate never outlives a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import database

POOLED = 5  # SQLAlchemy's default pool size


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = database.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE entered (n INTEGER)"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_waiting_transactions_enter_in_the_order_they_asked(
    sqlite_engine: AsyncEngine,
) -> None:
    holder_in = asyncio.Event()
    release_holder = asyncio.Event()

    async def holder() -> None:
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO entered VALUES (0)"))
            holder_in.set()
            await release_holder.wait()

    async def writer(n: int) -> None:
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO entered VALUES (:n)"), {"n": n})

    # Five pooled connections opened beforehand, so each writer reaches BEGIN right away
    # (opening a new aiosqlite connection takes a thread start: its own, variable, time).
    warm = [await sqlite_engine.connect() for _ in range(POOLED)]
    for connection in warm:
        await connection.close()
    holding = asyncio.create_task(holder())
    await holder_in.wait()
    writers = []
    for n in range(1, POOLED):
        writers.append(asyncio.create_task(writer(n)))
        await asyncio.sleep(0.02)  # each asks after the one before
    release_holder.set()
    await asyncio.gather(holding, *writers)

    async with sqlite_engine.connect() as connection:
        order = (await connection.execute(text("SELECT n FROM entered ORDER BY rowid"))).scalars()
        assert list(order) == list(range(POOLED))


async def test_a_failed_transaction_lets_the_next_one_in(sqlite_engine: AsyncEngine) -> None:
    async def failing() -> None:
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO entered VALUES (1)"))
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await failing()

    async with asyncio.timeout(5), sqlite_engine.begin() as connection:
        await connection.execute(text("INSERT INTO entered VALUES (2)"))
        count = (await connection.execute(text("SELECT count(*) FROM entered"))).scalar()
    assert count == 1  # the failed one rolled back, the next one got in at once
