"""Template samples of tracking: buyer messages, seller alerts, the buyer's and seller's screens
(see tests/template_samples.py). User and carrier text carries markup to prove it is escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.returns.rules import CaseStatus
from domain.services import buyer_returns, buyer_time_zones, buyers, shipments
from domain.tracking import DeliveryEstimate, EstimateSource

_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
_EVENT = buyers.EventView(_NOW, "InTransit", "InTransit_CustomsProcessing", "Held <b>", "Lyon, FR")


def _notice(kind: str, sub: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "key": "k",
        "time": _NOW.isoformat(),
        "status": sub.split("_", 1)[0],
        "sub_status": sub,
        "location": "Pickup point, Lyon <3>, FR",
        "description": "Carrier <note>",
    }


_NOTICES = [
    _notice("info_received", "InfoReceived"),
    _notice("in_transit", "InTransit_PickedUp"),
    _notice("customs_held", "InTransit_CustomsProcessing"),
    _notice("customs_information_required", "InTransit_CustomsRequiringInformation"),
    _notice("customs_released", "InTransit_CustomsReleased"),
    _notice("out_for_delivery", "OutForDelivery_Other"),
    _notice("available_for_pickup", "AvailableForPickup_Other"),
    _notice("delivery_failure", "DeliveryFailure_NoBody"),
    _notice("delivery_failure", "DeliveryFailure_InvalidAddress"),
    _notice("delivery_failure", "DeliveryFailure_Rejected"),
    _notice("delivery_failure", "DeliveryFailure_Other"),
    _notice("delivered", "Delivered_Other"),
    _notice("returning", "Exception_Returning"),
    _notice("returned", "Exception_Returned"),
    _notice("exception", "Exception_Lost"),
    _notice("exception", "Exception_Delayed"),
    _notice("exception", "Exception_Damage"),
    _notice("exception", "Exception_Other"),
]
_VIEW = buyers.BuyerOrderView(
    order_id=1,
    order_number="AE<1>",
    store_name="Shop <1> & Co",
    lines=(("Phone <case>", 2), ("USB cable", 1)),
    order_status="shipped",
    tracking_status="InTransit",
    sub_status="InTransit_CustomsProcessing",
    tracking_number="RB123456785GB",
    carrier="China <Post>",
    estimate=DeliveryEstimate(date(2026, 12, 1), date(2026, 12, 4), EstimateSource.LANE),
    time_zone="Europe/Paris",
    muted=True,
    last_event=_EVENT,
    can_return=True,
    cases=(
        buyer_returns.BuyerCaseLine(1042, CaseStatus.NEGOTIATING, "Phone <case>", True),
        buyer_returns.BuyerCaseLine(1041, CaseStatus.WITHDRAWN, "USB cable", False),
    ),
)
_ALERT = {
    "order_id": 1,
    "order_number": "AE<1>",
    "tracking_number": "RB123456785GB",
    "method": "express",
}

TRACKING_SAMPLES: dict[str, dict[str, Any]] = {
    "tracking.buyer_update": {
        "order_id": 1,
        "order_number": "AE<1>",
        "store_name": "Shop <1>",
        "time_zone": "Europe/Paris",
        "notices": _NOTICES,
        "estimate": {"earliest": "2026-12-01", "latest": "2026-12-04", "moved_days": -2},
    },
    "tracking.seller_alert": {
        **_ALERT,
        "alert": "delivery_failure",
        "sub_status": "DeliveryFailure_NoBody",
        "time": _NOW.isoformat(),
        "location": "Lyon, FR",
        "description": "Nobody <home>",
        # The paragraph pointing to the buttons of a lost or returned parcel renders too.
        "order_buttons": {"order_id": 42, "actions": ["ship_again", "cancel_and_refund"]},
    },
    "tracking.seller_digest": {
        "store_name": "Shop <1>",
        "date": "2026-11-25",
        "counts": [{"status": "InTransit", "count": 4}, {"status": None, "count": 1}],
        "problems": [{"number": "AE<2>", "status": "lost"}],
    },
    "buyer.order_card": {"view": _VIEW, "welcome": True},
    "buyer.timeline": {"view": _VIEW, "events": [_EVENT, _EVENT]},
    "buyer.orders": {
        "orders": [buyers.BuyerOrderSummary(1, "AE<1>", "Shop <1>", "shipped", "InTransit", True)],
        "total": 1,
    },
    "buyer.no_orders": {},
    "buyer.track_choose": {},
    "buyer.stopped": {},
    "buyer.help": {},
    "buyer.order_not_found": {},
    "buyer.link_too_many": {},
    "buyer.link_sellers_own": {"order_number": "AE<1>"},
    "buyer.muted": {"muted": True, "order_number": "AE<1>"},
    "buyer.time_zone": {
        "view": buyer_time_zones.BuyerTimeZones(
            orders=(
                buyer_time_zones.OrderZone("AE<1>", "America/New_York", False),
                buyer_time_zones.OrderZone("AE<2>", "Europe/Paris", False),
            ),
            offered=("America/New_York", "Europe/Paris"),
            now=_NOW,
        )
    },
    "buyer.time_zone_changed": {
        "view": buyer_time_zones.BuyerTimeZones(
            (buyer_time_zones.OrderZone("AE<1>", "Asia/Kolkata", True),), (), _NOW
        )
    },
    "buyer.time_zone_unknown": {"text": "Atlantis"},
    "buyer_link.not_shipped": {"number": "AE<1>"},
    "buyer_link.too_late": {"number": "AE<1>"},
    "help.buyer": {},
    "start.welcome_buyer": {},
    "shipments.list": {"filter_name": "On <the> way", "total": 3, "page": 1, "pages": 1},
    "shipments.card": {
        "order_number": "AE<1>",
        "order_status": "in_trouble",
        "tracking_status": "Exception",
        "sub_status": "Exception_Delayed",
        "carrier": "China <Post>",
        "tracking_number": "RB123456785GB",
        "method_name": "shipping.method_sea",
        "estimate_earliest": date(2026, 12, 1),
        "estimate_latest": date(2026, 12, 4),
        "buyer_following": True,
        # A parcel the goods were sent again after (its own line instead of the buyer's).
        "replaced": True,
        "events": [_EVENT],
    },
    "shipments.new_link": {"order_number": "AE<1>", "link": "https://t.me/bot?start=abc"},
    "shipments.digest": {"enabled": True},
    "shipments.not_found": {},
    "outbox.dead_letters": {
        "rows": [shipments.DeadLetter(7, 42, "tracking.buyer_update", 8, "Bad <Request>", _NOW)],
        "total": 3,
    },
    "outbox.nothing_dead": {},
    "outbox.retried": {"count": 3},
}
