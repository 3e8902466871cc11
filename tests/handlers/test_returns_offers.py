"""Offers on a return case through the dispatcher, from both sides' case cards: the buttons come
from the case's allowed actions; propose, counter (by a share or an amount, never above what was
paid), decline and accept; a return's terms (postage, warehouse, days); each step told to the
other side through the outbox; and forged presses on another buyer's case refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, OfferStatus, Resolution
from tests.handlers.chat import Chat, HandlerBot, Press
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER, OTHER_BUYER = 8801, 8802, 8803


@pytest.fixture
async def store(handler_bot: HandlerBot) -> Store:
    return await Store(handler_bot.app.uow_factory, SELLER, "Li's <Shop>").open()


@pytest.fixture
async def bought(handler_bot: HandlerBot, store: Store) -> BoughtOrder:
    """Order AE-O1 (2 phone cases and a cable at €3.50 each), shipped; BUYER opened its link."""
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-O1", BUYER, 33_000_001)


async def _seller_card(seller: Chat, case_id: int) -> None:
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")


async def _buyer_card(buyer: Chat, case_id: int) -> None:
    await buyer.send("/orders")
    await buyer.press("AE-O1")
    await buyer.press(f"Return R-{case_id}")


async def _notices(bot: HandlerBot, chat_id: int, template: str) -> list[dict[str, object]]:
    rows = await notifications_to(bot.app.uow_factory, chat_id)
    return [dict(n.params) for n in rows if n.template == template]


async def test_counter_by_a_share_then_accept_reaches_both_sides(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought)  # asks €3.50 back of €7.00
    seller, buyer = Chat(handler_bot, SELLER), Chat(handler_bot, BUYER)

    await seller.send("/returns")
    card = await seller.press(f"R-{case_id}")
    # The buyer's request is open: the seller answers it; nothing to propose on top of it.
    assert card.labels[:5] == [
        "✅ Accept",
        "🔁 Counter-offer",
        "✖️ Decline the request",
        "🚫 Refuse the return",
        "⚖️ Open a platform dispute",
    ]
    assert "📝 Make an offer" not in card.labels

    asked = await seller.press("Counter-offer")
    asked.assert_says("Counter-offer</b> in <b>R-", "Paid for these items: €7.00")
    amount = await seller.press("Partial refund")
    amount.assert_says("How much is refunded?")
    too_much = await seller.send("9")
    assert too_much.texts == [
        handler_bot.text("returns.amount_above_paid", paid="7.00", currency="EUR")
    ]
    summary = await seller.send("30%")
    summary.assert_says("Your counter-offer</b>", "<b>Partial refund · €2.10</b>")
    sent = await seller.press("Send the offer")
    sent.assert_says(f"Offer sent in <b>R-{case_id}</b>")

    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.NEGOTIATING
    assert [(o.side.value, o.status, o.amount) for o in case.offers] == [
        ("buyer", OfferStatus.COUNTERED, Decimal("3.50")),
        ("seller", OfferStatus.OPEN, Decimal("2.10")),
    ]
    (told,) = await _notices(handler_bot, BUYER, "returns.offer_notice")
    assert told["counter"] is True and told["amount"] == "2.10" and told["store"] == "Li's <Shop>"
    rendered = handler_bot.text("returns.offer_notice", **told)
    assert "&lt;Shop&gt; countered your offer in return" in rendered
    assert str(SELLER) not in rendered

    # The buyer counters with half, from their order card.
    await buyer.send("/orders")
    await buyer.press("AE-O1")
    buyer_card = await buyer.press(f"Return R-{case_id}")
    buyer_card.assert_says("The store's offer on the table:", "<b>Partial refund · €2.10</b>")
    assert "✅ Accept" in buyer_card.labels and "🔁 Counter-offer" in buyer_card.labels
    await buyer.press("Counter-offer")
    await buyer.press("Partial refund")
    await buyer.send("50%")
    await buyer.press("Send the offer")
    (countered,) = await _notices(handler_bot, SELLER, "returns.offer_notice")
    assert countered["amount"] == "3.50" and countered["counter"] is True

    # The seller accepts the buyer's counter: agreed, and both sides get the summary.
    await _seller_card(seller, case_id)
    accepted = await seller.press("Accept")
    assert accepted.alert == handler_bot.plain("returns.accepted")
    accepted.assert_says("🤝 Agreed")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.AGREED and case.agreed_amount == Decimal("3.50")
    for chat_id in (SELLER, BUYER):
        (agreed,) = await _notices(handler_bot, chat_id, "returns.agreed_notice")
        assert agreed["amount"] == "3.50" and agreed["resolution"] == "refund_partial"
    # Agreed on a refund only: the seller records it next; the buyer has nothing to press.
    assert "💶 Record the refund" in accepted.labels


async def test_declining_leaves_the_table_empty_for_a_new_offer_with_a_return(
    handler_bot: HandlerBot, bought: BoughtOrder, store: Store
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought)
    seller, buyer = Chat(handler_bot, SELLER), Chat(handler_bot, BUYER)
    await _seller_card(seller, case_id)
    declined = await seller.press("Decline the request")
    assert declined.alert == handler_bot.plain("returns.declined")
    assert "📝 Make an offer" in declined.labels
    (told,) = await _notices(handler_bot, BUYER, "returns.offer_declined_notice")
    assert told["case_id"] == case_id

    # A return and refund: who pays postage, the warehouse, the days.
    await seller.press("Make an offer")
    await seller.press("Return and refund")
    payer = await seller.press("All of it")
    payer.assert_says("Who pays the return postage?")
    warehouse = await seller.press("The store pays return postage")
    assert "Shenzhen main · Shenzhen" in warehouse.labels
    assert "🏬 Let the store choose" not in warehouse.labels  # a seller must name it
    await seller.press("Shenzhen main")
    bad = await seller.send("45")
    assert bad.texts == [handler_bot.text("returns.days_invalid", min=1, max=30)]
    summary = await seller.press("14 days")
    summary.assert_says("<b>Return and refund · €7.00</b>", "Send it back to: Shenzhen main")
    summary.assert_says("within 14 days")
    await seller.press("Send the offer")

    await _buyer_card(buyer, case_id)
    accepted = await buyer.press("Accept")
    assert accepted.alert == handler_bot.plain("returns.accepted")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.AWAITING_RETURN_SHIPMENT
    assert case.return_warehouse_id == store.warehouse_id
    assert "🚚 Enter the tracking number" in accepted.labels
    (agreed,) = await _notices(handler_bot, BUYER, "returns.agreed_notice")
    assert agreed["warehouse"] == "Shenzhen main" and agreed["ship_by"]
    assert "contact" not in handler_bot.text("returns.agreed_notice", **agreed).lower()


async def test_the_seller_names_the_warehouse_of_a_buyers_return(
    handler_bot: HandlerBot, bought: BoughtOrder, store: Store
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought, OfferTerms(Resolution.RETURN_AND_REFUND))
    seller = Chat(handler_bot, SELLER)
    await _seller_card(seller, case_id)
    asked = await seller.press("Accept")
    asked.assert_says("Where should the items of")
    await seller.press("Shenzhen main · Shenzhen")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.AWAITING_RETURN_SHIPMENT
    assert case.return_warehouse_id == store.warehouse_id


async def test_forged_presses_on_another_buyers_case_read_as_not_found(
    handler_bot: HandlerBot, bought: BoughtOrder, store: Store
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought)
    # OTHER_BUYER has an order of their own (B) with the same store.
    await shipped_to_buyer(uow_factory, store, "AE-O2", OTHER_BUYER, 33_000_002)
    intruder = Chat(handler_bot, OTHER_BUYER)
    not_found = handler_bot.plain("returns.case_not_found")
    for action in ("open", "acc", "dec", "ctr", "esc", "escy"):
        forged = await intruder.press_data(1, f"rca:{action}:{case_id}:buyer:0")
        assert forged.alert == not_found, action
        assert forged.messages == []
    # Claiming the seller's side does not help either.
    assert (await intruder.press_data(1, f"rca:acc:{case_id}:seller:0")).alert == not_found
    # Nor a warehouse id that is not the seller's: the case is untouched.
    seller = Chat(handler_bot, SELLER)
    forged = await seller.press_data(1, f"rca:acc:{case_id}:seller:999999")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.REQUESTED and case.open_offer is not None
    assert forged.alert is not None


async def test_accept_on_an_old_card_is_refused_once_the_offer_changed(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    """The tester's steps: the seller's card shows the buyer's €2.50; the seller counters €2.00,
    the buyer counters €3.00; Accept (or Decline) on the old card is refused, the current card
    is shown, and the buyer's €3.00 stays open until accepted from the current card."""
    uow_factory = handler_bot.app.uow_factory
    wanted = OfferTerms(Resolution.REFUND_PARTIAL, Decimal("2.50"))
    case_id = await open_damaged(uow_factory, bought, wanted)
    seller, buyer = Chat(handler_bot, SELLER), Chat(handler_bot, BUYER)

    await seller.send("/returns")
    old_card = (await seller.press(f"R-{case_id}")).last
    assert "Partial refund · €2.50" in old_card.text
    old = {b.text: b.callback_data for row in old_card.keyboard for b in row}
    await seller.play(Press("Counter-offer"), Press("Partial refund"), "2.00")
    await seller.press("Send the offer")
    await _buyer_card(buyer, case_id)
    await buyer.play(Press("Counter-offer"), Press("Partial refund"), "3.00")
    await buyer.press("Send the offer")

    changed = handler_bot.plain("returns.offer_changed")
    # The old card's buttons, and one drawn before buttons named their offer (no offer id).
    for data in (old["✅ Accept"], old["✖️ Decline the request"], f"rca:acc:{case_id}:seller:0"):
        assert data is not None
        refused = await seller.press_data(old_card.message_id, data)
        assert refused.alert == changed, data
        refused.assert_says("<b>Partial refund · €3.00</b>")
        assert "✅ Accept" in refused.labels
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.NEGOTIATING and case.agreed_amount is None
    assert [(o.side.value, o.status, o.amount) for o in case.offers] == [
        ("buyer", OfferStatus.COUNTERED, Decimal("2.50")),
        ("seller", OfferStatus.COUNTERED, Decimal("2.00")),
        ("buyer", OfferStatus.OPEN, Decimal("3.00")),
    ]
    assert await _notices(handler_bot, BUYER, "returns.agreed_notice") == []

    # Accept on the card shown now agrees on what it shows.
    accepted = await seller.press("Accept")
    assert accepted.alert == handler_bot.plain("returns.accepted")
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.agreed_amount) == (CaseStatus.AGREED, Decimal("3.00"))
