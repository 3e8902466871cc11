"""Benchmark: what one update costs sellerbot, next to a bare and a typical aiogram bot.

Three bots are measured one after the other in this process, each polling a fresh Bot API
emulator (sandbox/emulator) over HTTP with Telegram's limits on (429 beyond 1 message a second
per chat and 30 a second in all), each on a fresh database:

  sellerbot  the real bot (bot.app.create_application), as `sellerbot run` builds it
  typical    aiogram + SQLAlchemy: session middleware, one upsert and one select per update
  bare       aiogram alone: echoes the text back (bench/baseline_bots.py has both)

The emulator and the simulated users live in a child process (bench/update_load.py), so this
process's CPU time is the bot's alone. Two workloads (`--workloads`): `help` (users sending
/help, open loop) and `mix` (sellers paging /orders, opening an order, confirming it, and
answering the first step of /neworder; see bench/update_load.py), each at every rate of
`--rates`: 20 updates/s is under Telegram's cap, 60 above it.

Printed for each bot: updates offered / answered / lost (no answer by the end of the drain),
429 answers the emulator gave, answer latency p50 / p99, CPU per offered update (this process's
user + system time over the measured phase and its drain, divided by the updates), and
sellerbot's ratios to the other two.

    python -m bench.updates                       # SQLite, both workloads, 20 and 60 /s, 30 s
    python -m bench.updates --quick               # 8 s per case: a smoke run
    python -m bench.updates --db postgres         # PostgreSQL at 127.0.0.1:5432 (user postgres)
    python -m bench.updates --workloads help --bots sellerbot --pyinstrument /tmp/profile

Goals (issue 8, `help` workload): sellerbot's CPU per update <= 0.75 x the typical bot's on the
same run, its p99 under the cap <= the typical bot's; above the cap 0 lost and 0 x 429.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import platform
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.baseline_bots import BaselineBot
from bench.figures import add_json_option, write_json
from bench.update_load import LoadPlan, LoadResult, serve
from bot.app import create_application
from bot.settings import Settings
from domain.services import sellers
from domain.services.orders import intake
from domain.unit_of_work import UnitOfWork
from sandbox.emulator import DEFAULT_TOKEN

BOTS = ("sellerbot", "typical", "bare")
FIRST_USER_ID = 5_000_000
ORDERS_PER_SELLER = 24  # three pages of /orders, more than a run confirms
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


@dataclass
class CaseFigures:
    bot: str
    workload: str
    rate: float
    offered: int
    answered: int
    lost: int
    too_many_requests: int
    p50_ms: float | None
    p99_ms: float | None
    cpu_ms_per_update: float
    stuck_steps: int
    seconds: float


# ----- databases -----


@asynccontextmanager
async def fresh_database(kind: str, directory: Path) -> AsyncIterator[str]:
    """A new empty database for one case: a SQLite file, or a PostgreSQL database dropped
    afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    import asyncpg

    name = f"sellerbot_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield POSTGRES_URL.format(name=name)
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# ----- the bots -----


async def seed_sellers(uow_factory: Callable[[], UnitOfWork], users: int) -> None:
    """Every simulated user is a seller with ORDERS_PER_SELLER orders awaiting confirmation."""
    for n in range(users):
        user_id = FIRST_USER_ID + n
        async with uow_factory() as uow:
            seller = await sellers.register_seller(
                sellers.RegisterSeller(user_id, f"Bench store {n}", "CN", "en"), uow
            )
            await uow.session.flush()
            ship_by = uow.now() + timedelta(days=10)
            for k in range(ORDERS_PER_SELLER):
                uow.orders.add(
                    intake.build_order(
                        intake.NewOrder(
                            seller_id=seller.id,
                            number=f"BN{n:04d}-{k:03d}",
                            ship_to_country="US",
                            ship_to_postcode="10001",
                            currency="USD",
                            ship_by=ship_by,
                            lines=[intake.NewOrderLine("Phone case", 2, "4.50", "SKU-1")],
                        ),
                        uow.now(),
                    )
                )
            await uow.commit()


async def start_bot(
    kind: str, api_base: str, database_url: str, directory: Path, workload: str, users: int
) -> Callable[[], Awaitable[None]]:
    """Start one bot; return the coroutine function that stops it."""
    if kind != "sellerbot":
        baseline = BaselineBot(kind, DEFAULT_TOKEN, api_base, database_url)
        await baseline.start()
        return baseline.stop
    settings = Settings(
        _env_file=None,
        telegram_bot_token=None,
        database_url=database_url,
        data_dir=directory,
        redis_url=None,
    )
    app = await create_application(settings, token=DEFAULT_TOKEN, api_base=api_base)
    if workload == "mix":
        await seed_sellers(app.uow_factory, users)
    await app.start(set_commands=False)
    return app.stop


# ----- one case -----


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return round(sorted_values[index] * 1000, 1)


async def _receive(connection: Connection) -> tuple[str, Any]:
    message: tuple[str, Any] = await asyncio.to_thread(connection.recv)
    return message


class Profile:
    """pyinstrument around the measured phase of sellerbot's cases, when asked for."""

    def __init__(self, directory: Path | None, name: str) -> None:
        self._directory = directory
        self._name = name
        self._profiler: Any = None

    def start(self) -> None:
        if self._directory is None:
            return
        from pyinstrument import Profiler

        self._profiler = Profiler(interval=0.001, async_mode="disabled")
        self._profiler.start()

    def stop(self) -> None:
        if self._profiler is None or self._directory is None:
            return
        self._profiler.stop()
        self._directory.mkdir(parents=True, exist_ok=True)
        tree = self._profiler.output_text(unicode=False, color=False, show_all=False)
        flat = self._profiler.output_text(unicode=False, color=False, flat=True)
        (self._directory / f"{self._name}.txt").write_text(tree, encoding="utf-8")
        (self._directory / f"{self._name}-flat.txt").write_text(flat, encoding="utf-8")
        (self._directory / f"{self._name}.html").write_text(
            self._profiler.output_html(), encoding="utf-8"
        )


