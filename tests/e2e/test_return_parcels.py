"""The return leg on the tracking pipeline, end to end: the real bot, the emulator, a real
database and the simulated provider on a clock the test moves.

- A return for a refund: the buyer's return parcel is played by the simulated provider to the
  store's warehouse; both sides are told it is on its way and that it arrived (the buyer in
  French), the buyer never gets the outbound "your order" messages about it, and the seller
  confirms receipt from the case card.
- An exchange: once the returned goods are received, the replacement order appears in the
  seller's /orders, is shipped through /ship like any order, and its tracking reaches the
  same buyer, who opened no new link.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Application
from bot.settings import Settings
from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, Resolution, Side
from domain.services import returns
from notifications.tracking.simulated_journeys import Outcome
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID, BotRunner, Chat, chat_with, labels_in, make_settings
from tests.e2e.tracking_oracle import RecordingProvider
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged
from tests.tracking_fixtures import Store, s10

SELLER_ID = 7_348_000_001
BUYER_ID = 7_348_012_001
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def provider(clock: FixedClock) -> RecordingProvider:
    return RecordingProvider(clock=clock, seed="e2e-return-parcels")


@pytest.fixture
def bot_settings(database_url: str, tmp_path: Path) -> Settings:
    # The test ticks the poller itself; the scheduler's own tick stays out of the way.
    return make_settings(
        database_url, tmp_path, tracking_poll_seconds=3600, tracking_stale_days_express=30
    )


@pytest.fixture
async def runner(
    emulator: BotApiEmulator,
    bot_settings: Settings,
    clock: FixedClock,
    provider: RecordingProvider,
) -> AsyncIterator[BotRunner]:
    bot_runner = BotRunner(emulator, bot_settings, clock=clock, tracking_provider=provider)
    app = await bot_runner.start()
    # The test drains the outbox itself, between moves of the clock, so no send is in flight
    # while time jumps (a jump would make its lease look expired).
    await app.outbox.stop()
    try:
        yield bot_runner
    finally:
        await bot_runner.stop()


async def _play_until(
    app: Application, clock: FixedClock, done: Callable[[], bool], *, steps: int = 120
) -> None:
    """Tick the poller and drain the outbox every six hours of the clock until `done`."""
    for _ in range(steps):
        await app.tracking.tick()
        await app.outbox.drain()
        if done():
            return
        clock.advance(hours=6)
    raise AssertionError("the simulated parcel never got there")


def _said(chat: Chat, fragment: str) -> bool:
    return any(fragment in m.content for m in chat.user.bot_messages())


async def _agreed(
    app: Application,
    emulator: BotApiEmulator,
    provider: RecordingProvider,
    number: str,
    resolution: Resolution,
) -> tuple[Store, Chat, Chat, BoughtOrder, int, str]:
    """A shipped order whose French buyer asked to send it back, the store agreed and the
    buyer recorded the return parcel's number."""
    uow_factory = app.uow_factory
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    chat_with(emulator, OPERATOR_ID, name="Olga")  # the warehouse review notices land
    buyer = chat_with(emulator, BUYER_ID, language="fr", name="Amélie")
    store = await Store(uow_factory, SELLER_ID, "Quokka Lane").open()
    await seller.send("/start")
    await seller.expect("")
    shipped = await store.ship(number, s10("RB", 46_100_001))
    provider.force(shipped.tracking_number, Outcome.DELIVERED)
    await buyer.send(f"/start {shipped.token}")
    await buyer.expect(number)
    async with uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None
        bought = BoughtOrder(order.id, number, BUYER_ID, tuple(ln.id for ln in order.lines))
    case_id = await open_damaged(uow_factory, bought, OfferTerms(resolution))
    parcel = s10("RR", 46_100_002, "FR")
    provider.force(parcel, Outcome.DELIVERED)
    async with uow_factory() as uow:
        await returns.accept_offer(
            SELLER_ID, case_id, Side.SELLER, uow, warehouse_id=store.warehouse_id
        )
        await uow.commit()
    await app.outbox.drain()

    # The buyer enters the return parcel's number from their case card.
    fr = labels_in(app.renderer, "fr")
    await buyer.send("/orders")
    await buyer.press(number)
    await buyer.press(fr("buyer.open_case", case=f"R-{case_id}"))
    await buyer.press(fr("return_action.record_return_tracking"))
    await buyer.send(parcel)
    await buyer.expect(f"<code>{parcel}</code>")
    await app.outbox.drain()
    return store, seller, buyer, bought, case_id, parcel


