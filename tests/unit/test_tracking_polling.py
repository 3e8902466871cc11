"""Adaptive poll interval, per-shipment error backoff, stale and wrong-number rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.logistics import ShippingMethod
from domain.tracking.polling import (
    PollPolicy,
    StaleRules,
    is_stale,
    next_poll_at,
    number_looks_wrong,
    poll_interval,
    retry_after_error,
)
from domain.tracking.statuses import SubStatus, TrackingStatus

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
NO_JITTER = PollPolicy(jitter=0)


def _interval(
    status: TrackingStatus, sub: SubStatus | None, *, quiet_for: timedelta = timedelta(hours=1)
) -> timedelta | None:
    return poll_interval(status, sub, now=NOW, last_event_at=NOW - quiet_for, policy=NO_JITTER)


def test_interval_follows_what_the_buyer_waits_for() -> None:
    out = _interval(TrackingStatus.OUT_FOR_DELIVERY, SubStatus.OUT_FOR_DELIVERY_OTHER)
    moving = _interval(TrackingStatus.IN_TRANSIT, SubStatus.IN_TRANSIT_ARRIVAL)
    at_sea = _interval(
        TrackingStatus.IN_TRANSIT, SubStatus.IN_TRANSIT_DEPARTURE, quiet_for=timedelta(days=6)
    )
    customs = _interval(
        TrackingStatus.IN_TRANSIT,
        SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING,
        quiet_for=timedelta(days=6),
    )
    assert out == timedelta(hours=1)
    assert moving == timedelta(hours=4)
    assert at_sea == timedelta(hours=12)
    assert customs == timedelta(hours=4)
    assert out is not None and moving is not None and at_sea is not None
    assert out < moving < at_sea
    assert _interval(TrackingStatus.DELIVERY_FAILURE, SubStatus.DELIVERY_FAILURE_NO_BODY) == (
        timedelta(hours=2)
    )
    assert _interval(TrackingStatus.NOT_FOUND, None) == timedelta(hours=6)
    assert _interval(TrackingStatus.EXCEPTION, SubStatus.EXCEPTION_LOST) == timedelta(hours=12)


@pytest.mark.parametrize(
    ("status", "sub"),
    [
        (TrackingStatus.DELIVERED, SubStatus.DELIVERED_OTHER),
        (TrackingStatus.EXPIRED, SubStatus.EXPIRED_OTHER),
        (TrackingStatus.EXCEPTION, SubStatus.EXCEPTION_RETURNED),
        (TrackingStatus.EXCEPTION, SubStatus.EXCEPTION_DESTROYED),
    ],
)
def test_nothing_more_to_learn_means_never_poll(status: TrackingStatus, sub: SubStatus) -> None:
    assert next_poll_at(status, sub, now=NOW, last_event_at=NOW) is None


def test_a_stopped_number_is_never_polled() -> None:
    assert (
        next_poll_at(
            TrackingStatus.IN_TRANSIT,
            SubStatus.IN_TRANSIT_OTHER,
            now=NOW,
            last_event_at=NOW,
            tracking_stopped=True,
        )
        is None
    )


def test_jitter_spreads_shipments_deterministically_within_bounds() -> None:
    times = {
        next_poll_at(
            TrackingStatus.IN_TRANSIT,
            SubStatus.IN_TRANSIT_OTHER,
            now=NOW,
            last_event_at=NOW,
            spread_key=shipment_id,
        )
        for shipment_id in range(50)
    }
    assert len(times) > 40  # spread, not one thundering second
    for moment in times:
        assert moment is not None
        assert NOW + timedelta(hours=3.6) <= moment <= NOW + timedelta(hours=4.4)
    again = next_poll_at(TrackingStatus.IN_TRANSIT, None, now=NOW, last_event_at=NOW, spread_key=7)
    assert again == next_poll_at(
        TrackingStatus.IN_TRANSIT, None, now=NOW, last_event_at=NOW, spread_key=7
    )


def test_push_fallback_polls_less() -> None:
    push = PollPolicy.push_fallback()
    assert push.in_transit > PollPolicy().in_transit
    assert push.out_for_delivery > PollPolicy().out_for_delivery


def test_errors_back_off_exponentially_to_a_cap() -> None:
    delays = [retry_after_error(n, now=NOW, policy=NO_JITTER) - NOW for n in range(1, 10)]
    assert delays[:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert delays[-1] == timedelta(hours=6)
    assert delays == sorted(delays)
    # A huge failure count must not overflow.
    assert retry_after_error(10_000, now=NOW, policy=NO_JITTER) == NOW + timedelta(hours=6)
    with pytest.raises(ValueError, match="from 1"):
        retry_after_error(0, now=NOW)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="jitter"):
        PollPolicy(jitter=1.5)
    with pytest.raises(ValueError, match="backoff"):
        PollPolicy(error_base=timedelta(hours=2), error_max=timedelta(hours=1))


def test_stale_depends_on_the_method() -> None:
    moving = (TrackingStatus.IN_TRANSIT, SubStatus.IN_TRANSIT_OTHER)
    five_days = NOW - timedelta(days=5)

    def stale(
        method: ShippingMethod, last: datetime | None, rules: StaleRules | None = None
    ) -> bool:
        return is_stale(method, *moving, last_event_at=last, now=NOW, rules=rules or StaleRules())

    assert stale(ShippingMethod.EXPRESS, five_days)
    assert not stale(ShippingMethod.LAND, five_days)
    assert not stale(ShippingMethod.SEA, five_days)
    assert stale(ShippingMethod.SEA, NOW - timedelta(days=15))
    # Delivered parcels and numbers without any event are not "stale".
    assert not is_stale(
        ShippingMethod.EXPRESS,
        TrackingStatus.DELIVERED,
        SubStatus.DELIVERED_OTHER,
        last_event_at=five_days,
        now=NOW,
    )
    assert not stale(ShippingMethod.EXPRESS, None)
    custom = StaleRules(stale_after={ShippingMethod.EXPRESS: timedelta(days=10)})
    assert not stale(ShippingMethod.EXPRESS, five_days, custom)


def test_no_information_seven_days_after_shipping_means_check_the_number() -> None:
    shipped = NOW - timedelta(days=7)
    assert number_looks_wrong(None, shipped_at=shipped, now=NOW)
    assert number_looks_wrong(TrackingStatus.NOT_FOUND, shipped_at=shipped, now=NOW)
    assert not number_looks_wrong(
        TrackingStatus.NOT_FOUND, shipped_at=shipped, now=NOW - timedelta(hours=1)
    )
    assert not number_looks_wrong(TrackingStatus.INFO_RECEIVED, shipped_at=shipped, now=NOW)
