"""A store that never answers a return, end to end: the real bot, the emulator, a real database
and a clock the test moves. Each reminder reaches the seller once, the lapse is recorded, and
both sides are told what it means — the seller in English, the buyer in French."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from domain.returns.rules import CaseStatus
from notifications.return_deadlines import ReturnDeadlineJob, return_deadline_rules
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import BotRunner, chat_with, make_settings
from tests.returns_fixtures import case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER_ID = 7_349_000_001
BUYER_ID = 7_349_012_001
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def bot_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def runner(
    emulator: BotApiEmulator, bot_settings: Settings, clock: FixedClock
) -> AsyncIterator[BotRunner]:
    bot_runner = BotRunner(emulator, bot_settings, clock=clock)
    app = await bot_runner.start()
    # The test ticks the deadlines and drains the outbox itself, between moves of the clock.
    app.scheduler.pause()
    await app.outbox.stop()
    try:
        yield bot_runner
    finally:
        await bot_runner.stop()


async def test_a_silent_store_is_reminded_once_per_moment_then_both_sides_hear_the_lapse(
    runner: BotRunner, emulator: BotApiEmulator, clock: FixedClock
) -> None:
    app = runner.app
    assert app is not None
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    buyer = chat_with(emulator, BUYER_ID, language="fr", name="Amélie")
    store = await Store(app.uow_factory, SELLER_ID, "Silent Store").open()
    bought = await shipped_to_buyer(app.uow_factory, store, "AE-SILENT", BUYER_ID, 47_100_001)
    case_id = await open_damaged(app.uow_factory, bought)
    await app.outbox.drain()
    job = ReturnDeadlineJob(app.uow_factory, return_deadline_rules(app.settings))

    # Half time (60 h), a day before (96 h) and the lapse (120 h); each tick twice, and the
    # outbox drained, before, at and after each moment.
    for hours in (59, 1, 1, 35, 1, 22, 1, 24):
        clock.advance(hours=hours)
        await job.tick()
        await job.tick()
        await app.outbox.drain()

    case = f"R-{case_id}"
    to_seller = [m.content for m in seller.user.bot_messages() if case in m.content]
    reminders = [text for text in to_seller if text.startswith("⏰")]
    lapses = [text for text in to_seller if text.startswith("⌛")]
    assert len(reminders) == 2, to_seller
    assert all("is waiting for your answer" in text for text in reminders)
    assert lapses == [
        app.renderer.render(
            "returns.deadline_lapsed",
            "en",
            kind="seller_first_answer",
            recipient="seller",
            case_id=case_id,
            order_number="AE-SILENT",
        )
    ]
    to_buyer = [m.content for m in buyer.user.bot_messages() if m.content.startswith("⌛")]
    assert len(to_buyer) == 1, to_buyer
    assert case in to_buyer[0] and "rembours" in to_buyer[0]
    # Nothing for the buyer to do before the lapse: no reminder reached them.
    assert not any(m.content.startswith("⏰") for m in buyer.user.bot_messages())
    row = await case_row(app.uow_factory, case_id)
    assert row.status == CaseStatus.EXPIRED
    assert [event.action for event in row.events][-1] == "seller_silent"
