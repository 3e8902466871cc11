"""Looks for traces of one person everywhere the bot keeps data: every column of every table,
and the bytes of the SQLite database files (main file, write-ahead log, shared memory).

A "needle" is text the person typed or that identifies them (store name, phone, address...);
the search ignores case, so a case-folded copy (such as `warehouses.name_key`) counts too. The
Telegram id is also looked for as an integer in integer columns and, in the SQLite files, in the
big-endian form SQLite's record format stores integers in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

SQLITE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Trace:
    """Where a needle was found: `table.column (row n)` or a file name."""

    where: str
    needle: str


def _as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _search_connection(
    connection: Connection, needles: Sequence[str], user_id: int
) -> tuple[list[Trace], int]:
    metadata = MetaData()
    metadata.reflect(connection)
    folded = [(needle, needle.casefold()) for needle in needles]
    traces: list[Trace] = []
    rows_read = 0
    for table in metadata.sorted_tables:
        for number, row in enumerate(connection.execute(select(table)).mappings()):
            rows_read += 1
            for column, value in row.items():
                where = f"{table.name}.{column} (row {number})"
                if value is None or isinstance(value, bool):
                    continue
                if isinstance(value, int):
                    if value == user_id:
                        traces.append(Trace(where, str(user_id)))
                    continue
                text = _as_text(value).casefold()
                traces.extend(Trace(where, needle) for needle, key in folded if key in text)
    return traces, rows_read


async def search_tables(
    engine: AsyncEngine, needles: Sequence[str], user_id: int
) -> tuple[list[Trace], int]:
    """Every table, reflected from the database itself (so none is forgotten), every column.

    Returns the traces and how many rows were read (so a test can tell it looked at something).
    """
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: _search_connection(sync, [*needles, str(user_id)], user_id)
        )


def sqlite_integer_bytes(value: int) -> bytes:
    """`value` as SQLite's record format stores it: big-endian in 1, 2, 3, 4, 6 or 8 bytes."""
    for size in (1, 2, 3, 4, 6, 8):
        limit = 1 << (8 * size - 1)
        if -limit <= value < limit:
            return value.to_bytes(size, "big", signed=True)
    raise ValueError("not a 64-bit integer")


def sqlite_files(database: Path) -> list[Path]:
    return [
        Path(f"{database}{suffix}")
        for suffix in SQLITE_FILE_SUFFIXES
        if Path(f"{database}{suffix}").exists()
    ]


def search_sqlite_files(database: Path, needles: Sequence[str], user_id: int) -> list[Trace]:
    """Raw bytes of the database file and its companions, deleted pages and free space included."""
    patterns: list[tuple[str, bytes]] = []
    for needle in [*needles, str(user_id)]:
        for form in dict.fromkeys((needle, needle.casefold(), needle.upper())):
            patterns.append((needle, form.encode()))
    # Only distinctive widths: a 1-4 byte pattern would match unrelated data by chance.
    binary = sqlite_integer_bytes(user_id)
    if len(binary) >= 6:
        patterns.append((f"{user_id} (as stored)", binary))
    traces: list[Trace] = []
    for path in sqlite_files(database):
        content = path.read_bytes()
        seen: set[str] = set()
        for needle, pattern in patterns:
            if needle not in seen and pattern in content:
                seen.add(needle)
                traces.append(Trace(path.name, needle))
    return traces
