"""A store name and an order number stored before names that read as contacts were refused,
end to end: the buyer reads them masked everywhere outside a return case too (the order card
behind the link, /orders, /timezone, tracking news), while the seller reads their own as they
are. The legacy values are written straight to the database, as only an old row can hold them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update as sql_update

from domain.model import Order, Seller
from domain.returns.masking import MASK
from domain.tracking import SubStatus
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID, BotRunner, chat_with
from tests.tracking_fixtures import ScriptedProvider, Store, event, s10, update

SELLER_ID = 7_346_000_001
BUYER = 7_346_012_988
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LEGACY_STORE = "paypal.me/quokkashop"
LEGACY_NUMBER = "@quokka_orders"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def runner(tracked_runner: BotRunner) -> BotRunner:
    return tracked_runner


def _no_contact(text: str) -> None:
    assert "paypal" not in text and "quokkashop" not in text and "quokka_orders" not in text


async def test_a_legacy_store_name_and_order_number_reach_the_buyer_masked(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: ScriptedProvider
) -> None:
    assert runner.app is not None
    app = runner.app
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    chat_with(emulator, OPERATOR_ID, name="Olga")
    store = await Store(app.uow_factory, SELLER_ID).open()
    shipped = await store.ship("QL-1", s10("RB", 46_000_001), country="FR")
    # Stored before such names were refused: a new store or order cannot be named so.
    async with app.uow_factory() as uow:
        await uow.session.execute(
            sql_update(Seller).where(Seller.id == store.seller_id).values(store_name=LEGACY_STORE)
        )
        await uow.session.execute(
            sql_update(Order).where(Order.id == shipped.order_id).values(number=LEGACY_NUMBER)
        )
        await uow.commit()

    buyer = chat_with(emulator, BUYER, name="Amélie")
    await buyer.send(f"/start {shipped.token}")
    card = await buyer.expect("You are following this order now")
    _no_contact(card.content)
    assert f"Order <b>{MASK}</b> from {MASK}" in card.content
    await buyer.send("/orders")
    listed = await buyer.expect(MASK)
    _no_contact(listed.content)
    await buyer.send("/timezone")
    zones = await buyer.expect("Europe/Paris")
    _no_contact(zones.content)

    provider.updates[shipped.tracking_number] = update(
        shipped.tracking_number,
        [event(clock.now + timedelta(minutes=5), SubStatus.IN_TRANSIT_PICKED_UP, "Picked up")],
    )
    clock.advance(minutes=30)
    await app.tracking.tick()
    news = await buyer.expect("on its way")
    _no_contact(news.content)
    assert f"Order <b>{MASK}</b> from {MASK}" in news.content

    # The seller reads their own store's name and order number as they are.
    await seller.send("/orders")
    await seller.press("Shipped")
    await seller.press(LEGACY_NUMBER)
    own = await seller.expect(LEGACY_NUMBER)
    assert MASK not in own.content
