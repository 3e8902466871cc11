"""What each side sees of its return cases: the seller's /returns lists, and a case card with
what the two sides agreed (`agreed_terms`) and its timeline. Read-only; every case id is checked
against the caller (`returns.case_for`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.model import ReturnCase, ReturnOffer
from domain.model.return_lapses import REFUND_NOT_RECORDED
from domain.returns.deadlines import DeadlineKind, Firing
from domain.returns.masking import masked_name
from domain.returns.rules import FINAL_STATUSES, OPEN_STATUSES, Action, CaseStatus, Side
from domain.services import return_notices, return_threads, returns, warehouses
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 8
# The most open cases one list looks through to sort them by whose move it is.
OPEN_SCAN_LIMIT = 1000


class CaseFilter(enum.StrEnum):
    """The seller's /returns lists."""

    OPEN = "open"
    WAITING_FOR_ME = "mine"
    WAITING_FOR_BUYER = "buyer"
    CLOSED = "closed"


# What moves a case on (talking, adding photos, giving up or escalating do not).
_MOVES = frozenset(set(Action) - {Action.POST_MESSAGE, Action.ESCALATE, Action.ADD_EVIDENCE,
                                  Action.WITHDRAW, Action.DECLINE_CASE})  # fmt: skip


def waiting_on(case: ReturnCase) -> Side | None:
    """The side whose move it is, or None (the case is over)."""
    if not case.is_open:
        return None
    if case.allowed_actions(Side.SELLER) & _MOVES:
        return Side.SELLER
    return Side.BUYER


@dataclass(frozen=True, slots=True)
class CaseSummary:
    case_id: int
    order_number: str
    status: CaseStatus
    product: str
    waiting_on: Side | None


@dataclass(frozen=True, slots=True)
class TimelineStep:
    at: datetime
    side: Side | None
    action: str


@dataclass(frozen=True, slots=True)
class CaseCard:
    case: ReturnCase
    order_number: str
    items: tuple[tuple[str, int], ...]
    open_offer: ReturnOffer | None
    waiting_on: Side | None
    timeline: tuple[TimelineStep, ...]
    # Whose card it is, and what that side may do now: the card's buttons.
    side: Side = Side.SELLER
    actions: frozenset[Action] = frozenset()
    store_name: str = ""
    # The open offer's terms as the card shows them (the warehouse's address included).
    offer_terms: dict[str, Any] | None = None
    # The number of an exchange's replacement order, once it exists.
    replacement_number: str | None = None
    # The zone the card's times are shown in: the buyer's own, UTC for the store.
    time_zone: str = return_notices.SELLER_ZONE
    # What the two sides agreed once an offer was accepted (`agreed_terms`), else None.
    agreed: dict[str, Any] | None = None

    @property
    def paid(self) -> Decimal:
        return self.case.paid


async def _summaries(cases: list[ReturnCase], uow: UnitOfWork) -> list[CaseSummary]:
    orders = await uow.tracking.orders_of(case.order_id for case in cases)
    return [
        CaseSummary(
            case.id,
            orders[case.order_id].number if case.order_id in orders else "",
            case.status,
            case.lines[0].product_name if case.lines else "",
            waiting_on(case),
        )
        for case in cases
    ]


async def cases_for_seller(
    user_id: int, which: CaseFilter, uow: UnitOfWork, *, page: int = 0
) -> tuple[list[CaseSummary], int]:
    """A page of the caller's cases, most recently moved first, and how many the list holds."""
    seller = await warehouses.seller_of(user_id, uow)
    start = max(page, 0) * PAGE_SIZE
    if which is CaseFilter.CLOSED:
        found, total = await uow.returns.page_for_seller(
            seller.id, sorted(FINAL_STATUSES), limit=PAGE_SIZE, offset=start
        )
        return await _summaries(found, uow), total
    everyone, total = await uow.returns.page_for_seller(
        seller.id, sorted(OPEN_STATUSES), limit=OPEN_SCAN_LIMIT
    )
    if which is CaseFilter.OPEN:
        return await _summaries(everyone[start : start + PAGE_SIZE], uow), total
    # Whose move it is depends on the open offer, so it is decided here, not in SQL.
    wanted = Side.SELLER if which is CaseFilter.WAITING_FOR_ME else Side.BUYER
    matching = [case for case in everyone if waiting_on(case) is wanted]
    return await _summaries(matching[start : start + PAGE_SIZE], uow), len(matching)


