"""Every start-up failure of `sellerbot` is one line on stderr and a non-zero exit code: no
traceback, no secret, nothing else printed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.emulator import BotApiEmulator
from tests.e2e.cli import FAKE_TOKEN, TOKEN_SECRET, Finished, cli_environment, run_cli

DB_PASSWORD = "pg-PASS-visible-1"
REDIS_PASSWORD = "rd-PASS-visible-2"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def assert_one_line(result: Finished, *, exit_code: int, says: str) -> str:
    assert result.returncode == exit_code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sellerbot: ")
    assert says in lines[0], lines[0]
    assert "Traceback" not in result.output
    for secret in (TOKEN_SECRET, DB_PASSWORD, REDIS_PASSWORD):
        assert secret not in result.output
    return lines[0]


async def test_a_base_url_that_is_no_url(tmp_path: Path) -> None:
    """The issue's report: this printed the token inside InvalidUrlClientError."""
    env = cli_environment(tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, TELEGRAM_API_BASE="nonsense")
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(result, exit_code=2, says="invalid setting TELEGRAM_API_BASE")


async def test_a_token_the_bot_api_refuses(tmp_path: Path, emulator: BotApiEmulator) -> None:
    assert FAKE_TOKEN not in emulator.tokens  # the emulator answers 401 Unauthorized
    env = cli_environment(
        tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, TELEGRAM_API_BASE=emulator.base_url
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(result, exit_code=2, says="refused TELEGRAM_BOT_TOKEN (401 Unauthorized)")
    assert [call.status for call in emulator.calls("getMe")] == [401]


async def test_a_server_that_is_not_a_bot_api(tmp_path: Path, emulator: BotApiEmulator) -> None:
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=f"{emulator.base_url}/not-the-api",
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(result, exit_code=2, says="check TELEGRAM_API_BASE")


async def test_an_unreachable_bot_api(tmp_path: Path) -> None:
    port = closed_port()
    env = cli_environment(
        tmp_path, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, TELEGRAM_API_BASE=f"http://127.0.0.1:{port}"
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(
        result,
        exit_code=1,
        says=f"cannot reach the Bot API at 127.0.0.1:{port}: connection refused",
    )


async def test_an_unknown_bot_api_host(tmp_path: Path) -> None:
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE="http://sellerbot-no-such-host.invalid",
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(result, exit_code=1, says="sellerbot-no-such-host.invalid: host name not found")


async def test_unreachable_postgresql(tmp_path: Path, emulator: BotApiEmulator) -> None:
    emulator.tokens.add(FAKE_TOKEN)
    port = closed_port()
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=f"postgresql+asyncpg://bot:{DB_PASSWORD}@127.0.0.1:{port}/sellerbot",
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(
        result, exit_code=1, says=f"cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused"
    )


async def test_unreachable_postgresql_when_migrating(tmp_path: Path) -> None:
    port = closed_port()
    env = cli_environment(
        tmp_path, DATABASE_URL=f"postgresql://bot:{DB_PASSWORD}@127.0.0.1:{port}/sellerbot"
    )
    result = await run_cli("migrate", cwd=tmp_path, env=env)
    assert_one_line(result, exit_code=1, says=f"cannot reach PostgreSQL at 127.0.0.1:{port}")


async def test_unreachable_redis(tmp_path: Path, emulator: BotApiEmulator) -> None:
    emulator.tokens.add(FAKE_TOKEN)
    port = closed_port()
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0",
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(
        result, exit_code=1, says=f"cannot reach Redis at 127.0.0.1:{port}: connection refused"
    )


async def test_the_sandbox_port_in_use(tmp_path: Path, busy_port: int) -> None:
    env = cli_environment(tmp_path)
    result = await run_cli("sandbox", "--port", str(busy_port), cwd=tmp_path, env=env)
    line = assert_one_line(
        result, exit_code=1, says=f"port {busy_port} on 127.0.0.1 is already in use"
    )
    assert "--port" in line


async def test_the_sandbox_port_in_use_from_the_settings(tmp_path: Path, busy_port: int) -> None:
    env = cli_environment(tmp_path, SANDBOX_PORT=str(busy_port))
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(result, exit_code=1, says="SANDBOX_PORT")


async def test_a_postgresql_host_that_never_answers(
    tmp_path: Path, emulator: BotApiEmulator, busy_port: int
) -> None:
    # The port takes the connection (the kernel's backlog) and nothing ever answers on it.
    emulator.tokens.add(FAKE_TOKEN)
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=f"postgresql+asyncpg://bot:{DB_PASSWORD}@127.0.0.1:{busy_port}/sellerbot",
        CONNECT_TIMEOUT_SECONDS="1",
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(
        result,
        exit_code=1,
        says=f"cannot reach PostgreSQL at 127.0.0.1:{busy_port}: no answer in time",
    )


async def test_a_redis_host_that_never_answers(
    tmp_path: Path, emulator: BotApiEmulator, busy_port: int
) -> None:
    emulator.tokens.add(FAKE_TOKEN)
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:{busy_port}/0",
        CONNECT_TIMEOUT_SECONDS="1",
    )
    result = await run_cli("run", cwd=tmp_path, env=env)
    assert_one_line(
        result, exit_code=1, says=f"cannot reach Redis at 127.0.0.1:{busy_port}: no answer in time"
    )
