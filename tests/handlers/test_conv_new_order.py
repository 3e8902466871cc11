"""/neworder through the dispatcher: order number -> ship-to country -> postcode -> currency ->
lines (product, SKU, quantity, unit price; repeated) -> ship-by date -> summary -> the order
is stored. Forward, back, edit from the summary, cancel, resume after a restart, and a refused
answer at every step (the step is asked again, nothing advances)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.model import OrderStatus
from domain.model.orders import ORDER_NUMBER_MAX, PRODUCT_NAME_MAX, SKU_MAX
from tests.handlers.chat import (
    Answer,
    Chat,
    HandlerBot,
    Press,
    Refusal,
    Step,
    assert_every_step_refuses,
)
from tests.handlers.factories import make_seller

SELLER = 8301

# One line of a French order in euros, answered step by step.
ONE_LINE: list[Step] = [
    ("number", lambda chat: chat.send("AE-2001")),
    ("country", lambda chat: chat.press("France")),
    ("postcode", lambda chat: chat.send("75001")),
    ("currency", lambda chat: chat.press("EUR")),
    ("product_name", lambda chat: chat.send("Phone case")),
    ("sku", lambda chat: chat.send("PC-1")),
    ("quantity", lambda chat: chat.send("2")),
    ("unit_price", lambda chat: chat.send("12.50")),
    ("more_lines", lambda chat: chat.press("Done with lines")),
    ("ship_by", lambda chat: chat.press("+3 d")),
]
# The clock of the tests stands at 2026-11-25 12:00 UTC; "+3 d" is the end of 2026-11-28.
STORED_ONE_LINE = {
    "number": "AE-2001",
    "ship_to": ("FR", "75001"),
    "currency": "EUR",
    "lines": [("Phone case", "PC-1", 2, Decimal("12.50"))],
    "total": Decimal("25.00"),
    "ship_by": datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC),
    "status": "awaiting_confirmation",
}


@pytest.fixture
async def chat(handler_bot: HandlerBot, chat_of: Callable[..., Chat]) -> Chat:
    await make_seller(handler_bot, SELLER)
    return chat_of(SELLER)


async def _walk(chat: Chat, until: str = "summary") -> Answer:
    """Send /neworder and answer every step before `until`; its question."""
    answer = await chat.send("/neworder")
    for step, act in ONE_LINE:
        if step == until:
            return answer
        answer = await act(chat)
    assert until == "summary", f"no step {until!r}"
    return answer


async def _orders(bot: HandlerBot) -> list[dict[str, Any]]:
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        orders, _ = await uow.orders.page(seller.id, statuses=list(OrderStatus), limit=50, offset=0)
        return [
            {
                "number": order.number,
                "ship_to": (order.ship_to_country, order.ship_to_postcode),
                "currency": order.currency,
                "lines": [
                    (line.product_name, line.sku, line.quantity, line.unit_price)
                    for line in order.lines
                ],
                "total": order.total,
                "ship_by": order.ship_by,
                "status": order.status.value,
            }
            for order in orders
        ]


# ----- forward -----


async def test_a_two_line_order_is_entered_and_saved(handler_bot: HandlerBot, chat: Chat) -> None:
    intro = await chat.send("/neworder")
    assert intro.texts == [
        handler_bot.text("orders.new_order_intro"),
        handler_bot.text("orders.ask_number"),
    ]
    assert intro.labels == [handler_bot.label("common.cancel")]
    await chat.send("AE-2002")
    postcode = await chat.press("United States")
    assert postcode.last.text == handler_bot.text("orders.ask_postcode", country="US")
    currency = await chat.send("10001")
    assert {"USD", "EUR", "CNY"} <= set(currency.labels)
    first = await chat.press("USD")
    assert first.last.text == handler_bot.text("orders.ask_product_name", line_number=1)
    await chat.send("Phone case")
    await chat.press("Skip")  # no SKU
    await chat.send("3")
    lines = await chat.send("4.50")
    assert lines.says("1. Phone case — 3 × $4.50")
    second = await chat.press("Add another line")
    assert second.last.text == handler_bot.text("orders.ask_product_name", line_number=2)
    await chat.send("USB cable")
    await chat.send("USB-C-1M")
    await chat.send("1")
    lines = await chat.send("0.99")
    assert lines.says("2. USB cable (USB-C-1M) — 1 × $0.99")
    ship_by = await chat.press("Done with lines")
    assert "+1 d · 2026-11-26" in ship_by.labels
    summary = await chat.press("+5 d")
    summary.assert_says(
        "Order number: <b>AE-2002</b>",
        "Ship to: United States, postcode 10001",
        "Currency: USD",
        "Total: <b>$14.49</b>",
    )
    assert await _orders(handler_bot) == []

    created = await chat.press("Create the order")
    assert created.texts == [
        handler_bot.text(
            "orders.created",
            number="AE-2002",
            ship_by=datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
        )
    ]
    assert created.labels == [handler_bot.label("orders.open")]
    assert await _orders(handler_bot) == [
        {
            "number": "AE-2002",
            "ship_to": ("US", "10001"),
            "currency": "USD",
            "lines": [
                ("Phone case", None, 3, Decimal("4.50")),
                ("USB cable", "USB-C-1M", 1, Decimal("0.99")),
            ],
            "total": Decimal("14.49"),
            "ship_by": datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
            "status": "awaiting_confirmation",
        }
    ]


async def test_typed_country_currency_and_date_are_accepted(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    summary = await chat.play(
        "/neworder", "AE-2003", "Allemagne", "10115", "eur",
        "Phone case", Press("Skip"), "1", "9,90", Press("Done with lines"), "2026/12/03",
    )  # fmt: skip
    assert summary.says("Ship to: Germany, postcode 10115")
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert (order["ship_to"], order["currency"], order["ship_by"].date().isoformat()) == (
        ("DE", "10115"),
        "EUR",
        "2026-12-03",
    )
    assert order["lines"] == [("Phone case", None, 1, Decimal("9.90"))]


async def test_a_chinese_country_name_and_full_width_codes_are_accepted(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    """德国 is two letters but a name, not an ISO code; １０１１５ is the postcode 10115."""
    await chat.play(
        "/neworder", "ＡＥ-２００４", "德国", "１０１１５", "eur",
        "Phone case", "ＰＣ-１", "３", "１２,５", Press("Done with lines"), "2026/12/03",
    )  # fmt: skip
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert order["ship_to"] == ("DE", "10115")
    assert order["lines"] == [("Phone case", "PC-1", 3, Decimal("12.50"))]


async def test_numbers_are_refused_for_what_is_wrong_with_them(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.play("/neworder", "AE-2005", "France", "75001", "eur", "Phone case", Press("Skip"))
    assert (await chat.send("deux")).texts == [
        handler_bot.text("numbers.not_a_number", value="deux")
    ]
    await chat.send("1")
    assert (await chat.send("1e1")).texts == [handler_bot.text("numbers.not_a_number", value="1e1")]
    assert (await chat.send("99999999999")).texts == [
        handler_bot.text("orders.price_too_large", max=Decimal("9999999999"), currency="EUR")
    ]


async def test_a_deadline_already_passed_is_said_before_the_order_is_created(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    warning = "⚠️ This date has passed: the order will be overdue as soon as it is created."
    summary = await chat.play(
        "/neworder", "AE-2004", "US", "10001", "USD",
        "Phone case", Press("Skip"), "1", "9.90", Press("Done with lines"), "2026-11-20",
    )  # fmt: skip
    assert summary.says(warning)
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert order["ship_by"].date().isoformat() == "2026-11-20"
    on_time = await chat.play(
        "/neworder", "AE-2005", "US", "10001", "USD",
        "Phone case", Press("Skip"), "1", "9.90", Press("Done with lines"), "2026-11-27",
    )  # fmt: skip
    assert not on_time.says(warning)


# ----- back -----


async def test_back_walks_the_steps_in_reverse(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat, "product_name")
    assert (await chat.press("Back")).last.text == handler_bot.text("orders.ask_currency")
    postcode = await chat.press("Back")
    assert postcode.last.text == handler_bot.text("orders.ask_postcode", country="FR")
    await chat.press("Back")
    assert (await chat.press("Back")).last.text == handler_bot.text("orders.ask_number")


async def test_back_from_the_lines_reopens_the_last_price(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat, "more_lines")
    price = await chat.press("Back")
    assert price.last.text == handler_bot.text("orders.ask_unit_price", currency="EUR")
    lines = await chat.send("13")
    # The line is corrected, not added twice.
    assert lines.says("1. Phone case (PC-1) — 2 × €13.00") and not lines.says("2.")
    await chat.press("Done with lines")
    await chat.press("+3 d")
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert order["lines"] == [("Phone case", "PC-1", 2, Decimal("13.00"))]


# ----- edit from the summary -----


async def test_editing_the_ship_to_asks_country_and_postcode_then_the_summary(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.press("Ship to")
    postcode = await chat.press("Spain")
    assert postcode.last.text == handler_bot.text("orders.ask_postcode", country="ES")
    summary = await chat.send("28001")
    assert summary.says("Ship to: Spain, postcode 28001")
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert order == {**STORED_ONE_LINE, "ship_to": ("ES", "28001")}


async def test_editing_the_lines_keeps_them_to_change_remove_or_add(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    listed = await chat.press("✏️ Lines")
    # The edit opens the list of lines, the line entered still in it.
    assert listed.says("1. Phone case (PC-1) — 2 × €12.50")
    # Change the one line: its questions again, and it keeps its place.
    first = await chat.press("Change a line")
    assert first.last.text == handler_bot.text("orders.ask_product_name", line_number=1)
    await chat.send("Phone case")
    await chat.send("PC-1")
    await chat.send("3")
    listed = await chat.send("11")
    assert listed.says("1. Phone case (PC-1) — 3 × €11.00")
    # Add a second one, then remove the first by its number.
    await chat.press("Add another line")
    await chat.send("Screen protector")
    await chat.press("Skip")
    await chat.send("5")
    listed = await chat.send("1")
    assert listed.says("1. Phone case") and listed.says("2. Screen protector — 5 × €1.00")
    asked = await chat.press("Remove a line")
    assert asked.texts == [handler_bot.text("orders.ask_line_number", max=2)]
    refused = await chat.send("3")
    assert refused.texts[0] == handler_bot.text("orders.line_number_invalid", max=2)
    listed = await chat.send("1")
    assert listed.says("1. Screen protector") and not listed.says("Phone case")
    summary = await chat.press("Done with lines")
    assert summary.says("Screen protector") and not summary.says("Phone case")
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert order["lines"] == [("Screen protector", None, 5, Decimal("1.00"))]


async def test_back_from_the_edited_lines_returns_to_the_summary_unchanged(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.press("✏️ Lines")
    await chat.press("Change a line")
    await chat.send("Lamp")
    # Back on the way leaves the line as it was; Back from the list ends the edit.
    assert (await chat.press("Back")).last.text == handler_bot.text(
        "orders.ask_product_name", line_number=1
    )
    listed = await chat.press("Back")
    assert listed.says("1. Phone case (PC-1) — 2 × €12.50")
    summary = await chat.press("Back")
    assert summary.says("Phone case") and summary.labels[0] == handler_bot.label("new_order.create")
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert order == STORED_ONE_LINE


async def test_editing_the_number_and_currency_keeps_the_rest(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.press("Order number")
    await chat.send("AE-2009")
    await chat.press("✏️ Currency")
    summary = await chat.press("USD")
    assert summary.says("Order number: <b>AE-2009</b>") and summary.says("Total: <b>$25.00</b>")
    await chat.press("Create the order")
    (order,) = await _orders(handler_bot)
    assert order == {**STORED_ONE_LINE, "number": "AE-2009", "currency": "USD"}


async def test_a_currency_the_prices_do_not_fit_is_refused(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    summary = await _walk(chat)
    prompt = await chat.press("✏️ Currency")
    # 12.50 cannot be a price in yen, which has no cents.
    refused = await chat.send("JPY")
    # The refusal names the line whose price yen cannot hold, and no example with cents.
    assert refused.texts == [
        handler_bot.text(
            "orders.line_price_unfit",
            product="Phone case",
            price="12.50",
            currency="JPY",
            decimals=0,
        )
    ]
    await chat.assert_still_asks(prompt.last)
    assert (await chat.press("EUR")).last.text == summary.last.text


# ----- cancel -----


async def test_cancel_leaves_without_an_order(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat, "sku")
    assert (await chat.press("Cancel")).texts == [handler_bot.text("cancel.done")]
    assert await _orders(handler_bot) == []
    assert (await chat.send("/cancel")).texts == [handler_bot.text("cancel.nothing")]


async def test_cancel_from_the_summary(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat)
    assert (await chat.press("Cancel")).texts == [handler_bot.text("cancel.done")]
    assert await _orders(handler_bot) == []


async def test_ship_typed_at_a_step_is_the_command_not_the_answer(chat: Chat) -> None:
    """/ship is tried before every conversation's steps: typed at the order number it starts
    (here, refuses) a shipping document instead of becoming the number."""
    anywhere = (await chat.send("/ship AE-9")).texts
    asked = await _walk(chat, "number")
    assert (await chat.send("/ship AE-9")).texts == anywhere
    await chat.assert_still_asks(asked.last)


# ----- resume after a restart -----


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_after_a_restart_start_resumes_at_the_lines(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    lines = await _walk(chat, "more_lines")
    await handler_bot.restart()
    await chat.assert_still_asks(lines.last)
    await chat.press("Done with lines")
    await chat.press("+3 d")
    await chat.press("Create the order")
    assert await _orders(handler_bot) == [STORED_ONE_LINE]


# ----- refused answers: the same step is asked again -----

REFUSALS = [
    Refusal("number", "AE 2001!", "orders.number_invalid", {"max": ORDER_NUMBER_MAX}),
    # the buyer reads it on every message about the order (tester t3, finding 4a)
    Refusal("number", "paypal.me/evilshop", "orders.number_contact"),
    Refusal("country", "Atlantis", "orders.country_invalid", {"value": "Atlantis"}),
    Refusal("country", "North Korea", "orders.country_embargoed", {"country": "KP"}),
    Refusal("postcode", "ABC", "orders.postcode_invalid", {"country": "FR", "example": "33380, 34092"}),
    Refusal("currency", "XYZ", "orders.currency_invalid", {"value": "XYZ"}),
    Refusal("product_name", "x" * (PRODUCT_NAME_MAX + 1), "orders.product_name_invalid",
            {"min": 1, "max": PRODUCT_NAME_MAX}),
    Refusal("sku", "s" * (SKU_MAX + 1), "orders.sku_invalid", {"min": 1, "max": SKU_MAX}),
    Refusal("quantity", "0", "orders.quantity_invalid", {"max": 100_000}),
    Refusal("quantity", "two", "numbers.not_a_number", {"value": "two"}),
    Refusal("unit_price", "12.345", "numbers.too_many_decimals", {"currency": "EUR", "decimals": 2}),
    Refusal("unit_price", "1,234", "numbers.ambiguous_separator", {"value": "1,234"}),
    Refusal("more_lines"),
    Refusal("ship_by", "next week", "orders.ship_by_invalid"),
    Refusal("ship_by", "2028-01-01", "orders.ship_by_invalid"),
]  # fmt: skip


async def test_every_step_refuses_a_bad_answer_and_asks_again(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    opening = await chat.send("/neworder")
    summary = await assert_every_step_refuses(chat, opening, ONE_LINE, REFUSALS)
    await chat.assert_typing_is_refused(summary.last)
    await chat.press("Create the order")
    assert await _orders(handler_bot) == [STORED_ONE_LINE]


async def test_skipping_a_postcode_the_country_requires_is_refused(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    prompt = await _walk(chat, "postcode")
    refused = await chat.press("Skip")
    assert refused.alert == handler_bot.plain(
        "orders.postcode_invalid", country="FR", example="33380, 34092"
    )
    assert not refused.messages
    await chat.assert_still_asks(prompt.last)


async def test_a_number_the_seller_already_has_is_refused_at_creation(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.press("Create the order")
    summary = await _walk(chat)
    refused = await chat.press("Create the order")
    assert refused.alert == handler_bot.plain("orders.duplicate_number", number="AE-2001")
    # Still at the summary: the number can be corrected there.
    await chat.assert_still_asks(summary.last)
    await chat.press("Order number")
    await chat.send("AE-2001-B")
    await chat.press("Create the order")
    assert sorted(order["number"] for order in await _orders(handler_bot)) == [
        "AE-2001",
        "AE-2001-B",
    ]
