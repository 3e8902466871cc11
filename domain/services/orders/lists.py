"""The seller's order lists: awaiting confirmation, to ship, shipped, problems; one page at a
time."""

from __future__ import annotations

import enum

from domain.model import (
    OPEN_ORDER_STATUSES,
    TO_SHIP_STATUSES,
    TRACKING_PROBLEM_STATUSES,
    Order,
    OrderStatus,
)
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 8
MAX_PAGE_SIZE = 50
# 17TRACK statuses that put a shipped order on the "problems" list.
PROBLEM_TRACKING_STATUSES = ("Exception", "DeliveryFailure", "Expired")


class OrderFilter(enum.StrEnum):
    AWAITING = "awaiting"
    TO_SHIP = "to_ship"
    SHIPPED = "shipped"
    PROBLEMS = "problems"


async def orders_for(
    seller_id: int,
    order_filter: OrderFilter,
    uow: UnitOfWork,
    *,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> tuple[list[Order], int]:
    """One page (0-based) of a seller's orders and the total count for the filter.

    awaiting / to_ship (confirmed, and those whose goods go out again): nearest deadline first. shipped (and delivered): newest first.
    problems: open orders past their deadline, shipped ones whose tracking reports an
    exception, a failed delivery or no news for too long, and orders whose parcel is in
    trouble, lost or returned to the sender.
    """
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    offset = max(page, 0) * size
    repository = uow.orders
    if order_filter == OrderFilter.AWAITING:
        return await repository.page(
            seller_id, statuses=[OrderStatus.AWAITING_CONFIRMATION], limit=size, offset=offset
        )
    if order_filter == OrderFilter.TO_SHIP:
        return await repository.page(
            seller_id, statuses=sorted(TO_SHIP_STATUSES), limit=size, offset=offset
        )
    if order_filter == OrderFilter.SHIPPED:
        return await repository.page(
            seller_id,
            statuses=[
                OrderStatus.SHIPPED,
                OrderStatus.DELIVERED,
                *sorted(TRACKING_PROBLEM_STATUSES),
            ],
            newest_first=True,
            limit=size,
            offset=offset,
        )
    return await repository.page(
        seller_id,
        statuses=sorted(OPEN_ORDER_STATUSES),
        overdue_before=uow.now(),
        tracking_problems=PROBLEM_TRACKING_STATUSES,
        problem_statuses=sorted(TRACKING_PROBLEM_STATUSES),
        limit=size,
        offset=offset,
    )
