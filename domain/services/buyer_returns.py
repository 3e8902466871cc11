"""What a buyer sees of returns and may start: the orders they can still ask a return for, what
one order offers to return (each line and how many are left), and their cases on an order card.

Read-only; every order id is checked against the caller (`returns.linked_order`), and someone
else's order answers like one that does not exist. Opening and withdrawing are
`domain.services.returns`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import ConflictError
from domain.model import Order, OrderAction, ReturnCase
from domain.returns.masking import order_number_for_buyer, store_name_for_buyer
from domain.returns.rules import Action, CaseStatus, Side
from domain.roles import Role
from domain.services import returns
from domain.unit_of_work import UnitOfWork

# The cases an order card lists at most (newest first); older ones are in the seller's record.
CARD_CASES = 10


@dataclass(frozen=True, slots=True)
class ReturnableLine:
    line_id: int
    product_name: str
    unit_price: Decimal
    # How many the buyer may still ask about: 0 while the line is in an open case.
    available: int
    in_open_case: bool


@dataclass(frozen=True, slots=True)
class ReturnStart:
    """An order as the buyer's return conversation starts from it."""

    order_id: int
    order_number: str
    currency: str
    lines: tuple[ReturnableLine, ...]
    # The seller's window closed already: the buyer may still ask, the case is marked.
    window_closed: bool
    window_closes_at: datetime | None
    # Lines of a category the seller does not take back (counts only for no-fault reasons).
    not_taken_back: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReturnableOrder:
    order_id: int
    order_number: str
    store_name: str


@dataclass(frozen=True, slots=True)
class BuyerCaseLine:
    """One case as the order card lists it."""

    case_id: int
    status: CaseStatus
    product: str
    can_withdraw: bool


async def _lines(order: Order, uow: UnitOfWork) -> tuple[ReturnableLine, ...]:
    settled = await uow.returns.settled_quantities(order.id)
    busy = await uow.returns.lines_in_open_cases(line.id for line in order.lines)
    return tuple(
        ReturnableLine(
            line_id=line.id,
            product_name=line.product_name,
            unit_price=line.unit_price,
            available=0 if line.id in busy else max(line.quantity - settled.get(line.id, 0), 0),
            in_open_case=line.id in busy,
        )
        for line in order.lines
    )


def _may_return(order: Order, lines: tuple[ReturnableLine, ...]) -> bool:
    return OrderAction.OPEN_RETURN in order.allowed_actions(Role.BUYER) and any(
        line.available for line in lines
    )


async def start(user_id: int, order_id: int, uow: UnitOfWork) -> ReturnStart:
    """What the buyer may ask a return for on this order, or why nothing."""
    order = await returns.linked_order(user_id, order_id, uow)
    order.require(OrderAction.OPEN_RETURN, Role.BUYER)
    lines = await _lines(order, uow)
    if not any(line.available for line in lines):
        raise ConflictError(
            "returns.nothing_to_return", number=order_number_for_buyer(order.number)
        )
    policy = await returns.policy_of(order.seller_id, uow)
    closes = policy.window_closes_at(order.delivered_at)
    return ReturnStart(
        order_id=order.id,
        order_number=order_number_for_buyer(order.number),
        currency=order.currency,
        lines=lines,
        window_closed=closes is not None and uow.now() > closes,
        window_closes_at=closes,
        not_taken_back=tuple(
            line.id for line in order.lines if policy.category_of(line.sku) is not None
        ),
    )


async def returnable_orders(user_id: int, uow: UnitOfWork) -> list[ReturnableOrder]:
    """The orders the buyer follows that allow a return now, with something left to return."""
    rows = await uow.buyers.all_of(user_id)
    sellers = await uow.tracking.seller_contacts(order.seller_id for _, order in rows)
    found = []
    for _subscription, order in rows:
        if OrderAction.OPEN_RETURN not in order.allowed_actions(Role.BUYER):
            continue
        if _may_return(order, await _lines(order, uow)):
            found.append(
                ReturnableOrder(
                    order.id,
                    order_number_for_buyer(order.number),
                    store_name_for_buyer(sellers[order.seller_id].store_name),
                )
            )
    return found


async def for_card(
    order: Order, user_id: int | None, uow: UnitOfWork
) -> tuple[bool, tuple[BuyerCaseLine, ...]]:
    """For the buyer's order card (the caller already checked the order is theirs): whether a
    return can be asked now, and the cases `user_id` opened on the order, newest first. Cases
    an earlier holder of the order's link opened stay theirs and are not listed."""
    cases = (
        await uow.returns.of_buyer_on_order(order.id, user_id, limit=CARD_CASES)
        if user_id is not None
        else []
    )
    # The lines are read only when the order's status allows a return at all.
    allowed = OrderAction.OPEN_RETURN in order.allowed_actions(Role.BUYER)
    may_return = allowed and _may_return(order, await _lines(order, uow))
    return may_return, tuple(_case_line(c) for c in cases)


def _case_line(case: ReturnCase) -> BuyerCaseLine:
    return BuyerCaseLine(
        case_id=case.id,
        status=case.status,
        product=case.lines[0].product_name if case.lines else "",
        can_withdraw=Action.WITHDRAW in case.allowed_actions(Side.BUYER),
    )


async def case_to_withdraw(user_id: int, case_id: int, uow: UnitOfWork) -> BuyerCaseLine:
    """The case the buyer asks to withdraw (the confirmation shows it); refused if it can no
    longer be withdrawn, and not found unless it is theirs."""
    case = await returns.case_for(user_id, case_id, Side.BUYER, uow)
    line = _case_line(case)
    if not line.can_withdraw:
        raise ConflictError(
            "returns.action_refused", action=Action.WITHDRAW.value, status=case.status.value
        )
    return line
