"""Real `sellerbot` processes for the crash tests: started fast, killed hard, restarted.

`Zygote` starts a `sellerbot COMMAND` process per `start()`, forked by `tests.fork_server`
(which imported the bot once). `kill()` sends SIGKILL and waits until the
process is gone; `stop()` sends SIGTERM (the graceful stop) and waits likewise. The children's
logs go to one file, `log_path`, shown when a test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from pathlib import Path

import aiohttp

from tests import forks
from tests.e2e.cli import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def ready(port: int, timeout: float = 120) -> None:  # noqa: ASYNC109
    """Wait until the process listening on `port` answers /readyz with 200."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        while asyncio.get_running_loop().time() < deadline:
            # Not listening yet: ask again shortly.
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.05)
    raise AssertionError(f"the process on port {port} did not become ready")


class Zygote:
    """`sellerbot COMMAND` processes with one environment, forked by the test process's fork
    server (`tests.forks`), so that a start costs no imports."""

    def __init__(self, command: str, env: dict[str, str], log_path: Path) -> None:
        self.command = command
        self.env = env
        self.log_path = log_path
        self._processes: list[forks.ForkedProcess] = []

    async def __aenter__(self) -> Zygote:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # A test that failed half-way leaves no process behind.
        for process in self._processes:
            process.close()

    async def start(self) -> int:
        """Fork a new process; its pid (once the server's imports are done: a while at first)."""
        process = await forks.start([self.command], cwd=ROOT, env=self.env, log=self.log_path)
        self._processes.append(process)
        return process.pid

    async def kill(self, pid: int) -> None:
        """SIGKILL: the process ends wherever it is, and nothing of it runs any more."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        await self.gone(pid, 10)

    async def stop(self, pid: int, timeout: float = 60) -> None:  # noqa: ASYNC109
        """SIGTERM, the graceful stop, and wait for the exit."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        await self.gone(pid, timeout)

    async def gone(self, pid: int, timeout: float) -> None:  # noqa: ASYNC109
        deadline = asyncio.get_running_loop().time() + timeout
        while alive(pid):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"process {pid} did not end:\n{self.log_tail()}")
            await asyncio.sleep(0.01)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""
