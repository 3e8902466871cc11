"""The buyer's side of an order: opening the seller's link, the order card and timeline, mute
and stop, the seller issuing a new link, and what happens when a buyer blocks the bot or asks
to be forgotten.

A buyer sees the order's products and quantities, the store name, the parcel's status, its
estimated delivery and its events — never the seller's Telegram identity or anything personal.
The store name and order number are shown as a buyer may read them: contact details in one
stored before such names were refused are masked (`masking.store_name_for_buyer`).
Every order id a buyer sends is checked against their subscription: someone else's order
answers exactly like one that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.buyer_links import LINK_TTL_AFTER_DELIVERY, LinkGuard
from domain.errors import ConflictError, NotFound
from domain.model import (
    BuyerSubscription,
    Order,
    OrderAction,
    OrderStatus,
    Shipment,
)
from domain.repositories import Actor
from domain.returns.masking import order_number_for_buyer, store_name_for_buyer
from domain.services import buyer_returns, tracking, tracking_notices
from domain.services.orders import buyer_links, lifecycle
from domain.tracking import DeliveryEstimate
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 8
# What a deep-link payload may hold (Telegram: up to 64 of these characters).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class EventView:
    time: datetime
    status: str
    sub_status: str
    description: str
    location: str


@dataclass(frozen=True, slots=True)
class BuyerOrderView:
    """What the buyer following an order may see."""

    order_id: int
    order_number: str
    store_name: str
    lines: tuple[tuple[str, int], ...]
    order_status: str
    tracking_status: str | None
    sub_status: str | None
    tracking_number: str | None
    carrier: str | None
    estimate: DeliveryEstimate | None
    time_zone: str
    muted: bool
    last_event: EventView | None
    # Whether the buyer may ask for a return now, and the order's return cases, newest first.
    can_return: bool = False
    cases: tuple[buyer_returns.BuyerCaseLine, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """What opening a link did: the order (bound now, or opened again), or why not."""

    view: BuyerOrderView | None = None
    bound_now: bool = False
    # The seller opened their own buyer's link: shown nothing, bound nothing.
    sellers_own: str | None = None
    blocked: bool = False

    @property
    def refused(self) -> bool:
        return self.view is None and self.sellers_own is None and not self.blocked


@dataclass(frozen=True, slots=True)
class BuyerOrderSummary:
    order_id: int
    order_number: str
    store_name: str
    order_status: str
    tracking_status: str | None
    muted: bool


def _parcel_status_shown(order: Order, shipment: Shipment | None) -> Shipment | None:
    """The shipment whose tracking state the buyer reads as the order's status; None when
    the order's own status says more: a cancelled order (e.g. a lost parcel cancelled and
    refunded) reads as cancelled, not as the parcel's last state."""
    if shipment is None or order.status is OrderStatus.CANCELLED:
        return None
    return shipment


def _lines(order: Order, shipment: Shipment | None) -> tuple[tuple[str, int], ...]:
    if shipment is not None and shipment.lines_shipped:
        shipped = {item["line_id"]: item["quantity"] for item in shipment.lines_shipped}
        return tuple(
            (line.product_name, shipped[line.id]) for line in order.lines if line.id in shipped
        )
    return tuple((line.product_name, line.quantity) for line in order.lines)


async def _view(
    order: Order, subscription: BuyerSubscription | None, uow: UnitOfWork
) -> BuyerOrderView:
    shipment = await uow.tracking.shipment_of_order(order.id)
    seller = (await uow.tracking.seller_contacts([order.seller_id]))[order.seller_id]
    last_event = None
    if shipment is not None:
        events = await uow.tracking.events_of(shipment.id, limit=1)
        if events:
            event = events[-1]
            last_event = EventView(
                event.time, event.status, event.sub_status, event.description, event.location
            )
    viewer = subscription.buyer_user_id if subscription is not None else None
    can_return, cases = await buyer_returns.for_card(order, viewer, uow)
    parcel = _parcel_status_shown(order, shipment)
    return BuyerOrderView(
        order_id=order.id,
        order_number=order_number_for_buyer(order.number),
        store_name=store_name_for_buyer(seller.store_name),
        lines=_lines(order, shipment),
        order_status=order.status.value,
        tracking_status=None if parcel is None else parcel.tracking_status,
        sub_status=None if parcel is None else parcel.tracking_sub_status,
        tracking_number=None if shipment is None else shipment.tracking_number,
        carrier=None if shipment is None else shipment.carrier,
        estimate=None if shipment is None else tracking.stored_estimate(shipment),
        time_zone=tracking_notices.zone_name(tracking_notices.buyer_zone(subscription, order)),
        muted=subscription.muted if subscription is not None else False,
        last_event=last_event,
        can_return=can_return,
        cases=cases,
    )


