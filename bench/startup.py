"""Benchmark: `sellerbot run` as a real process — time to its first answer, and its memory.

The Bot API emulator runs in this process with Telegram's limits (1 message a second per
private chat, 30 a second in all); the bot is `python -m bot.cli run` (what `sellerbot run`
starts), long polling it over HTTP, on a fresh database (`--db sqlite` or `postgres`). An update
is waiting in the emulator before the process is started, so the time to its answer is the
time from the process's start to its first handled update: imports, settings, the checks of
the Bot API and the database, and the first poll.

  1. first start     on an empty database: the migrations run before the first answer;
  2. restart         on the migrated database, after 100 sellers with 24 orders each were
                     written (what a restart of a live bot does);
  3. RSS after start the process's resident memory 2 s after that first answer;
  4. N updates       the realistic seller mix of bench/update_load.py (paging /orders, opening
                     an order, confirming it, a /neworder step, /cancel), 100 sellers at 20
                     updates a second in all (under Telegram's cap), until N were sent;
  5. RSS after them  resident memory now, and the process's peak (VmHWM); its CPU time per
                     update; then SIGTERM, and how long the process takes to exit.

    python -m bench.startup [--db sqlite|postgres] [--updates 10000] [--quick] [--json out.json]

No issue sets a goal on these figures; they say what a process costs before any work (the
RSS after start) and whether its memory keeps growing with work (after N updates).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from bench.figures import BenchResult, Figure, add_json_option, figures_from, write_result
from bench.harness import (
    cpu_seconds,
    current_rss_mb,
    fresh_database,
    run_in_scratch_directory,
    status_kb,
)
from bench.update_load import LoadPlan, LoadRun
from bench.updates import FIRST_USER_ID, seed_sellers
from sandbox.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "987654321:AAbench-startup-token"
FIRST_CONTACT = FIRST_USER_ID - 1  # the user whose waiting update the new process answers
USERS = 100
RATE = 20.0
START_TIMEOUT = 600.0  # a busy shared machine took 144 s to import aiogram and start
_OWN_VARIABLES = ("TELEGRAM_", "DATABASE_URL", "REDIS_URL", "DATA_DIR", "OPERATOR_IDS", "SEND_")
# The project's packages, compiled before the first start as an installed release would be
# (pip compiles them; the development environment may forbid writing bytecode).
PACKAGES = ("bot", "domain", "handlers", "notifications", "sandbox", "templates", "migrations")


class BotProcess:
    """`python -m bot.cli run` with this run's settings; its output goes to a log file."""

    def __init__(self, api_base: str, database_url: str, directory: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            PYTHONPATH=str(ROOT),
            DATA_DIR=str(directory),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=api_base,
            DATABASE_URL=database_url,
        )
        self._env = env
        self._log_path = directory / "bot.log"
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def compile(self) -> None:
        """Write the project's bytecode beside its sources (`__pycache__`, ignored by git)."""
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", *PACKAGES],
            cwd=ROOT,
            env=self._env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self._log = self._log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def check_running(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self._log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"sellerbot run exited with {self.process.returncode}:\n{tail}")

    async def stop(self) -> tuple[int | None, float]:
        """SIGTERM; the exit code and the seconds the process took to exit."""
        assert self.process is not None
        assert self._log is not None
        started = time.perf_counter()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(self.process.wait, 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = None
        self._log.close()
        return code, time.perf_counter() - started


async def first_answer(emulator: BotApiEmulator, bot: BotProcess) -> tuple[float, float]:
    """Start the process with an update already waiting; the seconds until its answer arrives,
    and the CPU seconds the process had used by then (what a busy machine does not inflate)."""
    user = emulator.user(FIRST_CONTACT, first_name="First", language_code="en")
    answers_before = sum(1 for message in emulator.history(user.chat_id) if message.from_bot)
    await user.send("/help")
    started = time.perf_counter()
    bot.start()

    def answered() -> bool:
        bot.check_running()
        history = emulator.history(user.chat_id)
        return sum(1 for message in history if message.from_bot) > answers_before

    if not await emulator.wait_until(answered, START_TIMEOUT):
        raise RuntimeError(f"no answer {START_TIMEOUT:g} s after the start")
    return round(time.perf_counter() - started, 2), round(cpu_seconds(bot.pid), 2)


async def seed(database_url: str) -> None:
    from bot import database
    from domain.unit_of_work import UnitOfWork

    engine = database.create_engine(database_url)
    try:
        sessions = database.create_session_factory(engine)
        await seed_sellers(lambda: UnitOfWork(sessions), USERS)
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"db": args.db, "updates": args.updates}
    async with BotApiEmulator(tokens=TOKEN) as emulator, fresh_database(args.db, directory) as url:
        first = BotProcess(emulator.base_url, url, directory)
        await asyncio.to_thread(first.compile)
        answer = await first_answer(emulator, first)
        figures["first_start_seconds"], figures["first_start_cpu_seconds"] = answer
        figures["first_start_exit"], _ = await first.stop()
        await seed(url)

        bot = BotProcess(emulator.base_url, url, directory)
        try:
            answer = await first_answer(emulator, bot)
            figures["restart_seconds"], figures["restart_cpu_seconds"] = answer
            await asyncio.sleep(2.0)
            figures["rss_after_start_mb"] = round(current_rss_mb(bot.pid), 1)
            plan = LoadPlan(
                workload="mix",
                users=USERS,
                rate=RATE,
                duration=float("inf"),
                warmup=0.0,
                drain=60.0,
                first_user_id=FIRST_USER_ID,
                synthetic=False,
                max_updates=args.updates,
            )
            cpu_before = cpu_seconds(bot.pid)
            tracker, seconds = await LoadRun(emulator, plan).phase(float("inf"), plan.drain)
            bot.check_running()
            figures["cpu_ms_per_update"] = round(
                (cpu_seconds(bot.pid) - cpu_before) * 1000 / max(tracker.offered, 1), 2
            )
            figures["rss_after_updates_mb"] = round(current_rss_mb(bot.pid), 1)
            figures["peak_rss_mb"] = round(status_kb(bot.pid, "VmHWM") / 1024, 1)
            figures["offered"] = tracker.offered
            figures["answered"] = len(tracker.latencies)
            figures["load_seconds"] = round(seconds, 1)
        finally:
            code, exit_seconds = await bot.stop()
        figures["exit_code"] = code
        figures["exit_seconds"] = round(exit_seconds, 2)
    return figures


