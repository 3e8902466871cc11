"""Tracking news into the outbox: buyer messages (quiet hours, merging) and seller alerts.

Buyer messages are written in the transaction that recorded the events, with a dedupe key made
from the shipment, the buyer and the event's provider key, so a change is queued once however
many workers or channels report it. In the buyer's quiet hours (their zone: the one they chose,
else the ship-to country's) a message waits until the hours end; everything that arrives for
the same shipment and buyer meanwhile is merged into that one waiting row (`merge_held` decides
what it says). A failed delivery and a parcel waiting at a pickup point go out at once.

Seller alerts (delivery failures, exceptions, returns to sender, stale parcels, numbers that may
be wrong, numbers the provider refused) go at once in the seller's language; they carry the
store's data, never the buyer's.

Rows to a buyer name the seller as `subject_user_id` (they carry the store name), so erasing
the seller removes them too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.model import BuyerSubscription, Order, Shipment
from domain.repositories import SellerContact
from domain.tracking import (
    BuyerNotice,
    EstimateChange,
    NoticeKind,
    QuietHours,
    SubStatus,
    TrackingEvent,
    TrackingStatus,
    default_time_zone,
    merge_held,
)
from domain.unit_of_work import UnitOfWork

BUYER_TEMPLATE = "tracking.buyer_update"
SELLER_ALERT_TEMPLATE = "tracking.seller_alert"


def buyer_zone(subscription: BuyerSubscription | None, order: Order) -> tzinfo:
    """The buyer's zone for quiet hours and dates: their choice, else the ship-to country's."""
    if subscription is not None and subscription.time_zone:
        try:
            return ZoneInfo(subscription.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default_time_zone(order.ship_to_country)


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or "UTC"


def notice_params(notice: BuyerNotice) -> dict[str, Any]:
    event = notice.event
    return {
        "kind": notice.kind.value,
        "key": event.key,
        "time": event.time.isoformat(),
        "status": event.status.value,
        "sub_status": event.sub_status.value,
        "location": event.location,
        "description": event.description,
    }


def notice_from_params(data: Mapping[str, Any]) -> BuyerNotice:
    sub = SubStatus(data["sub_status"])
    event = TrackingEvent(
        time=datetime.fromisoformat(data["time"]),
        status=TrackingStatus(data["status"]),
        sub_status=sub,
        description=str(data.get("description", "")),
        location=str(data.get("location", "")),
        key=str(data["key"]),
    )
    return BuyerNotice(NoticeKind(data["kind"]), event)


def _estimate_params(change: EstimateChange) -> dict[str, Any]:
    return {
        "earliest": change.current.earliest.isoformat(),
        "latest": change.current.latest.isoformat(),
        "moved_days": change.days_moved,
    }


async def queue_buyer_message(
    uow: UnitOfWork,
    *,
    shipment: Shipment,
    order: Order,
    subscription: BuyerSubscription,
    seller: SellerContact,
    notices: Sequence[BuyerNotice],
    estimate: EstimateChange | None,
    quiet_hours: QuietHours,
) -> bool:
    """Queue (or merge into the waiting message) what the buyer should hear; True if queued."""
    if not notices and estimate is None:
        return False
    if not subscription.wants_updates:
        return False
    now = uow.now()
    zone = buyer_zone(subscription, order)
    buyer = subscription.buyer_user_id
    urgent = any(notice.urgent for notice in notices)
    send_at = now if urgent else quiet_hours.quiet_until(now, zone)
    base = f"track:{shipment.id}:{buyer}"
    params: dict[str, Any] = {
        "order_id": order.id,
        "order_number": order.number,
        "store_name": seller.store_name,
        "time_zone": zone_name(zone),
        "notices": [notice_params(n) for n in notices],
        "estimate": None if estimate is None else _estimate_params(estimate),
    }
    if send_at > now:
        return await _hold(
            uow,
            f"{base}:held:{send_at.astimezone(UTC).isoformat()}",
            send_at,
            buyer,
            seller,
            params,
        )
    if notices:
        key = f"{base}:{notices[-1].dedupe_key}"
    else:
        assert estimate is not None
        key = f"{base}:edd:{estimate.previous.latest}>{estimate.current.latest}"
    return await uow.notifications.add(
        dedupe_key=key,
        chat_id=buyer,
        template=BUYER_TEMPLATE,
        params=params,
        now=now,
        subject_user_id=seller.user_id,
    )


async def _hold(
    uow: UnitOfWork,
    key: str,
    send_at: datetime,
    buyer: int,
    seller: SellerContact,
    params: dict[str, Any],
) -> bool:
    """Write the night's waiting message, or merge `params` into the one already waiting."""
    waiting = await uow.tracking.pending_notification(key)
    if waiting is None:
        return await uow.notifications.add(
            dedupe_key=key,
            chat_id=buyer,
            template=BUYER_TEMPLATE,
            params=params,
            now=uow.now(),
            subject_user_id=seller.user_id,
            not_before=send_at,
        )
    merged = dict(waiting.params or {})
    held = [notice_from_params(item) for item in merged.get("notices", [])]
    held += [notice_from_params(item) for item in params["notices"]]
    merged["notices"] = [notice_params(n) for n in merge_held(held)]
    if params["estimate"] is not None:
        merged["estimate"] = params["estimate"]
    waiting.params = merged
    return True


async def queue_seller_alert(
    uow: UnitOfWork,
    *,
    dedupe_key: str,
    seller: SellerContact,
    order: Order,
    shipment: Shipment,
    alert: str,
    **details: Any,
) -> bool:
    """An alert to the seller at once (`alert` names what happened; see the template)."""
    return await uow.notifications.add(
        dedupe_key=dedupe_key,
        chat_id=seller.user_id,
        template=SELLER_ALERT_TEMPLATE,
        params={
            "alert": alert,
            "order_id": order.id,
            "order_number": order.number,
            "tracking_number": shipment.tracking_number,
            "method": shipment.method,
            **details,
        },
        now=uow.now(),
    )


async def queue_notice_alerts(
    uow: UnitOfWork,
    *,
    seller: SellerContact,
    order: Order,
    shipment: Shipment,
    notices: Iterable[BuyerNotice],
) -> int:
    """The seller's alerts for the notices that concern them (failures, exceptions, returns)."""
    queued = 0
    for notice in notices:
        if not notice.alerts_seller:
            continue
        if await queue_seller_alert(
            uow,
            dedupe_key=f"track-alert:{shipment.id}:{notice.dedupe_key}",
            seller=seller,
            order=order,
            shipment=shipment,
            alert=notice.kind.value,
            sub_status=notice.event.sub_status.value,
            time=notice.event.time.isoformat(),
            location=notice.event.location,
            description=notice.event.description,
        ):
            queued += 1
    return queued
