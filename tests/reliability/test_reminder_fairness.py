"""Ship-by reminders on SQLite and PostgreSQL are fair across sellers: a seller who imports
thousands of orders whose deadline has passed gets one message that counts them, and every
other seller's reminders go out in the same run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.model import Order, ReminderKind
from domain.services.orders import file_import, reminders
from domain.unit_of_work import UnitOfWork
from templates.renderer import Renderer
from tests.conftest import FixedClock
from tests.tracking_fixtures import notifications_to, register_store

UowFactory = Callable[[], UnitOfWork]
EVE, MEI, OTTO = 8101, 8102, 8103


async def _import(
    uow_factory: UowFactory, seller_id: int, prefix: str, count: int, first_ship_by: datetime
) -> None:
    """`count` orders saved as an order file's are, one minute of deadline apart."""
    planned = [
        file_import.PlannedOrder(
            f"{prefix}-{n}",
            "US",
            "94105",
            "USD",
            first_ship_by + timedelta(minutes=n),
            Decimal("2.50"),
            (file_import.PlannedLine(1, f"Widget {n}", None, 1, Decimal("2.50")),),
        )
        for n in range(count)
    ]
    async with uow_factory() as uow:
        saved = await file_import.save_planned(seller_id, planned, uow)
        await uow.commit()
    assert len(saved.imported) == count


async def _sweep(
    uow_factory: UowFactory, clock: FixedClock, **limits: int
) -> list[tuple[str, ReminderKind, int]]:
    """The messages a run queued: the order each names first, the alert, how many orders."""
    async with uow_factory() as uow:
        queued = await reminders.due_reminders(clock.now, uow, **limits)
        await uow.commit()
    return [(reminder.order.number, reminder.kind, reminder.orders) for reminder in queued]


async def test_a_flood_of_overdue_orders_is_one_summary_and_other_sellers_are_reminded_too(
    uow_factory: UowFactory, clock: FixedClock, renderer: Renderer
) -> None:
    eve = await register_store(uow_factory, EVE, "Eve")
    mei = await register_store(uow_factory, MEI, "Mei")
    # Eve imports 3,000 orders whose ship-by passed weeks ago; Mei's one order must ship
    # within 24 hours. Eve's are the oldest deadlines of all.
    await _import(uow_factory, eve, "BIG", 3000, clock.now - timedelta(days=20))
    await _import(uow_factory, mei, "VICTIM", 1, clock.now + timedelta(hours=23))

    reminded = await _sweep(uow_factory, clock)

    assert sorted(reminded) == [
        ("BIG-0", ReminderKind.OVERDUE, 3000),
        ("VICTIM-0", ReminderKind.DUE_IN_24H, 1),
    ]
    (mei_row,) = await notifications_to(uow_factory, MEI)
    assert (mei_row.template, mei_row.params["order_number"]) == ("orders.reminder_24h", "VICTIM-0")
    # One message to Eve, not 3,000: how many, the first few, and where to see them.
    (summary,) = await notifications_to(uow_factory, EVE)
    assert summary.template == "orders.reminder_summary"
    assert summary.params["kind"] == "overdue"
    assert summary.params["count"] == 3000
    assert summary.params["numbers"] == [f"BIG-{n}" for n in range(5)]
    text = renderer.render(summary.template, "en", **summary.params)
    assert "<b>3,000</b> orders are overdue" in text
    assert "BIG-0, BIG-1, BIG-2, BIG-3, BIG-4" in text and "/orders" in text
    # Each order recorded its alert: the next run has nothing more to say.
    async with uow_factory() as uow:
        unalerted = await uow.session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.seller_id == eve, Order.overdue_alerted_at.is_(None))
        )
    assert unalerted == 0
    assert await _sweep(uow_factory, clock) == []
    assert len(await notifications_to(uow_factory, EVE)) == 1


async def test_a_few_orders_crossing_a_threshold_get_a_message_each_more_get_a_summary(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    mei = await register_store(uow_factory, MEI, "Mei")
    otto = await register_store(uow_factory, OTTO, "Otto")
    few = reminders.SEPARATE_UP_TO
    await _import(uow_factory, mei, "M", few, clock.now + timedelta(hours=30))
    await _import(uow_factory, otto, "O", few + 1, clock.now + timedelta(hours=30))

    clock.advance(hours=8)  # every one of them is 22 h from its deadline
    assert await _sweep(uow_factory, clock) == [
        *((f"M-{n}", ReminderKind.DUE_IN_24H, 1) for n in range(few)),
        ("O-0", ReminderKind.DUE_IN_24H, few + 1),
    ]

    assert [row.template for row in await notifications_to(uow_factory, MEI)] == [
        "orders.reminder_24h"
    ] * few
    (summary,) = await notifications_to(uow_factory, OTTO)
    assert (summary.template, summary.params["kind"]) == ("orders.reminder_summary", "due_24h")
    assert summary.params["count"] == few + 1
    # Later thresholds are summarised the same way, once each.
    clock.advance(hours=19)
    assert {kind for _, kind, _ in await _sweep(uow_factory, clock)} == {ReminderKind.DUE_IN_4H}
    clock.advance(hours=4)
    assert {kind for _, kind, _ in await _sweep(uow_factory, clock)} == {ReminderKind.OVERDUE}
    assert await _sweep(uow_factory, clock) == []
    kinds = [row.params["kind"] for row in await notifications_to(uow_factory, OTTO)]
    assert kinds == ["due_24h", "due_4h", "overdue"]


async def test_a_run_handles_a_bounded_number_of_sellers_and_the_next_run_the_rest(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    eve = await register_store(uow_factory, EVE, "Eve")
    mei = await register_store(uow_factory, MEI, "Mei")
    await _import(uow_factory, eve, "BIG", 50, clock.now - timedelta(days=1))
    await _import(uow_factory, mei, "VICTIM", 1, clock.now + timedelta(hours=2))

    # One seller's alert a run here: the most urgent first, whatever its size.
    first = await _sweep(uow_factory, clock, groups=1)
    second = await _sweep(uow_factory, clock, groups=1)

    assert first == [("BIG-0", ReminderKind.OVERDUE, 50)]
    assert second == [("VICTIM-0", ReminderKind.DUE_IN_4H, 1)]
    assert await _sweep(uow_factory, clock, groups=1) == []


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_sweeping_at_once_remind_each_order_once_without_waiting(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    eve = await register_store(uow_factory, EVE, "Eve")
    await _import(uow_factory, eve, "BIG", 40, clock.now - timedelta(days=1))
    second_done = asyncio.Event()

    async def first() -> int:
        async with uow_factory() as uow:
            queued = await reminders.due_reminders(clock.now, uow)
            # Holds its row locks until the other sweep is over: had that one waited for
            # them instead of passing over them, this would never end.
            await asyncio.wait_for(second_done.wait(), 10)
            await uow.commit()
        return sum(reminder.orders for reminder in queued)

    async def second() -> int:
        await asyncio.sleep(0.2)  # the first has locked its rows by now
        try:
            async with uow_factory() as uow:
                queued = await reminders.due_reminders(clock.now, uow)
                await uow.commit()
        finally:
            second_done.set()
        return sum(reminder.orders for reminder in queued)

    assert await asyncio.gather(first(), second()) == [40, 0]
    assert [row.params["count"] for row in await notifications_to(uow_factory, EVE)] == [40]
