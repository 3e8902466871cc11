"""Graceful shutdown: what the processes share between SIGTERM and exit.

On the first SIGTERM (or SIGINT) a process stops taking new work, lets the work in flight
finish within SHUTDOWN_TIMEOUT_SECONDS, cancels what is left, hands back the leases of rows it
claimed but did not process (so a restart or another worker takes them at once instead of after
the lease), and exits 0. A second signal ends the process at once (`EXIT_FORCED`): whoever sends
it has stopped waiting, and every lease it held then runs out by itself.

- `run_until_signal` is the loop every long-running command uses (run, webhook, worker).
- `JobGate` wraps the scheduler's jobs: once closed no new run starts, and the runs in flight
  are awaited until the deadline, then cancelled (each job hands back what it claimed).
- `Deadline` is the one time budget the steps of a shutdown share, so the whole stop stays
  within the timeout however many steps it has.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)

__all__ = ["EXIT_FORCED", "Deadline", "JobGate", "run_until_signal"]

# 128 + SIGTERM, what a shell reports for a process killed by it: not a clean stop.
EXIT_FORCED = 143

P = ParamSpec("P")
T = TypeVar("T")


class Deadline:
    """A point in (monotonic) time that several shutdown steps share."""

    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + max(seconds, 0.0)

    def remaining(self) -> float:
        return max(self._at - time.monotonic(), 0.0)


class JobGate:
    """Lets the scheduler's jobs run until `close()`; then lets the runs in flight finish.

    A job is any coroutine function given to `guard`. Once the gate is closed a run the
    scheduler starts returns at once without calling the job, so a job due during the
    shutdown claims nothing. `on_close` callbacks tell long jobs to stop claiming between
    batches (the tracking poller, the return deadlines); they finish the batch in hand.
    """

    def __init__(self) -> None:
        self._open = True
        self._running: set[asyncio.Task[Any]] = set()
        self._on_close: list[Callable[[], None]] = []

    @property
    def running(self) -> int:
        return len(self._running)

    def on_close(self, callback: Callable[[], None]) -> None:
        self._on_close.append(callback)

    def guard(self, job: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T | None]]:
        @functools.wraps(job)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> T | None:
            if not self._open:
                return None
            task = asyncio.current_task()
            assert task is not None  # a coroutine job always runs in a task
            self._running.add(task)
            try:
                return await job(*args, **kwargs)
            finally:
                self._running.discard(task)

        return guarded

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        for callback in self._on_close:
            callback()

    async def drain(self, deadline: Deadline) -> bool:
        """Wait for the runs in flight until the deadline, then cancel the rest; True if
        every run finished by itself."""
        self.close()
        running = set(self._running)
        if not running:
            return True
        _, late = await asyncio.wait(running, timeout=deadline.remaining())
        for task in late:
            task.cancel()
        if late:
            # Cancelled jobs hand their claims back in their own `finally`/`except` blocks.
            await asyncio.gather(*late, return_exceptions=True)
            log.warning("shutdown: %d scheduled job(s) cancelled at the deadline", len(late))
        return not late


def _exit_now(signum: int) -> None:
    # Nothing is flushed or awaited: the person who sent the second signal wants it gone.
    log.warning("second %s: exiting at once", signal.Signals(signum).name)
    logging.shutdown()
    os._exit(EXIT_FORCED)


async def run_until_signal(
    start: Callable[[], Awaitable[None]],
    wait: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
) -> None:
    """start(), then run until SIGINT/SIGTERM or until wait() ends (on an error), then stop().

    While stop() runs, a second signal ends the process at once.
    """
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def first_signal(signum: int) -> None:
        log.info("%s: stopping (a second signal exits at once)", signal.Signals(signum).name)
        stop_requested.set()
        for sig in signals:
            loop.add_signal_handler(sig, _exit_now, sig)

    for sig in signals:
        loop.add_signal_handler(sig, first_signal, sig)
    stopper = asyncio.ensure_future(stop_requested.wait())
    background: asyncio.Future[None] | None = None
    try:
        await start()
        background = asyncio.ensure_future(wait())
        await asyncio.wait({background, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped_on_request = stopper.done()
        stopper.cancel()
        # From here a signal (first or second) means "now": stop() is already under way.
        for sig in signals:
            loop.add_signal_handler(sig, _exit_now, sig)
        try:
            await stop()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
        log.info("stopped")
    assert background is not None  # set unless start() raised, and then we are not here
    outcome = (await asyncio.gather(background, return_exceptions=True))[0]
    # Polling and the outbox end by themselves only on an error (e.g. the token was revoked).
    if not stopped_on_request and isinstance(outcome, Exception):
        raise outcome
