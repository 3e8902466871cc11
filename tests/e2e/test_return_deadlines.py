"""Return deadlines end to end: the real bot, the emulator, a real database and a clock the test
moves. A store that never answers a return: each reminder reaches the seller once, the lapse is
recorded, and both sides are told what it means — the seller in English, the buyer in French.
A store that agrees to a refund and never records it: the card shows the agreed terms and the
refund's day, the store is reminded, the case expires, and the buyer takes it to the platform
from the lapse notice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from domain.returns.deadlines import DeadlineKind, Firing
from domain.returns.rules import CaseStatus, Side
from domain.services import erasure
from notifications.return_deadlines import ReturnDeadlineJob, return_deadline_rules
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import BotRunner, chat_with, labels_in, make_settings
from tests.returns_fixtures import case_row, firings, open_damaged, shipped_to_buyer
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


REFUND_SELLER_ID = 7_349_000_002
REFUND_BUYER_ID = 7_349_012_002


async def test_an_agreed_refund_never_recorded_lapses_and_the_buyer_goes_to_the_platform(
    runner: BotRunner, emulator: BotApiEmulator, clock: FixedClock
) -> None:
    app = runner.app
    assert app is not None
    fr = labels_in(app.renderer, "fr")
    seller = chat_with(emulator, REFUND_SELLER_ID, name="Seller")
    buyer = chat_with(emulator, REFUND_BUYER_ID, language="fr", name="Amélie")
    store = await Store(app.uow_factory, REFUND_SELLER_ID, "Slow Payer").open()
    bought = await shipped_to_buyer(app.uow_factory, store, "AE-NOPAY", REFUND_BUYER_ID, 47_100_002)
    case_id = await open_damaged(app.uow_factory, bought)  # asks €3.50 back, nothing returned
    await app.outbox.drain()
    job = ReturnDeadlineJob(app.uow_factory, return_deadline_rules(app.settings))

    # The store accepts the buyer's request on its card; the card shows what it agreed to.
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    await seller.press("Accept")
    await seller.expect_alert("Accepted")
    card = await seller.expect("What was agreed")
    assert "Partial refund · €3.50" in card.content
    assert "record the refund here by Dec 2 10:00" in card.content
    lapse = [
        f
        for f in await firings(app.uow_factory, case_id)
        if f.firing is Firing.LAPSE and f.cancelled_at is None
    ]
    assert [(f.kind, f.side, f.due_at) for f in lapse] == [
        (DeadlineKind.REFUND, Side.SELLER, datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    ]

    # Half time (84 h), a day before (144 h) and the lapse (168 h), each tick twice.
    for hours in (83, 1, 1, 59, 22, 1, 1):
        clock.advance(hours=hours)
        await job.tick()
        await job.tick()
        await app.outbox.drain()

    case = f"R-{case_id}"
    to_seller = [m.content for m in seller.user.bot_messages() if case in m.content]
    reminders = [text for text in to_seller if text.startswith("⏰")]
    assert len(reminders) == 2, to_seller
    assert all("refund the buyer the agreed €3.50" in text for text in reminders)
    assert [text for text in to_seller if text.startswith("⌛")] == [
        app.renderer.render(
            "returns.deadline_lapsed",
            "en",
            kind="refund",
            recipient="seller",
            case_id=case_id,
            order_number="AE-NOPAY",
        )
    ]
    # The buyer has nothing to do before it lapses, then hears it in French.
    assert not any(m.content.startswith("⏰") for m in buyer.user.bot_messages())
    to_buyer = [m.content for m in buyer.user.bot_messages() if m.content.startswith("⌛")]
    assert len(to_buyer) == 1 and "remboursement convenu" in to_buyer[0], to_buyer
    row = await case_row(app.uow_factory, case_id)
    assert (row.status, row.events[-1].action) == (CaseStatus.EXPIRED, "refund_not_recorded")
    async with app.uow_factory() as uow:
        assert await erasure.erasure_blockers(REFUND_BUYER_ID, uow) == []

    # From the lapse notice the buyer opens a platform dispute, after the usual question.
    await buyer.press(fr("return_action.escalate"))
    await buyer.press(fr("returns.escalate_yes"))
    await buyer.expect("est désormais un litige")
    row = await case_row(app.uow_factory, case_id)
    assert (row.status, row.status_before_escalation, row.escalated_by) == (
        CaseStatus.ESCALATED,
        CaseStatus.EXPIRED,
        Side.BUYER,
    )
