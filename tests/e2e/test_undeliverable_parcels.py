"""A parcel that will not reach the buyer, end to end: the real bot polling the emulator, a
real database, a scripted tracking provider on the test's clock.

Tracking reports the parcel returned to the sender; the seller's alert offers "Ship again"; the
seller fills the new parcel's shipping document through the conversation (the old number is
refused) and confirms it; the database keeps the old shipment as history next to the new one,
the provider is told to stop the old number, and the buyer, writing in Spanish, hears that the
goods are coming again and then follows the new parcel. Another parcel is lost, and the seller
cancels the order and refunds the buyer after a reason and a confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.model import BuyerLink, OrderStatus, Shipment
from domain.tracking import SubStatus
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID, BotRunner, Chat, chat_with
from tests.tracking_fixtures import ScriptedProvider, Shipped, Store, event, s10, update

SELLER_ID, BUYER_ID = 7601, 7603
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Paris: the buyer is awake


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def runner(tracked_runner: BotRunner) -> BotRunner:
    return tracked_runner


async def _shipped_to_a_spanish_buyer(runner: BotRunner, number: str) -> tuple[Shipped, Chat]:
    app = runner.app
    assert app is not None
    chat_with(runner.emulator, OPERATOR_ID, name="Olga")
    store = await Store(app.uow_factory, SELLER_ID).open()
    shipped = await store.ship(number, s10("RB", 67_000_001), country="FR")
    buyer = chat_with(runner.emulator, BUYER_ID, language="es")
    await buyer.send(f"/start {shipped.token}")
    await buyer.expect("📦 Pedido <b>")
    return shipped, buyer


async def _parcel_ends(
    runner: BotRunner, clock: FixedClock, provider: ScriptedProvider, number: str, end: SubStatus
) -> None:
    """The carrier picks the parcel up, then reports `end`; the poller hears it."""
    assert runner.app is not None
    t0 = clock.now
    provider.updates[number] = update(
        number,
        [
            event(t0 + timedelta(minutes=5), SubStatus.IN_TRANSIT_PICKED_UP, "Picked up"),
            event(t0 + timedelta(minutes=50), end, "Parcel report", "Lyon, FR"),
        ],
    )
    clock.advance(hours=1)
    await runner.app.tracking.tick()
    await runner.app.tracking.tick()


async def _fill_new_document(seller: Chat, order_number: str, old: str, new: str) -> None:
    await seller.press("Shipping document")
    await seller.expect(f"Shipping document for order {order_number}")
    await seller.press("Continue")
    await seller.expect("declared value")
    await seller.press("Keep")
    await seller.expect("actual weight")
    await seller.send("2")
    await seller.expect("outside dimensions")
    await seller.send("30x20x10")
    await seller.expect("what is in the parcel")
    await seller.press("Done")
    await seller.expect("which warehouse ships it")
    await seller.press("Shenzhen main")
    await seller.expect("Logistics methods compared")
    await seller.press("International express")
    await seller.expect("which carrier")
    await seller.send("China Post")
    await seller.expect("tracking number")
    # The parcel that came back keeps its number: the new one needs its own.
    await seller.send(old)
    await seller.expect("is the number of this order's parcel that was lost or came back")
    await seller.send(new)
    await seller.expect(f"Shipping document, order {order_number}")
    await seller.press("Confirm and get the document")
    await seller.expect(f"Order <b>{order_number}</b> is shipped")


async def test_a_parcel_returned_to_the_sender_is_shipped_again_with_a_new_number(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: ScriptedProvider
) -> None:
    app = runner.app
    assert app is not None
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    shipped, buyer = await _shipped_to_a_spanish_buyer(runner, "RS-1")
    old = shipped.tracking_number

    await _parcel_ends(runner, clock, provider, old, SubStatus.EXCEPTION_RETURNED)
    alert = await seller.expect("Parcel returned to you")
    assert "use the buttons below" in alert.content
    assert alert.button_texts == ["🔁 Ship again", "💸 Cancel and refund"]

    await seller.press("Ship again")
    again = await seller.expect("will be sent again")
    assert "The buyer has been told that a new parcel is coming" in again.content
    told = await buyer.expect("el vendedor vuelve a enviarte el pedido")
    assert "RS-1" in told.content

    new = s10("RB", 67_000_101)
    await _fill_new_document(seller, "RS-1", old, new)

    async with app.uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None and order.status is OrderStatus.SHIPPED
        rows = (
            await uow.session.scalars(
                select(Shipment).where(Shipment.order_id == shipped.order_id).order_by(Shipment.id)
            )
        ).all()
        assert [(s.tracking_number, s.replaced_at is not None) for s in rows] == [
            (old, True),
            (new, False),
        ]
        first, second = rows
        assert first.confirmed_at is not None and first.next_poll_at is None
        assert second.confirmed_at is not None and second.next_poll_at is not None
        current = await uow.tracking.shipment_of_order(shipped.order_id)
        assert current is not None and current.id == second.id

    # The new parcel moves: the buyer follows it as before, and the provider is told to stop
    # following the old number (nothing of ours follows it any more).
    provider.updates[new] = update(
        new, [event(clock.now + timedelta(minutes=10), SubStatus.IN_TRANSIT_PICKED_UP, "Picked")]
    )
    clock.advance(hours=1)
    await app.tracking.tick()
    await app.tracking.tick()
    await buyer.expect("Tu paquete está en camino")
    assert any(old in numbers for numbers in provider.endpoint_calls("stop"))
    async with app.uow_factory() as uow:
        assert await uow.numbers_to_stop.oldest(10) == []
        order = await uow.orders.get(shipped.order_id)
        assert order is not None and order.status is OrderStatus.SHIPPED


async def test_a_lost_parcel_is_cancelled_and_refunded(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: ScriptedProvider
) -> None:
    app = runner.app
    assert app is not None
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    shipped, buyer = await _shipped_to_a_spanish_buyer(runner, "LS-1")

    await _parcel_ends(runner, clock, provider, shipped.tracking_number, SubStatus.EXCEPTION_LOST)
    alert = await seller.expect("The carrier reports a problem")
    assert alert.button_texts == ["🔁 Ship again", "💸 Cancel and refund"]

    await seller.press("Cancel and refund")
    await seller.expect("Why are you cancelling order <b>LS-1</b>")
    await seller.send("The carrier lost it and the item is out of stock")
    question = await seller.expect("Cancel order <b>LS-1</b> and refund the buyer?")
    assert "out of stock" in question.content
    await seller.press("Yes, cancel and refund")
    done = await seller.expect("is cancelled and marked for refund")
    assert "The buyer has been told." in done.content
    refunded = await buyer.expect("el vendedor canceló el pedido y te está reembolsando")
    assert "out of stock" in refunded.content and "LS-1" in refunded.content

    async with app.uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None
        assert order.status is OrderStatus.CANCELLED
        assert order.cancel_reason == "The carrier lost it and the item is out of stock"
        links = (
            await uow.session.scalars(
                select(BuyerLink).where(BuyerLink.order_id == shipped.order_id)
            )
        ).all()
        # The buyer's link stays theirs (they still read the cancelled order); no unused one
        # is left for anyone else to open.
        assert links and all(
            link.used_at is not None or link.revoked_at is not None for link in links
        )