async def seller_card(user_id: int, case_id: int, uow: UnitOfWork) -> CaseCard:
    return await case_card(user_id, case_id, Side.SELLER, uow)


async def time_zone_of(user_id: int, case_id: int, side: Side, uow: UnitOfWork) -> str:
    """The zone the caller, `side` of the case, reads its times in."""
    case = await returns.case_for(user_id, case_id, side, uow)
    return await return_notices.zone_of(case, side, uow)


async def case_card(user_id: int, case_id: int, side: Side, uow: UnitOfWork) -> CaseCard:
    """The case as `side` sees it, if the caller is that side of it."""
    case = await returns.case_for(user_id, case_id, side, uow)
    order = await uow.orders.get(case.order_id)
    contacts = await uow.tracking.seller_contacts([case.seller_id])
    offer = case.open_offer if case.is_open else None
    replacement = (
        await uow.orders.get(case.replacement_order_id)
        if case.replacement_order_id is not None
        else None
    )
    # The buyer reads what the store typed with contact details masked (`frame_of`'s rule).
    shown = return_threads.shown_to(side)
    return CaseCard(
        case=case,
        order_number=shown(order.number) if order is not None else "",
        items=tuple((shown(line.product_name), line.quantity) for line in case.lines),
        open_offer=offer,
        waiting_on=waiting_on(case),
        timeline=tuple(TimelineStep(e.at, e.side, e.action) for e in case.events),
        side=Side(side),
        actions=case.allowed_actions(side),
        store_name=masked_name(contacts[case.seller_id].store_name)
        if case.seller_id in contacts
        else "",
        offer_terms=await return_notices.terms_of(offer, uow) if offer is not None else None,
        replacement_number=replacement.number if replacement is not None else None,
        time_zone=await return_notices.zone_of(case, side, uow),
        agreed=await agreed_terms(case, Side(side), uow),
    )


async def agreed_terms(case: ReturnCase, side: Side, uow: UnitOfWork) -> dict[str, Any] | None:
    """The accepted offer's terms as `side`'s card shows them, from the case's own record: the
    resolution and amount, how the goods go back (who pays the postage, the warehouse's address,
    masked like every address the buyer reads, and the day to ship them by), and the refund —
    when it is due (the running deadline's day, or that it falls due once the goods arrive),
    overdue, or recorded. None before anything was agreed."""
    resolution = case.agreed_resolution
    if case.agreed_at is None or resolution is None:
        return None
    goes_back = resolution.needs_return
    reference = case.refund_reference
    return {
        "resolution": resolution.value,
        "amount": case.agreed_amount,
        "currency": case.currency,
        "payer": case.postage_payer.value if goes_back and case.postage_payer else None,
        **(
            await return_notices.address_of(case.return_warehouse_id, uow)
            if goes_back
            else {"warehouse": None, "address": None}
        ),
        "ship_by": case.return_ship_by if goes_back else None,
        # Once a lapsed refund was taken to the platform, no day to record it by is left to
        # show: the dispute decides.
        "refund_due": (
            await _refund_due(case, uow)
            if resolution.pays_money and not _refund_lapse_escalated(case)
            else None
        ),
        # Money owed once the returned goods arrive: no day for it before they do.
        "refund_after_receipt": (
            resolution.pays_money and goes_back and case.is_open and case.received_at is None
        ),
        "refund_overdue": case.refund_overdue,
        "refunded": case.refund_amount,
        "refunded_at": case.refunded_at,
        # Typed by the store: the buyer reads it with contact details masked.
        "refund_reference": return_threads.shown_to(side)(reference) if reference else None,
    }


def _refund_lapse_escalated(case: ReturnCase) -> bool:
    """The refund deadline lapsed and the case has moved on from that expiry since (the buyer
    took it to the platform)."""
    lapsed = any(event.action == REFUND_NOT_RECORDED for event in case.events)
    return lapsed and case.status is not CaseStatus.EXPIRED


async def _refund_due(case: ReturnCase, uow: UnitOfWork) -> datetime | None:
    """The day the agreed refund is (or was) due, from its stored lapse: not cancelled, so the
    deadline is running or has lapsed; None before it runs or once the refund was recorded."""
    due = [
        firing.due_at
        for firing in await uow.returns.firings_of(case.id)
        if firing.kind is DeadlineKind.REFUND
        and firing.firing is Firing.LAPSE
        and firing.cancelled_at is None
    ]
    return max(due, default=None)
