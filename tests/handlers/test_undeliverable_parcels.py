"""A parcel that will not reach the buyer — returned to the seller, or lost — through the real
Dispatcher: the seller's tracking alert points to what they can do and carries the buttons;
"Ship again" puts the order back among those to ship, keeps the old shipment as history and
tells the buyer in their language; "Cancel and refund" asks a reason, then a question whose
"yes" carries its token, then tells the buyer (after their night). Every button is checked
against the caller and the order's status when pressed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.model import Notification, OrderStatus
from domain.returns.masking import MASK
from domain.services import erasure, shipments, tracking
from domain.tracking import QuietHours, SubStatus
from handlers.shipment_callbacks import ShipmentAction, ShipmentMenu
from tests.conftest import FixedClock
from tests.handlers.chat import Chat, HandlerBot
from tests.handlers.factories import make_seller
from tests.handlers.test_return_notice_buttons import Notice
from tests.tracking_fixtures import Shipped, Store, event, notifications_to, s10, update

SELLER, OTHER_SELLER, BUYER = 7901, 7902, 7903
SHIP_AGAIN, REFUND = "🔁 Ship again", "💸 Cancel and refund"
YES, KEEP = "💸 Yes, cancel and refund", "↩️ Keep the order"


async def _shipped_and_followed(bot: HandlerBot, prefix: str) -> tuple[Shipped, Chat]:
    """An order shipped to France; its buyer, writing in Spanish, opened the link."""
    store = await Store(bot.app.uow_factory, SELLER).open()
    shipped = await store.ship(f"AE-{prefix}-1", s10(prefix, 4_200_001))
    buyer = Chat(bot, BUYER, language="es")
    await buyer.send(f"/start {shipped.token}")
    return shipped, buyer


async def _tracking_says(bot: HandlerBot, shipped: Shipped, sub: SubStatus) -> Notice:
    """Tracking reports `sub` for the parcel; the seller's alert about it, as sent."""
    async with bot.uow() as uow:
        await tracking.mark_registered([(shipped.shipment_id, "3011")], uow)
        now = uow.now()
        report = update(
            shipped.tracking_number,
            [event(now - timedelta(days=2), SubStatus.IN_TRANSIT_OTHER), event(now, sub)],
        )
        await tracking.record_updates(
            [(shipped.shipment_id, report)], uow, tracking.TrackingRules()
        )
        await uow.commit()
    alerts = [
        row
        for row in await notifications_to(bot.app.uow_factory, SELLER)
        if row.template == "tracking.seller_alert"
    ]
    return Notice(bot, alerts[-1], 100 + len(alerts))


async def _order_status(bot: HandlerBot, order_id: int) -> OrderStatus:
    async with bot.uow() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        return order.status


async def _to_buyer(bot: HandlerBot, template: str) -> list[Notification]:
    return [r for r in await notifications_to(bot.app.uow_factory, BUYER) if r.template == template]


async def test_a_returned_parcel_is_shipped_again_from_the_alert(handler_bot: HandlerBot) -> None:
    shipped, _ = await _shipped_and_followed(handler_bot, "ZR")
    notice = await _tracking_says(handler_bot, shipped, SubStatus.EXCEPTION_RETURNED)
    assert await _order_status(handler_bot, shipped.order_id) is OrderStatus.RETURNED_TO_SENDER
    # The alert says what the seller can do, and offers it.
    assert notice.labels == [SHIP_AGAIN, REFUND]
    alerts = await notifications_to(handler_bot.app.uow_factory, SELLER)
    told = handler_bot.text("tracking.seller_alert", **alerts[-1].params)
    assert "Parcel returned to you" in told and "use the buttons below" in told

    seller = Chat(handler_bot, SELLER)
    again = await notice.press(seller, SHIP_AGAIN)
    again.assert_says(
        f"Order <b>{shipped.number}</b> will be sent again",
        "The buyer has been told that a new parcel is coming",
    )
    assert again.labels == ["📦 Shipping document", "📄 Open the order"]
    assert await _order_status(handler_bot, shipped.order_id) is OrderStatus.TO_SHIP_AGAIN
    async with handler_bot.uow() as uow:
        old = await uow.tracking.get(shipped.shipment_id)
        assert old is not None
        # Kept as history, no longer followed; its number is to be stopped with the provider.
        assert old.replaced_at == uow.now() and old.next_poll_at is None
        waiting = await uow.numbers_to_stop.oldest(10)
        assert [w.tracking_number for w in waiting] == [shipped.tracking_number]
        assert await uow.tracking.shipment_of_order(shipped.order_id) is None
        # The seller owes the buyer a parcel: their data cannot be erased meanwhile.
        assert [(b.key, b.count) for b in await erasure.erasure_blockers(SELLER, uow)] == [
            ("erasure.open_orders", 1)
        ]

    # The buyer hears it at once (it is afternoon in Paris), in Spanish.
    (notice_to_buyer,) = await _to_buyer(handler_bot, "orders.buyer_shipping_again")
    assert notice_to_buyer.next_attempt_at == notice_to_buyer.created_at
    text = handler_bot.text(notice_to_buyer.template, "es", **notice_to_buyer.params)
    assert shipped.number in text and "el vendedor vuelve a enviarte el pedido" in text

    # The old parcel's card (from /shipments) says it is history.
    history = await seller.press_data(
        1, ShipmentMenu(action=ShipmentAction.VIEW, shipment_id=shipped.shipment_id).pack()
    )
    history.assert_says(f"Shipment of order {shipped.number}", "kept as history")
    assert "The buyer follows the parcel" not in history.text

    # The order card now offers the new document (and the refund), nothing to follow.
    card = await seller.press("📄 Open the order")
    card.assert_says("🔁 Being sent again")
    assert card.labels == ["📦 Shipping document", REFUND, "⬅️ All orders"]
    started = await seller.press("📦 Shipping document")
    started.assert_says(f"Shipping document for order {shipped.number}")

    # The alert's button pressed again: the order moved on, and the seller is told so.
    stale = await notice.press(seller, SHIP_AGAIN)
    assert stale.alert == handler_bot.plain(
        "orders.parcel_not_undeliverable", status="to_ship_again"
    )
    assert len(await _to_buyer(handler_bot, "orders.buyer_shipping_again")) == 1


