"""The 17TRACK API v2.2 client against our fake 17TRACK server (loopback, ephemeral port)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from domain.tracking import (
    RejectionReason,
    SubStatus,
    TrackedNumber,
    TrackingEvent,
    TrackingStatus,
)
from domain.tracking_numbers import s10_check_digit
from notifications.tracking.provider import (
    ProviderAuthError,
    ProviderRequestError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    TrackingProvider,
)
from notifications.tracking.seventeen_track import SeventeenTrackClient
from tests.fakes.seventeen_track import DEFAULT_KEY, FakeSeventeenTrack
from tests.fakes.seventeen_track_payloads import track_info_payload


def s10(serial: int, country: str = "CN") -> str:
    digits = f"{serial:08d}"
    return f"RB{digits}{s10_check_digit(digits)}{country}"


def tracked(*numbers: str) -> list[TrackedNumber]:
    return [TrackedNumber(number) for number in numbers]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSeventeenTrack]:
    async with FakeSeventeenTrack() as server:
        yield server


def client_for(
    fake: FakeSeventeenTrack, *, fast: bool = False, **options: float | int
) -> SeventeenTrackClient:
    """A client for `fake`; `fast` lifts both sides' rate limit for tests about something else."""
    settings: dict[str, float | int] = {"retry_pause": 0.01, "rate_limited_pause": 0.05}
    if fast:
        fake.requests_per_second = 100.0
        settings["requests_per_second"] = 100.0
    settings.update(options)
    return SeventeenTrackClient(DEFAULT_KEY, base_url=fake.base_url, **settings)  # type: ignore[arg-type]


async def test_client_is_a_tracking_provider(fake: FakeSeventeenTrack) -> None:
    client = client_for(fake)
    assert isinstance(client, TrackingProvider)
    assert DEFAULT_KEY not in repr(client)
    await client.close()


async def test_register_splits_into_calls_of_40(fake: FakeSeventeenTrack) -> None:
    client = client_for(fake)
    numbers = [s10(n) for n in range(100)]
    outcome = await client.register(tracked(*numbers))
    await client.close()

    assert [count for _, _, count in fake.calls("register")] == [40, 40, 20]
    assert [a.number for a in outcome.accepted] == numbers
    assert {a.carrier for a in outcome.accepted} == {"3011"}  # detected by 17TRACK
    assert outcome.rejected == ()
    assert fake.quota_used == 100


async def test_every_endpoint_is_paced_to_its_limit_without_429(fake: FakeSeventeenTrack) -> None:
    fake.requests_per_second = 30.0
    for number in (s10(1), s10(2)):
        await _register_directly(fake, number)
    client = client_for(fake, requests_per_second=30.0)
    started = time.monotonic()
    await asyncio.gather(*(client.fetch(tracked(s10(1))) for _ in range(24)))
    elapsed = time.monotonic() - started
    await client.close()

    assert fake.rate_limited["gettrackinfo"] == 0
    assert len(fake.calls("gettrackinfo")) == 24
    assert elapsed >= 23 / 30 * 0.9  # evenly spaced, not a burst


async def test_429_pauses_and_retries_within_bounds(fake: FakeSeventeenTrack) -> None:
    await _register_directly(fake, s10(1))
    fake.requests_per_second = 4.0
    fake.burst = 1
    # A client far faster than the server (another process sharing the key, say).
    client = client_for(fake, requests_per_second=1000.0, rate_limited_pause=0.3)
    outcomes = await asyncio.gather(*(client.fetch(tracked(s10(1))) for _ in range(4)))
    assert all(len(o.updates) == 1 for o in outcomes)
    assert fake.rate_limited["gettrackinfo"] > 0
    assert client.rate_limited_responses == fake.rate_limited["gettrackinfo"]
    await client.close()

    impatient = client_for(fake, requests_per_second=1000.0, max_rate_limited_retries=0)
    results = await asyncio.gather(
        *(impatient.fetch(tracked(s10(1))) for _ in range(3)), return_exceptions=True
    )
    await impatient.close()
    assert any(isinstance(result, RateLimited) for result in results)


