"""The offer form as a conversation: forward through a return's terms, Back, edits from the
summary (another resolution asks everything after it again), Cancel leaving the case as it was,
resuming after a restart, a refused answer at each step, and a stale case (the other side
answered meanwhile) refused when the offer is sent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.returns.rules import CaseStatus, OfferStatus, Resolution, Side
from domain.services import returns
from tests.handlers.chat import Chat, HandlerBot, Refusal, assert_every_step_refuses
from tests.returns_fixtures import case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER, BUYER = 9101, 9102


@pytest.fixture
async def case_id(handler_bot: HandlerBot) -> int:
    """A damaged case (2 phone cases, €7.00 paid) asking €3.50 back."""
    uow_factory = handler_bot.app.uow_factory
    store = await Store(uow_factory, SELLER).open()
    bought = await shipped_to_buyer(uow_factory, store, "AE-C1", BUYER, 36_000_001)
    return await open_damaged(uow_factory, bought)


async def _counter(seller: Chat, case_id: int) -> None:
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    await seller.press("Counter-offer")


async def test_every_step_refuses_a_wrong_answer(handler_bot: HandlerBot, case_id: int) -> None:
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    opening = await seller.press("Counter-offer")
    steps = [
        ("resolution", lambda chat: chat.press("Return and refund")),
        ("amount", lambda chat: chat.send("6")),
        ("payer", lambda chat: chat.press("The buyer pays return postage")),
        ("warehouse", lambda chat: chat.press("Shenzhen main")),
        ("days", lambda chat: chat.send("12")),
    ]
    refusals = [
        Refusal("resolution"),
        Refusal("amount", "7.01", "returns.amount_above_paid", {"paid": "7.00", "currency": "EUR"}),
        Refusal("amount", "zero", "numbers.not_a_number", {"value": "zero"}),
        Refusal("amount", "0", "returns.amount_invalid", {"currency": "EUR"}),
        Refusal("amount", "101%", "returns.amount_above_paid", {"paid": "7.00", "currency": "EUR"}),
        Refusal("payer"),
        Refusal("warehouse"),
        Refusal("days", "0", "returns.days_invalid", {"min": 1, "max": 30}),
    ]
    summary = await assert_every_step_refuses(seller, opening, steps, refusals)
    summary.assert_says("<b>Return and refund · €6.00</b>", "The buyer pays return postage")
    summary.assert_says("within 12 days")
    await seller.press("Send the offer")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    offer = case.offers[-1]
    assert (offer.side, offer.resolution, offer.amount) == (
        Side.SELLER,
        Resolution.RETURN_AND_REFUND,
        Decimal("6.00"),
    )
    assert (offer.act_within_days, offer.replaces_id) == (12, case.offers[0].id)


async def test_back_edit_and_cancel(handler_bot: HandlerBot, case_id: int) -> None:
    seller = Chat(handler_bot, SELLER)
    await _counter(seller, case_id)
    await seller.press("Partial refund")
    back = await seller.press("Back")
    back.assert_says("What do you propose instead?")
    await seller.press("Partial refund")
    summary = await seller.send("2")
    assert "✏️ Return terms" not in summary.labels  # nothing travels back
    # Another resolution from the summary asks what follows it again.
    await seller.press("✏️ Resolution")
    await seller.press("Exchange")
    await seller.press("The store pays return postage")
    await seller.press("Shenzhen main")
    summary = await seller.press("10 days")
    summary.assert_says("<b>Exchange</b>", "Send it back to: Shenzhen main", "within 10 days")
    assert "✏️ Amount" not in summary.labels
    again = await seller.press("✏️ Return terms")
    again.assert_says("Who pays the return postage?")
    await seller.press("The buyer pays return postage")
    await seller.press("Shenzhen main")
    summary = await seller.press("7 days")
    summary.assert_says("The buyer pays return postage", "within 7 days")

    cancelled = await seller.press("Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.status is CaseStatus.REQUESTED
    assert [o.status for o in case.offers] == [OfferStatus.OPEN]


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_a_restart_resumes_the_offer(handler_bot: HandlerBot, case_id: int) -> None:
    seller = Chat(handler_bot, SELLER)
    await _counter(seller, case_id)
    asked = await seller.press("Partial refund")
    await handler_bot.restart()
    resumed = await seller.send("/start")
    assert resumed.texts == [handler_bot.text("conversation.resumed"), asked.last.text]
    await seller.send("25%")
    sent = await seller.press("Send the offer")
    sent.assert_says(f"Offer sent in <b>R-{case_id}</b>")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.offers[-1].amount == Decimal("1.75")


async def test_an_offer_the_case_no_longer_allows_is_refused_when_sent(
    handler_bot: HandlerBot, case_id: int
) -> None:
    seller = Chat(handler_bot, SELLER)
    await _counter(seller, case_id)
    await seller.press("Full refund")
    # Meanwhile the buyer withdraws the case.
    async with handler_bot.uow() as uow:
        await returns.withdraw(BUYER, case_id, uow)
        await uow.commit()
    refused = await seller.press("Send the offer")
    assert refused.alert == handler_bot.plain(
        "returns.action_refused", action="counter_offer", status="withdrawn"
    )
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.status is CaseStatus.WITHDRAWN and len(case.offers) == 1
