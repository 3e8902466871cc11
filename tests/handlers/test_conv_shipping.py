"""The shipping document through the dispatcher: lines -> declared value -> weight ->
dimensions -> goods -> warehouse -> method -> carrier -> tracking number -> (parcel photo) ->
summary -> confirmed: the PDF, the buyer's link, the shipment row. Forward, back (the way to
change an answer from the summary), cancel, carrying on after a restart, and a refused answer
at every step (the same step goes on, nothing advances)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from domain.services.orders import intake
from tests.handlers.chat import Answer, Chat, HandlerBot, Refusal, assert_every_step_refuses
from tests.handlers.factories import make_seller
from tests.reliability.test_shipping_service import make_confirmed_order, make_warehouse

SELLER = 8401
AnswerRight = Callable[[Chat], Awaitable[Answer]]


async def _goods(chat: Chat) -> Answer:
    return await chat.press("✅ Done")


# A cheap order (no parcel photo) from Shenzhen to the United States, step by step; the last
# item says what the next question starts with.
STEPS: list[tuple[str, AnswerRight, str]] = [
    ("lines", lambda chat: chat.press("Continue"), "Step 2: the declared value"),
    ("declared_value", lambda chat: chat.press("Keep"), "Step 3: the actual weight"),
    ("weight", lambda chat: chat.send("12"), "Step 4: the outside dimensions"),
    ("dimensions", lambda chat: chat.send("60x40x40"), "Step 5: what is in the parcel"),
    ("goods", _goods, "Step 6: which warehouse ships it"),
    ("warehouse", lambda chat: chat.press("Shenzhen main"), "Logistics methods compared"),
    ("method", lambda chat: chat.press("Sea freight"), "Step 8: which carrier"),
    ("carrier", lambda chat: chat.send("COSCO"), "Step 9: the tracking number"),
    ("tracking", lambda chat: chat.send("RB 1234 5678 5GB"), "Shipping document, order AE-1001"),
]


class Shop:
    """The seller's data the document is filled from: a verified warehouse and orders."""

    def __init__(self, bot: HandlerBot, seller_id: int) -> None:
        self.bot = bot
        self.seller_id = seller_id

    async def order(self, number: str, lines: list[intake.NewOrderLine] | None = None) -> int:
        return await make_confirmed_order(self.bot.uow, self.seller_id, SELLER, number, lines)

    async def shipments(self, order_id: int) -> list[dict[str, Any]]:
        async with self.bot.uow() as uow:
            return [
                {
                    "method": s.method,
                    "carrier": s.carrier,
                    "tracking": s.tracking_number,
                    "declared": s.declared_value,
                    "weight": s.weight_kg,
                    "partial": s.is_partial,
                    "photo": s.parcel_photo_file_id is not None,
                }
                for s in await uow.shipments.for_order(order_id)
            ]

    async def order_status(self, order_id: int) -> str:
        async with self.bot.uow() as uow:
            order = await uow.orders.get(order_id)
            assert order is not None
            return order.status.value


@pytest.fixture
async def shop(handler_bot: HandlerBot) -> Shop:
    seller_id = await make_seller(handler_bot, SELLER)
    await make_warehouse(handler_bot.uow, SELLER)
    return Shop(handler_bot, seller_id)


@pytest.fixture
async def order_id(shop: Shop) -> int:
    """AE-1001: two phone cases at 3.50 and a USB cable at 0.99, confirmed."""
    return await shop.order("AE-1001")


@pytest.fixture
def chat(chat_of: Callable[..., Chat], order_id: int) -> Chat:
    return chat_of(SELLER)


async def _walk(chat: Chat, until: str = "summary") -> Answer:
    """Open the document of AE-1001 and answer every step before `until`; its question."""
    answer = await chat.send("/ship AE-1001")
    for step, act, _ in STEPS:
        if step == until:
            return answer
        answer = await act(chat)
    assert until == "summary", f"no step {until!r}"
    return answer


async def _answer_and_expect_next(chat: Chat, step: str) -> None:
    """Give `step` its good answer: the conversation goes on to the step after it."""
    act, following = next((act, text) for name, act, text in STEPS if name == step)
    assert (await act(chat)).says(following)


# ----- forward -----


