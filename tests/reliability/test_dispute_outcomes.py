"""Dispute outcomes on a real database (SQLite and PostgreSQL): the operators' two lists and
their counts, the hold on both sides' erasure ending as the outcome is recorded, the items of a
decided dispute (refunded ones settled, the others free again), and an operator's erasure
forgetting them as the recorder while the outcome stays."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import ConflictError, InvalidInput
from domain.returns.offers import OfferTerms
from domain.returns.rules import DisputeOutcome, Resolution, ReturnReason, Side
from domain.services import erasure, return_disputes, returns
from tests.returns_fixtures import BoughtOrder, UowFactory, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER, BUYER, OPERATOR = 7601, 7602, 7603
OPERATORS = frozenset({OPERATOR})
AWAITING, DECIDED = return_disputes.DisputeFilter.AWAITING, return_disputes.DisputeFilter.DECIDED


async def _store(uow_factory: UowFactory) -> Store:
    return await Store(uow_factory, SELLER, "Quokka <Lane>").open()


async def _escalated(
    uow_factory: UowFactory, store: Store, number: str, serial: int
) -> tuple[BoughtOrder, int]:
    """An order of `store` whose buyer opened a case about its first line and escalated it."""
    bought = await shipped_to_buyer(uow_factory, store, number, BUYER, serial)
    case_id = await open_damaged(uow_factory, bought)
    async with uow_factory() as uow:
        await returns.escalate(BUYER, case_id, Side.BUYER, uow)
        await uow.commit()
    return bought, case_id


def _again(bought: BoughtOrder) -> returns.OpenCase:
    """A new case about the same items."""
    return returns.OpenCase(
        user_id=BUYER,
        order_id=bought.order_id,
        items=[(bought.line_ids[0], 2)],
        reason=ReturnReason.CHANGED_MIND,
        wanted=OfferTerms(Resolution.REFUND_FULL),
    )


async def _record(
    uow_factory: UowFactory, case_id: int, outcome: DisputeOutcome, refund: str | None = None
) -> None:
    async with uow_factory() as uow:
        await return_disputes.record_outcome(
            OPERATOR,
            OPERATORS,
            return_disputes.RecordOutcome(
                case_id, outcome, None if refund is None else Decimal(refund)
            ),
            uow,
        )
        await uow.commit()


async def _listed(uow_factory: UowFactory, which: return_disputes.DisputeFilter) -> tuple:
    async with uow_factory() as uow:
        page = await return_disputes.disputes(OPERATOR, OPERATORS, which, uow)
    return [line.case_id for line in page.lines], page.total, page.elsewhere


async def test_the_lists_and_the_erasure_hold_follow_the_outcome(uow_factory: UowFactory) -> None:
    store = await _store(uow_factory)
    _, first = await _escalated(uow_factory, store, "AE-O1", 21_000_001)
    _, second = await _escalated(uow_factory, store, "AE-O2", 21_000_002)
    assert await _listed(uow_factory, AWAITING) == ([first, second], 2, 0)
    for user_id in (BUYER, SELLER):
        async with uow_factory() as uow:
            [held] = await erasure.erasure_blockers(user_id, uow)
        assert (held.key, held.count) == ("erasure.returns_in_dispute", 2)

    await _record(uow_factory, first, DisputeOutcome.FOR_BUYER, "7.00")
    assert await _listed(uow_factory, AWAITING) == ([second], 1, 1)
    assert await _listed(uow_factory, DECIDED) == ([first], 1, 1)
    async with uow_factory() as uow:
        [held] = await erasure.erasure_blockers(BUYER, uow)
    assert held.count == 1

    await _record(uow_factory, second, DisputeOutcome.CLOSED)
    assert await _listed(uow_factory, AWAITING) == ([], 0, 2)
    # Latest record first.
    assert await _listed(uow_factory, DECIDED) == ([second, first], 2, 0)
    for user_id in (BUYER, SELLER):
        async with uow_factory() as uow:
            assert await erasure.erasure_blockers(user_id, uow) == []
    # Recorded once: a second record is refused and the first stands.
    with pytest.raises(ConflictError):
        await _record(uow_factory, first, DisputeOutcome.FOR_SELLER)
    case = await case_row(uow_factory, first)
    assert (case.dispute_outcome, case.dispute_refund) == (
        DisputeOutcome.FOR_BUYER,
        Decimal("7.00"),
    )


async def test_refunded_items_are_settled_and_the_others_may_be_asked_about_again(
    uow_factory: UowFactory,
) -> None:
    store = await _store(uow_factory)
    bought, case_id = await _escalated(uow_factory, store, "AE-O3", 21_000_003)
    async with uow_factory() as uow:
        # In dispute, the items are taken.
        with pytest.raises(ConflictError):
            await returns.open_case(_again(bought), uow)
    await _record(uow_factory, case_id, DisputeOutcome.FOR_BUYER, "7.00")
    async with uow_factory() as uow:
        # The platform refunded them: nothing of that line is left to return.
        with pytest.raises(InvalidInput) as refused:
            await returns.open_case(_again(bought), uow)
        assert refused.value.key == "returns.quantity_invalid"

    other, other_case = await _escalated(uow_factory, store, "AE-O4", 21_000_004)
    await _record(uow_factory, other_case, DisputeOutcome.FOR_SELLER)
    async with uow_factory() as uow:
        reopened = await returns.open_case(_again(other), uow)
        await uow.commit()
    assert reopened.id != other_case


async def test_an_operators_erasure_forgets_them_as_the_recorder(uow_factory: UowFactory) -> None:
    _, case_id = await _escalated(uow_factory, await _store(uow_factory), "AE-O5", 21_000_005)
    async with uow_factory() as uow:
        await uow.users.touch(OPERATOR, "en", uow.now())
        await uow.commit()
    await _record(uow_factory, case_id, DisputeOutcome.CLOSED)
    assert (await case_row(uow_factory, case_id)).outcome_recorded_by == OPERATOR
    async with uow_factory() as uow:
        assert await erasure.erase_user_data(OPERATOR, uow) == []
        await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert (case.dispute_outcome, case.outcome_recorded_by) == (DisputeOutcome.CLOSED, None)
    assert case.outcome_recorded_at is not None
