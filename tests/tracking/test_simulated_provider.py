"""The simulated provider: deterministic, realistic journeys per method and lane, on a clock."""

from __future__ import annotations

import itertools
import json
import os
import statistics
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.logistics import ShippingMethod
from domain.tracking import (
    NoticeKind,
    NoticeState,
    RejectionReason,
    ShipmentContext,
    SubStatus,
    TrackedNumber,
    TrackingEvent,
    TrackingStatus,
    TrackingUpdate,
    estimate_change,
    plan_notices,
)
from notifications.tracking.provider import ProviderUnavailable, QuotaExhausted, TrackingProvider
from notifications.tracking.seventeen_track import SeventeenTrackClient
from notifications.tracking.simulated import SimulatedProvider
from notifications.tracking.simulated_journeys import (
    DEFAULT_TRANSIT_DAYS,
    Journey,
    Outcome,
    plan_journey,
)
from tests.fakes.seventeen_track import DEFAULT_KEY, FakeSeventeenTrack

SHIPPED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class Clock:
    """The injectable clock the sandbox's fast-forward and the tests move."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def context(method: ShippingMethod = ShippingMethod.EXPRESS, **extra: object) -> ShipmentContext:
    return ShipmentContext(method, SHIPPED, "CN", "FR", **extra)  # type: ignore[arg-type]


def journeys(method: ShippingMethod, count: int, **options: object) -> list[Journey]:
    return [
        plan_journey(f"LP{n:014d}", context(method), seed=7, **options)  # type: ignore[arg-type]
        for n in range(count)
    ]


# --- determinism ------------------------------------------------------------------------


def test_same_seed_and_number_tell_the_same_story() -> None:
    first = plan_journey("RB123456785CN", context(), seed=42)
    again = plan_journey("RB123456785CN", context(), seed=42)
    assert first == again
    other_seed = plan_journey("RB123456785CN", context(), seed=43)
    other_number = plan_journey("RB123456793CN", context(), seed=42)
    assert first.events != other_seed.events
    assert first.events != other_number.events


def test_outcomes_vary_with_realistic_frequencies() -> None:
    outcomes = [j.outcome for j in journeys(ShippingMethod.LAND, 1000)]
    share = {outcome: outcomes.count(outcome) / len(outcomes) for outcome in Outcome}
    assert 0.74 < share[Outcome.DELIVERED] < 0.86
    for rare in (Outcome.DELIVERY_FAILURE, Outcome.PICKUP, Outcome.RETURNED, Outcome.STALE):
        assert 0 < share[rare] < 0.12


@pytest.mark.parametrize(
    ("prefix", "outcome"),
    [("ZF", Outcome.DELIVERY_FAILURE), ("ZS", Outcome.STALE), ("ZR", Outcome.RETURNED)],
)
def test_the_number_prefix_forces_the_outcome(prefix: str, outcome: Outcome) -> None:
    assert plan_journey(f"{prefix}123456785CN", context()).outcome is outcome


# --- realism ------------------------------------------------------------------------------

ALLOWED_NEXT: dict[TrackingStatus, set[TrackingStatus]] = {
    TrackingStatus.INFO_RECEIVED: {TrackingStatus.IN_TRANSIT},
    TrackingStatus.IN_TRANSIT: {
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.AVAILABLE_FOR_PICKUP,
        TrackingStatus.EXCEPTION,
    },
    TrackingStatus.OUT_FOR_DELIVERY: {TrackingStatus.DELIVERED, TrackingStatus.DELIVERY_FAILURE},
    TrackingStatus.DELIVERY_FAILURE: {TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.EXCEPTION},
    TrackingStatus.AVAILABLE_FOR_PICKUP: {TrackingStatus.DELIVERED},
    TrackingStatus.EXCEPTION: {TrackingStatus.EXCEPTION},
    TrackingStatus.DELIVERED: set(),
}


def _check_order(events: tuple[TrackingEvent, ...]) -> None:
    assert events[0].sub_status is SubStatus.INFO_RECEIVED
    times = [event.time for event in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    for before, after in itertools.pairwise(events):
        assert after.status in ALLOWED_NEXT[before.status], (before.sub_status, after.sub_status)
    subs = [event.sub_status for event in events]
    if SubStatus.IN_TRANSIT_CUSTOMS_RELEASED in subs:
        held = subs.index(SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING)
        assert held < subs.index(SubStatus.IN_TRANSIT_CUSTOMS_RELEASED)
        assert subs.index(SubStatus.IN_TRANSIT_ARRIVAL) < held
    assert len({event.key for event in events}) == len(events)


@pytest.mark.parametrize("method", list(ShippingMethod))
def test_every_story_runs_in_a_possible_order(method: ShippingMethod) -> None:
    for outcome in Outcome:
        for journey in journeys(method, 40, outcome=outcome):
            if outcome is Outcome.NOT_FOUND:
                assert journey.events == ()
                continue
            _check_order(journey.events)
            last = journey.events[-1].sub_status
            expected_last = {
                Outcome.RETURNED: SubStatus.EXCEPTION_RETURNED,
                Outcome.LOST: SubStatus.EXCEPTION_LOST,
            }.get(outcome, SubStatus.DELIVERED_OTHER)
            if outcome is not Outcome.STALE:
                assert last is expected_last


@pytest.mark.parametrize("method", list(ShippingMethod))
def test_durations_follow_the_method(method: ShippingMethod) -> None:
    low, high = DEFAULT_TRANSIT_DAYS[method]
    days = [
        (j.events[-1].time - SHIPPED) / timedelta(days=1)
        for j in journeys(method, 300, outcome=Outcome.DELIVERED)
    ]
    assert low - 0.5 <= min(days) and max(days) <= high + 1  # delivered at a local hour
    assert low < statistics.mean(days) < high


def test_the_lanes_transit_range_wins_over_the_method_default() -> None:
    lane = ShipmentContext(
        ShippingMethod.EXPRESS, SHIPPED, "DE", "FR", transit_min_days=2, transit_max_days=3
    )
    days = [
        (plan_journey(f"LP{n:014d}", lane, outcome=Outcome.DELIVERED).events[-1].time - SHIPPED)
        / timedelta(days=1)
        for n in range(100)
    ]
    assert min(days) >= 1.5 and max(days) <= 4
    journey = plan_journey("LP00000000000001", lane, outcome=Outcome.DELIVERED)
    assert journey.events[0].location.endswith(", DE")
    assert journey.events[-1].location.endswith(", FR")
    # Inside the EU there are no customs to clear; from China there are.
    assert not any(e.sub_status.value.startswith("InTransit_Customs") for e in journey.events)
    from_china = plan_journey("LP00000000000001", context(), outcome=Outcome.DELIVERED)
    assert any(e.sub_status is SubStatus.IN_TRANSIT_CUSTOMS_RELEASED for e in from_china.events)


def test_customs_asking_for_information_moves_the_estimate() -> None:
    journey = plan_journey("ZC123456785CN", context())
    (_, before), (_, after) = journey.estimates
    assert before is not None and after is not None
    change = estimate_change(before, after)
    assert change is not None and change.days_moved >= 2


# --- the provider on a clock ----------------------------------------------------------------


async def test_the_clock_drives_what_the_provider_reports() -> None:
    clock = Clock(SHIPPED)
    provider = SimulatedProvider(clock=clock, seed=1)
    assert isinstance(provider, TrackingProvider)
    number = TrackedNumber("ZD123456785CN", context=context())

    [first] = (await provider.fetch([number])).updates
    assert (first.status, first.events) == (TrackingStatus.NOT_FOUND, ())

    clock.advance(days=1.5)
    [moving] = (await provider.fetch([number])).updates
    assert moving.status in (TrackingStatus.INFO_RECEIVED, TrackingStatus.IN_TRANSIT)

    clock.now = SHIPPED + timedelta(days=11)  # express: 5-10 days, delivered at a local hour
    [done] = (await provider.fetch([number])).updates
    assert done.status is TrackingStatus.DELIVERED
    assert done.events[: len(moving.events)] == moving.events  # history does not change
    assert done.estimated_delivery is not None
    assert not done.tracking_stopped
    delivered_at = done.events[-1].time
    clock.now = delivered_at + timedelta(days=15)  # 17TRACK stops 15 days after delivery
    [later] = (await provider.fetch([number])).updates
    assert later.tracking_stopped


async def test_a_quiet_parcel_expires_after_30_days_without_news() -> None:
    clock = Clock(SHIPPED + timedelta(days=60))
    provider = SimulatedProvider(clock=clock)
    [update] = (await provider.fetch([TrackedNumber("ZS123456785CN", context=context())])).updates
    assert update.status is TrackingStatus.EXPIRED and update.tracking_stopped
    assert update.events and update.events[-1].status is TrackingStatus.IN_TRANSIT


async def _play(provider: SimulatedProvider, clock: Clock, number: TrackedNumber) -> list[str]:
    """Poll every 3 hours until delivered or 60 days passed; the buyer's notices in order."""
    state = NoticeState()
    told: list[str] = []
    for _ in range(60 * 8):
        [update] = (await provider.fetch([number])).updates
        plan = plan_notices(state, update.events)
        state = plan.state
        told.extend(notice.kind.value for notice in plan.notices)
        if update.status is TrackingStatus.DELIVERED or update.tracking_stopped:
            break
        clock.advance(hours=3)
    return told


