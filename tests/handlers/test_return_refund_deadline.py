"""What was agreed, and the store's deadline to record the agreed refund, through the
dispatcher: both sides' cards show the accepted terms (the address masked for the buyer) and the
refund's day on their own clock; the store is reminded; an unrecorded refund closes the case,
both sides are told, the buyer's erasure is no longer held, and the buyer takes it to the
platform from the lapse notice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.notice_keyboards import NoticeKeyboards
from domain.model import Notification
from domain.returns.deadlines import DeadlineKind, DeadlineRules, Firing
from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, PostagePayer, Resolution, Side
from domain.services import erasure, return_deadlines, returns
from tests.conftest import FixedClock
from tests.handlers.chat import Answer, Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, case_row, firings, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER = 9011, 9012
# Babel's English puts a narrow no-break space before AM/PM.
PM = "\u202fPM"
ESCALATE = "⚖️ Open a platform dispute"
OPEN = "📂 Open the case"


@pytest.fixture
async def store(handler_bot: HandlerBot) -> Store:
    return await Store(handler_bot.app.uow_factory, SELLER).open()


@pytest.fixture
async def bought(handler_bot: HandlerBot, store: Store) -> BoughtOrder:
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-RD1", BUYER, 36_000_001)


async def _store_counters(bot: HandlerBot, case_id: int, terms: OfferTerms) -> None:
    async with bot.app.uow_factory() as uow:
        await returns.counter_offer(SELLER, case_id, Side.SELLER, terms, uow, DeadlineRules())
        await uow.commit()


async def _buyer_accepts_on_the_card(bot: HandlerBot, case_id: int) -> Answer:
    buyer = Chat(bot, BUYER)
    await buyer.send("/orders")
    await buyer.press("AE-RD1")
    await buyer.press(f"Return R-{case_id}")
    return await buyer.press("✅ Accept")


async def _fire_due(bot: HandlerBot) -> None:
    """One run of the deadline job, as the scheduler does it."""
    async with bot.app.uow_factory() as uow:
        due = await return_deadlines.claim_due(uow)
        await uow.commit()
    for firing_id in due:
        async with bot.app.uow_factory() as uow:
            await return_deadlines.fire(firing_id, uow, DeadlineRules())
            await uow.commit()


async def _notices(bot: HandlerBot, chat_id: int, template: str) -> list[Notification]:
    rows = await notifications_to(bot.app.uow_factory, chat_id)
    return [row for row in rows if row.template == template]


def _buttons(bot: HandlerBot, row: Notification) -> dict[str, str | None]:
    markup = NoticeKeyboards(bot.app.renderer)(row.params, "en")
    assert markup is not None
    return {b.text: b.callback_data for r in markup.inline_keyboard for b in r}


async def test_both_cards_show_the_agreed_refund_and_its_day(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought)  # asks €3.50 back
    await _store_counters(
        handler_bot, case_id, OfferTerms(Resolution.REFUND_PARTIAL, Decimal("2.10"))
    )

    # The buyer (France: Paris time) accepts; the card they get back says what was agreed.
    card = await _buyer_accepts_on_the_card(handler_bot, case_id)
    card.assert_says(
        "🤝 <b>What was agreed</b>",
        "<b>Partial refund · €2.10</b>",
        f"The store is to refund you and record it by Dec 2 1:00{PM} (Paris).",
    )
    assert "shipped back" not in card.text  # nothing goes back
    [lapse] = [
        f
        for f in await firings(uow_factory, case_id)
        if f.firing is Firing.LAPSE and f.cancelled_at is None
    ]
    assert (lapse.kind, lapse.side, lapse.key) == (DeadlineKind.REFUND, Side.SELLER, "refund")
    assert lapse.due_at == handler_bot.clock() + DeadlineRules().refund_payment

    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press("Waiting for me")
    seller_card = await seller.press(f"R-{case_id}")
    seller_card.assert_says(
        "<b>Partial refund · €2.10</b>",
        f"Refund the buyer and record the refund here by Dec 2 12:00{PM} (UTC).",
    )
    assert "💶 Record the refund" in seller_card.labels

    # Recorded in time: the deadline ends, and the cards say what was recorded.
    await seller.press("💶 Record the refund")
    await seller.press("The agreed")
    await seller.send("PP <77>")
    done = await seller.press("Record the refund")
    done.assert_says(f"<b>R-{case_id}</b> is resolved")
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.RESOLVED
    assert all(
        f.cancelled_at is not None
        for f in await firings(uow_factory, case_id)
        if f.fired_at is None
    )
    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    await buyer.press("AE-RD1")
    resolved = await buyer.press(f"Return R-{case_id}")
    resolved.assert_says("💶 Refund recorded: €2.10, Nov 25 1:00", "Reference: PP &lt;77&gt;")
    assert "record it by" not in resolved.text


async def test_a_returns_card_shows_where_the_goods_go_masked_for_the_buyer(
    handler_bot: HandlerBot, bought: BoughtOrder, store: Store, clock: FixedClock
) -> None:
    uow_factory = handler_bot.app.uow_factory
    async with uow_factory() as uow:
        warehouse = await uow.warehouses.get(store.warehouse_id)
        assert warehouse is not None
        warehouse.street = "Dock 4, write to shop@example.com, 1 Keji Road"
        await uow.commit()
    case_id = await open_damaged(uow_factory, bought)
    terms = OfferTerms(
        Resolution.RETURN_AND_REFUND,
        Decimal("3.50"),
        PostagePayer.STORE,
        store.warehouse_id,
        act_within_days=10,
    )
    await _store_counters(handler_bot, case_id, terms)

    card = await _buyer_accepts_on_the_card(handler_bot, case_id)
    card.assert_says(
        "<b>Return and refund · €3.50</b>",
        "The store pays return postage",
        "Send it back to: Shenzhen main, Dock 4, write to [•••], 1 Keji Road",
        f"Items to be shipped back by Dec 5 1:00{PM} (Paris).",
        "The refund falls due once the store has the items back.",
    )
    assert "shop@example.com" not in card.text
    # No refund day before the goods are back: only the buyer's shipment runs.
    running = {f.kind for f in await firings(uow_factory, case_id) if f.cancelled_at is None}
    assert running == {DeadlineKind.RETURN_SHIPMENT}

    # The parcel comes back and the store confirms it two days later: the refund is due then.
    async with uow_factory() as uow:
        await returns.record_return_tracking(BUYER, case_id, "RB123456785CN", None, uow)
        await uow.commit()
    clock.advance(days=2)
    async with uow_factory() as uow:
        await returns.confirm_receipt(SELLER, case_id, None, [], uow)
        await uow.commit()
    pending = [f for f in await firings(uow_factory, case_id) if f.cancelled_at is None]
    assert {(f.kind, f.due_at) for f in pending if f.firing is Firing.LAPSE} == {
        (DeadlineKind.REFUND, clock() + DeadlineRules().refund_payment)
    }
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press("Waiting for me")
    seller_card = await seller.press(f"R-{case_id}")
    seller_card.assert_says(f"record the refund here by Dec 4 12:00{PM} (UTC).")


async def test_an_unrecorded_refund_lapses_and_the_buyer_takes_it_to_the_platform(
    handler_bot: HandlerBot, bought: BoughtOrder, clock: FixedClock
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought)
    await _store_counters(
        handler_bot, case_id, OfferTerms(Resolution.REFUND_PARTIAL, Decimal("2.10"))
    )
    await _buyer_accepts_on_the_card(handler_bot, case_id)
    async with uow_factory() as uow:
        # Open and agreed: the refund is pending, so the buyer's erasure waits.
        assert [b.key for b in await erasure.erasure_blockers(BUYER, uow)] == [
            "erasure.returns_to_withdraw"
        ]

    # Half time: the store is reminded of the amount, in its chat.
    clock.advance(days=3, hours=12, minutes=1)
    await _fire_due(handler_bot)
    [reminder] = await _notices(handler_bot, SELLER, "returns.deadline_reminder")
    assert reminder.params["kind"] == "refund"
    assert "refund the buyer the agreed €2.10" in handler_bot.text(
        reminder.template, **reminder.params
    )
    assert await _notices(handler_bot, BUYER, "returns.deadline_reminder") == []

    # The day passes unrecorded: the case expires and both sides are told, each their part.
    clock.advance(days=3, hours=12)
    await _fire_due(handler_bot)
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.EXPIRED
    assert case.events[-1].action == "refund_not_recorded"
    [to_seller] = await _notices(handler_bot, SELLER, "returns.deadline_lapsed")
    [to_buyer] = await _notices(handler_bot, BUYER, "returns.deadline_lapsed")
    assert "the buyer may take it to the platform" in handler_bot.text(
        to_seller.template, **to_seller.params
    )
    assert "If you have not been refunded" in handler_bot.text(to_buyer.template, **to_buyer.params)
    assert list(_buttons(handler_bot, to_seller)) == [OPEN]
    buyer_buttons = _buttons(handler_bot, to_buyer)
    assert list(buyer_buttons) == [ESCALATE, OPEN]

    # Closed, the case no longer holds the buyer's erasure (nor the store's).
    async with uow_factory() as uow:
        assert await erasure.erasure_blockers(BUYER, uow) == []
        assert await erasure.erasure_blockers(SELLER, uow) == []

    # The buyer's card says so and offers the platform; the store's offers nothing more.
    buyer = Chat(handler_bot, BUYER)
    opened = await buyer.press_data(41, buyer_buttons[OPEN] or "")
    opened.assert_says(
        f"The store did not record the refund by Dec 2 1:00{PM} (Paris).",
        "⌛ Refund not recorded in time: expired",
    )
    assert ESCALATE in opened.labels and "↩️ Withdraw my request" not in opened.labels
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press("Closed")
    seller_card = await seller.press(f"R-{case_id}")
    seller_card.assert_says("The refund was due by Dec 2 12:00")
    assert "💶 Record the refund" not in seller_card.labels
    assert ESCALATE not in seller_card.labels

    # From the lapse notice, after the usual confirmation, the case becomes a dispute.
    asked = await buyer.press_data(42, buyer_buttons[ESCALATE] or "")
    asked.assert_says("The case freezes as it stands")
    escalated = await buyer.press("Yes, open a dispute")
    escalated.assert_says(f"<b>R-{case_id}</b> is now a platform dispute")
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.status_before_escalation, case.escalated_by) == (
        CaseStatus.ESCALATED,
        CaseStatus.EXPIRED,
        Side.BUYER,
    )
    # A dispute holds the record for the platform, as any dispute: until its outcome is
    # recorded, at the longest 90 days.
    async with uow_factory() as uow:
        [held] = await erasure.erasure_blockers(BUYER, uow)
    assert (held.key, held.until) == ("erasure.returns_in_dispute", date(2027, 3, 3))
    # The store's card gives it no day to record the refund by any more: the dispute decides.
    await seller.send("/returns")
    await seller.press("Open")
    disputed_card = await seller.press(f"R-{case_id}")
    disputed_card.assert_says("Status: ⚖️ Escalated to the platform")
    assert "record the refund here by" not in " ".join(disputed_card.texts)
    assert "The refund was due by" not in " ".join(disputed_card.texts)


async def test_another_buyer_cannot_escalate_from_the_lapse_notice(
    handler_bot: HandlerBot, bought: BoughtOrder, clock: FixedClock
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought)
    await _store_counters(
        handler_bot, case_id, OfferTerms(Resolution.REFUND_PARTIAL, Decimal("2.10"))
    )
    await _buyer_accepts_on_the_card(handler_bot, case_id)
    clock.advance(days=7, minutes=1)
    await _fire_due(handler_bot)
    [to_buyer] = await _notices(handler_bot, BUYER, "returns.deadline_lapsed")
    forged = await Chat(handler_bot, 9019).press_data(
        43, _buttons(handler_bot, to_buyer)[ESCALATE] or ""
    )
    assert forged.alert == handler_bot.plain("returns.case_not_found")
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.EXPIRED
