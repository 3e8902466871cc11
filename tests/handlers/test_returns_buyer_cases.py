"""The buyer's return cases on their order card (/orders): a status line per case, and
withdrawing an open one with a confirmation; the seller is told through the outbox."""

from __future__ import annotations

import pytest

from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, Resolution, ReturnReason
from domain.services import returns
from tests.conftest import FixedClock
from tests.handlers.chat import BotMessage, Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged, photo, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER = 8701, 8702


@pytest.fixture
async def bought(handler_bot: HandlerBot) -> BoughtOrder:
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-W1", BUYER, 32_000_001)


async def test_the_buyer_sees_their_cases_and_withdraws_one(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought, quantity=1)
    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    card = await buyer.press("AE-W1")
    card.assert_says("Your return requests", f"• R-{case_id} · Phone case · 🆕 Requested")
    # The cable is still free, so a new request can be asked; the open case can be withdrawn.
    assert "↩️ Return or exchange" in card.labels
    assert f"✖️ Withdraw request R-{case_id}" in card.labels

    asked = await buyer.press(f"Withdraw request R-{case_id}")
    asked.assert_says(f"Withdraw request <b>R-{case_id}</b> (Phone case)?")
    kept = await buyer.press("No, keep it")
    assert kept.texts == [handler_bot.text("return_request.kept")]
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.REQUESTED

    question = (await buyer.press(f"Withdraw request R-{case_id}")).last
    done_data = {b.text: b.callback_data for row in question.keyboard for b in row}[
        "Yes, withdraw it"
    ]
    done = await buyer.press("Yes, withdraw it")
    done.assert_says(f"Request <b>R-{case_id}</b> is withdrawn")
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.WITHDRAWN
    notices = [
        n
        for n in await notifications_to(uow_factory, SELLER)
        if n.template == "returns.withdrawn_notice"
    ]
    assert [(n.params["case_id"], n.params["order_number"]) for n in notices] == [
        (case_id, "AE-W1")
    ]
    rendered = handler_bot.text("returns.withdrawn_notice", **notices[0].params)
    assert f"withdrew return request <b>R-{case_id}</b> for order <b>AE-W1</b>" in rendered

    again = await buyer.press("Back to the order")
    again.assert_says(f"• R-{case_id} · Phone case · ↩️ Withdrawn")
    assert not [label for label in again.labels if "Withdraw request" in label]
    # The confirmation, answered, is used up; one drawn before buttons carried a token too.
    for data in (done_data, f"bcs:wdy:{case_id}"):
        assert data is not None
        stale = await buyer.press_data(question.message_id, data)
        assert stale.alert == handler_bot.plain("confirmation.stale")


async def test_no_return_button_once_every_item_is_in_a_case(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    uow_factory = handler_bot.app.uow_factory
    async with uow_factory() as uow:
        order = await uow.orders.get(bought.order_id)
        assert order is not None
        quantities = [line.quantity for line in order.lines]
    async with uow_factory() as uow:
        await returns.open_case(
            returns.OpenCase(
                user_id=BUYER,
                order_id=bought.order_id,
                items=list(zip(bought.line_ids, quantities, strict=True)),
                reason=ReturnReason.DAMAGED,
                wanted=OfferTerms(Resolution.EXCHANGE),
                evidence=[photo(1)],
            ),
            uow,
        )
        await uow.commit()
    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    card = await buyer.press("AE-W1")
    assert "↩️ Return or exchange" not in card.labels
    assert (await buyer.send("/return")).texts == [handler_bot.text("return_request.no_orders")]
    forced = await buyer.press_data(1, f"bo:ret:{bought.order_id}:0")
    assert forced.alert == handler_bot.plain("returns.nothing_to_return", number="AE-W1")


async def test_only_the_latest_withdraw_question_withdraws_within_ten_minutes(
    handler_bot: HandlerBot, bought: BoughtOrder, clock: FixedClock
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought, quantity=1)
    buyer = Chat(handler_bot, BUYER)
    stale = handler_bot.plain("confirmation.stale")
    await buyer.send("/orders")
    await buyer.press("AE-W1")

    def yes(question: BotMessage) -> str:
        data = {b.text: b.callback_data for row in question.keyboard for b in row}
        found = data["Yes, withdraw it"]
        assert found is not None
        return found

    # A yes the bot never asked for, with no token or a made-up one.
    for data in (f"bcs:wdy:{case_id}", f"bcs:wdy:{case_id}:0", f"bcs:wdy:{case_id}:424242"):
        assert (await buyer.press_data(1, data)).alert == stale
    older = (await buyer.press(f"Withdraw request R-{case_id}")).last
    newer = (await buyer.press(f"Withdraw request R-{case_id}")).last
    assert (await buyer.press_data(older.message_id, yes(older))).alert == stale
    clock.advance(minutes=10)
    assert (await buyer.press_data(newer.message_id, yes(newer))).alert == stale
    assert (await case_row(handler_bot.app.uow_factory, case_id)).status is CaseStatus.REQUESTED

    # "No, keep it" voids its question too.
    question = (await buyer.press(f"Withdraw request R-{case_id}")).last
    await buyer.press("No, keep it")
    assert (await buyer.press_data(question.message_id, yes(question))).alert == stale
    assert (await case_row(handler_bot.app.uow_factory, case_id)).status is CaseStatus.REQUESTED

    # "No, keep it" on an older question leaves the newer one's yes valid.
    older = (await buyer.press(f"Withdraw request R-{case_id}")).last
    question = (await buyer.press(f"Withdraw request R-{case_id}")).last
    keep = {b.text: b.callback_data for row in older.keyboard for b in row}["No, keep it"]
    assert keep is not None
    kept = await buyer.press_data(older.message_id, keep)
    assert kept.texts == [handler_bot.text("return_request.kept")]
    assert kept.unbuttoned == [older.message_id]
    clock.advance(minutes=9)
    done = await buyer.press_data(question.message_id, yes(question))
    done.assert_says(f"Request <b>R-{case_id}</b> is withdrawn")
