"""`sellerbot` processes forked by `tests.fork_server`, driven like `asyncio.subprocess.Process`.

One server per test process, started on first use and ended with it (its stdin is our pipe).
`start(argv, cwd, env)` asks it for a child and returns a `ForkedProcess`: the same `pid`,
`returncode`, `stdout`/`stderr` streams, `send_signal`/`terminate`/`kill`, `wait` and
`communicate` as a subprocess, so tests read the same either way. SELLERBOT_TEST_FORKS=0 makes
`tests.e2e.cli.start_cli` start real subprocesses instead (e.g. to rule the server out).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENABLED = os.environ.get("SELLERBOT_TEST_FORKS", "1") != "0"


class _Server:
    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="sellerbot-forks-"))
        self.path = str(self.directory / "socket")
        self.log_path = self.directory / "server.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.fork_server", self.path],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self.ready = False
        atexit.register(self.close)

    def close(self) -> None:
        """End the server with the test process: it stops once its stdin closes."""
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def wait_ready(self) -> None:
        if self.ready:
            return
        assert self.process.stdout is not None
        line = await asyncio.to_thread(self.process.stdout.readline)
        if line.strip() != b"ready":
            raise AssertionError(f"the fork server did not start:\n{self.log_tail()}")
        self.ready = True

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


_server: _Server | None = None


async def _running_server() -> _Server:
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = _Server()
    await _server.wait_ready()
    return _server


async def _reader(fd: int) -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    return reader


class ForkedProcess:
    def __init__(
        self,
        connection: socket.socket,
        pid: int,
        stdout: asyncio.StreamReader | None,
        stderr: asyncio.StreamReader | None,
    ) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self._connection = connection
        self._exit = asyncio.ensure_future(self._watch())

    async def _watch(self) -> int:
        loop = asyncio.get_running_loop()
        try:
            message = await loop.sock_recv(self._connection, 4096)
        finally:
            self._connection.close()
        if not message:
            raise AssertionError(f"the fork server lost process {self.pid}")
        return int(json.loads(message)["exit"])

    @property
    def returncode(self) -> int | None:
        if self._exit.done() and not self._exit.cancelled() and self._exit.exception() is None:
            return self._exit.result()
        return None

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            # Ended but not yet reported: as a subprocess's zombie would, take the signal quietly.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    async def communicate(self) -> tuple[bytes, bytes]:
        async def read(stream: asyncio.StreamReader | None) -> bytes:
            return b"" if stream is None else await stream.read()

        stdout, stderr = await asyncio.gather(read(self.stdout), read(self.stderr))
        await self.wait()
        return stdout, stderr

    def close(self) -> None:
        """Let go of the process: the server kills it if it still runs (the watch, ending,
        hangs up)."""
        self._exit.cancel()


async def start(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: Path | None = None
) -> ForkedProcess:
    """A forked `sellerbot *argv` (`python -m bot.cli *argv`) with this environment and cwd.

    Its stdout and stderr are the process's streams, or with `log` both are appended to that
    file (the streams are then None, as a subprocess's are when not piped)."""
    server = await _running_server()
    loop = asyncio.get_running_loop()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    connection.setblocking(False)
    if log is None:
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        ours, theirs = [out_read, err_read], [out_write, err_write]
    else:
        log_fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        ours, theirs = [], [log_fd, log_fd]
    try:
        await loop.sock_connect(connection, server.path)
        request = json.dumps({"argv": argv, "env": env, "cwd": str(cwd)}).encode()
        socket.send_fds(connection, [request], theirs)
        reply = await asyncio.wait_for(loop.sock_recv(connection, 4096), 60)
    except BaseException:
        connection.close()
        for fd in ours:
            os.close(fd)
        raise
    finally:
        for fd in set(theirs):
            os.close(fd)
    if not reply:
        connection.close()
        raise AssertionError(f"the fork server refused a start:\n{server.log_tail()}")
    pid = int(json.loads(reply)["pid"])
    streams = [await _reader(fd) for fd in ours] or [None, None]
    return ForkedProcess(connection, pid, *streams)