async def test_rejected_numbers_come_back_with_their_codes(fake: FakeSeventeenTrack) -> None:
    client = client_for(fake)
    await client.register(tracked(s10(7)))
    outcome = await client.register(
        [
            TrackedNumber(s10(7)),  # already registered: accepted, no quota
            TrackedNumber("AB!"),  # not a number
            TrackedNumber("XYZ12345"),  # no carrier can be detected
            TrackedNumber(s10(8), carrier="999999"),  # a carrier 17TRACK does not know
            TrackedNumber("1Z999AA10123456784", carrier="ups"),  # our name for a 17TRACK key
        ]
    )
    await client.close()

    assert [(a.number, a.already_registered) for a in outcome.accepted] == [
        ("1Z999AA10123456784", False),
        (s10(7), True),
    ]
    assert fake.numbers["1Z999AA10123456784"].carrier == 100002
    reasons = {(r.number, r.reason, r.code) for r in outcome.rejected}
    assert reasons == {
        ("AB!", RejectionReason.INVALID_NUMBER, "-18010012"),
        ("XYZ12345", RejectionReason.CARRIER_NOT_DETECTED, "-18019903"),
        (s10(8), RejectionReason.WRONG_CARRIER, "-18019910"),
    }
    assert all(r.seller_can_fix for r in outcome.rejected)
    assert fake.quota_used == 2


async def test_quota_exhaustion_is_its_own_error_and_keeps_what_was_done(
    fake: FakeSeventeenTrack,
) -> None:
    fake.quota_total = 45
    client = client_for(fake)
    numbers = tracked(*(s10(n) for n in range(100)))
    with pytest.raises(QuotaExhausted) as caught:
        await client.register(numbers)
    error = caught.value
    assert not error.daily
    assert len(error.outcome.accepted) == 45
    assert {r.reason for r in error.outcome.rejected} == {RejectionReason.QUOTA_EXHAUSTED}
    assert len(error.outcome.rejected) == 35
    assert error.not_attempted == tuple(numbers[80:])  # the third call was never made
    assert len(fake.calls("register")) == 2

    quota = await client.quota()
    assert (quota.total, quota.used, quota.remaining, quota.exhausted) == (45, 45, 0, True)
    await client.close()


async def test_daily_limit_is_quota_exhaustion_for_today(fake: FakeSeventeenTrack) -> None:
    fake.daily_limit = 3
    client = client_for(fake)
    with pytest.raises(QuotaExhausted) as caught:
        await client.register(tracked(*(s10(n) for n in range(5))))
    assert caught.value.daily
    assert len(caught.value.outcome.accepted) == 3
    quota = await client.quota()
    assert quota.daily_limit == 3 and quota.used_today == 3 and quota.exhausted
    await client.close()


async def test_fetch_maps_track_info_and_reports_unknown_codes(fake: FakeSeventeenTrack) -> None:
    client = client_for(fake, fast=True)
    await client.register(tracked(s10(1), s10(2)))
    t0 = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    events = [
        TrackingEvent(t0, TrackingStatus.INFO_RECEIVED, SubStatus.INFO_RECEIVED, "Order data"),
        TrackingEvent(
            t0 + timedelta(days=1),
            TrackingStatus.IN_TRANSIT,
            SubStatus.IN_TRANSIT_PICKED_UP,
            "Picked up",
            "SHENZHEN",
        ),
    ]
    fake.set_track_info(s10(1), track_info_payload("InTransit", "InTransit_PickedUp", events))
    fake.set_track_info(s10(2), track_info_payload("StuckSomewhere", "Stuck_Forever"))

    outcome = await client.fetch(tracked(s10(1), s10(2), s10(3)))
    await client.close()

    first, second = outcome.updates
    assert (first.status, first.sub_status) == (
        TrackingStatus.IN_TRANSIT,
        SubStatus.IN_TRANSIT_PICKED_UP,
    )
    assert [(e.sub_status, e.description, e.location) for e in first.events] == [
        (SubStatus.INFO_RECEIVED, "Order data", ""),
        (SubStatus.IN_TRANSIT_PICKED_UP, "Picked up", "SHENZHEN"),
    ]
    assert first.events[0].key == events[0].key  # the same key the push path derives
    assert first.carrier == "3011"
    assert (second.status, second.sub_status) == (
        TrackingStatus.IN_TRANSIT,
        SubStatus.IN_TRANSIT_OTHER,
    )
    assert outcome.unknown_codes == {"StuckSomewhere", "Stuck_Forever"}
    [missing] = outcome.rejected
    assert (missing.number, missing.reason) == (s10(3), RejectionReason.NOT_REGISTERED)


