"""The file worker: reads uploaded files in a child process, bounded in memory and time.

Parsers of spreadsheets, CSV and JSON run on whatever a user sends. In the bot's process they
would stop every other user while they run and could take all its memory. So each file is read
in a fresh child process (`python -m bot.file_worker`) that

- limits its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) before it imports any
  parser, says it is ready once the parser is imported, and is killed by the parent once its
  wall-clock budget is spent. The budget starts at "ready": starting Python and importing
  take seconds on a busy machine (the child runs at a lower priority), and that is not the
  file's fault. Start-up has its own, longer limit; past it the user is told the bot is busy;
- gets a scrubbed environment (no bot token, no database or Redis URL) and a path to the file;
- sends back plain data only (builtins, Decimal, date and time), in length-prefixed pickle
  frames on its stdout, which the parent loads with an allow-list of those types: a child
  subverted by a hostile file still cannot make the bot run code.

A job emits messages as it goes and the parent takes them one at a time; the pipe's
back-pressure keeps the child from running ahead, so a large import never sits whole in the
bot's memory. Any way a child can fail (a limit, a crash, garbage on the pipe) ends as an
`InvalidInput` the user can read: "took longer than N s", "needed more than N MB", or the job's
own "could not read this file".

The jobs themselves are in `bot.file_jobs` (and `bot.certificate_check`); they call the
domain's pure readers.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import json
import logging
import os
import pickle
import resource
import signal
import sys
import time
from collections import defaultdict
from collections.abc import AsyncGenerator, Callable, Mapping
from pathlib import Path
from typing import Any, TypedDict, Unpack

log = logging.getLogger(__name__)

# What each job name runs in the child ("module:function"); nothing else can be asked for.
JOBS: Mapping[str, str] = {
    "order_file": "bot.file_jobs:order_file",
    "rate_card": "bot.file_jobs:rate_card",
    "certificate": "bot.certificate_check:certificate",
    "case_file": "bot.certificate_check:case_file",
}
DEFAULT_MEMORY_MB = 512
# How much lower the child's CPU priority is than the bot's (see `nice`).
WORKER_NICENESS = 10
# A child exits with this code when a parser ran out of its memory allowance.
EXIT_MEMORY = 70
MAX_FRAME_BYTES = 16 * 2**20
# How long a child may take to start and import its job before it reads the file. Generous:
# at a lower priority on a machine busy answering users, imports alone can take many seconds.
STARTUP_SECONDS = 60.0
# CPU seconds the child may spend on start-up (Python, the job's imports) besides its budget.
STARTUP_CPU_SECONDS = 10
# How long a child whose output ended may take to exit before it is killed.
EXIT_WAIT_SECONDS = 5.0
# Environment variables a child may see: enough to start Python, nothing secret.
_ENV_KEPT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")
_PROJECT_ROOT = Path(__file__).resolve().parents[1]
_PLAIN_TYPES = frozenset(
    {
        ("decimal", "Decimal"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
    }
)


class _PlainUnpickler(pickle.Unpickler):
    """Loads builtins, Decimal and date/time values; refuses every other class."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PLAIN_TYPES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def load_plain(payload: bytes) -> Any:
    return _PlainUnpickler(io.BytesIO(payload)).load()


def _invalid(key: str, **params: Any) -> Exception:
    from domain.errors import InvalidInput

    return InvalidInput(key, **params)


class JobOptions(TypedDict):
    """How `FileWorker.stream` runs a job: its time budget, and the file it reads named in the
    message the user gets when the file cannot be read (`unreadable_key`)."""

    seconds: float
    file_name: str
    unreadable_key: str


