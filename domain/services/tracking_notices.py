"""Tracking news into the outbox: buyer messages (quiet hours, merging) and seller alerts.

Buyer messages are written in the transaction that recorded the events (an `OutboxBatch` per
recording, so a batch of shipments writes its rows in one statement), with a dedupe key made
from the shipment, the buyer and the event's provider key, so a change is queued once however
many workers or channels report it. In the buyer's quiet hours (their zone: the one they chose,
else the ship-to country's) a message waits until the hours end; everything that arrives for
the same shipment and buyer meanwhile is merged into that one waiting row (`merge_held` decides
what it says). A failed delivery and a parcel waiting at a pickup point go out at once.

Seller alerts (delivery failures, exceptions, returns to sender, stale parcels, numbers that may
be wrong, numbers the provider refused) go at once in the seller's language; they carry the
store's data, never the buyer's. An alert about a parcel lost or back at the seller's carries
the buttons to send the goods again or cancel and refund (`order_notice_buttons`).

Rows to a buyer name the seller as `subject_user_id` (they carry the store name), so erasing
the seller removes them too. They carry the store name and order number as a buyer may read
them (`masking.store_name_for_buyer`: contact details in a name stored before such names were
refused are masked); the seller's alerts carry them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.model import BuyerSubscription, Order, OrderAction, Shipment
from domain.repositories import SellerContact, ShipmentTracking
from domain.returns.masking import order_number_for_buyer, store_name_for_buyer
from domain.roles import Role
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
# A seller alert's params key for the order's buttons (`order_notice_buttons`).
ORDER_BUTTONS = "order_buttons"
# What the seller may do about a parcel that will not arrive, in the order buttons are shown.
UNDELIVERABLE_ACTIONS = (OrderAction.SHIP_AGAIN, OrderAction.CANCEL_AND_REFUND)


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


@dataclass(slots=True)
class _Held:
    """A buyer message waiting for the end of the night, or to be merged into the one waiting."""

    key: str
    send_at: datetime
    buyer: int
    seller_user_id: int
    params: dict[str, Any]


class OutboxBatch:
    """The outbox rows of one recording (a poll batch, a push), written together by `write`.

    A batch of 40 shipments then costs one INSERT and at most one SELECT (the night's waiting
    messages to merge into) instead of a round trip or two per shipment. What is queued is
    decided exactly as one shipment at a time would decide it: a dedupe key met twice counts
    once, a held message met twice is merged.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._rows: list[dict[str, Any]] = []
        self._kinds: list[str] = []  # "buyer" or "seller", per row
        self._held: dict[str, _Held] = {}
        self._merged_here = 0  # held messages merged into one queued earlier in this batch

    def buyer_message(
        self,
        *,
        shipment: Shipment | ShipmentTracking,
        order: Order,
        subscription: BuyerSubscription,
        seller: SellerContact,
        notices: Sequence[BuyerNotice],
        estimate: EstimateChange | None,
        quiet_hours: QuietHours,
    ) -> None:
        """What the buyer should hear: at once, or held through their quiet hours."""
        if not notices and estimate is None:
            return
        if not subscription.wants_updates:
            return
        now = self.now
        zone = buyer_zone(subscription, order)
        buyer = subscription.buyer_user_id
        urgent = any(notice.urgent for notice in notices)
        send_at = now if urgent else quiet_hours.quiet_until(now, zone)
        base = f"track:{shipment.id}:{buyer}"
        params: dict[str, Any] = {
            "order_id": order.id,
            # A store name or number stored before contacts in them were refused is masked.
            "order_number": order_number_for_buyer(order.number),
            "store_name": store_name_for_buyer(seller.store_name),
            "time_zone": zone_name(zone),
            "notices": [notice_params(n) for n in notices],
            "estimate": None if estimate is None else _estimate_params(estimate),
        }
        if send_at > now:
            key = f"{base}:held:{send_at.astimezone(UTC).isoformat()}"
            waiting = self._held.get(key)
            if waiting is None:
                self._held[key] = _Held(key, send_at, buyer, seller.user_id, params)
            else:
                waiting.params = _merged(waiting.params, params)
                self._merged_here += 1
            return
        if notices:
            key = f"{base}:{notices[-1].dedupe_key}"
        else:
            assert estimate is not None
            key = f"{base}:edd:{estimate.previous.latest}>{estimate.current.latest}"
        self._add(
            "buyer",
            dedupe_key=key,
            chat_id=buyer,
            template=BUYER_TEMPLATE,
            params=params,
            subject_user_id=seller.user_id,
        )

    def notice_alerts(
        self,
        *,
        seller: SellerContact,
        order: Order,
        shipment: Shipment | ShipmentTracking,
        notices: Iterable[BuyerNotice],
        buyer_told: bool = True,
    ) -> None:
        """The seller's alerts for the notices that concern them (failures, exceptions, returns).
        `buyer_told`: whether a buyer follows the order (and so heard the news from us); the
        alert says so, or that nobody was told."""
        for notice in notices:
            if not notice.alerts_seller:
                continue
            self._add(
                "seller",
                dedupe_key=f"track-alert:{shipment.id}:{notice.dedupe_key}",
                chat_id=seller.user_id,
                template=SELLER_ALERT_TEMPLATE,
                params=seller_alert_params(
                    order,
                    shipment,
                    notice.kind.value,
                    sub_status=notice.event.sub_status.value,
                    time=notice.event.time.isoformat(),
                    location=notice.event.location,
                    description=notice.event.description,
                    buyer_told=buyer_told,
                    **order_notice_buttons(order),
                ),
            )

    def _add(self, kind: str, **row: Any) -> None:
        self._rows.append({**row, "now": self.now})
        self._kinds.append(kind)

    async def write(self, uow: UnitOfWork) -> tuple[int, int]:
        """Write everything queued; returns (buyer messages, seller alerts) queued or merged."""
        buyer_messages = self._merged_here
        rows, kinds = list(self._rows), list(self._kinds)
        waiting = await uow.tracking.pending_notifications(self._held)
        for held in self._held.values():
            pending = waiting.get(held.key)
            if pending is None:
                rows.append(
                    {
                        "dedupe_key": held.key,
                        "chat_id": held.buyer,
                        "template": BUYER_TEMPLATE,
                        "params": held.params,
                        "subject_user_id": held.seller_user_id,
                        "now": self.now,
                        "not_before": held.send_at,
                    }
                )
                kinds.append("buyer")
            else:
                pending.params = _merged(dict(pending.params or {}), held.params)
                buyer_messages += 1
        added = await uow.notifications.add_many(rows)
        seller_alerts = 0
        counted: set[str] = set()
        for row, kind in zip(rows, kinds, strict=True):
            key = row["dedupe_key"]
            if key not in added or key in counted:
                continue
            counted.add(key)
            if kind == "buyer":
                buyer_messages += 1
            else:
                seller_alerts += 1
        return buyer_messages, seller_alerts


