"""Several workers on one PostgreSQL database: the jobs that do their work inside one short
transaction (no lease column) still never wait on each other nor do a row twice."""

from __future__ import annotations

import asyncio

import pytest

from domain.services import tracking
from tests.conftest import FixedClock
from tests.tracking_fixtures import Store, UowFactory, notifications_to, s10

SELLER = 6851


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_silent_parcel_sweeps_skip_each_others_rows(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = await Store(uow_factory, SELLER).open()
    for index in range(4):
        await store.ship(f"AE-W{index}", s10("WC", 40_000_000 + index))
    clock.advance(days=8)  # no event at all: each number is worth one "shows nothing" alert
    rules = tracking.TrackingRules()
    second_done = asyncio.Event()

    async def first() -> int:
        async with uow_factory() as uow:
            alerts = await tracking.sweep_silent_shipments(uow, rules)
            # Holds its row locks until the other worker's sweep is over: if that sweep
            # waited on them instead of skipping them, this would never end.
            await asyncio.wait_for(second_done.wait(), 10)
            await uow.commit()
        return alerts

    async def second() -> int:
        await asyncio.sleep(0.2)  # the first has locked its rows by now
        try:
            async with uow_factory() as uow:
                alerts = await tracking.sweep_silent_shipments(uow, rules)
                await uow.commit()
        finally:
            second_done.set()
        return alerts

    alerts = await asyncio.gather(first(), second())

    assert alerts == [4, 0]
    sent = [
        row.params["order_number"]
        for row in await notifications_to(uow_factory, SELLER)
        if row.template == "tracking.seller_alert"
    ]
    assert sorted(sent) == [f"AE-W{index}" for index in range(4)]
