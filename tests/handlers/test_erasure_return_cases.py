"""/delete_my_data's "yes" through the dispatcher while return cases depend on the person: a
buyer whose case is in a platform dispute is refused (the case, its evidence and the buyer's
words stay as they are) and told the latest day the hold ends, then erased once it is over; the
hold ends as soon as an operator records the dispute's outcome, for the buyer and the store; a
buyer and the store with an open case are told to withdraw it and to settle it in /returns;
once the buyer withdrew it from the order card, both are erased."""

from __future__ import annotations

from datetime import date

import pytest

from domain.returns.rules import DISPUTE_RECORD_HOLD, CaseStatus, Side
from domain.services import erasure, returns
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID
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
    assert "until its decision is recorded here" in refused
    assert "You can delete your data then, and from <b>Wed, Feb 24</b> at the latest." in refused
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
        awaiting, _total = await uow.returns.in_dispute(decided=False, limit=10)
        assert [c.id for c in awaiting] == [case_id]

    clock.advance(days=DISPUTE_RECORD_HOLD.days)
    assert await _press_yes(handler_bot, BUYER) == handler_bot.text("erasure.done")
    case = await case_row(uow_factory, case_id)
    # The dispute stays listed for operators, without the buyer's words and photos.
    assert (case.status, case.buyer_user_id, case.comment) == (CaseStatus.ESCALATED, None, None)
    assert case.evidence == []
    async with handler_bot.uow() as uow:
        assert await uow.users.get(BUYER) is None
        awaiting, _total = await uow.returns.in_dispute(decided=False, limit=10)
        assert [c.id for c in awaiting] == [case_id]


async def test_the_dispute_hold_ends_when_an_operator_records_the_outcome(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)
    async with handler_bot.uow() as uow:
        await returns.escalate(SELLER, case_id, Side.SELLER, uow)
        await uow.commit()
    held = erasure.ErasureBlocker(
        "erasure.returns_in_dispute", 1, "erasure.wait_for_dispute", date(2027, 2, 24)
    )
    await _refused(handler_bot, BUYER, held)
    await _refused(handler_bot, SELLER, held)

    # Long before the 90 days are over, the platform decided and an operator records it.
    operator = Chat(handler_bot, OPERATOR_ID)
    await operator.send("/escalated")
    await operator.press(f"Outcome R-{case_id}")
    await operator.press("Decided for the store")
    await operator.press("Yes, record it")
    assert (await case_row(handler_bot.app.uow_factory, case_id)).dispute_outcome is not None

    assert await _press_yes(handler_bot, BUYER) == handler_bot.text("erasure.done")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.status, case.buyer_user_id, case.evidence) == (CaseStatus.ESCALATED, None, [])
    assert await _press_yes(handler_bot, SELLER) == handler_bot.text("erasure.done")
    async with handler_bot.uow() as uow:
        assert await uow.returns.get(case_id) is None


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
