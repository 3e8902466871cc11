"""The sandbox across restarts, through the web chat's HTTP API: the bot keeps answering (update
ids never repeat for a database), and the chats come back as they were — or, where they cannot,
the page is told what the bot still remembers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.runner import SANDBOX_TOKEN
from bot.sandbox.webchat import CLIENT_HEADER, WebChatServer, open_sandbox
from bot.settings import Settings
from tests.browser.test_sandbox import sandbox_test_settings

HEADERS = {CLIENT_HEADER: "1"}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[WebChatServer, aiohttp.ClientSession]]:
    """One run of the sandbox process: the web chat and a client of its API."""
    async with (
        open_sandbox(settings, token=SANDBOX_TOKEN, port=0, demo_pause=0.05) as server,
        aiohttp.ClientSession(base_url=server.url) as http,
    ):
        yield server, http
        emulator = server.sandbox.emulator
        assert emulator is not None and not emulator.unexpected_violations


async def post(http: aiohttp.ClientSession, path: str, body: Any = None) -> Any:
    async with http.post(path, json=body or {}, headers=HEADERS) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def state(http: aiohttp.ClientSession) -> Any:
    async with http.get("/api/state") as response:
        assert response.status == 200
        return await response.json()


async def say(
    http: aiohttp.ClientSession,
    persona: str,
    text: str,
    expect: str,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Send ``text`` as ``persona``; the bot's first reply after it, which must contain ``expect``."""
    sent = await post(http, f"/api/personas/{persona}/messages", {"text": text})
    try:
        async with asyncio.timeout(timeout):
            while True:
                for message in (await state(http))["chats"][persona]["messages"]:
                    if message["from_bot"] and message["message_id"] > sent["message_id"]:
                        assert expect in (message["text"] or ""), message["text"]
                        return message  # type: ignore[no-any-return]
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"the bot did not answer {text!r} within {timeout}s") from None


async def test_the_first_message_after_a_restart_is_answered(tmp_path: Path) -> None:
    settings = sandbox_test_settings(tmp_path / "data")
    async with running(settings) as (_, http):
        await say(http, "buyer", "/help", "What I can do")
        await say(http, "seller", "/start", "Who are you?")
    # The same database remembers the update ids it processed; a new run must not reuse them.
    async with running(settings) as (server, http):
        await say(http, "buyer", "/help", "What I can do")
        emulator = server.sandbox.emulator
        assert emulator is not None and emulator.update_log[0]["update_id"] > 2


async def test_reset_with_a_kept_database_keeps_answering(tmp_path: Path) -> None:
    database = tmp_path / "external.sqlite3"
    settings = sandbox_test_settings(tmp_path / "data").model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{database}"}
    )
    async with running(settings) as (_, http):
        await say(http, "buyer", "/help", "What I can do")
        assert await post(http, "/api/reset") == {"database_wiped": False}
        assert database.exists()
        await say(http, "buyer", "/help", "What I can do")
