"""What the application does at start besides taking updates: the country name index is built
in a worker thread, so no update pays for it on the event loop, and stopping does not wait
for it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from domain import countries
from tests.handlers.chat import HandlerBot


async def test_start_builds_the_country_index_in_a_worker_thread(
    handler_bot: HandlerBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_in: list[threading.Thread] = []
    built = threading.Event()

    def warm_up() -> None:
        built_in.append(threading.current_thread())
        built.set()

    monkeypatch.setattr(countries, "warm_up", warm_up)
    await handler_bot.app.start(set_commands=False, polling=False, jobs=False)
    assert await asyncio.to_thread(built.wait, 30)
    assert len(built_in) == 1
    assert built_in[0] is not threading.current_thread()


async def test_stopping_during_the_build_does_not_wait_for_it(
    handler_bot: HandlerBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()

    def warm_up() -> None:
        started.set()
        release.wait(timeout=120)

    monkeypatch.setattr(countries, "warm_up", warm_up)
    await handler_bot.app.start(set_commands=False, polling=False, jobs=False)
    assert await asyncio.to_thread(started.wait, 30)
    try:
        # The build is still held: a stop waiting for it would not return before `release`.
        async with asyncio.timeout(60):
            await handler_bot.stop()
    finally:
        release.set()
