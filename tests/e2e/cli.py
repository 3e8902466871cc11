"""Running the `sellerbot` command in a subprocess while the test's emulator keeps serving."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests import forks

ROOT = Path(__file__).resolve().parents[2]
# A token nobody could mistake for another string in the output.
FAKE_TOKEN = "987654321:AAFake-Recognisable-SECRET_token_xyz"
TOKEN_SECRET = FAKE_TOKEN.split(":", 1)[1]
_OWN_VARIABLES = (
    "TELEGRAM_",
    "DATABASE_URL",
    "REDIS_URL",
    "DATA_DIR",
    "OPERATOR_IDS",
    "TRACKING_",
    "SANDBOX_",
    "WEBHOOK_",
)

# Both drive the same way: pid, returncode, stdout/stderr, send_signal, kill, wait, communicate.
CliProcess = asyncio.subprocess.Process | forks.ForkedProcess


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_environment(data_dir: Path, **variables: str) -> dict[str, str]:
    """The test process's environment without any sellerbot setting, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}
    env.update(PYTHONPATH=str(ROOT), DATA_DIR=str(data_dir), **variables)
    return env


async def start_cli(*args: str, cwd: Path, env: dict[str, str]) -> CliProcess:
    """`sellerbot *args` as its own process: forked by the test process's fork server (the
    imports paid once), or with SELLERBOT_TEST_FORKS=0 started from scratch."""
    if forks.ENABLED:
        return await forks.start(list(args), cwd=cwd, env=env)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: CliProcess, timeout: float = 60) -> Finished:  # noqa: ASYNC109
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        stdout, stderr = await process.communicate()
        raise AssertionError(f"sellerbot did not exit in {timeout} s:\n{stderr.decode()}") from None
    assert process.returncode is not None
    return Finished(process.returncode, stdout.decode(), stderr.decode())


async def run_cli(*args: str, cwd: Path, env: dict[str, str], timeout: float = 60) -> Finished:  # noqa: ASYNC109
    return await finish(await start_cli(*args, cwd=cwd, env=env), timeout)
