"""`sellerbot webhook` as a process on a private PostgreSQL cluster that is stopped and started:
`/readyz` fails while the database is down (`/healthz` stays alive), and once it is back the
process is ready again and the update Telegram kept redelivering meanwhile is applied once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot import database
from domain.model import ProcessedUpdate
from sandbox.emulator import BotApiEmulator
from tests.e2e.cli import FAKE_TOKEN, cli_environment
from tests.e2e.conftest import E2E_CHAT_INTERVAL, chat_with
from tests.fixtures.private_services import PrivatePostgres, free_port

SECRET = "faults-webhook-secret_0123456789"
UNAVAILABLE = "I can't reach my storage"


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "tokens": FAKE_TOKEN,
        "per_chat_interval": E2E_CHAT_INTERVAL,
        "local_webhooks": True,
        # Telegram's schedule, scaled down: an update refused during the outage is tried
        # again every second until the database is back.
        "webhook_retry_delays": (0.5, 1.0),
    }


async def _status(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


async def _until_ready(http: aiohttp.ClientSession, base: str, timeout: float) -> float:  # noqa: ASYNC109
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        # Refused while the process starts: asked again.
        with contextlib.suppress(aiohttp.ClientError):
            if (await _status(http, base + "/readyz"))[0] == 200:
                return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"/readyz was not 200 within {timeout} s")


async def _processed(url: str, update_id: int) -> int:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(ProcessedUpdate)
                .where(ProcessedUpdate.update_id == update_id)
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def test_readyz_fails_while_postgresql_is_stopped_and_recovers(
    tmp_path: Path, emulator: BotApiEmulator, private_postgres: PrivatePostgres
) -> None:
    url = await private_postgres.create_database("sellerbot")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=url,
        WEBHOOK_URL=f"{base}/telegram/webhook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT=str(port),
        FLOOD_MAX_UPDATES="500",
        SEND_PRIVATE_CHAT_INTERVAL_SECONDS=str(E2E_CHAT_INTERVAL * 1.5),
        CONNECT_TIMEOUT_SECONDS="3",
    )
    # The process's output goes to a file: a pipe nobody reads while the database is down
    # would fill up with its error lines and stall it.
    output = tmp_path / "webhook.log"
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *_cli("webhook"), cwd=tmp_path, env=env, stdout=sink, stderr=sink
        )
    figures: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
            figures["start to ready"] = await _until_ready(http, base, timeout=180)
            chat = chat_with(emulator, 5201)
            await chat.send("/start")
            await chat.expect("Who are you?", timeout=30)

            figures["pg_ctl stop -m fast"] = await private_postgres.stop("fast")
            status, body = await _status(http, base + "/readyz")
            assert status == 503, body
            assert '"database": {"ok": false' in body
            assert "unreachable" in body
            assert (await _status(http, base + "/healthz"))[0] == 200  # alive all the same

            # Sent while the database is down: refused with a non-2xx, kept by Telegram.
            await chat.send("/help")
            held = emulator.update_log[-1]["update_id"]
            await emulator.wait_until(
                lambda: sum(a.update_id == held for a in emulator.webhook_attempts) >= 2, 30
            )
            refused = [a for a in emulator.webhook_attempts if a.update_id == held]
            assert all(a.error is not None for a in refused), refused
            await asyncio.sleep(1.0)
            assert (await _status(http, base + "/readyz"))[0] == 503
            assert not [m for m in chat._fresh() if UNAVAILABLE in m.content]

            outage_started = time.monotonic()
            figures["pg_ctl start"] = await private_postgres.start()
            figures["start to ready again"] = await _until_ready(http, base, timeout=60)
            await chat.expect("register your AliExpress store", timeout=30)
            figures["outage to /help answered"] = time.monotonic() - outage_started
            figures["refused deliveries of /help"] = sum(
                a.update_id == held and a.error is not None for a in emulator.webhook_attempts
            )
            assert await _processed(url, held) == 1

            # And the next update is handled as ever.
            await chat.send("/start")
            await chat.expect("Who are you?", timeout=30)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
    log = output.read_text(errors="replace")
    assert process.returncode == 0, log[-3000:]
    print("readiness figures:", {k: round(v, 2) for k, v in figures.items()})


def _cli(*args: str) -> list[str]:
    import sys

    return [sys.executable, "-m", "bot.cli", *args]
