"""The one-question modes kept outside the conversation engine — an order cancellation's reason,
a rate card awaited after /rates, an operator's reason for a review decision: every command works
in them as it does anywhere else (the question stays open, its data intact), /cancel and the
prompt's own Cancel leave them, and the answer they wait for is still taken."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from domain.model import OrderSource, OrderStatus, WarehouseStatus
from domain.services.orders import intake
from tests.e2e.conftest import OPERATOR_ID
from tests.handlers.chat import Answer, Chat, HandlerBot
from tests.handlers.factories import make_seller
from tests.reliability.test_shipping_service import SHIP_BY, make_warehouse

SELLER = 8901
ORDER = "A-7001"
PENDING = "Ningbo"

# Commands of routers tried before and after each mode's own (/help and /start come first;
# /ship, /shipments, /returns, /case, /budget, /fx, /costs came after the cancellation's reason,
# /fx and /costs after the rate card's reminder, /compliance and /outbox after the review note).
SELLER_COMMANDS = (
    "/help",
    "/start",
    "/ship A-0",
    "/shipments",
    "/returns",
    "/case",
    "/budget",
    "/fx",
    "/costs",
)
OPERATOR_COMMANDS = ("/help", "/review", "/compliance", "/outbox")


async def _make_order(bot: HandlerBot, seller_id: int, number: str) -> None:
    """An order waiting for the seller's confirmation."""
    async with bot.uow() as uow:
        await intake.create_order(
            intake.NewOrder(
                seller_id=seller_id,
                number=number,
                ship_to_country="US",
                ship_to_postcode="94105",
                currency="USD",
                ship_by=SHIP_BY,
                lines=[intake.NewOrderLine("Phone case", 2, "3.50", "PC-1")],
                source=OrderSource.CONVERSATION,
                actor_id=SELLER,
            ),
            uow,
        )
        await uow.commit()


@pytest.fixture
async def seller(handler_bot: HandlerBot) -> Chat:
    """A seller with a warehouse waiting for review and an order waiting for confirmation."""
    seller_id = await make_seller(handler_bot, SELLER)
    await make_warehouse(handler_bot.uow, SELLER, PENDING, approve=False)
    await _make_order(handler_bot, seller_id, ORDER)
    return Chat(handler_bot, SELLER)


@pytest.fixture
def operator(handler_bot: HandlerBot, seller: Chat) -> Chat:
    return Chat(handler_bot, OPERATOR_ID)


async def _order(bot: HandlerBot, number: str = ORDER) -> tuple[OrderStatus, str | None]:
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        order = await uow.orders.by_number(seller.id, number)
        assert order is not None
        return order.status, order.cancel_reason


async def _reviewed(bot: HandlerBot, name: str = PENDING) -> tuple[str, str | None]:
    """The warehouse's status and the reviewer's note."""
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        (warehouse,) = [w for w in await uow.warehouses.for_seller(seller.id) if w.name == name]
        return warehouse.status.value, warehouse.review_note


async def _reason_asked(chat: Chat, number: str = ORDER) -> Answer:
    await chat.send("/orders")
    await chat.press(number)
    return await chat.press("Cancel order")


async def _rate_card_asked(chat: Chat) -> Answer:
    return await chat.send("/rates")


async def _note_asked(chat: Chat) -> Answer:
    await chat.send("/review")
    await chat.press(PENDING)
    return await chat.press("Reject")


async def _assert_mode_left(chat: Chat) -> None:
    """Nothing the user types now is taken as the mode's answer."""
    assert (await chat.send("Buyer changed their mind")).texts == [
        chat.bot.text("common.not_understood")
    ]


async def _assert_commands_answer_as_anywhere(
    chat: Chat, commands: tuple[str, ...], ask: Callable[[Chat], Awaitable[Answer]]
) -> None:
    anywhere = {command: (await chat.send(command)).texts for command in commands}
    for command in commands:
        await ask(chat)
        assert (await chat.send(command)).texts == anywhere[command], command


async def test_commands_answer_as_anywhere_while_a_cancellation_reason_is_asked(
    handler_bot: HandlerBot, seller: Chat
) -> None:
    await _assert_commands_answer_as_anywhere(seller, SELLER_COMMANDS, _reason_asked)
    assert await _order(handler_bot) == (OrderStatus.AWAITING_CONFIRMATION, None)

    await _reason_asked(seller)
    assert (await seller.send("/CANCEL")).texts == [handler_bot.text("cancel.done")]
    await _assert_mode_left(seller)
    assert await _order(handler_bot) == (OrderStatus.AWAITING_CONFIRMATION, None)


async def test_the_reason_typed_after_a_command_still_cancels_the_order(
    handler_bot: HandlerBot, seller: Chat
) -> None:
    asked = await _reason_asked(seller)
    assert asked.labels == [handler_bot.label("orders.keep")]
    await seller.send("/budget")
    cancelled = await seller.send("Buyer changed their mind")
    cancelled.assert_says(ORDER, "Buyer changed their mind")
    assert await _order(handler_bot) == (OrderStatus.CANCELLED, "Buyer changed their mind")


