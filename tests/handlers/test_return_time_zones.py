"""Times of a return case on each side's clock: a buyer who chose Asia/Shanghai with /timezone
reads the case card, the offer notice and the deadline reminder in Shanghai time, named; the
store, which keeps no zone, reads the same moments in UTC, named too."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from domain.returns.deadlines import DeadlineRules
from domain.returns.offers import OfferTerms
from domain.returns.rules import Resolution, Side
from domain.services import return_deadlines, returns
from tests.conftest import FixedClock
from tests.handlers.chat import Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER = 8951, 8952
# Babel's English puts a narrow no-break space before AM/PM.
PM = "\u202fPM"


@pytest.fixture
async def bought(handler_bot: HandlerBot) -> BoughtOrder:
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-TZ1", BUYER, 34_000_001)


async def _store_counters(handler_bot: HandlerBot, case_id: int) -> None:
    async with handler_bot.app.uow_factory() as uow:
        await returns.counter_offer(
            SELLER,
            case_id,
            Side.SELLER,
            OfferTerms(Resolution.REFUND_PARTIAL, Decimal("1.50")),
            uow,
            DeadlineRules(),
        )
        await uow.commit()


async def test_a_buyer_in_shanghai_reads_the_case_on_their_clock(
    handler_bot: HandlerBot, bought: BoughtOrder, clock: FixedClock
) -> None:
    uow_factory = handler_bot.app.uow_factory
    buyer, seller = Chat(handler_bot, BUYER), Chat(handler_bot, SELLER)
    (await buyer.send("/timezone Asia/Shanghai")).assert_says("Shanghai")
    case_id = await open_damaged(uow_factory, bought)  # at 12:00 UTC, 20:00 in Shanghai
    await _store_counters(handler_bot, case_id)  # to be answered within 72 hours

    await buyer.send("/orders")
    await buyer.press("AE-TZ1")
    card = await buyer.press(f"Return R-{case_id}")
    card.assert_says(
        f"Answer due by Nov 28 8:00{PM} (Shanghai).",
        "<b>Timeline</b> (Shanghai)",
        f"<b>Nov 25 8:00{PM}</b>",
    )
    assert "UTC" not in card.text

    await seller.send("/returns")
    await seller.press("Waiting for the buyer")
    seller_card = await seller.press(f"R-{case_id}")
    seller_card.assert_says(
        f"Answer due by Nov 28 12:00{PM} (UTC).",
        "<b>Timeline</b> (UTC)",
        f"<b>Nov 25 12:00{PM}</b>",
    )

    offers = [
        n for n in await notifications_to(uow_factory, BUYER) if n.template.endswith("offer_notice")
    ]
    assert [n.params["time_zone"] for n in offers] == ["Asia/Shanghai"]
    assert f"by Nov 28 8:00{PM} (Shanghai)" in handler_bot.text(
        "returns.offer_notice", **offers[0].params
    )

    # Half of the 72 hours gone: the buyer is reminded, on their clock.
    clock.advance(hours=36, minutes=1)
    async with uow_factory() as uow:
        due = await return_deadlines.claim_due(uow)
        await uow.commit()
    for firing_id in due:
        async with uow_factory() as uow:
            await return_deadlines.fire(firing_id, uow, DeadlineRules())
            await uow.commit()
    reminders = [
        n
        for n in await notifications_to(uow_factory, BUYER)
        if n.template == "returns.deadline_reminder"
    ]
    assert [n.params["time_zone"] for n in reminders] == ["Asia/Shanghai"]
    reminder = handler_bot.text("returns.deadline_reminder", **reminders[0].params)
    assert f"counter it by Nov 28 8:00{PM} (Shanghai), or it lapses" in reminder


async def test_without_a_choice_the_buyer_reads_the_delivery_countrys_time(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    """The order ships to France: Paris time, as its tracking messages, until /timezone."""
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)
    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    await buyer.press("AE-TZ1")
    card = await buyer.press(f"Return R-{case_id}")
    card.assert_says("<b>Timeline</b> (Paris)", f"<b>Nov 25 1:00{PM}</b>")


async def test_the_transcripts_caption_names_the_clock_it_is_on(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    buyer, seller = Chat(handler_bot, BUYER), Chat(handler_bot, SELLER)
    await buyer.send("/timezone Asia/Shanghai")
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)
    to_buyer = (await buyer.send(f"/transcript R-{case_id}")).documents
    to_seller = (await seller.send(f"/transcript R-{case_id}")).documents
    buyer_caption, seller_caption = to_buyer[0].caption or "", to_seller[0].caption or ""
    assert "times on your clock (Shanghai" in buyer_caption and "UTC" not in buyer_caption
    assert "times in UTC" in seller_caption


async def test_a_case_notice_waits_out_the_buyers_night_and_the_stores_does_not(
    handler_bot: HandlerBot, bought: BoughtOrder, clock: FixedClock
) -> None:
    """The store counters at 16:30 UTC, 00:30 in Shanghai: the buyer's notice is held until
    08:00 there, as their tracking messages are. The buyer's answer reaches the store at once."""
    uow_factory = handler_bot.app.uow_factory
    (await Chat(handler_bot, BUYER).send("/timezone Asia/Shanghai")).assert_says("Shanghai")
    case_id = await open_damaged(uow_factory, bought)
    clock.advance(hours=4, minutes=30)
    await _store_counters(handler_bot, case_id)

    offers = [
        n for n in await notifications_to(uow_factory, BUYER) if n.template.endswith("offer_notice")
    ]
    assert [n.next_attempt_at.replace(tzinfo=None) for n in offers] == [
        datetime(2026, 11, 26, 0, 0)  # 08:00 in Shanghai
    ]

    async with uow_factory() as uow:
        await returns.decline_offer(BUYER, case_id, Side.BUYER, uow, DeadlineRules())
        await uow.commit()
    to_store = [
        n
        for n in await notifications_to(uow_factory, SELLER)
        if n.template == "returns.offer_declined_notice"
    ]
    assert [n.next_attempt_at.replace(tzinfo=None) for n in to_store] == [
        clock().replace(tzinfo=None)
    ]