async def test_a_failed_delivery_plays_out_as_the_buyer_would_hear_it() -> None:
    clock = Clock(SHIPPED)
    provider = SimulatedProvider(clock=clock, seed=5)
    told = await _play(provider, clock, TrackedNumber("ZF123456785CN", context=context()))
    assert told == [
        NoticeKind.INFO_RECEIVED,
        NoticeKind.IN_TRANSIT,
        NoticeKind.CUSTOMS_HELD,
        NoticeKind.CUSTOMS_RELEASED,
        NoticeKind.OUT_FOR_DELIVERY,
        NoticeKind.DELIVERY_FAILURE,
        NoticeKind.OUT_FOR_DELIVERY,
        NoticeKind.DELIVERED,
    ]


async def test_registration_stop_retrack_carrier_and_quota() -> None:
    clock = Clock(SHIPPED)
    provider = SimulatedProvider(clock=clock, quota_total=2)
    outcome = await provider.register(
        [TrackedNumber("RB123456785CN"), TrackedNumber("bad number!")]
    )
    assert [a.number for a in outcome.accepted] == ["RB123456785CN"]
    assert [r.reason for r in outcome.rejected] == [RejectionReason.INVALID_NUMBER]
    again = await provider.register([TrackedNumber("RB123456785CN")])
    assert again.accepted[0].already_registered
    with pytest.raises(QuotaExhausted) as caught:
        await provider.register([TrackedNumber("RB123456793CN"), TrackedNumber("RB123456802CN")])
    assert [a.number for a in caught.value.outcome.accepted] == ["RB123456793CN"]
    assert [n.number for n in caught.value.not_attempted] == ["RB123456802CN"]
    assert (await provider.quota()).exhausted

    # Registered without facts: played as express from registration; unknown numbers rejected.
    clock.advance(days=30)
    fetched = await provider.fetch([TrackedNumber("RB123456785CN"), TrackedNumber("XX1234567")])
    assert fetched.updates[0].events
    assert [r.reason for r in fetched.rejected] == [RejectionReason.NOT_REGISTERED]

    number = TrackedNumber("RB123456785CN")
    clock.now = SHIPPED + timedelta(days=1)
    assert (await provider.stop([number])).accepted
    clock.advance(days=20)
    [stopped] = (await provider.fetch([number])).updates
    assert stopped.tracking_stopped
    assert all(event.time <= SHIPPED + timedelta(days=1) for event in stopped.events)
    assert [r.reason for r in (await provider.stop([number])).rejected] == [
        RejectionReason.ALREADY_STOPPED
    ]
    assert (await provider.retrack([number])).accepted
    assert [r.reason for r in (await provider.retrack([number])).rejected] == [
        RejectionReason.NOT_STOPPED
    ]
    changed = await provider.change_carrier(number, "cainiao")
    assert changed.accepted[0].carrier == "cainiao"
    assert (await provider.change_carrier(number, "cainiao")).rejected


