"""/delete_my_data's "yes" through the dispatcher while return cases depend on the person: a
buyer whose case is in a platform dispute is refused (the case, its evidence and the buyer's
words stay as they are) and told the day the hold ends, then erased once it is over; a buyer
and the store with an open case are told to withdraw it and to settle it in /returns; once the
buyer withdrew it from the order card, both are erased."""

from __future__ import annotations

from datetime import date

import pytest

from domain.returns.rules import DISPUTE_RECORD_HOLD, CaseStatus, Side
from domain.services import erasure, returns
from tests.conftest import FixedClock
from tests.handlers.chat import Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER, BUYER = 9401, 9402
YES = "Yes, delete my data"


@pytest.fixture
async def bought(handler_bot: HandlerBot) -> BoughtOrder:
    store = await Store(handler_bot.app.uow_factory, SELLER, "Li's <Shop>").open()
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-D1", BUYER, 36_000_001)


async def _press_yes(handler_bot: HandlerBot, user_id: int) -> str:
    chat = Chat(handler_bot, user_id)
    await chat.send("/delete_my_data")
    return (await chat.press(YES)).text


async def _refused(handler_bot: HandlerBot, user_id: int, blocker: erasure.ErasureBlocker) -> str:
    """The "yes" is answered with the refusal naming `blocker` alone; its text."""
    refused = await _press_yes(handler_bot, user_id)
    assert refused == handler_bot.text("erasure.blocked", blockers=[blocker])
    return refused


async def test_a_dispute_holds_the_buyers_erasure_until_its_hold_is_over(
    handler_bot: HandlerBot, bought: BoughtOrder, clock: FixedClock
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await open_damaged(uow_factory, bought)
    async with handler_bot.uow() as uow:
        await returns.escalate(BUYER, case_id, Side.BUYER, uow)
        await uow.commit()

    # Escalated at noon: the hold ends at noon 90 days later, so the next day is the first free.
    until = date(2027, 2, 24)
    refused = await _refused(
        handler_bot,
        BUYER,
        erasure.ErasureBlocker("erasure.returns_in_dispute", 1, "erasure.wait_for_dispute", until),
    )
    assert "<b>1 return case in a platform dispute</b>" in refused
    assert "You can delete your data from <b>Wed, Feb 24</b>." in refused
    # Nothing was deleted: the operators' record of the dispute is whole.
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.buyer_user_id) == (CaseStatus.ESCALATED, BUYER)
    assert case.comment == "The box arrived crushed"
    assert [(e.side, e.telegram_file_id) for e in case.evidence] == [
        (Side.BUYER, "photo-file-0"),
        (Side.BUYER, "photo-file-1"),
    ]
    async with handler_bot.uow() as uow:
        assert await uow.users.get(BUYER) is not None
        assert [c.id for c in await uow.returns.escalated(limit=10)] == [case_id]

    clock.advance(days=DISPUTE_RECORD_HOLD.days)
    assert await _press_yes(handler_bot, BUYER) == handler_bot.text("erasure.done")
    case = await case_row(uow_factory, case_id)
    # The dispute stays listed for operators, without the buyer's words and photos.
    assert (case.status, case.buyer_user_id, case.comment) == (CaseStatus.ESCALATED, None, None)
    assert case.evidence == []
    async with handler_bot.uow() as uow:
        assert await uow.users.get(BUYER) is None
        assert [c.id for c in await uow.returns.escalated(limit=10)] == [case_id]


async def test_an_open_case_holds_both_sides_until_the_buyer_withdraws_it(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)
    store_refused = await _refused(
        handler_bot,
        SELLER,
        erasure.ErasureBlocker("erasure.store_returns_open", 1, "erasure.settle_returns"),
    )
    assert "Settle it in /returns" in store_refused
    buyer_refused = await _refused(
        handler_bot,
        BUYER,
        erasure.ErasureBlocker("erasure.returns_to_withdraw", 1, "erasure.withdraw_or_wait"),
    )
    assert "withdraw it from its order (/orders, then the order)" in buyer_refused
    assert (await case_row(handler_bot.app.uow_factory, case_id)).buyer_user_id == BUYER

    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    await buyer.press("AE-D1")
    await buyer.press(f"Withdraw request R-{case_id}")
    await buyer.press("Yes, withdraw it")
    assert await _press_yes(handler_bot, BUYER) == handler_bot.text("erasure.done")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.status, case.buyer_user_id, case.evidence) == (CaseStatus.WITHDRAWN, None, [])
    # Closed, the case holds the store's erasure no more either: it goes with the store.
    assert await _press_yes(handler_bot, SELLER) == handler_bot.text("erasure.done")
    async with handler_bot.uow() as uow:
        assert await uow.returns.get(case_id) is None
