"""Return case deadlines on SQLite and PostgreSQL: reminders at half time and 24 hours before,
the lapse and what it does, each firing once — across ticks, across two workers sharing the
claims, after a worker crashed holding a lease, and after the scheduler was down."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete

from domain.model import ReturnDeadline
from domain.returns.deadlines import DeadlineKind, Firing
from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, OfferStatus, Resolution, Side
from domain.services import return_deadlines, returns
from notifications.return_deadlines import ReturnDeadlineJob
from tests.conftest import FixedClock
from tests.returns_fixtures import UowFactory, case_row, firings, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER = 7301, 7401


async def _case(uow_factory: UowFactory, number: str = "AE-D1", serial: int = 21_000_001) -> int:
    store = await Store(uow_factory, SELLER, "Deadline Store").open()
    bought = await shipped_to_buyer(uow_factory, store, number, BUYER, serial)
    return await open_damaged(uow_factory, bought)


async def _deadline_notices(uow_factory: UowFactory, chat_id: int) -> list[tuple[str, str]]:
    return [
        (row.template.removeprefix("returns.deadline_"), row.params["kind"])
        for row in await notifications_to(uow_factory, chat_id)
        if row.template.startswith("returns.deadline_")
    ]


async def test_a_silent_seller_is_reminded_twice_then_the_case_lapses(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    case_id = await _case(uow_factory)
    job = ReturnDeadlineJob(uow_factory)
    planned = await firings(uow_factory, case_id)
    assert [(f.firing, f.side, f.fire_at - clock.now) for f in planned] == [
        (Firing.HALF_TIME, Side.SELLER, timedelta(days=2, hours=12)),
        (Firing.DAY_BEFORE, Side.SELLER, timedelta(days=4)),
        (Firing.LAPSE, Side.SELLER, timedelta(days=5)),
    ]
    fired = []
    for hours in (59, 1, 1, 35, 1, 22, 1):  # before, at and after each moment (60, 96, 120 h)
        clock.advance(hours=hours)
        fired.append((await job.tick()).fired)
        fired.append((await job.tick()).fired)  # a second tick right after finds nothing
    assert fired == [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]
    assert await _deadline_notices(uow_factory, SELLER) == [
        ("reminder", "seller_first_answer"),
        ("reminder", "seller_first_answer"),
        ("lapsed", "seller_first_answer"),
    ]
    assert await _deadline_notices(uow_factory, BUYER) == [("lapsed", "seller_first_answer")]
    case = await case_row(uow_factory, case_id)
    assert case.status == CaseStatus.EXPIRED
    assert [e.action for e in case.events][-1] == "seller_silent"
    assert all(f.fired_at is not None for f in await firings(uow_factory, case_id))


async def test_an_answer_cancels_the_rest_and_starts_the_other_sides_clock(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    case_id = await _case(uow_factory)
    job = ReturnDeadlineJob(uow_factory)
    clock.advance(days=3)
    assert (await job.tick()).fired == 1  # the half-time reminder
    async with uow_factory() as uow:
        await returns.counter_offer(
            SELLER, case_id, Side.SELLER, OfferTerms(Resolution.REFUND_PARTIAL, Decimal("2")), uow
        )
        await uow.commit()
    rows = await firings(uow_factory, case_id)
    first = [f for f in rows if f.key == "seller_first_answer"]
    assert [(f.firing, f.fired_at is not None, f.cancelled_at is not None) for f in first] == [
        (Firing.HALF_TIME, True, False),
        (Firing.DAY_BEFORE, False, True),
        (Firing.LAPSE, False, True),
    ]
    offer = [f for f in rows if f.key.startswith("offer_answer:")]
    assert {(f.side, f.firing, f.due_at - clock.now) for f in offer} == {
        (Side.BUYER, Firing.HALF_TIME, timedelta(hours=72)),
        (Side.BUYER, Firing.DAY_BEFORE, timedelta(hours=72)),
        (Side.BUYER, Firing.LAPSE, timedelta(hours=72)),
    }
    # Nobody answers the offer: the buyer is reminded, then it lapses; the case goes on.
    for hours in (36, 12, 24):
        clock.advance(hours=hours)
        assert (await job.tick()).fired == 1
    assert await _deadline_notices(uow_factory, BUYER) == [
        ("reminder", "offer_answer"),
        ("reminder", "offer_answer"),
        ("lapsed", "offer_answer"),
    ]
    assert ("lapsed", "offer_answer") in await _deadline_notices(uow_factory, SELLER)
    case = await case_row(uow_factory, case_id)
    assert case.status == CaseStatus.NEGOTIATING
    assert [o.status for o in case.offers][-1] == OfferStatus.LAPSED


async def test_after_downtime_only_the_most_urgent_firing_speaks(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    case_id = await _case(uow_factory)
    clock.advance(days=6)
    result = await ReturnDeadlineJob(uow_factory).tick()
    assert (result.claimed, result.fired) == (3, 1)
    assert await _deadline_notices(uow_factory, SELLER) == [("lapsed", "seller_first_answer")]
    assert (await case_row(uow_factory, case_id)).status == CaseStatus.EXPIRED


async def test_two_workers_share_the_claims_and_nothing_fires_twice(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = await Store(uow_factory, SELLER, "Deadline Store").open()
    case_ids = []
    for index in range(4):
        bought = await shipped_to_buyer(
            uow_factory, store, f"AE-W{index}", BUYER + index, 21_000_100 + index
        )
        case_ids.append(await open_damaged(uow_factory, bought))
    clock.advance(days=3)  # every case's half-time reminder is due

    async def claim() -> list[int]:
        async with uow_factory() as uow:
            ids = await return_deadlines.claim_due(uow, limit=3)
            await asyncio.sleep(0.05)  # hold the transaction while the other worker claims
            await uow.commit()
            return ids

    first, second = await asyncio.gather(claim(), claim())
    assert not set(first) & set(second)
    assert len(first) + len(second) == 4
    assert await claim() == []  # all leased

    # One worker fires its share; the other "crashes" holding its lease.
    for firing_id in first:
        async with uow_factory() as uow:
            assert (
                await return_deadlines.fire(firing_id, uow, return_deadlines.DeadlineRules())
                is not None
            )
            await uow.commit()
    # Firing again what was fired does nothing (a worker that lost its lease mid-way).
    async with uow_factory() as uow:
        assert await return_deadlines.fire(first[0], uow, return_deadlines.DeadlineRules()) is None
        await uow.commit()
    clock.advance(minutes=6)  # the crashed worker's lease ran out
    result = await ReturnDeadlineJob(uow_factory).tick()
    assert (result.claimed, result.fired) == (len(second), len(second))
    assert (await ReturnDeadlineJob(uow_factory).tick()).claimed == 0
    reminders = [
        row
        for row in await notifications_to(uow_factory, SELLER)
        if row.template == "returns.deadline_reminder"
    ]
    assert sorted(row.params["case_id"] for row in reminders) == sorted(case_ids)


async def test_a_firing_that_fails_is_retried_after_its_lease_and_the_others_go_on(
    uow_factory: UowFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await Store(uow_factory, SELLER, "Deadline Store").open()
    case_ids = []
    for index in range(2):
        bought = await shipped_to_buyer(
            uow_factory, store, f"AE-F{index}", BUYER + index, 21_000_200 + index
        )
        case_ids.append(await open_damaged(uow_factory, bought))
    clock.advance(days=3)
    failing = (await firings(uow_factory, case_ids[0]))[0].id
    real_fire = return_deadlines.fire

    async def flaky_fire(firing_id: int, uow, rules):  # type: ignore[no-untyped-def]
        if firing_id == failing:
            raise RuntimeError("database went away")
        return await real_fire(firing_id, uow, rules)

    monkeypatch.setattr(return_deadlines, "fire", flaky_fire)
    job = ReturnDeadlineJob(uow_factory)
    assert (await job.tick()).fired == 1  # the other case's reminder went out
    assert (await job.tick()).claimed == 0  # the failed one is still leased
    monkeypatch.setattr(return_deadlines, "fire", real_fire)
    clock.advance(minutes=6)
    assert (await job.tick()).fired == 1
    reminders = [
        row.params["case_id"]
        for row in await notifications_to(uow_factory, SELLER)
        if row.template == "returns.deadline_reminder"
    ]
    assert sorted(reminders) == sorted(case_ids)


async def test_a_refund_agreed_before_its_deadline_existed_gets_it_once_and_lapses(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    case_id = await _case(uow_factory, "AE-D9", 21_000_009)
    async with uow_factory() as uow:
        await returns.accept_offer(SELLER, case_id, Side.SELLER, uow)
        # As stored before the refund had a deadline: agreed, nothing planned for it.
        await uow.session.execute(delete(ReturnDeadline).where(ReturnDeadline.case_id == case_id))
        await uow.commit()
    clock.advance(days=30)  # agreed long ago

    # Two workers start: the first tick of each plans it, once between them.
    first, second = ReturnDeadlineJob(uow_factory), ReturnDeadlineJob(uow_factory)
    await asyncio.gather(first.tick(), second.tick())
    await first.tick()
    planned = [f for f in await firings(uow_factory, case_id) if f.kind is DeadlineKind.REFUND]
    assert sorted(f.firing for f in planned) == sorted(
        [Firing.HALF_TIME, Firing.DAY_BEFORE, Firing.LAPSE]
    )
    # Due from the agreement, long past: the lapse alone speaks (the reminders it overtook
    # are cancelled), once, however many ticks follow.
    clock.advance(minutes=1)
    await first.tick()
    await second.tick()
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.events[-1].action) == (CaseStatus.EXPIRED, "refund_not_recorded")
    assert await _deadline_notices(uow_factory, SELLER) == [("lapsed", "refund")]
    assert await _deadline_notices(uow_factory, BUYER) == [("lapsed", "refund")]
