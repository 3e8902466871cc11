"""The seller's and operator's side of tracking, end to end: /shipments with its filters and a
shipment card with the journey, the daily digest, a seller who also buys, the buyer's /track
and /stop, and operators listing and retrying dead letters with /outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.model import NotificationStatus
from domain.services import shipments
from domain.tracking import SubStatus
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID, BotRunner, chat_with
from tests.tracking_fixtures import ScriptedProvider, Store, event, s10, update

SELLER_ID, OTHER_SELLER_ID, BUYER_ID = 7501, 7502, 7503
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 18:00 in Shenzhen, 11:00 in Paris


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def runner(tracked_runner: BotRunner) -> BotRunner:
    return tracked_runner


async def test_the_seller_follows_parcels_and_the_buyer_tracks_and_stops(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: ScriptedProvider
) -> None:
    app = runner.app
    assert app is not None
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    chat_with(emulator, OPERATOR_ID, name="Olga")
    store = await Store(app.uow_factory, SELLER_ID).open()
    moving = await store.ship("SH-1", s10("RB", 66_000_001), country="FR")
    arrived = await store.ship("SH-2", s10("RB", 66_000_002), country="FR")
    buyer = chat_with(emulator, BUYER_ID, language="en")
    await buyer.send(f"/start {moving.token}")
    await buyer.expect("You are following this order now")

    t0 = clock.now
    provider.updates[moving.tracking_number] = update(
        moving.tracking_number,
        [
            event(
                t0 + timedelta(minutes=5), SubStatus.INFO_RECEIVED, "Label printed", "Shenzhen, CN"
            ),
            event(
                t0 + timedelta(minutes=50),
                SubStatus.IN_TRANSIT_PICKED_UP,
                "Picked up",
                "Shenzhen, CN",
            ),
        ],
    )
    provider.updates[arrived.tracking_number] = update(
        arrived.tracking_number,
        [
            event(t0 + timedelta(minutes=5), SubStatus.IN_TRANSIT_PICKED_UP, "Picked up"),
            event(
                t0 + timedelta(minutes=55),
                SubStatus.DELIVERED_OTHER,
                "Left at the door",
                "Lyon, FR",
            ),
        ],
    )
    clock.advance(hours=1)
    await app.tracking.tick()
    await buyer.expect("Your parcel is on its way")

    await seller.send("/shipments")
    listing = await seller.expect("Your shipments")
    assert "On the way: 1" in listing.content
    await seller.press("SH-1")
    card = await seller.expect("Shipment of order SH-1")
    assert "Label printed" in card.content and "Picked up" in card.content
    assert "Shenzhen, China" in card.content
    assert "The buyer follows the parcel in the bot" in card.content
    await seller.press("Delivered")
    delivered = await seller.expect("Your shipments")
    assert "Delivered: 1" in delivered.content
    await seller.press("SH-2")
    await seller.expect("Left at the door")

    # The daily summary, once the seller asks for it (18:00 in Shenzhen: today's is due).
    await seller.send("/digest")
    await seller.expect("Daily summary on")
    async with app.uow_factory() as uow:
        assert await shipments.queue_digests(uow) == 1
        assert await shipments.queue_digests(uow) == 0  # once a day
        await uow.commit()
    digest = await seller.expect("your shipments on")
    assert "On its way: <b>1</b>" in digest.content

    # The buyer: /track shows the journey of their only order; /stop silences everything.
    await buyer.send("/track")
    journey = await buyer.expect("The journey of order SH-1")
    assert "Label printed" in journey.content and "Shenzhen, China" in journey.content
    assert "Times are shown in Paris." in journey.content
    await buyer.send("/stop")
    await buyer.expect("you will get no more tracking messages")
    provider.updates[moving.tracking_number] = update(
        moving.tracking_number,
        [
            *provider.updates[moving.tracking_number].events,
            event(clock.now + timedelta(hours=5), SubStatus.IN_TRANSIT_DEPARTURE, "Departed"),
        ],
    )
    clock.advance(hours=13)
    await app.tracking.tick()
    await app.outbox.drain()
    assert not any("Departed" in m.content for m in emulator.history(BUYER_ID) if m.from_bot)

    # A seller who also buys: their /orders is the seller's, with a way to their purchases.
    other = await Store(app.uow_factory, OTHER_SELLER_ID, "Numbat Supplies").open()
    bought = await other.ship("NB-7", s10("RB", 66_000_003), country="FR")
    await seller.send(f"/start {bought.token}")
    await seller.expect("You are following this order now")
    await seller.send("/orders")
    await seller.press("Orders I'm buying")
    purchases = await seller.expect("The orders you follow")
    assert "NB-7" in purchases.content and "Numbat Supplies" in purchases.content


async def test_operators_list_and_retry_dead_letters(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock
) -> None:
    app = runner.app
    assert app is not None
    operator = chat_with(emulator, OPERATOR_ID, name="Olga")
    someone = chat_with(emulator, 7599)
    async with app.uow_factory() as uow:
        await uow.notifications.add(
            dedupe_key="test:dead",
            chat_id=7599,
            template="tests.ping",
            params={"n": 7},
            now=clock.now,
        )
        (row,) = await uow.notifications.by_status(NotificationStatus.PENDING)
        row.status = NotificationStatus.DEAD
        row.attempts = 8
        row.last_error = "TelegramBadRequest: chat not found"
        await uow.commit()

    await someone.send("/outbox")
    await someone.expect("not allowed")
    await operator.send("/outbox")
    listing = await operator.expect("Messages the bot gave up on")
    assert "tests.ping" in listing.content and "chat not found" in listing.content
    await operator.press("Retry all of them")
    await operator.expect("1 message(s) queued again")
    await someone.expect("7")
    # The outbox records what it sent in batches, just after the send: a drain of our own
    # waits for the running one, which records everything before it ends.
    await app.outbox.drain()
    async with app.uow_factory() as uow:
        (sent,) = await uow.notifications.by_status(NotificationStatus.SENT)
        assert sent.dedupe_key == "test:dead" and sent.attempts == 0
    await operator.send("/outbox")
    await operator.expect("No message is waiting for a retry")