async def test_the_document_is_filled_confirmed_and_the_order_shipped(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    lines = await chat.send("/ship AE-1001")
    assert lines.says("Shipping document for order AE-1001")
    assert lines.says("1. Phone case: 2 of 2") and lines.says("2. USB cable: 1 of 1")
    # The first step offers no Back.
    assert handler_bot.label("common.back") not in lines.labels
    value = await chat.press("Continue")
    assert value.says("The order total is <b>$7.99</b>")
    for step, act, following in STEPS[1:-1]:
        assert (await act(chat)).says(following), step
    summary = await chat.send("RB 1234 5678 5GB")
    summary.assert_says("Sea freight", "COSCO", "RB123456785GB", "All compliance checks passed")
    assert await shop.shipments(order_id) == []

    done = await chat.press("Confirm and get the document")
    (pdf,) = done.documents
    assert pdf.document.filename == "shipping-AE-1001.pdf"  # type: ignore[union-attr]
    assert done.says("Order <b>AE-1001</b> is shipped")
    assert done.says("https://t.me/sellerbot_test_bot?start=")
    assert await shop.order_status(order_id) == "shipped"
    assert await shop.shipments(order_id) == [
        {
            "method": "sea",
            "carrier": "COSCO",
            "tracking": "RB123456785GB",
            "declared": Decimal("7.99"),
            "weight": Decimal("12.000"),
            "partial": False,
            "photo": False,
        }
    ]


async def test_a_partial_shipment_with_another_declared_value(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    await chat.send("/ship AE-1001")
    asked = await chat.press("Phone case")
    assert asked.texts == [handler_bot.text("shipping.ask_line_quantity", name="Phone case",
                                            ordered=2)]  # fmt: skip
    lines = await chat.send("1")
    assert lines.says("1. Phone case: 1 of 2") and lines.says("partial shipment")
    await chat.press("Continue")
    assert (await chat.send("5.50")).says("Step 3: the actual weight")
    for _, act, _following in STEPS[2:-1]:
        await act(chat)
    summary = await chat.send("RB 1234 5678 5GB")
    # A value far from the order total and a partial parcel: warnings to acknowledge first.
    assert summary.says("Partial shipment: 2 of 3 items ordered.")
    assert summary.labels[0] == handler_bot.label("shipping.ack_and_confirm")
    done = await chat.press("I understand — confirm")
    assert done.says("It is recorded as a partial shipment.")
    (shipment,) = await shop.shipments(order_id)
    assert (shipment["partial"], shipment["declared"]) == (True, Decimal("5.50"))


async def test_a_valuable_order_asks_for_a_parcel_photo(
    handler_bot: HandlerBot, shop: Shop, chat_of: Callable[..., Chat]
) -> None:
    order_id = await shop.order("AE-1002", [intake.NewOrderLine("Drone", 1, "450.00", "DR-1")])
    chat = chat_of(SELLER)
    await chat.send("/ship AE-1002")
    for _, act, _following in STEPS[:-1]:
        await act(chat)
    photo = await chat.send("RB 1234 5678 5GB")
    assert photo.says("send a photo of the packed parcel")
    refused = await chat.send("it is packed")
    assert refused.texts == [handler_bot.text("shipping.expecting_photo")]
    summary = await chat.send_photo()
    assert summary.says("Shipping document, order AE-1002")
    await chat.press("Confirm")
    assert (await shop.shipments(order_id))[0]["photo"] is True


# ----- back -----


async def test_back_walks_the_steps_in_reverse(
    handler_bot: HandlerBot, chat: Chat, shop: Shop
) -> None:
    await _walk(chat, "carrier")
    assert (await chat.press("Back")).says("Logistics methods compared")
    assert (await chat.press("Back")).says("Step 6: which warehouse ships it")
    assert (await chat.press("Back")).says("Step 5: what is in the parcel")
    assert (await chat.press("Back")).says("Step 4: the outside dimensions")
    # Forward again from there keeps the answers given after it.
    await chat.send("50x40x30")
    goods = await chat.press("✅ Done")
    assert goods.says("Step 6: which warehouse ships it")


async def test_back_from_the_summary_changes_the_tracking_number(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    await _walk(chat)
    # A cheap order has no photo step: Back goes straight to the tracking number.
    assert (await chat.press("Back")).says("Step 9: the tracking number")
    summary = await chat.send("RR123456785CN")
    assert summary.says("RR123456785CN") and not summary.says("RB123456785GB")
    await chat.press("Confirm and get the document")
    assert (await shop.shipments(order_id))[0]["tracking"] == "RR123456785CN"


# ----- cancel -----


async def test_cancel_leaves_the_order_confirmed(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    await _walk(chat, "goods")
    assert (await chat.press("Cancel")).texts == [handler_bot.text("cancel.done")]
    assert await shop.shipments(order_id) == []
    assert await shop.order_status(order_id) == "confirmed"
    # Out of the conversation: a weight is no answer to anything now.
    assert (await chat.send("/cancel")).texts == [handler_bot.text("cancel.nothing")]


# ----- after a restart -----


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_after_a_restart_the_document_carries_on(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    await _walk(chat, "weight")
    await handler_bot.restart()
    await _answer_and_expect_next(chat, "weight")
    for _, act, _following in STEPS[3:]:
        await act(chat)
    await chat.press("Confirm and get the document")
    assert await shop.order_status(order_id) == "shipped"


# ----- refused answers: the same step goes on -----

REFUSALS = [
    Refusal("lines"),
    Refusal("declared_value", "a lot", "shipping.declared_value_invalid"),
    Refusal("declared_value", "-5", "shipping.declared_value_negative"),
    Refusal("declared_value", "1e1", "shipping.declared_value_invalid"),
    Refusal("weight", "heavy", "shipping.weight_invalid"),
    Refusal("dimensions", "60x40", "shipping.dimensions_invalid"),
    Refusal("goods"),
    Refusal("warehouse"),
    Refusal("method"),
    Refusal("carrier", "/dhl", "shipping.carrier_invalid", {"min": 2, "max": 64}),
    Refusal("tracking", "RB123456784GB", "tracking.s10_check_digit", {"tracking": "RB123456784GB"}),
    Refusal("tracking", "RB-1", "tracking.invalid_characters"),
]


async def test_every_step_refuses_a_bad_answer_and_goes_on(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    opening = await chat.send("/ship AE-1001")
    steps = [(name, answer_right) for name, answer_right, _ in STEPS]
    # No resume here: that the step stayed shows in the next step's refusals being its own.
    summary = await assert_every_step_refuses(chat, opening, steps, REFUSALS, resumable=False)
    summary.assert_says("Shipping document, order AE-1001")
    await chat.assert_typing_is_refused(summary.last)
    await chat.press("Confirm and get the document")
    assert await shop.order_status(order_id) == "shipped"


async def test_a_line_quantity_above_the_limit_is_refused(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.send("/ship AE-1001")
    await chat.press("USB cable")
    # A word is told it is not a number, an amount too many is told the range.
    assert (await chat.send("many")).texts == [
        handler_bot.text("numbers.not_a_number", value="many")
    ]
    refused = await chat.send("100001")
    assert refused.texts[0].startswith("Please type a whole number from 0 to")
    assert len(refused.texts) == 1
    # Still asking for that line's quantity.
    assert (await chat.send("0")).says("2. USB cable: 0 of 1")


async def test_nothing_to_ship_is_refused(handler_bot: HandlerBot, chat: Chat) -> None:
    await chat.send("/ship AE-1001")
    await chat.press("Phone case")
    await chat.send("0")
    await chat.press("USB cable")
    await chat.send("0")
    refused = await chat.press("Continue")
    assert refused.alert == handler_bot.plain("shipping.nothing_to_ship")
    await chat.press("USB cable")
    await chat.send("1")
    assert (await chat.press("Continue")).says("Step 2: the declared value")


async def test_an_unknown_tracking_format_must_be_acknowledged(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    await _walk(chat, "tracking")
    asked = await chat.send("LX123456789XYZ")
    assert asked.texts == [handler_bot.text("shipping.tracking_unknown", tracking="LX123456789XYZ")]
    summary = await chat.press("Use this number anyway")
    assert summary.says("Shipping document, order AE-1001") and summary.says("LX123456789XYZ")


async def test_express_refuses_a_standalone_battery(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat, "goods")
    await chat.press("Standalone lithium battery")
    warehouses = await _goods(chat)
    assert warehouses.says("Step 6")
    await chat.press("Shenzhen main")
    refused = await chat.press("International express")
    assert refused.alert is not None
    assert "International express can't take this parcel" in refused.alert + refused.text
    # Sea freight takes it.
    assert (await chat.press("Sea freight")).says("Step 8: which carrier")


async def test_goods_are_ticked_in_place_and_kept(
    handler_bot: HandlerBot, chat: Chat, shop: Shop, order_id: int
) -> None:
    prompt = (await _walk(chat, "goods")).last
    # Each press edits the question it was pressed on: the chat holds one, ticked as chosen.
    shown = await chat.toggle_in_place(
        prompt, "Fragile", "High value", "Battery inside equipment", "High value"
    )
    assert {"☑️ Fragile", "☑️ Battery inside equipment", "⬜ High value"} <= set(shown.labels)
    assert chat.messages_saying("Step 5: what is in the parcel") == [shown]
    # Done moves on with a new message, and the summary lists what was ticked.
    names = [name for name, _, _ in STEPS]
    for _, act, _ in STEPS[names.index("goods") :]:
        summary = await act(chat)
    summary.assert_says("Battery inside equipment", "Fragile")
    assert not summary.says("High value")


async def test_an_order_the_seller_does_not_have(handler_bot: HandlerBot, chat: Chat) -> None:
    refused = await chat.send("/ship AE-9999")
    assert refused.texts == [handler_bot.text("shipping.order_not_found", number="AE-9999")]