class FileWorker:
    """Runs jobs in child processes, at most `max_concurrent` of each job at a time."""

    def __init__(
        self,
        *,
        memory_mb: int = DEFAULT_MEMORY_MB,
        max_concurrent: int = 2,
        heartbeat_seconds: float = 2.0,
        python: str = sys.executable,
        jobs: Mapping[str, str] = JOBS,
    ) -> None:
        self.memory_mb = memory_mb
        self._jobs = jobs
        self._heartbeat = heartbeat_seconds
        self._python = python
        self._slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(max_concurrent)
        )
        pythonpath = os.pathsep.join(
            path for path in (str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if path
        )
        self._env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
        self._env |= {"PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1"}

    async def run(self, job: str, params: Mapping[str, Any], **options: Unpack[JobOptions]) -> Any:
        """A job that sends one message: that message."""
        async with contextlib.aclosing(self.stream(job, params, **options)) as messages:
            async for message in messages:
                if message is not None:
                    return message
        raise _invalid(options["unreadable_key"], file_name=options["file_name"])

    async def stream(
        self,
        job: str,
        params: Mapping[str, Any],
        *,
        seconds: float,
        file_name: str,
        unreadable_key: str,
    ) -> AsyncGenerator[Any, None]:
        """The job's messages as they come; None every `heartbeat_seconds` of silence.

        `seconds` is the time budget of the child: what the caller spends between two
        messages (saving a batch, say) is not counted against it. Use in `aclosing`, so the
        child is killed when the caller stops early.
        """
        if job not in self._jobs:
            raise ValueError(f"unknown file job {job!r}")
        request = {
            "target": self._jobs[job],
            "params": dict(params),
            "memory_bytes": self.memory_mb * 2**20,
            "cpu_seconds": int(seconds) + 1,
        }
        slot = self._slots[job]
        while True:  # waiting for a free slot counts as silence too
            try:
                async with asyncio.timeout(self._heartbeat):
                    await slot.acquire()
                break
            except TimeoutError:
                yield None
        try:
            process = await asyncio.create_subprocess_exec(
                self._python,
                "-B",
                "-m",
                "bot.file_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=self._env,
            )
            assert process.stdin is not None
            assert process.stdout is not None
            frames: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue(maxsize=1)
            reader = asyncio.create_task(_read_frames(process.stdout, frames))
            try:
                process.stdin.write(json.dumps(request).encode())
                with contextlib.suppress(ConnectionError):
                    await process.stdin.drain()
                process.stdin.close()
                ready = False
                remaining = STARTUP_SECONDS
                while True:
                    started = time.monotonic()
                    try:
                        async with asyncio.timeout(max(0.0, min(remaining, self._heartbeat))):
                            frame = await frames.get()
                    except TimeoutError:
                        remaining -= time.monotonic() - started
                        if remaining > 0:
                            yield None
                            continue
                        if ready:
                            raise _invalid(
                                "files.time_limit", file_name=file_name, seconds=int(seconds)
                            ) from None
                        log.warning("file job %s: the worker did not start in time", job)
                        raise _invalid("files.worker_busy", file_name=file_name) from None
                    remaining -= time.monotonic() - started
                    kind = frame[0]
                    if kind == "ready" and not ready:
                        ready, remaining = True, float(seconds)
                    elif kind == "message" and ready:
                        yield frame[1]
                    elif kind == "end" and ready:
                        return
                    elif kind == "invalid":
                        raise _invalid(frame[1], **frame[2])
                    elif kind == "memory":
                        raise _invalid(
                            "files.memory_limit", file_name=file_name, megabytes=self.memory_mb
                        )
                    elif kind == "failed":
                        log.warning("file job %s failed in the worker: %s", job, frame[1])
                        raise _invalid(unreadable_key, file_name=file_name)
                    else:  # the pipe closed or made no sense: how did the child end?
                        code: int | None = None
                        with contextlib.suppress(TimeoutError):
                            code = await asyncio.wait_for(process.wait(), EXIT_WAIT_SECONDS)
                        raise self._exit_error(code, job, seconds, file_name, unreadable_key)
            finally:
                # Done, over budget, or the caller stopped listening: the child goes either way.
                reader.cancel()
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
        finally:
            slot.release()

    def _exit_error(
        self, code: int | None, job: str, seconds: float, file_name: str, unreadable_key: str
    ) -> Exception:
        """Why a child ended without finishing, from its exit code."""
        if code == EXIT_MEMORY or code == -signal.SIGKILL:  # SIGKILL: the kernel's OOM killer
            return _invalid("files.memory_limit", file_name=file_name, megabytes=self.memory_mb)
        if code == -signal.SIGXCPU:
            return _invalid("files.time_limit", file_name=file_name, seconds=int(seconds))
        log.warning("file job %s: worker exited with code %s", job, code)
        return _invalid(unreadable_key, file_name=file_name)


async def _read_frames(
    stdout: asyncio.StreamReader, frames: asyncio.Queue[tuple[Any, ...]]
) -> None:
    """Frames from the child, one queued at a time; ("eof",) when it stops making sense."""
    try:
        while True:
            size = int.from_bytes(await stdout.readexactly(4), "big")
            if size > MAX_FRAME_BYTES:
                break
            try:
                frame = load_plain(await stdout.readexactly(size))
            except (pickle.UnpicklingError, ValueError, TypeError, EOFError, AttributeError):
                break
            if not isinstance(frame, tuple) or not frame:
                break
            await frames.put(frame)
    except asyncio.IncompleteReadError:
        pass
    await frames.put(("eof",))


# ----- the child -----


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    # Reading a file is background work: the bot answering users comes first on the CPU.
    os.nice(WORKER_NICENESS)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # The child reads one file and writes none.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _limit_cpu_from_now(cpu_seconds: int) -> None:
    """Lower the CPU limit to `cpu_seconds` more than spent so far (start-up is not counted)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = min(spent + cpu_seconds, hard - 1)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))


def _frame(value: Any) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return len(payload).to_bytes(4, "big") + payload


def _plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """An error's parameters as JSON-safe values: they end up in the outbox."""
    loaded: dict[str, Any] = json.loads(json.dumps(dict(params), default=str))
    return loaded


def child_main() -> None:
    request = json.loads(sys.stdin.buffer.read(2**20))
    _limit_resources(request["memory_bytes"], request["cpu_seconds"] + STARTUP_CPU_SECONDS)
    # The frames own the real stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(message: Any) -> None:
        out.write(_frame(("message", message)))
        out.flush()

    try:
        from domain.errors import InvalidInput

        module, _, function = request["target"].partition(":")
        job: Callable[..., None] = getattr(importlib.import_module(module), function)
        _limit_cpu_from_now(request["cpu_seconds"])
        out.write(_frame(("ready",)))
        out.flush()
        try:
            job(emit, **request["params"])
            result: tuple[Any, ...] = ("end",)
        except InvalidInput as error:
            result = ("invalid", error.key, _plain_params(error.params))
        except MemoryError:
            raise
        except Exception as error:  # a parser failing on a hostile file: never a crash
            result = ("failed", type(error).__name__)
        out.write(_frame(result))
        out.flush()
    except MemoryError:
        with contextlib.suppress(BaseException):
            out.write(_frame(("memory",)))
            out.flush()
        os._exit(EXIT_MEMORY)
    os._exit(0)


if __name__ == "__main__":
    child_main()
