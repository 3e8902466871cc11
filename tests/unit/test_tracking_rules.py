"""Pure rules of the tracking pipeline: link guessing, the order following its parcel, the
provider-wide circuit breaker, and dates and places written for the reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.buyer_links import LinkGuard
from domain.model import OrderStatus
from domain.services import tracking
from domain.tracking import SubStatus, TrackingStatus
from notifications.tracking.poller import CircuitBreaker
from templates import Renderer

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_eleventh_bad_link_within_a_minute_is_refused_for_a_while() -> None:
    guard = LinkGuard()
    ten = [T0 + timedelta(seconds=5 * i) for i in range(10)]
    assert not guard.blocked(ten[:9], T0 + timedelta(seconds=50))
    assert guard.blocked(ten, T0 + timedelta(seconds=50))
    # Ten spread over more than a minute are not guessing.
    slow = [T0 + timedelta(seconds=7 * i) for i in range(10)]
    assert not guard.blocked(slow, T0 + timedelta(minutes=2))
    # The block lasts ten minutes from the tenth refusal.
    assert guard.blocked(ten, ten[-1] + timedelta(minutes=9, seconds=59))
    assert not guard.blocked(ten, ten[-1] + timedelta(minutes=10))


@pytest.mark.parametrize(
    ("sub", "expected"),
    [
        (SubStatus.DELIVERED_OTHER, OrderStatus.DELIVERED),
        (SubStatus.EXCEPTION_RETURNED, OrderStatus.RETURNED_TO_SENDER),
        (SubStatus.EXCEPTION_LOST, OrderStatus.LOST),
        (SubStatus.EXCEPTION_DESTROYED, OrderStatus.LOST),
        (SubStatus.EXCEPTION_RETURNING, OrderStatus.IN_TROUBLE),
        (SubStatus.EXCEPTION_DELAYED, OrderStatus.IN_TROUBLE),
        (SubStatus.IN_TRANSIT_ARRIVAL, OrderStatus.SHIPPED),
        (SubStatus.DELIVERY_FAILURE_NO_BODY, OrderStatus.SHIPPED),
        (SubStatus.INFO_RECEIVED, None),
        (SubStatus.NOT_FOUND_OTHER, None),
        (SubStatus.EXPIRED_OTHER, None),
    ],
)
def test_the_order_follows_its_parcel(sub: SubStatus, expected: OrderStatus | None) -> None:
    assert tracking.order_status_for(sub.status, sub) is expected


def test_order_transitions_are_guarded() -> None:
    from domain.errors import ConflictError
    from domain.model import Order

    order = Order(status=OrderStatus.SHIPPED)
    order.mark_in_trouble()
    order.mark_lost()
    order.mark_delivered(T0)
    assert order.status is OrderStatus.DELIVERED
    with pytest.raises(ConflictError):
        order.mark_lost()
    with pytest.raises(ConflictError):
        Order(status=OrderStatus.CONFIRMED).mark_returned_to_sender(T0)


def test_the_breaker_opens_after_failures_and_probes_after_a_growing_cooldown() -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown=timedelta(minutes=2))
    for _ in range(2):
        breaker.record_failure(T0)
    assert breaker.allows(T0) and not breaker.is_open
    breaker.record_failure(T0)
    assert not breaker.allows(T0 + timedelta(minutes=1))
    assert breaker.allows(T0 + timedelta(minutes=2))  # half-open: one probe
    breaker.record_failure(T0 + timedelta(minutes=2))  # the probe failed: four minutes now
    assert not breaker.allows(T0 + timedelta(minutes=5))
    assert breaker.allows(T0 + timedelta(minutes=6))
    breaker.record_success()
    assert breaker.allows(T0) and not breaker.is_open and breaker.failures == 0


def test_dates_and_places_are_written_for_the_reader() -> None:
    renderer = Renderer()
    moment = "2026-11-25T21:30:00+00:00"
    assert renderer.local_datetime(moment, "Europe/Moscow", "ru") == "26 нояб. 00:30"
    assert renderer.local_datetime(moment, "Europe/Paris", "fr") == "25 nov. 22:30"
    assert renderer.local_datetime(moment, "No/Such_Zone", "es") == "25 nov 21:30"
    assert renderer.place("Lyon, FR", "fr") == "Lyon, France"
    assert renderer.place("Pickup point, Lyon, FR", "ru") == "Pickup point, Lyon, Франция"
    assert renderer.place("Shenzhen", "zh_Hans") == "Shenzhen"
    assert renderer.place("Sorting hub XX", "en") == "Sorting hub XX"
    assert renderer.days_window("2026-12-01", "2026-12-03", "zh_Hans") == "12月1日至3日"
    assert (
        renderer.tracking_label(
            TrackingStatus.IN_TRANSIT.value, SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING.value, "en"
        )
        == "🛃 At customs"
    )
    assert renderer.tracking_label("InTransit", "InTransit_Other", "en") == "🚚 On its way"