async def run_case(
    args: argparse.Namespace, bot: str, workload: str, rate: float, directory: Path
) -> CaseFigures:
    plan = LoadPlan(
        workload=workload,
        users=args.users,
        rate=rate,
        duration=args.duration,
        warmup=args.warmup,
        drain=args.drain,
        first_user_id=FIRST_USER_ID,
        synthetic=bot != "sellerbot",
    )
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    load = context.Process(target=serve, args=(theirs, plan), daemon=True)
    load.start()
    profile = Profile(
        args.pyinstrument if bot == "sellerbot" else None, f"sellerbot-{workload}-{rate:g}"
    )
    try:
        _, api_base = await _receive(ours)
        async with fresh_database(args.db, directory) as database_url:
            stop = await start_bot(bot, api_base, database_url, directory, workload, args.users)
            try:
                ours.send("go")
                await _receive(ours)  # measuring
                cpu_started = time.process_time()
                profile.start()
                _, result = await _receive(ours)
                profile.stop()
                cpu = time.process_time() - cpu_started
            finally:
                await stop()
        ours.send("stop")
    finally:
        load.join(timeout=30)
        if load.is_alive():
            load.kill()
    assert isinstance(result, LoadResult)
    latencies = sorted(result.latencies)
    return CaseFigures(
        bot=bot,
        workload=workload,
        rate=rate,
        offered=result.offered,
        answered=result.answered,
        lost=result.lost,
        too_many_requests=result.too_many_requests,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        cpu_ms_per_update=round(cpu * 1000 / max(1, result.offered), 2),
        stuck_steps=result.stuck_steps,
        seconds=round(result.seconds, 1),
    )


# ----- output -----


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or not theirs:
        return "-"
    return f"{ours / theirs:.2f}x"


def print_group(cases: list[CaseFigures]) -> None:
    first = cases[0]
    cap = "under" if first.rate <= 30 else "above"
    print(
        f"\n{first.workload} at {first.rate:g} updates/s ({cap} Telegram's cap), "
        f"{first.seconds:g} s measured incl. drain"
    )
    print(
        f"  {'bot':<10} {'offered':>7} {'answered':>8} {'lost':>5} {'429s':>5} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'CPU ms/upd':>10}"
    )
    for case in cases:
        stuck = f"  ({case.stuck_steps} steps found no button)" if case.stuck_steps else ""
        print(
            f"  {case.bot:<10} {case.offered:>7} {case.answered:>8} {case.lost:>5} "
            f"{case.too_many_requests:>5} {_ms(case.p50_ms):>7} {_ms(case.p99_ms):>7} "
            f"{case.cpu_ms_per_update:>10.2f}{stuck}"
        )
    by_bot = {case.bot: case for case in cases}
    ours = by_bot.get("sellerbot")
    if ours is None:
        return
    for other in ("typical", "bare"):
        theirs = by_bot.get(other)
        if theirs is None:
            continue
        print(
            f"  sellerbot / {other}: CPU {_ratio(ours.cpu_ms_per_update, theirs.cpu_ms_per_update)}"
            f", p99 {_ratio(ours.p99_ms, theirs.p99_ms)}"
        )


def _machine() -> str:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load}; "
        f"Python {platform.python_version()}"
    )


async def run_all(args: argparse.Namespace) -> list[CaseFigures]:
    figures: list[CaseFigures] = []
    with tempfile.TemporaryDirectory(prefix="sellerbot-bench-updates-") as name:
        directory = Path(name)
        logging.basicConfig(
            level=logging.WARNING,
            filename=args.log or str(directory / "bots.log"),
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
        )
        for workload in args.workloads:
            for rate in args.rates:
                group = [await run_case(args, bot, workload, rate, directory) for bot in args.bots]
                print_group(group)
                figures.extend(group)
    return figures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--drain", type=float, default=90.0, help="most seconds to wait for answers"
    )
    parser.add_argument(
        "--rates", type=lambda s: [float(r) for r in s.split(",")], default=[20.0, 60.0]
    )
    parser.add_argument("--workloads", type=lambda s: s.split(","), default=["help", "mix"])
    parser.add_argument("--bots", type=lambda s: s.split(","), default=list(BOTS))
    parser.add_argument("--quick", action="store_true", help="8 s per case, 3 s warm-up")
    parser.add_argument(
        "--pyinstrument", type=Path, metavar="DIR", help="profile sellerbot's cases"
    )
    parser.add_argument("--log", help="the bots' warnings and errors go to this file")
    add_json_option(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.drain = 8.0, 3.0, 40.0
    unknown = set(args.bots) - set(BOTS)
    if unknown:
        parser.error(f"unknown bots: {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> list[CaseFigures]:
    args = parse_args(argv)
    print(f"bench/updates.py on {_machine()}; database {args.db}; {args.users} users")
    figures = asyncio.run(run_all(args))
    cases = [asdict(f) for f in figures]
    write_json({"machine": _machine(), "db": args.db, "cases": cases}, args.json)
    return figures


if __name__ == "__main__":
    main()
