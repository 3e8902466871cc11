"""What the shipping document offers to choose: methods the seller's budget blocks are shown as
blocked, never as a choice or as the cheapest."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from tests.handlers.chat import Chat, HandlerBot
from tests.handlers.factories import make_seller
from tests.handlers.test_conv_shipping import STEPS
from tests.reliability.test_shipping_service import make_confirmed_order, make_warehouse

SELLER = 8402


@pytest.fixture
async def chat(handler_bot: HandlerBot, chat_of: Callable[..., Chat]) -> Chat:
    seller_id = await make_seller(handler_bot, SELLER)
    await make_warehouse(handler_bot.uow, SELLER)
    # AE-1001: two phone cases at 3.50 and a USB cable at 0.99 ($7.99), to the United States.
    await make_confirmed_order(handler_bot.uow, seller_id, SELLER, "AE-1001")
    return chat_of(SELLER)


async def _comparison(chat: Chat) -> object:
    answer = await chat.send("/ship AE-1001")
    for step, act, _ in STEPS:
        answer = await act(chat)
        if step == "warehouse":
            return answer
    raise AssertionError("no comparison")


async def test_methods_the_budget_blocks_are_not_offered(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.send("/budget 3% block")
    comparison = await _comparison(chat)
    # Express ($178.50) and sea ($160.00) are priced and allowed for the goods, but 3% of $7.99
    # blocks both: neither is a ✅ choice nor the cheapest, and the chat says why.
    assert comparison.labels[:3] == [
        handler_bot.label("shipping.method_blocked_choice", name="International express"),
        handler_bot.label("shipping.method_blocked_choice", name="Sea freight"),
        handler_bot.label("shipping.method_refused_choice", name="Land transport"),
    ]
    assert not comparison.says("cheapest") and not comparison.says("fastest")
    comparison.assert_says("Over your budget of $0.24: blocked by your policy")
    comparison.assert_says("Every method these goods may take is over your budget")
    # Pressing one anyway is refused, and the comparison stays.
    refused = await chat.press("Sea freight")
    assert refused.alert is not None and "budget" in refused.alert
    assert not refused.says("Step 8")


async def test_the_cheapest_and_fastest_are_among_the_methods_the_budget_allows(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.send("/budget 170 USD block")
    comparison = await _comparison(chat)
    # Express ($178.50) would be the fastest, but the budget blocks it: sea is both.
    assert comparison.labels[:2] == [
        handler_bot.label("shipping.method_blocked_choice", name="International express"),
        handler_bot.label("shipping.method_choice", name="Sea freight", cost="$160.00"),
    ]
    comparison.assert_says("<b>Sea freight</b> · 💰 cheapest · ⚡ fastest")
    assert not comparison.says("Every method these goods may take is over your budget")
    assert (await chat.press("Sea freight")).says("Step 8: which carrier")


async def test_a_partial_parcel_offers_its_own_goods_value_and_says_the_rest_stays(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.send("/ship AE-1001")
    await chat.press("Phone case")
    lines = await chat.send("1")
    # Before anything is confirmed: the rest cannot follow on this order.
    lines.assert_says("partial shipment", "what is left out cannot be shipped on this order later")
    value = await chat.press("Continue")
    # One phone case at $3.50 and the cable at $0.99: the parcel's goods, not the $7.99 order.
    value.assert_says("The goods in this parcel are worth <b>$4.49</b>", "the whole order: $7.99")
    assert handler_bot.label("shipping.keep_value", amount="$4.49") in value.labels
    for _, act, _following in STEPS[1:-1]:
        summary = await act(chat)
    summary = await chat.send("RB 1234 5678 5GB")
    summary.assert_says(
        "Partial shipment: 2 of 3 items ordered.", "cannot be shipped on this order"
    )
    # The kept value matches this parcel's goods: no declared-value warning.
    assert not summary.says("away from the order value")
    await chat.press("I understand — confirm")
    async with handler_bot.uow() as uow:
        (shipment,) = await uow.shipments.for_order(await _order_id(handler_bot))
        assert (shipment.declared_value, shipment.is_partial) == (Decimal("4.49"), True)


async def test_back_to_the_declared_value_shows_the_order_total_and_what_was_typed(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.send("/ship AE-1001")
    await chat.press("Continue")
    typed = await chat.send("0")
    assert typed.texts[0] == handler_bot.text("shipping.declared_value_zero")
    assert typed.says("Step 3: the actual weight")
    again = await chat.press("Back")
    again.assert_says("The order total is <b>$7.99</b>", "Declared so far: <b>$0.00</b>")
    assert handler_bot.label("shipping.keep_value", amount="$0.00") in again.labels
    # A value typed again replaces it, with no warning.
    typed = await chat.send("7.99")
    assert typed.texts == [handler_bot.text("shipping.ask_weight")]


async def _order_id(handler_bot: HandlerBot) -> int:
    async with handler_bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        order = await uow.orders.by_number(seller.id, "AE-1001")
        assert order is not None
        return order.id