async def test_an_outage_fails_every_call() -> None:
    provider = SimulatedProvider()
    provider.outage = True
    with pytest.raises(ProviderUnavailable):
        await provider.fetch([TrackedNumber("RB123456785CN", context=context())])


@pytest.fixture
async def fake_backed_by_simulation() -> AsyncIterator[tuple[FakeSeventeenTrack, Clock]]:
    clock = Clock(SHIPPED + timedelta(days=12))
    simulated = SimulatedProvider(clock=clock, seed=9)

    def journey(number: str) -> TrackingUpdate | None:
        return simulated.update_for(TrackedNumber(number, context=context()))

    async with FakeSeventeenTrack(journeys=journey) as fake:
        yield fake, clock


async def test_the_fake_17track_can_serve_simulated_journeys(
    fake_backed_by_simulation: tuple[FakeSeventeenTrack, Clock],
) -> None:
    fake, clock = fake_backed_by_simulation
    client = SeventeenTrackClient(DEFAULT_KEY, base_url=fake.base_url, requests_per_second=50)
    number = TrackedNumber("ZD123456785CN")
    await client.register([number])
    [through_api] = (await client.fetch([number])).updates
    await client.close()
    direct = SimulatedProvider(clock=clock, seed=9).update_for(
        TrackedNumber("ZD123456785CN", context=context())
    )
    assert direct is not None
    assert through_api.status is direct.status is TrackingStatus.DELIVERED
    assert [(e.time, e.sub_status, e.description) for e in through_api.events] == [
        (e.time, e.sub_status, e.description) for e in direct.events
    ]
    assert through_api.estimated_delivery == direct.estimated_delivery


