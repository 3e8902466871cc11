"""A 17TRACK outage, through the real client against the fake 17TRACK server: 500s, time-outs
and 429s for a while. Nothing crashes, the breaker opens (and stops calling), pushes received
meanwhile are applied, and once 17TRACK answers again the backlog is caught up within two poll
passes; every buyer is told about each change of their parcel exactly once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from domain.services import buyers
from domain.tracking import SubStatus, TrackingUpdate
from notifications.tracking.poller import CircuitBreaker, TrackingPoller, make_push_app
from notifications.tracking.seventeen_track import SeventeenTrackClient
from tests.conftest import FixedClock
from tests.fakes.seventeen_track import DEFAULT_KEY, FakeSeventeenTrack
from tests.fakes.seventeen_track_payloads import push_body, sign_body, track_info_from_update
from tests.tracking_fixtures import (
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

SELLER = 6501
BUYERS = range(6600, 6630)  # one parcel each
PUSHED = 10  # of them, the change arrives by push during the outage
S = SubStatus
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def clock() -> FixedClock:
    # Morning in Paris, so a day's polling never meets the buyers' quiet hours.
    return FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))


@pytest.fixture
def journeys() -> dict[str, TrackingUpdate]:
    """What the fake 17TRACK reports per number; the test moves the parcels on."""
    return {}


@pytest.fixture
async def fake(journeys: dict[str, TrackingUpdate]) -> AsyncIterator[FakeSeventeenTrack]:
    # Generous limits: this test is about faults, not 17TRACK's 3 requests a second.
    async with FakeSeventeenTrack(
        requests_per_second=100, burst=100, quota_total=1000, journeys=journeys.get
    ) as server:
        yield server


@pytest.fixture
async def client(fake: FakeSeventeenTrack) -> AsyncIterator[SeventeenTrackClient]:
    provider = SeventeenTrackClient(
        DEFAULT_KEY,
        base_url=fake.base_url,
        requests_per_second=100,
        timeout=0.5,
        max_attempts=2,
        retry_pause=0.05,
        max_rate_limited_retries=2,
        rate_limited_pause=0.05,
    )
    try:
        yield provider
    finally:
        await provider.close()


@SQLITE_ONLY
async def test_a_17track_outage_opens_the_breaker_keeps_pushes_and_catches_up_in_two_passes(
    uow_factory: UowFactory,
    clock: FixedClock,
    fake: FakeSeventeenTrack,
    journeys: dict[str, TrackingUpdate],
    client: SeventeenTrackClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = time.monotonic()
    store = await Store(uow_factory, SELLER).open()
    shipments: dict[int, tuple[int, str]] = {}
    for index, buyer in enumerate(BUYERS):
        shipped = await store.ship(f"AE-{index}", s10("RB", 20_000_000 + index))
        async with uow_factory() as uow:
            await uow.users.touch(buyer, "en", uow.now())
            assert (await buyers.open_link(shipped.token, buyer, uow)).bound_now
            await uow.commit()
        shipments[buyer] = (shipped.shipment_id, shipped.tracking_number)
    t0 = clock.now
    picked_up = event(t0 + timedelta(minutes=1), S.IN_TRANSIT_PICKED_UP, "Picked up", "Shenzhen")
    for _, number in shipments.values():
        journeys[number] = update(number, [picked_up])
    clock.advance(minutes=5)

    breaker = CircuitBreaker(failure_threshold=2, cooldown=timedelta(minutes=10))
    poller = TrackingPoller(uow_factory, client, clock=clock, breaker=breaker)
    first = await poller.tick()
    assert first.registered == len(BUYERS) and first.fetched == len(BUYERS)

    # The parcels move on; a day later they are all due again.
    clock.advance(hours=12)
    delivering = event(clock.now - timedelta(hours=1), S.OUT_FOR_DELIVERY_OTHER, "Out", "Paris")
    for _, number in shipments.values():
        journeys[number] = update(number, [picked_up, delivering])

    # The outage: 500s, then time-outs, then 429s past the client's retries.
    caplog.set_level(logging.WARNING, logger="notifications.tracking.poller")
    fake.fail_next("gettrackinfo", 500, times=2)
    outage = [await poller.tick()]
    fake.stall_next("gettrackinfo", 0.6, times=2)
    outage.append(await poller.tick())
    await asyncio.sleep(0.7)  # the stalled answers come too late, and change nothing
    assert all(result.released > 0 and result.fetched == 0 for result in outage)
    assert breaker.is_open
    assert "tracking provider failing" in caplog.text
    calls_while_open = len(fake.requests)
    skipped = await poller.tick()
    assert skipped.skipped_by_breaker and len(fake.requests) == calls_while_open
    # After the cool-down one claim probes: 429s, so the breaker opens again for longer.
    clock.advance(minutes=11)
    fake.fail_next("gettrackinfo", 429, times=3)
    probe = await poller.tick()
    assert probe.fetched == 0 and breaker.is_open and breaker.opened == 2
    openings = breaker.opened

    # Pushes keep arriving meanwhile: they are applied at once, whatever the poller's state.
    pushed_buyers = list(BUYERS)[:PUSHED]
    async with TestClient(TestServer(make_push_app(DEFAULT_KEY, poller))) as push:
        for buyer in pushed_buyers:
            number = shipments[buyer][1]
            info = track_info_from_update(update(number, [picked_up, delivering]))
            body = push_body("TRACKING_UPDATED", number, 3011, info)
            answer = await push.post(
                "/tracking/17track", data=body, headers={"sign": sign_body(body, DEFAULT_KEY)}
            )
            assert answer.status == 200
    for buyer in pushed_buyers:
        assert len(await event_rows(uow_factory, shipments[buyer][0])) == 2

    # 17TRACK is back: the backlog is caught up within two passes.
    clock.advance(minutes=21)
    passes = 0
    while True:
        passes += 1
        result = await poller.tick()
        assert not result.skipped_by_breaker
        rows = [
            await shipment_row(uow_factory, shipment_id) for shipment_id, _ in shipments.values()
        ]
        if all(row.next_poll_at is not None and row.next_poll_at > clock.now for row in rows):
            break
        assert passes < 2, f"pass {passes} left {result.released} shipments behind"
    assert not breaker.is_open

    told = {}
    for buyer, (shipment_id, _) in shipments.items():
        assert len(await event_rows(uow_factory, shipment_id)) == 2
        notices = Counter(
            kind for row in await notifications_to(uow_factory, buyer) for kind in kinds(row)
        )
        told[buyer] = notices
        assert all(count == 1 for count in notices.values()), (buyer, notices)
    first_notices = told[BUYERS[0]]
    assert all(notices == first_notices for notices in told.values())
    assert sum(first_notices.values()) == 2, first_notices  # picked up, out for delivery
    print(
        "provider outage figures:",
        {
            "faults injected": "2 x HTTP 500, 2 x time-out, 3 x 429 (one tick each)",
            "breaker openings in a row": openings,
            "ticks skipped by the open breaker": 1,
            "passes to catch up": passes,
            "pushes applied during the outage": PUSHED,
            "parcels": len(BUYERS),
            "notices per buyer": dict(first_notices),
            "wall (s)": round(time.monotonic() - started, 1),
        },
    )
