"""What the shipping document offers to choose: methods the seller's budget blocks are shown as
blocked, never as a choice or as the cheapest."""

from __future__ import annotations

from collections.abc import Callable

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