# ----- the link -----


async def open_link(
    token: str, user_id: int, uow: UnitOfWork, guard: LinkGuard | None = None
) -> LinkOutcome:
    """Open the order behind a buyer link for `user_id`, binding it on first use.

    Unknown, replaced, expired links and links another account bound are refused alike (and
    counted); too many refusals in a short time refuse every link for a while.
    """
    guard = guard or LinkGuard()
    now = uow.now()
    if guard.blocked(await uow.buyers.refusals_since(user_id, now - guard.lookback), now):
        return LinkOutcome(blocked=True)
    well_formed = _TOKEN.fullmatch(token) is not None
    link = (
        await uow.orders.buyer_link_by_hash(buyer_links.token_hash(token)) if well_formed else None
    )
    order = await uow.orders.get(link.order_id) if link is not None else None
    if link is None or order is None:
        uow.buyers.add_refusal(user_id, now)
        return LinkOutcome()
    seller = (await uow.tracking.seller_contacts([order.seller_id]))[order.seller_id]
    if seller.user_id == user_id:
        # Opening it would give the seller's own account the buyer's place.
        return LinkOutcome(sellers_own=order.number)
    if not link.opens_for(user_id, now):
        uow.buyers.add_refusal(user_id, now)
        return LinkOutcome()
    subscription = await uow.buyers.for_order(order.id)
    bound_now = link.used_at is None
    if bound_now:
        link.used_at = now
        link.bound_user_id = user_id
        uow.audit.add(
            "buyer_link.bound",
            by=Actor("buyer", user_id),
            about=("order", order.id),
            details={"number": order.number},
        )
    if subscription is None:
        subscription = BuyerSubscription(
            order_id=order.id, buyer_user_id=user_id, muted=False, created_at=now
        )
        uow.buyers.add(subscription)
    elif subscription.buyer_user_id != user_id:
        # The seller issued a new link and another account opened it: it takes the place.
        subscription.buyer_user_id = user_id
        subscription.muted = False
        subscription.paused_at = None
        subscription.time_zone = None
        subscription.created_at = now
    return LinkOutcome(view=await _view(order, subscription, uow), bound_now=bound_now)


async def reissue_link(seller_user_id: int, order_id: int, uow: UnitOfWork) -> str:
    """A new link for a shipped order of the caller; every earlier link stops working.

    The current buyer keeps following the order until someone opens the new link. The return
    cases they opened stay theirs either way (`returns._case_of`): the new holder sees none.
    """
    order = await lifecycle.order_for(seller_user_id, order_id, OrderAction.NEW_BUYER_LINK, uow)
    now = uow.now()
    ended = order.delivered_at or (
        order.returned_at if order.status == OrderStatus.RETURNED_TO_SENDER else None
    )
    if ended is not None and ended + LINK_TTL_AFTER_DELIVERY <= now:
        raise ConflictError("buyer_link.too_late", number=order.number)
    await uow.buyers.revoke_links(order.id, now)
    token = await buyer_links.issue_buyer_link(order, uow)
    if ended is not None:
        await uow.buyers.expire_links(order.id, ended + LINK_TTL_AFTER_DELIVERY)
    uow.audit.add(
        "buyer_link.reissued",
        by=Actor("seller", seller_user_id),
        about=("order", order.id),
        details={"number": order.number},
    )
    return token


# ----- the buyer's orders -----


