"""The seller's view of their parcels: /shipments lists by tracking state, a shipment card with
its timeline, the opt-in daily digest, and operators' dead letters (/outbox)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from domain.errors import NotFound
from domain.logistics import method_name_key
from domain.model import Notification, Order, OrderAction, Shipment, ShipmentEvent
from domain.repositories import Actor
from domain.services import operators, warehouses
from domain.services.orders import lifecycle
from domain.tracking import TrackingStatus, default_time_zone
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 8
DIGEST_HOUR = 9
DIGEST_PROBLEMS = 10
_STATUS_ORDER = [status.value for status in TrackingStatus]


class ShipmentFilter(enum.StrEnum):
    MOVING = "moving"
    ARRIVING = "arriving"
    PROBLEMS = "problems"
    DELIVERED = "delivered"


# Tracking statuses per list; shipments without information yet count as moving.
_FILTERS: dict[ShipmentFilter, tuple[list[str], bool]] = {
    ShipmentFilter.MOVING: (
        [TrackingStatus.NOT_FOUND, TrackingStatus.INFO_RECEIVED, TrackingStatus.IN_TRANSIT],
        True,
    ),
    ShipmentFilter.ARRIVING: (
        [TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.AVAILABLE_FOR_PICKUP],
        False,
    ),
    ShipmentFilter.PROBLEMS: (
        [TrackingStatus.DELIVERY_FAILURE, TrackingStatus.EXCEPTION, TrackingStatus.EXPIRED],
        False,
    ),
    ShipmentFilter.DELIVERED: ([TrackingStatus.DELIVERED], False),
}


@dataclass(frozen=True, slots=True)
class ShipmentSummary:
    shipment_id: int
    order_number: str
    tracking_number: str
    tracking_status: str | None


@dataclass(frozen=True, slots=True)
class ShipmentCard:
    shipment: Shipment
    order: Order
    events: list[ShipmentEvent]
    buyer_following: bool
    warehouse_country: str | None  # None if the warehouse is gone

    @property
    def method_name_key(self) -> str:
        """The label key of the method's name on this parcel's lane, between the warehouse's
        country and the buyer's (either way round: a return parcel travels it back)."""
        return method_name_key(
            self.shipment.method, self.warehouse_country, self.order.ship_to_country
        )


async def shipments_for(
    user_id: int, shipment_filter: ShipmentFilter, uow: UnitOfWork, *, page: int = 0
) -> tuple[list[ShipmentSummary], int]:
    """One page of the caller's shipments in a list, newest first, and how many in all."""
    seller = await warehouses.seller_of(user_id, uow)
    statuses, include_unknown = _FILTERS[shipment_filter]
    rows, total = await uow.tracking.page_for_seller(
        seller.id,
        tracking_statuses=[str(s) for s in statuses],
        include_unknown=include_unknown,
        limit=PAGE_SIZE,
        offset=max(page, 0) * PAGE_SIZE,
    )
    return [
        ShipmentSummary(s.id, o.number, s.tracking_number or "—", s.tracking_status)
        for s, o in rows
    ], total


async def shipment_card(
    user_id: int, shipment_id: int, uow: UnitOfWork, *, events: int = 15
) -> ShipmentCard:
    """A shipment of the caller with its newest events; anyone else's answers 'not found'."""
    seller = await warehouses.seller_of(user_id, uow)
    shipment = await uow.tracking.get(shipment_id)
    order = await uow.orders.get(shipment.order_id) if shipment is not None else None
    if (
        shipment is None
        or order is None
        or order.seller_id != seller.id
        or shipment.confirmed_at is None
    ):
        raise NotFound("shipments.not_found")
    subscription = await uow.buyers.for_order(order.id)
    warehouse = await uow.warehouses.get(shipment.warehouse_id)
    return ShipmentCard(
        shipment=shipment,
        order=order,
        events=await uow.tracking.events_of(shipment.id, limit=events),
        buyer_following=subscription is not None,
        warehouse_country=None if warehouse is None else warehouse.country,
    )


async def shipment_of_order(user_id: int, order_id: int, uow: UnitOfWork) -> ShipmentCard:
    order = await lifecycle.order_for(user_id, order_id, OrderAction.FOLLOW_SHIPMENT, uow)
    shipment = await uow.tracking.shipment_of_order(order.id)
    if shipment is None:
        raise NotFound("shipments.not_found")
    return await shipment_card(user_id, shipment.id, uow)


async def toggle_digest(user_id: int, uow: UnitOfWork) -> bool:
    """/digest: turn the daily summary on or off; returns whether it is on now."""
    seller = await warehouses.seller_of(user_id, uow)
    seller.tracking_digest = not seller.tracking_digest
    return seller.tracking_digest


async def queue_digests(uow: UnitOfWork, *, batch: int = 500) -> int:
    """Scheduler job (hourly): today's summary for every seller who asked for one, from 09:00
    in their home country's time; once a day each (the dedupe key holds the local date)."""
    now = uow.now()
    queued = 0
    after = 0
    while True:
        sellers = await uow.tracking.digest_sellers(batch, after)
        if not sellers:
            return queued
        after = sellers[-1].seller_id
        for seller in sellers:
            local = now.astimezone(default_time_zone(seller.home_country))
            if local.hour < DIGEST_HOUR:
                continue
            if await _queue_digest(
                uow, seller.seller_id, seller.user_id, seller.store_name, local.date()
            ):
                queued += 1


async def _queue_digest(
    uow: UnitOfWork, seller_id: int, user_id: int, store_name: str, day: date
) -> bool:
    counts = await uow.tracking.status_counts(seller_id)
    ordered = sorted(
        counts.items(),
        key=lambda item: _STATUS_ORDER.index(item[0]) if item[0] in _STATUS_ORDER else -1,
    )
    problems = await uow.tracking.problem_orders(seller_id, DIGEST_PROBLEMS)
    return await uow.notifications.add(
        dedupe_key=f"digest:{seller_id}:{day.isoformat()}",
        chat_id=user_id,
        template="tracking.seller_digest",
        params={
            "store_name": store_name,
            "date": day.isoformat(),
            "counts": [{"status": status, "count": count} for status, count in ordered],
            "problems": [{"number": o.number, "status": o.status.value} for o in problems],
        },
        now=uow.now(),
    )


# ----- operators: dead letters -----


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    chat_id: int
    template: str
    attempts: int
    last_error: str | None
    created_at: datetime


async def dead_letters(
    user_id: int, operator_ids: frozenset[int], uow: UnitOfWork, *, limit: int = 10
) -> tuple[list[DeadLetter], int]:
    """The newest notifications the outbox gave up on, and how many there are."""
    operators.require_operator(user_id, operator_ids)
    rows, total = await uow.notifications.dead_letters(limit)
    return [_dead(row) for row in rows], total


async def retry_dead_letters(user_id: int, operator_ids: frozenset[int], uow: UnitOfWork) -> int:
    """Queue every dead notification again, with a fresh count of attempts."""
    operators.require_operator(user_id, operator_ids)
    retried = await uow.notifications.retry_dead(uow.now())
    if retried:
        uow.wake_outbox()
        uow.audit.add(
            "outbox.retried",
            by=Actor("operator", user_id),
            # The outbox is nobody's; filed under the operator, whom erasure can find.
            about=("user", user_id),
            details={"rows": retried},
        )
    return retried


def _dead(row: Notification) -> DeadLetter:
    return DeadLetter(
        row.id, row.chat_id, row.template, row.attempts, row.last_error, row.created_at
    )