def _merged(waiting: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A held message's parameters with later notices merged in (`merge_held` decides)."""
    # The names as written now: a row held from before masking takes the masked ones.
    merged = {**waiting, "order_number": params["order_number"], "store_name": params["store_name"]}
    held = [notice_from_params(item) for item in merged.get("notices", [])]
    held += [notice_from_params(item) for item in params["notices"]]
    merged["notices"] = [notice_params(n) for n in merge_held(held)]
    if params["estimate"] is not None:
        merged["estimate"] = params["estimate"]
    return merged


def seller_alert_params(
    order: Order, shipment: Shipment | ShipmentTracking, alert: str, **details: Any
) -> dict[str, Any]:
    return {
        "alert": alert,
        "order_id": order.id,
        "order_number": order.number,
        "tracking_number": shipment.tracking_number,
        "method": shipment.method,
        **details,
    }


def order_notice_buttons(order: Order) -> dict[str, Any]:
    """The buttons of an alert about a parcel that will not reach the buyer (lost, or back at
    the seller's): what the seller may do about it now (send the goods again, cancel and
    refund), kept in the params under `ORDER_BUTTONS` and drawn by the chat layer when the
    alert is sent. Nothing for any other alert. A press goes through the order card's own
    handlers, which check the caller and the order's status again."""
    allowed = order.allowed_actions(Role.SELLER)
    actions = [action.value for action in UNDELIVERABLE_ACTIONS if action in allowed]
    if not actions:
        return {}
    return {ORDER_BUTTONS: {"order_id": order.id, "actions": actions}}


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
        params=seller_alert_params(order, shipment, alert, **details),
        now=uow.now(),
    )
