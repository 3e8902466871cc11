"""`sellerbot webhook` as a process: it serves, answers users through the emulator's webhook
delivery, stops cleanly on SIGTERM (removing the webhook), and never prints its secrets."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.emulator import BotApiEmulator
from tests.e2e.cli import FAKE_TOKEN, TOKEN_SECRET, cli_environment, finish, start_cli
from tests.e2e.conftest import E2E_CHAT_INTERVAL, chat_with

SECRET = "process-webhook-secret_0123456789"


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "tokens": FAKE_TOKEN,
        "per_chat_interval": E2E_CHAT_INTERVAL,
        "local_webhooks": True,
        "webhook_retry_delays": (0.2, 0.4),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Start-up imports aiogram and migrates a fresh database: seconds on an idle machine, and over a
# minute on a shared one under load.
async def _ready(base: str, timeout: float = 240) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        while asyncio.get_running_loop().time() < deadline:
            try:
                async with http.get(base + "/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("sellerbot webhook did not become ready")


async def test_the_webhook_process_serves_and_stops_on_sigterm(
    tmp_path: Path, emulator: BotApiEmulator
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        WEBHOOK_URL=url,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT=str(port),
        FLOOD_MAX_UPDATES="500",
        SEND_PRIVATE_CHAT_INTERVAL_SECONDS=str(E2E_CHAT_INTERVAL * 1.5),
    )
    process = await start_cli("webhook", cwd=tmp_path, env=env)
    try:
        await _ready(f"http://127.0.0.1:{port}")
        assert emulator.webhook_url == url
        chat = chat_with(emulator, 5101)
        await chat.send("/start")
        await chat.expect("Who are you?", timeout=30)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    finished = await finish(process, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert emulator.webhook_url is None  # removed on the way out
    assert "running as @" in finished.output and "(webhook)" in finished.output
    for secret in (SECRET, TOKEN_SECRET):
        assert secret not in finished.output
