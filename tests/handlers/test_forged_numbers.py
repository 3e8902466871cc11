"""Buttons forged with numbers no button carries: ids past a 64-bit database key, negative
pages, digits that are not ASCII. Each is refused as a stale or invalid button, never an
unexpected error (an incident in the log, the apology to the user)."""

from __future__ import annotations

import logging

import pytest

from domain.services.orders import lifecycle
from handlers.buyer.callbacks import ReturnForm, ReturnFormAction
from handlers.shipping_callbacks import ShippingForm, ShippingFormAction
from tests.handlers.chat import Chat, HandlerBot, Press
from tests.handlers.tenant_world import make_tenant

TOO_BIG = "99999999999999999999"  # above 2**63 - 1
FORGED = [
    f"ordm:view:{TOO_BIG}:awaiting:0",
    f"ordm:ok:{TOO_BIG}:awaiting:0",
    f"ordm:list:0:awaiting:{TOO_BIG}",
    "ordm:list:0:awaiting:-1",
    f"whm:view:{TOO_BIG}:",
    f"whm:edit:{TOO_BIG}:",
    f"shm:view:{TOO_BIG}:0:moving:0",
    f"shm:order:0:{TOO_BIG}:moving:0",
    "shm:list:0:0:moving:-3",
    f"rtm:view:{TOO_BIG}:open:0",
    "rtm:list:0:open:-1",
    f"ship:{TOO_BIG}",
    f"rv:open:{TOO_BIG}::0",
    f"bo:open:{TOO_BIG}:0",
    f"bo:list:0:{TOO_BIG}",
    "bo:list:0:-1",
    f"bcs:wd:{TOO_BIG}",
    f"bcs:wdy:{TOO_BIG}",
]


async def test_forged_numbers_are_refused_without_an_error(
    busy_bot: HandlerBot, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await make_tenant(busy_bot.uow, "Aardvark", 8101, 31_000_001)
    unexpected = busy_bot.plain("errors.unexpected", incident_id="x").split("\n")[0]
    for user in (tenant.seller_user, tenant.buyer_user):
        chat = Chat(busy_bot, user)
        for data in FORGED:
            answer = await chat.press_data(1, data)
            assert len(answer.popups) == 1, data
            assert unexpected not in (answer.alert or ""), data
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_forged_ids_inside_conversations_are_invalid_choices(
    busy_bot: HandlerBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The buttons that carry an id in their text value (a warehouse for the shipment, a line
    to return): out of range, or digits of another script, they are an invalid choice."""
    tenant = await make_tenant(busy_bot.uow, "Aardvark", 8101, 31_000_001)
    invalid = busy_bot.plain("errors.invalid_choice")
    seller = Chat(busy_bot, tenant.seller_user)
    buyer = Chat(busy_bot, tenant.buyer_user)
    await buyer.play("/return")
    for value in (TOO_BIG, "²", "١٢"):
        pressed = await buyer.press_forged(
            1, ReturnForm(action=ReturnFormAction.LINE, value=value).pack()
        )
        assert pressed.alert == invalid, value
    # The shipped order's document is done: the seller ships the pending one, confirmed first.
    async with busy_bot.uow() as uow:
        await lifecycle.confirm_order(tenant.seller_user, tenant.pending_order_id, uow)
        await uow.commit()
    await seller.play(
        f"/ship {tenant.pending_order_number}",
        Press("Continue"),
        Press("Keep"),
        "2",
        "30x20x10",
        Press("✅ Done"),
    )
    for value in (TOO_BIG, "²", "١٢"):
        data = ShippingForm(action=ShippingFormAction.WAREHOUSE, value=value).pack()
        pressed = await seller.press_forged(1, data)
        assert pressed.alert in (invalid, busy_bot.plain("warehouse.not_found")), value
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
