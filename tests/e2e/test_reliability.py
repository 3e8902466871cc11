"""Inbound reliability through the emulator: redelivered updates, floods, crashes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from domain.model import ProcessedUpdate, Seller
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import BotRunner, chat_with, make_settings

SLOW_DOWN = "faster than I can read"


async def _register(chat, store: str) -> None:  # type: ignore[no-untyped-def]
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send(store)
    await chat.expect("Which country")
    await chat.press("China")
    await chat.press("English")
    await chat.expect("Please check")


async def test_the_same_update_delivered_twice_is_applied_once(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    chat = chat_with(emulator, 2001)
    await _register(chat, "Twice Store")
    await chat.press("Create my store")
    await chat.expect("is registered")
    confirm_update = emulator.update_log[-1]
    assert "callback_query" in confirm_update

    # The bot stops before Telegram learnt the update was handled (as in a crash), so
    # Telegram delivers it again to the next instance.
    await runner.stop()
    emulator.redeliver(confirm_update)
    await runner.start()
    await emulator.wait_until(lambda: emulator.pending_updates == [], timeout=10)
    assert runner.app is not None
    await asyncio.sleep(0.5)
    await runner.app.replies.drain()

    async with runner.app.uow_factory() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Seller)) == 1
        processed = await uow.session.get(ProcessedUpdate, confirm_update["update_id"])
        assert processed is not None
    # The redelivered press produced no second answer.
    assert sum("is registered" in text for text in chat.user.texts()) == 1


@pytest.fixture
def bot_settings(database_url: str, tmp_path: Path) -> Settings:
    # The production flood limits, not the relaxed ones the other e2e tests use.
    return make_settings(database_url, tmp_path, flood_max_updates=20, flood_window_seconds=5)


# The flood is about the bot's inbound path, not the database: SQLite (the slower writer) only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_flood_from_one_user_does_not_starve_another(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    flooder = chat_with(emulator, 2002, name="Flood")
    calm = chat_with(emulator, 2003, name="Calm")

    async def flood() -> None:
        # 50 updates per second for 10 seconds.
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index in range(500):
            await flooder.user.send("/help")
            await asyncio.sleep(max(0.0, start + (index + 1) / 50 - loop.time()))

    flooding = asyncio.create_task(flood())
    await asyncio.sleep(2)
    await calm.send("/help")
    await calm.expect("What I can do", timeout=10)
    await flooding
    assert runner.app is not None
    # The accepted updates' answers leave at 1 message/s; the notice queues behind them.
    await emulator.wait_until(lambda: any(SLOW_DOWN in t for t in flooder.user.texts()), 60)
    await runner.app.replies.drain()

    notices = [text for text in flooder.user.texts() if SLOW_DOWN in text]
    assert len(notices) == 1
    # Most of the flood was dropped before it reached the database.
    async with runner.app.uow_factory() as uow:
        processed = await uow.session.scalar(select(func.count()).select_from(ProcessedUpdate))
    assert processed is not None and processed < 60
