"""Documented 17TRACK API v2.2 payload shapes, built from domain objects.

The fake server answers with these, tests push them, and the payload unit tests read them back.
Built from 17TRACK's published v2.2 shapes (``track_info`` with ``latest_status``,
``latest_event``, ``time_metrics.estimated_delivery_date``, ``milestone``, ``tracking.providers[]
.events[]``), with the values our domain objects hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from domain.tracking import DeliveryEstimate, SubStatus, TrackingEvent, TrackingUpdate

__all__ = ["push_body", "sign_body", "track_info_from_update", "track_info_payload"]

# The milestone names 17TRACK uses as an event's ``stage``, by sub-status.
_MILESTONES = {
    SubStatus.INFO_RECEIVED: "InfoReceived",
    SubStatus.IN_TRANSIT_PICKED_UP: "PickedUp",
    SubStatus.IN_TRANSIT_DEPARTURE: "Departure",
    SubStatus.IN_TRANSIT_ARRIVAL: "Arrival",
    SubStatus.AVAILABLE_FOR_PICKUP_OTHER: "AvailableForPickup",
    SubStatus.OUT_FOR_DELIVERY_OTHER: "OutForDelivery",
    SubStatus.DELIVERED_OTHER: "Delivered",
    SubStatus.EXCEPTION_RETURNING: "Returning",
    SubStatus.EXCEPTION_RETURNED: "Returned",
}
# Carrier-local time for time_iso: Shenzhen's offset is what most of our parcels start with.
_CARRIER_ZONE = timezone(timedelta(hours=8))


def _iso(moment: datetime) -> str:
    return moment.astimezone(_CARRIER_ZONE).isoformat(timespec="seconds")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_payload(event: TrackingEvent, *, stage_style: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "time_iso": _iso(event.time),
        "time_utc": _utc(event.time),
        "time_raw": {
            "date": event.time.astimezone(_CARRIER_ZONE).strftime("%Y-%m-%d"),
            "time": event.time.astimezone(_CARRIER_ZONE).strftime("%H:%M:%S"),
            "timezone": "+08:00",
        },
        "description": event.description,
        "description_translation": None,
        "location": event.location,
        "address": {
            "country": None,
            "state": None,
            "city": event.location or None,
            "street": None,
            "postal_code": None,
            "coordinates": {"longitude": None, "latitude": None},
        },
    }
    if stage_style == "milestone":
        payload["stage"] = _MILESTONES.get(event.sub_status)
        payload["sub_status"] = event.sub_status.value
    elif stage_style == "sub_status":
        payload["stage"] = event.sub_status.value
    # "none": 17TRACK sends plain scans without a stage
    return payload


def track_info_payload(
    status: str,
    sub_status: str,
    events: Sequence[TrackingEvent] = (),
    *,
    estimate: DeliveryEstimate | None = None,
    carrier: int = 3011,
    stage_style: str = "milestone",
) -> dict[str, Any]:
    """A ``track_info`` object; `status`/`sub_status` are raw strings so tests can send unknowns."""
    ordered = sorted(events, key=lambda event: event.time)
    newest_first = [_event_payload(e, stage_style=stage_style) for e in reversed(ordered)]
    latest = newest_first[0] if newest_first else None
    edd = None
    if estimate is not None:
        edd = {
            "source": "Official",
            "from": f"{estimate.earliest.isoformat()}T08:00:00+02:00",
            "to": f"{estimate.latest.isoformat()}T20:00:00+02:00",
        }
    milestones = []
    for sub, key_stage in _MILESTONES.items():
        reached = next((e for e in ordered if e.sub_status is sub), None)
        milestones.append(
            {
                "key_stage": key_stage,
                "time_iso": None if reached is None else _iso(reached.time),
                "time_utc": None if reached is None else _utc(reached.time),
            }
        )
    events_hash = int(hashlib.sha256(json.dumps(newest_first).encode()).hexdigest()[:7], 16)
    return {
        "shipping_info": {
            "shipper_address": {"country": "CN", "state": None, "city": "SHENZHEN"},
            "recipient_address": {"country": None, "state": None, "city": None},
        },
        "latest_status": {"status": status, "sub_status": sub_status, "sub_status_descr": None},
        "latest_event": latest,
        "time_metrics": {
            "days_after_order": 0,
            "days_of_transit": 0,
            "days_of_transit_done": 0,
            "days_after_last_update": 0,
            "estimated_delivery_date": edd or {"source": None, "from": None, "to": None},
        },
        "milestone": milestones,
        "misc_info": {"risk_factor": 0, "service_type": "Standard", "weight_kg": None},
        "tracking": {
            "providers_hash": events_hash,
            "providers": [
                {
                    "provider": {
                        "key": carrier,
                        "name": "China Post",
                        "alias": "China Post",
                        "tel": None,
                        "homepage": "http://www.chinapost.com.cn/",
                        "country": "CN",
                    },
                    "service_type": None,
                    "latest_sync_status": "Success",
                    "latest_sync_time": _utc(ordered[-1].time) if ordered else None,
                    "events_hash": events_hash,
                    "events": newest_first,
                }
            ],
        },
    }


def track_info_from_update(update: TrackingUpdate, *, carrier: int = 3011) -> dict[str, Any]:
    return track_info_payload(
        update.status.value,
        update.sub_status.value,
        update.events,
        estimate=update.estimated_delivery,
        carrier=carrier,
    )


def push_body(
    event: str, number: str, carrier: int, track_info: dict[str, Any] | None = None
) -> bytes:
    """The raw body 17TRACK POSTs to the webhook."""
    data: dict[str, Any] = {"number": number, "carrier": carrier, "param": None, "tag": None}
    if track_info is not None:
        data["track_info"] = track_info
    return json.dumps({"event": event, "data": data}, separators=(",", ":")).encode("utf-8")


def sign_body(body: bytes, api_key: str) -> str:
    """17TRACK's ``sign`` header, computed independently of the code under test."""
    digest = hashlib.new("sha256")
    digest.update(body)
    digest.update(("/" + api_key).encode("utf-8"))
    return digest.hexdigest()
