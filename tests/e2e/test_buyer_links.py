"""Buyer links end to end: the first account that opens a link follows the order; anyone else
learns nothing; the seller's new link works and the old one does not; guessing is refused for a
while; a buyer's /delete_my_data leaves no trace of them while the seller's order stays."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from domain.model import OrderStatus
from domain.tracking import SubStatus
from handlers.buyer.callbacks import BuyerAction, BuyerOrder
from sandbox.emulator import BotApiEmulator
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID, BotRunner, Chat, chat_with
from tests.personal_data_search import search_sqlite_files, search_tables
from tests.tracking_fixtures import ScriptedProvider, Shipped, Store, event, s10, update

SELLER_ID = 7_345_000_001
# Big enough that SQLite stores them in 6 bytes, so the file search looks for that form too.
BUYER_A, BUYER_B, GUESSER = 7_345_012_988, 7_345_012_989, 7_345_012_990
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def runner(tracked_runner: BotRunner) -> BotRunner:
    return tracked_runner


async def _shipped(runner: BotRunner, emulator: BotApiEmulator) -> tuple[Shipped, Chat]:
    assert runner.app is not None
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    chat_with(emulator, OPERATOR_ID, name="Olga")
    store = await Store(runner.app.uow_factory, SELLER_ID).open()
    shipped = await store.ship("QL-1", s10("RB", 44_000_001), country="FR")
    return shipped, seller


async def test_a_link_binds_to_its_first_account_and_the_seller_can_replace_it(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    shipped, seller = await _shipped(runner, emulator)
    first = chat_with(emulator, BUYER_A, language="fr", name="Amélie")
    second = chat_with(emulator, BUYER_B, language="es", name="Bruno")

    await first.send(f"/start {shipped.token}")
    card = await first.expect("Vous suivez maintenant cette commande")
    assert "QL-1" in card.content and "Phone case × 2" in card.content
    assert str(SELLER_ID) not in card.content
    # The same account opens it again: the order, without the welcome.
    await first.send(f"/start {shipped.token}")
    again = await first.expect("QL-1")
    assert "Vous suivez maintenant" not in again.content

    # Anyone else learns nothing about the order.
    await second.send(f"/start {shipped.token}")
    refused = await second.expect("enlace")
    for secret in ("QL-1", "Quokka", "Phone case", shipped.tracking_number):
        assert secret not in refused.content

    # The seller's own account is warned instead of taking the buyer's place.
    await seller.send(f"/start {shipped.token}")
    await seller.expect("don't open it yourself")

    # The seller issues a new link from the order card.
    await seller.send("/orders")
    await seller.press("Shipped")
    await seller.press("QL-1")
    await seller.press("New buyer link")
    message = await seller.expect("A new buyer link for order")
    match = LINK.search(message.content)
    assert match is not None
    new_token = match.group(1)

    await first.send(f"/start {shipped.token}")
    await first.expect("ne fonctionne plus")
    await second.send(f"/start {new_token}")
    await second.expect("Ahora sigues este pedido")
    await second.send("/orders")
    await second.expect("QL-1")
    await first.send("/track")
    await first.expect("Vous ne suivez encore aucune commande")
    # A button of the order they no longer follow (or a forged one) shows nothing.
    forged = BuyerOrder(action=BuyerAction.TIMELINE, order_id=shipped.order_id).pack()
    await first.press_data(card.message_id, forged)
    await first.expect_alert("Vous ne suivez pas cette commande")
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        subscription = await uow.buyers.for_order(shipped.order_id)
        assert subscription is not None and subscription.buyer_user_id == BUYER_B


async def test_guessing_links_is_refused_for_a_while(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock
) -> None:
    shipped, _ = await _shipped(runner, emulator)
    guesser = chat_with(emulator, GUESSER)
    for attempt in range(10):
        await guesser.send(f"/start guess{attempt:03d}AAAAAAAAAAAAAAAAAAAAAAA")
        await guesser.expect("doesn't work any more")
    # The eleventh, even the right link, is refused.
    await guesser.send(f"/start {shipped.token}")
    await guesser.expect("Too many links that don't work")
    clock.advance(minutes=11)
    await guesser.send(f"/start {shipped.token}")
    await guesser.expect("You are following this order now")


async def test_a_buyers_erasure_leaves_no_trace_and_the_order_stays(
    emulator: BotApiEmulator, runner: BotRunner, clock: FixedClock, provider: ScriptedProvider
) -> None:
    assert runner.app is not None
    app = runner.app
    shipped, _ = await _shipped(runner, emulator)
    buyer = chat_with(emulator, BUYER_A, language="ru", name="Борис")
    await buyer.send(f"/start {shipped.token}")
    await buyer.expect("Теперь вы отслеживаете этот заказ")
    provider.updates[shipped.tracking_number] = update(
        shipped.tracking_number,
        [event(clock.now + timedelta(minutes=5), SubStatus.IN_TRANSIT_PICKED_UP, "Picked up")],
    )
    clock.advance(minutes=30)
    await app.tracking.tick()
    await buyer.expect("Ваша посылка в пути")
    await buyer.press("Весь путь")
    await buyer.expect("Путь заказа QL-1")
    await buyer.press("Не уведомлять о заказе")
    await buyer.expect_alert("Больше никаких сообщений о заказе QL-1")

    before, _ = await search_tables(app.engine, [], BUYER_A)
    assert {trace.where.split(".")[0] for trace in before} >= {
        "buyer_subscriptions",
        "buyer_links",
        "telegram_users",
        "notifications",
        "audit_entries",
    }

    await buyer.send("/delete_my_data")
    await buyer.press("удалить")
    await buyer.expect("удалены")

    after, rows = await search_tables(app.engine, [], BUYER_A)
    assert after == [] and rows > 0
    url = make_url(runner.settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        assert search_sqlite_files(Path(url.database), [], BUYER_A) == []
    async with app.uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None and order.status == OrderStatus.SHIPPED
        assert await uow.buyers.for_order(shipped.order_id) is None
    # The link they used stays used: it opens for nobody now.
    other = chat_with(emulator, BUYER_B)
    await other.send(f"/start {shipped.token}")
    await other.expect("doesn't work any more")
