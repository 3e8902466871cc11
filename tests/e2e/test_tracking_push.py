"""17TRACK push end to end: the push app (aiohttp's test client) in front of the real bot and
database. A correctly signed push updates the shipment and the buyer is told once; the same push
again changes nothing; a wrongly signed or unsigned one gets 401 and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.settings import Settings
from domain.model import Notification, ShipmentEvent
from domain.tracking import SubStatus
from notifications.tracking.poller import PUSH_PATH, make_push_app
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID, BotRunner, chat_with
from tests.fakes.seventeen_track import DEFAULT_KEY
from tests.fakes.seventeen_track_payloads import push_body, sign_body, track_info_payload
from tests.tracking_fixtures import ScriptedProvider, Store, event, s10

SELLER_ID, BUYER_ID = 7401, 7402
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def runner(
    emulator: BotApiEmulator, bot_settings: Settings, clock: FixedClock
) -> AsyncIterator[BotRunner]:
    async with BotRunner(
        emulator, bot_settings, clock=clock, tracking_provider=ScriptedProvider()
    ) as bot_runner:
        yield bot_runner


@pytest.fixture
async def client(runner: BotRunner) -> AsyncIterator[TestClient[Any, Any]]:
    assert runner.app is not None
    async with TestClient(TestServer(make_push_app(DEFAULT_KEY, runner.app.tracking))) as test:
        yield test


async def _state(runner: BotRunner, shipment_id: int) -> tuple[Any, ...]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        shipment = await uow.tracking.get(shipment_id)
        assert shipment is not None
        events = await uow.session.scalar(
            select(func.count()).where(ShipmentEvent.shipment_id == shipment_id)
        )
        notifications = await uow.session.scalar(select(func.count()).select_from(Notification))
        return (
            shipment.tracking_status,
            shipment.tracking_sub_status,
            shipment.last_event_at,
            shipment.next_poll_at,
            shipment.notice_state,
            shipment.tracking_stopped_at,
            events,
            notifications,
        )


async def test_a_signed_push_updates_once_and_a_bad_sign_changes_nothing(
    emulator: BotApiEmulator, runner: BotRunner, client: TestClient[Any, Any], clock: FixedClock
) -> None:
    assert runner.app is not None
    chat_with(emulator, SELLER_ID)
    chat_with(emulator, OPERATOR_ID, name="Olga")
    store = await Store(runner.app.uow_factory, SELLER_ID).open()
    shipped = await store.ship("PU-1", s10("RB", 55_000_001), country="FR")
    buyer = chat_with(emulator, BUYER_ID, language="fr")
    await buyer.send(f"/start {shipped.token}")
    await buyer.expect("Vous suivez maintenant cette commande")
    before = await _state(runner, shipped.shipment_id)

    events = [
        event(START + timedelta(minutes=10), SubStatus.INFO_RECEIVED, "Info", "Shenzhen, CN"),
        event(
            START + timedelta(hours=3), SubStatus.IN_TRANSIT_PICKED_UP, "Picked up", "Shenzhen, CN"
        ),
    ]
    clock.advance(hours=4)
    body = push_body(
        "TRACKING_UPDATED",
        shipped.tracking_number,
        3011,
        track_info_payload("InTransit", "InTransit_PickedUp", events),
    )

    # Wrongly signed, then unsigned: 401, nothing changes.
    for headers in ({"sign": sign_body(body, DEFAULT_KEY + "x")}, {}):
        response = await client.post(PUSH_PATH, data=body, headers=headers)
        assert response.status == 401
        assert await _state(runner, shipped.shipment_id) == before

    response = await client.post(
        PUSH_PATH, data=body, headers={"sign": sign_body(body, DEFAULT_KEY)}
    )
    assert response.status == 200
    after = await _state(runner, shipped.shipment_id)
    assert after[:2] == ("InTransit", "InTransit_PickedUp")
    assert after[2] == START + timedelta(hours=3)
    assert after[6] == 2 and after[7] == before[7] + 1
    message = await buyer.expect("Votre colis est en route")
    assert "Shenzhen, Chine" in message.content

    # The same push again (17TRACK retries, or a poll saw it too): nothing changes.
    response = await client.post(
        PUSH_PATH, data=body, headers={"sign": sign_body(body, DEFAULT_KEY)}
    )
    assert response.status == 200
    assert await _state(runner, shipped.shipment_id) == after
    await runner.app.outbox.drain()
    updates = [
        m
        for m in emulator.history(BUYER_ID)
        if m.from_bot and "Votre colis est en route" in m.content
    ]
    assert len(updates) == 1

    # TRACKING_STOPPED: 17TRACK no longer follows the number; nothing is polled any more.
    stop = push_body("TRACKING_STOPPED", shipped.tracking_number, 3011)
    response = await client.post(
        PUSH_PATH, data=stop, headers={"sign": sign_body(stop, DEFAULT_KEY)}
    )
    assert response.status == 200
    stopped = await _state(runner, shipped.shipment_id)
    assert stopped[5] is not None and stopped[3] is None
