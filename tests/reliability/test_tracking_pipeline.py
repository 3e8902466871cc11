"""The tracking pipeline on a real database (SQLite and PostgreSQL): events stored once, the
buyer told once per change (after a restart, after a push and a poll of the same event), quiet
hours with merging, the estimate, adaptive polling wired, the order following its parcel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import ConflictError
from domain.model import NotificationStatus, OrderStatus
from domain.services import buyers, tracking
from domain.services.orders import lists, redelivery
from domain.tracking import DeliveryEstimate, EstimateSource, SubStatus
from notifications.tracking.poller import TrackingPoller
from notifications.tracking.seventeen_track_push import PushEvent, PushMessage
from tests.conftest import FixedClock
from tests.tracking_fixtures import (
    ScriptedProvider,
    Store,
    UowFactory,
    event,
    event_rows,
    kinds,
    notifications_to,
    s10,
    shipment_row,
    update,
)

SELLER, BUYER = 6101, 6201
S = SubStatus


async def _shipped_and_bound(
    uow_factory: UowFactory, number: str = "AE-1", tracking: str | None = None, country: str = "FR"
):  # type: ignore[no-untyped-def]
    store = await Store(uow_factory, SELLER).open()
    shipped = await store.ship(number, tracking or s10("RB", 12345678), country=country)
    async with uow_factory() as uow:
        await uow.users.touch(BUYER, "fr", uow.now())
        outcome = await buyers.open_link(shipped.token, BUYER, uow)
        assert outcome.bound_now
        await uow.commit()
    return shipped


def _poller(
    uow_factory: UowFactory, provider: ScriptedProvider, clock: FixedClock
) -> TrackingPoller:
    return TrackingPoller(uow_factory, provider, clock=clock)


async def test_a_poll_registers_fetches_records_and_tells_the_buyer_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    # 14:00 in Paris: no quiet hours.
    shipped = await _shipped_and_bound(uow_factory)
    provider = ScriptedProvider()
    t0 = clock.now
    provider.updates[shipped.tracking_number] = update(
        shipped.tracking_number,
        [
            event(t0 + timedelta(minutes=1), S.INFO_RECEIVED, "Info", "Shenzhen, CN"),
            event(t0 + timedelta(minutes=2), S.IN_TRANSIT_PICKED_UP, "Picked up", "Shenzhen, CN"),
        ],
    )
    clock.advance(minutes=5)
    poller = _poller(uow_factory, provider, clock)

    result = await poller.tick()

    assert provider.endpoint_calls("register") == [(shipped.tracking_number,)]
    assert provider.endpoint_calls("fetch") == [(shipped.tracking_number,)]
    assert result.registered == 1 and result.fetched == 1
    shipment = await shipment_row(uow_factory, shipped.shipment_id)
    assert shipment.tracking_status == "InTransit"
    assert shipment.registered_at is not None and shipment.lease_until is None
    assert len(await event_rows(uow_factory, shipped.shipment_id)) == 2
    sent = await notifications_to(uow_factory, BUYER)
    # Both events in one report: the buyer hears the latest change only.
    assert [kinds(row) for row in sent] == [["in_transit"]]

    # The same report again, by a poll after a restart (a new poller), and by a push.
    restarted = _poller(uow_factory, provider, clock)
    clock.advance(hours=5)
    await restarted.tick()
    await restarted.record_push(
        PushMessage(
            PushEvent.TRACKING_UPDATED,
            shipped.tracking_number,
            "3011",
            provider.updates[shipped.tracking_number],
        )
    )
    assert len(await event_rows(uow_factory, shipped.shipment_id)) == 2
    assert len(await notifications_to(uow_factory, BUYER)) == 1


async def test_events_are_stored_once_per_shipment_and_key(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    shipped = await _shipped_and_bound(uow_factory)
    t0 = clock.now
    scans = [
        event(t0, S.INFO_RECEIVED, "Info", "Shenzhen, CN"),
        event(t0 + timedelta(hours=3), S.IN_TRANSIT_OTHER, "Sorting", "Shenzhen, CN"),
    ]
    report = update(shipped.tracking_number, scans)
    rules = tracking.TrackingRules()
    for _ in range(3):
        async with uow_factory() as uow:
            await tracking.record_updates([(shipped.shipment_id, report)], uow, rules)
            await uow.commit()
    # A later report repeats the old scans and adds one.
    later = update(
        shipped.tracking_number,
        [*scans, event(t0 + timedelta(hours=9), S.IN_TRANSIT_DEPARTURE, "Left", "Shenzhen, CN")],
    )
    async with uow_factory() as uow:
        result = await tracking.record_updates([(shipped.shipment_id, later)], uow, rules)
        await uow.commit()
    assert result.events_added == 1
    stored = await event_rows(uow_factory, shipped.shipment_id)
    assert [row.description for row in stored] == ["Info", "Sorting", "Left"]


async def test_poll_interval_follows_the_status(uow_factory: UowFactory, clock: FixedClock) -> None:
    shipped = await _shipped_and_bound(uow_factory)
    rules = tracking.TrackingRules()
    t0 = clock.now

    async def record(*events) -> timedelta | None:  # type: ignore[no-untyped-def]
        async with uow_factory() as uow:
            await tracking.record_updates(
                [(shipped.shipment_id, update(shipped.tracking_number, events))], uow, rules
            )
            await uow.commit()
        shipment = await shipment_row(uow_factory, shipped.shipment_id)
        return None if shipment.next_poll_at is None else shipment.next_poll_at - clock.now

    in_transit = await record(event(t0 - timedelta(hours=1), S.IN_TRANSIT_PICKED_UP))
    assert in_transit == pytest.approx(timedelta(hours=4), rel=0.11)
    clock.advance(days=1)
    out = await record(
        event(t0 - timedelta(hours=1), S.IN_TRANSIT_PICKED_UP),
        event(clock.now - timedelta(minutes=5), S.OUT_FOR_DELIVERY_OTHER),
    )
    assert out == pytest.approx(timedelta(hours=1), rel=0.11)
    # Delivered, never registered here: nothing to stop, never polled again.
    delivered = await record(event(clock.now - timedelta(minutes=1), S.DELIVERED_OTHER))
    assert delivered is None


async def test_quiet_hours_hold_and_merge_but_a_failed_delivery_goes_at_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    shipped = await _shipped_and_bound(uow_factory)
    rules = tracking.TrackingRules()
    # 22:30 in Paris (UTC+1 in November).
    clock.now = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)
    t0 = clock.now
    history = [event(t0 - timedelta(minutes=10), S.INFO_RECEIVED, "Info", "Shenzhen, CN")]

    async def record() -> None:
        async with uow_factory() as uow:
            await tracking.record_updates(
                [(shipped.shipment_id, update(shipped.tracking_number, history))], uow, rules
            )
            await uow.commit()

    await record()
    clock.advance(hours=2)
    history.append(event(clock.now - timedelta(minutes=5), S.IN_TRANSIT_PICKED_UP, "Picked up"))
    await record()
    rows = await notifications_to(uow_factory, BUYER)
    assert len(rows) == 1, "the night's news waits in one message"
    held = rows[0]
    assert held.status == NotificationStatus.PENDING
    assert held.next_attempt_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 08:00 Paris
    assert kinds(held) == ["in_transit"]  # merged: the latest change says it all

    clock.advance(hours=1)
    history.append(event(clock.now - timedelta(minutes=1), S.DELIVERY_FAILURE_NO_BODY, "Missed"))
    await record()
    rows = await notifications_to(uow_factory, BUYER)
    assert len(rows) == 2
    urgent = rows[1]
    assert kinds(urgent) == ["delivery_failure"] and urgent.next_attempt_at == clock.now


async def test_the_buyer_hears_when_the_estimate_moves_by_more_than_a_day(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    shipped = await _shipped_and_bound(uow_factory)
    provider = ScriptedProvider()
    poller = _poller(uow_factory, provider, clock)
    await poller.tick()  # registered: the lane's estimate is set from the ship date
    lane = await shipment_row(uow_factory, shipped.shipment_id)
    assert lane.estimate_source == "lane" and lane.estimate_latest is not None
    promised = lane.estimate_latest
    scan = event(clock.now, S.IN_TRANSIT_PICKED_UP, "Picked up")
    rules = tracking.TrackingRules()

    async def report(latest: date) -> None:
        estimate = DeliveryEstimate(latest - timedelta(days=2), latest, EstimateSource.PROVIDER)
        async with uow_factory() as uow:
            await tracking.record_updates(
                [(shipped.shipment_id, update(shipped.tracking_number, [scan], estimate=estimate))],
                uow,
                rules,
            )
            await uow.commit()

    await report(promised + timedelta(days=1))  # one day: not news
    rows = await notifications_to(uow_factory, BUYER)
    assert [row.params["estimate"] for row in rows] == [None]  # only the in-transit notice
    await report(promised + timedelta(days=4))  # three more days: news
    rows = await notifications_to(uow_factory, BUYER)
    assert rows[-1].params["notices"] == []
    assert rows[-1].params["estimate"] == {
        "earliest": (promised + timedelta(days=2)).isoformat(),
        "latest": (promised + timedelta(days=4)).isoformat(),
        "moved_days": 3,
    }
    stored = await shipment_row(uow_factory, shipped.shipment_id)
    assert stored.estimate_source == "provider"
    assert stored.estimate_latest == promised + timedelta(days=4)


async def test_the_order_follows_its_parcel_into_a_problem_state_and_out(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    shipped = await _shipped_and_bound(uow_factory)
    rules = tracking.TrackingRules()
    t0 = clock.now
    history = [event(t0, S.IN_TRANSIT_PICKED_UP)]

    async def record(sub: SubStatus, hours: int) -> OrderStatus:
        history.append(event(t0 + timedelta(hours=hours), sub, sub.value))
        async with uow_factory() as uow:
            await tracking.record_updates(
                [(shipped.shipment_id, update(shipped.tracking_number, history))], uow, rules
            )
            order = await uow.orders.get(shipped.order_id)
            assert order is not None
            status = order.status
            await uow.commit()
            return status

    assert await record(S.EXCEPTION_DELAYED, 1) == OrderStatus.IN_TROUBLE
    async with uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(SELLER)
        assert seller is not None
        problems, _ = await lists.orders_for(seller.id, lists.OrderFilter.PROBLEMS, uow)
        assert [o.id for o in problems] == [shipped.order_id]
    assert await record(S.IN_TRANSIT_ARRIVAL, 20) == OrderStatus.SHIPPED
    assert await record(S.EXCEPTION_LOST, 60) == OrderStatus.LOST
    assert await record(S.DELIVERED_OTHER, 90) == OrderStatus.DELIVERED
    # The seller was alerted about the exception and the loss, once each.
    alerts = [
        row.params["alert"]
        for row in await notifications_to(uow_factory, SELLER)
        if row.template == "tracking.seller_alert"
    ]
    assert alerts == ["exception", "exception"]


async def test_links_expire_thirty_days_after_delivery(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    shipped = await _shipped_and_bound(uow_factory)
    delivered = update(shipped.tracking_number, [event(clock.now, S.DELIVERED_OTHER)])
    async with uow_factory() as uow:
        await tracking.record_updates(
            [(shipped.shipment_id, delivered)], uow, tracking.TrackingRules()
        )
        await uow.commit()

    clock.advance(days=29)
    async with uow_factory() as uow:
        assert (await buyers.open_link(shipped.token, BUYER, uow)).view is not None
        fresh = await buyers.reissue_link(SELLER, shipped.order_id, uow)
        await uow.commit()
    clock.advance(days=1, seconds=1)
    async with uow_factory() as uow:
        for token in (shipped.token, fresh):
            assert (await buyers.open_link(token, BUYER, uow)).refused
        with pytest.raises(ConflictError) as refused:
            await buyers.reissue_link(SELLER, shipped.order_id, uow)
        assert refused.value.key == "buyer_link.too_late"


async def test_a_replaced_parcels_late_news_moves_nothing_and_its_number_is_stopped(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """The parcel came back and the seller sends the goods again: a push for the old number,
    and a registration that re-armed it meanwhile, neither poll it, move the order nor tell the
    buyer; the next tick stops the old number (nothing of ours follows it any more)."""
    shipped = await _shipped_and_bound(uow_factory)
    provider = ScriptedProvider()
    t0 = clock.now
    provider.updates[shipped.tracking_number] = update(
        shipped.tracking_number,
        [
            event(t0 + timedelta(minutes=1), S.IN_TRANSIT_PICKED_UP, "Picked up"),
            event(t0 + timedelta(minutes=2), S.EXCEPTION_RETURNED, "Back to sender"),
        ],
    )
    clock.advance(minutes=5)
    poller = _poller(uow_factory, provider, clock)
    await poller.tick()
    told_before = len(await notifications_to(uow_factory, BUYER))
    async with uow_factory() as uow:
        await redelivery.ship_again(SELLER, shipped.order_id, uow)
        await uow.commit()
    # A registration answered for the old number after it was replaced sets it due again.
    async with uow_factory() as uow:
        await tracking.mark_registered([(shipped.shipment_id, "3011")], uow)
        await uow.commit()

    late = update(
        shipped.tracking_number,
        [
            *provider.updates[shipped.tracking_number].events,
            event(clock.now, S.DELIVERED_OTHER, "Delivered after all"),
        ],
    )
    await poller.record_push(
        PushMessage(PushEvent.TRACKING_UPDATED, shipped.tracking_number, "3011", late)
    )
    clock.advance(minutes=30)
    provider.updates[shipped.tracking_number] = late
    await poller.tick()

    assert provider.endpoint_calls("fetch") == [(shipped.tracking_number,)]  # the first only
    assert (shipped.tracking_number,) in provider.endpoint_calls("stop")
    shipment = await shipment_row(uow_factory, shipped.shipment_id)
    assert shipment.replaced_at is not None and shipment.tracking_status == "Exception"
    assert len(await event_rows(uow_factory, shipped.shipment_id)) == 2
    async with uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None and order.status is OrderStatus.TO_SHIP_AGAIN
        assert await uow.numbers_to_stop.oldest(10) == []
    # The buyer heard only that the goods are coming again.
    new = (await notifications_to(uow_factory, BUYER))[told_before:]
    assert [row.template for row in new] == ["orders.buyer_shipping_again"]
