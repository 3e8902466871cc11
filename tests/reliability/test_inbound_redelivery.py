"""Inbound updates delivered again to real `sellerbot` processes are applied once.

- A webhook process is killed with SIGKILL in the middle of an update (its transaction waits
  on a table lock the test holds, so the kill falls inside the handler, every time); Telegram's
  retry schedule brings the update to the restarted process, which applies it once.
- The answer to a webhook delivery is lost after the bot committed (a proxy in between answers
  502), and the emulator delivers updates again on its own: the bot takes each once.
- A polling process is killed before it confirmed its batch: the restarted process gets the
  whole batch again from the offset; what had committed is skipped, the rest applied once.

Each update's id goes into `processed_updates` in the update's own transaction, so "applied"
and "recorded as processed" commit together or not at all (`bot.middlewares`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot import database
from domain.model import ProcessedUpdate, Seller
from sandbox.emulator import BotApiEmulator
from tests.e2e.cli import FAKE_TOKEN, cli_environment
from tests.e2e.conftest import E2E_CHAT_INTERVAL, Chat, chat_with
from tests.reliability.processes import Zygote, free_port, ready

SECRET = "reliability-webhook-secret_0123"
REGISTERED = "is registered"
WHO = "Who are you?"


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    # Telegram's retry schedule (the emulator's default): 1, 2, 4, 8 ... seconds.
    return {"tokens": FAKE_TOKEN, "per_chat_interval": E2E_CHAT_INTERVAL, "local_webhooks": True}


def _bot_environment(
    tmp_path: Path, emulator: BotApiEmulator, url: str, **extra: str
) -> dict[str, str]:
    return cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=url,
        FLOOD_MAX_UPDATES="500",
        SEND_PRIVATE_CHAT_INTERVAL_SECONDS=str(E2E_CHAT_INTERVAL * 1.5),
        LOG_FORMAT="console",
        **extra,
    )


def _webhook_environment(
    tmp_path: Path, emulator: BotApiEmulator, url: str, port: int, public_port: int | None = None
) -> dict[str, str]:
    return _bot_environment(
        tmp_path,
        emulator,
        url,
        WEBHOOK_URL=f"http://127.0.0.1:{public_port or port}/telegram/webhook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT=str(port),
        # SIGKILL removes nothing, and the restarted process sets it again.
        WEBHOOK_DELETE_ON_STOP="false",
    )


async def _to_summary(chat: Chat, store: str) -> None:
    """A store registration up to its last question: "Create my store"."""
    await chat.send("/start")
    await chat.press("I sell on AliExpress", timeout=60)
    await chat.send(store)
    await chat.expect("Which country", timeout=30)
    await chat.press("China", timeout=30)
    await chat.press("English", timeout=30)
    await chat.expect("Please check", timeout=30)


@contextlib.asynccontextmanager
async def _sellers_locked(url: str) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Lock `sellers` against writes (reads go on): an update that registers a store waits on
    it, in the middle of its transaction. Yields a wait for that moment."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))

    async def someone_waits() -> None:
        for _ in range(600):
            waiting = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("no update reached the locked table")

    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE sellers IN SHARE MODE")
            yield someone_waits
    finally:
        await connection.close()


async def _count(url: str, model: Any) -> int:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


def _answers(emulator: BotApiEmulator, chat_id: int, fragment: str) -> int:
    return sum(fragment in m.content for m in emulator.history(chat_id) if m.from_bot)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_a_webhook_process_killed_mid_update_gets_it_again_and_applies_it_once(
    tmp_path: Path, emulator: BotApiEmulator, database_url: str
) -> None:
    port = free_port()
    env = _webhook_environment(tmp_path, emulator, database_url, port)
    chat = chat_with(emulator, 5301)
    loop = asyncio.get_running_loop()
    async with Zygote("webhook", env, tmp_path / "webhook.log") as zygote:
        pid = await zygote.start()
        await ready(port)
        await _to_summary(chat, "Killed Midway")
        async with _sellers_locked(database_url) as someone_waits:
            await chat.press("Create my store")
            pressed = emulator.update_log[-1]["update_id"]
            await someone_waits()
            await zygote.kill(pid)
            killed = loop.time()
        pid = await zygote.start()
        await ready(port)
        await chat.expect(REGISTERED, timeout=60)
        recovered = loop.time()
        await asyncio.sleep(1.0)  # a second answer would have time to show
        await zygote.stop(pid)

    attempts = [a for a in emulator.webhook_attempts if a.update_id == pressed]
    print(
        f"\nwebhook kill: update {pressed} delivered {len(attempts)} times "
        f"({[a.status or a.error for a in attempts]}), applied {recovered - killed:.1f} s "
        "after the kill"
    )
    # The killed process never answered; a retry reached the new one, which applied it.
    assert attempts[0].status is None and attempts[-1].status == 200
    assert await _count(database_url, Seller) == 1
    assert _answers(emulator, chat.user.chat_id, REGISTERED) == 1
    assert emulator.pending_updates == []


class LosingProxy:
    """Between Telegram and the bot: passes each update on, and for its first delivery
    answers 502 whatever the bot said (a load balancer that gave up waiting): Telegram then
    delivers an update the bot has already applied."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.bot_answers: Counter[int] = Counter()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self, port: int) -> None:
        app = web.Application()
        app.router.add_post("/telegram/webhook", self._pass)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _pass(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        update_id = int((await request.json())["update_id"])
        async with self._session.post(
            self.target, data=body, headers=dict(request.headers)
        ) as answer:
            status = answer.status
        if status == 200:
            self.bot_answers[update_id] += 1
            if self.bot_answers[update_id] == 1:
                return web.Response(status=502, text="bad gateway")
        return web.Response(status=status)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_webhook_updates_delivered_again_are_applied_once(
    tmp_path: Path, emulator: BotApiEmulator, database_url: str
) -> None:
    port, public = free_port(), free_port()
    proxy = LosingProxy(f"http://127.0.0.1:{port}/telegram/webhook")
    await proxy.start(public)
    env = _webhook_environment(tmp_path, emulator, database_url, port, public_port=public)
    chat = chat_with(emulator, 5401)
    try:
        async with Zygote("webhook", env, tmp_path / "webhook.log") as zygote:
            pid = await zygote.start()
            await ready(port)
            await _to_summary(chat, "Twice Told")
            await chat.press("Create my store")
            await chat.expect(REGISTERED, timeout=30)
            await emulator.wait_until(lambda: emulator.pending_updates == [], 60)
            # Telegram may also deliver an update again on its own: the whole conversation.
            for update in list(emulator.update_log):
                emulator.redeliver(update)
            await emulator.wait_until(lambda: emulator.pending_updates == [], 60)
            await asyncio.sleep(1.0)
            await zygote.stop(pid)
    finally:
        await proxy.close()

    update_ids = [update["update_id"] for update in emulator.update_log]
    print(
        f"\nwebhook redelivery: {len(update_ids)} updates, each delivered "
        f"{sorted(Counter(a.update_id for a in emulator.webhook_attempts).values())} times, "
        f"taken by the bot {sum(proxy.bot_answers.values())} times"
    )
    # Each update reached the bot three times: the lost answer, its retry, the redelivery.
    assert all(proxy.bot_answers[update_id] == 3 for update_id in update_ids), proxy.bot_answers
    assert await _count(database_url, ProcessedUpdate) == len(update_ids)
    assert await _count(database_url, Seller) == 1
    # Each step answered once: the conversation went on as if every update came once.
    for fragment in ("Which country", "Please check", REGISTERED):
        assert _answers(emulator, chat.user.chat_id, fragment) == 1, fragment


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
async def test_a_polling_process_killed_before_confirming_its_batch_applies_the_replay_once(
    tmp_path: Path, emulator: BotApiEmulator, database_url: str
) -> None:
    env = _bot_environment(tmp_path, emulator, database_url)
    seller = chat_with(emulator, 5501)
    others = [chat_with(emulator, 5510 + n) for n in range(5)]
    async with Zygote("run", env, tmp_path / "polling.log") as zygote:
        pid = await zygote.start()
        await emulator.wait_until(lambda: emulator.waiting_polls > 0, 120)
        await _to_summary(seller, "Replayed Batch")
        async with _sellers_locked(database_url) as someone_waits:
            # One batch: nothing awaits in between, so the long poll returns all six.
            await seller.press("Create my store")
            for chat in others:
                await chat.send("/start")
            batch = [update["update_id"] for update in emulator.update_log[-6:]]
            for chat in others:
                await chat.expect(WHO, timeout=60)  # committed and answered ...
            await someone_waits()  # ... while the batch's last update waits in its transaction
            await zygote.kill(pid)
        # Never confirmed: the next getUpdates without an offset gets all of it again.
        assert [update["update_id"] for update in emulator.pending_updates] == batch
        pid = await zygote.start()
        await seller.expect(REGISTERED, timeout=60)
        await emulator.wait_until(lambda: emulator.waiting_polls > 0, 60)
        await asyncio.sleep(1.0)
        await zygote.stop(pid)

    print(f"\npolling replay: batch of {len(batch)} updates replayed, 5 of them already applied")
    assert await _count(database_url, Seller) == 1
    assert _answers(emulator, seller.user.chat_id, REGISTERED) == 1
    for chat in others:
        assert _answers(emulator, chat.user.chat_id, WHO) == 1
    # The graceful stop confirmed the replayed batch: nothing is left to deliver.
    assert emulator.pending_updates == []