async def test_another_sellers_press_shows_and_changes_nothing(handler_bot: HandlerBot) -> None:
    shipped, _ = await _shipped_and_followed(handler_bot, "ZL")
    notice = await _tracking_says(handler_bot, shipped, SubStatus.EXCEPTION_LOST)
    assert await _order_status(handler_bot, shipped.order_id) is OrderStatus.LOST
    await make_seller(handler_bot, OTHER_SELLER)
    other = Chat(handler_bot, OTHER_SELLER)
    not_found = handler_bot.plain("orders.not_found")
    for label in (SHIP_AGAIN, REFUND):
        answer = await other.press_data(notice.message_id, notice.buttons[label] or "")
        assert shipped.number not in answer.text
        assert not_found in (answer.alert or answer.text)
    assert await _order_status(handler_bot, shipped.order_id) is OrderStatus.LOST
    assert not await _to_buyer(handler_bot, "orders.buyer_shipping_again")


async def test_a_lost_parcel_is_cancelled_and_refunded_after_a_reason_and_a_yes(
    handler_bot: HandlerBot, clock: FixedClock
) -> None:
    shipped, _ = await _shipped_and_followed(handler_bot, "ZL")
    notice = await _tracking_says(handler_bot, shipped, SubStatus.EXCEPTION_LOST)
    assert notice.labels == [SHIP_AGAIN, REFUND]
    seller = Chat(handler_bot, SELLER)
    # It is night in Paris when the seller acts: the buyer reads it in the morning.
    clock.now = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)

    asked = await notice.press(seller, REFUND)
    asked.assert_says(f"Why are you cancelling order <b>{shipped.number}</b>")
    # Thinking better of it at the reason: the order stays as it was, its card shows again.
    kept = await seller.press(KEEP)
    kept.assert_says("❓ Parcel lost")
    assert kept.labels[:2] == [SHIP_AGAIN, REFUND]
    await notice.press(seller, REFUND)
    refused = await seller.send("no")
    assert refused.texts == [handler_bot.text("orders.cancel_reason_invalid", min=3, max=500)]

    first = await seller.send("Carrier lost it")
    first.assert_says(
        f"Cancel order <b>{shipped.number}</b> and refund the buyer?", "Carrier lost it"
    )
    assert first.labels == [YES, KEEP]
    # Another reason while the question waits asks again; the first question's "yes" is void.
    second = await seller.send("Carrier lost it; stock is gone too")
    second.assert_says("stock is gone too")
    stale = await seller.press_data(first.last.message_id, first.last.data_of(YES))
    assert stale.alert == handler_bot.plain("confirmation.stale")
    assert await _order_status(handler_bot, shipped.order_id) is OrderStatus.LOST

    done = await seller.press_data(second.last.message_id, second.last.data_of(YES))
    done.assert_says(
        f"Order <b>{shipped.number}</b> is cancelled and marked for refund",
        "stock is gone too",
        "The buyer has been told.",
    )
    async with handler_bot.uow() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None
        assert order.status is OrderStatus.CANCELLED
        assert order.cancel_reason == "Carrier lost it; stock is gone too"
        assert order.cancelled_at == clock.now
    (refunded,) = await _to_buyer(handler_bot, "orders.buyer_cancelled_refunded")
    paris = QuietHours().quiet_until(clock.now, ZoneInfo("Europe/Paris"))
    assert refunded.next_attempt_at == paris == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    text = handler_bot.text(refunded.template, "es", **refunded.params)
    assert "el vendedor canceló el pedido y te está reembolsando" in text
    assert "stock is gone too" in text

    # The same "yes" again, or the alert's buttons: the order is cancelled, nothing happens.
    again = await seller.press_data(second.last.message_id, second.last.data_of(YES))
    assert again.alert == handler_bot.plain("orders.parcel_not_undeliverable", status="cancelled")
    later = await notice.press(seller, SHIP_AGAIN)
    assert later.alert == handler_bot.plain("orders.parcel_not_undeliverable", status="cancelled")
    assert len(await _to_buyer(handler_bot, "orders.buyer_cancelled_refunded")) == 1


