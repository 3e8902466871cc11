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
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.baseline_bots import BaselineBot
from bench.figures import BenchResult, Figure, add_json_option, at_most, write_result
from bench.harness import bot_settings, fresh_database, percentile
from bench.update_load import LoadPlan, LoadResult, serve
from bot.app import create_application
from domain.services import sellers
from domain.services.orders import intake
from domain.unit_of_work import UnitOfWork
from sandbox.emulator import DEFAULT_TOKEN

BOTS = ("sellerbot", "typical", "bare")
FIRST_USER_ID = 5_000_000
ORDERS_PER_SELLER = 24  # three pages of /orders, more than a run confirms
# The model of docs/scaling.md: a seller sends ~100 updates a day, the peak is 5 x the
# average, and a process keeps a core at 60 % of its capacity.
SELLER_PEAK_UPDATES_PER_SECOND = 100 * 5 / 86_400
CORE_SHARE = 0.6


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
    app = await create_application(
        bot_settings(directory, database_url), token=DEFAULT_TOKEN, api_base=api_base
    )
    if workload == "mix":
        await seed_sellers(app.uow_factory, users)
    await app.start(set_commands=False)
    return app.stop


# ----- one case -----


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


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
    timing = {name: getattr(args, name) for name in ("users", "duration", "warmup", "drain")}
    plan = LoadPlan(
        workload, rate=rate, first_user_id=FIRST_USER_ID, synthetic=bot != "sellerbot", **timing
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
    # The counts as the load process reported them; the times as the table shows them.
    counts = ("offered", "answered", "lost", "too_many_requests", "stuck_steps")
    return CaseFigures(
        bot,
        workload,
        rate,
        p50_ms=_ms(percentile(latencies, 0.50)),
        p99_ms=_ms(percentile(latencies, 0.99)),
        cpu_ms_per_update=round(cpu * 1000 / max(1, result.offered), 2),
        seconds=round(result.seconds, 1),
        **{name: getattr(result, name) for name in counts},
    )


# ----- output -----


def _shown(value: float | None) -> str:
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
            f"{case.too_many_requests:>5} {_shown(case.p50_ms):>7} {_shown(case.p99_ms):>7} "
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


def _ratio_value(ours: float | None, theirs: float | None) -> float | None:
    return None if ours is None or not theirs else round(ours / theirs, 2)


def figures_of(cases: list[CaseFigures], db: str) -> list[Figure]:
    """The goals of issue 8 §6 on each group of cases (one workload at one rate), and how many
    sellers one process serves by the seller mix's CPU (the model of docs/scaling.md)."""
    figures: list[Figure] = []
    source = "issue 8 §6"
    groups: dict[tuple[str, float], dict[str, CaseFigures]] = {}
    for case in cases:
        groups.setdefault((case.workload, case.rate), {})[case.bot] = case
    for (workload, rate), by_bot in groups.items():
        label = f"{workload} at {rate:g}/s, {db}"
        ours, typical = by_bot.get("sellerbot"), by_bot.get("typical")
        under_cap = rate <= 30
        goals = workload == "help"  # the goals are set on /help
        for bot, case in by_bot.items():
            figures.append(Figure(label, f"CPU per update, {bot}", case.cpu_ms_per_update, "ms"))
            if under_cap:
                figures.append(Figure(label, f"answer p99, {bot}", case.p99_ms, "ms"))
            else:
                figures.append(
                    Figure(
                        label,
                        f"updates lost, {bot} (of {case.offered})",
                        case.lost,
                        goal=at_most(0, source) if goals and bot == "sellerbot" else None,
                    )
                )
        if ours is None:
            continue
        if under_cap and typical is not None:
            cpu = _ratio_value(ours.cpu_ms_per_update, typical.cpu_ms_per_update)
            p99 = _ratio_value(ours.p99_ms, typical.p99_ms)
            figures.append(
                Figure(
                    label,
                    "CPU sellerbot ÷ typical",
                    cpu,
                    "x",
                    at_most(0.75, source) if goals else None,
                )
            )
            figures.append(
                Figure(
                    label,
                    "p99 sellerbot ÷ typical",
                    p99,
                    "x",
                    at_most(1, source) if goals else None,
                )
            )
        if not under_cap:
            figures.append(
                Figure(
                    label,
                    "429 answers, sellerbot",
                    ours.too_many_requests,
                    goal=at_most(0, source) if goals else None,
                )
            )
        if workload == "mix" and under_cap and ours.cpu_ms_per_update:
            per_second = CORE_SHARE * 1000 / ours.cpu_ms_per_update
            figures.append(
                Figure(
                    label,
                    "sellers one process serves (docs/scaling.md model)",
                    int(per_second / SELLER_PEAK_UPDATES_PER_SECOND),
                )
            )
    return figures


def main(argv: list[str] | None = None) -> list[CaseFigures]:
    args = parse_args(argv)
    print(f"bench/updates.py on {_machine()}; database {args.db}; {args.users} users")
    cases = asyncio.run(run_all(args))
    details = {"machine": _machine(), "db": args.db, "cases": [asdict(c) for c in cases]}
    write_result(BenchResult("updates", figures_of(cases, args.db), details), args.json)
    return cases


if __name__ == "__main__":
    main()
