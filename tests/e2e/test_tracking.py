"""Tracking end to end: the real bot, the emulator, a real database, the simulated provider on a
clock the test moves. Twenty buyers in three languages follow their parcels to the door and
receive exactly the messages the rules call for, once each; the seller hears about the parcel
whose delivery failed and the one that stopped moving. Then the same with Telegram answering
429 and 403 in the middle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.settings import Settings
from domain.model import Notification, OrderStatus
from domain.services import tracking, tracking_notices
from domain.tracking import QuietHours, TrackingStatus
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID, BotRunner, Chat, chat_with, make_settings
from tests.e2e.tracking_oracle import RecordingProvider, expected_messages, render_expected
from tests.tracking_fixtures import Shipped, Store, s10

SELLER_ID = 7000
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
STEP = timedelta(hours=2)
# Three languages, each with the country its buyers live in.
LOCALES = (("fr", "FR"), ("es", "ES"), ("ru", "RU"))
# How each language says "delivered", and the start of every tracking message.
DELIVERED = {
    "fr": "Votre colis a été livré",
    "es": "Tu paquete ha sido entregado",
    "ru": "Ваша посылка доставлена",
}
HEADER = {"fr": "📦 Commande <b>", "es": "📦 Pedido <b>", "ru": "📦 Заказ <b>"}


@dataclass
class Buyer:
    chat: Chat
    locale: str
    country: str
    shipped: Shipped


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def provider(clock: FixedClock) -> RecordingProvider:
    return RecordingProvider(clock=clock, seed="e2e-tracking")


@pytest.fixture
def bot_settings(database_url: str, tmp_path: Path) -> Settings:
    # The test ticks the poller itself; the scheduler's own tick stays out of the way. The
    # simulated express line haul can be silent for four days, so "stale" means six here.
    return make_settings(
        database_url, tmp_path, tracking_poll_seconds=3600, tracking_stale_days_express=6
    )


@pytest.fixture
async def runner(
    emulator: BotApiEmulator,
    bot_settings: Settings,
    clock: FixedClock,
    provider: RecordingProvider,
) -> AsyncIterator[BotRunner]:
    bot_runner = BotRunner(emulator, bot_settings, clock=clock, tracking_provider=provider)
    app = await bot_runner.start()
    # The test drains the outbox itself, between moves of the clock, so no send is in flight
    # while time jumps (a jump would make its lease look expired).
    await app.outbox.stop()
    try:
        yield bot_runner
    finally:
        await bot_runner.stop()


async def _ship_to_buyers(
    app: Application, emulator: BotApiEmulator, prefixes: list[str]
) -> list[Buyer]:
    # The seller's and the operator's chats exist, so the warehouse review notices land.
    chat_with(emulator, SELLER_ID)
    chat_with(emulator, OPERATOR_ID, name="Olga")
    store = await Store(app.uow_factory, SELLER_ID).open()
    buyers: list[Buyer] = []
    for index, prefix in enumerate(prefixes):
        locale, country = LOCALES[index % len(LOCALES)]
        number = f"{prefix}-{index + 1:02d}"
        shipped = await store.ship(number, s10(prefix, 31_000_000 + index), country=country)
        chat = chat_with(emulator, 7100 + index, language=locale, name=f"Buyer {index}")
        buyers.append(Buyer(chat, locale, country, shipped))
    for buyer in buyers:
        await buyer.chat.send(f"/start {buyer.shipped.token}")
        card = await buyer.chat.expect(HEADER[buyer.locale])
        assert buyer.shipped.number in card.content
    return buyers


async def _run(app: Application, clock: FixedClock, steps: int, **hooks: Any) -> None:
    await app.tracking.tick()
    await app.outbox.drain()
    for step in range(steps):
        if step in hooks.get("at", {}):
            hooks["at"][step]()
        clock.advance(hours=STEP.total_seconds() / 3600)
        await app.tracking.tick()
        await app.outbox.drain()


async def _expected_texts(
    app: Application, provider: RecordingProvider, buyer: Buyer, until: datetime
) -> list[str]:
    async with app.uow_factory() as uow:
        shipment = await uow.tracking.get(buyer.shipped.shipment_id)
        order = await uow.orders.get(buyer.shipped.order_id)
        subscription = await uow.buyers.for_order(buyer.shipped.order_id)
        assert shipment is not None and order is not None and subscription is not None
        zone = tracking_notices.buyer_zone(subscription, order)
        lane = tracking.lane_estimate(shipment, order, subscription)
        store = (await uow.tracking.seller_contacts([order.seller_id]))[order.seller_id]
    messages = expected_messages(
        provider.reports.get(buyer.shipped.tracking_number, []),
        zone=zone,
        lane=lane,
        until=until,
        quiet_hours=QuietHours(),
    )
    return render_expected(
        app.renderer,
        buyer.locale,
        messages,
        order_id=buyer.shipped.order_id,
        order_number=buyer.shipped.number,
        store_name=store.store_name,
        time_zone=tracking_notices.zone_name(zone),
    )


def _tracking_messages(emulator: BotApiEmulator, buyer: Buyer) -> list[str]:
    """What the bot sent the buyer after the order card, in order."""
    sent = [m.content for m in emulator.history(buyer.chat.user.chat_id) if m.from_bot]
    return sent[1:]


async def test_twenty_buyers_in_three_languages_follow_their_parcels_to_the_door(
    emulator: BotApiEmulator,
    runner: BotRunner,
    clock: FixedClock,
    provider: RecordingProvider,
) -> None:
    app = runner.app
    assert app is not None
    # 18 parcels arrive; one fails its first delivery, then arrives; one stops moving.
    prefixes = ["ZD"] * 18 + ["ZF", "ZS"]
    buyers = await _ship_to_buyers(app, emulator, prefixes)
    seller = emulator.user(SELLER_ID)

    await _run(app, clock, steps=14 * 12)  # two weeks in steps of two hours

    for buyer in buyers:
        got = _tracking_messages(emulator, buyer)
        expected = await _expected_texts(app, provider, buyer, clock.now)
        assert got == expected, (buyer.shipped.number, buyer.locale)
        assert got, buyer.shipped.number
        assert all(text.startswith(HEADER[buyer.locale]) for text in got)
        assert len(set(got)) == len(got), "a message went out twice"
        if buyer.shipped.number.startswith("ZS"):
            assert not any(DELIVERED[buyer.locale] in text for text in got)
        else:
            # At least: on its way, out for delivery (or its failure), delivered.
            assert len(got) >= 3, buyer.shipped.number
            assert DELIVERED[buyer.locale] in got[-1], buyer.shipped.number
    failed = next(b for b in buyers if b.shipped.number.startswith("ZF"))
    failed_texts = _tracking_messages(emulator, failed)
    assert any("📍" in text and "⚠️" in text for text in failed_texts)

    async with app.uow_factory() as uow:
        for buyer in buyers:
            order = await uow.orders.get(buyer.shipped.order_id)
            shipment = await uow.tracking.get(buyer.shipped.shipment_id)
            assert order is not None and shipment is not None
            if buyer.shipped.number.startswith("ZS"):
                assert order.status == OrderStatus.SHIPPED
                continue
            assert order.status == OrderStatus.DELIVERED
            assert shipment.tracking_status == TrackingStatus.DELIVERED.value
            assert shipment.tracking_stopped_at is not None and shipment.next_poll_at is None

    # Quiet hours were part of the story: some news waited for the morning.
    async with app.uow_factory() as uow:
        held = await uow.session.scalar(
            select(func.count()).where(Notification.dedupe_key.contains(":held:"))
        )
    assert held and held > 0

    seller_texts = [m.content for m in emulator.history(seller.chat_id) if m.from_bot]
    failure_alerts = [t for t in seller_texts if "Delivery failed" in t]
    assert len(failure_alerts) == 1 and failed.shipped.number in failure_alerts[0]
    stale = next(b for b in buyers if b.shipped.number.startswith("ZS"))
    stale_alerts = [t for t in seller_texts if "No tracking news for" in t]
    assert len(stale_alerts) == 1 and stale.shipped.number in stale_alerts[0]
    # Nothing else alarmed the seller.
    assert len([t for t in seller_texts if "/shipments" in t]) == 2


async def test_429_and_403_in_the_middle_lose_nothing_and_pause_the_blocked(
    emulator: BotApiEmulator,
    runner: BotRunner,
    clock: FixedClock,
    provider: RecordingProvider,
) -> None:
    app = runner.app
    assert app is not None
    buyers = await _ship_to_buyers(app, emulator, ["ZD"] * 6)
    throttled = buyers[:2]
    blocked = buyers[2:4]
    calm = buyers[4:]

    def trouble() -> None:
        for buyer in throttled:
            emulator.inject_429(buyer.chat.user.chat_id, count=2, retry_after=3)
        for buyer in blocked:
            emulator.block_chat(buyer.chat.user.chat_id)

    # Trouble starts one day in, when every parcel has already sent news.
    await _run(app, clock, steps=12 * 12, at={12: trouble})

    for buyer in [*throttled, *calm]:
        got = _tracking_messages(emulator, buyer)
        assert got == await _expected_texts(app, provider, buyer, clock.now)
        assert DELIVERED[buyer.locale] in got[-1]
    assert emulator.stats.too_many_requests >= 2 * 2
    assert emulator.stats.forbidden >= 2
    async with app.uow_factory() as uow:
        for buyer in blocked:
            subscription = await uow.buyers.for_order(buyer.shipped.order_id)
            assert subscription is not None and subscription.paused_at is not None
            assert await uow.blocked_recipients.is_blocked(buyer.chat.user.chat_id)
        for buyer in [*throttled, *calm]:
            subscription = await uow.buyers.for_order(buyer.shipped.order_id)
            assert subscription is not None and subscription.paused_at is None
    for buyer in blocked:
        # Messages before the block arrived; nothing after it was even written for them.
        got = _tracking_messages(emulator, buyer)
        assert got and not any(DELIVERED[buyer.locale] in text for text in got)
        full = await _expected_texts(app, provider, buyer, clock.now)
        assert got == full[: len(got)] and len(got) < len(full)

    # A blocked buyer who writes again is back: the next news reaches them.
    buyer = blocked[0]
    emulator.unblock_chat(buyer.chat.user.chat_id)
    await buyer.chat.send("/orders")
    await buyer.chat.expect(buyer.shipped.number)
    async with app.uow_factory() as uow:
        subscription = await uow.buyers.for_order(buyer.shipped.order_id)
        assert subscription is not None and subscription.paused_at is None
