"""With REDIS_URL set (several bot processes): conversation state, event isolation, flood
counters and send rate buckets live in Redis, and everything still works end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram.fsm.storage.redis import RedisStorage

from bot.fsm_storage import AfterCommitStorage
from bot.settings import Settings
from notifications.rate_limit_fallback import RedisRateLimiterWithFallback
from notifications.rate_limits import RedisRateLimiter
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import BotRunner, chat_with, make_settings

pytestmark = pytest.mark.redis


@pytest.fixture
def bot_settings(database_url: str, tmp_path: Path, redis_url: str) -> Settings:
    return make_settings(database_url, tmp_path, redis_url=redis_url)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_registration_resumes_after_restart_with_redis_state(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    storage = runner.app.dispatcher.storage
    assert isinstance(storage, AfterCommitStorage)
    assert isinstance(storage.inner, RedisStorage)
    limiter = runner.app.sender.limiter
    assert isinstance(limiter, RedisRateLimiterWithFallback)
    assert isinstance(limiter.shared, RedisRateLimiter)

    chat = chat_with(emulator, 5001)
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send("Redis Store")
    await chat.expect("Which country")

    await runner.restart()

    await chat.press("China")
    await chat.press("English")
    await chat.press("Create my store")
    await chat.expect("is registered")
    async with runner.app.uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(5001)
        assert seller is not None
        assert seller.store_name == "Redis Store"
