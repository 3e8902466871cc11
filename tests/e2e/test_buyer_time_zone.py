"""/timezone end to end: a buyer sees the zone their quiet hours follow (the ship-to country's
until they pick one), changes it with a button or by typing a city in their language, goes
back to automatic; forged zones and unknown cities change nothing; and the tracking messages
follow the zone they chose — sent at once where it is day, with times on their clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.tracking import SubStatus
from handlers.buyer.callbacks import TimeZoneChoice
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import BotRunner, Chat, chat_with
from tests.tracking_fixtures import ScriptedProvider, Shipped, Store, event, s10, update

SELLER_ID = 7_345_100_001
BUYER, RUSSIAN_BUYER, STRANGER = 7_345_100_002, 7_345_100_003, 7_345_100_004
# 22:00 in New York, where the order ships: the buyer's night, unless they live elsewhere.
START = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def runner(tracked_runner: BotRunner) -> BotRunner:
    return tracked_runner


async def _following(
    runner: BotRunner, buyer: Chat, number: str, serial: int, store: Store | None = None
) -> tuple[Shipped, Store]:
    assert runner.app is not None
    store = store or await Store(runner.app.uow_factory, SELLER_ID).open()
    shipped = await store.ship(number, s10("RB", serial), country="US")
    await buyer.send(f"/start {shipped.token}")
    await buyer.expect(number)
    return shipped, store


async def _zones(runner: BotRunner, user_id: int) -> list[str | None]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        return [subscription.time_zone for subscription, _ in await uow.buyers.all_of(user_id)]


async def test_a_buyer_changes_their_time_zone_and_messages_follow_it(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: ScriptedProvider
) -> None:
    buyer = chat_with(emulator, BUYER, name="Alex")
    shipped, _ = await _following(runner, buyer, "QL-71", 71_000_001)

    await buyer.send("/timezone")
    screen = await buyer.expect("Your time zone: New York (GMT-05:00)")
    # Babel's English puts a narrow no-break space before AM/PM.
    assert "it is Nov 24 10:00\u202fPM there" in screen.plain
    assert "I took it from the country your order ships to" in screen.content
    # The big country's main zones are offered; "automatic" only once another was chosen.
    assert "Chicago (GMT-06:00)" in screen.button_texts
    assert "Los Angeles (GMT-08:00)" in screen.button_texts
    assert not any("delivery country" in text for text in screen.button_texts)

    await buyer.press("Chicago")
    await buyer.expect("Time zone set: <b>Chicago (GMT-06:00)</b>")
    assert await _zones(runner, BUYER) == ["America/Chicago"]

    # Typed: a city, in any case; an unknown one changes nothing.
    await buyer.send("/timezone atlantis <b>")
    refused = await buyer.expect("I don't know the time zone")
    assert "atlantis &lt;b&gt;" in refused.content
    assert await _zones(runner, BUYER) == ["America/Chicago"]
    await buyer.send("/timezone tokyo")
    await buyer.expect("Time zone set: <b>Tokyo (GMT+09:00)</b>")
    assert await _zones(runner, BUYER) == ["Asia/Tokyo"]

    # Callback data is client input: a forged zone is refused like a typed one.
    await buyer.send("/timezone")
    screen = await buyer.expect("Your time zone: Tokyo")
    await buyer.press_data(screen.message_id, TimeZoneChoice(zone="Mars/Olympus_Mons").pack())
    await buyer.expect_alert("I don't know the time zone")
    assert await _zones(runner, BUYER) == ["Asia/Tokyo"]

    # 12:00 in Tokyo: the parcel's news goes out now, with the time on the buyer's clock,
    # though it is the middle of the night in New York.
    assert runner.app is not None
    provider.updates[shipped.tracking_number] = update(
        shipped.tracking_number,
        [event(clock.now - timedelta(hours=1), SubStatus.IN_TRANSIT_PICKED_UP, "Picked up")],
    )
    clock.advance(minutes=30)
    await runner.app.tracking.tick()
    news = await buyer.expect("Your parcel is on its way")
    assert "🕒 Nov 25 11:00\u202fAM" in news.plain

    # Back to the country's zone.
    await buyer.send("/timezone")
    await buyer.press("From the delivery country")
    await buyer.expect("comes from the country your order ships to again: <b>New York")
    assert await _zones(runner, BUYER) == [None]


async def test_time_zones_in_the_buyers_language_and_for_every_order(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    buyer = chat_with(emulator, RUSSIAN_BUYER, language="ru", name="Ира")
    _, store = await _following(runner, buyer, "QL-81", 81_000_001)
    await _following(runner, buyer, "QL-82", 81_000_002, store)

    await buyer.send("/timezone")
    screen = await buyer.expect("Ваш часовой пояс: Нью-Йорк")
    assert "Чикаго (GMT-06:00)" in screen.button_texts
    # A city typed as the buyer writes it, in Cyrillic; it applies to every order they follow.
    await buyer.send("/timezone Новосибирск")
    await buyer.expect("Часовой пояс изменён: <b>Новосибирск (GMT+07:00)</b>")
    assert await _zones(runner, RUSSIAN_BUYER) == ["Asia/Novosibirsk", "Asia/Novosibirsk"]

    # Someone who follows no order has no zone to change.
    stranger = chat_with(emulator, STRANGER, name="Sam")
    await stranger.send("/timezone Europe/Paris")
    await stranger.expect("You are not following any order yet")
    assert await _zones(runner, STRANGER) == []