async def test_stop_retrack_and_change_carrier_follow_17tracks_rules(
    fake: FakeSeventeenTrack,
) -> None:
    client = client_for(fake, fast=True)
    number = TrackedNumber(s10(1))
    await client.register([number])

    changed = await client.change_carrier(number, "cainiao")
    assert [(a.number, a.carrier) for a in changed.accepted] == [(s10(1), "190271")]
    same = await client.change_carrier(TrackedNumber(s10(1), "190271"), "190271")
    assert [r.reason for r in same.rejected] == [RejectionReason.CARRIER_CHANGE_REFUSED]
    unknown = await client.change_carrier(number, "pigeon-post")
    assert [(r.reason, r.code) for r in unknown.rejected] == [
        (RejectionReason.WRONG_CARRIER, "unknown-carrier")
    ]

    assert len((await client.stop([number])).accepted) == 1
    assert [r.reason for r in (await client.stop([number])).rejected] == [
        RejectionReason.ALREADY_STOPPED
    ]
    assert len((await client.retrack([number])).accepted) == 1
    assert [r.reason for r in (await client.retrack([number])).rejected] == [
        RejectionReason.NOT_STOPPED
    ]
    await client.stop([number])
    assert [r.reason for r in (await client.retrack([number])).rejected] == [
        RejectionReason.RETRACK_USED
    ]
    await client.close()


async def test_server_errors_are_retried_then_unavailable(fake: FakeSeventeenTrack) -> None:
    client = client_for(fake, fast=True, max_attempts=3)
    fake.fail_next("getquota", 500, times=2)
    assert (await client.quota()).total == 100  # the third attempt succeeds

    fake.fail_next("getquota", 503, times=3)
    with pytest.raises(ProviderUnavailable, match="HTTP 503 after 3 attempts"):
        await client.quota()
    await client.close()


async def test_time_outs_are_retried_then_unavailable(fake: FakeSeventeenTrack) -> None:
    client = client_for(fake, fast=True, timeout=0.2, max_attempts=2)
    fake.stall_next("getquota", 1.0, times=1)
    assert (await client.quota()).total == 100

    fake.stall_next("getquota", 1.0, times=2)
    with pytest.raises(ProviderUnavailable, match="timed out after 2 attempts"):
        await client.quota()
    await client.close()


async def test_a_wrong_key_is_an_auth_error_and_the_key_never_leaks(
    fake: FakeSeventeenTrack, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "wrong-key-that-must-not-appear-anywhere"
    caplog.set_level(logging.DEBUG)
    client = SeventeenTrackClient(secret, base_url=fake.base_url, retry_pause=0.01)
    with pytest.raises(ProviderAuthError) as caught:
        await client.register(tracked(s10(1)))
    assert secret not in str(caught.value)
    await client.close()

    right = client_for(fake, fast=True, max_attempts=2)
    fake.fail_next("getquota", 500, times=2)
    with pytest.raises(ProviderUnavailable) as unavailable:
        await right.quota()
    fake.stall_next("getquota", 1.0, times=2)
    slow = client_for(fake, fast=True, timeout=0.1, max_attempts=2)
    with pytest.raises(ProviderUnavailable) as timed_out:
        await slow.quota()
    for closing in (right, slow):
        await closing.close()
    for error in (unavailable.value, timed_out.value):
        assert DEFAULT_KEY not in str(error) and DEFAULT_KEY not in repr(error.__cause__)
    assert "retrying" in caplog.text  # the retries were logged...
    assert secret not in caplog.text  # ...without either key
    assert DEFAULT_KEY not in caplog.text


async def test_a_request_17track_refuses_is_a_request_error(fake: FakeSeventeenTrack) -> None:
    client = client_for(fake, fast=True)
    too_many = [{"number": s10(n)} for n in range(41)]
    with pytest.raises(ProviderRequestError, match="-18010014"):
        await client._call("register", too_many)
    await client.close()


async def _register_directly(fake: FakeSeventeenTrack, number: str) -> None:
    client = client_for(fake)
    await client.register(tracked(number))
    await client.close()
