"""Reading 17TRACK API v2.2 payloads, written out here as the documentation shows them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.tracking import (
    RejectionReason,
    SubStatus,
    TrackedNumber,
    TrackingStatus,
)
from notifications.tracking.seventeen_track_payloads import (
    PayloadError,
    carrier_code,
    change_carrier_body,
    numbers_body,
    parse_batch_outcome,
    parse_envelope,
    parse_fetch_outcome,
    parse_quota,
    parse_track_info,
)
from notifications.tracking.seventeen_track_push import PushEvent, parse_push

# A gettrackinfo answer in the documented v2.2 shape (abridged only where noted).
GETTRACKINFO = json.loads(
    """
{
  "code": 0,
  "data": {
    "accepted": [
      {
        "number": "RR123456789CN",
        "carrier": 3011,
        "param": null,
        "tag": "MyOrderId",
        "track_info": {
          "shipping_info": {
            "shipper_address": {"country": "CN", "state": "GD", "city": "SHENZHEN"},
            "recipient_address": {"country": "US", "state": "CA", "city": "LOS ANGELES"}
          },
          "latest_status": {
            "status": "Delivered", "sub_status": "Delivered_Other", "sub_status_descr": null
          },
          "latest_event": {
            "time_iso": "2022-05-02T14:34:00-04:00",
            "time_utc": "2022-05-02T18:34:00Z",
            "description": "Package delivered",
            "location": "LOS ANGELES, CA",
            "stage": "Delivered"
          },
          "time_metrics": {
            "days_after_order": 10,
            "days_of_transit": 8,
            "days_of_transit_done": 8,
            "days_after_last_update": 0,
            "estimated_delivery_date": {
              "source": "Official",
              "from": "2022-05-01T08:00:00-04:00",
              "to": "2022-05-03T20:00:00-04:00"
            }
          },
          "milestone": [
            {"key_stage": "InfoReceived", "time_iso": "2022-04-25T10:00:00+08:00",
             "time_utc": "2022-04-25T02:00:00Z"},
            {"key_stage": "Delivered", "time_iso": "2022-05-02T14:34:00-04:00",
             "time_utc": "2022-05-02T18:34:00Z"}
          ],
          "tracking": {
            "providers_hash": 182180920,
            "providers": [
              {
                "provider": {"key": 3011, "name": "China Post", "country": "CN"},
                "latest_sync_status": "Success",
                "latest_sync_time": "2022-05-02T18:34:00Z",
                "events_hash": -731027172,
                "events": [
                  {
                    "time_iso": "2022-05-02T14:34:00-04:00",
                    "time_utc": "2022-05-02T18:34:00Z",
                    "description": "Package delivered",
                    "location": "LOS ANGELES, CA",
                    "stage": "Delivered",
                    "sub_status": "Delivered_Other",
                    "address": {"country": "US", "city": "LOS ANGELES"}
                  },
                  {
                    "time_iso": "2022-04-30T09:10:00-04:00",
                    "time_utc": "2022-04-30T13:10:00Z",
                    "description": "Held by customs",
                    "location": null,
                    "stage": null,
                    "sub_status": "InTransit_CustomsProcessing",
                    "address": {"country": "US", "state": "CA", "city": "LOS ANGELES"}
                  },
                  {
                    "time_iso": "2022-04-27T08:00:00+08:00",
                    "time_utc": "2022-04-27T00:00:00Z",
                    "description": "Arrived at sorting centre",
                    "location": "GUANGZHOU",
                    "stage": null
                  },
                  {
                    "time_iso": "2022-04-26T14:30:00+08:00",
                    "time_utc": "2022-04-26T06:30:00Z",
                    "description": "Package picked up",
                    "location": "SHENZHEN",
                    "stage": "PickedUp"
                  },
                  {
                    "time_iso": "2022-04-25T10:00:00+08:00",
                    "time_utc": "2022-04-25T02:00:00Z",
                    "description": "Order information received",
                    "location": "SHENZHEN",
                    "stage": "InfoReceived"
                  }
                ]
              }
            ]
          }
        }
      }
    ],
    "rejected": [
      {"number": "1234", "error": {"code": -18010012, "message": "The format of '1234' is invalid."}},
      {"number": "RB000000000CN",
       "error": {"code": -18019902, "message": "Tracking number RB000000000CN is not registered."}}
    ]
  }
}
"""
)


def test_gettrackinfo_answer_becomes_an_update_per_number() -> None:
    envelope = parse_envelope(json.dumps(GETTRACKINFO))
    assert envelope.code == 0
    [update], rejected = parse_fetch_outcome(envelope.data)

    assert (update.number, update.carrier) == ("RR123456789CN", "3011")
    assert (update.status, update.sub_status) == (
        TrackingStatus.DELIVERED,
        SubStatus.DELIVERED_OTHER,
    )
    assert [(e.time, e.sub_status, e.location) for e in update.events] == [
        (datetime(2022, 4, 25, 2, 0, tzinfo=UTC), SubStatus.INFO_RECEIVED, "SHENZHEN"),
        (datetime(2022, 4, 26, 6, 30, tzinfo=UTC), SubStatus.IN_TRANSIT_PICKED_UP, "SHENZHEN"),
        # No stage: a plain scan keeps the state before it.
        (datetime(2022, 4, 27, 0, 0, tzinfo=UTC), SubStatus.IN_TRANSIT_PICKED_UP, "GUANGZHOU"),
        # The event's sub_status wins; a missing location comes from the address.
        (
            datetime(2022, 4, 30, 13, 10, tzinfo=UTC),
            SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING,
            "LOS ANGELES, CA, US",
        ),
        (datetime(2022, 5, 2, 18, 34, tzinfo=UTC), SubStatus.DELIVERED_OTHER, "LOS ANGELES, CA"),
    ]
    # The estimate's days are the ones its own offset names.
    assert update.estimated_delivery is not None
    assert (update.estimated_delivery.earliest, update.estimated_delivery.latest) == (
        date(2022, 5, 1),
        date(2022, 5, 3),
    )
    assert update.unknown_codes == frozenset()
    assert [(r.number, r.reason, r.code) for r in rejected] == [
        ("1234", RejectionReason.INVALID_NUMBER, "-18010012"),
        ("RB000000000CN", RejectionReason.NOT_REGISTERED, "-18019902"),
    ]


def _info(latest: tuple[str | None, str | None], events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "latest_status": {"status": latest[0], "sub_status": latest[1]},
        "tracking": {"providers": [{"events": events}]},
    }


def test_stage_in_sub_status_vocabulary_and_unlabelled_newest_event() -> None:
    events = [
        {"time_utc": "2026-01-02T10:00:00Z", "description": "Out", "stage": "OutForDelivery"},
        {"time_utc": "2026-01-01T10:00:00Z", "description": "Arr", "stage": "InTransit_Arrival"},
        # The newest event has no stage: it is what latest_status says.
        {"time_utc": "2026-01-02T15:00:00Z", "description": "Handed over"},
    ]
    update = parse_track_info("N1", None, _info(("Delivered", "Delivered_Other"), events))
    assert [e.sub_status for e in update.events] == [
        SubStatus.IN_TRANSIT_ARRIVAL,
        SubStatus.OUT_FOR_DELIVERY_OTHER,
        SubStatus.DELIVERED_OTHER,
    ]


def test_unknown_codes_in_events_and_status_are_mapped_and_listed() -> None:
    events = [
        {"time_utc": "2026-01-01T10:00:00Z", "description": "x", "stage": "Exception_Damaged"},
        {"time_utc": "2026-01-01T11:00:00Z", "description": "y", "sub_status": "InTransit_Drone"},
    ]
    update = parse_track_info("N1", None, _info(("Warped", None), events))
    assert [e.sub_status for e in update.events] == [
        SubStatus.EXCEPTION_OTHER,
        SubStatus.IN_TRANSIT_OTHER,
    ]
    assert update.status is TrackingStatus.IN_TRANSIT
    assert update.unknown_codes == {"Exception_Damaged", "InTransit_Drone", "Warped"}


def test_malformed_items_are_skipped_not_fatal() -> None:
    events: list[Any] = [
        "not an object",
        {"time_utc": "yesterday", "description": "bad time"},
        {"time_utc": "2026-01-01T10:00:00", "description": "naive time, no zone"},
        {"time_iso": "2026-01-01T18:00:00+08:00", "description": "only iso", "stage": 7},
        {"description": "no time at all"},
    ]
    info = {"latest_status": "nonsense", "tracking": {"providers": [{"events": events}, None]}}
    update = parse_track_info("N1", None, info)
    assert [e.description for e in update.events] == ["only iso"]
    assert update.events[0].time == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert update.status is TrackingStatus.NOT_FOUND  # nothing readable about the number
    assert parse_track_info("N2", None, {}).events == ()


def test_envelopes_and_whole_call_errors() -> None:
    error = parse_envelope(
        b'{"code": -18010002, "data": {"errors": [{"code": -18010002, "message": "Invalid key."}]}}'
    )
    assert (error.code, error.message) == (-18010002, "Invalid key.")
    for bad in (b"<html>", b"[]", b'{"data": {}}', b'{"code": "0"}'):
        with pytest.raises(PayloadError):
            parse_envelope(bad)


def test_register_answer_counts_already_registered_as_accepted() -> None:
    data = {
        "accepted": [{"origin": 1, "number": "RR123456789CN", "carrier": 3011, "tag": None}],
        "rejected": [
            {"number": "RB1", "error": {"code": -18019901, "message": "already registered"}},
            {"number": "RB2", "error": {"code": -18019903, "message": "cannot detect"}},
            {"number": "RB3", "error": {"code": -18019908, "message": "quota"}},
            {"number": "RB4", "error": {"code": -18010018, "message": "need postcode"}},
            {"number": "RB5", "error": {"code": -12345, "message": "new"}},
            {"number": "RB6", "error": "garbage"},
        ],
    }
    outcome = parse_batch_outcome(data, registering=True)
    assert [(a.number, a.carrier, a.already_registered) for a in outcome.accepted] == [
        ("RR123456789CN", "3011", False),
        ("RB1", None, True),
    ]
    assert [(r.number, r.reason) for r in outcome.rejected] == [
        ("RB2", RejectionReason.CARRIER_NOT_DETECTED),
        ("RB3", RejectionReason.QUOTA_EXHAUSTED),
        ("RB4", RejectionReason.MISSING_DETAILS),
        ("RB5", RejectionReason.OTHER),
        ("RB6", RejectionReason.OTHER),
    ]
    # Outside register, "already registered" is what it says.
    assert parse_batch_outcome(data).rejected[0].number == "RB1"


def test_quota_answer() -> None:
    quota = parse_quota(
        {
            "quota_total": 200,
            "quota_used": 150,
            "quota_remain": 50,
            "today_used": 12,
            "max_track_daily": 0,
            "free_email_quota": 0,
            "free_email_quotaused": 0,
        }
    )
    assert (quota.total, quota.used, quota.remaining, quota.used_today) == (200, 150, 50, 12)
    assert quota.daily_limit is None and not quota.exhausted
    with pytest.raises(PayloadError):
        parse_quota({"quota_used": 1})


def test_request_bodies_and_carrier_codes() -> None:
    numbers = [
        TrackedNumber("RR123456789CN"),
        TrackedNumber("1Z999AA10123456784", carrier="ups"),
        TrackedNumber("LP00123456789012", carrier="190271"),
        TrackedNumber("X123456", carrier="some local courier"),  # unknown: auto-detect
    ]
    assert numbers_body(numbers) == [
        {"number": "RR123456789CN"},
        {"number": "1Z999AA10123456784", "carrier": 100002},
        {"number": "LP00123456789012", "carrier": 190271},
        {"number": "X123456"},
    ]
    assert carrier_code("DHL") == 100001 and carrier_code(None) is None
    assert carrier_code("１２３") is None  # full-width digits are not a carrier key
    assert change_carrier_body(TrackedNumber("N", "3011"), "cainiao") == [
        {"number": "N", "carrier_new": 190271, "carrier_old": 3011}
    ]
    with pytest.raises(ValueError, match="unknown"):
        change_carrier_body(TrackedNumber("N"), "pigeon")


def test_documented_push_payloads() -> None:
    updated = json.dumps(
        {
            "event": "TRACKING_UPDATED",
            "data": {
                "number": "RR123456789CN",
                "carrier": 3011,
                "tag": None,
                "track_info": GETTRACKINFO["data"]["accepted"][0]["track_info"],
            },
        }
    ).encode()
    message = parse_push(updated)
    assert message.event is PushEvent.TRACKING_UPDATED
    assert message.update is not None and message.update.status is TrackingStatus.DELIVERED
    assert len(message.update.events) == 5

    stopped = parse_push(
        b'{"event":"TRACKING_STOPPED","data":{"number":"RR123456789CN","carrier":3011,"tag":null}}'
    )
    assert stopped.stopped and stopped.carrier == "3011" and stopped.update is None
    for bad in (b"[1]", b'{"event":"TRACKING_UPDATED"}', b'{"event":"TRACKING_UPDATED","data":{}}'):
        with pytest.raises(PayloadError):
            parse_push(bad)
