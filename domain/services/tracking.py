"""Recording what a tracking provider reports, whichever way it came (a poll or a push).

`record_updates` is the one place a report changes the database, all in the caller's
transaction: the shipment rows are locked (a push and a poll for the same parcel take turns),
new events are stored once per shipment and provider key, the canonical status moves (never
back to an older report's), `plan_notices` decides what the buyer hears given what they were
already told (kept on the shipment, so a restart or a repeated report tells nothing twice), the
delivery estimate is updated (the buyer hears when it moves by more than a day), the next poll
is set from the status, and the order follows: delivered, or a problem state for the seller's
/orders. The outbox rows go in the same transaction.

The poller's other outcomes live here too: a number registered with the provider, stopped, or
failing (per-shipment backoff), so every change to a shipment's tracking state is a domain use
case the poller only orchestrates.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.buyer_links import LINK_TTL_AFTER_DELIVERY
from domain.errors import ConflictError
from domain.model import BuyerSubscription, Order, OrderStatus, Shipment
from domain.repositories import SellerContact, ShipmentTracking
from domain.services import return_parcels, tracking_notices
from domain.tracking import (
    DeliveryEstimate,
    EstimateChange,
    EstimateSource,
    NoticeState,
    PollPolicy,
    QuietHours,
    Rejection,
    StaleRules,
    SubStatus,
    TrackingEvent,
    TrackingStatus,
    TrackingUpdate,
    current_estimate,
    estimate_change,
    estimate_from_transit,
    is_final,
    next_poll_at,
    plan_notices,
    retry_after_error,
)
from domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrackingRules:
    """The tunable rules of the pipeline, built once from the settings."""

    poll_policy: PollPolicy = field(default_factory=PollPolicy)
    stale_rules: StaleRules = field(default_factory=StaleRules)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    # Scans older than the newest stored one minus this are not offered to the database again
    # on every poll (17TRACK and the simulator report the whole history each time).
    backfill_window: timedelta = timedelta(days=3)


@dataclass(slots=True)
class RecordResult:
    shipments: int = 0
    events_added: int = 0
    buyer_messages: int = 0
    seller_alerts: int = 0
    # Registered shipments that reached a final status: the provider can stop tracking them.
    to_stop: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Context:
    """One recording: what was read up front, and the writes gathered to go out together."""

    uow: UnitOfWork
    rules: TrackingRules
    orders: dict[int, Order]
    subscriptions: dict[int, BuyerSubscription]
    sellers: dict[int, SellerContact]
    result: RecordResult
    outbox: tracking_notices.OutboxBatch
    events: list[tuple[int, TrackingEvent]] = field(default_factory=list)
    # Orders that closed (delivered, returned): their buyer links expire.
    closed_orders: list[int] = field(default_factory=list)
    # Return parcels recorded: their news goes to both sides of the case, not the order's.
    return_moves: list[return_parcels.ParcelMove] = field(default_factory=list)


def stored_estimate(shipment: Shipment | ShipmentTracking) -> DeliveryEstimate | None:
    if shipment.estimate_earliest is None or shipment.estimate_latest is None:
        return None
    source = EstimateSource(shipment.estimate_source or EstimateSource.LANE.value)
    return DeliveryEstimate(shipment.estimate_earliest, shipment.estimate_latest, source)


def _store_estimate(shipment: Shipment | ShipmentTracking, estimate: DeliveryEstimate) -> None:
    shipment.estimate_earliest = estimate.earliest
    shipment.estimate_latest = estimate.latest
    shipment.estimate_source = estimate.source.value


def lane_estimate(
    shipment: Shipment | ShipmentTracking, order: Order, subscription: BuyerSubscription | None
) -> DeliveryEstimate | None:
    """The lane's window from the ship date, in the buyer's zone; None without transit days."""
    if (
        shipment.confirmed_at is None
        or shipment.transit_min_days is None
        or shipment.transit_max_days is None
    ):
        return None
    return estimate_from_transit(
        shipment.confirmed_at,
        shipment.transit_min_days,
        shipment.transit_max_days,
        tz=tracking_notices.buyer_zone(subscription, order),
    )


def canonical_status(
    shipment: Shipment | ShipmentTracking,
) -> tuple[TrackingStatus | None, SubStatus | None]:
    status = TrackingStatus(shipment.tracking_status) if shipment.tracking_status else None
    sub = SubStatus(shipment.tracking_sub_status) if shipment.tracking_sub_status else None
    return status, sub


async def record_updates(
    items: Sequence[tuple[int, TrackingUpdate]],
    uow: UnitOfWork,
    rules: TrackingRules,
    *,
    release_lease: bool = True,
) -> RecordResult:
    """Record a batch of reports (shipment id, update) in the caller's transaction.

    `release_lease`: the poller holds a lease on these shipments and gives it back here; a
    push holds none and leaves a concurrent poller's lease alone.
    """
    result = RecordResult()
    shipments = {s.id: s for s in await uow.tracking.lock_tracking([i for i, _ in items])}
    orders = await uow.tracking.orders_of_shipments(s.order_id for s in shipments.values())
    context = _Context(
        uow=uow,
        rules=rules,
        orders=orders,
        subscriptions=await uow.buyers.for_orders(orders),
        sellers=await uow.tracking.seller_contacts(o.seller_id for o in orders.values()),
        result=result,
        outbox=tracking_notices.OutboxBatch(uow.now()),
    )
    # Everything is decided in memory first, then written in a few statements for the whole
    # batch: a round trip per shipment is what made a pass over 100k shipments slow.
    for shipment_id, update in items:
        shipment = shipments.get(shipment_id)
        if shipment is None:  # deleted meanwhile (the seller erased their data)
            continue
        _record_one(context, shipment, update, release_lease=release_lease)
        result.shipments += 1
    await uow.tracking.save_tracking(list(shipments.values()))
    now = uow.now()
    result.events_added = await uow.tracking.add_events(context.events, now)
    await uow.buyers.expire_links_of(context.closed_orders, now + LINK_TTL_AFTER_DELIVERY)
    result.buyer_messages, result.seller_alerts = await context.outbox.write(uow)
    result.buyer_messages += await return_parcels.parcels_moved(context.return_moves, uow)
    return result


def _record_one(
    context: _Context, shipment: ShipmentTracking, update: TrackingUpdate, *, release_lease: bool
) -> None:
    uow, rules, result = context.uow, context.rules, context.result
    now = uow.now()
    order = context.orders[shipment.order_id]
    subscription = context.subscriptions.get(order.id)
    seller = context.sellers[order.seller_id]

    newest_known = shipment.last_event_at
    before, _ = canonical_status(shipment)
    events = update.events
    if newest_known is not None:
        horizon = newest_known - rules.backfill_window
        events = tuple(event for event in events if event.time >= horizon)
    context.events.extend((shipment.id, event) for event in events)

    plan = plan_notices(NoticeState.from_dict(shipment.notice_state), update.events)
    shipment.notice_state = plan.state.as_dict()
    latest = update.latest_event
    # A late push can carry an older picture than the last poll: it must not move us back.
    current_report = (
        newest_known is None
        if latest is None
        else newest_known is None or latest.time >= newest_known
    )
    if current_report:
        shipment.tracking_status = update.status.value
        shipment.tracking_sub_status = update.sub_status.value
    if latest is not None and (newest_known is None or latest.time > newest_known):
        shipment.last_event_at = latest.time
        shipment.stale_alerted_at = None
    if update.carrier and not shipment.provider_carrier:
        shipment.provider_carrier = update.carrier[:32]
    if update.tracking_stopped and shipment.tracking_stopped_at is None:
        shipment.tracking_stopped_at = now

    status, sub = canonical_status(shipment)
    assert status is not None
    final = is_final(status, sub)
    change = _update_estimate(shipment, order, subscription, update, final=final)

    shipment.poll_failures = 0
    if release_lease:
        shipment.lease_until = None
    if final and shipment.registered_at is not None and shipment.tracking_stopped_at is None:
        shipment.next_poll_at = now  # the poller stops the number with the provider
        result.to_stop.append(shipment.id)
    else:
        shipment.next_poll_at = next_poll_at(
            status,
            sub,
            now=now,
            last_event_at=shipment.last_event_at,
            tracking_stopped=shipment.tracking_stopped_at is not None,
            policy=rules.poll_policy,
            spread_key=shipment.id,
        )
    if shipment.return_case_id is not None:
        # The buyer's parcel back to the store: it neither moves the order nor sends the
        # buyer the outbound notices; both sides of the case hear its news instead.
        context.return_moves.append(return_parcels.ParcelMove(shipment, before, status))
        return
    if current_report:
        _follow(context, order, status, sub, now)

    if subscription is not None:
        context.outbox.buyer_message(
            shipment=shipment,
            order=order,
            subscription=subscription,
            seller=seller,
            notices=plan.notices,
            estimate=change,
            quiet_hours=rules.quiet_hours,
        )
    context.outbox.notice_alerts(
        seller=seller,
        order=order,
        shipment=shipment,
        notices=plan.all_notices,
        buyer_told=subscription is not None,
    )


def _update_estimate(
    shipment: ShipmentTracking,
    order: Order,
    subscription: BuyerSubscription | None,
    update: TrackingUpdate,
    *,
    final: bool,
) -> EstimateChange | None:
    """Keep the estimate the buyer sees; the change to tell them about, if any."""
    shown = stored_estimate(shipment)
    if shown is None:
        shown = lane_estimate(shipment, order, subscription)
        if shown is not None:
            _store_estimate(shipment, shown)
    current = current_estimate(shown, update.estimated_delivery)
    if current is None or current == shown:
        return None
    _store_estimate(shipment, current)
    return None if final else estimate_change(shown, current)


def _follow(
    context: _Context,
    order: Order,
    status: TrackingStatus,
    sub: SubStatus | None,
    now: datetime,
) -> None:
    """Move the order with its parcel: delivered, or the problem state the seller must see."""
    wanted = order_status_for(status, sub)
    if wanted is None or wanted is order.status:
        return
    try:
        if wanted is OrderStatus.DELIVERED:
            order.mark_delivered(now)
            context.closed_orders.append(order.id)
        elif wanted is OrderStatus.RETURNED_TO_SENDER:
            order.mark_returned_to_sender(now)
            context.closed_orders.append(order.id)
        elif wanted is OrderStatus.LOST:
            order.mark_lost()
        elif wanted is OrderStatus.IN_TROUBLE:
            order.mark_in_trouble()
        elif wanted is OrderStatus.SHIPPED:
            order.mark_moving_again()
    except ConflictError:
        # The order left the parcel's story (cancelled, or closed by a return): tracking
        # no longer moves it.
        return
    context.uow.audit.record(
        at=now,
        actor_id=None,
        actor_role="system",
        action="order.tracking_moved",
        subject_type="order",
        subject_id=order.id,
        details={"number": order.number, "status": order.status.value},
    )


_LOST = frozenset({SubStatus.EXCEPTION_LOST, SubStatus.EXCEPTION_DESTROYED})


def order_status_for(status: TrackingStatus, sub: SubStatus | None) -> OrderStatus | None:
    """The order status a parcel in this tracking state puts its order in (None: no change)."""
    if status is TrackingStatus.DELIVERED:
        return OrderStatus.DELIVERED
    if status is TrackingStatus.EXCEPTION:
        if sub is SubStatus.EXCEPTION_RETURNED:
            return OrderStatus.RETURNED_TO_SENDER
        if sub in _LOST:
            return OrderStatus.LOST
        return OrderStatus.IN_TROUBLE
    if status in (
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.AVAILABLE_FOR_PICKUP,
        TrackingStatus.DELIVERY_FAILURE,
    ):
        return OrderStatus.SHIPPED
    return None


# ----- the poller's other outcomes -----


async def mark_registered(accepted: Sequence[tuple[int, str | None]], uow: UnitOfWork) -> list[int]:
    """The provider tracks these numbers now (with this carrier code); fetch them next."""
    now = uow.now()
    done: list[int] = []
    shipments = await uow.tracking.lock_many([shipment_id for shipment_id, _ in accepted])
    carriers = dict(accepted)
    orders = await uow.tracking.orders_of_shipments(s.order_id for s in shipments)
    subscriptions = await uow.buyers.for_orders(orders)
    for shipment in shipments:
        shipment.registered_at = now
        carrier = carriers.get(shipment.id)
        if carrier and not shipment.provider_carrier:
            shipment.provider_carrier = carrier[:32]
        shipment.next_poll_at = now
        shipment.poll_failures = 0
        if stored_estimate(shipment) is None:
            order = orders[shipment.order_id]
            lane = lane_estimate(shipment, order, subscriptions.get(order.id))
            if lane is not None:
                _store_estimate(shipment, lane)
        done.append(shipment.id)
    return done


async def mark_stopped(shipment_ids: Sequence[int], uow: UnitOfWork) -> None:
    """The provider no longer tracks these numbers: nothing to poll any more."""
    now = uow.now()
    for shipment in await uow.tracking.lock_many(shipment_ids):
        shipment.tracking_stopped_at = shipment.tracking_stopped_at or now
        shipment.next_poll_at = None
        shipment.lease_until = None


async def stopped_by_provider(tracking_number: str, uow: UnitOfWork) -> int:
    """17TRACK's TRACKING_STOPPED: it gave up on the number (or we asked). Returns how many."""
    shipments = await uow.tracking.by_tracking_number(tracking_number)
    await mark_stopped([s.id for s in shipments], uow)
    return len(shipments)


