"""One `sellerbot webhook` or `sellerbot worker` process of the local cluster.

Started as `python -m bot.cli <command>` (what the `sellerbot` script runs) with the cluster's
environment plus its own port. Its stdout and stderr are copied line by line to
`<log dir>/<name>.log`, each line prefixed with the process's name, and, when asked, to the
terminal too. `stop` sends SIGTERM (the graceful stop of docs/deploy.md, "Stopping") and kills
the process only if it outlives the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp

__all__ = ["ClusterProcess", "ProcessSpec", "wait_ready"]

# Start-up imports aiogram and checks the services: seconds on an idle machine, much longer on
# a busy one.
READY_TIMEOUT_SECONDS = 180.0


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    name: str  # "webhook-1", "worker-2": the log file and the prefix of its lines
    command: str  # "webhook" or "worker"
    port: int  # where it serves /healthz, /readyz and /metrics (and, a webhook, the updates)
    environment: Mapping[str, str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ClusterProcess:
    def __init__(self, spec: ProcessSpec, log_dir: Path, *, echo: TextIO | None = None) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        self._echo = echo
        self._process: asyncio.subprocess.Process | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._log: TextIO | None = None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        self._log = self.log_path.open("a", encoding="utf-8", buffering=1)
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            self.spec.command,
            env=dict(self.spec.environment),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Its own process group: a Ctrl-C in the terminal reaches the cluster, which then
            # stops each process in order, rather than all of them at once.
            start_new_session=True,
        )
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        self._pumps = [
            asyncio.create_task(self._pump(self._process.stdout)),
            asyncio.create_task(self._pump(self._process.stderr)),
        ]

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        prefix = f"{self.spec.name} | "
        while line := await stream.readline():
            text = prefix + line.decode("utf-8", "replace").rstrip("\n") + "\n"
            if self._log is not None:
                self._log.write(text)
            if self._echo is not None:
                self._echo.write(text)
                self._echo.flush()

    async def stop(self, grace: float) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit code."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        return await self.wait()

    async def wait(self) -> int:
        """Until the process exits and its output is copied; the exit code."""
        assert self._process is not None, "not started"
        code = await self._process.wait()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code


async def wait_ready(process: ClusterProcess, timeout: float = READY_TIMEOUT_SECONDS) -> None:  # noqa: ASYNC109
    """Until the process's /readyz answers 200; RuntimeError if it exits or times out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    url = process.spec.base_url + "/readyz"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(
                    f"{process.spec.name} exited with code {process.returncode}; "
                    f"see {process.log_path}"
                )
            # Not listening yet, or not ready: ask again shortly.
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{process.spec.name} was not ready within {timeout:.0f} s")