async def test_a_parcel_only_in_trouble_offers_nothing_new(handler_bot: HandlerBot) -> None:
    """An exception that may clear (customs, a held parcel): the alert has no buttons, and the
    card only follows the parcel — tracking moves the order on by itself."""
    shipped, _ = await _shipped_and_followed(handler_bot, "ZC")
    async with handler_bot.uow() as uow:
        now = uow.now()
        report = update(shipped.tracking_number, [event(now, SubStatus.EXCEPTION_DELAYED)])
        await tracking.record_updates(
            [(shipped.shipment_id, report)], uow, tracking.TrackingRules()
        )
        await uow.commit()
    assert await _order_status(handler_bot, shipped.order_id) is OrderStatus.IN_TROUBLE
    (alert,) = [
        row
        for row in await notifications_to(handler_bot.app.uow_factory, SELLER)
        if row.template == "tracking.seller_alert"
    ]
    assert "order_buttons" not in alert.params
    told = handler_bot.text(alert.template, **alert.params)
    assert "use the buttons below" not in told


async def test_contact_details_in_the_refund_reason_reach_the_buyer_masked(
    handler_bot: HandlerBot,
) -> None:
    """The reason is the seller's free text, read by the buyer: a link or a phone number in it
    is masked as in a return's thread, while the seller's order keeps it as written."""
    shipped, buyer = await _shipped_and_followed(handler_bot, "ZL")
    notice = await _tracking_says(handler_bot, shipped, SubStatus.EXCEPTION_LOST)
    seller = Chat(handler_bot, SELLER)
    await notice.press(seller, REFUND)
    reason = "Lost. Write to paypal.me/shop or +7 999 123 45 67"
    asked = await seller.send(reason)
    await seller.press_data(asked.last.message_id, asked.last.data_of(YES))

    async with handler_bot.uow() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None and order.cancel_reason == reason
    (refunded,) = await _to_buyer(handler_bot, "orders.buyer_cancelled_refunded")
    text = handler_bot.text(refunded.template, "es", **refunded.params)
    assert "Lost. Write to" in text and MASK in text
    assert "paypal" not in text and "999" not in text

    # Nor is it one of the seller's problems any more.
    async with handler_bot.uow() as uow:
        problems, _ = await shipments.shipments_for(SELLER, shipments.ShipmentFilter.PROBLEMS, uow)
    assert problems == []
    # The buyer's /orders and order card read "cancelled", not the lost parcel's last state.
    listed = await buyer.send("/orders")
    listed.assert_says(handler_bot.label("order_status.cancelled", "es"))


async def test_the_alert_says_nobody_was_told_when_no_buyer_follows_the_order(
    handler_bot: HandlerBot,
) -> None:
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    followed = await store.ship("AE-ZR-1", s10("ZR", 4_200_001))
    await Chat(handler_bot, BUYER, language="es").send(f"/start {followed.token}")
    unfollowed = await store.ship("AE-ZR-2", s10("ZR", 4_200_002))

    for shipped in (followed, unfollowed):
        await _tracking_says(handler_bot, shipped, SubStatus.EXCEPTION_RETURNED)
    alerts = {
        row.params["order_number"]: handler_bot.text(row.template, **row.params)
        for row in await notifications_to(handler_bot.app.uow_factory, SELLER)
        if row.template == "tracking.seller_alert"
    }
    assert "The buyer has been told." in alerts[followed.number]
    assert "nobody has been told" not in alerts[followed.number]
    assert "The buyer has been told" not in alerts[unfollowed.number]
    assert (
        "nobody has been told: let the buyer know through AliExpress" in alerts[unfollowed.number]
    )


async def test_a_refund_overtaking_the_buyers_held_news_of_a_new_parcel_replaces_it(
    handler_bot: HandlerBot, clock: FixedClock
) -> None:
    """At night in Paris the seller decides to ship again, then to cancel and refund instead:
    the buyer wakes up to the refund alone, not to a new parcel that will never come."""
    shipped, _ = await _shipped_and_followed(handler_bot, "ZR")
    notice = await _tracking_says(handler_bot, shipped, SubStatus.EXCEPTION_RETURNED)
    seller = Chat(handler_bot, SELLER)
    clock.now = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)
    await notice.press(seller, SHIP_AGAIN)
    [held] = await _to_buyer(handler_bot, "orders.buyer_shipping_again")
    assert held.next_attempt_at > clock.now

    await notice.press(seller, REFUND)
    asked = await seller.send("No stock left")
    await seller.press_data(asked.last.message_id, asked.last.data_of(YES))

    assert await _to_buyer(handler_bot, "orders.buyer_shipping_again") == []
    assert len(await _to_buyer(handler_bot, "orders.buyer_cancelled_refunded")) == 1
