"""The seller's return policy, end to end through the emulator: the seller shortens the window
to 3 days, excludes swimwear by its SKU prefix and takes the postage of a change of mind on the
store; a buyer whose order was delivered 5 days ago asks to send back a bikini top because they
changed their mind — told the window closed, the case opens "out of policy" for the window and
the category, the store pays the postage in the buyer's offer, and the seller's card says so.
The phone case of the same order, outside no category, is out of policy for the window only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.returns.offers import OfferTerms
from domain.returns.rules import PostagePayer, Resolution, ReturnReason
from domain.services import returns
from domain.services.orders import intake, lifecycle
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import BotRunner, chat_with
from tests.tracking_fixtures import Store, s10

SELLER_ID = 7_352_000_001
BUYER_ID = 7_352_012_001


async def _delivered_order(store: Store, runner: BotRunner) -> tuple[int, str, dict[str, int]]:
    """An order with a bikini top (SKU SW-100) and a phone case (PC-7), shipped; its id, its
    buyer link's token and its line ids by product."""
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        order = await intake.create_order(
            intake.NewOrder(
                seller_id=store.seller_id,
                number="QP-1",
                ship_to_country="FR",
                ship_to_postcode="75001",
                currency="EUR",
                ship_by=uow.now() + timedelta(days=5),
                lines=[
                    intake.NewOrderLine("Bikini top", 1, "12.00", sku="SW-100"),
                    intake.NewOrderLine("Phone case", 1, "3.50", sku="PC-7"),
                ],
                actor_id=SELLER_ID,
            ),
            uow,
        )
        await lifecycle.confirm_order(SELLER_ID, order.id, uow)
        await uow.commit()
        order_id = order.id
    shipped = await store.ship_order(order_id, "QP-1", s10("RB", 46_100_001))
    async with runner.app.uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        lines = {line.product_name: line.id for line in order.lines}
    return order_id, shipped.token, lines


async def test_the_policy_a_seller_edits_decides_whether_a_case_is_in_policy(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    buyer = chat_with(emulator, BUYER_ID, language="en", name="Amélie")
    store = await Store(uow_factory, SELLER_ID, "Quokka Lane").open()
    order_id, token, lines = await _delivered_order(store, runner)
    await buyer.send(f"/start {token}")
    await buyer.expect("Order <b>QP-1</b>")
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        order.mark_delivered(uow.now() - timedelta(days=5))
        await uow.commit()

    # The seller edits the policy in chat.
    await seller.send("/returnpolicy")
    await seller.expect("Return window: <b>15 days</b>")
    await seller.press("Change the return window")
    await seller.expect("How many days after delivery")
    await seller.send("400")
    await seller.expect("from 1 to 365")
    await seller.send("3")
    await seller.expect("Return window: <b>3 days</b>")
    await seller.press("Add a category not taken back")
    await seller.expect("Name the category")
    await seller.send("Swimwear")
    await seller.expect("Which SKUs are <b>Swimwear</b>?")
    await seller.send("sw-, BIKINI")
    await seller.expect("<b>Swimwear</b>: <code>sw-</code>, <code>BIKINI</code>")
    await seller.press("Changed my mind: the buyer pays")
    card = await seller.expect("✅ Saved")
    assert "Changed my mind: the store pays" in card.content
    await seller.press("Done")
    await seller.expect("Your return policy is saved")

    # The buyer, 5 days after delivery, changed their mind about the bikini top.
    await buyer.send("/return")
    await buyer.expect("return window for this order has closed")
    await buyer.press("Bikini top")
    await buyer.press("Continue")
    await buyer.press("Changed my mind")
    await buyer.expect("Anything to add for the store?")
    await buyer.press("Skip")
    await buyer.press("Done")
    await buyer.press("Send it back for a refund")
    await buyer.expect("outside the store's return policy")
    await buyer.press("Send the request")
    opened = await buyer.expect("outside the store's return policy, so the store decides")

    async with uow_factory() as uow:
        (case,) = await uow.returns.for_order(order_id)
        case_id = case.id
        assert case.out_of_policy == ["window", "category"]
        (wanted,) = case.offers
        assert wanted.resolution is Resolution.RETURN_AND_REFUND
        assert wanted.postage_payer is PostagePayer.STORE
    assert f"R-{case_id}" in opened.content

    await seller.expect(f"New return request R-{case_id}", timeout=20)
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    card = await seller.expect(f"Return R-{case_id}</b> · order")
    assert "Opened after your return window closed" in card.content
    assert "category you do not take back" in card.content
    assert "The store pays return postage" in card.content

    # The phone case is in no excluded category: outside the window only.
    async with uow_factory() as uow:
        other = await returns.open_case(
            returns.OpenCase(
                user_id=BUYER_ID,
                order_id=order_id,
                items=[(lines["Phone case"], 1)],
                reason=ReturnReason.CHANGED_MIND,
                wanted=OfferTerms(Resolution.REFUND_PARTIAL, Decimal("1.00")),
                comment=None,
                evidence=[],
            ),
            uow,
        )
        await uow.commit()
        assert other.out_of_policy == ["window"]
