"""What the benchmarks share: fresh databases, memory readings, percentiles, bot settings."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# An admin URL of the PostgreSQL server the benchmarks create their databases on.
POSTGRES_ADMIN_URL = os.environ.get(
    "SELLERBOT_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)

# ----- databases -----


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def create_database(admin_url: str = POSTGRES_ADMIN_URL, prefix: str = "bench") -> str:
    """A new empty PostgreSQL database on the admin URL's server; its SQLAlchemy URL."""
    import asyncpg

    name = f"sellerbot_{prefix}_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(_dsn(admin_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(admin_url: str, url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_dsn(admin_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database(
    kind: str, directory: Path, admin_url: str = POSTGRES_ADMIN_URL
) -> AsyncIterator[str]:
    """A new empty database: a SQLite file in `directory`, or a PostgreSQL database dropped
    afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    url = await create_database(admin_url)
    try:
        yield url
    finally:
        await drop_database(admin_url, url)


async def server_version(admin_url: str = POSTGRES_ADMIN_URL) -> str | None:
    """PostgreSQL's version, or None when the server does not answer."""
    import asyncpg

    try:
        connection = await asyncpg.connect(_dsn(admin_url), timeout=5)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def bot_settings(directory: Path, database_url: str | None = None, **overrides: Any) -> Any:
    """Settings of a bot built in the benchmark's process: no token (the emulator's), no
    Redis, SQLite in `directory` unless a database URL is given."""
    from bot.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=None,
        database_url=database_url or f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}",
        data_dir=directory,
        redis_url=None,
        **overrides,
    )


def run_in_scratch_directory(
    run: Callable[[argparse.Namespace, Path], Coroutine[Any, Any, T]],
    args: argparse.Namespace,
    prefix: str,
) -> T:
    """`run(args, directory)` on its own event loop, in a temporary directory removed after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        return asyncio.run(run(args, Path(name)))


# ----- memory -----


def status_kb(pid: int | str, field: str) -> int:
    """A figure of /proc/PID/status in KiB (VmRSS: now, VmHWM: peak); 0 when unreadable."""
    # A process that has exited (or a system without /proc) reads as 0.
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def current_rss_mb(pid: int | str = "self") -> float:
    return status_kb(pid, "VmRSS") / 1024


def peak_rss_mb() -> float:
    """This process's peak RSS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----- figures -----


def percentile(ordered: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of an ascending list, or None for an empty one."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def add_chatter_options(
    parser: argparse.ArgumentParser, *, interval: float, baseline: float
) -> None:
    """The options of the `Chatters` that run alongside a benchmark: how many, how often each
    sends /help, and how long they are measured alone first."""
    parser.add_argument("--chatters", type=int, default=20)
    parser.add_argument("--interval", type=float, default=interval)
    parser.add_argument(
        "--baseline",
        type=float,
        default=baseline,
        metavar="SECONDS",
        help="first measure the chatters alone for this long, for comparison",
    )
