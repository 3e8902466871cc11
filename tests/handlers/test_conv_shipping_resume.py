"""/start brings a seller back to the shipping document where they left it, as it does for
every conversation on the engine (the document had no resume before it moved onto it)."""

from __future__ import annotations

import pytest

from tests.handlers.chat import Chat, HandlerBot
from tests.handlers.test_conv_shipping import SELLER, Shop, _walk, chat, order_id, shop

__all__ = ["chat", "order_id", "shop"]  # the fixtures this module shares


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_start_after_a_restart_asks_the_same_step_again(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    carrier = await _walk(chat, "carrier")
    await handler_bot.restart()
    await chat.assert_still_asks(carrier.last)
    # The conversation goes on from there, Back included.
    assert (await chat.send("COSCO")).says("Step 9: the tracking number")
    assert (await chat.press("Back")).says("Step 8: which carrier")


async def test_start_resumes_at_the_summary_with_its_findings(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    summary = await _walk(chat)
    await chat.assert_still_asks(summary.last)
    await chat.press("Confirm and get the document")
    assert await shop.order_status(order_id) == "shipped"


async def test_start_after_the_document_was_cancelled_greets_the_seller(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat, "weight")
    await chat.press("Cancel")
    greeting = await chat.send("/start")
    assert greeting.texts == [
        handler_bot.text("start.welcome_seller", store_name=f"Store {SELLER}")
    ]
