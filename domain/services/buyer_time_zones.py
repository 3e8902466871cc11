"""/timezone: the buyer's time zone, which their quiet hours and the times in their messages
follow. Until they pick one it is each order's ship-to country's main zone; a choice applies to
every order they follow, and "automatic" goes back to the countries' zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidInput, NotFound
from domain.model import BuyerSubscription, Order
from domain.returns.masking import order_number_for_buyer
from domain.services import tracking_notices
from domain.tracking.time_zones import find_time_zone, is_time_zone, offered_zones
from domain.unit_of_work import UnitOfWork

__all__ = [
    "BuyerTimeZones",
    "OrderZone",
    "choose",
    "choose_by_name",
    "time_zones_of",
    "zone_of",
]


@dataclass(frozen=True, slots=True)
class OrderZone:
    order_number: str
    zone: str
    chosen: bool  # picked by the buyer, not taken from the ship-to country


@dataclass(frozen=True, slots=True)
class BuyerTimeZones:
    """The zones the buyer's orders follow now, newest order first, and the ones to offer."""

    orders: tuple[OrderZone, ...]
    offered: tuple[str, ...]
    now: datetime

    @property
    def zones(self) -> tuple[str, ...]:
        """The distinct zones in effect (one, unless orders ship to different zones)."""
        return tuple(dict.fromkeys(order.zone for order in self.orders))

    @property
    def chosen(self) -> bool:
        return any(order.chosen for order in self.orders)


async def _followed(user_id: int, uow: UnitOfWork) -> list[tuple[BuyerSubscription, Order]]:
    rows = await uow.buyers.all_of(user_id)
    if not rows:
        raise NotFound("buyer.no_orders")
    return rows


def _view(rows: list[tuple[BuyerSubscription, Order]], now: datetime) -> BuyerTimeZones:
    return BuyerTimeZones(
        orders=tuple(
            OrderZone(
                order_number_for_buyer(order.number),
                tracking_notices.zone_name(tracking_notices.buyer_zone(subscription, order)),
                bool(subscription.time_zone),
            )
            for subscription, order in rows
        ),
        offered=offered_zones(order.ship_to_country for _, order in rows),
        now=now,
    )


async def zone_of(user_id: int, order: Order, uow: UnitOfWork) -> str:
    """The zone `user_id` reads times about `order` in (its return cases, say), as its tracking
    messages do: their subscription's choice, else the ship-to country's. A buyer whom a new
    link took the order from still has their own choice, made on their other orders."""
    rows = await uow.buyers.all_of(user_id)
    subscription = next((s for s, followed in rows if followed.id == order.id), None)
    if subscription is None:
        subscription = next((s for s, _ in rows if s.time_zone), None)
    return tracking_notices.zone_name(tracking_notices.buyer_zone(subscription, order))


async def time_zones_of(user_id: int, uow: UnitOfWork) -> BuyerTimeZones:
    return _view(await _followed(user_id, uow), uow.now())


async def choose(user_id: int, zone: str | None, uow: UnitOfWork) -> BuyerTimeZones:
    """Set the buyer's zone on every order they follow; None: back to the countries' zones.

    `zone` may come from a button's callback data, so it is checked like typed text.
    """
    if zone is not None and not is_time_zone(zone):
        raise InvalidInput("buyer.time_zone_unknown", text=zone)
    rows = await _followed(user_id, uow)
    for subscription, _ in rows:
        subscription.time_zone = zone
    return _view(rows, uow.now())


async def choose_by_name(user_id: int, text: str, uow: UnitOfWork) -> BuyerTimeZones:
    """/timezone <city or zone name>."""
    zone = find_time_zone(text)
    if zone is None:
        raise InvalidInput("buyer.time_zone_unknown", text=text.strip()[:64])
    return await choose(user_id, zone, uow)
