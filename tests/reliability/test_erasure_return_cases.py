"""/delete_my_data and return cases on a real database (SQLite and PostgreSQL): which of a
buyer's and a store's cases hold their erasure, in every status and around the end of a
dispute's hold; a refused erasure changes nothing; and once nothing holds it, the buyer's
erasure leaves no trace of them in a disputed case, which stays with the store's record."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.model import ReturnEvidence, ReturnMessage
from domain.returns.rules import DISPUTE_RECORD_HOLD, CaseStatus, MessageKind, Side
from domain.services import erasure, return_relay, returns
from tests.conftest import FixedClock
from tests.personal_data_search import search_tables
from tests.returns_fixtures import BoughtOrder, UowFactory, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER, BUYER = 7301, 7302
S = CaseStatus
WITHDRAW = "erasure.returns_to_withdraw"
WAIT = "erasure.returns_coming_back"
SETTLE = "erasure.store_returns_open"
DISPUTE = "erasure.returns_in_dispute"
# What blocks the buyer's and the seller's erasure while their one case is in each status.
EXPECTED: dict[CaseStatus, tuple[list[str], list[str]]] = {
    S.REQUESTED: ([WITHDRAW], [SETTLE]),
    S.NEGOTIATING: ([WITHDRAW], [SETTLE]),
    S.AGREED: ([WITHDRAW], [SETTLE]),
    S.AWAITING_RETURN_SHIPMENT: ([WITHDRAW], [SETTLE]),
    S.RETURN_IN_TRANSIT: ([WAIT], [SETTLE]),
    S.RECEIVED: ([WAIT], [SETTLE]),
    S.ESCALATED: ([DISPUTE], [DISPUTE]),
    S.RESOLVED: ([], []),
    S.DECLINED: ([], []),
    S.WITHDRAWN: ([], []),
    S.EXPIRED: ([], []),
}


async def _bought(uow_factory: UowFactory, number: str = "AE-ER1") -> BoughtOrder:
    store = await Store(uow_factory, SELLER, "Quokka <Lane>").open()
    return await shipped_to_buyer(uow_factory, store, number, BUYER, 20_200_001)


async def _set_status(
    uow_factory: UowFactory, case_id: int, status: CaseStatus, escalated_ago: timedelta
) -> None:
    async with uow_factory() as uow:
        case = await uow.returns.get(case_id)
        assert case is not None
        case.status = status
        case.escalated_at = uow.now() - escalated_ago if status is S.ESCALATED else None
        await uow.commit()


async def _blockers(uow_factory: UowFactory, user_id: int) -> list[erasure.ErasureBlocker]:
    async with uow_factory() as uow:
        return await erasure.erasure_blockers(user_id, uow)


async def test_each_status_holds_or_frees_the_buyers_and_the_sellers_erasure(
    uow_factory: UowFactory,
) -> None:
    case_id = await open_damaged(uow_factory, await _bought(uow_factory))
    found = {}
    for status in CaseStatus:
        await _set_status(uow_factory, case_id, status, timedelta(days=1))
        found[status] = (
            [b.key for b in await _blockers(uow_factory, BUYER)],
            [b.key for b in await _blockers(uow_factory, SELLER)],
        )
    assert found == EXPECTED


async def test_a_dispute_holds_erasure_until_its_hold_is_over(uow_factory: UowFactory) -> None:
    case_id = await open_damaged(uow_factory, await _bought(uow_factory))
    second = timedelta(seconds=1)
    await _set_status(uow_factory, case_id, S.ESCALATED, DISPUTE_RECORD_HOLD - second)
    for user_id in (BUYER, SELLER):
        [held] = await _blockers(uow_factory, user_id)
        assert (held.key, held.count, held.advice) == (DISPUTE, 1, "erasure.wait_for_dispute")
        assert held.until is not None
    await _set_status(uow_factory, case_id, S.ESCALATED, DISPUTE_RECORD_HOLD)
    assert await _blockers(uow_factory, BUYER) == []
    assert await _blockers(uow_factory, SELLER) == []


async def test_cases_count_for_their_own_buyer_and_store_only(uow_factory: UowFactory) -> None:
    """Another store's case, or a case the buyer of this one never opened, holds nothing."""
    bought = await _bought(uow_factory)
    await open_damaged(uow_factory, bought)
    # The order's other line, in a case of its own.
    await open_damaged(uow_factory, replace(bought, line_ids=bought.line_ids[1:]), quantity=1)
    [held] = await _blockers(uow_factory, BUYER)
    assert (held.key, held.count) == (WITHDRAW, 2)
    other = await Store(uow_factory, SELLER + 10, "Other store").open()
    assert await _blockers(uow_factory, other.user_id) == []
    assert await _blockers(uow_factory, BUYER + 10) == []


