"""The estimated delivery date a buyer is shown, and when a change to it is worth telling them.

At shipping the estimate comes from the lane's transit range (the rate card's
``transit_days: [min, max]`` for the method and destination): the ship date in the buyer's time
zone plus min and max days. As soon as the provider gives an estimate of its own (17TRACK's
``time_metrics.estimated_delivery_date``), that one replaces the lane's: the carrier knows where
the parcel is. The buyer hears about a new estimate only when its last day — the date we promise
"by" — moves by more than a day, earlier or later; narrowing the window is not news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum

__all__ = [
    "DeliveryEstimate",
    "EstimateChange",
    "EstimateSource",
    "current_estimate",
    "estimate_change",
    "estimate_from_transit",
]


class EstimateSource(StrEnum):
    LANE = "lane"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class DeliveryEstimate:
    """A delivery window in whole days (inclusive), and where it came from."""

    earliest: date
    latest: date
    source: EstimateSource

    def __post_init__(self) -> None:
        if self.earliest > self.latest:
            raise ValueError("an estimate's earliest day must not come after its latest")


def estimate_from_transit(
    shipped_at: datetime, min_days: int, max_days: int, *, tz: tzinfo = UTC
) -> DeliveryEstimate:
    """The lane's window: the ship date where the buyer lives, plus the transit days."""
    if shipped_at.tzinfo is None:
        raise ValueError("shipped_at must be timezone-aware")
    if not 0 <= min_days <= max_days:
        raise ValueError("transit days need 0 <= min <= max")
    ship_day = shipped_at.astimezone(tz).date()
    return DeliveryEstimate(
        earliest=ship_day + timedelta(days=min_days),
        latest=ship_day + timedelta(days=max_days),
        source=EstimateSource.LANE,
    )


def current_estimate(
    lane: DeliveryEstimate | None, provider: DeliveryEstimate | None
) -> DeliveryEstimate | None:
    """The estimate to show: the provider's when it has one, else the lane's."""
    return provider if provider is not None else lane


@dataclass(frozen=True, slots=True)
class EstimateChange:
    previous: DeliveryEstimate
    current: DeliveryEstimate

    @property
    def days_moved(self) -> int:
        """How far the promised ("by") day moved: positive later, negative earlier."""
        return (self.current.latest - self.previous.latest).days

    @property
    def worth_telling(self) -> bool:
        """True when the promised day moved by more than a day."""
        return abs(self.days_moved) > 1


def estimate_change(
    previous: DeliveryEstimate | None, current: DeliveryEstimate | None
) -> EstimateChange | None:
    """The change from `previous` to `current` when the buyer should hear about it, else None.

    No previous estimate means there is nothing to correct: the first estimate is shown with
    the order, not announced as a change.
    """
    if previous is None or current is None:
        return None
    change = EstimateChange(previous, current)
    return change if change.worth_telling else None
