"""When to ask the provider about a shipment again, and when a shipment needs the seller's eye.

Push is the primary channel; polling catches up. The interval follows what the buyer is waiting
for: a parcel out for delivery changes within hours, one crossing an ocean with no news for days
changes rarely, and one delivered, expired, returned or no longer tracked never changes again
(`None`: stop polling). After a failed call the shipment backs off exponentially on its own,
so one bad number does not cost a poll every tick.

Every interval is spread by up to ±`jitter` with a spread key (the shipment id): shipments
registered in one batch would otherwise come due in the same second, forever.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from domain.logistics import ShippingMethod
from domain.tracking.statuses import SubStatus, TrackingStatus, is_final

__all__ = [
    "CUSTOMS_HOLD_SUB_STATUSES",
    "PollPolicy",
    "StaleRules",
    "is_stale",
    "next_poll_at",
    "number_looks_wrong",
    "poll_interval",
    "retry_after_error",
]

CUSTOMS_HOLD_SUB_STATUSES: frozenset[SubStatus] = frozenset(
    {
        SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING,
        SubStatus.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION,
    }
)


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Intervals between two polls of one shipment, by what it is waiting for."""

    out_for_delivery: timedelta = timedelta(hours=1)
    delivery_failure: timedelta = timedelta(hours=2)
    available_for_pickup: timedelta = timedelta(hours=6)
    customs_hold: timedelta = timedelta(hours=4)
    in_transit: timedelta = timedelta(hours=4)
    # In transit with no event for this long: the parcel is on a ship or a long haul.
    long_quiet_after: timedelta = timedelta(days=3)
    long_in_transit: timedelta = timedelta(hours=12)
    not_found: timedelta = timedelta(hours=6)
    exception: timedelta = timedelta(hours=12)
    error_base: timedelta = timedelta(minutes=5)
    error_max: timedelta = timedelta(hours=6)
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")
        if self.error_base <= timedelta(0) or self.error_max < self.error_base:
            raise ValueError("error backoff needs 0 < error_base <= error_max")

    @classmethod
    def push_fallback(cls) -> PollPolicy:
        """Intervals for when 17TRACK pushes updates (every 3-12 h): polls only catch up."""
        return cls(
            out_for_delivery=timedelta(hours=3),
            delivery_failure=timedelta(hours=6),
            available_for_pickup=timedelta(hours=12),
            customs_hold=timedelta(hours=12),
            in_transit=timedelta(hours=12),
            long_in_transit=timedelta(hours=24),
            not_found=timedelta(hours=12),
            exception=timedelta(hours=24),
        )


def _spread(interval: timedelta, jitter: float, spread_key: object) -> timedelta:
    if spread_key is None or jitter == 0:
        return interval
    fraction = zlib.crc32(str(spread_key).encode("utf-8")) / 0xFFFFFFFF  # 0..1
    return interval * (1 + jitter * (2 * fraction - 1))


def poll_interval(
    status: TrackingStatus,
    sub_status: SubStatus | None,
    *,
    now: datetime,
    last_event_at: datetime | None,
    policy: PollPolicy = PollPolicy(),
) -> timedelta | None:
    """The time to the next poll for a shipment in this state, or None: never poll again."""
    if is_final(status, sub_status):
        return None
    if status is TrackingStatus.OUT_FOR_DELIVERY:
        return policy.out_for_delivery
    if status is TrackingStatus.DELIVERY_FAILURE:
        return policy.delivery_failure
    if status is TrackingStatus.AVAILABLE_FOR_PICKUP:
        return policy.available_for_pickup
    if status is TrackingStatus.EXCEPTION:
        return policy.exception
    if status is TrackingStatus.NOT_FOUND:
        return policy.not_found
    if sub_status in CUSTOMS_HOLD_SUB_STATUSES:
        return policy.customs_hold
    if last_event_at is not None and now - last_event_at >= policy.long_quiet_after:
        return policy.long_in_transit
    return policy.in_transit


def next_poll_at(
    status: TrackingStatus,
    sub_status: SubStatus | None,
    *,
    now: datetime,
    last_event_at: datetime | None,
    tracking_stopped: bool = False,
    policy: PollPolicy = PollPolicy(),
    spread_key: object = None,
) -> datetime | None:
    """When to poll next (the shipment's ``next_poll_at``), or None once nothing can change."""
    if tracking_stopped:
        return None
    interval = poll_interval(
        status, sub_status, now=now, last_event_at=last_event_at, policy=policy
    )
    if interval is None:
        return None
    return now + _spread(interval, policy.jitter, spread_key)


def retry_after_error(
    consecutive_failures: int,
    *,
    now: datetime,
    policy: PollPolicy = PollPolicy(),
    spread_key: object = None,
) -> datetime:
    """When to try a shipment again after its `consecutive_failures`-th failed poll in a row."""
    if consecutive_failures < 1:
        raise ValueError("consecutive_failures counts from 1")
    # Doubling stops at the cap, so a huge failure count costs a few steps and cannot overflow.
    delay = policy.error_base
    for _ in range(consecutive_failures - 1):
        if delay >= policy.error_max:
            break
        delay *= 2
    delay = min(delay, policy.error_max)
    return now + _spread(delay, policy.jitter, spread_key)


def _default_stale_after() -> Mapping[ShippingMethod, timedelta]:
    return MappingProxyType(
        {
            ShippingMethod.EXPRESS: timedelta(days=4),
            ShippingMethod.LAND: timedelta(days=7),
            ShippingMethod.SEA: timedelta(days=14),
        }
    )


@dataclass(frozen=True, slots=True)
class StaleRules:
    """When the seller is alerted: no event for N days per method; no information after N days."""

    stale_after: Mapping[ShippingMethod, timedelta] = field(default_factory=_default_stale_after)
    # A number that shows nothing this long after shipping is probably mistyped.
    not_found_after: timedelta = timedelta(days=7)


def is_stale(
    method: ShippingMethod,
    status: TrackingStatus,
    sub_status: SubStatus | None,
    *,
    last_event_at: datetime | None,
    now: datetime,
    rules: StaleRules = StaleRules(),
) -> bool:
    """A moving shipment with no event for longer than its method allows."""
    if last_event_at is None or is_final(status, sub_status):
        return False
    if status is TrackingStatus.NOT_FOUND:
        return False  # that is `number_looks_wrong`'s alert, not this one
    limit = rules.stale_after.get(method)
    return limit is not None and now - last_event_at > limit


def number_looks_wrong(
    status: TrackingStatus | None,
    *,
    shipped_at: datetime,
    now: datetime,
    rules: StaleRules = StaleRules(),
) -> bool:
    """Still no information `not_found_after` shipping: the tracking number may be wrong."""
    if status not in (None, TrackingStatus.NOT_FOUND):
        return False
    return now - shipped_at >= rules.not_found_after
