"""Estimated delivery date: the lane's range, replaced by the provider's, moves worth telling."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.tracking.delivery_estimate import (
    DeliveryEstimate,
    EstimateSource,
    current_estimate,
    estimate_change,
    estimate_from_transit,
)

SHIPPED = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)


def test_lane_estimate_counts_from_the_ship_day_where_the_buyer_lives() -> None:
    in_utc = estimate_from_transit(SHIPPED, 5, 10)
    assert (in_utc.earliest, in_utc.latest) == (date(2026, 5, 9), date(2026, 5, 14))
    assert in_utc.source is EstimateSource.LANE
    # Already 5 May in Moscow when the parcel left.
    in_moscow = estimate_from_transit(SHIPPED, 5, 10, tz=ZoneInfo("Europe/Moscow"))
    assert (in_moscow.earliest, in_moscow.latest) == (date(2026, 5, 10), date(2026, 5, 15))
    with pytest.raises(ValueError, match="min <= max"):
        estimate_from_transit(SHIPPED, 10, 5)
    with pytest.raises(ValueError, match="earliest"):
        DeliveryEstimate(date(2026, 5, 2), date(2026, 5, 1), EstimateSource.LANE)


def test_the_providers_estimate_replaces_the_lanes() -> None:
    lane = estimate_from_transit(SHIPPED, 35, 50)
    provider = DeliveryEstimate(date(2026, 6, 12), date(2026, 6, 13), EstimateSource.PROVIDER)
    assert current_estimate(lane, provider) is provider
    assert current_estimate(lane, None) is lane
    assert current_estimate(None, None) is None


def _window(latest_day: int, earliest_day: int | None = None) -> DeliveryEstimate:
    earliest = date(2026, 6, earliest_day or latest_day)
    return DeliveryEstimate(earliest, date(2026, 6, latest_day), EstimateSource.PROVIDER)


@pytest.mark.parametrize(
    ("before", "after", "days", "told"),
    [
        (20, 20, 0, False),
        (20, 21, 1, False),  # a day is within what "by" promises
        (20, 19, -1, False),
        (20, 22, 2, True),  # later by more than a day
        (20, 17, -3, True),  # earlier: good news is news too
    ],
)
def test_moved_by_more_than_a_day(before: int, after: int, days: int, told: bool) -> None:
    change = estimate_change(_window(before), _window(after))
    assert (change is not None) is told
    if change is not None:
        assert change.days_moved == days


def test_narrowing_the_window_or_a_first_estimate_is_not_news() -> None:
    assert estimate_change(_window(20, 10), _window(20, 18)) is None
    assert estimate_change(None, _window(20)) is None
    assert estimate_change(_window(20), None) is None
    lane = estimate_from_transit(datetime(2026, 5, 1, 10, 0, tzinfo=UTC), 35, 50)  # by 20 June
    change = estimate_change(lane, _window(12))
    assert change is not None and change.days_moved == -8
