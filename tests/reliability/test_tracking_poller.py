"""The poller's reliability on SQLite and PostgreSQL: claims with a lease shared by workers,
registration in batches of 40, per-shipment backoff, the provider-wide circuit breaker and the
catch-up after an outage, stopping delivered numbers, seller alerts for silent parcels, unknown
codes logged once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

import pytest

from domain.model import OrderStatus
from domain.tracking import FetchOutcome, RejectionReason, SubStatus, TrackedNumber
from notifications.tracking.poller import CircuitBreaker, TrackingPoller
from tests.conftest import FixedClock
from tests.tracking_fixtures import (
    ScriptedProvider,
    Store,
    UowFactory,
    event,
    event_rows,
    notifications_to,
    s10,
    shipment_row,
    update,
)

SELLER = 6301
S = SubStatus


async def _ship_many(uow_factory: UowFactory, count: int, prefix: str = "RB") -> list[int]:
    store = await Store(uow_factory, SELLER).open()
    ids = []
    for index in range(count):
        shipped = await store.ship(f"AE-{index}", s10(prefix, 10_000_000 + index))
        ids.append(shipped.shipment_id)
    return ids


async def test_two_workers_never_claim_the_same_shipment_and_leases_expire(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship_many(uow_factory, 6)
    lease = timedelta(minutes=5)

    async def claim() -> list[int]:
        async with uow_factory() as uow:
            claimed = await uow.tracking.claim_due(clock.now, lease, 4)
            await asyncio.sleep(0.05)  # hold the transaction while the other worker claims
            await uow.commit()
            return [due.id for due in claimed]

    first, second = await asyncio.gather(claim(), claim())
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(ids)
    # Leased: nobody gets them again until the lease runs out (a crashed worker).
    assert await claim() == []
    clock.advance(minutes=6)
    assert sorted(await claim() + await claim()) == sorted(ids)


async def test_workers_of_one_tick_share_the_queue_without_doing_anything_twice(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship_many(uow_factory, 130)
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock, batch_size=30, workers=3)
    await poller.tick()  # registered and fetched
    clock.advance(hours=13)
    for shipment_id in ids:
        shipment = await shipment_row(uow_factory, shipment_id)
        assert shipment.tracking_number is not None
        provider.updates[shipment.tracking_number] = update(
            shipment.tracking_number, [event(clock.now, S.IN_TRANSIT_PICKED_UP, "Picked up")]
        )
    calls = len(provider.calls)

    result = await poller.tick()

    fetched = [number for _, numbers in provider.calls[calls:] for number in numbers]
    assert result.fetched == 130 and len(fetched) == len(set(fetched)) == 130
    for shipment_id in ids:
        shipment = await shipment_row(uow_factory, shipment_id)
        assert shipment.tracking_status == "InTransit" and shipment.lease_until is None
        assert shipment.next_poll_at is not None and shipment.next_poll_at > clock.now
        assert [row.description for row in await event_rows(uow_factory, shipment_id)] == [
            "Picked up"
        ]


async def test_new_numbers_are_registered_in_batches_of_forty(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    await _ship_many(uow_factory, 45)
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)

    result = await poller.tick()

    assert [len(call) for call in provider.endpoint_calls("register")] == [40, 5]
    assert result.registered == 45 and result.fetched == 45
    assert provider.endpoint_calls("register")[0] == provider.endpoint_calls("fetch")[0]


async def test_a_failing_number_backs_off_alone(uow_factory: UowFactory, clock: FixedClock) -> None:
    ids = await _ship_many(uow_factory, 3)
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    await poller.tick()  # registered and fetched
    bad = (await shipment_row(uow_factory, ids[1])).tracking_number
    assert bad is not None
    provider.refuse[bad] = RejectionReason.PROVIDER_ERROR
    delays = []
    for _ in range(3):
        clock.advance(hours=13)
        await poller.tick()
        shipment = await shipment_row(uow_factory, ids[1])
        assert shipment.next_poll_at is not None
        delays.append(shipment.next_poll_at - clock.now)
    assert [round(d / timedelta(minutes=5)) for d in delays] == [1, 2, 4]
    assert (await shipment_row(uow_factory, ids[1])).poll_failures == 3
    for other in (ids[0], ids[2]):
        assert (await shipment_row(uow_factory, other)).poll_failures == 0


async def test_a_number_the_seller_must_fix_alerts_them_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship_many(uow_factory, 1)
    number = (await shipment_row(uow_factory, ids[0])).tracking_number
    assert number is not None
    provider = ScriptedProvider(refuse={number: RejectionReason.INVALID_NUMBER})
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    for _ in range(3):
        await poller.tick()
        clock.advance(hours=7)
    alerts = [
        r.params
        for r in await notifications_to(uow_factory, SELLER)
        if r.template == "tracking.seller_alert"
    ]
    assert [(a["alert"], a["reason"]) for a in alerts] == [("number_refused", "invalid_number")]


async def test_an_outage_opens_the_breaker_and_the_backlog_is_caught_up_after(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship_many(uow_factory, 50)
    provider = ScriptedProvider()
    breaker = CircuitBreaker(failure_threshold=2, cooldown=timedelta(minutes=10))
    # One claim at a time: on PostgreSQL two workers may split the 50 between two claims, and
    # their two failed calls would open the breaker within the first tick.
    poller = TrackingPoller(uow_factory, provider, clock=clock, breaker=breaker, workers=1)
    await poller.tick()
    clock.advance(hours=13)  # everything is due again
    due_before = {i: (await shipment_row(uow_factory, i)).next_poll_at for i in ids}

    provider.outage = True
    first = await poller.tick()
    second = await poller.tick()
    # A failed call hands back the whole claim (all 50: a claim takes up to 200).
    assert first.released == 50 and second.released == 50
    assert breaker.is_open
    calls = len(provider.calls)
    skipped = await poller.tick()
    assert skipped.skipped_by_breaker and len(provider.calls) == calls
    # Nothing was lost or pushed back: every shipment is still due, unleased.
    for shipment_id in ids:
        shipment = await shipment_row(uow_factory, shipment_id)
        assert shipment.next_poll_at == due_before[shipment_id]
        assert shipment.lease_until is None and shipment.poll_failures == 0

    provider.outage = False
    clock.advance(minutes=11)
    caught_up = await poller.tick()
    assert caught_up.fetched == 50
    assert not breaker.is_open
    for shipment_id in ids:
        assert (await shipment_row(uow_factory, shipment_id)).next_poll_at > clock.now  # type: ignore[operator]


async def test_an_outage_in_the_middle_of_a_claim_keeps_what_came_back_before_it(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship_many(uow_factory, 45)
    provider = ScriptedProvider()
    # One claim holds all 45 (two workers on PostgreSQL may split them between two claims).
    poller = TrackingPoller(uow_factory, provider, clock=clock, workers=1)
    await poller.tick()  # registered and fetched
    clock.advance(hours=13)
    for shipment_id in ids:
        shipment = await shipment_row(uow_factory, shipment_id)
        assert shipment.tracking_number is not None
        provider.updates[shipment.tracking_number] = update(
            shipment.tracking_number, [event(clock.now, S.IN_TRANSIT_PICKED_UP, "Picked up")]
        )
    fetch = provider.fetch

    async def second_call_fails(numbers: Sequence[TrackedNumber]) -> FetchOutcome:
        if len(provider.endpoint_calls("fetch")) == 3:  # the claim's second call this tick
            provider.outage = True
        try:
            return await fetch(numbers)
        finally:
            provider.outage = False

    provider.fetch = second_call_fails  # type: ignore[method-assign]
    result = await poller.tick()

    # One claim of 45, called 40 then 5: the first call's reports are recorded, the 5 of
    # the failed call are handed back still due.
    assert [len(call) for call in provider.endpoint_calls("fetch")[2:]] == [40, 5]
    assert result.fetched == 40 and result.released == 5
    rows = [await shipment_row(uow_factory, shipment_id) for shipment_id in ids]
    assert all(row.lease_until is None for row in rows)
    recorded = [row for row in rows if row.tracking_status == "InTransit"]
    waiting = [
        row for row in rows if row.next_poll_at is not None and row.next_poll_at <= clock.now
    ]
    assert len(recorded) == 40 and len(waiting) == 5
    assert {row.id for row in waiting}.isdisjoint(row.id for row in recorded)


async def test_delivered_numbers_are_stopped_and_never_polled_again(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship_many(uow_factory, 1)
    shipment = await shipment_row(uow_factory, ids[0])
    number = shipment.tracking_number
    assert number is not None
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    await poller.tick()
    provider.updates[number] = update(
        number,
        [
            event(clock.now, S.IN_TRANSIT_PICKED_UP),
            event(clock.now + timedelta(hours=1), S.DELIVERED_OTHER),
        ],
    )
    clock.advance(hours=13)
    await poller.tick()  # fetched: delivered; stopped in the next tick
    await poller.tick()
    assert provider.endpoint_calls("stop") == [(number,)]
    stopped = await shipment_row(uow_factory, ids[0])
    assert stopped.tracking_stopped_at is not None and stopped.next_poll_at is None
    clock.advance(days=3)
    calls = len(provider.calls)
    await poller.tick()
    assert len(provider.calls) == calls
    async with uow_factory() as uow:
        order = await uow.orders.get(stopped.order_id)
        assert order is not None and order.status == OrderStatus.DELIVERED


async def test_silent_parcels_and_numbers_showing_nothing_alert_the_seller_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    ids = await _ship_many(uow_factory, 2)
    moving = await shipment_row(uow_factory, ids[0])
    assert moving.tracking_number is not None
    provider = ScriptedProvider()
    provider.updates[moving.tracking_number] = update(
        moving.tracking_number, [event(clock.now, S.IN_TRANSIT_PICKED_UP, "Picked up")]
    )
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    for _ in range(16):  # eight days, a tick every 12 hours
        await poller.tick()
        clock.advance(hours=12)
    alerts = [
        (r.params["alert"], r.params["order_number"], r.params["days"])
        for r in await notifications_to(uow_factory, SELLER)
        if r.template == "tracking.seller_alert"
    ]
    # Express: no event for more than 4 days; the other number: nothing at all after 7 days.
    assert sorted(alerts) == [("no_info", "AE-1", 7), ("stale", "AE-0", 4)]


async def test_a_parcel_declared_lost_raises_no_silence_alert_afterwards(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """The seller was told the parcel is lost (and can ship again or refund): its silence
    since is no news, so no "no tracking news" alert follows."""
    [shipment_id] = await _ship_many(uow_factory, 1)
    lost = await shipment_row(uow_factory, shipment_id)
    assert lost.tracking_number is not None
    provider = ScriptedProvider()
    provider.updates[lost.tracking_number] = update(
        lost.tracking_number,
        [
            event(clock.now, S.IN_TRANSIT_PICKED_UP, "Picked up"),
            event(clock.now + timedelta(hours=1), S.EXCEPTION_LOST, "Lost"),
        ],
    )
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    for _ in range(16):  # eight days, a tick every 12 hours
        await poller.tick()
        clock.advance(hours=12)
    alerts = [
        r.params["alert"]
        for r in await notifications_to(uow_factory, SELLER)
        if r.template == "tracking.seller_alert"
    ]
    assert "stale" not in alerts
    async with uow_factory() as uow:
        order = await uow.orders.get(lost.order_id)
        assert order is not None and order.status == OrderStatus.LOST


async def test_unknown_codes_are_logged_once(
    uow_factory: UowFactory, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await _ship_many(uow_factory, 1)
    number = (await shipment_row(uow_factory, ids[0])).tracking_number
    assert number is not None
    provider = ScriptedProvider()
    provider.updates[number] = update(
        number,
        [event(clock.now, S.IN_TRANSIT_OTHER)],
        unknown_codes=frozenset({"InTransit_Teleported"}),
    )
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    with caplog.at_level(logging.WARNING, logger="notifications.tracking.poller"):
        for _ in range(3):
            await poller.tick()
            clock.advance(hours=13)
    logged = [r for r in caplog.records if "InTransit_Teleported" in r.getMessage()]
    assert len(logged) == 1