async def forget_registration(shipment_ids: Sequence[int], uow: UnitOfWork) -> None:
    """The provider says it does not know these numbers: register them again now."""
    now = uow.now()
    for shipment in await uow.tracking.lock_many(shipment_ids):
        shipment.registered_at = None
        shipment.next_poll_at = now
        shipment.lease_until = None


async def back_off(shipment_ids: Sequence[int], uow: UnitOfWork, rules: TrackingRules) -> None:
    """A call about these shipments failed for reasons of their own: try each later."""
    now = uow.now()
    for shipment in await uow.tracking.lock_many(shipment_ids):
        shipment.poll_failures += 1
        shipment.lease_until = None
        shipment.next_poll_at = retry_after_error(
            shipment.poll_failures, now=now, policy=rules.poll_policy, spread_key=shipment.id
        )


async def number_refused(
    shipment_id: int, rejection: Rejection, uow: UnitOfWork, rules: TrackingRules
) -> bool:
    """The provider refused the number itself: back off, and tell the seller once per reason."""
    await back_off([shipment_id], uow, rules)
    if not rejection.seller_can_fix:
        return False
    shipment = await uow.tracking.get(shipment_id)
    if shipment is None:
        return False
    order = await uow.orders.get(shipment.order_id)
    if order is None:
        return False
    seller = (await uow.tracking.seller_contacts([order.seller_id]))[order.seller_id]
    return await tracking_notices.queue_seller_alert(
        uow,
        dedupe_key=f"track-refused:{shipment.id}:{rejection.reason.value}",
        seller=seller,
        order=order,
        shipment=shipment,
        alert="number_refused",
        reason=rejection.reason.value,
    )


