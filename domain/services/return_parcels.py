"""A return case on the tracking pipeline: the buyer's parcel back, and an exchange's
replacement order.

- `follow`: the buyer recorded (or corrected) the return tracking number. The parcel becomes a
  `Shipment` of the case's order marked with `return_case_id`, confirmed and due at once, so
  the poller claims, leases and records it like any shipment (`claim_due` plays it from the
  buyer's country to the warehouse). A corrected number is another parcel: the old row goes
  with its events, and the new one is registered and told about from the start.
- `parcels_moved`: called by `tracking.record_updates` for return parcels whose status moved.
  Both sides hear it through the outbox, in their thread of the case: on its way, then
  delivered back to the warehouse (the seller is asked to confirm receipt). A return parcel
  never sends the buyer the outbound "your order" notices nor moves the order.
- `replace`: the goods of an exchange came back; a replacement order for the same buyer and
  items, confirmed, appears in the seller's /orders and ships through the shipping document
  like any order. The case's buyer follows it (their settings copied), so its tracking reaches
  them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from domain.logistics import ShippingMethod
from domain.model import (
    BuyerSubscription,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    ReturnCase,
    Shipment,
)
from domain.model.orders import ORDER_NUMBER_MAX
from domain.repositories import ShipmentTracking
from domain.returns.parcels import ParcelNews, parcel_news, replacement_number
from domain.returns.rules import Resolution, Side
from domain.services import return_notices
from domain.tracking import TrackingStatus
from domain.unit_of_work import UnitOfWork

PARCEL_TEMPLATE = "returns.parcel_moved"
REPLACEMENT_TEMPLATE = "returns.replacement_created"
# The buyer's carrier is not known: the parcel is polled like an express one.
RETURN_METHOD = ShippingMethod.EXPRESS.value
# The replacement's ship-by: the goods are back, the buyer has waited long enough already.
REPLACEMENT_SHIP_WITHIN = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class ParcelMove:
    """A return parcel's canonical status before and after one recorded report."""

    shipment: Shipment | ShipmentTracking
    before: TrackingStatus | None
    after: TrackingStatus | None


async def follow(case: ReturnCase, uow: UnitOfWork) -> Shipment | None:
    """The case's return parcel, created (or replaced) for its current tracking number."""
    number = case.return_tracking_number
    if number is None:
        return None
    existing = await uow.shipments.return_parcel_of(case.id)
    if existing is not None:
        if existing.tracking_number == number:
            return existing
        # Another number is another parcel: nothing the old one showed belongs to it.
        old_number = existing.tracking_number
        if old_number and existing.registered_at and existing.tracking_stopped_at is None:
            # The provider follows the old number until told otherwise (the poller tells it).
            uow.numbers_to_stop.add(old_number, existing.provider_carrier, uow.now())
        await uow.shipments.remove(existing)
        await uow.flush()
    warehouse_id = case.return_warehouse_id
    if warehouse_id is None:
        outbound = await uow.tracking.shipment_of_order(case.order_id)
        if outbound is None:
            return None
        warehouse_id = outbound.warehouse_id
    now = uow.now()
    parcel = Shipment(
        order_id=case.order_id,
        return_case_id=case.id,
        warehouse_id=warehouse_id,
        method=RETURN_METHOD,
        carrier=case.return_carrier,
        tracking_number=number,
        declared_value=case.paid,
        declared_currency=case.currency,
        weight_kg=0,
        length_cm=0,
        width_cm=0,
        height_cm=0,
        goods_characteristics=[],
        lines_shipped=[{"line_id": ln.order_line_id, "quantity": ln.quantity} for ln in case.lines],
        is_partial=False,
        compliance_acknowledged=False,
        created_at=now,
        confirmed_at=now,
        next_poll_at=now,
        poll_failures=0,
    )
    uow.shipments.add(parcel)
    await uow.flush()
    return parcel


async def parcels_moved(moves: Sequence[ParcelMove], uow: UnitOfWork) -> int:
    """Tell both sides of each case what its parcel's move means; returns the rows queued.

    The case is read, not locked: nothing here changes it (the number's recording already
    moved it to return_in_transit), so a buyer correcting the number while a poll records
    never waits on the poller's shipment locks in the other order.
    """
    queued = 0
    for move in moves:
        news = parcel_news(move.before, move.after)
        if news is None or move.shipment.return_case_id is None:
            continue
        case = await uow.returns.get(move.shipment.return_case_id)
        if case is None or not case.is_open:
            continue
        order = await uow.orders.get(case.order_id)
        params = {
            "case_id": case.id,
            "order_number": order.number if order is not None else "",
            "news": news.value,
            "tracking_number": move.shipment.tracking_number or "",
            "confirm": news is ParcelNews.DELIVERED,
            **await return_notices.address_of(case.return_warehouse_id, uow),
        }
        for side in (Side.BUYER, Side.SELLER):
            # Once per parcel, stage and side, however often the provider repeats it.
            key = f"return-parcel:{move.shipment.id}:{news.value}:{side.value}"
            if await return_notices.tell(
                case, side, PARCEL_TEMPLATE, {**params, "side": side.value}, key, uow
            ):
                queued += 1
    return queued


async def replace(case: ReturnCase, uow: UnitOfWork) -> Order | None:
    """An exchange's replacement order, once: the case's items, to the same buyer."""
    if case.agreed_resolution is not Resolution.EXCHANGE or case.replacement_order_id is not None:
        return None
    original = await uow.orders.get(case.order_id)
    if original is None:
        return None
    index = 1
    number = replacement_number(original.number, index, max_length=ORDER_NUMBER_MAX)
    while await uow.orders.by_number(original.seller_id, number) is not None:
        index += 1
        number = replacement_number(original.number, index, max_length=ORDER_NUMBER_MAX)
    now = uow.now()
    lines = [
        OrderLine(
            position=position,
            product_name=line.product_name,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for position, line in enumerate(case.lines, start=1)
    ]
    order = Order(
        seller_id=original.seller_id,
        number=number,
        ship_to_country=original.ship_to_country,
        ship_to_postcode=original.ship_to_postcode,
        currency=original.currency,
        total=sum((line.amount for line in lines), Decimal("0.00")),
        ship_by=now + REPLACEMENT_SHIP_WITHIN,
        # Nothing to confirm: the seller agreed to the exchange.
        status=OrderStatus.CONFIRMED,
        source=OrderSource.EXCHANGE,
        created_at=now,
        confirmed_at=now,
        lines=lines,
    )
    uow.orders.add(order)
    await uow.flush()
    case.replacement_order_id = order.id
    if case.buyer_user_id is not None:
        # The case's buyer follows the replacement with no new link, as they followed the
        # original (a new link may have handed the original to another account since).
        subscription = await uow.buyers.for_order(original.id)
        if subscription is not None and subscription.buyer_user_id != case.buyer_user_id:
            subscription = None
        uow.buyers.add(
            BuyerSubscription(
                order_id=order.id,
                buyer_user_id=case.buyer_user_id,
                time_zone=subscription.time_zone if subscription is not None else None,
                muted=subscription.muted if subscription is not None else False,
                paused_at=subscription.paused_at if subscription is not None else None,
                created_at=now,
            )
        )
    params = {"case_id": case.id, "order_number": original.number, "replacement": number}
    for side in (Side.BUYER, Side.SELLER):
        key = f"return-replacement:{case.id}:{side.value}"
        await return_notices.tell(
            case, side, REPLACEMENT_TEMPLATE, {**params, "side": side.value}, key, uow
        )
    return order