async def test_the_factory_builds_the_configured_provider() -> None:
    from notifications.tracking.factory import make_tracking_provider

    clock = Clock(SHIPPED)
    simulated = make_tracking_provider("simulated", clock=clock, seed=3)
    assert isinstance(simulated, SimulatedProvider) and simulated.name == "simulated"
    real = make_tracking_provider("17track", api_key="k" * 32)
    assert isinstance(real, SeventeenTrackClient) and "k" * 32 not in repr(real)
    await real.close()
    with pytest.raises(ValueError, match="TRACKING_API_KEY"):
        make_tracking_provider("17track")
    with pytest.raises(ValueError, match="unknown"):
        make_tracking_provider("carrier-pigeon")


async def test_the_call_log_has_a_line_per_call_with_its_numbers(tmp_path: Path) -> None:
    call_log = tmp_path / "calls.jsonl"
    provider = SimulatedProvider(call_log=call_log)
    numbers = [TrackedNumber("RB440000015CN"), TrackedNumber("RB440000029CN")]
    await provider.register(numbers)
    await provider.fetch(numbers[:1])
    await provider.quota()

    lines = [json.loads(line) for line in call_log.read_text().splitlines()]
    assert [(line["operation"], line["numbers"]) for line in lines] == [
        ("register", ["RB440000015CN", "RB440000029CN"]),
        ("fetch", ["RB440000015CN"]),
        ("quota", []),
    ]
    assert all(line["pid"] == os.getpid() and line["at"] > 0 for line in lines)