async def test_a_return_parcel_is_followed_to_the_warehouse_and_received(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: RecordingProvider
) -> None:
    app = runner.app
    assert app is not None
    _, seller, buyer, _, case_id, parcel = await _agreed(
        app, emulator, provider, "RT-1", Resolution.RETURN_AND_REFUND
    )
    case = f"R-{case_id}"
    seller_delivered = f"The buyer's return parcel for <b>{case}</b>"
    # The store hears at once; the buyer's news of their parcel waits out their night.
    await _play_until(
        app,
        clock,
        lambda: (
            _said(seller, seller_delivered)
            and _said(seller, "was delivered")
            and any(
                "Votre colis de retour" in m.content and "a été livré" in m.content
                for m in buyer.user.bot_messages()
            )
        ),
    )
    buyer_texts = [m.content for m in buyer.user.bot_messages()]
    on_its_way = [t for t in buyer_texts if "Votre colis de retour" in t and "en route" in t]
    arrived = [t for t in buyer_texts if "Votre colis de retour" in t and "a été livré" in t]
    assert len(on_its_way) == 1 and len(arrived) == 1
    assert f"<code>{parcel}</code>" in arrived[0] and "Quokka Lane" in arrived[0]
    # The parcel going back is not "your order" news: no order tracking message names it.
    outbound = [t for t in buyer_texts if t.startswith("📦 Commande <b>")]
    assert outbound and not any(parcel in t for t in outbound)
    seller_texts = [m.content for m in seller.user.bot_messages()]
    told = [t for t in seller_texts if seller_delivered in t]
    assert len([t for t in told if "on its way" in t]) == 1
    (delivered,) = [t for t in told if "was delivered" in t]
    assert "Confirm receipt" in delivered and "Amélie" not in delivered

    await seller.send("/returns")
    await seller.press(case)
    await seller.press("Confirm receipt")
    await seller.send("All there, box dented")
    await seller.press("Done")
    await seller.press("Confirm receipt")
    await seller.expect(f"Receipt of <b>{case}</b> recorded")
    await app.outbox.drain()
    await buyer.expect("a reçu les articles")
    assert (await case_row(app.uow_factory, case_id)).status is CaseStatus.RECEIVED


async def test_an_exchanges_replacement_is_shipped_and_tracked_to_the_buyer(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: RecordingProvider
) -> None:
    app = runner.app
    assert app is not None
    _, seller, buyer, _, case_id, _ = await _agreed(
        app, emulator, provider, "RT-2", Resolution.EXCHANGE
    )
    async with app.uow_factory() as uow:
        await returns.confirm_receipt(SELLER_ID, case_id, None, [], uow)
        await uow.commit()
    await app.outbox.drain()
    await buyer.expect("<b>RT-2-X1</b>")  # "... vous envoie le remplacement ..."
    await seller.expect("Replacement order <b>RT-2-X1</b>")
    replacement_id = (await case_row(app.uow_factory, case_id)).replacement_order_id
    assert replacement_id is not None

    # The case card links the replacement.
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    await seller.expect("Replacement order: <b>RT-2-X1</b>")

    await seller.send("/orders")
    await seller.press("To ship")
    await seller.press("RT-2-X1")  # the list offers it, like any confirmed order
    card = await seller.expect("<b>Order RT-2-X1</b>")
    assert "Confirmed, to ship" in card.content and "Phone case — 2 ×" in card.content
    assert "Shipping document" in " ".join(card.button_texts)
    tracking = s10("RB", 46_100_003)
    provider.force(tracking, Outcome.DELIVERED)
    # The seller ships it through the shipping document, like any confirmed order.
    await seller.send("/ship RT-2-X1")
    await seller.expect("Shipping document for order RT-2-X1")
    await seller.press("Continue")
    await seller.press("Keep")
    await seller.expect("actual weight")
    await seller.send("1")
    await seller.expect("outside dimensions")
    await seller.send("30x20x10")
    await seller.press("Done")
    await seller.press("Shenzhen main")
    await seller.press("International express")
    await seller.expect("which carrier")
    await seller.send("China Post")
    await seller.expect("tracking number")
    await seller.send(tracking)
    await seller.press("Confirm and get the document")
    shipped = await seller.expect("is shipped")
    assert "already follows this order" in shipped.content and "start=" not in shipped.content
    # The buyer opened no new link: their subscription came with the replacement.
    await _play_until(
        app,
        clock,
        lambda: any(
            "📦 Commande <b>RT-2-X1</b>" in m.content and "a été livré" in m.content
            for m in buyer.user.bot_messages()
        ),
    )
