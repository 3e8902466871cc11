"""Which process runs which scheduled job, and how a process reacts to SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from pathlib import Path

from bot.app import create_application
from bot.roles import Role, keep_jobs
from bot.settings import Settings
from bot.shutdown import EXIT_FORCED, Deadline, JobGate

ROOT = Path(__file__).resolve().parents[2]
SCHEDULED_WORK = {
    "prune_processed_updates",
    "prune_outbox",
    "order_reminders",
    "tracking_tick",
    "tracking_digests",
    "buyer_link_refusals",
    "return_deadlines",
}


async def _kept(tmp_path: Path, role: Role) -> set[str]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token="123:abc",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'roles.sqlite3'}",
        data_dir=tmp_path,
    )
    app = await create_application(settings)
    try:
        kept = set(keep_jobs(app.scheduler, app.jobs, role))
        assert {job.id for job in app.scheduler.get_jobs()} == kept
        return kept
    finally:
        await app.stop()


async def test_each_kind_of_process_keeps_its_own_jobs(tmp_path: Path) -> None:
    worker = await _kept(tmp_path, Role(intake=False, jobs=True))
    webhook = await _kept(tmp_path, Role(intake=True, jobs=False))
    embedded = await _kept(tmp_path, Role(intake=True, jobs=True))

    # SQLite's checkpoint is every process's; the import sweep goes with the updates' side.
    assert worker == SCHEDULED_WORK | {"sqlite_checkpoint"}
    assert webhook == {"order_import_sweep", "sqlite_checkpoint"}
    assert embedded == worker | webhook


async def test_a_closed_gate_starts_no_job_and_waits_for_the_running_one() -> None:
    gate = JobGate()
    calls: list[str] = []
    release = asyncio.Event()

    async def job(name: str) -> str:
        calls.append(name)
        await release.wait()
        return name

    running = asyncio.create_task(gate.guard(job)("first"))
    await asyncio.sleep(0)
    assert gate.running == 1
    draining = asyncio.create_task(gate.drain(Deadline(10)))
    await asyncio.sleep(0)
    assert await gate.guard(job)("after the close") is None
    release.set()

    assert await draining is True
    assert await running == "first"
    assert calls == ["first"]


async def test_a_second_signal_ends_a_stopping_process_at_once(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from bot.shutdown import run_until_signal

        async def start():
            print("started", flush=True)

        async def wait():
            await asyncio.Event().wait()

        async def stop():
            print("stopping", flush=True)
            await asyncio.Event().wait()  # a stop that would never end by itself

        asyncio.run(run_until_signal(start, wait, stop))
        """
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), 30) == b"started\n"
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.stdout.readline(), 30) == b"stopping\n"
    process.send_signal(signal.SIGTERM)

    assert await asyncio.wait_for(process.wait(), 30) == EXIT_FORCED
