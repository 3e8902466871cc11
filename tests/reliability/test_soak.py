"""Soak: thousands of updates of a realistic mix through the dispatcher, and the process's memory
stays flat after a warm-up — no cache or map grows with every user or update.

The mix, per cycle of about twenty updates: a new seller registers their store (a
conversation, button presses), then uses commands, types what the bot does not understand,
sends a photo and a document where none is expected, presses a forged button; someone starts
registering and leaves half-way; a buyer opens an order link (taken or fresh), asks for
their orders and help, and sends a link with a broken payload. Handler tier (`feed_update`, no
HTTP), SQLite, no rate limits (they have tests of their own).

RSS is sampled every 1,000 updates after a warm-up of 2,000 (after a collection, so garbage
that is merely not yet collected does not count); growth past the warm-up must stay within
`RSS_GROWTH_LIMIT_MB`. The suite plays the full 10,000 updates (nine samples from the warm-up
on); SELLERBOT_SOAK_UPDATES sets another number (at least 3,000).
"""

from __future__ import annotations

import gc
import os
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.event_isolation import ForgetfulEventIsolation
from tests.conftest import FixedClock, migrated_templates
from tests.e2e.conftest import make_settings
from tests.handlers.chat import Chat, HandlerBot, Press, copy_database
from tests.handlers.conftest import _NoRateLimits
from tests.tracking_fixtures import Store, s10

# 10,000 take about 55 s of CPU on a quiet machine (5 ms an update), three times that loaded.
UPDATES = int(os.environ.get("SELLERBOT_SOAK_UPDATES", "10000"))
WARM_UP = 2_000
SAMPLE_EVERY = 1_000
RSS_GROWTH_LIMIT_MB = 15.0
SELLER_WITH_ORDERS = 7_000_001
BUYER_LINKS = 20


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * resource.getpagesize() / 2**20


@pytest.fixture
async def soak_bot(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, clock: FixedClock
) -> AsyncIterator[HandlerBot]:
    template = migrated_templates.sqlite_file(tmp_path_factory)
    settings = make_settings(
        copy_database(template, tmp_path / "bot.sqlite3"),
        tmp_path,
        send_private_chat_interval_seconds=0,
        flood_max_updates=10**9,
    )
    bot = HandlerBot(settings, clock)
    app = await bot.start()
    app.sender.limiter = _NoRateLimits()
    try:
        yield bot
    finally:
        await bot.stop()


class Mix:
    """Plays the cycles and counts updates; forgets each cycle's chats as people do."""

    def __init__(self, bot: HandlerBot, tokens: list[str]) -> None:
        self.bot = bot
        self.tokens = tokens
        self.updates = 0
        self.unanswered: list[str] = []

    async def _do(self, chat: Chat, move: str | Press, *, data: str | None = None) -> None:
        if data is not None:
            answer = await chat.press_data(1, data)
        elif isinstance(move, Press):
            answer = await chat.press(move.label)
        elif move == "<photo>":
            answer = await chat.send_photo(size=40_000)
        elif move == "<document>":
            answer = await chat.send_document("notes.pdf", "application/pdf", size=20_000)
        else:
            answer = await chat.send(move)
        self.updates += 1
        if not answer.messages and not answer.popups:
            self.unanswered.append(str(move))

    async def cycle(self, n: int) -> None:
        seller = Chat(self.bot, 8_000_000 + n, first_name="Soak")
        for move in (
            "/start",
            Press("I sell on AliExpress"),
            f"Soak <Store> {n}",
            Press("China"),
            Press("English"),
            Press("Create my store"),
            "/help",
            "/orders",
            "what is this thing?",
            "<photo>",
            "<document>",
            "/warehouses",
            "/start",
        ):
            await self._do(seller, move)
        await self._do(seller, "forged", data=f"ord:x:{n}")
        leaver = Chat(self.bot, 8_500_000 + n, first_name="Half", language="fr")
        for move in ("/start", Press("AliExpress"), f"Magasin {n}"):
            await self._do(leaver, move)
        buyer = Chat(self.bot, 9_000_000 + n, first_name="Buyer", language="de")
        for move in (
            f"/start {self.tokens[n % len(self.tokens)]}",
            "/orders",
            "/help",
            "/start not-a-real-link-payload",
        ):
            await self._do(buyer, move)
        # The recording session keeps every request, and what every message shows, for
        # assertions: not what is measured.
        self.bot.session.forget()


async def test_thousands_of_updates_leave_memory_flat(
    soak_bot: HandlerBot, clock: FixedClock
) -> None:
    store = await Store(soak_bot.app.uow_factory, SELLER_WITH_ORDERS).open()
    tokens = [
        (await store.ship(f"AE-{index}", s10("RB", 30_000_000 + index))).token
        for index in range(BUYER_LINKS)
    ]
    mix = Mix(soak_bot, tokens)
    started = time.monotonic()
    cpu_before = _cpu_seconds()
    samples: list[tuple[int, float]] = []
    next_sample = WARM_UP
    n = 0
    while mix.updates < UPDATES:
        await mix.cycle(n)
        n += 1
        if mix.updates >= next_sample:
            gc.collect()
            samples.append((mix.updates, round(rss_mb(), 1)))
            next_sample += SAMPLE_EVERY
    wall = time.monotonic() - started
    cpu = _cpu_seconds() - cpu_before
    growth = samples[-1][1] - samples[0][1]
    print(
        "soak figures:",
        {
            "updates": mix.updates,
            "cycles": n,
            "wall (s)": round(wall, 1),
            "updates/s": round(mix.updates / wall, 1),
            "CPU (s)": round(cpu, 1),
            "CPU ms/update": round(1000 * cpu / mix.updates, 2),
            "RSS MB by updates": samples,
            "growth after warm-up (MB)": round(growth, 1),
            "unanswered": len(mix.unanswered),
        },
    )
    # Every update was answered with a message or a pop-up (none fell into silence).
    assert not mix.unanswered, mix.unanswered[:10]
    assert len(samples) >= 2
    # What the process keeps per user is dropped once their updates are done.
    isolation = soak_bot.app.dispatcher.fsm.events_isolation
    assert isinstance(isolation, ForgetfulEventIsolation)
    assert isolation.users_in_flight == 0
    assert growth <= RSS_GROWTH_LIMIT_MB, samples
