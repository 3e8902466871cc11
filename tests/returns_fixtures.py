"""Helpers of the return case tests: a store that shipped orders, buyers who opened their links,
and database reads of cases and firings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from domain.model import NewEvidence, Order, ReturnCase, ReturnDeadline
from domain.returns.offers import OfferTerms
from domain.returns.rules import EvidenceKind, Resolution, ReturnReason
from domain.services import buyers, return_relay, returns
from domain.unit_of_work import UnitOfWork
from tests.tracking_fixtures import Store, s10

UowFactory = Callable[[], UnitOfWork]


def photo(n: int) -> NewEvidence:
    return NewEvidence(EvidenceKind.PHOTO, f"photo-file-{n}", f"photo-uniq-{n}")


@dataclass(frozen=True)
class BoughtOrder:
    order_id: int
    number: str
    buyer_id: int
    line_ids: tuple[int, ...]


async def shipped_to_buyer(
    uow_factory: UowFactory, store: Store, number: str, buyer_id: int, serial: int
) -> BoughtOrder:
    """An order the store shipped (to France, EUR) whose link `buyer_id` opened."""
    shipped = await store.ship(number, s10("RB", serial))
    async with uow_factory() as uow:
        await uow.users.touch(buyer_id, "fr", uow.now())
        outcome = await buyers.open_link(shipped.token, buyer_id, uow)
        assert outcome.view is not None
        await uow.commit()
    async with uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None
        return BoughtOrder(order.id, number, buyer_id, tuple(line.id for line in order.lines))


async def open_damaged(
    uow_factory: UowFactory,
    bought: BoughtOrder,
    wanted: OfferTerms | None = None,
    *,
    quantity: int = 2,
    photos: int = 2,
    comment: str = "The box arrived crushed",
) -> int:
    """The buyer opens a "damaged in transit" case about the first line (by default asking half
    back); its id."""
    async with uow_factory() as uow:
        case = await returns.open_case(
            returns.OpenCase(
                user_id=bought.buyer_id,
                order_id=bought.order_id,
                items=[(bought.line_ids[0], quantity)],
                reason=ReturnReason.DAMAGED,
                wanted=wanted or OfferTerms(Resolution.REFUND_PARTIAL, Decimal("1.75") * quantity),
                comment=comment,
                evidence=[photo(n) for n in range(photos)],
            ),
            uow,
        )
        await uow.commit()
        return case.id


async def case_row(uow_factory: UowFactory, case_id: int) -> ReturnCase:
    async with uow_factory() as uow:
        case = await uow.returns.get(case_id)
        assert case is not None
        uow.session.expunge_all()
        return case


async def firings(uow_factory: UowFactory, case_id: int) -> list[ReturnDeadline]:
    async with uow_factory() as uow:
        rows = await uow.returns.firings_of(case_id)
        uow.session.expunge_all()
        return rows


async def order_row(uow_factory: UowFactory, order_id: int) -> Order:
    async with uow_factory() as uow:
        order = (await uow.session.execute(select(Order).where(Order.id == order_id))).scalar_one()
        uow.session.expunge_all()
        return order


async def reply_target_recorded(uow_factory: UowFactory, chat_id: int, message_id: int) -> None:
    """Wait until the bot recorded which case its message `message_id` in `chat_id` shows (the
    look-up a reply to it is routed by).

    The outbox records a sent message's id just after Telegram answers, so a reply sent the
    instant the message arrives can come before that record; the bot then asks which case it
    is for instead of routing it. A person is never that quick; a test is."""
    for _ in range(600):
        async with uow_factory() as uow:
            if await return_relay.case_shown_by(chat_id, message_id, uow) is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {message_id} in chat {chat_id} was never recorded")