async def _disputed_case_with_the_buyers_words(uow_factory: UowFactory) -> int:
    """A case the buyer escalated after sending a photo with a caption through the relay (a
    copy of it queued for the store)."""
    case_id = await open_damaged(uow_factory, await _bought(uow_factory))
    async with uow_factory() as uow:
        await return_relay.relay(
            BUYER,
            case_id,
            # Sent in the main chat (no topic), answering nothing.
            return_relay.Incoming(
                BUYER, 41, MessageKind.PHOTO, "Quokka-caption: the dent", "buyer-photo-file"
            ),
            uow,
        )
        await returns.escalate(BUYER, case_id, Side.BUYER, uow)
        await uow.commit()
    return case_id


async def test_a_refused_erasure_changes_nothing(uow_factory: UowFactory) -> None:
    case_id = await _disputed_case_with_the_buyers_words(uow_factory)
    for user_id in (BUYER, SELLER):
        async with uow_factory() as uow:
            [held] = await erasure.erase_user_data(user_id, uow)
            assert held.key == DISPUTE
            await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.buyer_user_id) == (S.ESCALATED, BUYER)
    assert case.comment == "The box arrived crushed"
    assert [e.telegram_file_id for e in case.evidence] == ["photo-file-0", "photo-file-1"]
    async with uow_factory() as uow:
        [message] = await uow.returns.messages_of(case_id)
        assert (message.text, message.telegram_file_id) == (
            "Quokka-caption: the dent",
            "buyer-photo-file",
        )
        assert await uow.users.get(BUYER) is not None
        assert await uow.sellers.by_telegram_user(SELLER) is not None
        assert await uow.buyers.has_subscriptions(BUYER)


async def test_after_the_hold_the_buyers_erasure_leaves_the_dispute_without_them(
    uow_factory: UowFactory, engine: AsyncEngine, clock: FixedClock
) -> None:
    case_id = await _disputed_case_with_the_buyers_words(uow_factory)
    clock.advance(days=DISPUTE_RECORD_HOLD.days)
    async with uow_factory() as uow:
        assert await erasure.erase_user_data(BUYER, uow) == []
        await uow.commit()

    needles = ["Quokka-caption", "The box arrived crushed", "buyer-photo-file", "photo-file-0"]
    traces, rows_read = await search_tables(engine, [*needles, "photo-uniq-1"], BUYER)
    assert rows_read > 0
    assert traces == []
    # The store's record of the dispute stays: items, offers, timeline, the message's place.
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.escalated_by, case.buyer_user_id) == (S.ESCALATED, Side.BUYER, None)
    assert [line.quantity for line in case.lines] == [2]
    assert [event.action for event in case.events][-1] == "escalated"
    async with uow_factory() as uow:
        kept = (await uow.session.execute(select(ReturnMessage.kind))).scalars().all()
        assert kept == [MessageKind.PHOTO]
        evidence = (await uow.session.execute(select(ReturnEvidence.id))).scalars().all()
        assert evidence == []


async def test_the_question_is_not_asked_while_something_holds_the_erasure(
    uow_factory: UowFactory,
) -> None:
    """/delete_my_data says what holds it at once instead of issuing a "yes" it could not
    honour; once nothing does, it issues the token, and the "yes" checks again."""
    bought = await _bought(uow_factory, "AE-ER-ASK")
    case_id = await open_damaged(uow_factory, bought)
    async with uow_factory() as uow:
        held = await erasure.ask_to_erase(BUYER, uow)
        await uow.commit()
    assert isinstance(held, list) and [b.key for b in held] == [WITHDRAW]
    async with uow_factory() as uow:
        await returns.withdraw(BUYER, case_id, uow)
        await uow.commit()
    async with uow_factory() as uow:
        token = await erasure.ask_to_erase(BUYER, uow)
        await uow.commit()
    assert isinstance(token, int)
    async with uow_factory() as uow:
        assert await erasure.erase_on_confirmation(BUYER, token, uow) == []
        await uow.commit()
