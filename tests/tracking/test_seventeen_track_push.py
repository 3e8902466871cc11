"""17TRACK push: the sign header checked in constant time, events parsed, the callback called."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from domain.tracking import (
    NoticeKind,
    NoticeState,
    SubStatus,
    TrackingEvent,
    TrackingStatus,
    plan_notices,
)
from notifications.tracking.seventeen_track_push import (
    PushEvent,
    PushMessage,
    make_push_handler,
    push_signature,
    verify_push_signature,
)
from tests.fakes.seventeen_track import DEFAULT_KEY, FakeSeventeenTrack
from tests.fakes.seventeen_track_payloads import push_body, sign_body, track_info_payload

NUMBER = "RB123456785GB"
T0 = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
EVENTS = [
    TrackingEvent(T0, TrackingStatus.IN_TRANSIT, SubStatus.IN_TRANSIT_ARRIVAL, "Arrived", "PARIS"),
    TrackingEvent(
        T0 + timedelta(hours=20),
        TrackingStatus.OUT_FOR_DELIVERY,
        SubStatus.OUT_FOR_DELIVERY_OTHER,
        "Out for delivery",
        "PARIS",
    ),
]


class Receiver:
    """The injected callback: records messages; can be told to fail."""

    def __init__(self) -> None:
        self.messages: list[PushMessage] = []
        self.fail = False

    async def __call__(self, message: PushMessage) -> None:
        if self.fail:
            raise RuntimeError("database unavailable")
        self.messages.append(message)


@pytest_asyncio.fixture
async def webhook() -> AsyncIterator[tuple[str, Receiver]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/hooks/17track", make_push_handler(DEFAULT_KEY, receiver))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/hooks/17track")), receiver
    finally:
        await server.close()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSeventeenTrack]:
    async with FakeSeventeenTrack() as server:
        yield server


def test_sign_is_sha256_of_body_slash_key() -> None:
    body = b'{"event":"TRACKING_STOPPED","data":{"number":"X"}}'
    assert push_signature(body, DEFAULT_KEY) == sign_body(body, DEFAULT_KEY)
    good = sign_body(body, DEFAULT_KEY)
    assert verify_push_signature(body, good, DEFAULT_KEY)
    assert verify_push_signature(body, good.upper(), DEFAULT_KEY)  # hex case does not matter
    assert not verify_push_signature(body + b" ", good, DEFAULT_KEY)  # the exact bytes count
    assert not verify_push_signature(body, good, DEFAULT_KEY + "x")
    assert not verify_push_signature(body, None, DEFAULT_KEY)
    assert not verify_push_signature(body, "", DEFAULT_KEY)
    assert not verify_push_signature(body, "é" * 64, DEFAULT_KEY)
    assert not verify_push_signature(body, good, "")


async def test_a_signed_update_reaches_the_callback_parsed(
    webhook: tuple[str, Receiver], fake: FakeSeventeenTrack
) -> None:
    url, receiver = webhook
    info = track_info_payload("OutForDelivery", "OutForDelivery_Other", EVENTS)
    assert await fake.push(url, "TRACKING_UPDATED", NUMBER, track_info=info) == 200
    [message] = receiver.messages
    assert message.event is PushEvent.TRACKING_UPDATED and not message.stopped
    assert message.number == NUMBER and message.carrier == "3011"
    assert message.update is not None
    assert message.update.status is TrackingStatus.OUT_FOR_DELIVERY
    assert [event.key for event in message.update.events] == [event.key for event in EVENTS]


@pytest.mark.parametrize("sign", ["bad", None, "0" * 64, "not hex at all"])
async def test_a_bad_or_missing_sign_gets_401_and_changes_nothing(
    webhook: tuple[str, Receiver], fake: FakeSeventeenTrack, sign: str | None
) -> None:
    url, receiver = webhook
    info = track_info_payload("Delivered", "Delivered_Other", EVENTS)
    assert await fake.push(url, "TRACKING_UPDATED", NUMBER, track_info=info, sign=sign) == 401
    assert receiver.messages == []


async def test_a_stop_push(webhook: tuple[str, Receiver], fake: FakeSeventeenTrack) -> None:
    url, receiver = webhook
    assert await fake.push(url, "TRACKING_STOPPED", NUMBER) == 200
    [message] = receiver.messages
    assert message.stopped and message.update is None and message.number == NUMBER


async def test_the_same_push_twice_announces_once(
    webhook: tuple[str, Receiver], fake: FakeSeventeenTrack
) -> None:
    url, receiver = webhook
    info = track_info_payload("OutForDelivery", "OutForDelivery_Other", EVENTS)
    for _ in range(2):
        assert await fake.push(url, "TRACKING_UPDATED", NUMBER, track_info=info) == 200
    state = NoticeState.from_events(EVENTS[:1])
    told: list[NoticeKind] = []
    for message in receiver.messages:
        assert message.update is not None
        plan = plan_notices(state, message.update.events)
        state = plan.state
        told.extend(notice.kind for notice in plan.notices)
    assert told == [NoticeKind.OUT_FOR_DELIVERY]


async def test_unreadable_unknown_failing_and_oversized_pushes(
    webhook: tuple[str, Receiver], fake: FakeSeventeenTrack
) -> None:
    url, receiver = webhook
    garbage = b"{not json"
    assert await fake.push(url, "TRACKING_UPDATED", NUMBER, body=garbage) == 400
    missing_info = push_body("TRACKING_UPDATED", NUMBER, 3011)
    assert await fake.push(url, "TRACKING_UPDATED", NUMBER, body=missing_info) == 400
    future = push_body("TRACKING_REROUTED", NUMBER, 3011)
    assert await fake.push(url, "TRACKING_REROUTED", NUMBER, body=future) == 200  # ignored
    assert receiver.messages == []

    receiver.fail = True  # 500: 17TRACK retries later, nothing is lost
    assert await fake.push(url, "TRACKING_STOPPED", NUMBER) == 500

    huge = push_body("TRACKING_STOPPED", "X" * (3 * 1024 * 1024), 3011)
    assert await fake.push(url, "TRACKING_STOPPED", NUMBER, body=huge) == 413


async def test_unknown_status_codes_are_mapped_and_logged_once(
    webhook: tuple[str, Receiver], fake: FakeSeventeenTrack, caplog: pytest.LogCaptureFixture
) -> None:
    url, receiver = webhook
    caplog.set_level(logging.WARNING)
    info = track_info_payload("Teleported", "Teleported_Moon", EVENTS)
    for _ in range(2):
        assert await fake.push(url, "TRACKING_UPDATED", NUMBER, track_info=info) == 200
    update = receiver.messages[0].update
    assert update is not None
    assert (update.status, update.sub_status) == (
        TrackingStatus.IN_TRANSIT,
        SubStatus.IN_TRANSIT_OTHER,
    )
    assert caplog.text.count("'Teleported'") == 1
    assert caplog.text.count("'Teleported_Moon'") == 1
    assert DEFAULT_KEY not in caplog.text


async def test_only_post_is_accepted(webhook: tuple[str, Receiver]) -> None:
    from aiohttp import ClientSession

    url, _ = webhook
    async with ClientSession() as session, session.get(url) as response:
        assert response.status == 405


def test_the_handler_needs_the_key() -> None:
    with pytest.raises(ValueError, match="API key"):
        make_push_handler("", Receiver())


async def test_a_chunked_body_past_the_limit_is_refused_unread() -> None:
    from aiohttp import ClientSession

    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", make_push_handler(DEFAULT_KEY, receiver, max_body_bytes=1000))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    body = push_body("TRACKING_STOPPED", "N" * 5000, 3011)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    try:
        headers = {"sign": sign_body(body, DEFAULT_KEY)}
        async with (
            ClientSession() as session,
            session.post(server.make_url("/hook"), data=chunks(), headers=headers) as response,
        ):
            assert response.status == 413
    finally:
        await server.close()
    assert receiver.messages == []