# ----- seller alerts nobody reports: silence -----


async def sweep_silent_shipments(uow: UnitOfWork, rules: TrackingRules, *, limit: int = 200) -> int:
    """Alert sellers once about parcels with no news for too long (per method), and about
    numbers that show nothing days after shipping (the number may be wrong)."""
    now = uow.now()
    final = [TrackingStatus.DELIVERED.value, TrackingStatus.EXPIRED.value]
    found: list[tuple[Shipment, str, int]] = []
    for method, quiet_for in rules.stale_rules.stale_after.items():
        for shipment in await uow.tracking.stale_candidates(
            method.value, now - quiet_for, final, limit
        ):
            status, sub = canonical_status(shipment)
            if status is not None and is_final(status, sub):
                continue
            shipment.stale_alerted_at = now
            days = int((now - (shipment.last_event_at or now)).total_seconds() // 86400)
            found.append((shipment, "stale", days))
    not_found_after = rules.stale_rules.not_found_after
    for shipment in await uow.tracking.no_info_candidates(
        now - not_found_after, [TrackingStatus.NOT_FOUND.value], limit
    ):
        shipment.no_info_alerted_at = now
        found.append((shipment, "no_info", not_found_after.days))
    if not found:
        return 0
    orders = await uow.tracking.orders_of(s.order_id for s, _, _ in found)
    sellers = await uow.tracking.seller_contacts(o.seller_id for o in orders.values())
    queued = 0
    for shipment, alert, days in found:
        order = orders[shipment.order_id]
        if await tracking_notices.queue_seller_alert(
            uow,
            dedupe_key=f"track-{alert}:{shipment.id}:{(shipment.last_event_at or now).date()}",
            seller=sellers[order.seller_id],
            order=order,
            shipment=shipment,
            alert=alert,
            days=days,
        ):
            queued += 1
    return queued
