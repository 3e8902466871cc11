"""`TrackingEvent`, its provider key, and the provider-neutral update types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.logistics import ShippingMethod
from domain.tracking.events import (
    MAX_DESCRIPTION_LENGTH,
    TrackingEvent,
    derive_event_key,
    latest_event,
    ordered_unique,
)
from domain.tracking.statuses import SubStatus, TrackingStatus
from domain.tracking.updates import (
    Quota,
    Rejection,
    RejectionReason,
    ShipmentContext,
    TrackingUpdate,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _event(minutes: int, description: str = "Arrived at hub", key: str = "") -> TrackingEvent:
    return TrackingEvent(
        time=T0 + timedelta(minutes=minutes),
        status=TrackingStatus.IN_TRANSIT,
        sub_status=SubStatus.IN_TRANSIT_OTHER,
        description=description,
        location="Shenzhen",
        key=key,
    )


def test_time_must_be_aware_and_is_stored_in_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TrackingEvent(
            time=datetime(2026, 3, 1, 12, 0),  # naive on purpose
            status=TrackingStatus.DELIVERED,
            sub_status=SubStatus.DELIVERED_OTHER,
        )
    beijing = timezone(timedelta(hours=8))
    event = TrackingEvent(
        time=datetime(2026, 3, 1, 20, 0, tzinfo=beijing),
        status=TrackingStatus.DELIVERED,
        sub_status=SubStatus.DELIVERED_OTHER,
    )
    assert event.time == T0
    assert event.time.tzinfo is UTC


def test_sub_status_must_belong_to_status() -> None:
    with pytest.raises(ValueError, match="not a sub-status"):
        TrackingEvent(time=T0, status=TrackingStatus.DELIVERED, sub_status=SubStatus.INFO_RECEIVED)


def test_derived_key_is_stable_across_channels_and_spacing() -> None:
    # A push (carrier-local offset) and a poll (UTC) of the same scan get the same key.
    pushed = TrackingEvent(
        time=datetime(2026, 3, 1, 20, 0, tzinfo=timezone(timedelta(hours=8))),
        status=TrackingStatus.IN_TRANSIT,
        sub_status=SubStatus.IN_TRANSIT_ARRIVAL,
        description="Arrived  at destination",
        location="PARIS",
    )
    polled = TrackingEvent(
        time=T0,
        status=TrackingStatus.IN_TRANSIT,
        # Re-classified by the provider later: still the same scan.
        sub_status=SubStatus.IN_TRANSIT_OTHER,
        description="Arrived at destination",
        location="Paris",
    )
    assert pushed.key == polled.key == derive_event_key(T0, "arrived at destination", "paris")
    assert _event(0).key != _event(1).key
    assert _event(0, key="carrier-id-7").key == "carrier-id-7"


def test_provider_text_is_cleaned_and_bounded() -> None:
    event = TrackingEvent(
        time=T0,
        status=TrackingStatus.IN_TRANSIT,
        sub_status=SubStatus.IN_TRANSIT_OTHER,
        description="Line\x00one\r\n\tline two " + "x" * 2000,
        location="  Wien\u200b ",
    )
    assert event.description.startswith("Line one line two x")
    assert len(event.description) == MAX_DESCRIPTION_LENGTH
    assert event.location == "Wien"


def test_ordered_unique_sorts_and_drops_repeated_keys() -> None:
    first, second, third = _event(0), _event(10), _event(20)
    again = _event(10)  # the same scan reported a second time
    assert ordered_unique([third, first, second, again, first]) == (first, second, third)
    assert latest_event([second, third, first]) == third
    assert latest_event([]) is None


def test_update_and_outcome_types_validate_and_classify() -> None:
    with pytest.raises(ValueError, match="not a sub-status"):
        TrackingUpdate(
            number="RB123456785GB",
            carrier=None,
            status=TrackingStatus.IN_TRANSIT,
            sub_status=SubStatus.DELIVERED_OTHER,
        )
    with pytest.raises(ValueError, match="both"):
        ShipmentContext(ShippingMethod.SEA, T0, transit_min_days=30)
    with pytest.raises(ValueError, match="aware"):
        ShipmentContext(ShippingMethod.SEA, datetime(2026, 1, 1))  # naive on purpose

    fix = Rejection("X1", RejectionReason.CARRIER_NOT_DETECTED, "-18019903")
    later = Rejection("X2", RejectionReason.QUOTA_EXHAUSTED, "-18019908")
    assert fix.seller_can_fix and not fix.try_again_later
    assert later.try_again_later and not later.seller_can_fix

    assert Quota(total=100, used=100, remaining=0).exhausted
    assert Quota(total=100, used=10, remaining=90, used_today=5, daily_limit=5).exhausted
    assert not Quota(total=100, used=10, remaining=90, used_today=4, daily_limit=5).exhausted