async def _subscribed(
    user_id: int, order_id: int, uow: UnitOfWork
) -> tuple[BuyerSubscription, Order]:
    subscription = await uow.buyers.for_order(order_id)
    order = await uow.orders.get(order_id) if subscription is not None else None
    if subscription is None or order is None or subscription.buyer_user_id != user_id:
        raise NotFound("buyer.order_not_found")
    return subscription, order


async def order_view(user_id: int, order_id: int, uow: UnitOfWork) -> BuyerOrderView:
    subscription, order = await _subscribed(user_id, order_id, uow)
    return await _view(order, subscription, uow)


async def timeline(
    user_id: int, order_id: int, uow: UnitOfWork, *, limit: int = 30
) -> tuple[BuyerOrderView, list[EventView]]:
    """The order card and its newest `limit` events, oldest first."""
    subscription, order = await _subscribed(user_id, order_id, uow)
    view = await _view(order, subscription, uow)
    shipment = await uow.tracking.shipment_of_order(order.id)
    events = [] if shipment is None else await uow.tracking.events_of(shipment.id, limit=limit)
    return view, [
        EventView(e.time, e.status, e.sub_status, e.description, e.location) for e in events
    ]


async def orders_of_buyer(
    user_id: int, uow: UnitOfWork, *, page: int = 0
) -> tuple[list[BuyerOrderSummary], int]:
    """The orders the buyer follows, newest first, one page, and how many in all."""
    rows, total = await uow.buyers.orders_of(
        user_id, limit=PAGE_SIZE, offset=max(page, 0) * PAGE_SIZE
    )
    sellers = await uow.tracking.seller_contacts(order.seller_id for _, order in rows)
    summaries = []
    for subscription, order in rows:
        shipment = await uow.tracking.shipment_of_order(order.id)
        summaries.append(
            BuyerOrderSummary(
                order_id=order.id,
                order_number=order_number_for_buyer(order.number),
                store_name=store_name_for_buyer(sellers[order.seller_id].store_name),
                order_status=order.status.value,
                tracking_status=(
                    None
                    if (parcel := _parcel_status_shown(order, shipment)) is None
                    else parcel.tracking_status
                ),
                muted=subscription.muted,
            )
        )
    return summaries, total


async def is_buyer(user_id: int, uow: UnitOfWork) -> bool:
    return await uow.buyers.has_subscriptions(user_id)


async def set_muted(user_id: int, order_id: int, muted: bool, uow: UnitOfWork) -> BuyerOrderView:
    subscription, order = await _subscribed(user_id, order_id, uow)
    subscription.muted = muted
    return await _view(order, subscription, uow)


async def stop_all(user_id: int, uow: UnitOfWork) -> int:
    """/stop: mute every order the buyer follows. Returns how many were muted now."""
    return await uow.buyers.mute_all(user_id)


# ----- blocking and erasure -----


async def pause_for_blocked_chat(chat_id: int, uow: UnitOfWork) -> int:
    """Telegram answered 403: no tracking message is written for this buyer until they return."""
    return await uow.buyers.pause_chat(chat_id, uow.now())


async def resume_for_chat(chat_id: int, uow: UnitOfWork) -> int:
    """The buyer wrote again: their orders' updates flow again."""
    return await uow.buyers.resume_chat(chat_id)


async def erase_buyer(user_id: int, uow: UnitOfWork) -> None:
    """Forget the user as a buyer: subscriptions, refused attempts, the links' binding, and
    what they wrote and sent in return cases.

    The seller's orders stay, without the buyer, and so does the structured record of their
    return cases. A link they bound stays used, so it does not open for anyone else afterwards.
    """
    await uow.returns.scrub_buyer(user_id)
    await uow.buyers.delete_for_user(user_id)
    await uow.buyers.delete_refusals(user_id)
    await uow.buyers.unbind_links(user_id)


async def prune_link_refusals(uow: UnitOfWork, guard: LinkGuard | None = None) -> int:
    """Scheduler job: forget refused link attempts too old to block anyone."""
    guard = guard or LinkGuard()
    return await uow.buyers.prune_refusals(uow.now() - guard.lookback)