def figures_of(details: dict[str, Any]) -> list[Figure]:
    start = [
        ("first answer, empty database", "first_start_seconds", "s"),
        ("CPU time to the first answer, empty database", "first_start_cpu_seconds", "s"),
        ("first answer after a restart", "restart_seconds", "s"),
        ("CPU time to the first answer after a restart", "restart_cpu_seconds", "s"),
        ("RSS after start", "rss_after_start_mb", "MiB"),
    ]
    work = [
        ("RSS after them", "rss_after_updates_mb", "MiB"),
        ("peak RSS", "peak_rss_mb", "MiB"),
        ("CPU per update", "cpu_ms_per_update", "ms"),
        ("answered", "answered", f"of {details['offered']:,}"),
        ("exit after SIGTERM", "exit_seconds", "s"),
    ]
    mix = f"{details['offered']:,} updates of the seller mix, {details['db']}"
    return figures_from(f"`sellerbot run`, {details['db']}", details, start) + figures_from(
        mix, details, work
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 updates")
    add_json_option(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.updates = 1_000
    figures = run_in_scratch_directory(run, args, "sellerbot-bench-startup-")
    figures["python"] = platform.python_version()
    print(f"`sellerbot run` on {figures['db']} — Python {figures['python']}")
    print(
        f"  first answer, empty database (migrations run): {figures['first_start_seconds']} s "
        f"({figures['first_start_cpu_seconds']} s of CPU)"
    )
    print(
        f"  first answer after a restart:                  {figures['restart_seconds']} s "
        f"({figures['restart_cpu_seconds']} s of CPU)"
    )
    print(f"  RSS 2 s after the first answer:                {figures['rss_after_start_mb']} MiB")
    print(
        f"  after {figures['offered']:,} updates of the seller mix ({figures['answered']:,} "
        f"answered, {figures['load_seconds']} s): RSS {figures['rss_after_updates_mb']} MiB, "
        f"peak {figures['peak_rss_mb']} MiB, CPU {figures['cpu_ms_per_update']} ms per update"
    )
    print(
        f"  SIGTERM: exit code {figures['exit_code']} after {figures['exit_seconds']} s "
        f"(first process: {figures['first_start_exit']})"
    )
    write_result(BenchResult("startup", figures_of(figures), figures), args.json)
    return figures


if __name__ == "__main__":
    main()