async def test_keep_leaves_the_cancellation(handler_bot: HandlerBot, seller: Chat) -> None:
    await _reason_asked(seller)
    kept = await seller.press("Keep the order")
    kept.assert_says(ORDER)
    await _assert_mode_left(seller)
    assert await _order(handler_bot) == (OrderStatus.AWAITING_CONFIRMATION, None)


async def test_an_older_keep_leaves_another_orders_cancellation_alone(
    handler_bot: HandlerBot, seller: Chat
) -> None:
    other = "A-7002"
    async with handler_bot.uow() as uow:
        found = await uow.sellers.by_telegram_user(SELLER)
        assert found is not None
        seller_id = found.id
    await _make_order(handler_bot, seller_id, other)
    older = (await _reason_asked(seller)).last
    await _reason_asked(seller, other)
    (keep,) = older.keyboard[0]
    kept = await seller.press_data(older.message_id, keep.callback_data or "")
    kept.assert_says(ORDER)
    cancelled = await seller.send("Out of stock")
    cancelled.assert_says(other, "Out of stock")
    assert await _order(handler_bot) == (OrderStatus.AWAITING_CONFIRMATION, None)
    assert await _order(handler_bot, other) == (OrderStatus.CANCELLED, "Out of stock")


async def test_commands_answer_as_anywhere_while_a_rate_card_is_awaited(
    handler_bot: HandlerBot, seller: Chat
) -> None:
    await _assert_commands_answer_as_anywhere(seller, SELLER_COMMANDS, _rate_card_asked)

    await _rate_card_asked(seller)
    assert (await seller.send("/cancel")).texts == [handler_bot.text("cancel.done")]
    await _assert_mode_left(seller)
    # Out of the mode, a file is not taken as a rate card: the seller hears where files go.
    refused = await seller.send_document("rates.pdf", "application/pdf")
    assert refused.texts == [handler_bot.text("common.file_not_expected", seller=True)]


async def test_the_rate_card_awaited_is_still_taken_after_a_command(
    handler_bot: HandlerBot, seller: Chat
) -> None:
    asked = await _rate_card_asked(seller)
    assert handler_bot.label("common.cancel") in asked.labels
    await seller.send("/costs")
    reminded = await seller.send("here it comes")
    assert reminded.texts == [handler_bot.text("logistics.rates_expecting_file")]
    # A file is the mode's answer: checked there (a .pdf is no rate card).
    refused = await seller.send_document("rates.pdf", "application/pdf")
    assert refused.texts == [handler_bot.text("rates.unsupported_file", filename="rates.pdf")]
    cancelled = await seller.press("Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    await _assert_mode_left(seller)


async def test_commands_answer_as_anywhere_while_a_review_note_is_asked(
    handler_bot: HandlerBot, operator: Chat
) -> None:
    await _assert_commands_answer_as_anywhere(operator, OPERATOR_COMMANDS, _note_asked)
    assert await _reviewed(handler_bot) == (WarehouseStatus.PENDING_REVIEW.value, None)

    await _note_asked(operator)
    assert (await operator.send("/cancel")).texts == [handler_bot.text("cancel.done")]
    await _assert_mode_left(operator)
    assert await _reviewed(handler_bot) == (WarehouseStatus.PENDING_REVIEW.value, None)


async def test_the_note_typed_after_a_command_still_decides(
    handler_bot: HandlerBot, operator: Chat
) -> None:
    await _note_asked(operator)
    await operator.send("/compliance")
    await operator.send("/outbox")
    decided = await operator.send("Blurry licence")
    decided.assert_says(PENDING)
    assert await _reviewed(handler_bot) == (WarehouseStatus.REJECTED.value, "Blurry licence")


async def test_cancel_button_of_the_review_note_takes_no_decision(
    handler_bot: HandlerBot, operator: Chat
) -> None:
    asked = await _note_asked(operator)
    assert asked.labels == [handler_bot.label("common.cancel")]
    cancelled = await operator.press("Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    await _assert_mode_left(operator)
    assert await _reviewed(handler_bot) == (WarehouseStatus.PENDING_REVIEW.value, None)
    # The card's decision buttons still work.
    asked_again = await operator.press("Reject")
    assert asked_again.labels == [handler_bot.label("common.cancel")]


async def test_an_older_cancel_of_the_review_note_is_stale(
    handler_bot: HandlerBot, seller: Chat, operator: Chat
) -> None:
    """The Cancel of a reason asked for another warehouse leaves the reason being written."""
    older = (await _note_asked(operator)).last
    await operator.send("/cancel")
    await make_warehouse(handler_bot.uow, SELLER, "Xiamen", approve=False)
    await operator.send("/review")
    await operator.press("Xiamen")
    await operator.press("Reject")
    (cancel,) = older.keyboard[0]
    pressed = await operator.press_data(older.message_id, cancel.callback_data or "")
    assert pressed.alert == handler_bot.plain(
        "errors.stale_button_in_conversation", conversation="review_note"
    )
    await operator.send("Wrong address")
    assert await _reviewed(handler_bot) == (WarehouseStatus.PENDING_REVIEW.value, None)
    assert await _reviewed(handler_bot, "Xiamen") == (
        WarehouseStatus.REJECTED.value,
        "Wrong address",
    )
